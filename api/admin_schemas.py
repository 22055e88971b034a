"""Admin API: request and response schemas, the strict argument parser, and the operations' OpenAPI docs.

Request bodies and query strings are validated by marshmallow through webargs, but failures answer in the
project's one error shape with **400** (webargs' default is 422) and unknown fields are rejected, never
ignored.  Response schemas list every property served: secret hashes and storage fields have none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn, TypeVar, cast

import marshmallow as ma
from flask import Request
from flask_smorest import Blueprint
from marshmallow import fields, validate
from webargs.flaskparser import FlaskParser, is_json_request

from api.docs import _errors
from auth.credentials import XAPI_VERSIONS
from auth.roles import CLIENT, ROLES
from auth.scopes import KNOWN_SCOPES
from lrs.errors import BadRequestError
from lrs.storage.port import AuditEntry, Credential
from lrs.timeutil import iso_us, parse_instant_us


def _describe(messages: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Flatten marshmallow's nested messages into ``(field path, message)`` pairs."""
    found: list[tuple[str, str]] = []
    for name, value in messages.items():
        path = f"{prefix}.{name}" if prefix else str(name)
        if name == "_schema":  # marshmallow's key for the whole object
            path = prefix
        if isinstance(value, Mapping):
            found.extend(_describe(value, path))
        elif isinstance(value, list | tuple):
            found.extend((path, str(item)) for item in value)
        else:
            found.append((path, str(value)))
    return found


class StrictParser(FlaskParser):
    """webargs parser answering 400 in the project's error shape and rejecting unknown fields everywhere."""

    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, str | None] = dict.fromkeys(
        FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, ma.RAISE
    )

    def handle_error(self, error: ma.ValidationError, *args: Any, **kwargs: Any) -> NoReturn:
        messages = error.messages if isinstance(error.messages, Mapping) else {"body": error.messages}
        pairs: list[tuple[str, str]] = []
        for location, detail in messages.items():  # webargs keys messages by location ("json", "query")
            where = "query parameter" if location in ("query", "querystring") else "request body"
            if isinstance(detail, Mapping):
                pairs.extend((f"{where} {path}".strip(), text) for path, text in _describe(detail))
            else:
                pairs.extend((where, text) for _, text in _describe({"": detail}))
        text = "; ".join(f"{path}: {message}" for path, message in pairs) or "invalid request"
        raise BadRequestError(text, errors={"path": pairs[0][0].split(" ")[-1] if pairs else "", "fields": messages})

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req) and req.get_data(cache=True):
            raise BadRequestError("Content-Type must be application/json")
        return super()._raw_load_json(req)

    def _handle_invalid_json_error(self, error: Exception, req: Request, *args: Any, **kwargs: Any) -> NoReturn:
        raise BadRequestError("the request body is not valid JSON")


class AdminBlueprint(Blueprint):  # type: ignore[misc]
    ARGUMENTS_PARSER = StrictParser()


class Instant(fields.String):
    """A timestamp (RFC 3339) loaded as microseconds since the epoch."""

    def _deserialize(  # type: ignore[override]
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> int:
        text = super()._deserialize(value, attr, data, **kwargs)
        instant = parse_instant_us(text)
        if instant is None:
            raise ma.ValidationError("must be an RFC 3339 timestamp, e.g. 2025-01-31T08:00:00Z")
        return instant


def _iso(value: int | None) -> str | None:
    return iso_us(value) if value is not None else None


# requests ------------------------------------------------------------------------------------------
class TenantCreateSchema(ma.Schema):
    slug = fields.String(required=True, metadata={"description": "1-64 lowercase letters, digits, inner hyphens"})
    name = fields.String(metadata={"description": "display name (default: the slug)"})


class TenantRenameSchema(ma.Schema):
    name = fields.String(required=True)


class CredentialCreateSchema(ma.Schema):
    role = fields.String(load_default=CLIENT, validate=validate.OneOf(ROLES))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(KNOWN_SCOPES)),
        metadata={"description": "xAPI scopes (client, learner, coordinator); default [all]"},
    )
    label = fields.String(load_default="", validate=validate.Length(max=200))
    xapi_version = fields.String(load_default="2.0.0", validate=validate.OneOf(XAPI_VERSIONS))


class OperatorCredentialCreateSchema(ma.Schema):
    label = fields.String(load_default="", validate=validate.Length(max=200))


class AuditQuerySchema(ma.Schema):
    tenant = fields.String()
    actor = fields.String(metadata={"description": "credential key of the actor, or 'cli'"})
    action = fields.String(metadata={"description": "e.g. tenant.create, credential.revoke"})
    since = Instant(metadata={"description": "entries strictly after this time"})
    until = Instant(metadata={"description": "entries at or before this time"})
    limit = fields.Integer(validate=validate.Range(min=1), metadata={"description": "default 100, at most 1000"})


# responses -----------------------------------------------------------------------------------------
class TenantSchema(ma.Schema):
    slug = fields.String()
    name = fields.String()
    status = fields.String(metadata={"description": "active or suspended"})
    created = fields.Function(lambda tenant: iso_us(tenant.created_us))


def _status(credential: Credential) -> str:
    return "revoked" if credential.revoked_us is not None else "active"


class CredentialSchema(ma.Schema):
    key = fields.String()
    tenant = fields.Function(lambda c: c.tenant or None, metadata={"description": "null for operators"})
    role = fields.String()
    scopes = fields.List(fields.String())
    label = fields.String()
    xapi_version = fields.String()
    status = fields.Function(_status, metadata={"description": "active or revoked"})
    created = fields.Function(lambda c: iso_us(c.created_us))
    rotated = fields.Function(lambda c: _iso(c.rotated_us))
    revoked = fields.Function(lambda c: _iso(c.revoked_us))


class IssuedCredentialSchema(ma.Schema):
    key = fields.String()
    secret = fields.String(metadata={"description": "shown only in this response; only its hash is stored"})
    tenant = fields.Function(lambda c: c.tenant or None)
    role = fields.String()
    scopes = fields.List(fields.String())
    label = fields.String()
    xapi_version = fields.String()


def _actor(entry: AuditEntry) -> dict[str, str]:
    return {"key": entry.actor_key, "role": entry.actor_role}


class AuditEntrySchema(ma.Schema):
    id = fields.String(attribute="entry_id")
    time = fields.Function(lambda e: iso_us(e.time_us))
    actor = fields.Function(_actor, metadata={"description": "{key, role}"})
    action = fields.String()
    target = fields.String()
    tenant = fields.Function(lambda e: e.tenant or None)
    remote_addr = fields.String()
    request_id = fields.String()
    details = fields.Dict()


# operations ----------------------------------------------------------------------------------------
F = TypeVar("F", bound=Callable[..., Any])


def operation(
    blp: AdminBlueprint,
    summary: str,
    *codes: int,
    status: int = 200,
    response: ma.Schema | None = None,
    body: type[ma.Schema] | None = None,
    body_required: bool = True,
    query: type[ma.Schema] | None = None,
) -> Callable[[F], F]:
    """flask-smorest's ``arguments`` + ``response`` + ``doc`` in one typed decorator; every operation documents
    401 and 403 (and 429/503) besides ``codes``."""

    def wrap(function: F) -> F:
        decorated = blp.doc(summary=summary, responses=_errors(401, 403, *codes))(function)
        if response is not None:
            decorated = blp.response(status, response)(decorated)
        if body is not None:
            decorated = blp.arguments(body, required=body_required)(decorated)
        if query is not None:
            decorated = blp.arguments(query, location="query")(decorated)
        return cast(F, decorated)

    return wrap
