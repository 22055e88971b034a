"""OpenAPI descriptions of the xAPI resources (kept apart from the views so they stay short)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask_smorest import Blueprint

from lrs.errors import all_error_classes

xapi_blueprint = Blueprint(
    "xapi", __name__, url_prefix="/xapi", description="xAPI 1.0.3 / 2.0.0 resources (IEEE 9274.1.1)"
)

F = TypeVar("F", bound=Callable[..., Any])


def documented(doc: dict[str, Any]) -> Callable[[F], F]:
    """``xapi_blueprint.doc`` with its type kept (flask-smorest's decorators are untyped)."""

    def wrap(function: F) -> F:
        return cast(F, xapi_blueprint.doc(**doc)(function))

    return wrap


VERSION_HEADER = {
    "name": "X-Experience-API-Version",
    "in": "header",
    "required": True,
    "schema": {"type": "string", "example": "1.0.3"},
    "description": "xAPI version of the request: 1.0.x or 2.0.x. Selects the validation rules.",
}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema or {"type": "string"},
        "description": description,
    }


def _errors(*codes: int) -> dict[str, Any]:
    """Error responses of an operation; 429 (rate limits) and 503 (store unavailable) can happen anywhere."""
    by_status = {error.status: error.__name__ for error in all_error_classes()}
    return {str(code): {"$ref": f"#/components/responses/{by_status[code]}"} for code in sorted({*codes, 429, 503})}


_BOOL = {"type": "string", "enum": ["true", "false"]}
_STATEMENT = {"$ref": "#/components/schemas/Statement"}
_MULTIPART = {
    "schema": {"type": "string", "format": "binary"},
    "description": "RFC 2046 multipart/mixed: the JSON first, then one part per attachment content, each with"
    " X-Experience-API-Hash (its sha2) and Content-Transfer-Encoding: binary (xAPI Communication 1.5.2)",
}

STATEMENT_PUT_DOC: dict[str, Any] = {
    "summary": "Store one statement under the given id",
    "parameters": [VERSION_HEADER, {**_query("statementId", "UUID of the statement"), "required": True}],
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _STATEMENT}, "multipart/mixed": _MULTIPART},
    },
    "responses": {
        "204": {"description": "Stored, or already stored with the same content"},
        **_errors(400, 401, 403, 409, 413, 503),
    },
}

STATEMENT_POST_DOC: dict[str, Any] = {
    "summary": "Store a statement or a batch (all or nothing)",
    "parameters": [VERSION_HEADER],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"oneOf": [_STATEMENT, {"type": "array", "items": _STATEMENT}]}},
            "multipart/mixed": _MULTIPART,
        },
    },
    "responses": {
        "200": {
            "description": "Ids of the statements, in request order",
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "string", "format": "uuid"}}}
            },
        },
        **_errors(400, 401, 403, 409, 413, 503),
    },
}

STATEMENT_GET_DOC: dict[str, Any] = {
    "summary": "Fetch one statement by id, or query statements",
    "parameters": [
        VERSION_HEADER,
        _query("statementId", "Id of the statement to fetch"),
        _query("voidedStatementId", "Id of the voided statement to fetch"),
        _query("agent", "Agent or Identified Group (JSON): actor or object of the statement"),
        _query("verb", "Verb id (IRI)"),
        _query("activity", "Activity id (IRI): object of the statement"),
        _query("registration", "Registration (UUID)"),
        _query("related_activities", "Match the activity anywhere in the statement", _BOOL),
        _query("related_agents", "Match the agent anywhere in the statement", _BOOL),
        _query("since", "Only statements stored after this timestamp (exclusive)"),
        _query("until", "Only statements stored at or before this timestamp"),
        _query("limit", "Page size; 0 means the server maximum", {"type": "integer", "minimum": 0}),
        _query("format", "ids, exact or canonical", {"type": "string", "enum": ["ids", "exact", "canonical"]}),
        _query("attachments", "Return multipart/mixed with attachment data", _BOOL),
        _query("ascending", "Oldest first", _BOOL),
        _query("more", "Opaque cursor from a previous page's 'more' link"),
    ],
    "responses": {
        "200": {
            "description": "A statement, or a StatementResult",
            "content": {
                "application/json": {
                    "schema": {"oneOf": [_STATEMENT, {"$ref": "#/components/schemas/StatementResult"}]}
                },
                "multipart/mixed": _MULTIPART,
            },
        },
        **_errors(400, 401, 403, 404, 503),
    },
}

ABOUT_DOC: dict[str, Any] = {
    "summary": "Versions and extensions this LRS supports (no authentication)",
    "responses": {
        "200": {
            "description": "About object",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/About"}}},
        }
    },
}

COMPONENT_SCHEMAS: dict[str, dict[str, Any]] = {
    "Statement": {"type": "object", "description": "An xAPI Statement (xAPI Data 2.4)", "additionalProperties": True},
    "StatementResult": {
        "type": "object",
        "properties": {
            "statements": {"type": "array", "items": _STATEMENT},
            "more": {"type": "string", "description": "Relative IRL of the next page, or empty"},
        },
        "required": ["statements", "more"],
    },
    "About": {
        "type": "object",
        "properties": {"version": {"type": "array", "items": {"type": "string"}}, "extensions": {"type": "object"}},
        "required": ["version"],
    },
    "Error": {
        "type": "object",
        "properties": {
            "code": {"type": "integer"},
            "status": {"type": "string"},
            "message": {"type": "string"},
            "errors": {"type": "object"},
        },
        "required": ["code", "status", "message", "errors"],
    },
}
