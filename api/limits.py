"""Limits enforced before any heavy work: failed-authentication throttle, rate limit, per-tenant body size.

Runs as a ``before_request`` step right after the xAPI request is built (the body is read, bounded by
``MAX_CONTENT_LENGTH``, but not parsed) on every authenticated ``/xapi`` and ``/api`` request:

1. 429 when the client address or the claimed key has failed authentication too often (no secret is checked);
2. authentication (the principal is kept for the view); a 401 counts as a failure of address and key;
3. 429 + ``Retry-After`` when the credential is over its tenant's rate;
4. 413 when the body is over the tenant's own limit.

Requests without ``Authorization`` pass through: the view answers 401 where credentials are needed.
"""

from __future__ import annotations

from flask import Flask, g, request

from api.context import lrs, xrequest
from lrs.errors import UnauthorizedError

NO_CREDENTIALS_NEEDED = ("/xapi/about",)
LIMITED_PREFIXES = ("/xapi/", "/api/")


def _enforce() -> None:
    path = request.path
    if request.method == "OPTIONS" or not path.startswith(LIMITED_PREFIXES) or path in NO_CREDENTIALS_NEEDED:
        return
    is_xapi = path.startswith("/xapi/")
    if is_xapi and g.get("xrequest") is None:  # refused before it became an xAPI request (405, bad version)
        return
    header = (xrequest().headers if is_xapi else request.headers).get("Authorization")
    if not header or g.get("principal") is not None:
        return
    context = lrs()
    address = request.remote_addr or "-"
    claimed = context.authenticator.claimed_key(header)
    context.limits.failures.check(address, claimed)
    try:
        caller = context.authenticator.authenticate(header)
    except UnauthorizedError:
        context.limits.failures.record(address, claimed)
        raise
    g.principal = caller
    quotas = context.limits.quotas.for_tenant(caller.tenant)
    context.limits.rate.admit(caller.tenant, caller.key, quotas)
    if is_xapi:
        quotas.check_body(len(xrequest().body))


def register_limits(app: Flask) -> None:
    app.before_request(_enforce)
