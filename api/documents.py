"""The document resources: GET, HEAD, PUT, POST and DELETE on /xapi/activities/state, /xapi/activities/profile
and /xapi/agents/profile (rules in lrs.documents, parameters in validators.document_params)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar

from flask import Response
from flask.views import MethodView

from api.context import lrs, principal, xrequest
from api.docs import documented, xapi_blueprint
from api.docs_documents import delete_doc, get_doc, post_doc, put_doc
from auth import scopes
from lrs.documents import ACTIVITY_PROFILE, AGENT_PROFILE, STATE, DocumentService, Incoming, Preconditions
from lrs.errors import BadRequestError
from lrs.timeutil import http_date
from validators.document_params import DocumentRequest, parse_document_params


def _service() -> DocumentService:
    return DocumentService(lrs().store)


def _preconditions() -> Preconditions:
    headers = xrequest().headers
    return Preconditions.from_headers(headers.get("If-Match"), headers.get("If-None-Match"))


def _incoming() -> Incoming:
    return Incoming.of(xrequest().body, xrequest().headers.get("Content-Type"))


class _DocumentView(MethodView):
    kind: ClassVar[str]
    scope: ClassVar[str]

    def dispatch_request(self, **kwargs: Any) -> Response:
        """Dispatch on the effective method: the 1.0.x Alternate Request Syntax sends it as a parameter."""
        method = "GET" if xrequest().method == "HEAD" else xrequest().method
        handler = getattr(self, method.lower(), None)
        if handler is None:
            raise BadRequestError(f"{method} is not supported on this resource")
        response: Response = handler()
        return response

    def _parse(self) -> DocumentRequest:
        req = xrequest()
        parsed = parse_document_params(self.kind, req.method, req.args.items(multi=True), version=req.version)
        agent = parsed.context.agent
        if agent or req.method not in ("GET", "HEAD"):  # a learner token: its own documents, no shared ones written
            principal().require_own_agent(agent or None)
        return parsed

    def _writer(self) -> tuple[str, DocumentRequest]:
        """The tenant of a caller allowed to write here, and the parsed request."""
        caller = principal()
        caller.can_write_documents(self.scope)
        parsed = self._parse()
        return caller.tenant, parsed

    def _get(self) -> Response:
        caller = principal()
        caller.can_read_documents(self.scope)
        parsed = self._parse()
        if parsed.document_id is None:
            listed = _service().list_ids(caller.tenant, parsed.context, parsed.since_us)
            response = Response(json.dumps(listed.ids), mimetype="application/json")
            if listed.last_modified_us is not None:
                response.headers["Last-Modified"] = http_date(listed.last_modified_us)
            return response
        document = _service().get(caller.tenant, parsed.context, parsed.document_id)
        response = Response(document.content, content_type=document.content_type)
        response.headers["ETag"] = f'"{document.etag}"'
        response.headers["Last-Modified"] = http_date(document.updated_us)
        return response

    def _write(self) -> Response:
        """PUT or POST (the parser requires the document id for both)."""
        tenant, parsed = self._writer()
        assert parsed.document_id is not None
        req = xrequest()
        document = _service().write(
            req.method,
            tenant,
            parsed.context,
            parsed.document_id,
            _incoming(),
            pre=_preconditions(),
            version=req.version,
        )
        response = Response(status=204)
        response.headers["ETag"] = f'"{document.etag}"'
        return response

    def _delete(self) -> Response:
        tenant, parsed = self._writer()
        pre = _preconditions()
        if parsed.document_id is None:
            if pre.given:
                raise BadRequestError("If-Match/If-None-Match apply to one document: add the stateId parameter")
            _service().delete_all(tenant, parsed.context)
        else:
            _service().delete(tenant, parsed.context, parsed.document_id, pre=pre, version=xrequest().version)
        return Response(status=204)


def _documented(
    method: str, handler: Callable[[_DocumentView], Response], doc: dict[str, Any]
) -> Callable[..., Response]:
    """A distinct view function per resource, so each one carries its own OpenAPI description."""

    def view(self: _DocumentView) -> Response:
        return handler(self)

    view.__name__ = method
    return documented(doc)(view)


def _register(path: str, name: str, kind: str, scope: str) -> None:
    methods = {
        "get": _documented("get", _DocumentView._get, get_doc(kind)),
        "put": _documented("put", _DocumentView._write, put_doc(kind)),
        "post": _documented("post", _DocumentView._write, post_doc(kind)),
        "delete": _documented("delete", _DocumentView._delete, delete_doc(kind)),
    }
    view = type(name, (_DocumentView,), {"kind": kind, "scope": scope, "__doc__": get_doc(kind)["summary"], **methods})
    xapi_blueprint.route(path)(view)


_register("/activities/state", "StateResource", STATE, scopes.STATE)
_register("/activities/profile", "ActivityProfileResource", ACTIVITY_PROFILE, scopes.PROFILE)
_register("/agents/profile", "AgentProfileResource", AGENT_PROFILE, scopes.PROFILE)
