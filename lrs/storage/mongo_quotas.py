"""MongoDB adapter, quotas part: per-tenant quota overrides and the shared rate counters.

Mixed into :class:`lrs.storage.mongo.MongoStore`.

* ``tenant_quotas``: ``{_id: tenant, quotas: {name: number}}``, written with the store's durable write concern.
* ``rate_counters``: one document per counter and window, ``{_id: "<name>|<window>", n, expires_at}``.  An
  increment is a single atomic upsert with ``$inc``, written with ``w=1, j=false``: counters are shared by every
  worker and host but need no durability, so requests do not wait for a majority.  A TTL index on
  ``expires_at`` removes old windows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError
from pymongo.write_concern import WriteConcern

from lrs.storage.mongo_common import ensure_collections, translate_errors

QUOTAS_COLLECTION = "tenant_quotas"
COUNTERS_COLLECTION = "rate_counters"
_COUNTER_WRITE_CONCERN = WriteConcern(w=1, j=False)


def _counter_id(name: str, window: int) -> str:
    return f"{name}|{window}"


class MongoQuotas:
    """Mixin of :class:`lrs.storage.mongo.MongoStore`: the quotas part of the storage port."""

    # provided by MongoStore
    _db: Any
    _max_time_ms: int
    _find_one: Callable[..., Any]

    @property
    def _rate_counters(self) -> Any:
        return self._db.get_collection(COUNTERS_COLLECTION, write_concern=_COUNTER_WRITE_CONCERN)

    def _init_quotas(self) -> None:
        ensure_collections(self._db, (QUOTAS_COLLECTION, COUNTERS_COLLECTION))
        self._rate_counters.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)

    # overrides -----------------------------------------------------------------------------------
    def get_quota_overrides(self, tenant: str) -> dict[str, int]:
        with translate_errors("get_quota_overrides"):
            doc = self._find_one(self._db[QUOTAS_COLLECTION], {"_id": str(tenant)})
        return {str(k): int(v) for k, v in (doc or {}).get("quotas", {}).items()}

    def set_quota_overrides(self, tenant: str, overrides: Mapping[str, int]) -> None:
        with translate_errors("set_quota_overrides"):
            if overrides:
                quotas = {str(k): int(v) for k, v in overrides.items()}
                self._db[QUOTAS_COLLECTION].replace_one({"_id": str(tenant)}, {"quotas": quotas}, upsert=True)
            else:
                self._db[QUOTAS_COLLECTION].delete_one({"_id": str(tenant)})

    # counters ------------------------------------------------------------------------------------
    def increment_counter(self, name: str, window: int, expires_us: int) -> int:
        """Add one to counter ``name`` in ``window``; the new count.  Shared by every worker, not durable."""
        expires_at = datetime.fromtimestamp(expires_us / 1_000_000, tz=UTC)
        with translate_errors("increment_counter"):
            for _ in range(2):  # two first upserts of one window may race; the loser increments the winner's
                try:
                    doc = self._rate_counters.find_one_and_update(
                        {"_id": _counter_id(name, window)},
                        {"$inc": {"n": 1}, "$setOnInsert": {"expires_at": expires_at}},
                        upsert=True,
                        return_document=ReturnDocument.AFTER,
                        maxTimeMS=self._max_time_ms,
                    )
                    return int(doc["n"])
                except DuplicateKeyError:
                    continue
            raise DuplicateKeyError("rate counter upsert kept racing")

    def read_counters(self, names: Sequence[str], window: int) -> list[int]:
        """Counts of ``names`` in ``window`` (0 for counters never incremented there), in order."""
        if not names:
            return []
        ids = [_counter_id(name, window) for name in names]
        with translate_errors("read_counters"):
            docs = self._rate_counters.find({"_id": {"$in": ids}}).max_time_ms(self._max_time_ms)
            found = {doc["_id"]: int(doc["n"]) for doc in docs}
        return [found.get(counter_id, 0) for counter_id in ids]
