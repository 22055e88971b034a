"""PUT and POST /xapi/statements: storing, conflicts, atomic batches, LRS-set properties."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.api.conftest import World
from tests.factories import make_agent, make_statement, voiding


def stored(world: World, statement_id: str, client: str = "a") -> dict:
    response = getattr(world, client).get(statementId=statement_id)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def count(world: World, tenant: str = "tenant-a") -> int:
    return world.store.count_statements(tenant)


def test_post_single_statement_returns_its_id_and_stores_it(world: World) -> None:
    statement = make_statement()
    response = world.a.post(statement)
    assert response.status_code == 200
    assert response.get_json() == [statement["id"]]
    assert "X-Experience-API-Consistent-Through" in response.headers
    body = stored(world, statement["id"])
    assert body["verb"] == statement["verb"]
    assert body["version"] == "1.0.0"
    assert body["stored"] == body["timestamp"]


def test_post_without_id_gets_one_assigned(world: World) -> None:
    statement = make_statement(id=None)
    response = world.a.post(statement)
    assert response.status_code == 200
    (assigned,) = response.get_json()
    assert uuid.UUID(assigned).version == 4
    assert stored(world, assigned)["id"] == assigned


def test_post_batch_returns_ids_in_order(world: World) -> None:
    batch = [make_statement(), make_statement(id=None), make_statement()]
    response = world.a.post(batch)
    assert response.status_code == 200
    ids = response.get_json()
    assert ids[0] == batch[0]["id"] and ids[2] == batch[2]["id"]
    assert count(world) == 3


def test_put_stores_under_the_statement_id(world: World) -> None:
    statement = make_statement(id=None)
    statement_id = str(uuid.uuid4())
    response = world.a.put(statement, statement_id)
    assert response.status_code == 204
    assert response.get_data() == b""
    assert stored(world, statement_id)["id"] == statement_id


@pytest.mark.parametrize(
    ("case", "query", "body_id", "status"),
    [
        ("id mismatch", "statementId={}", "other", 400),
        ("missing statementId", "", "same", 400),
        ("invalid statementId", "statementId=not-a-uuid", None, 400),
        ("extra parameter", "statementId={}&verb=x", None, 400),
    ],
)
def test_put_parameter_errors_store_nothing(
    world: World, case: str, query: str, body_id: str | None, status: int
) -> None:
    statement_id = str(uuid.uuid4())
    statement = make_statement(id=None)
    if body_id == "other":
        statement["id"] = str(uuid.uuid4())
    elif body_id == "same":
        statement["id"] = statement_id
    response = world.a.request("PUT", "/xapi/statements?" + query.format(statement_id), json=statement)
    assert response.status_code == status, case
    assert response.get_json()["message"]
    assert count(world) == 0


def test_same_statement_twice_is_not_an_error_and_changes_nothing(world: World) -> None:
    statement = make_statement()
    assert world.a.put(statement, statement["id"]).status_code == 204
    first = stored(world, statement["id"])
    assert world.a.put(statement, statement["id"]).status_code == 204
    assert world.a.post(statement).get_json() == [statement["id"]]
    assert stored(world, statement["id"])["stored"] == first["stored"]
    assert count(world) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"verb": {"id": "http://adlnet.gov/expapi/verbs/display-changed", "display": {"en-US": "x"}}},
        {"actor": make_agent("somebody-else")},
        {"result": {"success": True}},
        {"context": {"registration": str(uuid.uuid4())}},
        {"timestamp": "2020-01-01T00:00:00Z"},
    ],
    ids=["verb", "actor", "result", "context", "timestamp"],
)
def test_same_id_different_content_is_409_and_the_original_stays(world: World, change: dict) -> None:
    statement = make_statement(timestamp="2024-05-01T08:00:00Z")
    world.a.post(statement)
    response = world.a.post({**statement, **change})
    assert response.status_code == 409
    assert statement["id"] in response.get_json()["message"]
    assert world.a.put({**statement, **change}, statement["id"]).status_code == 409
    assert stored(world, statement["id"])["verb"] == statement["verb"]


@pytest.mark.parametrize(
    "equivalent",
    [
        {"verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"id-ID": "selesai"}}},
        {"object": {"objectType": "Activity", "id": "http://example.gov/courses/onboarding"}},
        {"timestamp": "2024-05-01T15:00:00+07:00"},
        {"actor": {"objectType": "Agent", "name": "ayu", "mbox": "mailto:ayu@EXAMPLE.gov"}},
    ],
    ids=["verb display", "activity definition", "same instant", "mbox domain case"],
)
def test_allowed_differences_are_not_conflicts(world: World, equivalent: dict) -> None:
    statement = make_statement(timestamp="2024-05-01T08:00:00Z")
    world.a.post(statement)
    assert world.a.post({**statement, **equivalent}).status_code == 200
    assert stored(world, statement["id"])["verb"] == statement["verb"]


def test_group_member_order_is_not_a_conflict(world: World) -> None:
    members = [make_agent("ayu"), make_agent("budi")]
    statement = make_statement(actor={"objectType": "Group", "member": members})
    world.a.post(statement)
    swapped = {**statement, "actor": {"objectType": "Group", "member": members[::-1]}}
    assert world.a.post(swapped).status_code == 200


def test_batch_is_all_or_nothing_on_an_invalid_statement(world: World) -> None:
    valid, invalid = make_statement(), make_statement(verb={"id": "not an iri"})
    response = world.a.post([valid, invalid])
    assert response.status_code == 400
    assert "statements[1].verb.id" in response.get_json()["message"]
    assert world.a.get(statementId=valid["id"]).status_code == 404


def test_batch_with_a_conflict_stores_nothing_new(world: World) -> None:
    existing = make_statement()
    world.a.post(existing)
    fresh = make_statement()
    response = world.a.post([fresh, {**existing, "result": {"completion": True}}])
    assert response.status_code == 409
    assert world.a.get(statementId=fresh["id"]).status_code == 404
    assert count(world) == 1


def test_batch_with_duplicate_ids_is_400(world: World) -> None:
    statement = make_statement()
    response = world.a.post([statement, statement])
    assert response.status_code == 400
    assert count(world) == 0


def test_batch_mixing_new_and_already_stored_identical_statements(world: World) -> None:
    existing = make_statement()
    world.a.post(existing)
    fresh = make_statement()
    response = world.a.post([existing, fresh])
    assert response.status_code == 200
    assert response.get_json() == [existing["id"], fresh["id"]]
    assert count(world) == 2


def test_authority_and_stored_are_set_by_the_lrs(world: World) -> None:
    statement = make_statement(
        authority={"objectType": "Agent", "mbox": "mailto:forged@evil.example"},
        stored="2001-01-01T00:00:00Z",
    )
    world.a.post(statement)
    body = stored(world, statement["id"])
    key, _ = world.keys["tenant-a"]
    assert body["authority"]["account"]["name"] == key
    assert "mbox" not in body["authority"]
    assert body["stored"] != "2001-01-01T00:00:00Z"


def test_version_is_kept_when_given(world: World) -> None:
    statement = make_statement(version="1.0.9")
    assert world.a.post(statement).status_code == 200
    assert stored(world, statement["id"])["version"] == "1.0.9"


def test_uppercase_id_is_accepted_and_found_in_either_case(world: World) -> None:
    statement = make_statement()
    statement["id"] = statement["id"].upper()
    assert world.a.post(statement).status_code == 200
    assert world.a.get(statementId=statement["id"].lower()).status_code == 200
    assert world.a.get(statementId=statement["id"]).status_code == 200


@pytest.mark.parametrize(
    ("content_type", "body", "fragment"),
    [
        ("text/plain", json.dumps(make_statement()), "Content-Type"),
        ("application/json", "{not json", "not valid JSON"),
        ("application/json", '{"id": "a", "id": "b"}', "duplicate key"),
        ("application/json", '{"result": {"score": {"raw": NaN}}}', "NaN"),
        ("application/json", "[" * 5000 + "]" * 5000, "nested"),
        ("application/json", b'{"actor": "\xff"}', "UTF-8"),
        ("application/json", '{"actor": "\\ud800"}', "surrogate"),
        ("application/json", '{"n": 1' + "0" * 5000 + "}", "not valid JSON"),
        ("multipart/mixed; boundary=x", "--x--", "multipart"),
    ],
)
def test_malformed_bodies_are_400_and_store_nothing(world: World, content_type: str, body, fragment: str) -> None:
    response = world.a.request("POST", data=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert fragment in response.get_json()["message"]
    assert count(world) == 0


def test_oversized_body_is_413(tmp_path) -> None:
    from tests.api.conftest import make_world

    small = make_world(tmp_path, max_body_bytes=2048)
    statement = make_statement(result={"response": "x" * 4096})
    response = small.a.post(statement)
    assert response.status_code == 413
    assert response.get_json()["code"] == 413
    assert small.store.count_statements("tenant-a") == 0


def test_batch_over_the_limit_is_413(tmp_path) -> None:
    from tests.api.conftest import make_world

    limited = make_world(tmp_path, max_batch=3)
    response = limited.a.post([make_statement() for _ in range(4)])
    assert response.status_code == 413
    assert limited.a.post([make_statement() for _ in range(3)]).status_code == 200


def test_attachments_without_file_url_and_signatures_are_rejected_for_now(world: World) -> None:
    attachment = {
        "usageType": "http://adlnet.gov/expapi/attachments/signature",
        "display": {"en-US": "sig"},
        "contentType": "application/octet-stream",
        "length": 10,
        "sha2": "a" * 64,
    }
    assert world.a.post(make_statement(attachments=[attachment])).status_code == 400
    plain = {**attachment, "usageType": "http://example.gov/certificate"}
    assert world.a.post(make_statement(attachments=[plain])).status_code == 400
    with_url = {**plain, "fileUrl": "http://169.254.169.254/latest"}
    statement = make_statement(attachments=[with_url])
    assert world.a.post(statement).status_code == 200
    assert stored(world, statement["id"])["attachments"][0]["fileUrl"] == "http://169.254.169.254/latest"


def test_post_with_query_parameters_is_400(world: World) -> None:
    response = world.a.request("POST", "/xapi/statements?statementId=x", json=make_statement())
    assert response.status_code == 400
    assert count(world) == 0


# --- voiding ------------------------------------------------------------------------------------------


def test_voiding_flow(world: World) -> None:
    target = make_statement()
    world.a.post(target)
    void = voiding(target["id"])
    assert world.a.post(void).status_code == 200
    assert world.a.get(statementId=target["id"]).status_code == 404
    voided = world.a.get(voidedStatementId=target["id"])
    assert voided.status_code == 200 and voided.get_json()["id"] == target["id"]
    assert world.a.get(voidedStatementId=void["id"]).status_code == 404
    listed = [s["id"] for s in world.a.get().get_json()["statements"]]
    assert listed == [void["id"]]


def test_voiding_an_unknown_statement_is_accepted(world: World) -> None:
    assert world.a.post(voiding(str(uuid.uuid4()))).status_code == 200


def test_voiding_a_voiding_statement_has_no_effect(world: World) -> None:
    target = make_statement()
    first = voiding(target["id"])
    world.a.post([target, first])
    assert world.a.post(voiding(first["id"])).status_code == 200
    assert world.a.get(statementId=first["id"]).status_code == 200
    assert world.a.get(statementId=target["id"]).status_code == 404
