"""Plain-function factories for test data (``make_statement(**overrides)``)."""

from __future__ import annotations

import uuid
from typing import Any

ACTIVITY = "http://example.gov/courses/onboarding"


def make_agent(name: str = "ayu", **overrides: Any) -> dict[str, Any]:
    agent: dict[str, Any] = {"objectType": "Agent", "name": name, "mbox": f"mailto:{name}@example.gov"}
    agent.update(overrides)
    return agent


def make_statement(**overrides: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": make_agent(),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": ACTIVITY,
            "definition": {"name": {"en-US": "Onboarding"}, "type": "http://adlnet.gov/expapi/activities/course"},
        },
    }
    for key, value in overrides.items():
        if value is None:
            statement.pop(key, None)
        else:
            statement[key] = value
    return statement


def voiding(target_id: str, **overrides: Any) -> dict[str, Any]:
    return make_statement(
        verb={"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
        object={"objectType": "StatementRef", "id": target_id},
        **overrides,
    )


def ref_to(target_id: str, **overrides: Any) -> dict[str, Any]:
    return make_statement(
        actor=make_agent("reviewer"),
        verb={"id": "http://ex.gov/verbs/confirmed"},
        object={"objectType": "StatementRef", "id": target_id},
        **overrides,
    )


AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.test/credentials", "name": "key-a"}}
