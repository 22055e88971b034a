"""Roles: what each kind of caller may do on the admin API and on ``/xapi``.

=============  =====================  ====================================================================
role           bound to               may
=============  =====================  ====================================================================
operator       no tenant (``""``)     everything on the admin API, for every tenant; nothing on ``/xapi``
tenant_admin   one tenant             its own tenant's credentials and audit entries; nothing on ``/xapi``
coordinator    one tenant             no admin access; its trainings' progress (``api/progress.py``); no ``/xapi``
learner        one tenant             no admin access; ``/xapi`` within its scopes (its own records)
client         one tenant             no admin access; ``/xapi`` within its scopes (an LMS or a player)
=============  =====================  ====================================================================

Administrative credentials never read or write learning records: an operator is bound to no tenant, so any
``/xapi`` use would have to pick one by accident; it is refused (403) instead.  To look into a tenant's
records, an operator issues a client credential of that tenant, which the audit log records.
"""

from __future__ import annotations

from lrs.errors import BadRequestError, ForbiddenError

OPERATOR = "operator"
TENANT_ADMIN = "tenant_admin"
COORDINATOR = "coordinator"
LEARNER = "learner"
CLIENT = "client"

ROLES = (OPERATOR, TENANT_ADMIN, COORDINATOR, LEARNER, CLIENT)
TENANT_ROLES = (TENANT_ADMIN, COORDINATOR, LEARNER, CLIENT)  # bound to exactly one tenant
ADMIN_ROLES = (OPERATOR, TENANT_ADMIN)
XAPI_ROLES = (CLIENT, LEARNER)
SCOPED_ROLES = (CLIENT, LEARNER, COORDINATOR)  # credentials that carry xAPI scopes
NO_TENANT = ""  # the tenant of operator credentials


def require_known(role: str) -> None:
    if role not in ROLES:
        raise BadRequestError(f"role must be one of {', '.join(ROLES)}", errors={"path": "role"})


def require_xapi(role: str) -> None:
    """403 for callers that may not use the xAPI resources (administrative credentials)."""
    if role not in XAPI_ROLES:
        raise ForbiddenError(f"this {role} credential cannot use the xAPI resources; use a client credential")


def require_admin(role: str) -> None:
    """403 unless the caller may use the admin API at all."""
    if role not in ADMIN_ROLES:
        raise ForbiddenError("this credential has no access to the admin API")


def require_operator(role: str) -> None:
    if role != OPERATOR:
        raise ForbiddenError("only a platform operator may do this")


def require_tenant_access(role: str, own_tenant: str, tenant: str) -> None:
    """403 unless the caller administers ``tenant``: an operator, or that tenant's admin."""
    require_admin(role)
    if role != OPERATOR and own_tenant != tenant:
        raise ForbiddenError("a tenant admin manages only its own tenant")


def may_see_credential(role: str, own_tenant: str, credential_tenant: str) -> bool:
    """Whether the caller administers a credential of ``credential_tenant`` (operators: every credential)."""
    return role == OPERATOR or (role == TENANT_ADMIN and own_tenant == credential_tenant != NO_TENANT)


def require_grantable(actor_role: str, role: str) -> None:
    """403 when the caller may not issue a credential of ``role`` (only operators issue operator credentials)."""
    require_known(role)
    if role == OPERATOR and actor_role != OPERATOR:
        raise ForbiddenError("only a platform operator may issue operator credentials")
