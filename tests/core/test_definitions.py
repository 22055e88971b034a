"""Canonical definition merging (lrs.definitions): what a newer definition may change."""

from __future__ import annotations

from typing import Any

import pytest

from lrs.definitions import apply_definitions, merge_definition

CHOICE = {
    "interactionType": "choice",
    "correctResponsesPattern": ["golf"],
    "choices": [{"id": "golf", "description": {"en-US": "Golf"}}, {"id": "chess", "description": {"en-US": "Chess"}}],
}

CASES: list[tuple[str, dict[str, Any] | None, dict[str, Any], dict[str, Any]]] = [
    (
        "first definition is taken whole",
        None,
        {"name": {"en": "A"}, "type": "http://t/1"},
        {"name": {"en": "A"}, "type": "http://t/1"},
    ),
    ("languages are merged", {"name": {"en": "A"}}, {"name": {"fr": "Á"}}, {"name": {"en": "A", "fr": "Á"}}),
    (
        "newer text wins for a language",
        {"name": {"en": "Colour"}},
        {"name": {"en": "Color"}},
        {"name": {"en": "Color"}},
    ),
    (
        "description merged apart from name",
        {"name": {"en": "A"}, "description": {"en": "d"}},
        {"description": {"de": "b"}},
        {"name": {"en": "A"}, "description": {"en": "d", "de": "b"}},
    ),
    (
        "extensions merged key by key",
        {"extensions": {"http://x/a": 1, "http://x/b": 2}},
        {"extensions": {"http://x/b": 3, "http://x/c": 4}},
        {"extensions": {"http://x/a": 1, "http://x/b": 3, "http://x/c": 4}},
    ),
    (
        "type and moreInfo are replaced",
        {"type": "http://t/1", "moreInfo": "http://m/1"},
        {"type": "http://t/2"},
        {"type": "http://t/2", "moreInfo": "http://m/1"},
    ),
    (
        "absent properties are kept",
        {"name": {"en": "A"}, "type": "http://t/1"},
        {},
        {"name": {"en": "A"}, "type": "http://t/1"},
    ),
    ("interaction model added when missing", {"name": {"en": "Q"}}, CHOICE, {"name": {"en": "Q"}, **CHOICE}),
    ("interactionType is never changed", CHOICE, {"interactionType": "true-false"}, CHOICE),
    ("correct responses are never changed", CHOICE, {"correctResponsesPattern": ["chess"]}, CHOICE),
    (
        "components keep their ids, descriptions merge",
        CHOICE,
        {
            "choices": [
                {"id": "golf", "description": {"fr-FR": "Le golf"}},
                {"id": "poker", "description": {"en-US": "Poker"}},
            ]
        },
        {
            **CHOICE,
            "choices": [
                {"id": "golf", "description": {"en-US": "Golf", "fr-FR": "Le golf"}},
                {"id": "chess", "description": {"en-US": "Chess"}},
            ],
        },
    ),
    (
        "component without a description gets one",
        {"scale": [{"id": "s1"}]},
        {"scale": [{"id": "s1", "description": {"en": "one"}}]},
        {"scale": [{"id": "s1", "description": {"en": "one"}}]},
    ),
]


@pytest.mark.parametrize(("case", "old", "new", "expected"), CASES, ids=[c[0] for c in CASES])
def test_merge_definition(case: str, old: dict[str, Any] | None, new: dict[str, Any], expected: dict[str, Any]) -> None:
    assert merge_definition(old, new) == expected


def test_merge_changes_neither_argument() -> None:
    old = {"name": {"en": "A"}, "choices": [{"id": "x", "description": {"en": "X"}}]}
    new = {"name": {"fr": "B"}, "choices": [{"id": "x", "description": {"fr": "Y"}}]}
    merge_definition(old, new)
    assert old == {"name": {"en": "A"}, "choices": [{"id": "x", "description": {"en": "X"}}]}
    assert new == {"name": {"fr": "B"}, "choices": [{"id": "x", "description": {"fr": "Y"}}]}


# --- the define scope (xAPI 1.0.3 Communication §4) -----------------------------------------------------


def test_without_define_a_definition_only_creates_a_missing_one() -> None:
    first, second = {"name": {"en": "A"}}, {"name": {"en": "B", "fr": "B"}, "type": "http://t/2"}
    assert apply_definitions(None, [(first, False), (second, False)]) == first
    assert apply_definitions({"name": {"en": "Old"}}, [(second, False)]) == {"name": {"en": "Old"}}
    assert apply_definitions(None, []) is None


def test_with_define_definitions_merge_in_order_whatever_came_without() -> None:
    incoming = [({"name": {"en": "A"}}, False), ({"name": {"fr": "Á"}}, True), ({"type": "http://t/1"}, False)]
    assert apply_definitions(None, incoming) == {"name": {"en": "A", "fr": "Á"}}
    old = {"name": {"en": "Old"}}
    assert apply_definitions(old, [({"name": {"en": "New"}}, True)]) == {"name": {"en": "New"}}
    assert old == {"name": {"en": "Old"}}
