"""One JSON error shape for every failure: ``{"code", "status", "message", "errors"}``.

LRSError subclasses carry their status; Werkzeug's HTTP errors (unknown route, 405, 413 from the body
limit) are mapped to the same shape; anything else is a 500 that says nothing internal and is logged with the
request id.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from flask import Flask, Response, g, jsonify
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from lrs.errors import LRSError

log = logging.getLogger("lrs.api")


def error_response(status: int, message: str, errors: dict[str, object] | None = None) -> Response:
    response = jsonify(
        {"code": status, "status": HTTPStatus(status).phrase, "message": message, "errors": errors or {}}
    )
    response.status_code = status
    return response


def lrs_error_response(exc: LRSError) -> Response:
    response = error_response(exc.status, exc.message, exc.errors)
    for name, value in exc.headers().items():
        response.headers[name] = value
    return response


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    if isinstance(exc, RequestEntityTooLarge):
        message = "the request body is larger than this LRS accepts"
    else:
        message = exc.description or HTTPStatus(status).phrase
    response = error_response(status, message)
    if status == 405 and exc.get_response().headers.get("Allow"):
        response.headers["Allow"] = exc.get_response().headers["Allow"]
    return response


def _unexpected(exc: Exception) -> Response:
    request_id = g.get("request_id", "-")
    log.exception("unhandled error (request %s)", request_id)
    return error_response(500, f"internal error; quote request id {request_id} when reporting it")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(LRSError, lrs_error_response)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
