from __future__ import annotations

from lrs.statement_fields import query_keys
from lrs.statement_format import parse_accept_language, pick_language, to_canonical
from tests.factories import AUTHORITY, make_agent, make_statement


def test_accept_language_ordering() -> None:
    assert parse_accept_language("fr;q=0.5, id-ID, en;q=0.8, de;q=0") == ["id-ID", "en", "fr"]
    assert parse_accept_language(None) == []


def test_pick_language() -> None:
    names = {"en-US": "Course", "id-ID": "Kursus"}
    assert pick_language(names, ["id-ID"]) == {"id-ID": "Kursus"}
    assert pick_language(names, ["en-GB"]) == {"en-US": "Course"}
    assert pick_language(names, ["ja"]) == {"en-US": "Course"}
    assert pick_language({}, ["en"]) == {}


def test_canonical_prefers_the_stored_definition() -> None:
    statement = make_statement()
    canonical = to_canonical(
        statement, {statement["object"]["id"]: {"name": {"en-US": "New", "id-ID": "Baru"}}}, ["id"]
    )
    assert canonical["object"]["definition"] == {"name": {"id-ID": "Baru"}}
    assert canonical["actor"] == statement["actor"]


def test_query_keys_of_a_rich_statement() -> None:
    statement = make_statement(
        actor={
            "objectType": "Group",
            "account": {"homePage": "https://sso.gov", "name": "team-1"},
            "member": [make_agent("ayu")],
        },
        context={
            "registration": "ABCDEF00-0000-4000-8000-000000000000",
            "instructor": make_agent("guru"),
            "contextActivities": {"parent": [{"id": "http://ex.gov/p"}], "category": [{"id": "http://ex.gov/c"}]},
        },
    )
    keys = query_keys(statement, AUTHORITY)
    assert "agent|mbox:mailto:ayu@example.gov" in keys
    assert 'agent|account:["https://sso.gov", "team-1"]' in keys
    assert "agent|mbox:mailto:guru@example.gov" not in keys
    assert "ragent|mbox:mailto:guru@example.gov" in keys
    assert "ractivity|http://ex.gov/c" in keys and "activity|http://ex.gov/c" not in keys
    assert "registration|abcdef00-0000-4000-8000-000000000000" in keys
    assert 'authority|account:["https://lrs.test/credentials", "key-a"]' in keys
