"""The admin API (``/api/v1/admin``): tenants, credentials and the audit log, for operators and tenant admins.

Every request is authenticated before its body is read: no or bad credentials are 401, a credential without
an administrative role (an xAPI client, a learner, a coordinator) is 403.  Views are glue around
:class:`auth.admin.Admin`, which authorises by role and writes the audit log.
"""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask.views import MethodView

from api.admin_schemas import (
    AdminBlueprint,
    AuditEntrySchema,
    AuditQuerySchema,
    CredentialCreateSchema,
    CredentialSchema,
    IssuedCredentialSchema,
    OperatorCredentialCreateSchema,
    TenantCreateSchema,
    TenantRenameSchema,
    TenantSchema,
    operation,
)
from api.context import admin_principal, lrs
from auth.admin import Admin
from auth.roles import NO_TENANT, OPERATOR
from lrs.audit import Actor, audit_query

admin_blueprint = AdminBlueprint(
    "admin",
    __name__,
    url_prefix="/api/v1/admin",
    description="Administration: tenants, credentials, audit log (Basic auth; operator or tenant_admin role)",
)
blp = admin_blueprint


def _authenticate() -> None:
    """401/403 before anything else, so nothing about a request is examined for a caller without access."""
    admin_principal()


blp.before_request(_authenticate)


def request_actor() -> Actor:
    caller = admin_principal()
    return Actor(caller.key, caller.role, caller.tenant, request.remote_addr or "", g.get("request_id", ""))


def _admin() -> Admin:
    return Admin(lrs().store)


@blp.route("/tenants")
class Tenants(MethodView):
    @operation(
        blp, "Create a tenant (operator)", 400, 409, status=201, response=TenantSchema(), body=TenantCreateSchema
    )
    def post(self, body: dict[str, Any]) -> Any:
        return _admin().create_tenant(request_actor(), body["slug"], body.get("name"))

    @operation(blp, "List tenants (a tenant admin sees its own)", response=TenantSchema(many=True))
    def get(self) -> Any:
        return _admin().list_tenants(request_actor())


@blp.route("/tenants/<slug>")
class TenantItem(MethodView):
    @operation(blp, "One tenant", 404, response=TenantSchema())
    def get(self, slug: str) -> Any:
        return _admin().get_tenant(request_actor(), slug)

    @operation(blp, "Rename a tenant (operator)", 400, 404, response=TenantSchema(), body=TenantRenameSchema)
    def patch(self, body: dict[str, Any], slug: str) -> Any:
        return _admin().rename_tenant(request_actor(), slug, body["name"])


@blp.route("/tenants/<slug>/suspend")
class TenantSuspend(MethodView):
    @operation(blp, "Suspend a tenant: its requests get 403 from now on (operator)", 404, 409, response=TenantSchema())
    def post(self, slug: str) -> Any:
        return _admin().suspend_tenant(request_actor(), slug)


@blp.route("/tenants/<slug>/resume")
class TenantResume(MethodView):
    @operation(blp, "Resume a suspended tenant (operator)", 404, 409, response=TenantSchema())
    def post(self, slug: str) -> Any:
        return _admin().resume_tenant(request_actor(), slug)


@blp.route("/tenants/<slug>/credentials")
class TenantCredentials(MethodView):
    @operation(
        blp,
        "Issue a credential of the tenant; the secret is in this response only",
        400,
        404,
        status=201,
        response=IssuedCredentialSchema(),
        body=CredentialCreateSchema,
        body_required=False,
    )
    def post(self, body: dict[str, Any], slug: str) -> Any:
        return _admin().issue_credential(request_actor(), slug, **body)

    @operation(blp, "The tenant's credentials (never secrets)", 404, response=CredentialSchema(many=True))
    def get(self, slug: str) -> Any:
        return _admin().list_credentials(request_actor(), slug)


@blp.route("/operators/credentials")
class OperatorCredentials(MethodView):
    @operation(
        blp,
        "Issue another operator credential (operator); the secret is in this response only",
        400,
        status=201,
        response=IssuedCredentialSchema(),
        body=OperatorCredentialCreateSchema,
        body_required=False,
    )
    def post(self, body: dict[str, Any]) -> Any:
        return _admin().issue_credential(request_actor(), NO_TENANT, role=OPERATOR, label=body["label"])

    @operation(blp, "Operator credentials (operator; never secrets)", response=CredentialSchema(many=True))
    def get(self) -> Any:
        return _admin().list_credentials(request_actor(), NO_TENANT)


@blp.route("/credentials/<key>")
class CredentialItem(MethodView):
    @operation(blp, "One credential (never its secret)", 404, response=CredentialSchema())
    def get(self, key: str) -> Any:
        return _admin().get_credential(request_actor(), key)


@blp.route("/credentials/<key>/rotate")
class CredentialRotate(MethodView):
    @operation(
        blp,
        "New secret; the old one stops working at once, in every worker",
        404,
        409,
        response=IssuedCredentialSchema(),
    )
    def post(self, key: str) -> Any:
        return _admin().rotate_credential(request_actor(), key)


@blp.route("/credentials/<key>/revoke")
class CredentialRevoke(MethodView):
    @operation(blp, "Revoke for good; it stops working at once, in every worker", 404, 409, response=CredentialSchema())
    def post(self, key: str) -> Any:
        return _admin().revoke_credential(request_actor(), key)


@blp.route("/audit")
class Audit(MethodView):
    @operation(
        blp,
        "Audit log, newest first (a tenant admin sees its own tenant's entries)",
        400,
        response=AuditEntrySchema(many=True),
        query=AuditQuerySchema,
    )
    def get(self, args: dict[str, Any]) -> Any:
        query = audit_query(
            tenant=args.get("tenant"),
            actor=args.get("actor"),
            action=args.get("action"),
            since_us=args.get("since"),
            until_us=args.get("until"),
            limit=args.get("limit"),
        )
        return _admin().audit_entries(request_actor(), query)
