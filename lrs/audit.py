"""The audit log of administrative actions: who (actor key and role), what, when and from where.

Every administrative operation (``auth.admin``) appends one entry after it succeeded.  Entries never hold a
secret or a secret hash: ``details`` names what changed (a name, a role, scopes), nothing more.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lrs.errors import BadRequestError
from lrs.storage.port import AuditEntry, AuditQuery, Store
from lrs.timeutil import stored_now_us

log = logging.getLogger("lrs.audit")

QUERY_LIMIT_DEFAULT = 100
QUERY_LIMIT_MAX = 1000
_SECRET_WORDS = ("secret", "password", "token", "hash")


@dataclass(frozen=True)
class Actor:
    """Who performs an administrative action: a credential (key, role, tenant) and where the request came from."""

    key: str
    role: str
    tenant: str
    remote_addr: str = ""
    request_id: str = ""


def record(
    store: Store, actor: Actor, action: str, *, target: str, tenant: str, details: Mapping[str, Any] | None = None
) -> AuditEntry:
    """Append one entry for an action that succeeded (and log it without its details)."""
    safe = {name: value for name, value in (details or {}).items() if not any(w in name for w in _SECRET_WORDS)}
    entry = AuditEntry(
        entry_id=uuid.uuid4().hex,
        time_us=stored_now_us(),
        actor_key=actor.key,
        actor_role=actor.role,
        action=action,
        target=target,
        tenant=tenant,
        remote_addr=actor.remote_addr,
        request_id=actor.request_id,
        details=safe,
    )
    store.append_audit(entry)
    log.info(
        "%s target=%s tenant=%s actor=%s role=%s from=%s request_id=%s",
        action,
        target,
        tenant or "-",
        actor.key,
        actor.role,
        actor.remote_addr or "-",
        actor.request_id or "-",
    )
    return entry


def audit_query(
    *,
    tenant: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since_us: int | None = None,
    until_us: int | None = None,
    limit: int | None = None,
) -> AuditQuery:
    """A checked query: the limit defaults to 100 and is clamped to 1000; ``since`` must precede ``until``."""
    if limit is not None and limit < 1:
        raise BadRequestError("limit must be a positive integer", errors={"path": "limit"})
    if since_us is not None and until_us is not None and since_us >= until_us:
        raise BadRequestError("since must be earlier than until", errors={"path": "since"})
    return AuditQuery(
        tenant=tenant,
        actor=actor,
        action=action,
        since_us=since_us,
        until_us=until_us,
        limit=min(limit or QUERY_LIMIT_DEFAULT, QUERY_LIMIT_MAX),
    )
