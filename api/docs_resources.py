"""OpenAPI descriptions of the Activities resource and the Agents resource (GET and HEAD)."""

from __future__ import annotations

from typing import Any

from api.docs import VERSION_HEADER, _errors, _query

_LANGUAGE_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_STRINGS = {"type": "array", "items": {"type": "string"}}

ACTIVITY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An Activity with the canonical definition this LRS keeps for the caller's tenant",
    "properties": {
        "objectType": {"type": "string", "enum": ["Activity"]},
        "id": {"type": "string", "format": "iri"},
        "definition": {
            "type": "object",
            "description": "Merged from the tenant's statements: language maps and extensions entry by entry; "
            "the interaction model (interactionType, correctResponsesPattern, component ids) as first received",
            "properties": {"name": _LANGUAGE_MAP, "description": _LANGUAGE_MAP},
            "additionalProperties": True,
        },
    },
    "required": ["objectType", "id"],
}

PERSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The requested identifier plus the names the tenant's statements used with it",
    "properties": {
        "objectType": {"type": "string", "enum": ["Person"]},
        "name": _STRINGS,
        "mbox": _STRINGS,
        "mbox_sha1sum": _STRINGS,
        "openid": _STRINGS,
        "account": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"homePage": {"type": "string"}, "name": {"type": "string"}},
                "required": ["homePage", "name"],
            },
        },
    },
    "required": ["objectType"],
}

_ETAG = {"ETag": {"description": "Quoted SHA-1 of the response body", "schema": {"type": "string"}}}


def _get_doc(summary: str, description: str, parameter: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "summary": summary,
        "description": description,
        "parameters": [VERSION_HEADER, {**parameter, "required": True}],
        "responses": {
            "200": {"description": summary, "headers": _ETAG, "content": {"application/json": {"schema": schema}}},
            **_errors(400, 401, 403),
        },
    }


def _alternate_doc(resource: str) -> dict[str, Any]:
    return {
        "summary": f"Alternate request syntax (xAPI 1.0.x) for GET/HEAD {resource}",
        "description": "Query parameter `method=GET` (or HEAD) only; the parameters and headers travel as "
        "application/x-www-form-urlencoded form fields. Any other POST is 405. Refused under xAPI 2.0.",
        "parameters": [_query("method", "GET or HEAD", {"type": "string", "enum": ["GET", "HEAD"]})],
        "responses": {
            "200": {"description": f"As GET {resource}"},
            "405": {"description": "A POST that is not the alternate request syntax for GET or HEAD"},
            **_errors(400, 401, 403),
        },
    }


ACTIVITIES_GET_DOC = _get_doc(
    "The Activity object of an activity id",
    "Scopes: any of all, all/read, statements/read, statements/read/mine, define, profile, state "
    "(a credential with statements/write alone gets 403). An id without a known definition still gets an "
    "Activity object, with the id alone. HEAD answers the same headers without a body.",
    _query("activityId", "Activity id (IRI)"),
    ACTIVITY_SCHEMA,
)
ACTIVITIES_ALTERNATE_DOC = _alternate_doc("/activities")

AGENTS_GET_DOC = _get_doc(
    "The Person object of an Agent",
    "Scopes: any of all, all/read, statements/read (the Person carries names taken from the tenant's "
    "statements, so define, profile, state and statements/read/mine are not enough: 403). The agent parameter is an "
    "Agent, not a Group. HEAD answers the same headers without a body.",
    _query("agent", "Agent object (JSON) with exactly one identifier"),
    PERSON_SCHEMA,
)
AGENTS_ALTERNATE_DOC = _alternate_doc("/agents")
