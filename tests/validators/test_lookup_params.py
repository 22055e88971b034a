"""Query parameters of GET /activities and GET /agents (validators.lookup_params)."""

from __future__ import annotations

import json

import pytest

from lrs.errors import BadRequestError
from validators.lookup_params import parse_activities_get, parse_agents_get

AGENT = {"objectType": "Agent", "mbox": "mailto:ayu@example.gov"}


def test_activity_id_is_returned() -> None:
    assert parse_activities_get([("activityId", "http://ex.gov/a")]) == "http://ex.gov/a"


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ([], "activityId"),
        ([("activityId", "not an iri")], "activityId"),
        ([("activityId", "")], "activityId"),
        ([("activityId", "http://ex.gov/a"), ("activityId", "http://ex.gov/b")], "activityId"),
        ([("activityid", "http://ex.gov/a")], "activityid"),
        ([("activityId", "http://ex.gov/a"), ("agent", json.dumps(AGENT))], "agent"),
    ],
    ids=["missing", "not an IRI", "empty", "repeated", "wrong case", "unknown parameter"],
)
def test_bad_activities_params(params: list[tuple[str, str]], path: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        parse_activities_get(params)
    assert caught.value.errors["path"] == path


def test_agent_is_parsed() -> None:
    assert parse_agents_get([("agent", json.dumps(AGENT))]) == AGENT


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ([], "agent"),
        ([("agent", "{not json")], None),
        ([("agent", "[]")], "agent"),
        ([("agent", json.dumps({"objectType": "Agent", "name": "no ifi"}))], "agent"),
        ([("agent", json.dumps({**AGENT, "openid": "http://id.ex.gov/a"}))], "agent"),
        ([("agent", json.dumps({"objectType": "Group", "mbox": "mailto:team@example.gov"}))], "agent.objectType"),
        ([("agent", json.dumps({"objectType": "Person", "mbox": ["mailto:a@example.gov"]}))], "agent.objectType"),
        ([("agent", json.dumps({"mbox": "ayu@example.gov"}))], "agent.mbox"),
        ([("agent", json.dumps(AGENT)), ("agent", json.dumps(AGENT))], "agent"),
        ([("agent", json.dumps(AGENT)), ("Agent", json.dumps(AGENT))], "Agent"),
    ],
    ids=[
        "missing",
        "invalid JSON",
        "array",
        "no IFI",
        "two IFIs",
        "group",
        "person",
        "bad mbox",
        "repeated",
        "wrong case",
    ],
)
def test_bad_agents_params(params: list[tuple[str, str]], path: str | None) -> None:
    with pytest.raises(BadRequestError) as caught:
        parse_agents_get(params)
    if path is not None:
        assert caught.value.errors["path"] == path
