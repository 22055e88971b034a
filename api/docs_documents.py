"""OpenAPI descriptions of the document resources: State, Activity Profile and Agent Profile."""

from __future__ import annotations

from typing import Any

from api.docs import VERSION_HEADER, _errors, _query

_ANY_CONTENT = {"*/*": {"schema": {"type": "string", "format": "binary"}}}
_IDS = {"application/json": {"schema": {"type": "array", "items": {"type": "string"}}}}
_HEADER = {"schema": {"type": "string"}}
_ETAG = {"description": "Quoted lowercase hex SHA-1 of the document's bytes", **_HEADER}
_LAST_MODIFIED = {"description": "When the (newest) document last changed (HTTP-date)", **_HEADER}


def _header(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": False, "schema": {"type": "string"}, "description": description}


_IF_MATCH = _header(
    "If-Match", "Change the document only if its current ETag is one of these (or '*': if it exists); else 412"
)
_IF_NONE_MATCH = _header("If-None-Match", "'*': change the document only if none exists; else 412")

_CONTEXTS: dict[str, list[dict[str, Any]]] = {
    "state": [
        {**_query("activityId", "Activity id (IRI) of the state"), "required": True},
        {**_query("agent", "Agent (JSON) the state belongs to"), "required": True},
        _query("registration", "Registration (UUID) the state belongs to"),
    ],
    "activity_profile": [{**_query("activityId", "Activity id (IRI) of the profile"), "required": True}],
    "agent_profile": [{**_query("agent", "Agent (JSON) of the profile"), "required": True}],
}
_ID_NAMES = {"state": "stateId", "activity_profile": "profileId", "agent_profile": "profileId"}
_TITLES = {"state": "State", "activity_profile": "Activity Profile", "agent_profile": "Agent Profile"}


def _parameters(kind: str, id_required: bool, *extra: dict[str, Any]) -> list[dict[str, Any]]:
    id_param = _query(_ID_NAMES[kind], f"Id of the {_TITLES[kind]} document")
    return [VERSION_HEADER, *_CONTEXTS[kind], {**id_param, "required": id_required}, *extra]


def get_doc(kind: str) -> dict[str, Any]:
    name = _ID_NAMES[kind]
    return {
        "summary": f"Fetch one {_TITLES[kind]} document, or list the ids of the context's documents",
        "description": f"With '{name}': the document exactly as stored, with its Content-Type, ETag and Last-Modified."
        f" Without it: a JSON array of ids, optionally only those updated after 'since'.",
        "parameters": _parameters(
            kind, False, _query("since", "List only ids of documents updated after this timestamp (exclusive)")
        ),
        "responses": {
            "200": {
                "description": "The document, or an array of ids",
                "headers": {"ETag": _ETAG, "Last-Modified": _LAST_MODIFIED},
                "content": {**_ANY_CONTENT, **_IDS},
            },
            **_errors(400, 401, 403, 404),
        },
    }


def put_doc(kind: str) -> dict[str, Any]:
    rule = (
        "Without If-Match/If-None-Match: overwrites under xAPI 1.0.3, 409 for an existing document under 2.0."
        if kind == "state"
        else "Send If-Match (replace) or If-None-Match: * (create); without either: 409 if the document exists,"
        " else 400."
    )
    return {
        "summary": f"Store a {_TITLES[kind]} document (any content type, kept byte for byte)",
        "description": rule,
        "parameters": _parameters(kind, True, _IF_MATCH, _IF_NONE_MATCH),
        "requestBody": {"required": True, "content": _ANY_CONTENT},
        "responses": {"204": {"description": "Stored", "headers": {"ETag": _ETAG}}, **_errors(400, 401, 403, 409, 412)},
    }


def post_doc(kind: str) -> dict[str, Any]:
    return {
        "summary": f"Merge a JSON object into a {_TITLES[kind]} document (creates it when missing)",
        "description": "Top-level properties of the posted object replace those of the stored one. Both must be "
        "application/json objects, else 400 and nothing changes.",
        "parameters": _parameters(kind, True, _IF_MATCH, _IF_NONE_MATCH),
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {
            "204": {"description": "Merged or stored", "headers": {"ETag": _ETAG}},
            **_errors(400, 401, 403, 412),
        },
    }


def delete_doc(kind: str) -> dict[str, Any]:
    every = " Without 'stateId': every document of the context (all registrations unless one is given)." * (
        kind == "state"
    )
    return {
        "summary": f"Delete a {_TITLES[kind]} document",
        "description": f"Deleting a document that does not exist succeeds.{every}",
        "parameters": _parameters(kind, kind != "state", _IF_MATCH),
        "responses": {"204": {"description": "Deleted"}, **_errors(400, 401, 403, 412)},
    }
