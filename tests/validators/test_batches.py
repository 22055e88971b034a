"""``validate_statements``: the body of POST /statements, one statement or an array of them."""

from __future__ import annotations

import pytest

from tests.validators.assertions import assert_rejected
from tests.validators.factories import REF_ID, STATEMENT_ID, build, make_statement, put
from validators.statement import validate_statements


def test_single_statement_is_returned_as_a_list() -> None:
    statement = make_statement()
    assert validate_statements(statement) == [statement]
    assert validate_statements(statement)[0] is statement


def test_array_is_returned_as_is() -> None:
    batch = [make_statement(id=None), make_statement(id=REF_ID), make_statement()]
    assert validate_statements(batch, version="2.0.0") is batch


def test_empty_array_is_valid_and_yields_nothing() -> None:
    assert validate_statements([]) == []


@pytest.mark.parametrize("payload", ["statement", 42, None, True])
def test_payload_must_be_an_object_or_array(payload: object) -> None:
    assert_rejected(lambda: validate_statements(payload), "statements")


def test_paths_in_an_array_are_indexed() -> None:
    batch = [make_statement(id=None) for _ in range(5)]
    batch[3] = build(put("context.contextActivities.parent.0.id", "not an IRI"))
    assert_rejected(lambda: validate_statements(batch), "statements[3].context.contextActivities.parent[0].id")


def test_paths_of_a_single_statement() -> None:
    payload = build(put("actor.mbox", "ada@example.com"))
    assert_rejected(lambda: validate_statements(payload), "statement.actor.mbox")


def test_array_items_must_be_objects() -> None:
    assert_rejected(lambda: validate_statements([make_statement(), "x"]), "statements[1]")
    assert_rejected(lambda: validate_statements([[make_statement()]]), "statements[0]")


def test_first_invalid_statement_is_reported() -> None:
    batch = [make_statement(id=None), make_statement(id=None, verb={"id": "no scheme"}), make_statement(actor=None)]
    assert_rejected(lambda: validate_statements(batch), "statements[1].verb.id")


def test_duplicate_ids_in_a_batch_are_rejected() -> None:
    batch = [make_statement(id=REF_ID), make_statement(id=STATEMENT_ID), make_statement(id=REF_ID.upper())]
    error = assert_rejected(lambda: validate_statements(batch), "statements[2].id")
    assert "statements[0]" in error.message


def test_statements_without_ids_are_not_duplicates() -> None:
    batch = [make_statement(id=None), make_statement(id=None)]
    assert validate_statements(batch) is batch


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_rule_set_is_passed_down(version: str) -> None:
    batch = [make_statement(id=None, version="2.0.0")]
    if version == "2.0.0":
        assert validate_statements(batch, version=version) is batch
    else:
        assert_rejected(lambda: validate_statements(batch, version=version), "statements[0].version")
