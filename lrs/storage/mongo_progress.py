"""MongoDB adapter, progress part: trainings, progress events and progress rows (see lrs.progress.projection).

Mixed into :class:`lrs.storage.mongo.MongoStore`.

* ``trainings``: one document per ``(tenant, training_id)`` (unique index): ``body`` (JSON text),
  ``version``, ``built_version``.
* The tenant's trainings version is the ``progress_version`` field of its ``clock:<tenant>`` document in
  ``meta``: every batch already updates that document first thing (``MongoStore._next_stored_us``), so the
  version check costs no extra round trip, and in a transaction a training change conflicts with the batches in
  flight (one of them retries).  Without transactions a put bumps it before and after storing the definition
  (which takes the second value), so a worker that reloads the trainings in between sees a version that
  changes again and the events it wrote meanwhile count as older than the definition.
* ``progress_events``: one document per statement and training (``tenant``, ``training``, ``learner``,
  ``statement_id``, ``version``: the trainings version it was computed with, ``event``: the compact record of
  ``ProgressEvent.to_record``), indexed by
  participant and by statement.  The index is not unique: a copy left behind by a failed compensation changes
  no row (a fold over repeated events gives the same row) and goes with the statement's other events.
* ``progress_rows``: one document per ``(tenant, training, learner)`` (unique index), the row as JSON text plus
  ``status`` and ``last_activity_us``, each indexed for filters.
* ``micro_events``: one document per microlearning statement (``tenant``, ``statement_id``, ``learner``,
  ``at_us``, ``event``), indexed by statement (voiding), by time and by learner and time (the reports).

* ``progress_dirty``: one document per ``(tenant, training, learner)`` (unique index) whose events changed since
  its row was last refolded, with ``n``, the count of batches that marked it.

Events are written, and the rows they change marked dirty, in the statement batch's unit of work
(``MongoStore._write_batch`` calls :meth:`MongoProgress._maintain_progress`), with undo actions when there is no
transaction.  A read of rows refolds the dirty ones it covers first (:meth:`MongoProgress._settle`) and removes
a mark only if no batch marked it again meanwhile.  A rebuild
(:meth:`replace_training_progress`) is idempotent and registers no undo: a failed one is simply run again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from bson import ObjectId
from pymongo import ASCENDING, ReturnDocument, UpdateOne

from lrs.progress.events import STANDALONE, ProgressEvent
from lrs.progress.projection import (
    Pair,
    TrainingCache,
    batch_events,
    participant_keys,
    refold_pairs,
    voiding_targets,
)
from lrs.progress.training import Training
from lrs.storage.mongo_common import ensure_collections, translate_errors
from lrs.storage.port import (
    MicroEventQuery,
    ProgressRowQuery,
    ProgressRowRecord,
    ProgressVersionChanged,
    StatementRecord,
    StoredTraining,
)

if TYPE_CHECKING:
    from lrs.storage.mongo import _Unit

T = TypeVar("T")

TRAININGS = "trainings"
EVENTS = "progress_events"
ROWS = "progress_rows"
MICRO = "micro_events"
DIRTY = "progress_dirty"
PROGRESS_INDEXES: tuple[tuple[str, list[tuple[str, int]], dict[str, Any]], ...] = (
    (TRAININGS, [("tenant", ASCENDING), ("training_id", ASCENDING)], {"unique": True}),
    (EVENTS, [("tenant", ASCENDING), ("training", ASCENDING), ("learner", ASCENDING)], {}),
    (EVENTS, [("tenant", ASCENDING), ("statement_id", ASCENDING)], {}),
    (ROWS, [("tenant", ASCENDING), ("training", ASCENDING), ("learner", ASCENDING)], {"unique": True}),
    (ROWS, [("tenant", ASCENDING), ("training", ASCENDING), ("status", ASCENDING), ("learner", ASCENDING)], {}),
    (ROWS, [("tenant", ASCENDING), ("training", ASCENDING), ("last_activity_us", ASCENDING)], {}),
    (MICRO, [("tenant", ASCENDING), ("statement_id", ASCENDING)], {}),
    (DIRTY, [("tenant", ASCENDING), ("training", ASCENDING), ("learner", ASCENDING)], {"unique": True}),
    (MICRO, [("tenant", ASCENDING), ("at_us", ASCENDING), ("statement_id", ASCENDING)], {}),
    (MICRO, [("tenant", ASCENDING), ("learner", ASCENDING), ("at_us", ASCENDING), ("statement_id", ASCENDING)], {}),
)
_ROW_FIELDS = {"_id": 0, "training": 1, "learner": 1, "status": 1, "last_activity_us": 1, "row": 1}
_TRAINING_FIELDS = {"_id": 0, "training_id": 1, "body": 1, "version": 1, "built_version": 1}
_CHUNK = 1000


def _chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def check_progress_version(clock: Mapping[str, Any], expected: int | None, tenant: str) -> None:
    """Raise ProgressVersionChanged when the tenant's clock document carries another trainings version."""
    if expected is not None and int(clock.get("progress_version", 0)) != expected:
        raise ProgressVersionChanged(tenant)


def _row_record(doc: Mapping[str, Any]) -> ProgressRowRecord:
    last = doc.get("last_activity_us")
    return ProgressRowRecord(
        str(doc["training"]),
        str(doc["learner"]),
        str(doc["status"]),
        int(last) if last is not None else None,
        doc["row"],
    )


def _stored_training(doc: Mapping[str, Any]) -> StoredTraining:
    return StoredTraining(str(doc["training_id"]), str(doc["body"]), int(doc["version"]), int(doc["built_version"]))


class MongoProgress:
    """Mixin of :class:`lrs.storage.mongo.MongoStore`: the progress part of the storage port."""

    # provided by MongoStore
    _db: Any
    _meta: Any
    _statements: Any
    _max_time_ms: int
    _find: Callable[..., list[dict[str, Any]]]
    _find_one: Callable[..., Any]
    _atomic: Callable[[Callable[[_Unit], Any]], Any]

    _progress_trainings: TrainingCache | None = None

    def _init_progress(self) -> None:
        ensure_collections(self._db, (TRAININGS, EVENTS, ROWS, MICRO, DIRTY))
        for collection, keys, options in PROGRESS_INDEXES:
            self._db[collection].create_index(keys, **options)

    # trainings ---------------------------------------------------------------------------------------
    def _bump_version(self, unit: _Unit, tenant: str) -> int:
        doc = self._meta.find_one_and_update(
            {"_id": f"clock:{tenant}"},
            {"$inc": {"progress_version": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=unit.session,
            maxTimeMS=self._max_time_ms,
        )
        return int(doc["progress_version"])

    def trainings_version(self, tenant: str) -> int:
        with translate_errors("trainings_version"):
            doc = self._find_one(self._meta, {"_id": f"clock:{tenant}"}, {"progress_version": 1})
        return int(doc.get("progress_version", 0)) if doc else 0

    def put_training(self, tenant: str, training_id: str, body: str) -> StoredTraining:
        def work(unit: _Unit) -> StoredTraining:
            first = self._bump_version(unit, tenant)
            flt = {"tenant": tenant, "training_id": training_id}
            self._db[TRAININGS].update_one(
                flt,
                {"$set": {"body": body, "version": first}, "$setOnInsert": {"built_version": 0}},
                upsert=True,
                session=unit.session,
            )
            version = self._bump_version(unit, tenant)  # invalidates trainings cached before the write landed
            doc = self._db[TRAININGS].find_one_and_update(
                flt,
                {"$set": {"version": version}},
                projection=_TRAINING_FIELDS,
                return_document=ReturnDocument.AFTER,
                session=unit.session,
                maxTimeMS=self._max_time_ms,
            )
            return _stored_training(doc)

        with translate_errors("put_training"):
            stored: StoredTraining = self._atomic(work)
        return stored

    def get_training(self, tenant: str, training_id: str) -> StoredTraining | None:
        with translate_errors("get_training"):
            doc = self._find_one(self._db[TRAININGS], {"tenant": tenant, "training_id": training_id}, _TRAINING_FIELDS)
        return _stored_training(doc) if doc else None

    def list_trainings(self, tenant: str) -> list[StoredTraining]:
        with translate_errors("list_trainings"):
            docs = self._find(
                self._db[TRAININGS], {"tenant": tenant}, _TRAINING_FIELDS, sort=[("training_id", ASCENDING)]
            )
        return [_stored_training(doc) for doc in docs]

    def delete_training(self, tenant: str, training_id: str) -> bool:
        def work(unit: _Unit) -> bool:
            gone = self._db[TRAININGS].delete_one({"tenant": tenant, "training_id": training_id}, session=unit.session)
            if not gone.deleted_count:
                return False
            for name in (EVENTS, ROWS, DIRTY):
                self._db[name].delete_many({"tenant": tenant, "training": training_id}, session=unit.session)
            self._bump_version(unit, tenant)
            return True

        with translate_errors("delete_training"):
            deleted: bool = self._atomic(work)
        return deleted

    def _load_training(self, unit: _Unit, tenant: str, training_id: str) -> Training | None:
        if self._progress_trainings is None:
            self._progress_trainings = TrainingCache()
        flt = {"tenant": tenant, "training_id": training_id}
        doc = self._find_one(self._db[TRAININGS], flt, {"version": 1}, session=unit.session)
        if doc is None:
            return None

        def body() -> str | None:
            found = self._find_one(self._db[TRAININGS], flt, {"body": 1}, session=unit.session)
            return str(found["body"]) if found else None

        return self._progress_trainings.get(tenant, training_id, int(doc["version"]), body)

    # ingest (called inside the batch's unit of work) ---------------------------------------------------
    def _maintain_progress(
        self,
        unit: _Unit,
        tenant: str,
        records: Sequence[StatementRecord],
        stored_us: int,
        voided: set[str],
        *,
        version: int | None,
    ) -> None:
        """Store the batch's events, delete those of the statements it voids, refold the rows concerned."""
        with_events = [record for record in records if record.progress_events]
        targets = voiding_targets(records)
        if not with_events and not targets:
            return
        events_collection = self._db[EVENTS]
        affected: set[Pair] = set()
        micro: list[ProgressEvent] = []
        events: list[ProgressEvent] = []
        for event in batch_events(with_events, stored_us, voided):
            (micro if event.training == STANDALONE else events).append(event)
        if micro:
            micro_docs = [_micro_doc(tenant, event) for event in micro]
            unit.on_rollback(partial(self._db[MICRO].delete_many, {"_id": {"$in": [d["_id"] for d in micro_docs]}}))
            self._db[MICRO].insert_many(micro_docs, ordered=False, session=unit.session)
        if events:
            docs = [_event_doc(tenant, version or 0, event) for event in events]
            pairs = {(event.training, event.learner) for event in events}
            unit.on_rollback(partial(self._mark_dirty, None, tenant, pairs))  # runs after the events' undo
            unit.on_rollback(partial(events_collection.delete_many, {"_id": {"$in": [doc["_id"] for doc in docs]}}))
            events_collection.insert_many(docs, ordered=False, session=unit.session)
            affected.update((event.training, event.learner) for event in events)
        if targets:
            found = self._find(
                events_collection, {"tenant": tenant, "statement_id": {"$in": targets}}, session=unit.session
            )
            if found:
                lost = {(str(doc["training"]), str(doc["learner"])) for doc in found}
                unit.on_rollback(partial(self._mark_dirty, None, tenant, lost))  # runs after the events' undo
                events_collection.delete_many({"_id": {"$in": [doc["_id"] for doc in found]}}, session=unit.session)
                unit.on_rollback(partial(events_collection.insert_many, found, ordered=False))
                affected.update((str(doc["training"]), str(doc["learner"])) for doc in found)
            gone = self._find(
                self._db[MICRO], {"tenant": tenant, "statement_id": {"$in": targets}}, session=unit.session
            )
            if gone:
                self._db[MICRO].delete_many({"_id": {"$in": [doc["_id"] for doc in gone]}}, session=unit.session)
                unit.on_rollback(partial(self._db[MICRO].insert_many, gone, ordered=False))
        self._mark_dirty(unit.session, tenant, affected)

    def _mark_dirty(self, session: Any, tenant: str, pairs: set[Pair]) -> None:
        """Mark these rows for a refold at the next read (each marker counts the changes since it was read).  A
        marker is never undone: one left by a failed batch costs a needless refold, which gives the same row;
        without transactions the undo of a batch's events marks their rows again, after it ran, since a read
        in between may have refolded them."""
        if pairs:
            self._db[DIRTY].bulk_write(
                [
                    UpdateOne({"tenant": tenant, "training": t, "learner": name}, {"$inc": {"n": 1}}, upsert=True)
                    for t, name in sorted(pairs)
                ],
                ordered=False,
                session=session,
            )

    def _settle(self, tenant: str, training_id: str, learner: str | None = None) -> None:
        """Refold the training's rows marked dirty at ingest (only ``learner``'s, when given).  A marker is
        removed only when unchanged since it was read: a batch that marked it again meanwhile is refolded by
        the next read."""
        flt: dict[str, Any] = {"tenant": tenant, "training": training_id}
        if learner is not None:
            flt["learner"] = learner
        marks = self._find(self._db[DIRTY], flt, {"_id": 0, "learner": 1, "n": 1})
        if not marks:
            return

        def work(unit: _Unit) -> None:
            self._refold_progress(unit, tenant, {(training_id, str(mark["learner"])) for mark in marks})
            for mark in marks:
                self._db[DIRTY].delete_one(
                    {"tenant": tenant, "training": training_id, "learner": mark["learner"], "n": mark["n"]},
                    session=unit.session,
                )

        self._atomic(work)

    def _participant_events(
        self, unit: _Unit, tenant: str, training_id: str, learners: Sequence[str] | None
    ) -> dict[str, list[ProgressEvent]]:
        """Stored events by learner: of the given learners, or of every learner of the training (None)."""
        found: dict[str, list[ProgressEvent]] = {}
        filters: list[dict[str, Any]] = [{"tenant": tenant, "training": training_id}]
        if learners is not None:
            filters = [{**filters[0], "learner": {"$in": list(chunk)}} for chunk in _chunks(learners)]
        for flt in filters:
            for doc in self._find(self._db[EVENTS], flt, {"learner": 1, "event": 1}, session=unit.session):
                found.setdefault(str(doc["learner"]), []).append(ProgressEvent.from_record(doc["event"]))
        return found

    def _refold_progress(
        self,
        unit: _Unit,
        tenant: str,
        pairs: set[Pair],
        loaded: Mapping[str, Mapping[str, list[ProgressEvent]]] | None = None,
    ) -> None:
        """Recompute and write the rows of ``pairs`` (``loaded``: their events, when already read)."""
        if not pairs:
            return
        refolded = refold_pairs(
            pairs,
            lambda training_id: self._load_training(unit, tenant, training_id),
            lambda training_id, learners: self._participant_events(unit, tenant, training_id, learners),
            loaded=loaded,
        )
        rows = self._db[ROWS]
        by_training: dict[str, list[str]] = {}
        for training_id, learner in sorted(pairs):
            by_training.setdefault(training_id, []).append(learner)
        for training_id, learners in by_training.items():
            flt = {"tenant": tenant, "training": training_id, "learner": {"$in": learners}}
            if unit.session is None:
                old = self._find(rows, flt)
                unit.on_rollback(partial(_restore, rows, flt, old))
            rows.delete_many(flt, session=unit.session)
        new_docs = [_row_doc(tenant, record) for record in refolded.upserts]
        if new_docs:
            rows.insert_many(new_docs, ordered=False, session=unit.session)

    # rebuild -------------------------------------------------------------------------------------------
    def replace_training_progress(
        self, tenant: str, training_id: str, events: Sequence[ProgressEvent], *, version: int
    ) -> bool:
        def work(unit: _Unit) -> bool:
            session = unit.session
            flt = {"tenant": tenant, "training_id": training_id}
            doc = self._find_one(self._db[TRAININGS], flt, {"version": 1}, session=session)
            if doc is None or int(doc["version"]) != version:
                return False
            training = self._load_training(unit, tenant, training_id)
            if training is None:  # pragma: no cover - read in this unit just above
                return False
            collection = self._db[EVENTS]
            collection.delete_many(
                {"tenant": tenant, "training": training_id, "version": {"$lt": version}}, session=session
            )
            docs = [_event_doc(tenant, version, event) for event in events if event.training == training_id]
            for chunk in _chunks(docs):
                same = {
                    "tenant": tenant,
                    "training": training_id,
                    "statement_id": {"$in": [d["statement_id"] for d in chunk]},
                }
                collection.delete_many(same, session=session)
                collection.insert_many(list(chunk), ordered=False, session=session)
            ids = sorted({str(doc["statement_id"]) for doc in docs})
            for chunk_ids in _chunks(ids):  # voided after the caller read them
                voided = self._find(
                    self._statements,
                    {"tenant": tenant, "voided": True, "statement_id": {"$in": list(chunk_ids)}},
                    {"statement_id": 1},
                    session=session,
                )
                if voided:
                    collection.delete_many(
                        {
                            "tenant": tenant,
                            "training": training_id,
                            "statement_id": {"$in": [str(v["statement_id"]) for v in voided]},
                        },
                        session=session,
                    )
            loaded = self._participant_events(unit, tenant, training_id, None)
            self._db[ROWS].delete_many({"tenant": tenant, "training": training_id}, session=session)
            pairs = {(training_id, learner) for learner in participant_keys(training, loaded)}
            self._refold_progress(_no_undo(unit), tenant, pairs, {training_id: loaded})
            self._db[TRAININGS].update_one(flt, {"$set": {"built_version": version}}, session=session)
            return True

        with translate_errors("replace_training_progress"):
            replaced: bool = self._atomic(work)
        return replaced

    # microlearning -------------------------------------------------------------------------------------
    def replace_micro_events(
        self, tenant: str, statement_ids: Sequence[str], events: Sequence[ProgressEvent], *, version: int
    ) -> bool:
        def work(unit: _Unit) -> bool:  # idempotent, no undo: a failed one is run again
            session = unit.session
            clock = self._find_one(self._meta, {"_id": f"clock:{tenant}"}, {"progress_version": 1}, session=session)
            if int((clock or {}).get("progress_version", 0)) != version:
                return False
            collection = self._db[MICRO]
            for chunk in _chunks(sorted(set(statement_ids))):
                collection.delete_many({"tenant": tenant, "statement_id": {"$in": list(chunk)}}, session=session)
            voided: set[str] = set()
            for chunk in _chunks(sorted({event.statement_id for event in events})):
                voided.update(
                    str(doc["statement_id"])
                    for doc in self._find(
                        self._statements,
                        {"tenant": tenant, "voided": True, "statement_id": {"$in": list(chunk)}},
                        {"statement_id": 1},
                        session=session,
                    )
                )
            docs = [_micro_doc(tenant, event) for event in events if event.statement_id not in voided]
            for part in _chunks(docs):
                collection.insert_many(list(part), ordered=False, session=session)
            return True

        with translate_errors("replace_micro_events"):
            replaced: bool = self._atomic(work)
        return replaced

    def clear_micro_events(self, tenant: str) -> None:
        with translate_errors("clear_micro_events"):
            self._db[MICRO].delete_many({"tenant": tenant})

    def list_micro_events(self, tenant: str, query: MicroEventQuery) -> list[ProgressEvent]:
        conditions: list[dict[str, Any]] = [
            {"tenant": tenant, "at_us": {"$gte": query.since_us, "$lt": query.before_us}}
        ]
        if query.learner is not None:
            conditions.append({"learner": query.learner})
        if query.after is not None:
            at_us, statement_id = query.after
            conditions.append(
                {"$or": [{"at_us": {"$gt": at_us}}, {"at_us": at_us, "statement_id": {"$gt": statement_id}}]}
            )
        if query.limit <= 0:
            return []
        with translate_errors("list_micro_events"):
            docs = self._find(
                self._db[MICRO],
                {"$and": conditions},
                {"_id": 0, "event": 1},
                sort=[("at_us", ASCENDING), ("statement_id", ASCENDING)],
                limit=query.limit,
            )
        return [ProgressEvent.from_record(doc["event"]) for doc in docs]

    # reads ---------------------------------------------------------------------------------------------
    def list_progress_rows(self, tenant: str, training_id: str, query: ProgressRowQuery) -> list[ProgressRowRecord]:
        flt: dict[str, Any] = {"tenant": tenant, "training": training_id}
        if query.after is not None:
            flt["learner"] = {"$gt": query.after}
        if query.statuses:
            flt["status"] = {"$in": list(query.statuses)}
        if query.active_since_us is not None:
            flt["last_activity_us"] = {"$gte": query.active_since_us}
        if query.inactive_since_us is not None:
            flt["$or"] = [{"last_activity_us": {"$lt": query.inactive_since_us}}, {"last_activity_us": None}]
        if query.limit <= 0:
            return []
        with translate_errors("list_progress_rows"):
            self._settle(tenant, training_id)
            docs = self._find(self._db[ROWS], flt, _ROW_FIELDS, sort=[("learner", ASCENDING)], limit=query.limit)
        return [_row_record(doc) for doc in docs]

    def get_progress_row(self, tenant: str, training_id: str, learner: str) -> ProgressRowRecord | None:
        with translate_errors("get_progress_row"):
            self._settle(tenant, training_id, learner)
            doc = self._find_one(
                self._db[ROWS], {"tenant": tenant, "training": training_id, "learner": learner}, _ROW_FIELDS
            )
        return _row_record(doc) if doc else None

    def get_progress_events(self, tenant: str, training_id: str, learner: str) -> list[ProgressEvent]:
        from lrs.storage.mongo import _Unit

        with translate_errors("get_progress_events"):
            return self._participant_events(_Unit(), tenant, training_id, [learner]).get(learner, [])


def _event_doc(tenant: str, version: int, event: ProgressEvent) -> dict[str, Any]:
    return {
        "_id": ObjectId(),
        "tenant": tenant,
        "training": event.training,
        "learner": event.learner,
        "statement_id": event.statement_id,
        "version": version,
        "event": event.to_record(),
    }


def _micro_doc(tenant: str, event: ProgressEvent) -> dict[str, Any]:
    return {
        "_id": ObjectId(),
        "tenant": tenant,
        "statement_id": event.statement_id,
        "learner": event.learner,
        "at_us": event.at_us,
        "event": event.to_record(),
    }


def _row_doc(tenant: str, record: ProgressRowRecord) -> dict[str, Any]:
    return {
        "_id": ObjectId(),
        "tenant": tenant,
        "training": record.training,
        "learner": record.learner,
        "status": record.status,
        "last_activity_us": record.last_activity_us,
        "row": record.row,
    }


def _restore(collection: Any, flt: Mapping[str, Any], old: list[dict[str, Any]]) -> None:
    """Undo of a refold: the rows of ``flt`` as they were."""
    collection.delete_many(flt)
    if old:
        collection.insert_many(old, ordered=False)


def _no_undo(unit: _Unit) -> _Unit:
    """The same session without compensation (a rebuild is re-run rather than undone)."""
    from lrs.storage.mongo import _Unit

    return _Unit(session=unit.session, undo=[]) if unit.session is None else unit
