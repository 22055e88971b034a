"""Issuing credentials: the secret is returned once and stored only as an scrypt hash."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from auth.roles import CLIENT, NO_TENANT, OPERATOR, SCOPED_ROLES, require_known
from auth.scopes import ALL, unknown_scopes
from auth.secrets import hash_secret, new_key, new_secret
from lrs.errors import BadRequestError, ConflictError
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
    role: str = CLIENT


XAPI_VERSIONS = ("1.0.3", "2.0.0")


def issue_credential(
    store: Store,
    tenant: str,
    scopes: Sequence[str] | None = None,
    label: str = "",
    *,
    xapi_version: str = "2.0.0",
    role: str = CLIENT,
) -> IssuedCredential:
    """A new credential; ``xapi_version`` is the version its client speaks when it sends no version header.

    ``scopes`` (default ``all``) apply to client, learner and coordinator credentials; administrative
    credentials carry none.  Operator credentials belong to no tenant (``tenant`` must be ``""``).
    """
    granted = _role_scopes(role, scopes)
    if role == OPERATOR:
        if tenant != NO_TENANT:
            raise BadRequestError("an operator credential belongs to no tenant", errors={"path": "tenant"})
    else:
        require_tenant(store, tenant)
    if xapi_version not in XAPI_VERSIONS:
        raise BadRequestError(
            f"xapi_version must be one of {', '.join(XAPI_VERSIONS)}", errors={"path": "xapi_version"}
        )
    unknown = unknown_scopes(granted)
    if unknown:
        raise BadRequestError(f"unknown scope(s): {', '.join(unknown)}", errors={"path": "scope"})
    key, secret = new_key(), new_secret()
    store.add_credential(
        Credential(
            key=key,
            tenant=tenant,
            secret_hash=hash_secret(secret),
            scopes=granted,
            label=label,
            created_us=now_us(),
            xapi_version=xapi_version,
            role=role,
        )
    )
    return IssuedCredential(key, secret, tenant, granted, label, xapi_version, role)


def _role_scopes(role: str, scopes: Sequence[str] | None) -> tuple[str, ...]:
    require_known(role)
    if role not in SCOPED_ROLES:
        if scopes:
            raise BadRequestError(
                f"this {role} credential carries no xAPI scopes; scopes apply to {', '.join(SCOPED_ROLES)}",
                errors={"path": "scopes"},
            )
        return ()
    return tuple(dict.fromkeys(scopes or (ALL,)))


def rotate_credential(store: Store, credential: Credential) -> IssuedCredential:
    """A new secret for ``credential``; the old one stops working with the next request, in every worker."""
    secret = new_secret()
    if not store.replace_credential_secret(credential.key, hash_secret(secret), now_us()):
        raise ConflictError("this credential is revoked; issue a new one")
    return IssuedCredential(
        credential.key,
        secret,
        credential.tenant,
        credential.scopes,
        credential.label,
        credential.xapi_version,
        credential.role,
    )


def revoke_credential(store: Store, credential: Credential) -> Credential:
    """Revoke ``credential`` for good; it stops working with the next request, in every worker."""
    revoked_us = now_us()
    if not store.revoke_credential(credential.key, revoked_us):
        raise ConflictError("this credential is already revoked")
    return replace(credential, revoked_us=revoked_us)
