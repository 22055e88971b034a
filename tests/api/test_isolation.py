"""Tenant isolation of the Statement resource (catalogue C1, C2, C3, C4, C9, C11)."""

from __future__ import annotations

import json
import random
import uuid

from tests.api.conftest import World
from tests.factories import ACTIVITY, make_agent, make_statement, ref_to, voiding


def test_same_id_in_two_tenants_is_two_statements(world: World) -> None:
    shared = str(uuid.uuid4())
    a_version = make_statement(id=shared)
    b_version = make_statement(id=shared, verb={"id": "http://ex.gov/verbs/b-only"})
    assert world.a.post(a_version).status_code == 200
    assert world.b.post(b_version).status_code == 200
    assert world.a.get(statementId=shared).get_json()["verb"] == a_version["verb"]
    assert world.b.get(statementId=shared).get_json()["verb"] == b_version["verb"]


def test_foreign_id_is_404_exactly_like_an_unknown_id(world: World) -> None:
    theirs = make_statement()
    world.b.post(theirs)
    world.b.post(voiding(theirs["id"]))
    foreign = world.a.get(statementId=theirs["id"])
    foreign_voided = world.a.get(voidedStatementId=theirs["id"])
    unknown_id = str(uuid.uuid4())
    unknown = world.a.get(statementId=unknown_id)
    assert foreign.status_code == foreign_voided.status_code == unknown.status_code == 404
    assert foreign.get_json() == {
        **unknown.get_json(),
        "message": unknown.get_json()["message"].replace(unknown_id, theirs["id"]),
    }


def test_voiding_another_tenants_statement_changes_nothing_there(world: World) -> None:
    theirs = make_statement()
    world.b.post(theirs)
    assert world.a.post(voiding(theirs["id"])).status_code == 200
    assert world.b.get(statementId=theirs["id"]).status_code == 200


def test_random_queries_never_return_another_tenants_statements(world: World) -> None:
    rng = random.Random(7)
    learners = [make_agent(f"learner{i}") for i in range(4)]
    verbs = [f"http://ex.gov/verbs/v{i}" for i in range(3)]
    activities = [ACTIVITY, "http://ex.gov/a2"]
    registrations = [str(uuid.uuid4()) for _ in range(2)]
    owned: dict[str, set[str]] = {"a": set(), "b": set()}
    for client_name in ("a", "b"):
        client = getattr(world, client_name)
        batch = []
        for _ in range(30):
            statement = make_statement(
                actor=rng.choice(learners),
                verb={"id": rng.choice(verbs)},
                object={"id": rng.choice(activities)},
                context={"registration": rng.choice(registrations), "instructor": rng.choice(learners)},
            )
            batch.append(statement)
        batch.append(ref_to(batch[0]["id"]))
        assert client.post(batch).status_code == 200
        owned[client_name] = {s["id"] for s in batch}
    for _ in range(60):
        params: dict[str, str] = {}
        if rng.random() < 0.5:
            params["agent"] = json.dumps({"mbox": rng.choice(learners)["mbox"]})
        if rng.random() < 0.4:
            params["verb"] = rng.choice(verbs)
        if rng.random() < 0.4:
            params["activity"] = rng.choice(activities)
        if rng.random() < 0.3:
            params["registration"] = rng.choice(registrations)
        for flag in ("related_agents", "related_activities", "ascending"):
            if rng.random() < 0.3:
                params[flag] = "true"
        params["limit"] = str(rng.choice([0, 3, 50]))
        for client_name, other in (("a", "b"), ("b", "a")):
            response = getattr(world, client_name).get(**params)
            assert response.status_code == 200
            returned = {s["id"] for s in response.get_json()["statements"]}
            assert not returned & owned[other], params
            assert returned <= owned[client_name]
