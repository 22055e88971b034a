"""GET and HEAD /xapi/activities and /xapi/agents (catalogue C6, C7, C15, G9), on both storage adapters."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from werkzeug.test import TestResponse

from tests.api.conftest import World, XAPIClient
from tests.factories import ACTIVITY, make_agent, make_statement

AYU = make_agent("ayu")
ACTIVITY_KEYS = {"objectType", "id", "definition"}
PERSON_KEYS = {"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"}


def activity(client: XAPIClient, activity_id: str = ACTIVITY, method: str = "GET") -> TestResponse:
    return client.request(method, "/xapi/activities", query_string={"activityId": activity_id})


def person(client: XAPIClient, agent: dict[str, Any] = AYU, method: str = "GET") -> TestResponse:
    return client.request(method, "/xapi/agents", query_string={"agent": json.dumps(agent)})


def with_definition(definition: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return make_statement(object={"objectType": "Activity", "id": ACTIVITY, "definition": definition}, **overrides)


# --- Activities ------------------------------------------------------------------------------------------


def test_definitions_are_merged_across_statements(world: World) -> None:
    world.a.post(with_definition({"name": {"en-US": "Onboarding"}, "description": {"en-US": "Day one"}}))
    world.a.post(
        [
            with_definition({"name": {"fr-FR": "Intégration"}, "type": "http://ex.gov/types/course"}),
            with_definition({"description": {"id-ID": "Hari pertama"}, "extensions": {"http://ex.gov/x": 1}}),
        ]
    )
    response = activity(world.a)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {
        "objectType": "Activity",
        "id": ACTIVITY,
        "definition": {
            "name": {"en-US": "Onboarding", "fr-FR": "Intégration"},
            "description": {"en-US": "Day one", "id-ID": "Hari pertama"},
            "type": "http://ex.gov/types/course",
            "extensions": {"http://ex.gov/x": 1},
        },
    }


def test_definition_from_context_activities_counts(world: World) -> None:
    parent = {"id": "http://ex.gov/programme", "definition": {"name": {"en": "Programme"}}}
    world.a.post(make_statement(context={"contextActivities": {"parent": [parent]}}))
    assert activity(world.a, parent["id"]).get_json() == {"objectType": "Activity", **parent}


def test_correct_responses_are_not_changed_by_a_later_statement(world: World) -> None:
    first = {"interactionType": "true-false", "correctResponsesPattern": ["true"], "name": {"en": "Q1"}}
    world.a.post(with_definition(first))
    world.a.post(with_definition({"interactionType": "true-false", "correctResponsesPattern": ["false"]}))
    assert activity(world.a).get_json()["definition"] == first


def test_unknown_activity_is_an_activity_with_its_id_only(world: World) -> None:
    response = activity(world.a, "http://ex.gov/never-seen")
    assert response.status_code == 200
    assert response.get_json() == {"objectType": "Activity", "id": "http://ex.gov/never-seen"}


def test_activity_without_a_definition_has_none(world: World) -> None:
    world.a.post(make_statement(object={"id": "http://ex.gov/bare"}))
    assert activity(world.a, "http://ex.gov/bare").get_json() == {"objectType": "Activity", "id": "http://ex.gov/bare"}


def test_another_tenants_definition_is_never_visible(world: World) -> None:
    world.b.post(with_definition({"name": {"en-US": "B secret"}, "description": {"de": "B only"}}))
    assert activity(world.a).get_json() == {"objectType": "Activity", "id": ACTIVITY}
    statement = with_definition({"name": {"en-US": "A's name"}})
    world.a.post(statement)
    assert activity(world.a).get_json()["definition"] == {"name": {"en-US": "A's name"}}
    canonical = world.a.get(statementId=statement["id"], format="canonical").get_data(as_text=True)
    assert "B secret" not in canonical and "B only" not in canonical
    assert activity(world.b).get_json()["definition"] == {
        "name": {"en-US": "B secret"},
        "description": {"de": "B only"},
    }


# --- Agents ---------------------------------------------------------------------------------------------


def test_person_carries_the_names_this_tenant_used_newest_first(world: World) -> None:
    world.a.post(make_statement(actor={**AYU, "name": "Ayu Lestari"}))
    world.a.post(make_statement(actor=make_agent("ben"), context={"instructor": {**AYU, "name": "Bu Ayu"}}))
    world.a.post(make_statement(actor={**AYU, "name": "Ayu Lestari"}))
    response = person(world.a, {"mbox": AYU["mbox"]})
    assert response.status_code == 200
    assert response.get_json() == {"objectType": "Person", "name": ["Ayu Lestari", "Bu Ayu"], "mbox": [AYU["mbox"]]}


def test_unknown_agent_gets_the_minimal_person(world: World) -> None:
    account = {"homePage": "https://sso.example.gov", "name": "u-1"}
    assert person(world.a, {"name": "Nobody", "account": account}).get_json() == {
        "objectType": "Person",
        "name": ["Nobody"],
        "account": [account],
    }
    sha1 = hashlib.sha1(b"mailto:x@example.gov").hexdigest()
    assert person(world.a, {"mbox_sha1sum": sha1}).get_json() == {"objectType": "Person", "mbox_sha1sum": [sha1]}


def test_person_is_built_from_this_tenants_data_only(world: World) -> None:
    world.b.post(make_statement(actor={**AYU, "name": "Name known only in B"}))
    assert person(world.a, {"mbox": AYU["mbox"]}).get_json() == {"objectType": "Person", "mbox": [AYU["mbox"]]}
    world.a.post(make_statement(actor={**AYU, "name": "A's name"}))
    assert person(world.a, {"mbox": AYU["mbox"]}).get_json()["name"] == ["A's name"]
    assert person(world.b, {"mbox": AYU["mbox"]}).get_json()["name"] == ["Name known only in B"]


def test_voided_statements_lend_no_names(world: World) -> None:
    statement = make_statement(actor={**AYU, "name": "Withdrawn"})
    world.a.post(statement)
    world.a.post(
        make_statement(
            actor=make_agent("admin"),
            verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
            object={"objectType": "StatementRef", "id": statement["id"]},
        )
    )
    assert "name" not in person(world.a, {"mbox": AYU["mbox"]}).get_json()


# --- both resources: HEAD, bad input, scopes, alternate syntax ------------------------------------------


@pytest.mark.parametrize("resource", ["activities", "agents"])
def test_head_has_the_get_headers_and_no_body(world: World, resource: str) -> None:
    world.a.post(make_statement())
    fetch = activity if resource == "activities" else person
    get, head = fetch(world.a), fetch(world.a, method="HEAD")
    assert get.status_code == head.status_code == 200
    assert head.get_data() == b""
    for name in ("Content-Type", "Content-Length", "ETag", "X-Experience-API-Version"):
        assert head.headers[name] == get.headers[name]
    assert get.headers["ETag"] == '"' + hashlib.sha1(get.get_data()).hexdigest() + '"'
    assert set(get.get_json()) <= (ACTIVITY_KEYS if resource == "activities" else PERSON_KEYS)


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/xapi/activities", {}),
        ("/xapi/activities", {"activityId": "no scheme"}),
        ("/xapi/activities", {"activityId": ACTIVITY, "since": "2024-01-01T00:00:00Z"}),
        ("/xapi/activities", {"ActivityId": ACTIVITY}),
        ("/xapi/activities", [("activityId", ACTIVITY), ("activityId", ACTIVITY)]),
        ("/xapi/agents", {}),
        ("/xapi/agents", {"agent": "{"}),
        ("/xapi/agents", {"agent": json.dumps({"name": "no identifier"})}),
        ("/xapi/agents", {"agent": json.dumps({"objectType": "Group", "member": [AYU]})}),
        ("/xapi/agents", {"agent": json.dumps(AYU), "activityId": ACTIVITY}),
    ],
    ids=[
        "no activityId",
        "activityId not an IRI",
        "unknown parameter",
        "parameter in wrong case",
        "repeated",
        "no agent",
        "agent not JSON",
        "agent without IFI",
        "group",
        "agent with extra parameter",
    ],
)
def test_bad_parameters_are_400(world: World, path: str, query: Any) -> None:
    get = world.a.request("GET", path, query_string=query)
    head = world.a.request("HEAD", path, query_string=query)
    assert get.status_code == head.status_code == 400
    assert get.get_json()["code"] == 400
    assert head.get_data() == b""


@pytest.mark.parametrize(
    ("scopes", "activities_status", "agents_status"),
    [
        (["statements/write"], 403, 403),
        (["statements/read/mine"], 200, 403),
        (["state"], 200, 403),
        (["profile"], 200, 403),
        (["define"], 200, 403),
        (["statements/read"], 200, 200),
        (["all/read"], 200, 200),
    ],
)
def test_scopes(world: World, scopes: list[str], activities_status: int, agents_status: int) -> None:
    client = world.client_for("tenant-a", scopes)
    assert activity(client).status_code == activities_status
    assert person(client).status_code == agents_status


def test_no_credentials_is_401(world: World) -> None:
    assert activity(world.anonymous).status_code == 401
    assert person(world.anonymous).status_code == 401


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_alternate_request_syntax(world: World, method: str) -> None:
    world.a.post(with_definition({"name": {"en": "Alt"}}))
    form = {"X-Experience-API-Version": "1.0.3", "Authorization": world.a.authorization, "activityId": ACTIVITY}
    response = world.anonymous.client.post(
        f"/xapi/activities?method={method}",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert response.headers["ETag"] == activity(world.a).headers["ETag"]
    expected = activity(world.a).get_data() if method == "GET" else b""
    assert response.get_data() == expected


@pytest.mark.parametrize("path", ["/xapi/activities", "/xapi/agents"])
def test_other_methods_are_405(world: World, path: str) -> None:
    assert world.a.request("POST", path, json={}).status_code == 405
    assert world.a.request("PUT", path, json={}).status_code == 405
    assert world.a.request("DELETE", path).status_code == 405
