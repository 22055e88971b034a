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
* ``event_blocks``: the events, in blocks (:mod:`lrs.progress.blocks`): one document per training (``""`` for
  microlearning), learner and ``stored`` time of the batch that wrote them (``tenant``, ``training``,
  ``learner``, ``stored_us``, ``first``: the smallest statement id in it, ``version``: the trainings version its
  events were computed with, ``lo_us`` / ``hi_us``: the smallest and largest event time, ``ev``: the events as
  packed arrays, ``lrs.progress.blocks.pack``).  A batch inserts one document per training and learner instead
  of one per event.  Unique index on ``(tenant, training, learner, stored_us, first)``: a training's or a
  learner's blocks are one range of it, and a statement's blocks are found from the statement alone (its actor
  and its ``stored_us``) for voiding; a partial index on ``(tenant, hi_us)`` of the microlearning blocks
  (``training: ""``) serves the learning-hours reads.  Two blocks may hold the same statement (ingest and a
  rebuild racing without transactions): readers keep one (:func:`lrs.progress.blocks.unique`, the higher
  version).  Stores written before blocks (``progress_events`` / ``micro_events``, a document per event) are
  converted when the schema is ensured (:meth:`MongoProgress._migrate_event_documents`).
* ``progress_rows``: one document per ``(tenant, training, learner)`` (unique index), the row as JSON text plus
  ``status`` and ``last_activity_us``, each indexed for filters.
* ``progress_dirty``: one document per ``(tenant, training, learner)`` (unique index) whose events changed since
  its row was last refolded, with ``n``, the count of batches that marked it.

Events are written, and the rows they change marked dirty, in the statement batch's unit of work
(``MongoStore._write_batch`` calls :meth:`MongoProgress._maintain_progress`), with undo actions when there is no
transaction.  A read of rows refolds the dirty ones it covers first (:meth:`MongoProgress._settle`) and removes
a mark only if no batch marked it again meanwhile.  A rebuild
(:meth:`replace_training_progress`) is idempotent and registers no undo: a failed one is simply run again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from bson import ObjectId
from pymongo import ASCENDING, DeleteOne, ReplaceOne, ReturnDocument, UpdateOne
from pymongo.errors import BulkWriteError

from lrs.progress.blocks import Block, StatementKey, by_block_key, group, pack, unique, unpack, without
from lrs.progress.events import STANDALONE, ProgressEvent
from lrs.progress.projection import (
    Pair,
    TrainingCache,
    batch_events,
    participant_keys,
    refold_pairs,
    statement_learner,
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
Document = dict[str, Any]
BlockKey = tuple[str, str, int]  # (training, learner, stored_us): the blocks of one batch's statements

TRAININGS = "trainings"
BLOCKS = "event_blocks"
ROWS = "progress_rows"
DIRTY = "progress_dirty"
OLD_EVENTS, OLD_MICRO = "progress_events", "micro_events"  # a document per event, before blocks
PROGRESS_INDEXES: tuple[tuple[str, list[tuple[str, int]], dict[str, Any]], ...] = (
    (TRAININGS, [("tenant", ASCENDING), ("training_id", ASCENDING)], {"unique": True}),
    (
        BLOCKS,
        [
            ("tenant", ASCENDING),
            ("training", ASCENDING),
            ("learner", ASCENDING),
            ("stored_us", ASCENDING),
            ("first", ASCENDING),
        ],
        {"unique": True},
    ),
    (BLOCKS, [("tenant", ASCENDING), ("hi_us", ASCENDING)], {"partialFilterExpression": {"training": STANDALONE}}),
    (ROWS, [("tenant", ASCENDING), ("training", ASCENDING), ("learner", ASCENDING)], {"unique": True}),
    (ROWS, [("tenant", ASCENDING), ("training", ASCENDING), ("status", ASCENDING), ("learner", ASCENDING)], {}),
    (ROWS, [("tenant", ASCENDING), ("training", ASCENDING), ("last_activity_us", ASCENDING)], {}),
    (DIRTY, [("tenant", ASCENDING), ("training", ASCENDING), ("learner", ASCENDING)], {"unique": True}),
)
_ROW_FIELDS = {"_id": 0, "training": 1, "learner": 1, "status": 1, "last_activity_us": 1, "row": 1, "view": 1}
_TRAINING_FIELDS = {"_id": 0, "training_id": 1, "body": 1, "version": 1, "built_version": 1}
_CHUNK = 1000
_KEYS_PER_QUERY = 200  # block keys per ``$or`` read
_DUPLICATE_KEY = 11000


def _chunks(values: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


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
        doc.get("view"),
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
        ensure_collections(self._db, (TRAININGS, BLOCKS, ROWS, DIRTY))
        for collection, keys, options in PROGRESS_INDEXES:
            self._db[collection].create_index(keys, **options)
        old = {OLD_EVENTS, OLD_MICRO} & set(self._db.list_collection_names())
        if old:  # a store written before events were kept in blocks
            self._migrate_event_documents(sorted(old))

    def _migrate_event_documents(self, names: Sequence[str]) -> None:
        """Move the events of the old collections (a document per event: ``progress_events`` and
        ``micro_events``) into blocks, then drop them.  Read in index order, a participant at a time (bounded
        memory), and written with upserts on the block key, so a conversion cut short is simply run again.
        Events of statements voided or not stored are left out; of copies of one event the latest version is
        kept.  Run once, before the workers start (``lrs serve`` ensures the schema first)."""
        for name in names:
            training_of: Callable[[Document], str] = (
                (lambda doc: str(doc["training"])) if name == OLD_EVENTS else (lambda doc: STANDALONE)
            )
            order = ["tenant", "training", "learner"] if name == OLD_EVENTS else ["tenant", "learner"]
            cursor = self._db[name].find({}, {"_id": 0}).sort([(field, ASCENDING) for field in order])
            pending: list[tuple[str, int, ProgressEvent]] = []
            current: tuple[str, str, str] | None = None
            for doc in cursor:
                tenant, training = str(doc["tenant"]), training_of(doc)
                participant = (tenant, training, str(doc["learner"]))
                if participant != current and len(pending) >= _CHUNK:
                    self._store_migrated(pending)
                    pending = []
                current = participant
                event = ProgressEvent.from_record(doc["event"])._replace(training=training, learner=participant[2])
                pending.append((tenant, int(doc.get("version") or 0), event))
            self._store_migrated(pending)
            self._db.drop_collection(name)

    def _store_migrated(self, pending: Sequence[tuple[str, int, ProgressEvent]]) -> None:
        """Store as blocks these old event documents (whole participants: every event of each)."""
        latest: dict[tuple[str, str, str, str], tuple[int, ProgressEvent]] = {}
        for tenant, version, event in pending:
            key = (tenant, event.training, event.learner, event.statement_id)
            if key not in latest or latest[key][0] <= version:
                latest[key] = (version, event)
        by_version: dict[tuple[str, int], list[ProgressEvent]] = {}
        for (tenant, *_), (version, event) in latest.items():
            by_version.setdefault((tenant, version), []).append(event)
        writes: list[ReplaceOne[Document]] = []
        for (tenant, version), events in by_version.items():
            stored = self._stored_times(None, tenant, sorted({event.statement_id for event in events}))
            live = [event for event in events if event.statement_id in stored]
            for block in group(live, stored):
                doc = _block_doc(tenant, version, block)
                del doc["_id"]
                writes.append(ReplaceOne({k: doc[k] for k in _BLOCK_KEY}, doc, upsert=True))
        if writes:
            self._db[BLOCKS].bulk_write(writes, ordered=False)

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
            for name in (BLOCKS, ROWS, DIRTY):
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
        """Store the batch's events (a block per training and learner), remove those of the statements it
        voids, mark the rows concerned dirty.  ``voided``: ids of the batch's statements stored voided."""
        with_events = [record for record in records if record.progress_events]
        targets = voiding_targets(records)
        if not with_events and not targets:
            return
        affected: set[Pair] = set()
        blocks = group(batch_events(with_events, stored_us, voided), stored_us)
        if blocks:
            pairs = {(block.training, block.learner) for block in blocks if block.training != STANDALONE}
            unit.on_rollback(partial(self._mark_dirty, None, tenant, pairs))  # runs after the blocks' undo
            self._insert_blocks(unit, tenant, version or 0, blocks)
            affected.update(pairs)
        if targets:
            lost: set[Pair] = set()  # filled below; the undo marks them after the blocks are restored
            unit.on_rollback(partial(self._mark_dirty, None, tenant, lost))
            trainings = [STANDALONE, *self._training_ids(unit, tenant)]
            keys = by_block_key(self._statement_keys(unit.session, tenant, targets))
            lost.update(pair for pair in self._remove_from_blocks(unit, tenant, trainings, keys) if pair[0])
            affected.update(lost)
        self._mark_dirty(unit.session, tenant, affected)

    def _training_ids(self, unit: _Unit, tenant: str) -> list[str]:
        flt, fields = {"tenant": tenant}, {"_id": 0, "training_id": 1}
        return [str(doc["training_id"]) for doc in self._find(self._db[TRAININGS], flt, fields, session=unit.session)]

    def _insert_blocks(self, unit: _Unit, tenant: str, version: int, blocks: Sequence[Block]) -> None:
        """Insert a batch's blocks.  Without a transaction a rebuild may have stored a block under the same key
        meanwhile (it read the batch's statements before their blocks were written): those are merged into it."""
        docs = [_block_doc(tenant, version, block) for block in blocks]
        collection = self._db[BLOCKS]
        unit.on_rollback(partial(collection.delete_many, {"_id": {"$in": [doc["_id"] for doc in docs]}}))
        try:
            collection.insert_many(docs, ordered=False, session=unit.session)
        except BulkWriteError as exc:
            refused = _duplicates(exc)
            if unit.session is not None or refused is None:  # a transaction is aborted by any write error
                raise
            self._merge_blocks(unit, tenant, version, [blocks[index] for index in refused], newer_wins=False)

    def _statement_keys(self, session: Any, tenant: str, statement_ids: Sequence[str]) -> list[StatementKey]:
        """Where the events of those of the statements that are stored (and have a learner) are kept."""
        found: list[StatementKey] = []
        for chunk in _chunks(statement_ids):
            for doc in self._find(
                self._statements,
                {"tenant": tenant, "statement_id": {"$in": list(chunk)}},
                {"_id": 0, "statement_id": 1, "stored_us": 1, "body": 1},
                session=session,
            ):
                learner = statement_learner(str(doc["body"]))
                if learner is not None:
                    found.append(StatementKey(str(doc["statement_id"]), learner, int(doc["stored_us"])))
        return found

    def _stored_times(self, session: Any, tenant: str, statement_ids: Sequence[str]) -> dict[str, int]:
        """``stored_us`` of those of the statements that are stored and not voided."""
        found: dict[str, int] = {}
        for chunk in _chunks(statement_ids):
            for doc in self._find(
                self._statements,
                {"tenant": tenant, "voided": False, "statement_id": {"$in": list(chunk)}},
                {"_id": 0, "statement_id": 1, "stored_us": 1},
                session=session,
            ):
                found[str(doc["statement_id"])] = int(doc["stored_us"])
        return found

    def _blocks_under(self, session: Any, tenant: str, keys: Sequence[tuple[Any, str, int]]) -> list[Document]:
        """The blocks under these keys, ``(training or {"$in": trainings}, learner, stored_us)``: one read (of
        index ranges) per ``_KEYS_PER_QUERY`` keys."""
        found: list[Document] = []
        for chunk in _chunks(keys, _KEYS_PER_QUERY):
            clauses = [
                {"tenant": tenant, "training": training, "learner": learner, "stored_us": stored_us}
                for training, learner, stored_us in chunk
            ]
            found.extend(self._find(self._db[BLOCKS], {"$or": clauses}, session=session))
        return found

    def _remove_from_blocks(
        self, unit: _Unit, tenant: str, trainings: Sequence[str], keys: Mapping[tuple[str, int], set[str]]
    ) -> set[Pair]:
        """Remove the events of statements from their blocks (``keys``: statement ids by (learner, stored_us)),
        in each of ``trainings``: a block is rewritten without them, or deleted when nothing is left; the
        (training, learner) pairs that lost some."""
        training: Any = trainings[0] if len(trainings) == 1 else {"$in": list(trainings)}
        docs = self._blocks_under(unit.session, tenant, [(training, learner, stored) for learner, stored in keys])
        writes: list[ReplaceOne[Document] | DeleteOne] = []
        old: list[Document] = []
        lost: set[Pair] = set()
        for doc in docs:
            events = _block_events(doc)
            kept = without(events, keys.get((str(doc["learner"]), int(doc["stored_us"])), set()))
            if len(kept) == len(events):
                continue
            old.append(doc)
            lost.add((str(doc["training"]), str(doc["learner"])))
            if kept:
                block = Block(str(doc["training"]), str(doc["learner"]), int(doc["stored_us"]), tuple(kept))
                writes.append(
                    ReplaceOne({"_id": doc["_id"]}, _block_doc(tenant, int(doc["version"]), block, doc["_id"]))
                )
            else:
                writes.append(DeleteOne({"_id": doc["_id"]}))
        if writes:
            collection = self._db[BLOCKS]
            unit.on_rollback(
                partial(
                    collection.bulk_write, [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in old], ordered=False
                )
            )
            collection.bulk_write(writes, ordered=False, session=unit.session)
        return lost

    def _merge_blocks(
        self, unit: _Unit, tenant: str, version: int, blocks: Sequence[Block], *, newer_wins: bool = True
    ) -> None:
        """Store ``blocks`` merged with the blocks already kept under their keys, one block per key afterwards.
        Of two events of one statement the given one is kept (recomputed by a rebuild), or with ``newer_wins``
        False the one already kept (a batch's block that met a rebuild's)."""
        collection = self._db[BLOCKS]
        for chunk in _chunks(blocks, _KEYS_PER_QUERY):
            found = self._blocks_under(unit.session, tenant, [(b.training, b.learner, b.stored_us) for b in chunk])
            under: dict[BlockKey, list[Document]] = {}
            for doc in _by_version(found):
                under.setdefault((str(doc["training"]), str(doc["learner"]), int(doc["stored_us"])), []).append(doc)
            docs: list[Document] = []
            for block in chunk:
                here = under.get((block.training, block.learner, block.stored_us), [])
                kept = unique(event for doc in here for event in _block_events(doc))
                if newer_wins:
                    merged = [*without(kept, {event.statement_id for event in block.events}), *block.events]
                else:
                    merged = [*kept, *without(block.events, {event.statement_id for event in kept})]
                top = max([version, *(int(doc["version"]) for doc in here)])
                docs.append(_block_doc(tenant, top, replace(block, events=tuple(merged))))
            unit.on_rollback(partial(_restore_blocks, collection, [doc["_id"] for doc in docs], found))
            if found:
                collection.delete_many({"_id": {"$in": [doc["_id"] for doc in found]}}, session=unit.session)
            collection.insert_many(docs, ordered=False, session=unit.session)

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

    def _settle(self, tenant: str, training_id: str, learner: str | None = None, limit: int = 0) -> int:
        """Refold the training's rows marked dirty at ingest (only ``learner``'s, when given; at most ``limit``,
        0: all); how many.  A marker is removed only when unchanged since it was read: a batch that marked it
        again meanwhile is refolded by the next read."""
        flt: dict[str, Any] = {"tenant": tenant, "training": training_id}
        if learner is not None:
            flt["learner"] = learner
        marks = self._find(self._db[DIRTY], flt, {"_id": 0, "learner": 1, "n": 1}, limit=limit)
        if not marks:
            return 0

        def work(unit: _Unit) -> None:
            self._refold_progress(unit, tenant, {(training_id, str(mark["learner"])) for mark in marks})
            for mark in marks:
                self._db[DIRTY].delete_one(
                    {"tenant": tenant, "training": training_id, "learner": mark["learner"], "n": mark["n"]},
                    session=unit.session,
                )

        self._atomic(work)
        return len(marks)

    def latest_stored_us(self) -> int:
        """From the tenants' ``stored`` clocks (one small document per tenant), not the statements."""
        with translate_errors("latest_stored_us"):
            docs = self._find(
                self._meta, {"_id": {"$regex": "^clock:"}}, {"stored_us": 1}, sort=[("stored_us", -1)], limit=1
            )
        return int(docs[0].get("stored_us") or 0) if docs else 0

    def dirty_trainings(self, limit: int) -> list[tuple[str, str]]:
        found: dict[tuple[str, str], None] = {}
        after: dict[str, Any] = {}
        while len(found) < limit:  # one mark per (tenant, training), skipping past each pair's other marks
            docs = self._find(
                self._db[DIRTY],
                after,
                {"_id": 0, "tenant": 1, "training": 1},
                sort=[("tenant", ASCENDING), ("training", ASCENDING)],
                limit=1,
            )
            if not docs:
                break
            pair = (str(docs[0]["tenant"]), str(docs[0]["training"]))
            found[pair] = None
            after = {
                "$or": [
                    {"tenant": {"$gt": pair[0]}},
                    {"tenant": pair[0], "training": {"$gt": pair[1]}},
                ]
            }
        return list(found)

    def settle_progress(self, tenant: str, training_id: str, limit: int) -> int:
        with translate_errors("settle_progress"):
            return self._settle(tenant, training_id, limit=max(limit, 1))

    def _participant_events(
        self, unit: _Unit, tenant: str, training_id: str, learners: Sequence[str] | None
    ) -> dict[str, list[ProgressEvent]]:
        """Stored events by learner: of the given learners, or of every learner of the training (None); one
        per statement (the higher version's, when two blocks hold it)."""
        found: dict[str, list[ProgressEvent]] = {}
        filters: list[dict[str, Any]] = [{"tenant": tenant, "training": training_id}]
        if learners is not None:
            filters = [{**filters[0], "learner": {"$in": list(chunk)}} for chunk in _chunks(learners)]
        fields = {"_id": 0, "training": 1, "learner": 1, "version": 1, "ev": 1}
        docs = [doc for flt in filters for doc in self._find(self._db[BLOCKS], flt, fields, session=unit.session)]
        for doc in _by_version(docs):
            found.setdefault(str(doc["learner"]), []).extend(_block_events(doc))
        return {learner: unique(events) for learner, events in found.items()}

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
            quiet = _no_undo(unit)
            self._db[BLOCKS].delete_many(
                {"tenant": tenant, "training": training_id, "version": {"$lt": version}}, session=session
            )
            mine = [event for event in events if event.training == training_id]
            stored = self._stored_times(session, tenant, sorted({event.statement_id for event in mine}))
            live = [event for event in mine if event.statement_id in stored]  # voided after the caller read them
            self._merge_blocks(quiet, tenant, version, group(live, stored))
            loaded = self._participant_events(unit, tenant, training_id, None)
            self._db[ROWS].delete_many({"tenant": tenant, "training": training_id}, session=session)
            pairs = {(training_id, learner) for learner in participant_keys(training, loaded)}
            self._refold_progress(quiet, tenant, pairs, {training_id: loaded})
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
            quiet = _no_undo(unit)
            keys = by_block_key(self._statement_keys(session, tenant, sorted(set(statement_ids))))
            self._remove_from_blocks(quiet, tenant, [STANDALONE], keys)
            micro = [event for event in events if event.training == STANDALONE]
            stored = self._stored_times(session, tenant, sorted({event.statement_id for event in micro}))
            live = [event for event in micro if event.statement_id in stored]  # not voided meanwhile
            self._merge_blocks(quiet, tenant, version, group(live, stored))
            return True

        with translate_errors("replace_micro_events"):
            replaced: bool = self._atomic(work)
        return replaced

    def clear_micro_events(self, tenant: str) -> None:
        with translate_errors("clear_micro_events"):
            self._db[BLOCKS].delete_many({"tenant": tenant, "training": STANDALONE})

    def list_micro_events(self, tenant: str, query: MicroEventQuery) -> list[ProgressEvent]:
        """The blocks of the period (the partial time index), or of the learner (the key index), cut to it."""
        flt: dict[str, Any] = {
            "tenant": tenant,
            "training": STANDALONE,
            "hi_us": {"$gte": query.since_us},
            "lo_us": {"$lt": query.before_us},
        }
        if query.learner is not None:
            flt["learner"] = query.learner
        fields = {"_id": 0, "training": 1, "learner": 1, "version": 1, "ev": 1}
        with translate_errors("list_micro_events"):
            docs = self._find(self._db[BLOCKS], flt, fields)
        events = unique(event for doc in _by_version(docs) for event in _block_events(doc))
        return [event for event in events if query.since_us <= event.at_us < query.before_us]

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


_BLOCK_KEY = ("tenant", "training", "learner", "stored_us", "first")


def _block_doc(tenant: str, version: int, block: Block, object_id: ObjectId | None = None) -> Document:
    return {
        "_id": object_id or ObjectId(),
        "tenant": tenant,
        "training": block.training,
        "learner": block.learner,
        "stored_us": block.stored_us,
        "first": block.first,
        "version": version,
        "lo_us": block.lo_us,
        "hi_us": block.hi_us,
        "ev": [pack(event) for event in block.events],
    }


def _block_events(doc: Mapping[str, Any]) -> list[ProgressEvent]:
    training, learner = str(doc["training"]), str(doc["learner"])
    return [unpack(item, training, learner) for item in doc["ev"]]


def _by_version(docs: Iterable[Document]) -> list[Document]:
    """Blocks in the order readers take their events (the higher version's last, so it wins in ``unique``);
    sorted here, not by the server, which would have to sort a year of blocks in memory."""
    return sorted(docs, key=lambda doc: int(doc["version"]))


def _duplicates(exc: BulkWriteError) -> list[int] | None:
    """Indexes of the documents an unordered insert refused for a key already taken; None when anything else
    went wrong."""
    errors = exc.details.get("writeErrors") or []
    if not errors or exc.details.get("writeConcernErrors"):
        return None
    if any(error.get("code") != _DUPLICATE_KEY for error in errors):
        return None
    return [int(error["index"]) for error in errors]


def _restore_blocks(collection: Any, new_ids: Iterable[ObjectId], old: list[Document]) -> None:
    """Undo of a merge: the blocks it replaced, as they were."""
    collection.delete_many({"_id": {"$in": list(new_ids)}})
    if old:
        collection.insert_many(old, ordered=False)


def _row_doc(tenant: str, record: ProgressRowRecord) -> dict[str, Any]:
    return {
        "_id": ObjectId(),
        "tenant": tenant,
        "training": record.training,
        "learner": record.learner,
        "status": record.status,
        "last_activity_us": record.last_activity_us,
        "row": record.row,
        "view": record.view,
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
