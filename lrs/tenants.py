"""Tenant management."""

from __future__ import annotations

import re

from lrs.errors import BadRequestError, NotFoundError
from lrs.storage.port import Store, Tenant
from lrs.timeutil import now_us

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def create_tenant(store: Store, slug: str, name: str | None = None) -> Tenant:
    if not _SLUG.fullmatch(slug):
        raise BadRequestError(
            "a tenant slug is 1-64 lowercase letters, digits and inner hyphens", errors={"path": "slug"}
        )
    tenant = Tenant(slug=slug, name=name or slug, status="active", created_us=now_us())
    store.create_tenant(tenant)
    return tenant


def require_tenant(store: Store, slug: str) -> Tenant:
    tenant = store.get_tenant(slug)
    if tenant is None:
        raise NotFoundError(f"no tenant '{slug}'")
    return tenant
