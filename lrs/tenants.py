"""Tenant management: create, rename, suspend and resume (a suspended tenant's requests are refused with 403)."""

from __future__ import annotations

import re

from lrs.errors import BadRequestError, ConflictError, NotFoundError
from lrs.storage.port import Store, Tenant
from lrs.timeutil import now_us

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
MAX_NAME_LENGTH = 200
ACTIVE = "active"
SUSPENDED = "suspended"


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH or not name.isprintable():
        raise BadRequestError(f"a tenant name is 1-{MAX_NAME_LENGTH} printable characters", errors={"path": "name"})
    return name


def create_tenant(store: Store, slug: str, name: str | None = None) -> Tenant:
    if not _SLUG.fullmatch(slug):
        raise BadRequestError(
            "a tenant slug is 1-64 lowercase letters, digits and inner hyphens", errors={"path": "slug"}
        )
    tenant = Tenant(slug=slug, name=_checked_name(name) if name else slug, status=ACTIVE, created_us=now_us())
    store.create_tenant(tenant)
    return tenant


def require_tenant(store: Store, slug: str) -> Tenant:
    tenant = store.get_tenant(slug)
    if tenant is None:
        raise NotFoundError(f"no tenant '{slug}'")
    return tenant


def _updated(store: Store, slug: str, *, name: str | None = None, status: str | None = None) -> Tenant:
    tenant = store.update_tenant(slug, name=name, status=status)
    if tenant is None:
        raise NotFoundError(f"no tenant '{slug}'")
    return tenant


def rename_tenant(store: Store, slug: str, name: str) -> Tenant:
    checked = _checked_name(name)
    require_tenant(store, slug)
    return _updated(store, slug, name=checked)


def set_tenant_status(store: Store, slug: str, status: str) -> Tenant:
    """Suspend (``SUSPENDED``) or resume (``ACTIVE``) a tenant; 409 when it already is in that state."""
    if status not in (ACTIVE, SUSPENDED):
        raise BadRequestError(f"a tenant status is {ACTIVE} or {SUSPENDED}", errors={"path": "status"})
    if require_tenant(store, slug).status == status:
        raise ConflictError(f"tenant '{slug}' is already {status}")
    return _updated(store, slug, status=status)
