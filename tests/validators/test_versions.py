"""What differs between the 1.0.3 and 2.0.0 rule sets: contextAgents/contextGroups, statement version,
timestamps.  Payloads marked "suite" are the ADL conformance suite's (test/v2_0/configs/contextagents.js ...)."""

from __future__ import annotations

import pytest

from lrs.errors import BadRequestError
from tests.validators.assertions import assert_rejected
from tests.validators.factories import (
    Statement,
    Transform,
    build,
    chain,
    make_agent,
    make_group,
    make_substatement,
    put,
)
from validators.statement import validate_statement

V1, V2 = "1.0.3", "2.0.0"

CONTEXT_AGENTS = [
    {
        "objectType": "contextAgent",
        "agent": {"objectType": "Agent", "mbox": "mailto:player-1@example.com"},
        "relevantTypes": [
            "https://example.com/xapi/american-footbal/activity-types/personnel/player",
            "https://example.com/xapi/american-footbal/activity-types/position/quarterback",
        ],
    }
]
CONTEXT_GROUPS = [
    {
        "objectType": "contextGroup",
        "group": {
            "objectType": "Group",
            "mbox": "mailto:team-1@example.com",
            "member": [{"objectType": "Agent", "mbox": "mailto:player-1@example.com"}],
        },
        "relevantTypes": ["https://example.com/xapi/american-footbal/activity-types/team/a"],
    },
    {"objectType": "contextGroup", "group": make_group()},
]


def agent_entry(**fields: object) -> dict[str, object]:
    entry: dict[str, object] = {"objectType": "contextAgent", "agent": make_agent()}
    entry.update(fields)
    return {key: value for key, value in entry.items() if value is not None}


def group_entry(**fields: object) -> dict[str, object]:
    entry: dict[str, object] = {"objectType": "contextGroup", "group": make_group()}
    entry.update(fields)
    return {key: value for key, value in entry.items() if value is not None}


ACCEPT_V2_ONLY: list[tuple[str, Transform | Statement]] = [
    ("contextAgents-suite", put("context.contextAgents", CONTEXT_AGENTS)),
    ("contextGroups-suite", put("context.contextGroups", CONTEXT_GROUPS)),
    ("contextAgents-without-relevantTypes", put("context.contextAgents", [agent_entry()])),
    (
        "contextAgents-agent-without-objectType",
        put(
            "context.contextAgents", [agent_entry(agent={"account": {"homePage": "http://example.com", "name": "p1"}})]
        ),
    ),
    ("contextAgents-empty-array", put("context.contextAgents", [])),
    (
        "both-in-substatement-suite",
        put("object", make_substatement(context={"contextAgents": CONTEXT_AGENTS, "contextGroups": CONTEXT_GROUPS})),
    ),
    ("version-2.0.0", put("version", "2.0.0")),
    ("version-2.0.9", put("version", "2.0.9")),
    ("timestamp-space-separator", put("timestamp", "2008-09-15 15:53:00.601+00:00")),
]

REJECT_V2: list[tuple[str, Transform | Statement, str]] = [
    (
        "contextAgents-objectType-suite",
        put("context.contextAgents", [agent_entry(objectType="Should fail")]),
        "statement.context.contextAgents[0].objectType",
    ),
    (
        "contextAgents-objectType-case",
        put("context.contextAgents", [agent_entry(objectType="ContextAgent")]),
        "statement.context.contextAgents[0].objectType",
    ),
    (
        "contextAgents-missing-objectType",
        put("context.contextAgents", [agent_entry(objectType=None)]),
        "statement.context.contextAgents[0].objectType",
    ),
    (
        "contextAgents-invalid-agent-suite",
        put("context.contextAgents", [agent_entry(agent={"key": "Should fail"})]),
        "statement.context.contextAgents[0].agent.key",
    ),
    (
        "contextAgents-missing-agent",
        put("context.contextAgents", [agent_entry(agent=None)]),
        "statement.context.contextAgents[0].agent",
    ),
    (
        "contextAgents-agent-is-group",
        put("context.contextAgents", [agent_entry(agent=make_group())]),
        "statement.context.contextAgents[0].agent.objectType",
    ),
    (
        "contextAgents-relevantTypes-empty-suite",
        put("context.contextAgents", [agent_entry(relevantTypes=[])]),
        "statement.context.contextAgents[0].relevantTypes",
    ),
    (
        "contextAgents-relevantTypes-non-iri-suite",
        put("context.contextAgents", [agent_entry(relevantTypes=["abc"])]),
        "statement.context.contextAgents[0].relevantTypes[0]",
    ),
    (
        "contextAgents-relevantTypes-string",
        put("context.contextAgents", [agent_entry(relevantTypes="http://example.com/t")]),
        "statement.context.contextAgents[0].relevantTypes",
    ),
    (
        "contextAgents-unknown-property",
        put("context.contextAgents", [agent_entry(group=make_group())]),
        "statement.context.contextAgents[0].group",
    ),
    ("contextAgents-not-array", put("context.contextAgents", agent_entry()), "statement.context.contextAgents"),
    (
        "contextAgents-item-not-object",
        put("context.contextAgents", ["mailto:a@example.com"]),
        "statement.context.contextAgents[0]",
    ),
    ("contextAgents-null", put("context.contextAgents", None), "statement.context.contextAgents"),
    (
        "contextGroups-objectType-suite",
        put("context.contextGroups", [group_entry(objectType="Should fail", member=[make_agent()])]),
        "statement.context.contextGroups[0].objectType",
    ),
    (
        "contextGroups-objectType-wrong",
        put("context.contextGroups", [group_entry(objectType="contextAgent")]),
        "statement.context.contextGroups[0].objectType",
    ),
    (
        "contextGroups-invalid-group-suite",
        put("context.contextGroups", [group_entry(group={"key": "Should fail"})]),
        "statement.context.contextGroups[0].group.objectType",
    ),
    (
        "contextGroups-group-is-agent",
        put("context.contextGroups", [group_entry(group=make_agent())]),
        "statement.context.contextGroups[0].group.objectType",
    ),
    (
        "contextGroups-anonymous-group-without-member",
        put("context.contextGroups", [group_entry(group={"objectType": "Group"})]),
        "statement.context.contextGroups[0].group.member",
    ),
    (
        "contextGroups-relevantTypes-empty-suite",
        put("context.contextGroups", [group_entry(relevantTypes=[])]),
        "statement.context.contextGroups[0].relevantTypes",
    ),
    (
        "contextGroups-relevantTypes-non-iri-suite",
        put("context.contextGroups", [group_entry(relevantTypes=["abc"])]),
        "statement.context.contextGroups[0].relevantTypes[0]",
    ),
    (
        "contextGroups-second-entry",
        put("context.contextGroups", [group_entry(), group_entry(group=None)]),
        "statement.context.contextGroups[1].group",
    ),
    (
        "substatement-contextAgents-objectType-suite",
        put("object", make_substatement(context={"contextAgents": [agent_entry(objectType="Should fail")]})),
        "statement.object.context.contextAgents[0].objectType",
    ),
    ("timestamp-without-zone", put("timestamp", "2024-05-01T12:30:00.000"), "statement.timestamp"),
    ("timestamp-minus-00-00-suite", put("timestamp", "2008-09-15T15:53:00.601-00:00"), "statement.timestamp"),
    ("version-2.5.0", put("version", "2.5.0"), "statement.version"),
    ("version-1.1.0-suite", put("version", "1.1.0"), "statement.version"),
]

REJECT_V1_ONLY: list[tuple[str, Transform | Statement, str]] = [
    ("contextAgents-unknown-in-1.0.3", put("context.contextAgents", CONTEXT_AGENTS), "statement.context.contextAgents"),
    ("contextGroups-unknown-in-1.0.3", put("context.contextGroups", CONTEXT_GROUPS), "statement.context.contextGroups"),
    (
        "substatement-contextAgents-in-1.0.3",
        put("object", make_substatement(context={"contextAgents": CONTEXT_AGENTS})),
        "statement.object.context.contextAgents",
    ),
    ("version-2.0.0-in-1.0.3", put("version", "2.0.0"), "statement.version"),
    ("timestamp-space-separator-in-1.0.3", put("timestamp", "2008-09-15 15:53:00.601+00:00"), "statement.timestamp"),
]

ACCEPT_V1_ONLY: list[tuple[str, Transform | Statement]] = [
    ("timestamp-without-zone", put("timestamp", "2024-05-01T12:30:00.000")),
    ("timestamp-minutes-precision", put("timestamp", "2024-05-01T12:30")),
]


@pytest.mark.parametrize(("case_id", "payload"), ACCEPT_V2_ONLY, ids=[r[0] for r in ACCEPT_V2_ONLY])
def test_accepted_under_2_0_only(case_id: str, payload: Transform | Statement) -> None:
    validate_statement(build(payload), version=V2)
    with pytest.raises(BadRequestError):
        validate_statement(build(payload), version=V1)


@pytest.mark.parametrize(("case_id", "payload", "expected_path"), REJECT_V2, ids=[r[0] for r in REJECT_V2])
def test_rejected_under_2_0(case_id: str, payload: Transform | Statement, expected_path: str) -> None:
    statement = build(payload)
    assert_rejected(lambda: validate_statement(statement, version=V2), expected_path)


@pytest.mark.parametrize(("case_id", "payload", "expected_path"), REJECT_V1_ONLY, ids=[r[0] for r in REJECT_V1_ONLY])
def test_rejected_under_1_0_3_only(case_id: str, payload: Transform | Statement, expected_path: str) -> None:
    statement = build(payload)
    error = assert_rejected(lambda: validate_statement(statement, version=V1), expected_path)
    if "context" in expected_path:
        assert "unknown property" in error.message
    validate_statement(build(payload), version=V2)


@pytest.mark.parametrize(("case_id", "payload"), ACCEPT_V1_ONLY, ids=[r[0] for r in ACCEPT_V1_ONLY])
def test_accepted_under_1_0_3_only(case_id: str, payload: Transform | Statement) -> None:
    validate_statement(build(payload), version=V1)
    assert_rejected(lambda: validate_statement(build(payload), version=V2), "statement.timestamp")


def test_context_agents_in_statement_with_other_context() -> None:
    statement = build(chain(put("context.contextAgents", CONTEXT_AGENTS), put("context.contextGroups", CONTEXT_GROUPS)))
    validate_statement(statement, version=V2)
