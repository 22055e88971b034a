"""Administrative operations, shared by the admin API and the CLI: authorise by role, act, audit.

Each operation takes the :class:`lrs.audit.Actor` performing it, refuses it (403) when the actor's role does
not allow it (``auth.roles``), performs it, and appends one audit entry.  A tenant admin never learns whether
another tenant's credential exists: such keys are 404, as unknown ones are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from auth.credentials import IssuedCredential, issue_credential, revoke_credential, rotate_credential
from auth.roles import (
    NO_TENANT,
    OPERATOR,
    TENANT_ADMIN,
    may_see_credential,
    require_admin,
    require_grantable,
    require_operator,
    require_tenant_access,
)
from lrs.audit import Actor, record
from lrs.errors import ForbiddenError, NotFoundError
from lrs.storage.port import AuditEntry, AuditQuery, Credential, Store, Tenant
from lrs.tenants import ACTIVE, SUSPENDED, create_tenant, rename_tenant, require_tenant, set_tenant_status


class Admin:
    def __init__(self, store: Store) -> None:
        self._store = store

    # tenants -----------------------------------------------------------------------------------
    def create_tenant(self, actor: Actor, slug: str, name: str | None = None) -> Tenant:
        require_operator(actor.role)
        tenant = create_tenant(self._store, slug, name)
        record(self._store, actor, "tenant.create", target=slug, tenant=slug, details={"name": tenant.name})
        return tenant

    def list_tenants(self, actor: Actor) -> list[Tenant]:
        """Every tenant for an operator; a tenant admin sees its own."""
        require_admin(actor.role)
        if actor.role == OPERATOR:
            return self._store.list_tenants()
        return [require_tenant(self._store, actor.tenant)]

    def get_tenant(self, actor: Actor, slug: str) -> Tenant:
        require_tenant_access(actor.role, actor.tenant, slug)
        return require_tenant(self._store, slug)

    def rename_tenant(self, actor: Actor, slug: str, name: str) -> Tenant:
        require_operator(actor.role)
        before = require_tenant(self._store, slug)
        tenant = rename_tenant(self._store, slug, name)
        details = {"name": tenant.name, "previous_name": before.name}
        record(self._store, actor, "tenant.rename", target=slug, tenant=slug, details=details)
        return tenant

    def suspend_tenant(self, actor: Actor, slug: str) -> Tenant:
        return self._set_status(actor, slug, SUSPENDED, "tenant.suspend")

    def resume_tenant(self, actor: Actor, slug: str) -> Tenant:
        return self._set_status(actor, slug, ACTIVE, "tenant.resume")

    def _set_status(self, actor: Actor, slug: str, status: str, action: str) -> Tenant:
        require_operator(actor.role)
        tenant = set_tenant_status(self._store, slug, status)
        record(self._store, actor, action, target=slug, tenant=slug)
        return tenant

    # credentials -------------------------------------------------------------------------------
    def issue_credential(
        self,
        actor: Actor,
        tenant: str,
        *,
        role: str,
        scopes: Sequence[str] | None = None,
        label: str = "",
        xapi_version: str = "2.0.0",
    ) -> IssuedCredential:
        """A new credential of ``tenant`` (``""`` for an operator credential); its secret is returned once."""
        require_admin(actor.role)
        require_grantable(actor.role, role)
        if role != OPERATOR:
            require_tenant_access(actor.role, actor.tenant, tenant)
        issued = issue_credential(self._store, tenant, scopes, label, xapi_version=xapi_version, role=role)
        details = {"role": role, "scopes": list(issued.scopes), "label": label, "xapi_version": xapi_version}
        record(self._store, actor, "credential.create", target=issued.key, tenant=tenant, details=details)
        return issued

    def list_credentials(self, actor: Actor, tenant: str) -> list[Credential]:
        """A tenant's credentials, or the operators' ones for ``tenant == ""`` (operators only)."""
        if tenant == NO_TENANT:
            require_operator(actor.role)
        else:
            require_tenant_access(actor.role, actor.tenant, tenant)
            require_tenant(self._store, tenant)
        return self._store.list_credentials(tenant)

    def get_credential(self, actor: Actor, key: str) -> Credential:
        """The credential, when the actor administers it; 404 otherwise (also for other tenants' keys)."""
        require_admin(actor.role)
        credential = self._store.get_credential(key)
        if credential is None or not may_see_credential(actor.role, actor.tenant, credential.tenant):
            raise NotFoundError(f"no credential '{key}'")
        return credential

    def rotate_credential(self, actor: Actor, key: str) -> IssuedCredential:
        credential = self.get_credential(actor, key)
        issued = rotate_credential(self._store, credential)
        record(self._store, actor, "credential.rotate", target=key, tenant=credential.tenant)
        return issued

    def revoke_credential(self, actor: Actor, key: str) -> Credential:
        credential = self.get_credential(actor, key)
        revoked = revoke_credential(self._store, credential)
        record(self._store, actor, "credential.revoke", target=key, tenant=credential.tenant)
        return revoked

    # audit log ---------------------------------------------------------------------------------
    def audit_entries(self, actor: Actor, query: AuditQuery) -> list[AuditEntry]:
        """Entries matching ``query``; a tenant admin sees only its own tenant's entries."""
        require_admin(actor.role)
        if actor.role == TENANT_ADMIN:
            if query.tenant not in (None, actor.tenant):
                raise ForbiddenError("a tenant admin reads only its own tenant's audit entries")
            query = replace(query, tenant=actor.tenant)
        return self._store.query_audit(query)
