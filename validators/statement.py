"""Statements (xAPI Data 2.2-2.4): the top-level entry points of the validation package.

``version`` names the rule set, "1.0.3" or "2.0.0" (the request's X-Experience-API-Version decides it).
Validation never modifies the statement; the LRS-set properties (id, stored, authority, timestamp, version)
are completed elsewhere.
"""

from __future__ import annotations

from typing import Any

from validators.activities import validate_activity
from validators.agents import validate_agent, validate_authority, validate_group
from validators.attachments import validate_attachments
from validators.context import validate_context, validate_statement_ref
from validators.primitives import check_iri, check_language_map, check_uuid, check_version, is_v2, parse_timestamp
from validators.result import validate_result
from validators.shape import JSONObject, fail, require_keys, require_object, wrong_type

__all__ = ["VOIDED_VERB", "validate_statement", "validate_statements"]

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"

_STATEMENT_KEYS = frozenset(
    {
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
    }
)
_SUBSTATEMENT_KEYS = frozenset(
    {"objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"}
)
_SUBSTATEMENT_FORBIDDEN = ("id", "stored", "version", "authority")
_REQUIRED = ("actor", "verb", "object")
_VERB_KEYS = frozenset({"id", "display"})
_OBJECT_TYPES = "Activity, Agent, Group, StatementRef or SubStatement"


def validate_statements(payload: object, *, version: str = "1.0.3") -> list[dict[str, Any]]:
    """Validate the body of a statements POST: one Statement object or an array of them.

    Returns the statements as a list.  Paths are ``statement...`` for a single object and ``statements[i]...``
    for an array.  An empty array is valid and yields an empty list (nothing to store).  Two statements of
    one batch with the same id are rejected (Communication 2.1.2.s2.b6).
    """
    if type(payload) is dict:
        validate_statement(payload, version=version, path="statement")
        return [payload]
    if type(payload) is not list:
        wrong_type("statements", payload, "a Statement object or an array of Statement objects")
    first_index: dict[str, int] = {}
    for index, statement in enumerate(payload):
        path = f"statements[{index}]"
        validate_statement(statement, version=version, path=path)
        statement_id = statement.get("id")
        if statement_id is not None:
            key = statement_id.lower()
            if key in first_index:
                fail(f"{path}.id", f"duplicates the id of statements[{first_index[key]}] in the same batch")
            first_index[key] = index
    return payload


def validate_statement(statement: object, *, version: str = "1.0.3", path: str = "statement") -> None:
    """Validate one Statement under the given rule set; raises BadRequestError naming the offending path."""
    v2 = is_v2(version)
    stmt = require_object(statement, path, _STATEMENT_KEYS)
    require_keys(stmt, path, _REQUIRED)
    if "id" in stmt:
        check_uuid(stmt["id"], f"{path}.id")
    _validate_body(stmt, path, version, v2, in_substatement=False)
    if "stored" in stmt:
        parse_timestamp(stmt["stored"], f"{path}.stored", version=version)
    if "authority" in stmt:
        validate_authority(stmt["authority"], f"{path}.authority", version=version)
    if "version" in stmt:
        check_version(stmt["version"], f"{path}.version", version=version)


def _validate_body(stmt: JSONObject, path: str, version: str, v2: bool, *, in_substatement: bool) -> None:
    """What Statements and SubStatements share: actor, verb, object, result, context, timestamp, attachments."""
    validate_agent(stmt["actor"], f"{path}.actor", version=version)
    verb_id = _validate_verb(stmt["verb"], f"{path}.verb")
    object_path = f"{path}.object"
    object_type = _validate_object(stmt["object"], object_path, version, v2, in_substatement=in_substatement)
    if verb_id == VOIDED_VERB and object_type != "StatementRef" and not in_substatement:
        fail(f"{object_path}.objectType", f"must be 'StatementRef' in a statement with the verb {VOIDED_VERB}")
    if "result" in stmt:
        validate_result(stmt["result"], f"{path}.result")
    if "context" in stmt:
        validate_context(
            stmt["context"],
            f"{path}.context",
            version=version,
            object_is_activity=object_type == "Activity",
            v2=v2,
        )
    if "timestamp" in stmt:
        parse_timestamp(stmt["timestamp"], f"{path}.timestamp", version=version)
    if "attachments" in stmt:
        validate_attachments(stmt["attachments"], f"{path}.attachments")


def _validate_verb(value: object, path: str) -> str:
    verb = require_object(value, path, _VERB_KEYS)
    if "id" not in verb:
        fail(f"{path}.id", "is required")
    verb_id = check_iri(verb["id"], f"{path}.id")
    if "display" in verb:
        check_language_map(verb["display"], f"{path}.display")
    return verb_id


def _validate_object(value: object, path: str, version: str, v2: bool, *, in_substatement: bool) -> str:
    """Validate a statement's object and return its objectType ("Activity" when omitted)."""
    if type(value) is not dict:
        wrong_type(path, value, f"an object ({_OBJECT_TYPES})")
    kind = value.get("objectType", "Activity")
    if kind == "Activity":
        validate_activity(value, path)
    elif kind == "Agent":
        validate_agent(value, path, version=version, allow_group=False)
    elif kind == "Group":
        validate_group(value, path, version=version)
    elif kind == "StatementRef":
        validate_statement_ref(value, path)
    elif kind == "SubStatement":
        if in_substatement:
            fail(f"{path}.objectType", "a SubStatement must not contain another SubStatement")
        _validate_substatement(value, path, version, v2)
    elif type(kind) is not str:
        wrong_type(f"{path}.objectType", kind, "a string")
    else:
        fail(f"{path}.objectType", f"must be one of {_OBJECT_TYPES} (case-sensitive), got {kind!r}")
    return kind  # type: ignore[no-any-return]


def _validate_substatement(sub: JSONObject, path: str, version: str, v2: bool) -> None:
    """A SubStatement is validated as a Statement, without id, stored, version or authority (Data 2.4.4.3)."""
    for key in _SUBSTATEMENT_FORBIDDEN:
        if key in sub:
            fail(f"{path}.{key}", "must not be used in a SubStatement")
    require_object(sub, path, _SUBSTATEMENT_KEYS)
    require_keys(sub, path, _REQUIRED)
    _validate_body(sub, path, version, v2, in_substatement=True)
