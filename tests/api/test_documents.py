"""The document resources over HTTP, on both storage adapters: statuses, ETags, merges, binary content,
preconditions per version, scopes, tenant isolation (catalogue H, C5, C8, C12, J2)."""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import TestResponse

from tests.api.conftest import World, XAPIClient, make_world

STATE = "/xapi/activities/state"
ACTIVITY_PROFILE = "/xapi/activities/profile"
AGENT_PROFILE = "/xapi/agents/profile"
ACT = "http://ex.gov/activities/docs"
AGENT = {"objectType": "Agent", "account": {"homePage": "http://ex.gov", "name": "ayu"}}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


def state_params(state_id: str = "s", **extra: Any) -> dict[str, str]:
    return {"activityId": ACT, "agent": json.dumps(AGENT), "stateId": state_id, **extra}


PARAMS = {
    STATE: state_params(),
    ACTIVITY_PROFILE: {"activityId": ACT, "profileId": "p"},
    AGENT_PROFILE: {"agent": json.dumps(AGENT), "profileId": "p"},
}
ID_NAME = {STATE: "stateId", ACTIVITY_PROFILE: "profileId", AGENT_PROFILE: "profileId"}


def send(
    client: XAPIClient,
    method: str,
    path: str,
    params: dict[str, str],
    body: Any = None,
    *,
    content_type: str | None = None,
    **headers: str,
) -> TestResponse:
    header_map = {name.replace("_", "-"): value for name, value in headers.items()}
    if body is None:
        return client.request(method, path, query_string=params, headers=header_map)
    if isinstance(body, bytes):
        header_map["Content-Type"] = content_type or "application/octet-stream"
        return client.request(method, path, query_string=params, data=body, headers=header_map)
    if content_type:
        header_map["Content-Type"] = content_type
    return client.request(method, path, query_string=params, json=body, headers=header_map)


def create(client: XAPIClient, path: str, params: dict[str, str], body: Any) -> TestResponse:
    """Create a document on any resource (profiles need If-None-Match: * on PUT)."""
    response = send(client, "PUT", path, params, body, If_None_Match="*")
    assert response.status_code == 204, response.get_json()
    return response


def get(client: XAPIClient, path: str, params: dict[str, str]) -> TestResponse:
    return send(client, "GET", path, params)


def etag(client: XAPIClient, path: str, params: dict[str, str]) -> str:
    return str(get(client, path, params).headers["ETag"])


def without_id(path: str, params: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in params.items() if k != ID_NAME[path]}


# --- single documents ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [STATE, ACTIVITY_PROFILE, AGENT_PROFILE])
def test_h1_get_returns_the_document_with_etag_and_last_modified(world: World, path: str) -> None:
    body = {"x": "foo", "ü": [1, 2.5, None]}
    put = create(world.a, path, PARAMS[path], body)
    response = get(world.a, path, PARAMS[path])
    assert response.status_code == 200
    assert response.get_json() == body
    assert response.mimetype == "application/json"
    digest = hashlib.sha1(response.data).hexdigest()
    assert response.headers["ETag"] == put.headers["ETag"] == f'"{digest}"'
    assert parsedate_to_datetime(response.headers["Last-Modified"]).year >= 2024
    head = send(world.a, "HEAD", path, PARAMS[path])
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == response.headers["ETag"]


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_h10_binary_documents_round_trip_byte_exact(world: World, version: str) -> None:
    world.a.version = version
    assert send(world.a, "PUT", STATE, state_params("png"), PNG, content_type="image/png").status_code == 204
    response = get(world.a, STATE, state_params("png"))
    assert response.data == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["ETag"] == f'"{hashlib.sha1(PNG).hexdigest()}"'


def test_content_type_parameters_are_kept(world: World) -> None:
    body = "café".encode("latin-1")
    send(world.a, "PUT", STATE, state_params(), body, content_type="text/plain; charset=ISO-8859-1")
    response = get(world.a, STATE, state_params())
    assert (response.data, response.headers["Content-Type"]) == (body, "text/plain; charset=ISO-8859-1")


def test_missing_documents_are_404_and_deleting_them_succeeds(world: World) -> None:
    for path, params in PARAMS.items():
        assert get(world.a, path, params).status_code == 404
        assert send(world.a, "DELETE", path, params).status_code == 204


def test_delete_removes_one_document(world: World) -> None:
    create(world.a, STATE, state_params("keep"), {"k": 1})
    create(world.a, STATE, state_params("drop"), {"d": 1})
    assert send(world.a, "DELETE", STATE, state_params("drop")).status_code == 204
    assert get(world.a, STATE, state_params("drop")).status_code == 404
    assert get(world.a, STATE, state_params("keep")).status_code == 200


def test_put_declared_json_must_be_json(world: World) -> None:
    response = send(world.a, "PUT", STATE, state_params(), b'{"a": NaN}', content_type="application/json")
    assert response.status_code == 400
    assert get(world.a, STATE, state_params()).status_code == 404


# --- POST: the JSON merge ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [STATE, ACTIVITY_PROFILE, AGENT_PROFILE])
def test_h8_post_merges_top_level_properties(world: World, path: str) -> None:
    assert send(world.a, "POST", path, PARAMS[path], {"x": "foo", "y": "bar"}).status_code == 204
    assert send(world.a, "POST", path, PARAMS[path], {"x": "bash", "z": "faz"}).status_code == 204
    assert get(world.a, path, PARAMS[path]).get_json() == {"x": "bash", "y": "bar", "z": "faz"}


@pytest.mark.parametrize(
    ("first", "first_type", "second", "second_type"),
    [
        ({"x": 1}, None, b"abc", "text/plain"),
        (b"abc", "application/octet-stream", {"x": 1}, None),
        ({"x": 1}, None, b'{"y": ', "application/json"),
        ({"x": 1}, None, [1, 2], None),
    ],
)
def test_h8_post_that_cannot_merge_is_400_and_changes_nothing(
    world: World, first: Any, first_type: str | None, second: Any, second_type: str | None
) -> None:
    send(world.a, "PUT", STATE, state_params(), first, content_type=first_type)
    before = get(world.a, STATE, state_params())
    response = send(world.a, "POST", STATE, state_params(), second, content_type=second_type)
    assert response.status_code == 400
    after = get(world.a, STATE, state_params())
    assert (after.data, after.headers["ETag"]) == (before.data, before.headers["ETag"])


def test_post_of_invalid_json_to_a_missing_document_is_400(world: World) -> None:
    response = send(world.a, "POST", ACTIVITY_PROFILE, PARAMS[ACTIVITY_PROFILE], b"{[", content_type="application/json")
    assert response.status_code == 400
    assert get(world.a, ACTIVITY_PROFILE, PARAMS[ACTIVITY_PROFILE]).status_code == 404


# --- preconditions (Communication 3.1, xAPI 2.0 4.1.4) ------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
@pytest.mark.parametrize("path", [STATE, ACTIVITY_PROFILE, AGENT_PROFILE])
def test_h2_stale_if_match_is_412_on_every_write(world: World, path: str, version: str) -> None:
    world.a.version = version
    create(world.a, path, PARAMS[path], {"v": 1})
    stale = '"' + "1" * 40 + '"'
    assert send(world.a, "PUT", path, PARAMS[path], {"v": 2}, If_Match=stale).status_code == 412
    assert send(world.a, "POST", path, PARAMS[path], {"v": 2}, If_Match=stale).status_code == 412
    assert send(world.a, "DELETE", path, PARAMS[path], If_Match=stale).status_code == 412
    assert get(world.a, path, PARAMS[path]).get_json() == {"v": 1}
    current = etag(world.a, path, PARAMS[path])
    assert send(world.a, "PUT", path, PARAMS[path], {"v": 3}, If_Match=current).status_code == 204
    assert get(world.a, path, PARAMS[path]).get_json() == {"v": 3}
    current = etag(world.a, path, PARAMS[path])
    assert send(world.a, "DELETE", path, PARAMS[path], If_Match=current).status_code == 204
    assert get(world.a, path, PARAMS[path]).status_code == 404


@pytest.mark.parametrize("path", [STATE, ACTIVITY_PROFILE, AGENT_PROFILE])
def test_h3_if_none_match_star_creates_only(world: World, path: str) -> None:
    assert send(world.a, "PUT", path, PARAMS[path], {"v": 1}, If_None_Match="*").status_code == 204
    assert send(world.a, "PUT", path, PARAMS[path], {"v": 2}, If_None_Match="*").status_code == 412
    assert get(world.a, path, PARAMS[path]).get_json() == {"v": 1}


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
@pytest.mark.parametrize("path", [ACTIVITY_PROFILE, AGENT_PROFILE])
def test_h4_unconditional_put_to_an_existing_profile_is_409(world: World, path: str, version: str) -> None:
    world.a.version = version
    create(world.a, path, PARAMS[path], {"v": 1})
    response = send(world.a, "PUT", path, PARAMS[path], {"v": 2})
    assert response.status_code == 409
    assert "If-Match" in response.get_json()["message"]
    assert get(world.a, path, PARAMS[path]).get_json() == {"v": 1}


@pytest.mark.parametrize("path", [ACTIVITY_PROFILE, AGENT_PROFILE])
def test_unconditional_put_creating_a_profile_is_400(world: World, path: str) -> None:
    assert send(world.a, "PUT", path, PARAMS[path], {"v": 1}).status_code == 400
    assert get(world.a, path, PARAMS[path]).status_code == 404


def test_h4_unconditional_state_put_overwrites_under_1_0_3_and_conflicts_under_2_0(world: World) -> None:
    assert send(world.a, "PUT", STATE, state_params(), {"v": 1}).status_code == 204  # creating: fine in both
    assert send(world.a, "PUT", STATE, state_params(), {"v": 2}).status_code == 204
    assert get(world.a, STATE, state_params()).get_json() == {"v": 2}
    world.a.version = "2.0.0"
    assert send(world.a, "PUT", STATE, state_params("new"), {"v": 1}).status_code == 204
    response = send(world.a, "PUT", STATE, state_params(), {"v": 3})
    assert response.status_code == 409
    assert get(world.a, STATE, state_params()).get_json() == {"v": 2}


@pytest.mark.parametrize("path", [STATE, ACTIVITY_PROFILE, AGENT_PROFILE])
def test_h5_if_match_never_creates(world: World, path: str) -> None:
    for if_match in ('"' + "0" * 40 + '"', "*"):
        assert send(world.a, "PUT", path, PARAMS[path], {"v": 1}, If_Match=if_match).status_code == 412
        assert send(world.a, "POST", path, PARAMS[path], {"v": 1}, If_Match=if_match).status_code == 412
    assert get(world.a, path, PARAMS[path]).status_code == 404


def test_malformed_if_match_is_400(world: World) -> None:
    create(world.a, STATE, state_params(), {"v": 1})
    assert send(world.a, "PUT", STATE, state_params(), {"v": 2}, If_Match='"a"b"').status_code == 400
    assert get(world.a, STATE, state_params()).get_json() == {"v": 1}


# --- multiple documents ----------------------------------------------------------------------------------------


def test_h11_list_ids_and_since(world: World) -> None:
    for state_id in ("one", "two"):
        create(world.a, STATE, state_params(state_id), {"id": state_id})
    context = without_id(STATE, state_params())
    listed = get(world.a, STATE, context)
    assert sorted(listed.get_json()) == ["one", "two"]
    assert listed.headers["Last-Modified"] == get(world.a, STATE, state_params("two")).headers["Last-Modified"]
    assert sorted(get(world.a, STATE, {**context, "since": "2020-01-01T00:00:00Z"}).get_json()) == ["one", "two"]
    future = get(world.a, STATE, {**context, "since": "2999-01-01T00:00:00Z"})
    assert future.get_json() == []
    assert "Last-Modified" not in future.headers
    profiles = get(world.a, ACTIVITY_PROFILE, {"activityId": ACT})
    assert (profiles.status_code, profiles.get_json()) == (200, [])


def test_registration_scopes_single_documents_and_narrows_lists(world: World) -> None:
    registration = str(uuid.uuid4())
    create(world.a, STATE, state_params("s"), {"plain": True})
    create(world.a, STATE, state_params("s", registration=registration), {"registered": True})
    assert get(world.a, STATE, state_params("s")).get_json() == {"plain": True}
    assert get(world.a, STATE, state_params("s", registration=registration)).get_json() == {"registered": True}
    context = without_id(STATE, state_params())
    assert get(world.a, STATE, {**context, "registration": registration}).get_json() == ["s"]
    assert get(world.a, STATE, context).get_json() == ["s", "s"]  # every registration of the context
    assert send(world.a, "DELETE", STATE, {**context, "registration": registration}).status_code == 204
    assert get(world.a, STATE, state_params("s")).get_json() == {"plain": True}
    assert send(world.a, "DELETE", STATE, context).status_code == 204
    assert get(world.a, STATE, context).get_json() == []


def test_multiple_delete_stays_in_its_context(world: World) -> None:
    create(world.a, STATE, state_params("a"), {"a": 1})
    other_activity = {**state_params("a"), "activityId": ACT + "/other"}
    create(world.a, STATE, other_activity, {"b": 1})
    assert send(world.a, "DELETE", STATE, without_id(STATE, state_params())).status_code == 204
    assert get(world.a, STATE, state_params("a")).status_code == 404
    assert get(world.a, STATE, other_activity).status_code == 200


def test_multiple_delete_refuses_preconditions_and_profiles_need_an_id(world: World) -> None:
    assert send(world.a, "DELETE", STATE, without_id(STATE, state_params()), If_Match="*").status_code == 400
    assert send(world.a, "DELETE", ACTIVITY_PROFILE, {"activityId": ACT}).status_code == 400


# --- parameters --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "agent", ["not JSON", "true", json.dumps({"mbox": "a@ex.gov"}), json.dumps({"mbox": {"$ne": None}})]
)
def test_h12_invalid_agent_is_400_on_every_method(world: World, agent: str) -> None:
    for method in ("GET", "PUT", "POST", "DELETE"):
        body = {"v": 1} if method in ("PUT", "POST") else None
        response = send(world.a, method, STATE, {**state_params(), "agent": agent}, body)
        assert response.status_code == 400, method
        assert "agent" in response.get_json()["message"]


@pytest.mark.parametrize("hostile", ["$where", "a.b", '{"$ne": null}', "x\x00y", ".*", "%24ne"])
def test_j2_hostile_ids_are_literal(world: World, hostile: str) -> None:
    params = {**state_params(hostile), "activityId": "http://ex.gov/$where.$ne/a.b"}
    create(world.a, STATE, params, {"hostile": hostile})
    create(world.a, STATE, {**params, "stateId": "plain"}, {"plain": True})
    assert get(world.a, STATE, params).get_json() == {"hostile": hostile}
    assert sorted(get(world.a, STATE, without_id(STATE, params)).get_json()) == sorted([hostile, "plain"])
    assert get(world.a, STATE, {**params, "activityId": "http://ex.gov/"}).status_code == 404


# --- scopes (C12) and tenants (C5, C8) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "path", "read", "write"),
    [
        (["state"], STATE, 200, 204),
        (["state"], AGENT_PROFILE, 403, 403),
        (["profile"], ACTIVITY_PROFILE, 200, 204),
        (["profile"], STATE, 403, 403),
        (["all/read"], AGENT_PROFILE, 200, 403),
        (["statements/write", "statements/read", "define"], STATE, 403, 403),
    ],
)
def test_c12_document_scopes(world: World, scopes: list[str], path: str, read: int, write: int) -> None:
    create(world.a, path, PARAMS[path], {"v": 1})
    client = world.client_for("tenant-a", scopes)
    assert get(client, path, PARAMS[path]).status_code == read
    for method in ("PUT", "POST"):
        response = send(client, method, path, PARAMS[path], {"v": 2}, If_Match=etag(world.a, path, PARAMS[path]))
        assert response.status_code == write, method
    if write == 403:
        assert get(world.a, path, PARAMS[path]).get_json() == {"v": 1}
    assert send(client, "DELETE", path, PARAMS[path]).status_code == write


def test_documents_need_credentials(world: World) -> None:
    assert get(world.anonymous, STATE, state_params()).status_code == 401


@pytest.mark.parametrize("path", [STATE, ACTIVITY_PROFILE, AGENT_PROFILE])
def test_c5_another_tenants_writes_never_touch_a_document(world: World, path: str) -> None:
    create(world.b, path, PARAMS[path], {"owner": "b"})
    before = get(world.b, path, PARAMS[path])
    assert get(world.a, path, PARAMS[path]).status_code == 404
    assert send(world.a, "PUT", path, PARAMS[path], {"owner": "a"}, If_Match=before.headers["ETag"]).status_code == 412
    create(world.a, path, PARAMS[path], {"owner": "a"})
    assert send(world.a, "POST", path, PARAMS[path], {"more": "a"}).status_code == 204
    assert send(world.a, "DELETE", path, PARAMS[path]).status_code == 204
    if path == STATE:
        assert send(world.a, "DELETE", path, without_id(path, PARAMS[path])).status_code == 204
    after = get(world.b, path, PARAMS[path])
    assert (after.get_json(), after.headers["ETag"]) == ({"owner": "b"}, before.headers["ETag"])


def test_c8_multiple_delete_deletes_only_the_callers_documents(world: World) -> None:
    for client in (world.a, world.b):
        create(client, STATE, state_params("one"), {"v": 1})
        create(client, STATE, state_params("two"), {"v": 2})
    assert send(world.a, "DELETE", STATE, without_id(STATE, state_params())).status_code == 204
    assert get(world.a, STATE, without_id(STATE, state_params())).get_json() == []
    assert sorted(get(world.b, STATE, without_id(STATE, state_params())).get_json()) == ["one", "two"]


# --- the 1.0.x Alternate Request Syntax ------------------------------------------------------------------------------


def test_alternate_request_syntax_reaches_documents_under_1_0_3(world: World) -> None:
    form = {**state_params(), "content": json.dumps({"v": 1}), "Content-Type": "application/json"}
    form["Authorization"] = world.a.authorization or ""
    form["X-Experience-API-Version"] = "1.0.3"
    response = world.app.test_client().post(STATE, query_string={"method": "PUT"}, data=form)
    assert response.status_code == 204, response.get_json()
    assert get(world.a, STATE, state_params()).get_json() == {"v": 1}
    form.pop("content")
    response = world.app.test_client().post(STATE, query_string={"method": "GET"}, data=form)
    assert (response.status_code, response.get_json()) == (200, {"v": 1})
    form["X-Experience-API-Version"] = "2.0.0"
    response = world.app.test_client().post(STATE, query_string={"method": "DELETE"}, data=form)
    assert response.status_code == 400
    assert get(world.a, STATE, state_params()).status_code == 200


# --- concurrency through HTTP (a real file-backed SQLite store, several threads) ----------------------------------


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Any:
    instance = make_world(tmp_path, "sqlite")
    yield instance
    instance.store.close()


def _concurrently(count: int, task: Any) -> list[int]:
    barrier = threading.Barrier(count)

    def run(index: int) -> int:
        barrier.wait()
        return int(task(index))

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def _client(world: World) -> XAPIClient:
    return XAPIClient(world.app.test_client(), world.a.authorization, "2.0.0")


def test_h6_concurrent_if_match_puts_over_http_have_one_winner(sqlite_world: World) -> None:
    create(sqlite_world.a, AGENT_PROFILE, PARAMS[AGENT_PROFILE], {"v": -1})
    tag = etag(sqlite_world.a, AGENT_PROFILE, PARAMS[AGENT_PROFILE])

    def put(index: int) -> int:
        client = _client(sqlite_world)
        return send(client, "PUT", AGENT_PROFILE, PARAMS[AGENT_PROFILE], {"v": index}, If_Match=tag).status_code

    statuses = _concurrently(20, put)
    assert sorted(statuses) == [204] + [412] * 19
    assert get(sqlite_world.a, AGENT_PROFILE, PARAMS[AGENT_PROFILE]).get_json()["v"] in range(20)


def test_h5_a_poller_never_sees_a_document_that_if_match_puts_may_not_create(sqlite_world: World) -> None:
    stop = threading.Event()
    seen: list[int] = []

    def poll() -> None:
        client = _client(sqlite_world)
        while not stop.is_set():
            seen.append(get(client, STATE, state_params("ghost")).status_code)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        statuses = _concurrently(
            10,
            lambda i: (
                send(_client(sqlite_world), "PUT", STATE, state_params("ghost"), {"v": i}, If_Match="*").status_code
            ),
        )
    finally:
        stop.set()
        poller.join()
    assert statuses == [412] * 10
    assert seen and set(seen) == {404}


def test_h9_concurrent_merges_over_http_lose_nothing(sqlite_world: World) -> None:
    def merge(index: int) -> int:
        return send(_client(sqlite_world), "POST", STATE, state_params("merged"), {f"k{index}": index}).status_code

    assert _concurrently(50, merge) == [204] * 50
    assert get(sqlite_world.a, STATE, state_params("merged")).get_json() == {f"k{i}": i for i in range(50)}
