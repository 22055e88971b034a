"""Helpers of the cross-resource isolation and scope tests: comparing responses, walking response bodies."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from werkzeug.test import TestResponse

from validators.multipart import parse_boundary, split_parts

# Headers that differ between two identical requests by nature (request id, the store's clock).
VOLATILE_HEADERS = frozenset({"X-Request-ID", "X-Experience-API-Consistent-Through", "Date"})

Fingerprint = tuple[int, dict[str, str], bytes]


def fingerprint(
    response: TestResponse, swaps: Iterable[tuple[str, str]] = (), *, etag_of: bytes | None = None
) -> Fingerprint:
    """Status, headers that matter and body of a response, with each ``(old, new)`` of ``swaps`` replaced in the
    body and header values, so two answers about different ids can be compared byte for byte.

    An ETag that is the SHA-1 of the body (or of ``etag_of``, for HEAD) becomes a marker, since it follows the
    body; Last-Modified becomes a presence marker (two requests may straddle a second).
    """
    raw = response.get_data()
    pairs = list(swaps)
    body = raw
    for old, new in pairs:
        body = body.replace(old.encode(), new.encode())
    headers: dict[str, str] = {}
    for name, received in response.headers.items():
        if name in VOLATILE_HEADERS:
            continue
        value = received
        if name == "ETag" and value == '"' + hashlib.sha1(raw if etag_of is None else etag_of).hexdigest() + '"':
            value = "<sha1 of the body>"
        elif name == "Last-Modified":
            value = "<present>"
        for old, new in pairs:
            value = value.replace(old, new)
        headers[name] = value
    return response.status_code, headers, body


def response_parts(response: TestResponse) -> list[bytes]:
    """The body of a JSON response as one part, or every part of a multipart/mixed one."""
    if response.mimetype != "multipart/mixed":
        return [response.get_data()]
    boundary = parse_boundary(response.headers["Content-Type"])
    return [part.content for part in split_parts(response.get_data(), boundary)]


# --- C15: only properties the specification defines ---------------------------------------------------------------

# Every property name of the xAPI 1.0.3 and 2.0 data model (Statement, Agent, Group, Verb, Activity and its
# definition, Result, Score, Context, context agents/groups, Attachment, StatementRef, SubStatement), the
# statement result and the Person object.
XAPI_PROPERTIES = frozenset(
    {
        *("id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version"),
        *("attachments", "objectType", "name", "mbox", "mbox_sha1sum", "openid", "account", "homePage", "member"),
        *("display", "definition", "description", "type", "moreInfo", "interactionType", "correctResponsesPattern"),
        *("choices", "scale", "source", "target", "steps", "extensions", "score", "scaled", "raw", "min", "max"),
        *("success", "completion", "response", "duration", "registration", "instructor", "team"),
        *("contextActivities", "parent", "grouping", "category", "other", "revision", "platform", "language"),
        *("statement", "usageType", "contentType", "length", "sha2", "fileUrl"),
        *("contextAgents", "contextGroups", "agent", "group", "relevantTypes"),
        *("statements", "more"),
    }
)
ERROR_PROPERTIES = frozenset({"code", "status", "message", "errors"})
LANGUAGE_MAPS = frozenset({"display", "name", "description"})
# Names of storage metadata or secrets; none may appear as a property anywhere (extensions included).
FORBIDDEN_PROPERTIES = frozenset(
    {"tenant", "tenant_id", "tenantId", "_id", "hash", "voided", "secret", "secret_hash", "client_id", "key"}
)


def undefined_properties(value: Any, path: str = "$") -> list[str]:
    """Paths of properties outside the xAPI data model in a statement, statement result, Activity or Person
    (language maps and extensions are free-form, but a storage field name is never allowed in them either)."""
    found: list[str] = []
    if isinstance(value, list):
        for index, item in enumerate(value):
            found += undefined_properties(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if key in FORBIDDEN_PROPERTIES or key not in XAPI_PROPERTIES:
                found.append(where)
            elif key == "extensions" or (key in LANGUAGE_MAPS and isinstance(item, dict)):
                found += [f"{where}.{k}" for k in forbidden_anywhere(item)]
            else:
                found += undefined_properties(item, where)
    return found


def forbidden_anywhere(value: Any) -> list[str]:
    """Storage field names used as keys at any depth."""
    if isinstance(value, list):
        return [key for item in value for key in forbidden_anywhere(item)]
    if isinstance(value, dict):
        own = [key for key in value if key in FORBIDDEN_PROPERTIES]
        return own + [key for item in value.values() for key in forbidden_anywhere(item)]
    return []


ERROR_DETAILS = frozenset({"path", "statementId"})  # what ``errors`` may name: the field, the conflicting id


def error_body_problems(response: TestResponse) -> list[str]:
    """What is wrong with an error body: keys outside the one error shape or its known details."""
    body = json.loads(response.get_data())
    problems = [f"$.{key}" for key in body if key not in ERROR_PROPERTIES]
    problems += [f"$.errors.{key}" for key in body.get("errors", {}) if key not in ERROR_DETAILS]
    return problems
