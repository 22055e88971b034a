"""Serving 1.0.3 and 2.0.0 from one store: UTC normalisation at write time, downgrade for 1.0.3 readers."""

from __future__ import annotations

import json

import pytest

from lrs.jsontext import dumps
from lrs.statements import prepare
from lrs.timeutil import parse_instant_us, utc_text
from lrs.versions import downgrade_statement, for_reader
from tests.factories import make_agent, make_statement

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example", "name": "k"}}


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2024-03-01T10:00:00+07:00", "2024-03-01T03:00:00Z"),
        ("2024-03-01T01:30:00.123456789-05:30", "2024-03-01T07:00:00.123456789Z"),  # every digit kept
        ("2024-01-01T02:00:00,5+03:00", "2023-12-31T23:00:00.5Z"),  # comma fraction, day and year roll back
        ("20240301T100000+0700", "2024-03-01T03:00:00Z"),  # basic format
        ("2024-03-01T10:00Z", "2024-03-01T10:00:00Z"),  # no seconds
        ("2024-03-01T10:00:00", "2024-03-01T10:00:00Z"),  # no zone: read as UTC, as comparisons do
        ("2024-03-01 10:00:00.120z", "2024-03-01T10:00:00.120Z"),  # RFC 3339 (2.0)
        ("2024-03-01T10:00:00.000Z", "2024-03-01T10:00:00.000Z"),  # already UTC: unchanged
        ("not a timestamp", "not a timestamp"),
    ],
)
def test_utc_text_names_the_same_instant_in_utc(sent: str, stored: str) -> None:
    assert utc_text(sent) == stored
    if parse_instant_us(sent) is not None:
        assert parse_instant_us(stored) == parse_instant_us(sent)


def test_prepare_stores_statement_and_substatement_timestamps_in_utc() -> None:
    sub = make_statement(timestamp="2024-03-01T10:00:00+07:00")
    for name in ("id", "stored", "authority", "version"):
        sub.pop(name, None)
    statement = make_statement(timestamp="2024-03-01T12:00:00-01:00", object={**sub, "objectType": "SubStatement"})
    _, enriched, record = prepare(statement, authority=AUTHORITY, default_version="2.0.0")
    assert enriched["timestamp"] == "2024-03-01T13:00:00Z"
    assert enriched["object"]["timestamp"] == "2024-03-01T03:00:00Z"
    assert json.loads(record.body_template)["timestamp"] == "2024-03-01T13:00:00Z"


def _v2_statement() -> dict[str, object]:
    context = {
        "registration": "6f0b6a8e-3f55-4f2f-9d3c-2d2a5f4b1c11",
        "contextAgents": [{"objectType": "contextAgent", "agent": make_agent("peer")}],
        "contextGroups": [{"objectType": "contextGroup", "group": {"objectType": "Group", "member": [make_agent()]}}],
    }
    sub = {
        "objectType": "SubStatement",
        "actor": make_agent(),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": {"id": "http://example.com/a"},
        "context": dict(context),
    }
    return make_statement(version="2.0.0", context=context, object=sub)


def test_downgrade_removes_what_1_0_3_rejects_and_nothing_else() -> None:
    statement = _v2_statement()
    down = downgrade_statement(statement)
    assert down["version"] == "1.0.3"
    assert down["context"] == {"registration": "6f0b6a8e-3f55-4f2f-9d3c-2d2a5f4b1c11"}
    assert "contextAgents" not in down["object"]["context"]
    assert "contextGroups" not in down["object"]["context"]
    assert {k: v for k, v in down.items() if k not in ("context", "object", "version")} == {
        k: v for k, v in statement.items() if k not in ("context", "object", "version")
    }
    assert statement["version"] == "2.0.0" and "contextAgents" in statement["context"]  # argument untouched


def test_for_reader_passes_text_through_unless_a_1_0_3_reader_needs_a_downgrade() -> None:
    v2_text = dumps(_v2_statement())
    assert for_reader(v2_text, "2.0.0") is v2_text
    assert json.loads(for_reader(v2_text, "1.0.3"))["version"] == "1.0.3"
    v1_text = dumps(make_statement(version="1.0.0"))
    assert for_reader(v1_text, "1.0.3") is v1_text
    assert for_reader(v1_text, "2.0.0") is v1_text
