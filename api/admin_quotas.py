"""Admin API: a tenant's quotas (``/api/v1/admin/tenants/<slug>/quotas``).

GET: the effective quotas, the tenant's overrides and the configured defaults (operators, and the tenant's own
admin).  PATCH: change overrides (operators only); ``null`` returns a quota to its default.  Changes are audited
(``tenant.quotas``) and reach every worker within ``lrs.quotas.QUOTA_CACHE_SECONDS``.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from marshmallow import fields, validate

from api.admin import admin_blueprint, request_actor
from api.admin_schemas import operation
from api.context import lrs
from auth.roles import require_operator, require_tenant_access
from lrs.audit import record
from lrs.tenants import require_tenant

blp = admin_blueprint


def _quota_field(minimum: int, description: str) -> fields.Integer:
    return fields.Integer(
        allow_none=True,
        strict=True,
        validate=validate.Range(min=minimum, max=2**53),
        metadata={"description": description},
    )


class QuotaChangeSchema(ma.Schema):
    max_batch = _quota_field(1, "most statements in one POST (413 beyond)")
    max_body_bytes = _quota_field(1, "largest request body (413 beyond; never above LRS_MAX_BODY_BYTES)")
    max_attachment_bytes = _quota_field(1, "largest attachment (413 beyond; never above LRS_MAX_ATTACHMENT_BYTES)")
    rate_limit_per_minute = _quota_field(0, "requests per minute per credential (429 beyond); 0: no limit")
    rate_limit_burst = _quota_field(1, "most requests per credential in one rate window")


class QuotaValuesSchema(ma.Schema):
    max_batch = fields.Integer()
    max_body_bytes = fields.Integer()
    max_attachment_bytes = fields.Integer()
    rate_limit_per_minute = fields.Integer()
    rate_limit_burst = fields.Integer()


class QuotaReportSchema(ma.Schema):
    effective = fields.Nested(QuotaValuesSchema, metadata={"description": "what is enforced now"})
    overrides = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "this tenant's own"}
    )
    defaults = fields.Nested(QuotaValuesSchema, metadata={"description": "from the LRS_* settings"})


@blp.route("/tenants/<slug>/quotas")
class TenantQuotas(MethodView):
    @operation(blp, "The tenant's quotas: effective values, overrides, defaults", 404, response=QuotaReportSchema())
    def get(self, slug: str) -> Any:
        actor = request_actor()
        require_tenant_access(actor.role, actor.tenant, slug)
        require_tenant(lrs().store, slug)
        return lrs().limits.quotas.describe(slug)

    @operation(
        blp,
        "Change the tenant's quotas (operator); null returns one to the default",
        400,
        404,
        response=QuotaReportSchema(),
        body=QuotaChangeSchema,
    )
    def patch(self, body: dict[str, Any], slug: str) -> Any:
        actor = request_actor()
        require_operator(actor.role)
        require_tenant(lrs().store, slug)
        report = lrs().limits.quotas.update(slug, body)
        record(lrs().store, actor, "tenant.quotas", target=slug, tenant=slug, details={"changes": body})
        return report
