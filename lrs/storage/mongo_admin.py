"""MongoDB adapter, administration part: tenant updates, credential revocation and rotation, the audit log.

Mixed into :class:`lrs.storage.mongo.MongoStore`.

* ``credentials`` documents gain ``role`` and ``rotated_us`` (absent on older documents: read as "client"/None).
* ``audit_log``: one document per administrative action; ``_id`` (ObjectId) breaks ties in insertion order.

Revocation and rotation are single-document conditional updates of the document every request reads, so they
take effect for the next request in every worker and on every host.  Filter values are always plain strings or
integers, never operators.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from lrs.storage.mongo_common import ensure_collections, translate_errors
from lrs.storage.port import AuditEntry, AuditQuery, Tenant

AUDIT_COLLECTION = "audit_log"
_AUDIT_FIELDS = (
    "entry_id",
    "time_us",
    "actor_key",
    "actor_role",
    "action",
    "target",
    "tenant",
    "remote_addr",
    "request_id",
)


class MongoAdminMixin:
    """Mixin of :class:`lrs.storage.mongo.MongoStore`: the administration part of the storage port."""

    # provided by MongoStore
    _db: Any
    _max_time_ms: int
    _find_one: Callable[..., Any]
    _tenant: Callable[[dict[str, Any]], Tenant]

    @property
    def _audit(self) -> Any:
        return self._db[AUDIT_COLLECTION]

    def _init_admin_schema(self) -> None:
        ensure_collections(self._db, [AUDIT_COLLECTION])
        self._audit.create_index([("entry_id", ASCENDING)], unique=True)
        self._audit.create_index([("time_us", DESCENDING), ("_id", DESCENDING)])
        self._audit.create_index([("tenant", ASCENDING), ("time_us", DESCENDING)])

    # tenants -------------------------------------------------------------------------------------
    def update_tenant(self, slug: str, *, name: str | None = None, status: str | None = None) -> Tenant | None:
        changes = {field: value for field, value in (("name", name), ("status", status)) if value is not None}
        with translate_errors("update_tenant"):
            if changes:
                self._db["tenants"].update_one({"slug": str(slug)}, {"$set": changes})
            doc = self._find_one(self._db["tenants"], {"slug": str(slug)})
        return self._tenant(doc) if doc else None

    # credentials ---------------------------------------------------------------------------------
    def revoke_credential(self, key: str, revoked_us: int) -> bool:
        with translate_errors("revoke_credential"):
            result = self._db["credentials"].update_one(
                {"key": str(key), "revoked_us": None}, {"$set": {"revoked_us": revoked_us}}
            )
        return bool(result.modified_count == 1)

    def replace_credential_secret(self, key: str, secret_hash: str, rotated_us: int) -> bool:
        with translate_errors("replace_credential_secret"):
            result = self._db["credentials"].find_one_and_update(
                {"key": str(key), "revoked_us": None},
                {"$set": {"secret_hash": secret_hash, "rotated_us": rotated_us}},
                projection={"_id": 1},
                return_document=ReturnDocument.AFTER,
            )
        return result is not None

    # audit log -----------------------------------------------------------------------------------
    def append_audit(self, entry: AuditEntry) -> None:
        doc: dict[str, Any] = {name: getattr(entry, name) for name in _AUDIT_FIELDS}
        doc["details"] = dict(entry.details)
        with translate_errors("append_audit"):
            self._audit.insert_one(doc)

    def query_audit(self, query: AuditQuery) -> list[AuditEntry]:
        flt: dict[str, Any] = {}
        for name, value in (("tenant", query.tenant), ("actor_key", query.actor), ("action", query.action)):
            if value is not None:
                flt[name] = str(value)
        bounds: dict[str, int] = {}
        if query.since_us is not None:
            bounds["$gt"] = int(query.since_us)
        if query.until_us is not None:
            bounds["$lte"] = int(query.until_us)
        if bounds:
            flt["time_us"] = bounds
        if query.limit <= 0:
            return []
        with translate_errors("query_audit"):
            docs = list(
                self._audit.find(flt)
                .sort([("time_us", DESCENDING), ("_id", DESCENDING)])
                .limit(query.limit)
                .max_time_ms(self._max_time_ms)
            )
        return [
            AuditEntry(**{name: doc[name] for name in _AUDIT_FIELDS}, details=dict(doc.get("details") or {}))
            for doc in docs
        ]
