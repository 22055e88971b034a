"""Catalogue J (injection, parser robustness) and K1/K2 (body size) on every resource, not only Statements.

Never a 5xx; operator-shaped values are a 400 or matched literally; a JSON document is strict JSON (J4-J8), a
binary one is stored byte for byte; a repeated parameter is a 400 (J10); an oversized body is a 413 with or
without Content-Length (K1, K2); and nothing is stored by a refused request.  The Statement resource's own J
cases live in ``test_catalogue_injection.py``, its K2 and K3 in ``test_catalogue_validation.py``; the State
``stateId`` literal case (J2) and one invalid ``agent`` (H12) in ``test_documents.py``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from werkzeug.test import TestResponse

from tests.api.conftest import World, XAPIClient, make_world
from tests.api.test_documents import create, send
from tests.factories import make_statement

STATE = "/xapi/activities/state"
ACTIVITY_PROFILE = "/xapi/activities/profile"
AGENT_PROFILE = "/xapi/agents/profile"
DOCUMENTS = (STATE, ACTIVITY_PROFILE, AGENT_PROFILE)
ACT = "http://ex.gov/activities/j"
AGENT = json.dumps({"mbox": "mailto:j@ex.gov"})
CONTEXT = {
    STATE: {"activityId": ACT, "agent": AGENT},
    ACTIVITY_PROFILE: {"activityId": ACT},
    AGENT_PROFILE: {"agent": AGENT},
}
ID_NAME = {STATE: "stateId", ACTIVITY_PROFILE: "profileId", AGENT_PROFILE: "profileId"}


@pytest.fixture(scope="module", params=["sqlite", "mongomock"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    instance = make_world(tmp_path_factory.mktemp("resources"), request.param)
    yield instance
    instance.store.close()


def params(path: str, document_id: str | None, **overrides: str) -> dict[str, str]:
    found = dict(CONTEXT[path])
    if document_id is not None:
        found[ID_NAME[path]] = document_id
    found.update(overrides)
    return found


def raw(client: XAPIClient, method: str, path: str, query: dict[str, str], body: bytes, content_type: str) -> Any:
    return client.request(method, path, query_string=query, data=body, headers={"Content-Type": content_type})


def ensure(client: XAPIClient, path: str, query: dict[str, str], body: Any) -> None:
    """The document exists (created now, or by an earlier test on the shared world)."""
    assert send(client, "PUT", path, query, body, If_None_Match="*").status_code in (204, 412)


def strict_json(data: bytes) -> Any:
    def refuse(name: str) -> Any:
        raise AssertionError(f"the LRS emitted {name}, which is not JSON")

    return json.loads(data.decode("utf-8"), parse_constant=refuse)


# --- J1: operator-shaped agent, activityId, registration, since on every resource ----------------------------------

OPERATOR_AGENTS = [
    '{"$where": "1"}',
    '{"mbox": {"$ne": null}}',
    '{"mbox": "mailto:j@ex.gov", "$where": "1"}',
    '{"account": {"homePage": {"$ne": null}, "name": "x"}}',
    '{"account": {"homePage": "https://lms.gov", "name": {"$regex": ".*"}}}',
    '{"mbox_sha1sum": {"$exists": true}}',
    '{"objectType": "Group", "member": [{"$where": "1"}]}',
]
OPERATOR_IRIS = ['{"$ne": null}', '{"$gt": ""}', "$where", ".*", '{"$regex": "^http"}']


def _every_method(world: World, path: str, query: dict[str, str]) -> list[TestResponse]:
    out = []
    for method in ("GET", "HEAD", "PUT", "POST", "DELETE"):
        body = {"v": 1} if method in ("PUT", "POST") else None
        extra = {"If_None_Match": "*"} if method == "PUT" else {}
        out.append(send(world.a, method, path, query, body, **extra))
    return out


@pytest.mark.parametrize("agent", OPERATOR_AGENTS)
@pytest.mark.parametrize("path", [STATE, AGENT_PROFILE, "/xapi/agents"])
def test_j1_operator_shaped_agent_is_400_on_every_resource_and_method(shared: World, path: str, agent: str) -> None:
    if path == "/xapi/agents":
        for method in ("GET", "HEAD"):
            response = shared.a.request(method, path, query_string={"agent": agent})
            assert response.status_code == 400, method
        return
    ensure(shared.a, path, params(path, "real"), {"real": True})
    for with_id in (True, False):
        query = params(path, "real" if with_id else None, agent=agent)
        for response in _every_method(shared, path, query):
            assert response.status_code == 400, (response.request.method, with_id, response.get_data())
            if with_id and response.request.method != "HEAD":
                assert "agent" in response.get_json()["message"]
    assert send(shared.a, "GET", path, params(path, None)).get_json() == ["real"]


@pytest.mark.parametrize("activity_id", OPERATOR_IRIS)
@pytest.mark.parametrize("path", [STATE, ACTIVITY_PROFILE, "/xapi/activities"])
def test_j1_operator_shaped_activity_id_is_400_on_every_resource_and_method(
    shared: World, path: str, activity_id: str
) -> None:
    if path == "/xapi/activities":
        for method in ("GET", "HEAD"):
            assert shared.a.request(method, path, query_string={"activityId": activity_id}).status_code == 400
        return
    for with_id in (True, False):
        for response in _every_method(shared, path, params(path, "x" if with_id else None, activityId=activity_id)):
            assert response.status_code == 400, (response.request.method, with_id)
            if with_id and response.request.method != "HEAD":
                assert "activityId" in response.get_json()["message"]
    assert send(shared.a, "GET", path, params(path, "x")).status_code == 404


@pytest.mark.parametrize("path", [STATE, ACTIVITY_PROFILE, "/xapi/activities"])
def test_j1_dollar_and_dot_in_an_activity_iri_are_matched_literally(shared: World, path: str) -> None:
    literal, plain = "http://ex.gov/$where/a.b", "http://ex.gov/xwhere/axb"
    if path == "/xapi/activities":
        statement = make_statement(object={"id": plain, "definition": {"name": {"en": "plain"}}})
        assert shared.a.post(statement).status_code == 200
        got = shared.a.request("GET", path, query_string={"activityId": literal}).get_json()
        assert got == {"objectType": "Activity", "id": literal}
        return
    create(shared.a, path, params(path, "doc", activityId=plain), {"plain": True})
    assert send(shared.a, "GET", path, params(path, "doc", activityId=literal)).status_code == 404
    assert send(shared.a, "GET", path, params(path, None, activityId=literal)).get_json() == []
    create(shared.a, path, params(path, "doc", activityId=literal), {"literal": True})
    assert send(shared.a, "GET", path, params(path, "doc", activityId=plain)).get_json() == {"plain": True}
    assert send(shared.a, "GET", path, params(path, "doc", activityId=literal)).get_json() == {"literal": True}


@pytest.mark.parametrize("value", ['{"$ne": null}', '{"$gt": 0}', "$where", "*"])
@pytest.mark.parametrize("name", ["registration", "since"])
def test_j1_operator_shaped_registration_and_since_are_400(shared: World, name: str, value: str) -> None:
    for path in DOCUMENTS if name == "since" else (STATE,):
        response = send(shared.a, "GET", path, params(path, None, **{name: value}))
        assert response.status_code == 400, path
    if name == "registration":
        for method in ("PUT", "POST"):
            response = send(shared.a, method, STATE, params(STATE, "reg", registration=value), {"v": 1})
            assert response.status_code == 400
        assert send(shared.a, "GET", STATE, params(STATE, "reg")).status_code == 404


# --- J2: profile ids, NUL and very long values in document calls --------------------------------------------------

HOSTILE_IDS = ["$where", "a.b", '{"$ne": null}', "x\x00y", ".*", "%24ne", "$", "_id", "a" * 5000]


@pytest.mark.parametrize("path", [ACTIVITY_PROFILE, AGENT_PROFILE])
def test_j2_hostile_profile_ids_are_literal(shared: World, path: str) -> None:
    context = {"activityId": "http://ex.gov/j2/profiles", "agent": json.dumps({"mbox": "mailto:j2@ex.gov"})}
    base = {name: context[name] for name in CONTEXT[path]}
    assert send(shared.a, "GET", path, {**base, "profileId": "plain"}).status_code == 404
    create(shared.a, path, {**base, "profileId": "plain"}, {"plain": True})
    for hostile in HOSTILE_IDS:
        query = {**base, "profileId": hostile}
        assert send(shared.a, "GET", path, query).status_code == 404, hostile[:20]
        create(shared.a, path, query, {"id": hostile})
        assert send(shared.a, "GET", path, query).get_json() == {"id": hostile}
    assert sorted(send(shared.a, "GET", path, base).get_json()) == sorted(["plain", *HOSTILE_IDS])
    assert send(shared.a, "GET", path, {**base, "profileId": "plain"}).get_json() == {"plain": True}
    for hostile in HOSTILE_IDS:
        assert send(shared.a, "DELETE", path, {**base, "profileId": hostile}).status_code == 204
    assert send(shared.a, "GET", path, base).get_json() == ["plain"]


LONG_OR_NUL = {
    "nul in activityId": {"activityId": "http://ex.gov/a\x00b"},
    "long activityId": {"activityId": "http://ex.gov/" + "v" * 100_000},
    "long agent": {"agent": json.dumps({"mbox": "mailto:" + "a" * 100_000 + "@ex.gov"})},
    "nul in agent": {"agent": json.dumps({"mbox": "mailto:j@ex.gov\x00"})},
    "nul registration": {"registration": "\x00"},
    "nul since": {"since": "2024-05-01T08:00:00Z\x00"},
}


@pytest.mark.parametrize(
    ("path", "overrides"),
    [
        pytest.param(path, overrides, id=f"{path.rsplit('/', 2)[-2]}/{path.rsplit('/', 1)[-1]}-{case}")
        for path in DOCUMENTS
        for case, overrides in LONG_OR_NUL.items()
        if next(iter(overrides)) in (*CONTEXT[path], "since") or (path == STATE and "registration" in overrides)
    ],
)
def test_j2_nul_and_very_long_context_values_are_400_or_literal_never_5xx(
    shared: World, path: str, overrides: dict[str, str]
) -> None:
    name = next(iter(overrides))
    listed = send(shared.a, "GET", path, params(path, None, **overrides))
    assert listed.status_code in (200, 400), listed.get_data()
    if listed.status_code == 200:
        assert listed.get_json() == []
    if name == "since":
        return
    written = send(shared.a, "PUT", path, params(path, "long", **overrides), {"v": 1}, If_None_Match="*")
    assert written.status_code in (204, 400), written.get_data()
    if written.status_code == 204:  # literal: found under exactly this value, and nowhere else
        assert send(shared.a, "GET", path, params(path, "long", **overrides)).get_json() == {"v": 1}
        assert send(shared.a, "GET", path, params(path, "long")).status_code == 404
        assert send(shared.a, "DELETE", path, params(path, "long", **overrides)).status_code == 204


# --- J4-J8: document bodies --------------------------------------------------------------------------------------

NOT_JSON = {
    "J4 10,000 nested arrays": b"[" * 10_000 + b"]" * 10_000,
    "J4 10,000 nested objects": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "J4 nesting beyond the limit inside an object": b'{"x": ' + b"[" * 150 + b"]" * 150 + b"}",
    "J5 5000-digit integer": b'{"n": ' + b"9" * 5000 + b"}",
    "J6 NaN": b'{"n": NaN}',
    "J6 Infinity": b'{"n": Infinity}',
    "J6 -Infinity": b'{"n": -Infinity}',
    "J6 1e400": b'{"n": 1e400}',
    "J7 lone surrogate in a value": b'{"s": "\\ud800"}',
    "J7 lone surrogate in a key": b'{"\\udfff": 1}',
    "J8 invalid UTF-8": b'{"s": "\xff\xfe"}',
    "J8 UTF-16": '{"s": 1}'.encode("utf-16"),
    "J8 UTF-8 BOM": b'\xef\xbb\xbf{"s": 1}',
    "duplicate keys": b'{"a": 1, "a": 2}',
    "trailing garbage": b'{"a": 1} x',
}


@pytest.mark.parametrize("method", ["PUT", "POST"])
@pytest.mark.parametrize("path", DOCUMENTS)
def test_j4_to_j8_json_documents_must_be_strict_json_and_nothing_is_stored(
    shared: World, path: str, method: str
) -> None:
    context = {"activityId": f"http://ex.gov/j48/{method}", "agent": json.dumps({"mbox": f"mailto:{method}@ex.gov"})}
    overrides = {name: context[name] for name in CONTEXT[path]}
    existing = params(path, "existing", **overrides)
    create(shared.a, path, existing, {"kept": True})
    before = send(shared.a, "GET", path, existing)
    for case, body in NOT_JSON.items():
        for target in ("missing", "existing"):
            query = params(path, target, **overrides)
            headers = {"If-Match": before.headers["ETag"]} if (method, target) == ("PUT", "existing") else {}
            if (method, target) == ("PUT", "missing"):
                headers = {"If-None-Match": "*"}
            response = shared.a.request(
                method, path, query_string=query, data=body, headers={"Content-Type": "application/json", **headers}
            )
            assert response.status_code == 400, (case, target, response.get_data())
            assert response.get_json()["message"]
    after = send(shared.a, "GET", path, existing)
    assert (after.get_data(), after.headers["ETag"]) == (before.get_data(), before.headers["ETag"])
    assert send(shared.a, "GET", path, params(path, None, **overrides)).get_json() == ["existing"]


@pytest.mark.parametrize("path", DOCUMENTS)
def test_j5_big_integers_round_trip_exactly_through_put_and_merge(shared: World, path: str) -> None:
    overrides = {name: {"activityId": "http://ex.gov/j5", "agent": AGENT}[name] for name in CONTEXT[path]}
    query = params(path, "big", **overrides)
    body = b'{"big": 1180591620717411303424, "tiny": 5e-324, "neg": -0.0}'  # 2**70
    assert raw(shared.a, "PUT", path, query, body, "application/json").status_code in (204, 400)
    if send(shared.a, "GET", path, query).status_code == 404:  # PUT to a missing profile needs If-None-Match
        create(shared.a, path, query, {"seed": 1})
        etag = send(shared.a, "GET", path, query).headers["ETag"]
        response = shared.a.request(
            "PUT", path, query_string=query, data=body, headers={"Content-Type": "application/json", "If-Match": etag}
        )
        assert response.status_code == 204
    assert send(shared.a, "GET", path, query).get_data() == body  # stored byte for byte
    assert raw(shared.a, "POST", path, query, b'{"more": 73786976294838206464}', "application/json").status_code == 204
    merged = strict_json(send(shared.a, "GET", path, query).get_data())
    assert merged["big"] == 2**70 and merged["more"] == 2**66 and merged["tiny"] == 5e-324


BINARY_BODIES = [b"", b"\x00", b"\xff\xfe\xfd", b'{"n": NaN}', b"[" * 10_000, "\ud800".encode("utf-8", "surrogatepass")]


@pytest.mark.parametrize("path", DOCUMENTS)
@pytest.mark.parametrize("content_type", ["application/octet-stream", "text/plain; charset=utf-8", "image/png"])
def test_binary_documents_are_stored_byte_for_byte_whatever_they_contain(
    shared: World, path: str, content_type: str
) -> None:
    for index, body in enumerate(BINARY_BODIES):
        query = params(path, f"bin-{content_type.split(';', maxsplit=1)[0]}-{index}")
        response = shared.a.request(
            "PUT", path, query_string=query, data=body, headers={"Content-Type": content_type, "If-None-Match": "*"}
        )
        assert response.status_code == 204, (index, response.get_data())
        got = send(shared.a, "GET", path, query)
        assert (got.get_data(), got.headers["Content-Type"]) == (body, content_type), index


# --- J10: repeated and case-twin parameters on every resource ----------------------------------------------------


def _repeat(query: dict[str, str], name: str, second: str | None = None) -> str:
    pairs = [*query.items(), (name, query[name] if second is None else second)]
    return urlencode(pairs, quote_via=quote)


@pytest.mark.parametrize("path", DOCUMENTS)
def test_j10_repeated_or_case_twin_document_parameters_are_400_on_every_method(shared: World, path: str) -> None:
    full = params(path, "twice", registration="6a9e3f0e-1d54-4a7f-9c2e-0b1d2c3e4f50") if path == STATE else None
    query = full or params(path, "twice")
    variants = [_repeat(query, name) for name in query]
    variants += [_repeat(query, name, "other") for name in query if name == ID_NAME[path]]
    variants.append(urlencode([*query.items(), (ID_NAME[path][0].upper() + ID_NAME[path][1:], "twice")]))
    variants.append(urlencode([*params(path, None).items(), ("since", "2020-01-01T00:00:00Z")] * 2))
    for raw_query in variants:
        for method in ("GET", "HEAD", "PUT", "POST", "DELETE"):
            headers = {"Content-Type": "application/json", "If-None-Match": "*"} if method in ("PUT", "POST") else {}
            data = b'{"v": 1}' if method in ("PUT", "POST") else None
            response = shared.a.request(method, f"{path}?{raw_query}", data=data, headers=headers)
            assert response.status_code == 400, (method, raw_query[:80])
    assert send(shared.a, "GET", path, params(path, "twice")).status_code == 404


def test_j10_repeated_parameters_on_the_lookup_resources_and_statement_put_are_400(shared: World) -> None:
    agent = quote(AGENT, safe="")
    for method in ("GET", "HEAD"):
        assert shared.a.request(method, f"/xapi/agents?agent={agent}&agent={agent}").status_code == 400
        assert shared.a.request(method, f"/xapi/agents?agent={agent}&Agent={agent}").status_code == 400
        assert shared.a.request(method, f"/xapi/activities?activityId={ACT}&activityid={ACT}").status_code == 400
    statement = make_statement()
    sid = statement["id"]
    for query in (f"statementId={sid}&statementId={sid}", f"statementId={sid}&StatementId={sid}"):
        response = shared.a.request("PUT", f"/xapi/statements?{query}", json=statement)
        assert response.status_code == 400
    response = shared.a.request("POST", f"/xapi/statements?statementId={sid}", json=statement)
    assert response.status_code == 400
    assert shared.a.get(statementId=sid).status_code == 404


@pytest.mark.parametrize("path", DOCUMENTS)
def test_j10_parameters_in_both_the_query_and_an_alternate_syntax_form_are_refused(shared: World, path: str) -> None:
    form = {
        **params(path, "alt"),
        "Authorization": shared.a.authorization or "",
        "X-Experience-API-Version": "1.0.3",
        "content": '{"v": 1}',
    }
    client = shared.anonymous.client
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    twice = urlencode([*form.items(), (ID_NAME[path], "other")])
    assert client.post(f"{path}?method=PUT", data=twice, headers=headers).status_code == 400
    both = client.post(f"{path}?method=PUT&{ID_NAME[path]}=alt", data=urlencode(form), headers=headers)
    assert both.status_code == 400
    assert send(shared.a, "GET", path, params(path, "alt")).status_code == 404


# --- K1/K2: oversized bodies on every write resource ---------------------------------------------------------------

LIMIT = 2048


@pytest.fixture(scope="module", params=["sqlite", "mongomock"])
def small(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    instance = make_world(tmp_path_factory.mktemp("small"), request.param, max_body_bytes=LIMIT)
    yield instance
    instance.store.close()


def _write_targets() -> list[tuple[str, str, dict[str, str]]]:
    targets: list[tuple[str, str, dict[str, str]]] = []
    for path in DOCUMENTS:
        targets += [("PUT", path, params(path, "big")), ("POST", path, params(path, "big"))]
    return targets


def _send_sized(world: World, method: str, path: str, query: dict[str, str], body: bytes, chunked: bool) -> Any:
    headers = {
        "Content-Type": "application/json",
        "X-Experience-API-Version": "1.0.3",
        "Authorization": world.a.authorization,
        "If-None-Match": "*",
    }
    if not chunked:
        return world.a.client.open(path, method=method, query_string=query, data=body, headers=headers)
    return world.a.client.open(
        path,
        method=method,
        query_string=query,
        input_stream=io.BytesIO(body),
        headers=headers,
        environ_overrides={"wsgi.input_terminated": True},
    )


@pytest.mark.parametrize("chunked", [False, True], ids=["K1 Content-Length", "K2 chunked"])
def test_k1_k2_oversized_bodies_are_413_on_every_write_resource_and_store_nothing(small: World, chunked: bool) -> None:
    big_document = json.dumps({"x": "y" * (LIMIT * 2)}).encode()
    for method, path, query in _write_targets():
        response = _send_sized(small, method, path, query, big_document, chunked)
        assert response.status_code == 413, (method, path, response.get_data())
        assert response.headers["X-Experience-API-Version"] == "1.0.3"
        assert response.get_json()["code"] == 413
        assert send(small.a, "GET", path, params(path, "big")).status_code == 404, (method, path)
    statement = make_statement(result={"response": "x" * (LIMIT * 2)})
    for method, query in (("PUT", {"statementId": statement["id"]}), ("POST", {})):
        response = _send_sized(small, method, "/xapi/statements", query, json.dumps(statement).encode(), chunked)
        assert response.status_code == 413, (method, response.get_data())
    assert small.store.count_statements("tenant-a") == 0
    # the limit is a limit, not a refusal: a body just under it is stored
    fits = json.dumps({"x": "y" * (LIMIT - 100)}).encode()
    for method, path, _ in _write_targets()[::2]:
        query = params(path, f"fits-{int(chunked)}")
        assert _send_sized(small, method, path, query, fits, chunked).status_code == 204, path


def test_k1_oversized_alternate_syntax_form_is_413_and_stores_nothing(small: World) -> None:
    form = {
        **params(STATE, "alt-big"),
        "Authorization": small.a.authorization or "",
        "X-Experience-API-Version": "1.0.3",
        "content": json.dumps({"x": "y" * (LIMIT * 2)}),
    }
    response = small.anonymous.client.post(
        f"{STATE}?method=PUT", data=urlencode(form), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert send(small.a, "GET", STATE, params(STATE, "alt-big")).status_code == 404
