"""Attachment content in the MongoDB store: collection ``attachments`` (created, with its unique index, by
``MongoStore.init_schema`` from ``COLLECTIONS``/``INDEXES``), written in the statement batch's unit of work
(``MongoStore._write_batch`` calls :meth:`MongoAttachments._insert_attachments`).

Content is split into chunks of at most :data:`CHUNK_BYTES` (a document holds at most 16 MB): one document
per ``(tenant, sha2, n)`` (unique index) with ``count``, the number of chunks.  Content whose chunks are not
all present (a compensation that failed half-way) is treated as absent and written again by the next batch
that brings it.  A concurrent batch inserting the same hash fails on the unique index; the store's duplicate
retry then finds the content stored and writes only its statements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from bson import Binary, ObjectId
from pymongo import ASCENDING

from lrs.storage.mongo_common import translate_errors

if TYPE_CHECKING:
    from lrs.storage.mongo import _Unit

COLLECTION = "attachments"
CHUNK_BYTES = 4 * 1024 * 1024


def chunk_documents(tenant: str, sha2: str, content: bytes) -> list[dict[str, Any]]:
    """The documents that store ``content`` (one empty chunk for empty content)."""
    chunk_bytes = CHUNK_BYTES
    starts = range(0, len(content), chunk_bytes) if content else range(1)
    count = len(starts)
    return [
        {
            "_id": ObjectId(),
            "tenant": tenant,
            "sha2": sha2,
            "n": n,
            "count": count,
            "data": Binary(content[start : start + chunk_bytes]),
        }
        for n, start in enumerate(starts)
    ]


class MongoAttachments:
    """Mixin of :class:`lrs.storage.mongo.MongoStore`: attachment content."""

    # provided by MongoStore
    _db: Any
    _max_time_ms: int

    @property
    def _attachments(self) -> Any:
        return self._db[COLLECTION]

    def _chunks(self, tenant: str, sha2s: Sequence[str], session: Any = None) -> dict[str, bytes]:
        docs = (
            self._attachments.find({"tenant": tenant, "sha2": {"$in": list(sha2s)}}, session=session)
            .sort([("sha2", ASCENDING), ("n", ASCENDING)])
            .max_time_ms(self._max_time_ms)
        )
        pieces: dict[str, list[bytes]] = {}
        counts: dict[str, int] = {}
        for doc in docs:
            sha2 = str(doc["sha2"])
            pieces.setdefault(sha2, []).append(bytes(doc["data"]))
            counts[sha2] = int(doc["count"])
        return {sha2: b"".join(parts) for sha2, parts in pieces.items() if len(parts) == counts[sha2]}

    def _insert_attachments(self, unit: _Unit, tenant: str, attachments: Mapping[str, bytes] | None) -> None:
        if not attachments:
            return
        stored = self._chunks(tenant, list(attachments), session=unit.session)
        missing = [sha2 for sha2 in attachments if sha2 not in stored]
        if not missing:
            return
        # Leftover chunks of incomplete content are replaced (none exist unless a compensation failed).
        self._attachments.delete_many({"tenant": tenant, "sha2": {"$in": missing}}, session=unit.session)
        docs = [doc for sha2 in missing for doc in chunk_documents(tenant, sha2, attachments[sha2])]
        unit.on_rollback(partial(self._attachments.delete_many, {"_id": {"$in": [doc["_id"] for doc in docs]}}))
        self._attachments.insert_many(docs, ordered=True, session=unit.session)

    def get_attachments(self, tenant: str, sha2s: Sequence[str]) -> dict[str, bytes]:
        wanted = list(dict.fromkeys(sha2s))
        if not wanted:
            return {}
        with translate_errors("get_attachments"):
            return self._chunks(tenant, wanted)
