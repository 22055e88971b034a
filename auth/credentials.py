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
    xapi_version: str = "2.0.0"


XAPI_VERSIONS = ("1.0.3", "2.0.0")


def issue_credential(
    store: Store, tenant: str, scopes: Sequence[str] = (ALL,), label: str = "", *, xapi_version: str = "2.0.0"
) -> IssuedCredential:
    """A new credential; ``xapi_version`` is the version its client speaks when it sends no version header."""
    require_tenant(store, tenant)
    if xapi_version not in XAPI_VERSIONS:
        raise BadRequestError(
            f"xapi_version must be one of {', '.join(XAPI_VERSIONS)}", errors={"path": "xapi_version"}
        )
    scopes = tuple(dict.fromkeys(scopes or (ALL,)))
    unknown = unknown_scopes(scopes)
    if unknown:
        raise BadRequestError(f"unknown scope(s): {', '.join(unknown)}", errors={"path": "scope"})
    key, secret = new_key(), new_secret()
    store.add_credential(
        Credential(
            key=key,
            tenant=tenant,
            secret_hash=hash_secret(secret),
            scopes=scopes,
            label=label,
            created_us=now_us(),
            xapi_version=xapi_version,
        )
    )
    return IssuedCredential(key, secret, tenant, scopes, label, xapi_version)
