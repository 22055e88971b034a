"""One deployment, two xAPI versions: what each reader receives (see lrs.versions)."""

from __future__ import annotations

from tests.api.conftest import World
from tests.factories import make_agent, make_statement


def _v2_statement() -> dict[str, object]:
    return make_statement(
        timestamp="2024-03-01T10:00:00.250+07:00",
        context={"contextAgents": [{"objectType": "contextAgent", "agent": make_agent("peer")}]},
    )


def test_2_0_statement_is_stored_in_utc_and_downgraded_for_1_0_3_readers(world: World) -> None:
    statement = _v2_statement()
    world.a.version = "2.0.0"
    assert world.a.post(statement).status_code == 200
    as_v2 = world.a.get(statementId=statement["id"]).get_json()
    assert as_v2["version"] == "2.0.0"
    assert as_v2["timestamp"] == "2024-03-01T03:00:00.250Z"
    assert as_v2["context"]["contextAgents"] == statement["context"]["contextAgents"]  # type: ignore[index]

    world.a.version = "1.0.3"
    as_v1 = world.a.get(statementId=statement["id"]).get_json()
    assert as_v1["version"] == "1.0.3"
    assert "contextAgents" not in as_v1.get("context", {})
    assert as_v1["timestamp"] == "2024-03-01T03:00:00.250Z"
    queried = world.a.get(verb=statement["verb"]["id"]).get_json()["statements"]  # type: ignore[index]
    assert [s["version"] for s in queried] == ["1.0.3"]
    assert all("contextAgents" not in s.get("context", {}) for s in queried)
    for statement_format in ("ids", "canonical"):
        shaped = world.a.get(statementId=statement["id"], format=statement_format).get_json()
        assert shaped["version"] == "1.0.3" and "contextAgents" not in shaped.get("context", {})


def test_1_0_3_statement_reads_the_same_in_both_versions(world: World) -> None:
    statement = make_statement(timestamp="2024-03-01T10:00:00Z")
    assert world.a.post(statement).status_code == 200
    texts = set()
    for version in ("1.0.3", "2.0.0"):
        world.a.version = version
        texts.add(world.a.get(statementId=statement["id"]).get_data(as_text=True))
    assert len(texts) == 1
    assert '"version":"1.0.0"' in texts.pop()


def test_same_instant_in_another_offset_is_not_a_conflict_after_normalisation(world: World) -> None:
    statement = make_statement(timestamp="2024-03-01T10:00:00+07:00")
    assert world.a.post(statement).status_code == 200
    again = {**statement, "timestamp": "2024-03-01T03:00:00Z"}
    assert world.a.put(again, statement["id"]).status_code == 204
    different = {**statement, "timestamp": "2024-03-01T10:00:00Z"}
    assert world.a.put(different, statement["id"]).status_code == 409
