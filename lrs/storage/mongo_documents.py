"""MongoDB part of the document resources (State, Activity Profile, Agent Profile): one ``documents`` collection.

A document is keyed by ``(tenant, kind, activity_id, agent, registration, document_id)`` (unique index); parts a
resource does not use are ``""``.  Every key part is a string *value* compared for equality, never a field name
or an operator, so ids and IRIs containing ``$``, ``.`` or NUL are matched literally.  ``content`` is binary.

Conditional writes are single-document operations, atomic on every MongoDB deployment (and on mongomock):
an insert guarded by the unique index ("must not exist") or an update/delete whose filter includes the
expected ``etag`` (compare-and-swap).
"""

from __future__ import annotations

from typing import Any

from bson import Binary
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from lrs.storage.mongo_common import ensure_collections, translate_errors
from lrs.storage.port import Document, DocumentContext

COLLECTION = "documents"
_LIST_FIELDS = {"_id": 0, "document_id": 1, "content_type": 1, "etag": 1, "updated_us": 1}
_FIELDS = {**_LIST_FIELDS, "content": 1}
_KEY_FIELDS = ("tenant", "kind", "activity_id", "agent", "registration", "document_id")


def document_key(tenant: str, context: DocumentContext, document_id: str) -> dict[str, str]:
    """The unique key of one document as an equality filter (every value a plain string)."""
    values = (tenant, context.kind, context.activity_id, context.agent, context.registration or "", document_id)
    return {name: str(value) for name, value in zip(_KEY_FIELDS, values, strict=True)}


def context_filter(tenant: str, context: DocumentContext) -> dict[str, str]:
    """Every document of a context; any registration when ``context.registration`` is None."""
    flt = {"tenant": tenant, "kind": context.kind, "activity_id": context.activity_id, "agent": context.agent}
    if context.registration is not None:
        flt["registration"] = context.registration
    return {name: str(value) for name, value in flt.items()}


class MongoDocuments:
    """Mixin of :class:`lrs.storage.mongo.MongoStore`: the document part of the storage port."""

    # provided by MongoStore
    _db: Any
    _max_time_ms: int

    @property
    def _documents(self) -> Any:
        return self._db[COLLECTION]

    def _init_documents(self) -> None:
        ensure_collections(self._db, [COLLECTION])
        self._documents.create_index([(name, ASCENDING) for name in _KEY_FIELDS], unique=True)

    def get_document(self, tenant: str, context: DocumentContext, document_id: str) -> Document | None:
        with translate_errors("get_document"):
            found = list(
                self._documents.find(document_key(tenant, context, document_id), _FIELDS)
                .limit(1)
                .max_time_ms(self._max_time_ms)
            )
        return _document(found[0]) if found else None

    def list_documents(self, tenant: str, context: DocumentContext, since_us: int | None = None) -> list[Document]:
        flt: dict[str, Any] = dict(context_filter(tenant, context))
        if since_us is not None:
            flt["updated_us"] = {"$gt": int(since_us)}
        with translate_errors("list_documents"):
            docs = list(
                self._documents.find(flt, _LIST_FIELDS)
                .sort([("updated_us", ASCENDING), ("document_id", ASCENDING)])
                .max_time_ms(self._max_time_ms)
            )
        return [_document({**doc, "content": b""}) for doc in docs]

    def write_document(
        self, tenant: str, context: DocumentContext, document: Document, *, expected_etag: str | None
    ) -> bool:
        key = document_key(tenant, context, document.document_id)
        values = {
            "content": Binary(document.content),
            "content_type": document.content_type,
            "etag": document.etag,
            "updated_us": int(document.updated_us),
        }
        with translate_errors("write_document"):
            if expected_etag is None:
                try:
                    self._documents.insert_one({**key, **values})
                except DuplicateKeyError:
                    return False
                return True
            result = self._documents.update_one({**key, "etag": str(expected_etag)}, {"$set": values})
        return bool(result.matched_count == 1)

    def delete_document(self, tenant: str, context: DocumentContext, document_id: str, *, expected_etag: str) -> bool:
        with translate_errors("delete_document"):
            result = self._documents.delete_one({**document_key(tenant, context, document_id), "etag": expected_etag})
        return bool(result.deleted_count == 1)

    def delete_documents(self, tenant: str, context: DocumentContext) -> int:
        with translate_errors("delete_documents"):
            result = self._documents.delete_many(context_filter(tenant, context))
        return int(result.deleted_count)


def _document(doc: dict[str, Any]) -> Document:
    return Document(
        document_id=str(doc["document_id"]),
        content=bytes(doc["content"]),
        content_type=str(doc["content_type"]),
        etag=str(doc["etag"]),
        updated_us=int(doc["updated_us"]),
    )
