"""Building the effective xAPI request, including the 1.0.x Alternate Request Syntax (Communication 1.3).

A POST with a ``method`` query parameter carries the real method there, and headers, query parameters and
the content as form fields.  xAPI 2.0 removed the syntax, so it is refused under 2.0.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Request
from werkzeug.datastructures import Headers, MultiDict

from api.context import XRequest
from lrs.errors import BadRequestError, PayloadTooLargeError
from validators.primitives import rule_set_of

FORM_HEADERS = (
    "Authorization",
    "X-Experience-API-Version",
    "Content-Type",
    "Content-Length",
    "If-Match",
    "If-None-Match",
)
_METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")


def version_rules(header: str | None) -> str:
    """The rule set for an X-Experience-API-Version value; 400 when missing or unsupported."""
    if header is None:
        raise BadRequestError("the X-Experience-API-Version header is required")
    value = header.strip()
    rule_set = rule_set_of(value)
    if rule_set is None:
        raise BadRequestError(f"X-Experience-API-Version {value[:20]!r} is not supported (use 1.0.x or 2.0.x)")
    return rule_set


def mimetype_of(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def read_body(request: Request) -> bytes:
    """The request body, never more than MAX_CONTENT_LENGTH bytes: 413 beyond, with or without Content-Length.

    Werkzeug rejects an oversized Content-Length itself but silently truncates a chunked body at the limit,
    so a chunked body is read here with one byte to spare.
    """
    limit = request.max_content_length
    if request.content_length is not None or limit is None or not request.environ.get("wsgi.input_terminated"):
        return request.get_data(cache=True)
    raw: bytes = request.environ["wsgi.input"].read(limit + 1)
    if len(raw) > limit:
        raise PayloadTooLargeError("the request body is larger than this LRS accepts")
    return raw


def _headers(request: Request) -> Headers:
    try:
        return Headers(request.headers)
    except ValueError as exc:  # CR, LF or NUL in a value: a server in front should have refused it
        raise BadRequestError("a request header contains a control character") from exc


def build_xrequest(request: Request) -> XRequest:
    if request.method == "POST" and "method" in request.args:
        return _alternate(request)
    return XRequest(
        method=request.method,
        args=MultiDict(request.args.items(multi=True)),
        headers=_headers(request),
        body=read_body(request),
        mimetype=request.mimetype.lower(),
    )


def _alternate(request: Request) -> XRequest:
    if len(request.args) != 1 or len(request.args.getlist("method")) != 1:
        raise BadRequestError("with the alternate request syntax, 'method' must be the only query parameter")
    method = request.args["method"].upper()
    if method not in _METHODS:
        raise BadRequestError(f"alternate request syntax: unsupported method {method[:10]!r}")
    if request.mimetype != "application/x-www-form-urlencoded":
        raise BadRequestError("alternate request syntax requires Content-Type application/x-www-form-urlencoded")
    try:
        fields = parse_qsl(read_body(request).decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise BadRequestError("alternate request syntax: the form is not valid UTF-8") from exc
    headers = _headers(request)
    args: MultiDict[str, str] = MultiDict()
    content = ""
    header_names = {name.lower(): name for name in FORM_HEADERS}
    for name, value in fields:
        if name == "content":
            content = value
        elif name.lower() in header_names:
            headers[header_names[name.lower()]] = value
        else:
            args.add(name, value)
    if not any(name.lower() == "content-type" for name, _ in fields):
        headers["Content-Type"] = "application/json"
    if "X-Experience-API-Version" in headers and version_rules(headers["X-Experience-API-Version"]) == "2.0.0":
        raise BadRequestError("the alternate request syntax is not supported in xAPI 2.0")
    return XRequest(
        method=method,
        args=args,
        headers=headers,
        body=content.encode("utf-8"),
        mimetype=mimetype_of(headers.get("Content-Type")),
        alternate=True,
    )
