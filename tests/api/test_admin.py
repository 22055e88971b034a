"""The admin API (/api/v1/admin) through HTTP, on both stores: roles, tenants, credentials, audit log.

Catalogue: B6 (revocation and rotation take effect at once, in every worker), B7 (suspended tenant), C12 (role x
endpoint matrix), C13 (xAPI credentials on admin endpoints), C15 (no secrets or storage fields in responses),
N4 (no secrets in logs).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from api.app import create_app
from auth.credentials import issue_credential
from lrs.settings import Settings
from lrs.storage.sqlite import SQLiteStore
from lrs.tenants import create_tenant
from tests.api.conftest import World, XAPIClient, basic
from tests.factories import make_statement

ADMIN = "/api/v1/admin"
A, B = "tenant-a", "tenant-b"


@dataclass
class AdminClient:
    client: FlaskClient
    authorization: str | None
    key: str = ""
    secret: str = ""
    prefix: str = ADMIN  # tests/api/test_progress_api.py reuses this client for /api/v1

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.authorization is not None:
            headers.setdefault("Authorization", self.authorization)
        if body is not None:
            kwargs["data"] = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        return self.client.open(self.prefix + path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        return self.call("POST", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        return self.call("PATCH", path, body, **kwargs)


def admin_as(world: World, role: str = "operator", tenant: str = "") -> AdminClient:
    issued = issue_credential(world.store, tenant, None, f"{role}-{tenant or 'platform'}", role=role)
    return AdminClient(world.app.test_client(), basic(issued.key, issued.secret), issued.key, issued.secret)


def xapi_as(world: World, key: str, secret: str) -> XAPIClient:
    return XAPIClient(world.app.test_client(), basic(key, secret))


@pytest.fixture
def operator(world: World) -> AdminClient:
    return admin_as(world)


def _audit(client: AdminClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/audit", query_string=params)
    assert response.status_code == 200, response.get_json()
    entries: list[dict[str, Any]] = response.get_json()
    return entries


# --- tenants ------------------------------------------------------------------------------------------


def test_operator_manages_tenants_and_every_action_is_audited(world: World, operator: AdminClient) -> None:
    created = operator.post("/tenants", {"slug": "bkn", "name": "Badan Kepegawaian"})
    assert created.status_code == 201
    body = created.get_json()
    assert body == {"slug": "bkn", "name": "Badan Kepegawaian", "status": "active", "created": body["created"]}
    assert "X-Experience-API-Version" not in created.headers
    create_request = created.headers["X-Request-ID"]

    assert [t["slug"] for t in operator.get("/tenants").get_json()] == ["bkn", A, B]
    assert operator.get("/tenants/bkn").get_json()["name"] == "Badan Kepegawaian"
    renamed = operator.patch("/tenants/bkn", {"name": "BKN"})
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "BKN"
    assert operator.post("/tenants/bkn/suspend").get_json()["status"] == "suspended"
    assert operator.post("/tenants/bkn/resume").get_json()["status"] == "active"

    entries = _audit(operator, tenant="bkn")
    assert [e["action"] for e in entries] == ["tenant.resume", "tenant.suspend", "tenant.rename", "tenant.create"]
    first = entries[-1]
    assert first["actor"] == {"key": operator.key, "role": "operator"}
    assert first["target"] == "bkn" and first["tenant"] == "bkn"
    assert first["request_id"] == create_request
    assert first["remote_addr"] == "127.0.0.1"
    assert first["details"] == {"name": "Badan Kepegawaian"}
    assert entries[2]["details"] == {"name": "BKN", "previous_name": "Badan Kepegawaian"}
    assert set(first) == {"id", "time", "actor", "action", "target", "tenant", "remote_addr", "request_id", "details"}


def test_suspended_tenant_gets_403_and_resumes(world: World, operator: AdminClient) -> None:
    assert world.a.get().status_code == 200
    assert operator.post(f"/tenants/{A}/suspend").status_code == 200
    for response in (world.a.get(), world.a.post(make_statement())):
        assert response.status_code == 403
        assert "suspended" in response.get_json()["message"]
    assert world.store.count_statements(A) == 0
    assert world.b.get().status_code == 200  # other tenants are untouched
    admin = admin_as(world, "tenant_admin", A)
    assert admin.get(f"/tenants/{A}/credentials").status_code == 403  # its admins too
    assert operator.post(f"/tenants/{A}/resume").status_code == 200
    assert world.a.get().status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "fragment"),
    [
        ("POST", "/tenants", {"slug": "x", "color": "red"}, 400, "color: Unknown field"),
        ("POST", "/tenants", {"name": "no slug"}, 400, "slug: Missing data"),
        ("POST", "/tenants", {"slug": 7}, 400, "slug: Not a valid string"),
        ("POST", "/tenants", {"slug": "Not A Slug"}, 400, "slug is 1-64 lowercase"),
        ("POST", "/tenants", {"slug": "ok", "name": "x" * 201}, 400, "tenant name"),
        ("POST", "/tenants", [{"slug": "x"}], 400, "request body: Invalid input type"),
        ("POST", "/tenants", {"slug": A}, 409, "already exists"),
        ("PATCH", f"/tenants/{A}", {}, 400, "name: Missing data"),
        ("PATCH", f"/tenants/{A}", {"name": "  "}, 400, "tenant name"),
        ("PATCH", f"/tenants/{A}", {"name": "x", "slug": "y"}, 400, "slug: Unknown field"),
        ("PATCH", "/tenants/nope", {"name": "x"}, 404, "no tenant 'nope'"),
        ("GET", "/tenants/nope", None, 404, "no tenant 'nope'"),
        ("POST", "/tenants/nope/suspend", None, 404, "no tenant 'nope'"),
        ("POST", "/tenants/nope/resume", None, 404, "no tenant 'nope'"),
        ("POST", f"/tenants/{A}/resume", None, 409, "already active"),
        ("GET", "/tenants/nope/credentials", None, 404, "no tenant 'nope'"),
        ("POST", "/tenants/nope/credentials", {}, 404, "no tenant 'nope'"),
        ("POST", f"/tenants/{A}/credentials", {"role": "king"}, 400, "role: Must be one of"),
        ("POST", f"/tenants/{A}/credentials", {"scopes": ["everything"]}, 400, "scopes.0: Must be one of"),
        ("POST", f"/tenants/{A}/credentials", {"scopes": "all"}, 400, "scopes: Not a valid list"),
        ("POST", f"/tenants/{A}/credentials", {"xapi_version": "1.0.1"}, 400, "xapi_version"),
        ("POST", f"/tenants/{A}/credentials", {"role": "tenant_admin", "scopes": ["all"]}, 400, "no xAPI scopes"),
        ("POST", f"/tenants/{A}/credentials", {"secret": "mine"}, 400, "secret: Unknown field"),
        ("POST", f"/tenants/{A}/credentials", {"role": "operator"}, 400, "belongs to no tenant"),
        ("POST", "/operators/credentials", {"role": "client"}, 400, "role: Unknown field"),
        ("GET", "/credentials/nope", None, 404, "no credential 'nope'"),
        ("POST", "/credentials/nope/rotate", None, 404, "no credential 'nope'"),
        ("POST", "/credentials/nope/revoke", None, 404, "no credential 'nope'"),
        ("DELETE", f"/tenants/{A}", None, 405, ""),
    ],
)
def test_bad_requests_name_what_is_wrong(
    world: World, operator: AdminClient, method: str, path: str, body: Any, status: int, fragment: str
) -> None:
    before = len(_audit(operator))
    response = operator.call(method, path, body)
    assert response.status_code == status, response.get_json()
    error = response.get_json()
    assert set(error) == {"code", "status", "message", "errors"}
    assert error["code"] == status
    assert fragment in error["message"]
    assert len(_audit(operator)) == before  # nothing happened, nothing audited
    assert [t.slug for t in world.store.list_tenants()] == [A, B]


@pytest.mark.parametrize(
    ("data", "content_type", "fragment"),
    [
        ("{", "application/json", "not valid JSON"),
        ("slug=x", "application/x-www-form-urlencoded", "Content-Type must be application/json"),
        ('{"slug": "x"}', "text/plain", "Content-Type must be application/json"),
    ],
)
def test_bodies_must_be_json(world: World, operator: AdminClient, data: str, content_type: str, fragment: str) -> None:
    response = operator.post("/tenants", data=data, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert fragment in response.get_json()["message"]
    assert world.store.get_tenant("x") is None


# --- authentication and roles (C12, C13) --------------------------------------------------------------

ENDPOINTS: list[tuple[str, str, Any]] = [
    ("POST", "/tenants", {"slug": "zz"}),
    ("GET", "/tenants", None),
    ("GET", f"/tenants/{A}", None),
    ("PATCH", f"/tenants/{A}", {"name": "x"}),
    ("POST", f"/tenants/{A}/suspend", None),
    ("POST", f"/tenants/{A}/resume", None),
    ("POST", f"/tenants/{A}/credentials", {}),
    ("GET", f"/tenants/{A}/credentials", None),
    ("POST", "/operators/credentials", {}),
    ("GET", "/operators/credentials", None),
    ("GET", "/credentials/KEY", None),
    ("POST", "/credentials/KEY/rotate", None),
    ("POST", "/credentials/KEY/revoke", None),
    ("GET", "/audit", None),
]


def _ids(endpoint: tuple[str, str, Any]) -> str:
    return f"{endpoint[0]} {endpoint[1]}"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_ids)
def test_no_or_bad_credentials_are_401(world: World, endpoint: tuple[str, str, Any]) -> None:
    method, path, body = endpoint
    key = world.keys[A][0]
    path = path.replace("KEY", key)
    for authorization in (None, basic(key, "wrong"), basic("nobody", "x"), "Basic !!!", "Bearer abc"):
        response = AdminClient(world.app.test_client(), authorization).call(method, path, body)
        assert response.status_code == 401, (authorization, response.get_json())
        assert "WWW-Authenticate" in response.headers
    assert world.store.get_credential(key) is not None and world.store.get_credential(key).revoked_us is None  # type: ignore[union-attr]
    assert world.store.get_tenant("zz") is None


@pytest.mark.parametrize("role", ["client", "learner", "coordinator"])
def test_non_admin_roles_are_403_on_every_endpoint(world: World, role: str) -> None:
    """C13: an xAPI client (an LMS), a learner or a coordinator cannot administer anything."""
    issued = issue_credential(world.store, A, ["all"], f"{role}-a", role=role)
    caller = AdminClient(world.app.test_client(), basic(issued.key, issued.secret))
    for method, path, body in ENDPOINTS:
        response = caller.call(method, path.replace("KEY", world.keys[A][0]), body)
        assert response.status_code == 403, (method, path, response.get_json())
        assert response.get_json()["message"] == "this credential has no access to the admin API"
    assert world.store.get_tenant("zz") is None
    assert len(world.store.list_credentials(A)) == 2  # the LMS's and this one


def test_the_world_lms_credential_is_403(world: World) -> None:
    """C13 with the very credential the tenant's LMS uses: create tenant, create and list credentials."""
    lms = AdminClient(world.app.test_client(), world.a.authorization)
    assert lms.post("/tenants", {"slug": "mine"}).status_code == 403
    assert lms.post(f"/tenants/{A}/credentials", {"role": "tenant_admin"}).status_code == 403
    assert lms.get(f"/tenants/{A}/credentials").status_code == 403


@pytest.mark.parametrize("role", ["operator", "tenant_admin"])
def test_admin_credentials_cannot_use_xapi(world: World, role: str) -> None:
    admin = admin_as(world, role, "" if role == "operator" else A)
    caller = xapi_as(world, admin.key, admin.secret)
    assert caller.get().status_code == 403
    response = caller.post(make_statement())
    assert response.status_code == 403
    assert "cannot use the xAPI resources" in response.get_json()["message"]
    assert world.store.count_statements(A) == 0
    assert world.store.count_statements("") == 0


def test_tenant_admin_manages_only_its_own_tenant(world: World) -> None:
    admin = admin_as(world, "tenant_admin", A)
    # what it may do
    assert [t["slug"] for t in admin.get("/tenants").get_json()] == [A]
    assert admin.get(f"/tenants/{A}").status_code == 200
    issued = admin.post(f"/tenants/{A}/credentials", {"label": "moodle", "scopes": ["statements/write"]})
    assert issued.status_code == 201
    new = issued.get_json()
    assert new["tenant"] == A and new["role"] == "client" and new["scopes"] == ["statements/write"]
    assert xapi_as(world, new["key"], new["secret"]).post(make_statement()).status_code == 200
    keys = [c["key"] for c in admin.get(f"/tenants/{A}/credentials").get_json()]
    assert new["key"] in keys and world.keys[A][0] in keys
    assert admin.post(f"/tenants/{A}/credentials", {"role": "tenant_admin"}).status_code == 201
    assert admin.post(f"/credentials/{new['key']}/rotate").status_code == 200
    assert admin.post(f"/credentials/{new['key']}/revoke").status_code == 200
    # what it may not do
    forbidden = [
        ("POST", "/tenants", {"slug": "zz"}),
        ("PATCH", f"/tenants/{A}", {"name": "x"}),
        ("POST", f"/tenants/{A}/suspend", None),
        ("POST", f"/tenants/{B}/suspend", None),
        ("GET", f"/tenants/{B}", None),
        ("GET", f"/tenants/{B}/credentials", None),
        ("POST", f"/tenants/{B}/credentials", {}),
        ("GET", "/tenants/nope/credentials", None),  # 403 before 404: no probing of other slugs
        ("POST", "/operators/credentials", {}),
        ("GET", "/operators/credentials", None),
        ("GET", "/audit?tenant=" + B, None),
    ]
    for method, path, body in forbidden:
        assert admin.call(method, path, body).status_code == 403, (method, path)
    response = admin.post(f"/tenants/{A}/credentials", {"role": "operator"})
    assert response.status_code == 403 and "only a platform operator" in response.get_json()["message"]
    # another tenant's credential is as unknown as a missing one
    other = world.keys[B][0]
    for method, path in (("GET", ""), ("POST", "/rotate"), ("POST", "/revoke")):
        response = admin.call(method, f"/credentials/{other}{path}")
        assert response.status_code == 404
        assert response.get_json()["message"] == f"no credential '{other}'"
    assert world.b.get().status_code == 200
    assert world.store.get_tenant("zz") is None and world.store.get_tenant(A).status == "active"  # type: ignore[union-attr]


def test_tenant_admin_reads_only_its_tenants_audit_entries(world: World, operator: AdminClient) -> None:
    admin_a = admin_as(world, "tenant_admin", A)
    admin_b = admin_as(world, "tenant_admin", B)
    assert admin_a.post(f"/tenants/{A}/credentials", {}).status_code == 201
    assert admin_b.post(f"/tenants/{B}/credentials", {}).status_code == 201
    assert operator.post("/tenants", {"slug": "cc"}).status_code == 201
    seen_by_a = _audit(admin_a)
    assert [(e["action"], e["tenant"], e["actor"]["key"]) for e in seen_by_a] == [("credential.create", A, admin_a.key)]
    assert _audit(admin_a, tenant=A) == seen_by_a
    assert {e["tenant"] for e in _audit(operator)} == {A, B, "cc"}


def test_operator_credentials_through_the_api(world: World, operator: AdminClient) -> None:
    response = operator.post("/operators/credentials", {"label": "second operator"})
    assert response.status_code == 201
    second = response.get_json()
    assert second["tenant"] is None and second["role"] == "operator" and second["scopes"] == []
    listed = operator.get("/operators/credentials").get_json()
    assert [c["key"] for c in listed] == [operator.key, second["key"]]
    assert all(c["tenant"] is None for c in listed)
    other = AdminClient(world.app.test_client(), basic(second["key"], second["secret"]))
    assert other.get("/tenants").status_code == 200
    assert operator.post(f"/tenants/{A}/credentials", {"role": "tenant_admin"}).status_code == 201
    entry = _audit(operator, action="credential.create", limit=1)[0]
    assert entry["details"]["role"] == "tenant_admin" and entry["tenant"] == A


# --- rotation and revocation (B6) ---------------------------------------------------------------------


def test_rotation_and_revocation_take_effect_at_once(world: World, operator: AdminClient) -> None:
    key, old_secret = world.keys[A]
    assert world.a.get().status_code == 200  # the worker now remembers the verified secret
    rotated = operator.post(f"/credentials/{key}/rotate")
    assert rotated.status_code == 200
    body = rotated.get_json()
    assert body["key"] == key and body["secret"] != old_secret and body["tenant"] == A
    assert world.a.get().status_code == 401
    fresh = xapi_as(world, key, body["secret"])
    assert fresh.get().status_code == 200
    listed = {c["key"]: c for c in operator.get(f"/tenants/{A}/credentials").get_json()}
    assert listed[key]["rotated"] is not None and listed[key]["status"] == "active"

    revoked = operator.post(f"/credentials/{key}/revoke")
    assert revoked.status_code == 200
    assert revoked.get_json()["status"] == "revoked" and revoked.get_json()["revoked"] is not None
    assert fresh.get().status_code == 401
    assert (
        fresh.get().get_json() == world.anonymous.request("GET", headers={"Authorization": basic("x", "y")}).get_json()
    )
    assert operator.post(f"/credentials/{key}/revoke").status_code == 409
    assert operator.post(f"/credentials/{key}/rotate").status_code == 409
    actions = [e["action"] for e in _audit(operator, actor=operator.key)]
    assert actions == ["credential.revoke", "credential.rotate"]


def test_revoked_admin_credential_stops_at_once(world: World, operator: AdminClient) -> None:
    admin = admin_as(world, "tenant_admin", A)
    assert admin.get("/tenants").status_code == 200
    assert operator.post(f"/credentials/{admin.key}/revoke").status_code == 200
    assert admin.get("/tenants").status_code == 401


def test_two_workers_sharing_one_file_see_rotation_and_revocation_at_once(tmp_path: Path) -> None:
    """B6: two app instances on one SQLite file stand in for two gunicorn workers."""
    path = tmp_path / "shared.sqlite3"
    first_store, second_store = SQLiteStore(path), SQLiteStore(path)
    first = create_app(Settings(data_dir=tmp_path), store=first_store)
    second = create_app(Settings(data_dir=tmp_path), store=second_store)
    create_tenant(first_store, A)
    lms = issue_credential(first_store, A, ["all"], "lms")
    op = issue_credential(first_store, "", None, "ops", role="operator")
    headers = {"X-Experience-API-Version": "1.0.3"}

    def status(app: Any, key: str, secret: str) -> int:
        response = app.test_client().get("/xapi/statements", headers={**headers, "Authorization": basic(key, secret)})
        return int(response.status_code)

    assert status(first, lms.key, lms.secret) == 200
    assert status(second, lms.key, lms.secret) == 200  # both workers have verified it
    operator = AdminClient(first.test_client(), basic(op.key, op.secret))
    new_secret = operator.post(f"/credentials/{lms.key}/rotate").get_json()["secret"]
    assert status(second, lms.key, lms.secret) == 401
    assert status(first, lms.key, lms.secret) == 401
    assert status(second, lms.key, new_secret) == 200
    other_operator = AdminClient(second.test_client(), basic(op.key, op.secret))
    assert other_operator.post(f"/credentials/{lms.key}/revoke").status_code == 200
    assert status(first, lms.key, new_secret) == 401
    assert status(second, lms.key, new_secret) == 401
    suspended = other_operator.post(f"/tenants/{A}/suspend")
    assert suspended.status_code == 200
    again = issue_credential(first_store, A, ["all"], "lms2")
    assert status(first, again.key, again.secret) == 403
    first_store.close()
    second_store.close()


# --- audit queries ------------------------------------------------------------------------------------


def test_audit_filters(world: World, operator: AdminClient) -> None:
    for slug in ("t1", "t2", "t3"):
        assert operator.post("/tenants", {"slug": slug}).status_code == 201
    assert operator.post("/tenants/t2/suspend").status_code == 200
    everything = _audit(operator)
    assert [e["action"] for e in everything] == ["tenant.suspend", "tenant.create", "tenant.create", "tenant.create"]
    assert [e["target"] for e in _audit(operator, action="tenant.create")] == ["t3", "t2", "t1"]
    assert [e["target"] for e in _audit(operator, action="tenant.create", limit=2)] == ["t3", "t2"]
    assert _audit(operator, actor="someone-else") == []
    assert len(_audit(operator, actor=operator.key)) == 4
    oldest = everything[-1]["time"]
    assert [e["target"] for e in _audit(operator, since=oldest)] == [
        e["target"] for e in everything if e["time"] > oldest
    ]
    assert [e["target"] for e in _audit(operator, until=oldest)] == ["t1"]
    assert _audit(operator, since="2000-01-01T00:00:00Z", until="2000-01-02T00:00:00+07:00") == []


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("limit=0", "limit"),
        ("limit=ten", "limit: Not a valid integer"),
        ("since=yesterday", "since: must be an RFC 3339 timestamp"),
        ("until=2025-13-01T00:00:00Z", "until: must be an RFC 3339 timestamp"),
        ("since=2025-02-01T00:00:00Z&until=2025-01-01T00:00:00Z", "since must be earlier than until"),
        ("tenantt=a", "tenantt: Unknown field"),
    ],
)
def test_audit_bad_queries_are_400(world: World, operator: AdminClient, query: str, fragment: str) -> None:
    response = operator.get(f"/audit?{query}")
    assert response.status_code == 400
    assert fragment in response.get_json()["message"]


# --- secrets never leak (C15, N4) ---------------------------------------------------------------------


def test_no_secret_or_hash_in_responses_audit_or_logs(
    world: World, operator: AdminClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="lrs"):
        created = operator.post(f"/tenants/{A}/credentials", {"label": "moodle"}).get_json()
        rotated = operator.post(f"/credentials/{created['key']}/rotate").get_json()
        assert set(created) == {"key", "secret", "tenant", "role", "scopes", "label", "xapi_version"}
        responses = [
            operator.get(f"/tenants/{A}/credentials"),
            operator.get(f"/credentials/{created['key']}"),
            operator.get("/operators/credentials"),
            operator.get("/audit"),
            operator.post(f"/credentials/{created['key']}/revoke"),
        ]
    stored = world.store.get_credential(created["key"])
    assert stored is not None
    secrets = [created["secret"], rotated["secret"], operator.secret, world.keys[A][1]]
    forbidden = [*secrets, stored.secret_hash, "scrypt$", "secret_hash", '"_id"', "revoked_us", "created_us"]
    for response in responses:
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        for word in forbidden:
            assert word not in text, word
    credential = responses[1].get_json()
    assert set(credential) == {
        "key", "tenant", "role", "scopes", "label", "xapi_version", "status", "created", "rotated", "revoked",
    }  # fmt: skip
    logged = caplog.text
    assert "credential.rotate" in logged  # the audit line is there ...
    for word in [*secrets, stored.secret_hash, operator.authorization or "", "Basic "]:
        assert word not in logged, word  # ... without any secret or Authorization header
