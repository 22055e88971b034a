"""Cross-cutting HTTP behaviour: request ids and access logs, the xAPI version header, CORS."""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextlib import suppress

from flask import Flask, Response, g, request
from werkzeug.exceptions import MethodNotAllowed

from api.context import lrs, principal
from api.errors import lrs_error_response
from api.xrequest import build_xrequest, version_rules
from lrs.errors import LRSError
from lrs.timeutil import iso_us

log = logging.getLogger("lrs.access")

XAPI_PREFIX = "/xapi"
_NO_VERSION_NEEDED = ("/xapi/about",)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
EXPOSED = "ETag, Last-Modified, Content-Type, X-Experience-API-Version, X-Experience-API-Consistent-Through"
ALLOWED_HEADERS = (
    "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match, Accept-Language, X-Request-ID"
)
ALLOWED_METHODS = "GET, HEAD, PUT, POST, DELETE, OPTIONS"
LATEST_VERSION = "2.0.0"


def _allowed_origin(origin: str | None) -> str | None:
    if not origin:
        return None
    origins = lrs().settings.cors_origins
    if "*" in origins:
        return origin
    return origin if origin.rstrip("/") in origins else None


def _preflight() -> Response | None:
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
        return None
    response = Response(status=204)
    origin = _allowed_origin(request.headers.get("Origin"))
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
        response.headers["Vary"] = "Origin"
    return response


def _before() -> Response | None:
    g.started = time.perf_counter()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    preflight = _preflight()
    if preflight is not None:
        return preflight
    if not request.path.startswith(XAPI_PREFIX + "/") or isinstance(request.routing_exception, MethodNotAllowed):
        return None  # an unsupported method gets its 405 before any xAPI header check
    try:
        xreq = build_xrequest(request)
        g.xrequest = xreq
        if request.path not in _NO_VERSION_NEEDED:
            xreq.version = version_rules(xreq.headers.get("X-Experience-API-Version"))
            g.version_checked = True
        elif "X-Experience-API-Version" in xreq.headers:  # optional here: answer in the version asked, if valid
            with suppress(LRSError):
                xreq.version = version_rules(xreq.headers["X-Experience-API-Version"])
                g.version_checked = True
    except LRSError as exc:
        return lrs_error_response(exc)
    return None


def _caller_version() -> str:
    """The version of the calling client (its credential's setting), for a request without a valid header.

    A request without a usable version header is refused before authentication; its answer still names a
    version, and the one this client speaks is the useful one.  Unknown callers get the latest version.
    """
    try:
        return principal().xapi_version
    except LRSError:
        return LATEST_VERSION


def _request_rules() -> str:
    """The rule set the request asked for, also when it never became an xAPI request (405, bad header)."""
    if g.get("version_checked"):
        return str(g.xrequest.version)
    try:
        return version_rules(request.headers.get("X-Experience-API-Version"))
    except LRSError:
        return _caller_version() if g.get("xrequest") is not None else LATEST_VERSION


def _consistent_through() -> str:
    try:
        return iso_us(lrs().store.consistent_through_us())
    except LRSError:  # the store is down: claim nothing newer than the epoch
        return iso_us(0)


def _after(response: Response) -> Response:
    if request.path.startswith(XAPI_PREFIX + "/") or request.path == XAPI_PREFIX:
        response.headers["X-Experience-API-Version"] = "2.0.0" if _request_rules() == "2.0.0" else "1.0.3"
        # on every response of the Statement resource, errors too
        if (
            request.path == XAPI_PREFIX + "/statements"
            and "X-Experience-API-Consistent-Through" not in response.headers
        ):
            response.headers["X-Experience-API-Consistent-Through"] = _consistent_through()
    origin = _allowed_origin(request.headers.get("Origin"))
    if origin and "Access-Control-Allow-Origin" not in response.headers:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED
        response.vary.add("Origin")
    response.headers["X-Request-ID"] = g.get("request_id", "-")
    principal = g.get("principal")
    log.info(
        "%s %s %s %.1fms tenant=%s request_id=%s",
        request.method,
        request.path,
        response.status_code,
        (time.perf_counter() - g.get("started", time.perf_counter())) * 1000,
        (principal.tenant or "-") if principal is not None else "-",
        g.get("request_id", "-"),
    )
    return response


def register_http_headers(app: Flask) -> None:
    app.before_request(_before)
    app.after_request(_after)
