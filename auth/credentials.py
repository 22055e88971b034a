"""Issuing credentials: the secret is returned once and stored only as an scrypt hash."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from auth.scopes import ALL, unknown_scopes
from auth.secrets import hash_secret, new_key, new_secret
from lrs.errors import BadRequestError
from lrs.storage.port import Credential, Store
from lrs.tenants import require_tenant
from lrs.timeutil import now_us


@dataclass(frozen=True)
class IssuedCredential:
    key: str
    secret: str  # shown once, never stored
    tenant: str
    scopes: tuple[str, ...]
    label: str


def issue_credential(store: Store, tenant: str, scopes: Sequence[str] = (ALL,), label: str = "") -> IssuedCredential:
    require_tenant(store, tenant)
    scopes = tuple(dict.fromkeys(scopes or (ALL,)))
    unknown = unknown_scopes(scopes)
    if unknown:
        raise BadRequestError(f"unknown scope(s): {', '.join(unknown)}", errors={"path": "scope"})
    key, secret = new_key(), new_secret()
    store.add_credential(
        Credential(
            key=key, tenant=tenant, secret_hash=hash_secret(secret), scopes=scopes, label=label, created_us=now_us()
        )
    )
    return IssuedCredential(key, secret, tenant, scopes, label)
