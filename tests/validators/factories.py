"""Valid xAPI statements for the validator tables, and transforms that break (or vary) one field of them.

``make_statement(**overrides)`` builds a fresh, fully valid statement using most properties (result, context
with every context activity type, timestamp, attachments ...).  A transform is a function taking that statement
and returning the payload to validate; ``put`` / ``drop`` build the common ones from a dotted path
("context.contextActivities.parent.0.id", list indexes as numbers) or a tuple path (for keys containing dots).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

Statement = dict[str, Any]
Transform = Callable[[Statement], Any]
PathSpec = str | tuple[str | int, ...]

STATEMENT_ID = "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"
REGISTRATION = "ec531277-b57b-4c15-8d91-d292c5b2b8f7"
REF_ID = "8f87ccde-bb56-4c2e-ab83-44982ef22df0"
ACTIVITY_ID = "http://example.com/courses/algebra/lesson/1"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
SHA256 = "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"
EXT = "http://example.com/xapi/extensions/ext"


def make_agent(**overrides: Any) -> dict[str, Any]:
    agent: dict[str, Any] = {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.com"}
    return _apply(agent, overrides)


def make_group(**overrides: Any) -> dict[str, Any]:
    group: dict[str, Any] = {
        "objectType": "Group",
        "name": "Team A",
        "member": [make_agent(), make_agent(name="Bo", mbox="mailto:bo@example.com")],
    }
    return _apply(group, overrides)


def make_activity(**overrides: Any) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "objectType": "Activity",
        "id": ACTIVITY_ID,
        "definition": {
            "name": {"en-US": "Lesson 1", "de": "Lektion 1"},
            "description": {"en-US": "The first lesson"},
            "type": "http://adlnet.gov/expapi/activities/lesson",
            "moreInfo": "https://example.com/courses/algebra/lesson/1/info",
            "extensions": {EXT: {"any": ["json", 1, None]}},
        },
    }
    return _apply(activity, overrides)


def make_attachment(**overrides: Any) -> dict[str, Any]:
    attachment: dict[str, Any] = {
        "usageType": "http://adlnet.gov/expapi/attachments/certificate",
        "display": {"en-US": "Certificate"},
        "description": {"en-US": "Completion certificate"},
        "contentType": "application/pdf",
        "length": 1024,
        "sha2": SHA256,
        "fileUrl": "https://files.example.com/certificate.pdf",
    }
    return _apply(attachment, overrides)


def make_statement(**overrides: Any) -> Statement:
    """A fresh valid 1.0.3 (and 2.0.0) statement; ``key=None`` removes a top-level property."""
    statement: Statement = {
        "id": STATEMENT_ID,
        "actor": make_agent(),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": make_activity(),
        "result": {
            "score": {"scaled": 0.85, "raw": 85, "min": 0, "max": 100},
            "success": True,
            "completion": True,
            "response": "42",
            "duration": "PT1H2M3.45S",
            "extensions": {EXT: 1},
        },
        "context": {
            "registration": REGISTRATION,
            "instructor": make_agent(name="Mr. Lee", mbox="mailto:lee@example.com"),
            "team": make_group(),
            "contextActivities": {
                "parent": [{"id": "http://example.com/courses/algebra"}],
                "grouping": [{"id": "http://example.com/programs/math", "objectType": "Activity"}],
                "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}],
                "other": [{"id": "http://example.com/textbooks/algebra"}],
            },
            "language": "en-US",
            "statement": {"objectType": "StatementRef", "id": REF_ID},
            "extensions": {EXT: "value"},
        },
        "timestamp": "2024-05-01T12:30:00.123Z",
        "attachments": [make_attachment()],
    }
    return _apply(statement, overrides)


def make_substatement(**overrides: Any) -> dict[str, Any]:
    """A SubStatement built from a statement without the properties a SubStatement must not have;
    ``key=None`` removes a property."""
    sub = make_statement(id=None, attachments=None)
    sub["objectType"] = "SubStatement"
    return _apply(sub, overrides)


def _apply(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Override properties of a factory's object; ``None`` removes one (use ``put`` to set a JSON null)."""
    for key, value in overrides.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def _steps(path: PathSpec) -> list[str | int]:
    if isinstance(path, tuple):
        return list(path)
    return [int(part) if part.isdigit() else part for part in path.split(".")]


def _parent(document: Any, steps: list[str | int]) -> Any:
    node = document
    for step in steps[:-1]:
        node = node[step]
    return node


def put(path: PathSpec, value: Any) -> Transform:
    """Transform: set the value at ``path`` (a deep copy of ``value``, so tables can share it)."""
    steps = _steps(path)

    def transform(statement: Statement) -> Statement:
        _parent(statement, steps)[steps[-1]] = copy.deepcopy(value)
        return statement

    return transform


def drop(path: PathSpec) -> Transform:
    """Transform: remove the property at ``path``."""
    steps = _steps(path)

    def transform(statement: Statement) -> Statement:
        del _parent(statement, steps)[steps[-1]]
        return statement

    return transform


def chain(*transforms: Transform) -> Transform:
    """Transform: apply several transforms in order."""

    def transform(statement: Statement) -> Any:
        result: Any = statement
        for step in transforms:
            result = step(result)
        return result

    return transform


def build(payload_or_transform: Transform | Statement) -> Any:
    """The payload of a table row: a transform applied to a fresh ``make_statement()``, or a literal payload."""
    if callable(payload_or_transform):
        return payload_or_transform(make_statement())
    return copy.deepcopy(payload_or_transform)
