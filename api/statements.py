"""The xAPI Statement resource: PUT, POST, GET and HEAD /xapi/statements."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Response, request
from flask.views import MethodView

from api.context import lrs, principal, xrequest
from api.docs import STATEMENT_GET_DOC, STATEMENT_POST_DOC, STATEMENT_PUT_DOC, documented, xapi_blueprint
from auth.scopes import DEFINE
from lrs.attachments import multipart_body
from lrs.errors import BadRequestError
from lrs.jsontext import loads
from lrs.statement_format import parse_accept_language
from lrs.timeutil import http_date, iso_us
from validators.multipart import Part, collect_attachments, open_upload
from validators.signature import check_signatures
from validators.statement import validate_statements
from validators.statement_params import (
    MoreRequest,
    SingleStatementRequest,
    parse_statement_get,
    parse_statement_put,
)

blp = xapi_blueprint


def _json_response(text: str, status: int = 200) -> Response:
    return Response(text, status=status, mimetype="application/json")


def _statements_from_body(*, single: bool) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    """The validated statements and their attachment content (lowercase sha2 → bytes) of a PUT or POST."""
    req = xrequest()
    parts: Iterator[Part] = iter(())
    if req.mimetype == "multipart/mixed":
        body, parts = open_upload(req.headers.get("Content-Type"), req.body)
    elif req.mimetype == "application/json":
        body = req.body
    else:
        found = req.mimetype or "missing"
        raise BadRequestError(f"Content-Type must be application/json or multipart/mixed, not {found!r}")
    payload = loads(body)
    if single and not isinstance(payload, dict):
        raise BadRequestError("PUT /statements takes a single statement object")
    quotas = lrs().limits.quotas.for_tenant(principal().tenant)
    if isinstance(payload, list):
        quotas.check_batch(len(payload))
    statements = validate_statements(payload, version=req.version)
    return statements, collect_attachments(statements, parts, max_attachment_bytes=quotas.max_attachment_bytes)


def _store(statements: list[dict[str, Any]], contents: dict[str, bytes]) -> list[str]:
    """Check the signatures, then store the batch with its attachment content."""
    check_signatures(statements, contents, version=xrequest().version)
    caller = principal()
    for statement in statements:  # a learner token writes only statements about its own learner
        caller.require_own_agent(statement.get("actor"))
    return lrs().statements.store_statements(
        caller.tenant,
        statements,
        authority=caller.authority,
        default_version=_default_version(),
        attachments=contents,
        define=DEFINE in caller.scopes,  # without it, definitions never change canonical ones (lrs.definitions)
    )


def _default_version() -> str:
    return "2.0.0" if xrequest().version == "2.0.0" else "1.0.0"


@blp.route("/statements")
class Statements(MethodView):
    @documented(STATEMENT_PUT_DOC)
    def put(self) -> Response:
        caller = principal()
        caller.can_write_statements()
        statement_id = parse_statement_put(xrequest().args.items(multi=True))
        statements, contents = _statements_from_body(single=True)
        body_id = statements[0].get("id")
        if body_id is not None and str(body_id).lower() != statement_id:
            raise BadRequestError("the statement's id does not match the statementId parameter", errors={"path": "id"})
        statements[0] = {**statements[0], "id": statement_id}
        _store(statements, contents)
        return Response(status=204)

    @documented(STATEMENT_POST_DOC)
    def post(self) -> Response:
        method = xrequest().method
        if method in ("GET", "HEAD"):
            return self.get()
        if method == "PUT":
            return self.put()
        if method != "POST":
            raise BadRequestError(f"{method} is not supported on /statements")
        caller = principal()
        caller.can_write_statements()
        if xrequest().args:
            name = next(iter(xrequest().args))
            raise BadRequestError(f"unknown query parameter '{name}' for POST /statements", errors={"path": name})
        ids = _store(*_statements_from_body(single=False))
        return _json_response("[" + ",".join(f'"{i}"' for i in ids) + "]")

    @documented(STATEMENT_GET_DOC)
    def get(self) -> Response:
        caller = principal()
        req = xrequest()
        parsed = parse_statement_get(req.args.items(multi=True), version=req.version)
        reader = _Reader(
            tenant=caller.tenant,
            restrict=caller.statement_read_restriction(),
            languages=parse_accept_language(req.headers.get("Accept-Language")),
            version=req.version,
        )
        if isinstance(parsed, SingleStatementRequest):
            return _one_statement(parsed, reader)
        service = lrs().statements
        if isinstance(parsed, MoreRequest):
            result, flt = service.query(reader.tenant, more=parsed.token, **reader.options())
        else:
            result, flt = service.query(reader.tenant, parsed, **reader.options())
        more = f"{request.script_root}/xapi/statements?more={result.more_token}" if result.more_token else ""
        text = '{"statements":[' + ",".join(result.statements_json) + '],"more":"' + more + '"}'
        response = _statements_response(text, result.statements_json, reader, attachments=flt.attachments)
        response.headers["X-Experience-API-Consistent-Through"] = iso_us(result.consistent_through_us)
        return response


@dataclass(frozen=True)
class _Reader:
    """Who reads, and how the statements must be rendered for them."""

    tenant: str
    restrict: tuple[str, ...]
    languages: Sequence[str]
    version: str

    def options(self) -> dict[str, Any]:
        return {"languages": self.languages, "restrict_keys": self.restrict, "reader_version": self.version}


def _one_statement(parsed: SingleStatementRequest, reader: _Reader) -> Response:
    text, stored_us = lrs().statements.get_statement(
        reader.tenant, parsed.statement_id, voided=parsed.voided, statement_format=parsed.format, **reader.options()
    )
    response = _statements_response(text, [text], reader, attachments=parsed.attachments)
    response.headers["Last-Modified"] = http_date(stored_us)
    return response


def _statements_response(text: str, statements_json: Sequence[str], reader: _Reader, *, attachments: bool) -> Response:
    if not attachments:
        return _json_response(text)
    return _as_attachments_response(text, statements_json, restricted=bool(reader.restrict))


def _as_attachments_response(text: str, statements_json: Sequence[str], *, restricted: bool) -> Response:
    """``attachments=true``: multipart/mixed, the JSON first, then the stored content of each attachment."""
    parts = lrs().statements.attachment_parts(principal().tenant, statements_json, restricted=restricted)
    content_type, body = multipart_body(text, parts)
    response = Response(body, status=200)
    response.headers["Content-Type"] = content_type
    return response
