"""Per-app state (``app.extensions["lrs"]``) and the per-request effective xAPI request."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, request
from werkzeug.datastructures import Headers, MultiDict

from auth.authenticate import Authenticator
from auth.principal import Principal
from auth.roles import require_admin, require_xapi
from lrs.quotas import Limits
from lrs.settings import Settings
from lrs.statements import StatementService
from lrs.storage.port import Store


@dataclass
class LRSContext:
    settings: Settings
    store: Store
    statements: StatementService
    authenticator: Authenticator  # Basic credentials and SSO bearer tokens
    limits: Limits  # quotas, rate limits, failed-authentication throttle (api/limits.py)


@dataclass
class XRequest:
    """The request as xAPI means it: after the Alternate Request Syntax (1.0.x) has been unfolded."""

    method: str
    args: MultiDict[str, str]
    headers: Headers
    body: bytes
    mimetype: str
    version: str = "1.0.3"  # rule set selected by X-Experience-API-Version
    alternate: bool = False


def lrs() -> LRSContext:
    context: LRSContext = current_app.extensions["lrs"]
    return context


def xrequest() -> XRequest:
    request_view: XRequest = g.xrequest
    return request_view


def _authenticated(headers: Headers) -> Principal:
    found: Principal | None = g.get("principal")
    if found is None:
        found = lrs().authenticator.authenticate(headers.get("Authorization"))
        g.principal = found
    return found


def principal() -> Principal:
    """The authenticated xAPI caller of this request (authenticates on first use); 403 for admin roles."""
    found = _authenticated(xrequest().headers)
    require_xapi(found.role)
    return found


def admin_principal() -> Principal:
    """The authenticated caller of an admin API request; 403 unless an operator or a tenant admin."""
    found = _authenticated(request.headers)
    require_admin(found.role)
    return found


def api_principal() -> Principal:
    """The authenticated caller of a ``/api/v1`` reporting request (any role: the view decides what it may see)."""
    return _authenticated(request.headers)
