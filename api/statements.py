"""The xAPI Statement resource: PUT, POST, GET and HEAD /xapi/statements."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, request
from flask.views import MethodView

from api.context import lrs, principal, xrequest
from api.docs import STATEMENT_GET_DOC, STATEMENT_POST_DOC, STATEMENT_PUT_DOC, documented, xapi_blueprint
from lrs.errors import BadRequestError, PayloadTooLargeError
from lrs.jsontext import loads
from lrs.statement_format import parse_accept_language
from lrs.timeutil import http_date, iso_us
from validators.statement import validate_statements
from validators.statement_params import (
    MoreRequest,
    SingleStatementRequest,
    parse_statement_get,
    parse_statement_put,
)

blp = xapi_blueprint

SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"


def _json_response(text: str, status: int = 200) -> Response:
    return Response(text, status=status, mimetype="application/json")


def _reject_unsupported_attachments(statements: list[dict[str, Any]]) -> None:
    for index, statement in enumerate(statements):
        for position, attachment in enumerate(statement.get("attachments") or ()):
            path = f"statements[{index}].attachments[{position}]"
            if attachment.get("usageType") == SIGNATURE_USAGE:
                raise BadRequestError(f"{path}: signed statements are not accepted yet", errors={"path": path})
            if "fileUrl" not in attachment:
                raise BadRequestError(
                    f"{path}: attachment content (multipart/mixed) is not accepted yet; use fileUrl",
                    errors={"path": path},
                )


def _statements_from_body(*, single: bool) -> list[dict[str, Any]]:
    req = xrequest()
    if req.mimetype == "multipart/mixed":
        raise BadRequestError("multipart/mixed requests (attachments) are not accepted yet; send application/json")
    if req.mimetype != "application/json":
        raise BadRequestError(f"Content-Type must be application/json, not {req.mimetype or 'missing'!r}")
    payload = loads(req.body)
    if single and not isinstance(payload, dict):
        raise BadRequestError("PUT /statements takes a single statement object")
    if isinstance(payload, list) and len(payload) > lrs().settings.max_batch:
        raise PayloadTooLargeError(
            f"a batch may hold at most {lrs().settings.max_batch} statements, this one has {len(payload)}"
        )
    statements = validate_statements(payload, version=req.version)
    _reject_unsupported_attachments(statements)
    return statements


def _default_version() -> str:
    return "2.0.0" if xrequest().version == "2.0.0" else "1.0.0"


@blp.route("/statements")
class Statements(MethodView):
    @documented(STATEMENT_PUT_DOC)
    def put(self) -> Response:
        caller = principal()
        caller.can_write_statements()
        statement_id = parse_statement_put(xrequest().args.items(multi=True))
        statements = _statements_from_body(single=True)
        body_id = statements[0].get("id")
        if body_id is not None and str(body_id).lower() != statement_id:
            raise BadRequestError("the statement's id does not match the statementId parameter", errors={"path": "id"})
        statements[0] = {**statements[0], "id": statement_id}
        lrs().statements.store_statements(
            caller.tenant, statements, authority=caller.authority, default_version=_default_version()
        )
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
        statements = _statements_from_body(single=False)
        ids = lrs().statements.store_statements(
            caller.tenant, statements, authority=caller.authority, default_version=_default_version()
        )
        return _json_response("[" + ",".join(f'"{i}"' for i in ids) + "]")

    @documented(STATEMENT_GET_DOC)
    def get(self) -> Response:
        caller = principal()
        restrict = caller.statement_read_restriction()
        req = xrequest()
        parsed = parse_statement_get(req.args.items(multi=True), version=req.version)
        languages = parse_accept_language(req.headers.get("Accept-Language"))
        service = lrs().statements
        if isinstance(parsed, SingleStatementRequest):
            text, stored_us = service.get_statement(
                caller.tenant,
                parsed.statement_id,
                voided=parsed.voided,
                statement_format=parsed.format,
                languages=languages,
                restrict_keys=restrict,
                reader_version=req.version,
            )
            response = _as_attachments_response(text) if parsed.attachments else _json_response(text)
            response.headers["Last-Modified"] = http_date(stored_us)
            return response
        if isinstance(parsed, MoreRequest):
            result, flt = service.query(
                caller.tenant, more=parsed.token, languages=languages, restrict_keys=restrict, reader_version=req.version
            )
        else:
            result, flt = service.query(
                caller.tenant, parsed, languages=languages, restrict_keys=restrict, reader_version=req.version
            )
        more = f"{request.script_root}/xapi/statements?more={result.more_token}" if result.more_token else ""
        text = '{"statements":[' + ",".join(result.statements_json) + '],"more":"' + more + '"}'
        response = _as_attachments_response(text) if flt.attachments else _json_response(text)
        response.headers["X-Experience-API-Consistent-Through"] = iso_us(result.consistent_through_us)
        return response


def _as_attachments_response(text: str) -> Response:
    """``attachments=true``: multipart/mixed whose first part is the JSON (no attachment data is stored yet)."""
    boundary = uuid.uuid4().hex
    body = f"--{boundary}\r\nContent-Type: application/json\r\n\r\n{text}\r\n--{boundary}--\r\n".encode()
    response = Response(body, status=200, mimetype="multipart/mixed")
    response.headers["Content-Type"] = f"multipart/mixed; boundary={boundary}"
    return response
