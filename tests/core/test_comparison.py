from __future__ import annotations

import copy

import pytest

from lrs.comparison import same_statement
from tests.factories import make_agent, make_statement


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s["verb"].update(display={"fr": "terminé"}),
        lambda s: s["object"].update(definition={"name": {"en": "other"}}),
        lambda s: s.update(authority={"mbox": "mailto:other@x.gov"}, stored="2000-01-01T00:00:00Z", version="1.0.3"),
        lambda s: s["actor"].update(mbox="mailto:ayu@EXAMPLE.GOV"),
        lambda s: s.pop("timestamp"),
        lambda s: s.update(context={"contextActivities": {"parent": {"id": "http://ex.gov/p", "definition": {}}}}),
    ],
    ids=[
        "verb display",
        "activity definition",
        "lrs-set properties",
        "mbox domain case",
        "timestamp absent",
        "context activity definition",
    ],
)
def test_equivalent(change) -> None:  # type: ignore[no-untyped-def]
    base = make_statement(
        context={"contextActivities": {"parent": [{"id": "http://ex.gov/p"}]}}, timestamp="2024-01-01T00:00:00Z"
    )
    other = copy.deepcopy(base)
    change(other)
    assert same_statement(base, other)


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s["verb"].update(id="http://ex.gov/other"),
        lambda s: s["actor"].update(mbox="mailto:AYU@example.gov"),
        lambda s: s.update(result={"duration": "PT1M"}),
        lambda s: s.update(context={"registration": "6fbd600f-d17c-4c74-801a-2ec2e53231e8"}),
        lambda s: s.update(attachments=[{"sha2": "b" * 64}]),
        lambda s: s["object"].update(id="http://ex.gov/other-activity"),
    ],
    ids=["verb id", "mbox local part", "result", "context", "attachments", "object id"],
)
def test_different(change) -> None:  # type: ignore[no-untyped-def]
    base = make_statement()
    other = copy.deepcopy(base)
    change(other)
    assert not same_statement(base, other)


def test_duration_is_compared_as_a_string() -> None:
    base = make_statement(result={"duration": "PT60S"})
    assert not same_statement(base, make_statement(id=base["id"], result={"duration": "PT1M"}))


def test_group_members_are_unordered() -> None:
    members = [make_agent("a"), make_agent("b")]
    base = make_statement(actor={"objectType": "Group", "member": members})
    other = make_statement(id=base["id"], actor={"objectType": "Group", "member": members[::-1]})
    assert same_statement(base, other)


@pytest.mark.parametrize(
    ("stored", "incoming", "same"),
    [
        ("2024-05-01T08:00:00Z", "2024-05-01T15:00:00+07:00", True),
        ("2024-05-01T08:00:00Z", "20240501T080000Z", True),
        ("2024-05-01T08:00:00Z", "2024-05-01T08:00:00.0001Z", False),
        ("2024-05-01T08:00:00", "2024-05-01T08:00:00Z", True),  # no zone is read as UTC
        ("2024-05-01T08:00:00", "2030-01-01T00:00:00Z", False),
        ("2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z", True),  # a leap second is the next second
        ("2016-12-31T23:59:60Z", "2030-01-01T00:00:00Z", False),
    ],
)
def test_timestamps_compare_as_instants(stored: str, incoming: str, same: bool) -> None:
    base = make_statement(timestamp=stored)
    assert same_statement(base, {**base, "timestamp": incoming}) is same


def test_incoming_without_timestamp_matches_any_stored_one() -> None:
    base = make_statement(timestamp="2024-05-01T08:00:00Z")
    assert same_statement(base, make_statement(id=base["id"], timestamp=None))


def test_substatement_timestamps_compare_as_instants() -> None:
    sub = {
        "objectType": "SubStatement",
        "actor": make_agent(),
        "verb": {"id": "http://ex.gov/v"},
        "object": {"id": "http://ex.gov/a"},
        "timestamp": "2024-05-01T08:00:00Z",
    }
    base = make_statement(object=sub)
    assert same_statement(base, {**base, "object": {**sub, "timestamp": "2024-05-01T15:00:00+07:00"}})
    assert not same_statement(base, {**base, "object": {**sub, "timestamp": "2024-05-01T09:00:00Z"}})


def test_context_statement_ref_id_is_case_insensitive() -> None:
    ref = "6fbd600f-d17c-4c74-801a-2ec2e53231e8"
    base = make_statement(context={"statement": {"objectType": "StatementRef", "id": ref}})
    assert same_statement(base, {**base, "context": {"statement": {"objectType": "StatementRef", "id": ref.upper()}}})


def test_duration_digits_beyond_hundredths_are_ignored() -> None:
    base = make_statement(result={"duration": "PT1.2345S"})
    assert same_statement(base, make_statement(id=base["id"], result={"duration": "PT1.23S"}))
    assert same_statement(base, make_statement(id=base["id"], result={"duration": "PT1.239S"}))
    assert not same_statement(base, make_statement(id=base["id"], result={"duration": "PT1.24S"}))
    assert same_statement(base, make_statement(id=base["id"], result={"duration": "PT1,2399S"}))
