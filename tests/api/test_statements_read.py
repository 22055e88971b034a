"""GET and HEAD /xapi/statements: single fetches, filters, formats, paging."""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.conftest import World
from tests.factories import ACTIVITY, make_agent, make_statement, ref_to


def ids(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_data(as_text=True)
    return [s["id"] for s in response.get_json()["statements"]]


def test_single_statement_has_last_modified_and_consistent_through(world: World) -> None:
    statement = make_statement()
    world.a.post(statement)
    response = world.a.get(statementId=statement["id"])
    assert response.status_code == 200
    assert response.headers["Last-Modified"].endswith("GMT")
    assert response.headers["X-Experience-API-Consistent-Through"].endswith("Z")
    assert response.mimetype == "application/json"


def test_unknown_statement_is_404_with_json_error(world: World) -> None:
    response = world.a.get(statementId=str(uuid.uuid4()))
    assert response.status_code == 404
    assert response.get_json()["code"] == 404
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_empty_result_is_200_with_empty_list(world: World) -> None:
    response = world.a.get(verb="http://ex.gov/verbs/none")
    assert response.status_code == 200
    assert response.get_json() == {"statements": [], "more": ""}


@pytest.mark.parametrize(
    "params",
    [
        {"foo": "1"},
        {"StatementId": str(uuid.uuid4())},
        {"Limit": "1"},
        {"statementId": str(uuid.uuid4()), "voidedStatementId": str(uuid.uuid4())},
        {"statementId": str(uuid.uuid4()), "verb": "http://ex.gov/v"},
        {"limit": "-1"},
        {"limit": "abc"},
        {"since": "yesterday"},
        {"until": "2024-13-01T00:00:00Z"},
        {"agent": "not json"},
        {"agent": json.dumps({"mbox": "mailto:a@b.gov", "openid": "http://x.gov/a"})},
        {"agent": json.dumps(["mailto:a@b.gov"])},
        {"agent": json.dumps({"mbox": {"$ne": None}})},
        {"verb": "no scheme"},
        {"registration": "not-a-uuid"},
        {"ascending": "yes"},
        {"related_agents": "1"},
        {"format": "full"},
        {"attachments": "TRUE"},
    ],
)
def test_bad_query_parameters_are_400(world: World, params: dict) -> None:
    response = world.a.get(**params)
    assert response.status_code == 400, params
    assert response.get_json()["message"]


def test_repeated_parameter_is_400(world: World) -> None:
    response = world.a.request("GET", "/xapi/statements?verb=http://a.gov/v&verb=http://b.gov/v")
    assert response.status_code == 400
    assert "more than once" in response.get_json()["message"]


def test_statement_id_with_format_and_attachments_is_allowed(world: World) -> None:
    statement = make_statement()
    world.a.post(statement)
    assert world.a.get(statementId=statement["id"], format="ids", attachments="false").status_code == 200


def test_filters_through_http(world: World) -> None:
    registration = str(uuid.uuid4())
    s1 = make_statement(context={"registration": registration})
    s2 = make_statement(actor=make_agent("budi"), verb={"id": "http://ex.gov/verbs/attempted"})
    world.a.post([s1, s2])
    assert ids(world.a.get(agent=json.dumps({"mbox": "mailto:budi@example.gov"}))) == [s2["id"]]
    assert ids(world.a.get(verb="http://ex.gov/verbs/attempted")) == [s2["id"]]
    assert ids(world.a.get(registration=registration)) == [s1["id"]]
    assert sorted(ids(world.a.get(activity=ACTIVITY))) == sorted([s1["id"], s2["id"]])
    assert ids(world.a.get(agent=json.dumps({"objectType": "Group", "member": [make_agent()]}))) == []


def test_statement_ref_targets_count_for_filters(world: World) -> None:
    target = make_statement(actor=make_agent("ben"))
    follow = ref_to(target["id"])
    world.a.post(target)
    world.a.post(follow)
    assert ids(world.a.get(agent=json.dumps({"mbox": "mailto:ben@example.gov"}))) == [follow["id"], target["id"]]


def test_since_until_ascending_limit(world: World) -> None:
    first, second, third = make_statement(), make_statement(), make_statement()
    for statement in (first, second, third):
        world.a.post(statement)
        time.sleep(0.003)  # stored has millisecond precision
    stamps = [world.a.get(statementId=s["id"]).get_json()["stored"] for s in (first, second, third)]
    assert ids(world.a.get(ascending="true", limit="2")) == [first["id"], second["id"]]
    assert ids(world.a.get(since=stamps[0])) == [third["id"], second["id"]]
    assert ids(world.a.get(until=stamps[0])) == [first["id"]]
    assert ids(world.a.get(since=stamps[0], until=stamps[1])) == [second["id"]]


def test_more_links_page_through_everything_exactly_once(world: World) -> None:
    batch = [make_statement() for _ in range(25)]
    world.a.post(batch)
    seen: list[str] = []
    response = world.a.get(limit="7")
    while True:
        body = response.get_json()
        seen.extend(s["id"] for s in body["statements"])
        if not body["more"]:
            break
        assert body["more"].startswith("/xapi/statements?more=")
        world.a.post(make_statement())  # new arrivals do not disturb a paged read
        response = world.a.get_more(body["more"])
        assert response.status_code == 200
    assert sorted(seen) == sorted(s["id"] for s in batch)


def test_limit_zero_means_server_default_and_huge_limit_is_clamped(tmp_path) -> None:
    from tests.api.conftest import make_world

    small = make_world(tmp_path, query_limit_default=3, query_limit_max=5)
    small.a.post([make_statement() for _ in range(8)])
    assert len(ids(small.a.get(limit="0"))) == 3
    assert len(ids(small.a.get(limit="1000000"))) == 5


def _more_token(world: World) -> str:
    world.a.post([make_statement() for _ in range(3)])
    more = world.a.get(limit="1").get_json()["more"]
    return parse_qs(urlsplit(more).query)["more"][0]


def test_tampered_more_cursor_is_400(world: World) -> None:
    token = _more_token(world)
    payload, signature = token.split(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    for bad in (flipped + "." + signature, "garbage", token + "x"):
        assert world.a.request("GET", "/xapi/statements?more=" + bad).status_code == 400


def test_more_cursor_of_another_tenant_is_400(world: World) -> None:
    token = _more_token(world)
    response = world.b.request("GET", "/xapi/statements?more=" + token)
    assert response.status_code == 400
    assert "statements" not in response.get_json()


def test_more_cannot_be_combined_with_other_parameters(world: World) -> None:
    token = _more_token(world)
    assert world.a.request("GET", f"/xapi/statements?more={token}&limit=5").status_code == 400


def test_format_ids(world: World) -> None:
    statement = make_statement(context={"instructor": make_agent("guru")})
    world.a.post(statement)
    body = world.a.get(statementId=statement["id"], format="ids").get_json()
    assert body["actor"] == {"objectType": "Agent", "mbox": "mailto:ayu@example.gov"}
    assert body["verb"] == {"id": statement["verb"]["id"]}
    assert body["object"] == {"id": ACTIVITY}
    assert body["context"]["instructor"] == {"objectType": "Agent", "mbox": "mailto:guru@example.gov"}


def test_format_canonical_uses_the_canonical_definition_and_one_language(world: World) -> None:
    first = make_statement(
        verb={"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed", "id-ID": "selesai"}}
    )
    world.a.post(first)
    world.a.post(make_statement(object={"id": ACTIVITY, "definition": {"name": {"id-ID": "Orientasi"}}}))
    body = world.a.get(statementId=first["id"], format="canonical", headers={"Accept-Language": "id-ID, en;q=0.5"})
    canonical = body.get_json()
    assert canonical["object"]["definition"]["name"] == {"id-ID": "Orientasi"}
    assert canonical["verb"]["display"] == {"id-ID": "selesai"}
    assert canonical["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/course"
    english = world.a.get(statementId=first["id"], format="canonical", headers={"Accept-Language": "en-US"})
    assert english.get_json()["object"]["definition"]["name"] == {"en-US": "Onboarding"}


def test_format_exact_is_byte_for_byte_what_was_stored(world: World) -> None:
    statement = make_statement(
        result={
            "score": {"raw": 0.1234567, "min": 0, "max": 1},
            "extensions": {"http://ex.gov/é": {"$set": {"a.b": 2**70}}},
        }
    )
    world.a.post(statement)
    text = world.a.get(statementId=statement["id"]).get_data(as_text=True)
    assert '"raw":0.1234567' in text
    assert str(2**70) in text
    assert json.loads(text)["result"]["extensions"] == statement["result"]["extensions"]


def test_attachments_true_answers_multipart(world: World) -> None:
    statement = make_statement()
    world.a.post(statement)
    response = world.a.get(statementId=statement["id"], attachments="true")
    assert response.status_code == 200
    assert response.mimetype == "multipart/mixed"
    boundary = response.mimetype_params["boundary"]
    assert response.get_data(as_text=True).startswith(f"--{boundary}\r\nContent-Type: application/json\r\n\r\n")


def test_head_answers_like_get_without_a_body(world: World) -> None:
    statement = make_statement()
    world.a.post(statement)
    get = world.a.get(statementId=statement["id"])
    head = world.a.request("HEAD", query_string={"statementId": statement["id"]})
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["Last-Modified"] == get.headers["Last-Modified"]
    assert world.a.request("HEAD", query_string={"statementId": str(uuid.uuid4())}).status_code == 404


def test_read_mine_scope_sees_only_own_statements(world: World) -> None:
    mine_client = world.client_for("tenant-a", ["statements/read/mine", "statements/write"])
    own = make_statement()
    mine_client.post(own)
    world.a.post(make_statement())
    assert ids(mine_client.get()) == [own["id"]]
    others = ids(world.a.get())
    other_id = next(i for i in others if i != own["id"])
    assert mine_client.get(statementId=other_id).status_code == 404
    more_from_full_reader = world.a.get(limit="1").get_json()["more"]
    assert mine_client.get_more(more_from_full_reader).status_code == 400


def test_missing_scope_is_403_and_stores_nothing(world: World) -> None:
    reader = world.client_for("tenant-a", ["statements/read"])
    response = reader.post(make_statement())
    assert response.status_code == 403
    assert world.store.count_statements("tenant-a") == 0
    writer = world.client_for("tenant-a", ["statements/write"])
    assert writer.get().status_code == 403


def test_single_context_activity_is_returned_as_an_array(world: World) -> None:
    sub = {
        "objectType": "SubStatement",
        "actor": make_agent(),
        "verb": {"id": "http://ex.gov/verbs/plans"},
        "object": {"id": ACTIVITY},
        "context": {"contextActivities": {"grouping": {"id": "http://ex.gov/g"}}},
    }
    statement = make_statement(object=sub, context={"contextActivities": {"parent": {"id": "http://ex.gov/p"}}})
    world.a.post(statement)
    body = world.a.get(statementId=statement["id"]).get_json()
    assert body["context"]["contextActivities"]["parent"] == [{"id": "http://ex.gov/p"}]
    assert body["object"]["context"]["contextActivities"]["grouping"] == [{"id": "http://ex.gov/g"}]


def test_consistent_through_is_on_error_responses_too(world: World) -> None:
    assert "X-Experience-API-Consistent-Through" in world.a.get(foo="1").headers
    assert "X-Experience-API-Consistent-Through" in world.a.get(statementId=str(uuid.uuid4())).headers


def test_more_link_keeps_the_mount_prefix_behind_a_proxy(world: World) -> None:
    world.a.post([make_statement() for _ in range(3)])
    response = world.a.client.get(
        "/xapi/statements?limit=1",
        headers={"Authorization": world.a.authorization, "X-Experience-API-Version": "1.0.3"},
        environ_overrides={"SCRIPT_NAME": "/lrs"},
    )
    assert response.get_json()["more"].startswith("/lrs/xapi/statements?more=")
