"""Catalogue C12: every scope x every resource x every method, on both storage adapters (and C14 for read/mine).

The expected statuses come from the documented rules of the views: ``api/activities.py`` (any scope but
``statements/write`` alone), ``api/agents.py`` (``all``, ``all/read``, ``statements/read``),
``api/documents.py`` with ``auth/principal.py`` (a document resource is read with its own scope, ``state`` or
``profile``, or ``all/read``; written with its own scope only), and ``auth/principal.py`` for statements
(written with ``statements/write``; read with ``statements/read``, or ``statements/read/mine`` restricted to the
caller's own authority).  ``all`` implies every scope; ``all/read`` and ``statements/read`` imply read/mine.

A 403 changes nothing: the statement count, every document's bytes, Content-Type and ETag, and the id lists are
compared before and after each refused request.  Bad credentials are 401 on every resource and method.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from werkzeug.test import TestResponse

from auth.scopes import KNOWN_SCOPES
from lrs.documents import ACTIVITY_PROFILE as ACTIVITY_PROFILE_KIND
from lrs.documents import AGENT_PROFILE as AGENT_PROFILE_KIND
from lrs.documents import STATE as STATE_KIND
from tests.api.conftest import World, XAPIClient, basic, make_world
from tests.factories import make_statement
from validators.document_params import parse_document_params

ACT = "http://ex.gov/activities/scoped"
AGENT = json.dumps({"mbox": "mailto:scoped@ex.gov"})
DOCUMENT_RESOURCES = {
    "state": ("/xapi/activities/state", STATE_KIND, {"activityId": ACT, "agent": AGENT}, "stateId"),
    "activity profile": ("/xapi/activities/profile", ACTIVITY_PROFILE_KIND, {"activityId": ACT}, "profileId"),
    "agent profile": ("/xapi/agents/profile", AGENT_PROFILE_KIND, {"agent": AGENT}, "profileId"),
}
BASELINE = {"baseline": True}

# fmt: off
# The expectation table.  Columns follow auth.scopes.KNOWN_SCOPES:
#   statements/write, statements/read/mine, statements/read, state, define, profile, all/read, all
# "GET list" is a document GET without the id (the id list); "DELETE list" the State DELETE of a whole context.
MATRIX: list[tuple[str, str, tuple[int, ...]]] = [
    ("statements", "GET",                  (403, 200, 200, 403, 403, 403, 200, 200)),
    ("statements", "HEAD",                 (403, 200, 200, 403, 403, 403, 200, 200)),
    ("statements", "PUT",                  (204, 403, 403, 403, 403, 403, 403, 204)),
    ("statements", "POST",                 (200, 403, 403, 403, 403, 403, 403, 200)),
    ("state", "GET",                       (403, 403, 403, 200, 403, 403, 200, 200)),
    ("state", "HEAD",                      (403, 403, 403, 200, 403, 403, 200, 200)),
    ("state", "GET list",                  (403, 403, 403, 200, 403, 403, 200, 200)),
    ("state", "PUT",                       (403, 403, 403, 204, 403, 403, 403, 204)),
    ("state", "POST",                      (403, 403, 403, 204, 403, 403, 403, 204)),
    ("state", "DELETE",                    (403, 403, 403, 204, 403, 403, 403, 204)),
    ("state", "DELETE list",               (403, 403, 403, 204, 403, 403, 403, 204)),
    ("activity profile", "GET",            (403, 403, 403, 403, 403, 200, 200, 200)),
    ("activity profile", "HEAD",           (403, 403, 403, 403, 403, 200, 200, 200)),
    ("activity profile", "GET list",       (403, 403, 403, 403, 403, 200, 200, 200)),
    ("activity profile", "PUT",            (403, 403, 403, 403, 403, 204, 403, 204)),
    ("activity profile", "POST",           (403, 403, 403, 403, 403, 204, 403, 204)),
    ("activity profile", "DELETE",         (403, 403, 403, 403, 403, 204, 403, 204)),
    ("agent profile", "GET",               (403, 403, 403, 403, 403, 200, 200, 200)),
    ("agent profile", "HEAD",              (403, 403, 403, 403, 403, 200, 200, 200)),
    ("agent profile", "GET list",          (403, 403, 403, 403, 403, 200, 200, 200)),
    ("agent profile", "PUT",               (403, 403, 403, 403, 403, 204, 403, 204)),
    ("agent profile", "POST",              (403, 403, 403, 403, 403, 204, 403, 204)),
    ("agent profile", "DELETE",            (403, 403, 403, 403, 403, 204, 403, 204)),
    # any scope but statements/write alone (api/activities.py): canonical definitions describe content, not people,
    # so read/mine, state and profile may read them too
    ("activities", "GET",                  (403, 200, 200, 200, 200, 200, 200, 200)),
    ("activities", "HEAD",                 (403, 200, 200, 200, 200, 200, 200, 200)),
    # all, all/read, statements/read (api/agents.py): a Person is built from statements, so only full readers
    ("agents", "GET",                      (403, 403, 200, 403, 403, 403, 200, 200)),
    ("agents", "HEAD",                     (403, 403, 200, 403, 403, 403, 200, 200)),
    ("about", "GET",                       (200, 200, 200, 200, 200, 200, 200, 200)),
    ("about", "HEAD",                      (200, 200, 200, 200, 200, 200, 200, 200)),
]
# fmt: on
SCOPE_ORDER = (
    "statements/write",
    "statements/read/mine",
    "statements/read",
    "state",
    "define",
    "profile",
    "all/read",
    "all",
)


def test_the_table_covers_every_known_scope_in_order() -> None:
    assert SCOPE_ORDER == KNOWN_SCOPES


# --- requests ----------------------------------------------------------------------------------------------------


def _document_params(resource: str, listing: bool) -> dict[str, str]:
    _, _, context, id_name = DOCUMENT_RESOURCES[resource]
    return dict(context) if listing else {**context, id_name: "doc"}


def _stored_document(world: World, resource: str) -> tuple[bytes, str, str] | None:
    kind = DOCUMENT_RESOURCES[resource][1]
    parsed = parse_document_params(kind, "GET", _document_params(resource, False).items())
    found = world.store.get_document("tenant-a", parsed.context, "doc")
    return None if found is None else (found.content, found.content_type, found.etag)


def _listed(world: World, resource: str) -> list[str]:
    _, kind, context, _ = DOCUMENT_RESOURCES[resource]
    parsed = parse_document_params(kind, "GET", context.items())
    return [d.document_id for d in world.store.list_documents("tenant-a", parsed.context)]


def tenant_state(world: World) -> list[Any]:
    """What a refused request must leave unchanged: statements, documents (bytes, type, ETag) and id lists."""
    state: list[Any] = [world.store.count_statements("tenant-a"), world.store.count_statements("tenant-b")]
    for resource in DOCUMENT_RESOURCES:
        state += [_stored_document(world, resource), _listed(world, resource)]
    return state


def reset_documents(world: World) -> None:
    """Every document resource holds exactly the baseline document of tenant A (written by an ``all`` client)."""
    for resource, (path, _, _, _) in DOCUMENT_RESOURCES.items():
        current = _stored_document(world, resource)
        if current is not None and json.loads(current[0]) == BASELINE and _listed(world, resource) == ["doc"]:
            continue
        precondition = {"If-None-Match": "*"} if current is None else {"If-Match": f'"{current[2]}"'}
        response = world.a.request(
            "PUT", path, query_string=_document_params(resource, False), json=BASELINE, headers=precondition
        )
        assert response.status_code == 204, response.get_data(as_text=True)


def build_request(world: World, resource: str, method: str) -> tuple[str, str, dict[str, str], bytes | None, dict]:
    """(HTTP method, path, query parameters, body, headers) of one matrix case."""
    if resource == "statements":
        statement = make_statement()
        if method == "PUT":
            return "PUT", "/xapi/statements", {"statementId": statement["id"]}, json.dumps(statement).encode(), {}
        if method == "POST":
            return "POST", "/xapi/statements", {}, json.dumps(statement).encode(), {}
        return method, "/xapi/statements", {}, None, {}
    if resource == "activities":
        return method, "/xapi/activities", {"activityId": ACT}, None, {}
    if resource == "agents":
        return method, "/xapi/agents", {"agent": AGENT}, None, {}
    if resource == "about":
        return method, "/xapi/about", {}, None, {}
    path = DOCUMENT_RESOURCES[resource][0]
    http_method, _, listing = method.partition(" ")
    params = _document_params(resource, bool(listing))
    current = _stored_document(world, resource)
    assert current is not None
    if http_method == "PUT":
        return "PUT", path, params, b'{"replaced": true}', {"If-Match": f'"{current[2]}"'}
    if http_method == "POST":
        return "POST", path, params, b'{"merged": true}', {}
    return http_method, path, params, None, {}


def send_plain(client: XAPIClient, method: str, path: str, params: dict, body: bytes | None, headers: dict) -> Any:
    if body is not None:
        headers = {**headers, "Content-Type": "application/json"}
    return client.request(method, path, query_string=params, data=body, headers=headers)


def send_alternate(client: XAPIClient, method: str, path: str, params: dict, body: bytes | None, headers: dict) -> Any:
    """The same request in the 1.0.x Alternate Request Syntax: a POST whose form carries everything."""
    form = {**params, **headers, "X-Experience-API-Version": "1.0.3", "Authorization": client.authorization or ""}
    if body is not None:
        form["content"] = body.decode()
    return client.client.post(
        path, query_string={"method": method}, data=urlencode(form), content_type="application/x-www-form-urlencoded"
    )


SENDERS: dict[str, Callable[..., TestResponse]] = {"plain": send_plain, "alternate": send_alternate}


# --- the matrix (one test per row: every scope against one resource and method) ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "mongomock"])
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world per adapter for the whole matrix (issuing credentials hashes secrets: slow).  Tenant A holds
    statements of its ``all`` credential and one document per document resource; tenant B holds one statement,
    so a refused write would show in either tenant."""
    world = make_world(tmp_path_factory.mktemp("scopes"), request.param)
    assert world.a.post(make_statement()).status_code == 200
    assert world.b.post(make_statement()).status_code == 200
    reset_documents(world)
    yield world
    world.store.close()


def clients(world: World) -> dict[str, XAPIClient]:
    """One credential of tenant A per scope, issued once per world (issuing hashes a secret: slow)."""
    cache: dict[str, XAPIClient] = world.app.extensions.setdefault("scope-matrix-clients", {})
    if not cache:
        cache.update({scope: world.client_for("tenant-a", [scope]) for scope in SCOPE_ORDER})
    return cache


def _check_row(world: World, resource: str, method: str, statuses: tuple[int, ...], syntax: str) -> None:
    """Every scope on one resource and method; the documents are reset after each allowed write."""
    for scope, expected in zip(SCOPE_ORDER, statuses, strict=True):
        reset_documents(world)
        client = clients(world)[scope]
        before = tenant_state(world)
        http_method, path, params, body, headers = build_request(world, resource, method)
        response = SENDERS[syntax](client, http_method, path, params, body, headers)
        assert response.status_code == expected, (scope, response.get_data(as_text=True))
        if expected == 403:
            assert tenant_state(world) == before, scope
            if http_method != "HEAD":
                assert response.get_json()["code"] == 403
                assert "scope" in response.get_json()["message"], scope
        elif resource == "statements" and http_method == "GET":
            # C14: read/mine sees only what its own authority stored (it never writes); full readers see everything
            count = len(response.get_json()["statements"])
            assert count == (0 if scope == "statements/read/mine" else world.store.count_statements("tenant-a"))


ROWS = [pytest.param(resource, method, statuses, id=f"{resource}-{method}") for resource, method, statuses in MATRIX]


@pytest.mark.parametrize(("resource", "method", "statuses"), ROWS)
def test_c12_scope_matrix(seeded: World, resource: str, method: str, statuses: tuple[int, ...]) -> None:
    _check_row(seeded, resource, method, statuses, "plain")


@pytest.mark.parametrize(
    ("resource", "method", "statuses"),
    [row for row in ROWS if row.values[0] != "about" and row.values[1] != "HEAD"],
)
def test_c12_scope_matrix_holds_for_the_effective_method_of_the_alternate_syntax(
    seeded: World, resource: str, method: str, statuses: tuple[int, ...]
) -> None:
    """A scope is checked against the method the request stands for, not the POST that carries it."""
    _check_row(seeded, resource, method, statuses, "alternate")


def test_c12_bad_credentials_are_401_on_every_resource_and_method_and_change_nothing(seeded: World) -> None:
    key, _ = seeded.keys["tenant-a"]
    authorizations = {
        "wrong secret": basic(key, "wrong"),
        "unknown key": basic("no-such-key", "x"),
        "malformed": "Basic %%%",
    }
    before = tenant_state(seeded)
    for number, (resource, method, _) in enumerate(MATRIX):
        if resource == "about":
            continue
        for name, authorization in authorizations.items():
            # each attempt from its own address, so the failed-login throttle (B13, 429) stays out of the way
            client = XAPIClient(seeded.app.test_client(), authorization)
            client.client.environ_base["REMOTE_ADDR"] = f"10.0.{number}.{len(name)}"
            http_method, path, params, body, headers = build_request(seeded, resource, method)
            response = send_plain(client, http_method, path, params, body, headers)
            assert response.status_code == 401, (resource, method, name)
    assert tenant_state(seeded) == before


def test_c14_read_mine_sees_exactly_the_statements_of_its_own_authority(world: World) -> None:
    mine = world.client_for("tenant-a", ["statements/read/mine", "statements/write"])
    reader = world.client_for("tenant-a", ["statements/read"])
    own = [make_statement() for _ in range(3)]
    assert mine.post(own).status_code == 200
    assert world.a.post([make_statement() for _ in range(2)]).status_code == 200
    assert world.b.post(make_statement()).status_code == 200
    seen = [s["id"] for s in mine.get(ascending="true").get_json()["statements"]]
    assert seen == [s["id"] for s in own]
    assert len(reader.get().get_json()["statements"]) == 5
    for statement_id in [s["id"] for s in world.a.get().get_json()["statements"]]:
        expected = 200 if statement_id in seen else 404
        assert mine.get(statementId=statement_id).status_code == expected
        assert mine.request("HEAD", query_string={"statementId": statement_id}).status_code == expected
    # paging keeps the restriction
    page = mine.get(limit="1").get_json()
    pages = [page["statements"]]
    while page["more"]:
        page = mine.get_more(page["more"]).get_json()
        pages.append(page["statements"])
    assert sorted(s["id"] for p in pages for s in p) == sorted(seen)
    assert world.client_for("tenant-a", ["statements/read/mine"]).get().get_json()["statements"] == []
