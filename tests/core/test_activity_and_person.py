"""Activity and Person objects of the Activities and Agents resources (lrs.activities, lrs.person)."""

from __future__ import annotations

from typing import Any

import pytest

from lrs.activities import activity_object
from lrs.agents import ifi_key
from lrs.person import names_used, person_object
from tests.factories import make_agent, make_statement

ACCOUNT = {"homePage": "https://sso.example.gov", "name": "ayu-77"}


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (None, {"objectType": "Activity", "id": "http://ex.gov/a"}),
        ({}, {"objectType": "Activity", "id": "http://ex.gov/a"}),
        (
            {"name": {"en": "A"}},
            {"objectType": "Activity", "id": "http://ex.gov/a", "definition": {"name": {"en": "A"}}},
        ),
    ],
)
def test_activity_object(definition: dict[str, Any] | None, expected: dict[str, Any]) -> None:
    assert activity_object("http://ex.gov/a", definition) == expected


@pytest.mark.parametrize(
    ("agent", "names", "expected"),
    [
        ({"mbox": "mailto:a@ex.gov"}, [], {"objectType": "Person", "mbox": ["mailto:a@ex.gov"]}),
        (
            {"objectType": "Agent", "name": "Ayu", "mbox": "mailto:a@ex.gov"},
            ["Ayu S.", "Ayu", "Ayu S."],
            {"objectType": "Person", "name": ["Ayu", "Ayu S."], "mbox": ["mailto:a@ex.gov"]},
        ),
        (
            {"mbox_sha1sum": "a" * 40},
            ["Ben"],
            {"objectType": "Person", "name": ["Ben"], "mbox_sha1sum": ["a" * 40]},
        ),
        ({"openid": "http://id.ex.gov/c"}, [], {"objectType": "Person", "openid": ["http://id.ex.gov/c"]}),
        ({"account": ACCOUNT}, [], {"objectType": "Person", "account": [ACCOUNT]}),
    ],
    ids=["minimal", "request name first, deduplicated", "sha1", "openid", "account"],
)
def test_person_object(agent: dict[str, Any], names: list[str], expected: dict[str, Any]) -> None:
    assert person_object(agent, names) == expected


AYU = make_agent("ayu")
KEY = str(ifi_key(AYU))


def _named(name: str) -> dict[str, Any]:
    return {**AYU, "name": name}


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (make_statement(actor=_named("Ayu actor")), ["Ayu actor"]),
        (make_statement(actor=make_agent("ben"), object=_named("Ayu object")), ["Ayu object"]),
        (make_statement(actor=make_agent("ben"), context={"instructor": _named("Ayu teacher")}), ["Ayu teacher"]),
        (
            make_statement(
                actor={"objectType": "Group", "name": "Team", "member": [make_agent("ben"), _named("Ayu member")]}
            ),
            ["Ayu member"],
        ),
        (
            make_statement(
                actor=make_agent("ben"),
                context={"contextAgents": [{"objectType": "contextAgent", "agent": _named("Ayu ctx")}]},
            ),
            ["Ayu ctx"],
        ),
        (
            make_statement(
                actor=make_agent("ben"),
                object={
                    "objectType": "SubStatement",
                    "actor": _named("Ayu sub"),
                    "verb": {"id": "http://ex.gov/v"},
                    "object": {"id": "http://ex.gov/a"},
                },
            ),
            ["Ayu sub"],
        ),
        (make_statement(actor={**AYU, "mbox": "mailto:AYU@EXAMPLE.GOV", "name": "Other"}), []),
        (make_statement(actor={"objectType": "Group", "name": "Group name", "mbox": AYU["mbox"]}), []),
        (make_statement(actor={k: v for k, v in AYU.items() if k != "name"}), []),
        (make_statement(actor=make_agent("ben"), result={"extensions": {"http://x/e": _named("Not an agent")}}), []),
    ],
    ids=[
        "actor",
        "object",
        "instructor",
        "group member",
        "contextAgents",
        "substatement",
        "local part differs in case",
        "identified group is not the agent",
        "no name",
        "extensions are not agents",
    ],
)
def test_names_used(statement: dict[str, Any], expected: list[str]) -> None:
    assert list(names_used(statement, KEY)) == expected


def test_names_used_matches_mbox_domain_case_insensitively() -> None:
    statement = make_statement(actor={"mbox": "mailto:ayu@EXAMPLE.gov", "name": "Ayu"})
    assert list(names_used(statement, KEY)) == ["Ayu"]
