"""What the read-only lookup resources (Activities, Agents) share: a JSON entity with its ETag, and the
1.0.x Alternate Request Syntax for GET and HEAD (a POST carrying ``method``)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import Response
from werkzeug.exceptions import MethodNotAllowed

from api.context import xrequest
from lrs.jsontext import dumps

READ_METHODS = ("GET", "HEAD")


def json_entity(value: Any) -> Response:
    """``value`` as JSON with a quoted SHA-1 ETag of the body (xAPI Communication 3.1: GET responses carry one).

    A real HEAD keeps the headers of the GET (the server drops the body); an alternate-syntax HEAD is a POST,
    so its body is dropped here."""
    body = dumps(value).encode("utf-8")
    response = Response(body, mimetype="application/json")
    response.set_etag(hashlib.sha1(body, usedforsecurity=False).hexdigest())
    req = xrequest()
    if req.alternate and req.method == "HEAD":
        response.set_data(b"")
    return response


def alternate_read(get: Callable[[], Response]) -> Response:
    """A POST is only the alternate syntax for GET/HEAD here; anything else is 405."""
    req = xrequest()
    if req.alternate and req.method in READ_METHODS:
        return get()
    raise MethodNotAllowed(valid_methods=list(READ_METHODS))
