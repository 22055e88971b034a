"""Catalogue A (versions and headers), D (statement validation) and K3/K4 (statement size and batches) over HTTP.

Every rejection is checked end to end: the status, a message naming the offending field, the version header, and
"nothing stored" (the tenant's count is unchanged and a GET by id is 404).  Cases already covered by
``test_protocol.py`` and ``test_statements_write.py`` are not repeated here.
"""

from __future__ import annotations

import copy
import io
import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from auth.credentials import issue_credential
from lrs.errors import StorageUnavailableError
from tests.api.conftest import World, XAPIClient, basic, make_world
from tests.factories import ACTIVITY, make_agent, make_statement

Statement = dict[str, Any]


@pytest.fixture(scope="module", params=["sqlite", "mongomock"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One LRS per adapter for the whole module (building one costs two scrypt hashes); tests use fresh ids
    and compare counts before and after instead of expecting an empty store."""
    instance = make_world(tmp_path_factory.mktemp("validation"), request.param)
    yield instance
    instance.store.close()


@pytest.fixture
def world(shared: World) -> Iterator[World]:
    yield shared
    for client in (shared.a, shared.b, shared.anonymous):
        client.version = "1.0.3"
    shared.anonymous.authorization = None


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """An LRS with a batch limit of 3 (error-path checks)."""
    instance = make_world(tmp_path_factory.mktemp("small"), max_batch=3)
    yield instance
    instance.store.close()


def count(world: World, tenant: str = "tenant-a") -> int:
    return world.store.count_statements(tenant)


def assert_not_stored(world: World, *statement_ids: str) -> None:
    for statement_id in statement_ids:
        assert world.a.get(statementId=statement_id).status_code == 404, statement_id
        assert world.a.get(voidedStatementId=statement_id).status_code == 404, statement_id


def assert_rejected(
    world: World, before: int, response: Any, fragment: str, *statement_ids: str, status: int = 400
) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == status, body
    assert fragment in response.get_json()["message"], body
    assert response.headers["X-Experience-API-Version"]
    assert count(world) == before
    assert_not_stored(world, *statement_ids)


# --- A. versions and headers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_a1_write_without_version_header_is_400_with_header_and_stores_nothing(world: World, method: str) -> None:
    before = count(world)
    statement = make_statement()
    world.a.version = None
    response = world.a.post(statement) if method == "POST" else world.a.put(statement, statement["id"])
    world.a.version = "1.0.3"
    assert response.status_code == 400
    assert "X-Experience-API-Version" in response.get_json()["message"]
    assert response.headers["X-Experience-API-Version"] == "2.0.0"  # the credential's default version
    assert count(world) == before
    assert_not_stored(world, statement["id"])


@pytest.mark.parametrize("client_version", ["1.0.3", "2.0.0"])
def test_a1_read_without_version_header_is_400_in_the_callers_version(world: World, client_version: str) -> None:
    world.a.post(make_statement())
    issued = issue_credential(world.store, "tenant-a", ["all"], "lms", xapi_version=client_version)
    client = XAPIClient(world.app.test_client(), basic(issued.key, issued.secret), version=None)
    response = client.get()
    assert response.status_code == 400
    assert "statements" not in response.get_json()
    assert response.headers["X-Experience-API-Version"] == client_version
    bad_header = client.get(headers={"X-Experience-API-Version": "1.1.0"})
    assert bad_header.status_code == 400
    assert bad_header.headers["X-Experience-API-Version"] == client_version


def test_a1_unauthenticated_request_without_version_header_gets_the_latest_version(world: World) -> None:
    anonymous = XAPIClient(world.app.test_client(), None, version=None)
    response = anonymous.get()
    assert response.status_code == 400
    assert response.headers["X-Experience-API-Version"] == "2.0.0"


@pytest.mark.parametrize("version", ["1.0.1", "1.0.2", "2.0.1", "2.0.17"])
def test_a2_patch_versions_are_accepted_for_writes(world: World, version: str) -> None:
    world.a.version = version
    statement = make_statement()
    response = world.a.post(statement)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["X-Experience-API-Version"] == ("2.0.0" if version.startswith("2.") else "1.0.3")
    assert world.a.get(statementId=statement["id"]).status_code == 200


@pytest.mark.parametrize(
    "version",
    ["1", "2", "1.1", "2.1", "2.00", "1.0.3.1", "v1.0.3", "1.0.x", "2.0.0-beta", "1.0.-1", "1.0.3;q=1"],
)
def test_a2_malformed_versions_are_400_and_store_nothing(world: World, version: str) -> None:
    """Anything other than 1.0 / 1.0.x / 2.0 / 2.0.x is refused."""
    before = count(world)
    world.a.version = version
    statement = make_statement()
    response = world.a.post(statement)
    world.a.version = "1.0.3"
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.headers["X-Experience-API-Version"]
    assert count(world) == before
    assert_not_stored(world, statement["id"])


def test_a3_about_ignores_credentials_and_version_and_lists_only_well_formed_versions(world: World) -> None:
    client = world.anonymous.client
    response = client.get("/xapi/about", headers={"Authorization": "Basic !!!", "X-Experience-API-Version": "9.9"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["X-Experience-API-Version"]
    body = response.get_json()
    assert set(body) <= {"version", "extensions"}
    assert isinstance(body["version"], list)
    assert {"1.0.3", "2.0.0"} <= set(body["version"])
    assert all(re.fullmatch(r"(1|2)\.0\.[0-9]+", v) for v in body["version"]), body["version"]
    assert isinstance(body.get("extensions", {}), dict)


def test_a3_about_head_and_unsupported_method(world: World) -> None:
    client = world.anonymous.client
    head = client.head("/xapi/about")
    assert head.status_code == 200
    assert head.get_data() == b""
    assert head.headers["X-Experience-API-Version"]
    post = client.post("/xapi/about", data="{}", headers={"Content-Type": "application/json"})
    assert post.status_code == 405
    assert post.headers["X-Experience-API-Version"]


def _conflict(world: World, version: str) -> Any:
    statement = make_statement()
    world.a.post(statement)
    return world.a.post({**statement, "verb": {"id": "http://ex.gov/verbs/other"}})


def _with_version(client: XAPIClient, version: str) -> XAPIClient:
    client.version = version
    return client


def _wrong_secret(world: World, version: str) -> Any:
    client = XAPIClient(world.app.test_client(), basic(world.keys["tenant-a"][0], "wrong"))
    return _with_version(client, version).get()


def _missing_scope(world: World, version: str) -> Any:
    return _with_version(world.client_for("tenant-a", ["statements/read"]), version).post(make_statement())


ERROR_PATHS: list[tuple[str, Callable[[World, str], Any], int]] = [
    ("400 bad parameter", lambda w, v: w.a.get(foo="1"), 400),
    ("400 invalid statement", lambda w, v: w.a.post(make_statement(verb={"id": "no scheme"})), 400),
    ("401 no credentials", lambda w, v: w.anonymous.get(), 401),
    ("401 wrong secret", _wrong_secret, 401),
    ("403 missing scope", _missing_scope, 403),
    ("404 unknown statement", lambda w, v: w.a.get(statementId=str(uuid.uuid4())), 404),
    ("404 unknown route", lambda w, v: w.a.request("GET", "/xapi/activities/nothing"), 404),
    ("405 method", lambda w, v: w.a.request("DELETE"), 405),
    ("409 conflict", _conflict, 409),
    ("413 batch", lambda w, v: w.a.post([make_statement() for _ in range(4)]), 413),
]


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
@pytest.mark.parametrize(("case", "call", "status"), ERROR_PATHS, ids=[row[0] for row in ERROR_PATHS])
def test_a4_every_error_path_carries_the_version_header(
    small: World, version: str, case: str, call: Callable[[World, str], Any], status: int
) -> None:
    for client in (small.a, small.b, small.anonymous):
        client.version = version
    try:
        before = count(small)
        response = call(small, version)
        assert response.status_code == status, (case, response.get_data(as_text=True))
        assert response.headers["X-Experience-API-Version"] == version
        assert response.get_json()["code"] == status
        assert count(small) == before + (1 if status == 409 else 0)
    finally:
        for client in (small.a, small.b, small.anonymous):
            client.version = "1.0.3"


def test_a4_body_too_large_carries_the_version_header(tmp_path: Path) -> None:
    small = make_world(tmp_path, max_body_bytes=1024)
    try:
        response = small.a.post(make_statement(result={"response": "x" * 2048}))
        assert response.status_code == 413
        assert response.headers["X-Experience-API-Version"] == "1.0.3"
        assert small.store.count_statements("tenant-a") == 0
    finally:
        small.store.close()


def test_a4_storage_unavailable_is_503_with_retry_after_and_version_header(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise StorageUnavailableError("the embedded database is busy; retry")

    monkeypatch.setattr(world.store, "insert_statements", down)
    monkeypatch.setattr(world.store, "query_statements", down)
    monkeypatch.setattr(world.store, "get_statement", down)
    before = count(world)
    statement = make_statement()
    for response in (
        world.a.post(statement),
        world.a.put(statement, statement["id"]),
        world.a.get(),
        world.a.get(statementId=statement["id"]),
    ):
        assert response.status_code == 503
        assert response.headers["Retry-After"].isdigit()
        assert response.headers["X-Experience-API-Version"] == "1.0.3"
        assert "X-Experience-API-Consistent-Through" in response.headers
    monkeypatch.undo()
    assert count(world) == before
    assert_not_stored(world, statement["id"])


def _alternate_put(world: World, statement: Statement, *, form_version: str | None, header_version: str | None) -> Any:
    key, secret = world.keys["tenant-a"]
    form = {"Authorization": basic(key, secret), "statementId": statement["id"], "content": json.dumps(statement)}
    if form_version is not None:
        form["X-Experience-API-Version"] = form_version
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if header_version is not None:
        headers["X-Experience-API-Version"] = header_version
    return world.anonymous.client.post("/xapi/statements?method=PUT", data=urlencode(form), headers=headers)


@pytest.mark.parametrize(
    ("form_version", "header_version"), [("2.0.0", None), (None, "2.0.0"), ("2.0", None), ("2.0.3", "2.0.3")]
)
def test_a5_alternate_request_syntax_put_under_2_0_is_refused_and_stores_nothing(
    world: World, form_version: str | None, header_version: str | None
) -> None:
    before = count(world)
    statement = make_statement()
    response = _alternate_put(world, statement, form_version=form_version, header_version=header_version)
    assert 400 <= response.status_code < 500
    assert response.headers["X-Experience-API-Version"]
    assert count(world) == before
    assert_not_stored(world, statement["id"])


@pytest.mark.parametrize("rules", ["1.0.3", "2.0.0"])
@pytest.mark.parametrize("version", ["1.1.0", "2.5.0", "3.0.0", "1.0.0.0", "1", "", "1.0.\u0663"])
def test_a6_unsupported_statement_version_is_400_and_stores_nothing(world: World, rules: str, version: str) -> None:
    before = count(world)
    world.a.version = rules
    statement = make_statement(version=version)
    response = world.a.post(statement)
    world.a.version = "1.0.3"
    assert_rejected(world, before, response, "statement.version", statement["id"])


def test_a6_statement_version_of_the_wrong_type_is_400(world: World) -> None:
    before = count(world)
    statement = make_statement()
    text = json.dumps(statement)[:-1] + ', "version": 1.0}'
    response = world.a.request("POST", data=text, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "version" in response.get_json()["message"]
    assert count(world) == before


@pytest.mark.parametrize(
    ("rules", "version"), [("1.0.3", "1.0"), ("1.0.3", "1.0.9"), ("2.0.0", "1.0.9"), ("2.0.0", "2.0.0")]
)
def test_a6_supported_statement_version_is_returned_unchanged(world: World, rules: str, version: str) -> None:
    world.a.version = rules
    statement = make_statement(version=version)
    batch = [statement, make_statement()]
    assert world.a.post(batch).status_code == 200
    assert world.a.get(statementId=statement["id"]).get_json()["version"] == version
    assert world.a.get(statementId=batch[1]["id"]).get_json()["version"] == ("2.0.0" if rules == "2.0.0" else "1.0.0")


# --- D. statement validation -------------------------------------------------------------------------------------


def _set(path: str, value: Any) -> Callable[[Statement], Statement]:
    """A transform putting ``value`` at a dotted ``path`` (creating objects on the way)."""

    def transform(statement: Statement) -> Statement:
        result = copy.deepcopy(statement)
        *parents, last = path.split(".")
        node = result
        for name in parents:
            node = node.setdefault(name, {})
        node[last] = value
        return result

    return transform


def _drop(name: str) -> Callable[[Statement], Statement]:
    def transform(statement: Statement) -> Statement:
        return {k: v for k, v in statement.items() if k != name}

    return transform


def _sub(**overrides: Any) -> dict[str, Any]:
    sub: dict[str, Any] = {
        "objectType": "SubStatement",
        "actor": make_agent("sub"),
        "verb": {"id": "http://ex.gov/verbs/plans"},
        "object": {"id": ACTIVITY},
    }
    sub.update(overrides)
    return sub


TWO_IFIS = {"objectType": "Agent", "mbox": "mailto:a@ex.gov", "openid": "http://ex.gov/openid/a"}
GROUP = {"objectType": "Group", "member": [make_agent("m1"), make_agent("m2")]}
INTERACTION = {"type": "http://adlnet.gov/expapi/activities/cmi.interaction"}

# (case id, transform, path fragment the message must name; "statement" + fragment for a single statement)
INVALID: list[tuple[str, Callable[[Statement], Statement], str]] = [
    # D1 required properties
    ("D1 missing actor", _drop("actor"), ".actor"),
    ("D1 missing verb", _drop("verb"), ".verb"),
    ("D1 missing object", _drop("object"), ".object"),
    ("D1 verb without id", _set("verb", {"display": {"en-US": "x"}}), ".verb.id"),
    ("D1 activity without id", _set("object", {"objectType": "Activity"}), ".object.id"),
    # D2 null outside extensions
    ("D2 result.success null", _set("result", {"success": None}), ".result.success"),
    ("D2 result null", _set("result", None), ".result"),
    ("D2 context null", _set("context", None), ".context"),
    ("D2 id null", _set("id", None), ".id"),
    ("D2 timestamp null", _set("timestamp", None), ".timestamp"),
    ("D2 stored null", _set("stored", None), ".stored"),
    ("D2 version null", _set("version", None), ".version"),
    ("D2 authority null", _set("authority", None), ".authority"),
    ("D2 attachments null", _set("attachments", None), ".attachments"),
    ("D2 actor.name null", _set("actor.name", None), ".actor.name"),
    ("D2 actor.objectType null", _set("actor.objectType", None), ".actor.objectType"),
    ("D2 verb.display value null", _set("verb.display", {"en-US": None}), ".verb.display"),
    ("D2 object.definition null", _set("object.definition", None), ".object.definition"),
    ("D2 definition.name null", _set("object.definition.name", None), ".object.definition.name"),
    ("D2 score.raw null", _set("result", {"score": {"raw": None}}), ".result.score.raw"),
    ("D2 registration null", _set("context", {"registration": None}), ".context.registration"),
    (
        "D2 contextActivities null",
        _set("context", {"contextActivities": {"parent": None}}),
        ".context.contextActivities.parent",
    ),
    ("D2 extensions map null", _set("result", {"extensions": None}), ".result.extensions"),
    # D3 wrong types
    ("D3 score.raw string", _set("result", {"score": {"raw": "1"}}), ".result.score.raw"),
    ("D3 score.raw boolean", _set("result", {"score": {"raw": True}}), ".result.score.raw"),
    ("D3 completion string", _set("result", {"completion": "true"}), ".result.completion"),
    ("D3 id number", _set("id", 123), ".id"),
    ("D3 verb.id number", _set("verb", {"id": 42}), ".verb.id"),
    ("D3 actor array", _set("actor", [make_agent()]), ".actor"),
    ("D3 object string", _set("object", ACTIVITY), ".object"),
    ("D3 response number", _set("result", {"response": 5}), ".result.response"),
    ("D3 timestamp number", _set("timestamp", 1714550400), ".timestamp"),
    ("D3 duration with non-ASCII digits", _set("result", {"duration": "PT\u0661\u0662S"}), ".result.duration"),
    ("D3 member object", _set("actor", {"objectType": "Group", "member": make_agent()}), ".actor.member"),
    # D4 key case and enum case
    ("D4 key Actor", _set("Actor", make_agent()), ".Actor"),
    ("D4 key Verb", _set("Verb", {"id": "http://ex.gov/v"}), ".Verb"),
    ("D4 actor objectType agent", _set("actor.objectType", "agent"), ".actor.objectType"),
    ("D4 object objectType activity", _set("object.objectType", "activity"), ".object.objectType"),
    (
        "D4 objectType statementref",
        _set("object", {"objectType": "statementRef", "id": str(uuid.uuid4())}),
        ".object.objectType",
    ),
    ("D4 group objectType group", _set("actor", {**GROUP, "objectType": "group"}), ".actor.objectType"),
    # D5 UUIDs
    ("D5 id not a uuid", _set("id", "not-a-uuid"), ".id"),
    ("D5 id variant 110x", _set("id", "3f2b1c4e-6a7d-4e8f-c123-456789abcdef"), ".id"),
    ("D5 id variant 0xxx", _set("id", "3f2b1c4e-6a7d-4e8f-7123-456789abcdef"), ".id"),
    ("D5 id without dashes", _set("id", "3f2b1c4e6a7d4e8f9123456789abcdef"), ".id"),
    ("D5 id with braces", _set("id", "{3f2b1c4e-6a7d-4e8f-9123-456789abcdef}"), ".id"),
    ("D5 id urn form", _set("id", "urn:uuid:3f2b1c4e-6a7d-4e8f-9123-456789abcdef"), ".id"),
    ("D5 registration not a uuid", _set("context", {"registration": "reg-1"}), ".context.registration"),
    ("D5 statement ref id", _set("object", {"objectType": "StatementRef", "id": "x"}), ".object.id"),
    # D6 IRIs, homePage, mbox
    ("D6 verb id without scheme", _set("verb", {"id": "should fail"}), ".verb.id"),
    ("D6 activity id without scheme", _set("object", {"id": "course/42"}), ".object.id"),
    (
        "D6 homePage without scheme",
        _set("actor", {"account": {"homePage": "example.gov/users", "name": "ayu"}}),
        ".actor.account.homePage",
    ),
    ("D6 mbox without mailto", _set("actor", {"mbox": "ayu@example.gov"}), ".actor.mbox"),
    ("D6 openid without scheme", _set("actor", {"openid": "ayu"}), ".actor.openid"),
    ("D6 activity type without scheme", _set("object.definition.type", "course"), ".object.definition.type"),
    ("D6 extension key without scheme", _set("result", {"extensions": {"score": 1}}), ".result.extensions"),
    # D7 agents and groups
    ("D7 agent with two IFIs", _set("actor", TWO_IFIS), ".actor"),
    ("D7 agent without IFI", _set("actor", {"objectType": "Agent", "name": "nobody"}), ".actor"),
    ("D7 identified group with two IFIs", _set("actor", {**TWO_IFIS, "objectType": "Group"}), ".actor"),
    ("D7 anonymous group without member", _set("actor", {"objectType": "Group", "name": "g"}), ".actor.member"),
    ("D7 anonymous group with no members", _set("actor", {"objectType": "Group", "member": []}), ".actor.member"),
    (
        "D7 group inside member",
        _set("actor", {"objectType": "Group", "member": [{**GROUP, "mbox": "mailto:g@ex.gov"}]}),
        ".actor.member[0]",
    ),
    ("D7 object agent with two IFIs", _set("object", TWO_IFIS), ".object"),
    # D8 language tags
    ("D8 tag en_US_", _set("verb.display", {"en_US_": "done"}), '.verb.display["en_US_"]'),
    ("D8 empty tag", _set("verb.display", {"": "done"}), '.verb.display[""]'),
    ("D8 tag with trailing dash", _set("object.definition.name", {"en-": "x"}), ".object.definition.name"),
    ("D8 context language", _set("context", {"language": "en_US"}), ".context.language"),
    # D10 timestamps
    ("D10 month 13", _set("timestamp", "2024-13-01T00:00:00Z"), ".timestamp"),
    ("D10 yesterday", _set("timestamp", "yesterday"), ".timestamp"),
    ("D10 negative zero offset", _set("timestamp", "2024-05-01T08:00:00-00:00"), ".timestamp"),
    ("D10 february 30", _set("timestamp", "2024-02-30T00:00:00Z"), ".timestamp"),
    ("D10 hour 25", _set("timestamp", "2024-05-01T25:00:00Z"), ".timestamp"),
    ("D10 date only", _set("timestamp", "2024-05-01"), ".timestamp"),
    ("D10 non-ASCII digits", _set("timestamp", "\u0662\u0660\u0662\u0664-05-01T08:00:00Z"), ".timestamp"),
    ("D10 bad stored", _set("stored", "2024-13-01T00:00:00Z"), ".stored"),
    ("D10 bad substatement timestamp", _set("object", _sub(timestamp="soon")), ".object.timestamp"),
    # D11 authority
    (
        "D11 authority identified group",
        _set("authority", {**GROUP, "mbox": "mailto:g@ex.gov"}),
        ".authority",
    ),
    (
        "D11 authority group of one",
        _set("authority", {"objectType": "Group", "member": [make_agent("app")]}),
        ".authority.member",
    ),
    (
        "D11 authority group of three",
        _set("authority", {"objectType": "Group", "member": [make_agent(f"m{i}") for i in range(3)]}),
        ".authority.member",
    ),
    # D12 unknown properties, including internal field names
    ("D12 top-level foo", _set("foo", 1), ".foo"),
    ("D12 verb extra", _set("verb.x", 1), ".verb.x"),
    ("D12 actor extra", _set("actor.role", "admin"), ".actor.role"),
    ("D12 result extra", _set("result", {"grade": "A"}), ".result.grade"),
    ("D12 context extra", _set("context", {"tenant": "tenant-b"}), ".context.tenant"),
    ("D12 definition extra", _set("object.definition.tenant_id", "tenant-b"), ".object.definition.tenant_id"),
    ("D12 tenant_id", _set("tenant_id", "tenant-b"), ".tenant_id"),
    ("D12 tenant", _set("tenant", "tenant-b"), ".tenant"),
    ("D12 _id", _set("_id", "x"), "._id"),
    ("D12 voided", _set("voided", False), ".voided"),
    ("D12 hash", _set("hash", "0" * 40), ".hash"),
    ("D12 seq", _set("seq", 1), ".seq"),
    ("D12 object _id", _set("object._id", "x"), ".object._id"),
    # D13 SubStatements
    ("D13 nested SubStatement", _set("object", _sub(object=_sub())), ".object.object.objectType"),
    ("D13 SubStatement id", _set("object", _sub(id=str(uuid.uuid4()))), ".object.id"),
    ("D13 SubStatement stored", _set("object", _sub(stored="2024-05-01T08:00:00Z")), ".object.stored"),
    ("D13 SubStatement version", _set("object", _sub(version="1.0.0")), ".object.version"),
    ("D13 SubStatement authority", _set("object", _sub(authority=make_agent("auth"))), ".object.authority"),
    # D14 interaction activities
    (
        "D14 unknown interactionType",
        _set("object.definition", {**INTERACTION, "interactionType": "essay"}),
        ".object.definition.interactionType",
    ),
    (
        "D14 interactionType case",
        _set("object.definition", {**INTERACTION, "interactionType": "Choice"}),
        ".object.definition.interactionType",
    ),
    (
        "D14 pattern is a string",
        _set("object.definition", {**INTERACTION, "interactionType": "fill-in", "correctResponsesPattern": "a"}),
        ".object.definition.correctResponsesPattern",
    ),
    (
        "D14 pattern of numbers",
        _set("object.definition", {**INTERACTION, "interactionType": "numeric", "correctResponsesPattern": [4]}),
        ".object.definition.correctResponsesPattern[0]",
    ),
    (
        "D14 pattern without interactionType",
        _set("object.definition", {**INTERACTION, "correctResponsesPattern": ["a"]}),
        ".object.definition.interactionType",
    ),
    (
        "D14 choices on true-false",
        _set(
            "object.definition",
            {**INTERACTION, "interactionType": "true-false", "choices": [{"id": "a", "description": {"en": "A"}}]},
        ),
        ".object.definition.choices",
    ),
]


@pytest.mark.parametrize(("case", "transform", "fragment"), INVALID, ids=[row[0] for row in INVALID])
def test_d_invalid_statement_alone_or_in_a_batch_is_400_naming_the_field_and_stores_nothing(
    world: World, case: str, transform: Callable[[Statement], Statement], fragment: str
) -> None:
    before = count(world)
    original = make_statement()
    statement = transform(original)
    assert statement != original
    assert_rejected(world, before, world.a.post(statement), "statement" + fragment, original["id"])
    valid = make_statement()
    batch = world.a.post([valid, transform(make_statement())])
    assert_rejected(world, before, batch, "statements[1]" + fragment, valid["id"])


@pytest.mark.parametrize(
    ("case", "transform"),
    [
        ("D6 mbox without mailto", _set("actor", {"mbox": "ayu@example.gov"})),
        ("D12 internal field", _set("tenant_id", "tenant-b")),
        ("D13 nested SubStatement", _set("object", _sub(object=_sub()))),
    ],
)
def test_d_invalid_statement_by_put_stores_nothing(
    world: World, case: str, transform: Callable[[Statement], Statement]
) -> None:
    before = count(world)
    statement = transform(make_statement())
    response = world.a.put(statement, statement["id"])
    assert response.status_code == 400, case
    assert count(world) == before
    assert_not_stored(world, statement["id"])


def test_d5_uppercase_id_by_put_is_stored_lowercase_and_found_in_either_case(world: World) -> None:
    before = count(world)
    statement_id = str(uuid.uuid4()).upper()
    statement = make_statement(id=statement_id)
    assert world.a.put(statement, statement_id).status_code == 204
    for asked in (statement_id, statement_id.lower()):
        response = world.a.get(statementId=asked)
        assert response.status_code == 200
        assert response.get_json()["id"] == statement_id.lower()
    assert world.a.put(statement, statement_id.lower()).status_code == 204
    assert count(world) == before + 1


def _duplicated(text: str, first: str, second: str) -> str:
    assert first in text
    return text.replace(first, first + ", " + second, 1)


@pytest.mark.parametrize("case", ["actor mbox", "verb display", "extension value", "extensions map", "same id twice"])
def test_d9_duplicate_keys_anywhere_are_400(world: World, case: str) -> None:
    before = count(world)
    statement = make_statement(result={"extensions": {"http://ex.gov/e": {"k": 1}}})
    text = json.dumps(statement)
    if case == "actor mbox":
        text = _duplicated(text, '"mbox": "mailto:ayu@example.gov"', '"mbox": "mailto:other@example.gov"')
    elif case == "verb display":
        text = _duplicated(text, '"en-US": "completed"', '"en-US": "done"')
    elif case == "extension value":
        text = _duplicated(text, '"k": 1', '"k": 2')
    elif case == "extensions map":
        text = _duplicated(text, '"http://ex.gov/e": {"k": 1}', '"http://ex.gov/e": {"k": 1}')
    else:
        text = _duplicated(text, f'"id": "{statement["id"]}"', f'"id": "{statement["id"]}"')
    batch = "[" + json.dumps(make_statement()) + ", " + text + "]"
    for body in (text, batch):
        response = world.a.request("POST", data=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, case
        assert "duplicate key" in response.get_json()["message"]
    assert count(world) == before
    assert_not_stored(world, statement["id"])


def test_d10_future_timestamp_is_accepted_and_returned_as_the_same_instant_in_utc(world: World) -> None:
    statement = make_statement(timestamp="2999-12-31T23:59:59.123+07:00")
    assert world.a.post(statement).status_code == 200
    assert world.a.get(statementId=statement["id"]).get_json()["timestamp"] == "2999-12-31T16:59:59.123Z"


@pytest.mark.parametrize(
    "timestamp", ["2024-05-01T08:00:00", "2024-05-01T08:00:00-00:00", "2024-05-01T08:00:00-0000", "2024-05-01T08:00-00"]
)
def test_d10_under_2_0_a_timestamp_needs_a_zone_and_no_negative_zero(world: World, timestamp: str) -> None:
    before = count(world)
    world.a.version = "2.0.0"
    statement = make_statement(timestamp=timestamp)
    response = world.a.post(statement)
    world.a.version = "1.0.3"
    assert_rejected(world, before, response, "statement.timestamp", statement["id"])


def test_d11_authority_of_two_agents_is_accepted_and_replaced_by_the_credential(world: World) -> None:
    forged = {"objectType": "Group", "member": [make_agent("app"), make_agent("user")]}
    statement = make_statement(authority=forged)
    assert world.a.post(statement).status_code == 200
    authority = world.a.get(statementId=statement["id"]).get_json()["authority"]
    assert authority["account"]["name"] == world.keys["tenant-a"][0]
    assert "member" not in authority


@pytest.mark.parametrize("where", ["result", "context", "definition"])
def test_d12_extensions_with_null_empty_string_and_empty_object_are_accepted(world: World, where: str) -> None:
    extensions = {"http://ex.gov/ext/null": None, "http://ex.gov/ext/empty": "", "http://ex.gov/ext/obj": {}}
    if where == "result":
        statement = make_statement(result={"extensions": extensions})
    elif where == "context":
        statement = make_statement(context={"extensions": extensions})
    else:
        statement = make_statement(object={"id": "http://ex.gov/a/ext", "definition": {"extensions": extensions}})
    response = world.a.post(statement)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = world.a.get(statementId=statement["id"]).get_json()
    stored = {
        "result": lambda b: b["result"]["extensions"],
        "context": lambda b: b["context"]["extensions"],
        "definition": lambda b: b["object"]["definition"]["extensions"],
    }[where](body)
    assert stored == extensions
    assert "tenant_id" not in body and "_id" not in body and "voided" not in body


@pytest.mark.parametrize(
    ("case", "content_type", "method"),
    [
        ("missing Content-Type", None, "POST"),
        ("application/xml", "application/xml", "POST"),
        ("form without method", "application/x-www-form-urlencoded", "POST"),
        ("text/plain by PUT", "text/plain", "PUT"),
        ("json-ish media type", "application/jsonx", "POST"),
    ],
)
def test_d15_wrong_content_type_with_a_json_body_is_400(
    world: World, case: str, content_type: str | None, method: str
) -> None:
    before = count(world)
    statement = make_statement()
    headers = {"Content-Type": content_type} if content_type else {}
    query = {"statementId": statement["id"]} if method == "PUT" else None
    response = world.a.request(method, data=json.dumps(statement), headers=headers, query_string=query)
    assert response.status_code == 400, case
    assert "Content-Type" in response.get_json()["message"]
    assert count(world) == before
    assert_not_stored(world, statement["id"])


def test_d15_json_content_type_with_charset_parameter_is_accepted(world: World) -> None:
    before = count(world)
    statement = make_statement()
    response = world.a.request(
        "POST", data=json.dumps(statement), headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 200
    assert count(world) == before + 1


@pytest.mark.parametrize("raw", [0.1234567, 1e-07, 123456.789, -0.5000001, 99.99999])
def test_d16_score_numbers_keep_at_least_binary32_precision(world: World, raw: float) -> None:
    score = {"raw": raw, "min": -1e6, "max": 1e6}
    registration = str(uuid.uuid4())
    statement = make_statement(
        result={"score": score, "extensions": {"http://ex.gov/ext/n": raw}}, context={"registration": registration}
    )
    assert world.a.post(statement).status_code == 200
    single = world.a.get(statementId=statement["id"]).get_json()
    (listed,) = world.a.get(registration=registration).get_json()["statements"]
    canonical = world.a.get(statementId=statement["id"], format="canonical").get_json()
    for body in (single, listed, canonical):
        returned = body["result"]["score"]["raw"]
        assert abs(returned - raw) <= abs(raw) * 2**-23, (returned, raw)
        assert body["result"]["extensions"]["http://ex.gov/ext/n"] == raw


def test_d16_duration_beyond_hundredths_is_accepted(world: World) -> None:
    statement = make_statement(result={"duration": "PT1.2345S"})
    assert world.a.post(statement).status_code == 200
    assert world.a.get(statementId=statement["id"]).get_json()["result"]["duration"] in ("PT1.2345S", "PT1.23S")


# --- K3/K4: statement and batch size -----------------------------------------------------------------------------


def test_k2_chunked_body_over_the_limit_is_413_and_under_it_is_accepted(tmp_path: Path) -> None:
    small = make_world(tmp_path, max_body_bytes=2048)
    try:

        def chunked(body: bytes) -> Any:
            headers = {
                "Content-Type": "application/json",
                "X-Experience-API-Version": "1.0.3",
                "Authorization": small.a.authorization,
            }
            return small.a.client.open(
                "/xapi/statements",
                method="POST",
                input_stream=io.BytesIO(body),
                headers=headers,
                environ_overrides={"wsgi.input_terminated": True},
            )

        big = make_statement(result={"response": "x" * 4096})
        response = chunked(json.dumps(big).encode())
        assert response.status_code == 413
        assert small.store.count_statements("tenant-a") == 0
        assert small.a.get(statementId=big["id"]).status_code == 404
        fitting = make_statement()
        assert chunked(json.dumps(fitting).encode()).status_code == 200
        assert small.a.get(statementId=fitting["id"]).status_code == 200
    finally:
        small.store.close()


def test_k3_batch_over_the_limit_is_413_and_stores_nothing(tmp_path: Path) -> None:
    limited = make_world(tmp_path, max_batch=5)
    try:
        batch = [make_statement() for _ in range(6)]
        response = limited.a.post(batch)
        assert response.status_code == 413
        assert "5" in response.get_json()["message"]
        assert limited.store.count_statements("tenant-a") == 0
        assert all(limited.a.get(statementId=s["id"]).status_code == 404 for s in batch)
        assert limited.a.post(batch[:5]).status_code == 200
        assert limited.store.count_statements("tenant-a") == 5
    finally:
        limited.store.close()


def test_k4_huge_verb_display_above_the_body_cap_is_413(tmp_path: Path) -> None:
    capped = make_world(tmp_path, max_body_bytes=512 * 1024)
    try:
        statement = make_statement(verb={"id": "http://ex.gov/verbs/long", "display": {"en": "x" * (1024 * 1024)}})
        response = capped.a.post(statement)
        assert response.status_code == 413
        assert capped.store.count_statements("tenant-a") == 0
        assert capped.a.get(statementId=statement["id"]).status_code == 404
    finally:
        capped.store.close()


def test_k4_very_long_iri_is_stored_and_found_exactly(world: World) -> None:
    long_iri = "http://ex.gov/activities/" + "a" * 100_000
    statement = make_statement(object={"id": long_iri})
    assert world.a.post(statement).status_code == 200
    assert world.a.get(statementId=statement["id"]).get_json()["object"]["id"] == long_iri
    found = world.a.get(activity=long_iri).get_json()["statements"]
    assert [s["id"] for s in found] == [statement["id"]]
    assert world.a.get(activity=long_iri[:-1]).get_json()["statements"] == []
