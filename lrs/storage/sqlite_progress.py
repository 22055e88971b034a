"""SQLite adapter, progress part: trainings, progress events and progress rows (see lrs.progress.projection).

Mixed into :class:`lrs.storage.sqlite.SQLiteStore`, whose connection helpers it uses.

* ``trainings``: one row per ``(tenant, training_id)``: the JSON ``body``, ``version`` and ``built_version``.
* ``training_versions``: the tenant's trainings version, bumped by every put and delete in the same
  transaction.  ``insert_statements`` compares it with the version the events were computed with inside its
  ``BEGIN IMMEDIATE`` transaction, so a batch never writes events computed from outdated trainings.
* ``event_blocks``: the events, a row per ``(tenant, training, learner, stored_us, first)`` (the primary key;
  ``training`` ``""`` for microlearning): the events one batch gave one learner in one training, as compact JSON
  (:mod:`lrs.progress.blocks`), with the trainings ``version`` they were computed with and their smallest and
  largest time.  A batch writes a row per learner and training it concerns, not per statement; a participant's
  events in a training are one key range; a statement's events are found again from its learner (the actor) and
  its ``stored`` time, so voiding needs no index by statement id.  A partial index on ``(tenant, hi_us)`` of the
  microlearning rows serves the learning-hours reads of a period (a one-learner report reads that learner's
  range).
* ``progress_rows``: one row per ``(tenant, training, learner)`` (the primary key: one training's rows are one
  range, paged by learner), the row as JSON plus ``status`` and ``last_activity_us``, each indexed for filters.
* ``progress_dirty``: one row per ``(tenant, training, learner)`` whose events changed since its row was last
  refolded.

Events are written, and the rows they change marked dirty, in the transaction that writes the statements
(``_check_progress_version`` and ``_maintain_progress`` are called from ``insert_statements``).  A read of rows
(``list_progress_rows``, ``get_progress_row``) first refolds the dirty ones it covers in a write transaction
(``_settle``; a clean training costs one indexed lookup); a rebuild refolds all of a training's rows and clears
its marks.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any

from lrs.progress.blocks import Block, StatementKey, by_block_key, decode, encode, group, unique, without
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
from lrs.storage.port import (
    MicroEventQuery,
    ProgressRowQuery,
    ProgressRowRecord,
    ProgressVersionChanged,
    StatementRecord,
    StoredTraining,
)

PROGRESS_SCHEMA = """
CREATE TABLE IF NOT EXISTS trainings (
    tenant TEXT NOT NULL, training_id TEXT NOT NULL, version INTEGER NOT NULL, built_version INTEGER NOT NULL,
    body TEXT NOT NULL, PRIMARY KEY (tenant, training_id));
CREATE TABLE IF NOT EXISTS training_versions (tenant TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS event_blocks (
    tenant TEXT NOT NULL, training TEXT NOT NULL, learner TEXT NOT NULL, stored_us INTEGER NOT NULL,
    first TEXT NOT NULL, version INTEGER NOT NULL, lo_us INTEGER NOT NULL, hi_us INTEGER NOT NULL,
    events TEXT NOT NULL, PRIMARY KEY (tenant, training, learner, stored_us, first)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS event_blocks_micro_by_time ON event_blocks (tenant, hi_us) WHERE training = '';
CREATE TABLE IF NOT EXISTS progress_rows (
    tenant TEXT NOT NULL, training TEXT NOT NULL, learner TEXT NOT NULL, status TEXT NOT NULL,
    last_activity_us INTEGER, row TEXT NOT NULL, view TEXT,
    PRIMARY KEY (tenant, training, learner)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS progress_rows_by_status ON progress_rows (tenant, training, status, learner);
CREATE INDEX IF NOT EXISTS progress_rows_by_activity ON progress_rows (tenant, training, last_activity_us);
CREATE TABLE IF NOT EXISTS progress_dirty (
    tenant TEXT NOT NULL, training TEXT NOT NULL, learner TEXT NOT NULL,
    PRIMARY KEY (tenant, training, learner)) WITHOUT ROWID;
"""

_ROW_COLUMNS = "training, learner, status, last_activity_us, row, view"
_INSERT_BLOCK = (
    "INSERT OR REPLACE INTO event_blocks (tenant, training, learner, stored_us, first, version, lo_us, hi_us, events)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_CHUNK = 500


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


_UNDER_KEY = "tenant = ? AND training = ? AND learner = ? AND stored_us = ?"  # a block key (without ``first``)


def _blocks_under(
    conn: sqlite3.Connection, tenant: str, key: tuple[str, str, int]
) -> list[tuple[str, int, list[ProgressEvent]]]:
    """(first, version, events) of every block under ``key`` (training, learner, stored_us): normally one."""
    training, learner, _stored_us = key
    sql = f"SELECT first, version, events FROM event_blocks WHERE {_UNDER_KEY}"  # noqa: S608
    return [
        (str(first), int(version), decode(text, training, learner))
        for first, version, text in conn.execute(sql, (tenant, *key)).fetchall()
    ]


def _block_row(tenant: str, version: int, block: Block) -> tuple[Any, ...]:
    return (
        tenant,
        block.training,
        block.learner,
        block.stored_us,
        block.first,
        version,
        block.lo_us,
        block.hi_us,
        encode(block.events),
    )


def _migrate_event_rows(conn: sqlite3.Connection, tables: set[str]) -> None:
    """Move the events of a store written before blocks (one row per event, ``progress_events`` and
    ``micro_events``) into ``event_blocks``, then drop the old tables."""
    sources = {
        "progress_events": "e.training, e.version",
        "micro_events": "'', 0",
    }
    for table, training_version in sources.items():
        if table not in tables:
            continue
        by_version: dict[tuple[str, int], list[ProgressEvent]] = {}
        stored: dict[str, int] = {}
        for row in conn.execute(
            f"SELECT e.tenant, {training_version}, e.statement_id, e.learner, e.activity, e.direct, e.verb,"  # noqa: S608
            f" e.at_us, e.scaled, e.duration_ms, e.session, s.stored_us FROM {table} e CROSS JOIN statements s"
            " ON s.tenant = e.tenant AND s.statement_id = e.statement_id AND s.voided = 0"
        ):
            tenant, training, version, statement_id, learner, activity, direct, verb, at_us, scaled, du, se, st = row
            event = ProgressEvent(statement_id, training, learner, activity, bool(direct), verb, at_us, scaled, du, se)
            by_version.setdefault((tenant, int(version)), []).append(event)
            stored[f"{tenant}\n{statement_id}"] = int(st)
        for (tenant, version), events in by_version.items():
            times = {event.statement_id: stored[f"{tenant}\n{event.statement_id}"] for event in events}
            conn.executemany(_INSERT_BLOCK, [_block_row(tenant, version, block) for block in group(events, times)])
        conn.execute(f"DROP TABLE {table}")


class SQLiteProgress:
    """Mixin of :class:`lrs.storage.sqlite.SQLiteStore`: the progress part of the storage port."""

    # provided by SQLiteStore
    _conn: Callable[[], sqlite3.Connection]
    _guard: Callable[[], AbstractContextManager[None]]
    _write: Callable[[], AbstractContextManager[sqlite3.Connection]]

    _progress_trainings: TrainingCache | None = None

    def _init_progress(self, conn: sqlite3.Connection) -> None:
        conn.executescript(PROGRESS_SCHEMA)
        if "view" not in {row[1] for row in conn.execute("PRAGMA table_info(progress_rows)")}:  # rows before views
            with self._write() as write:
                write.execute("ALTER TABLE progress_rows ADD COLUMN view TEXT")  # NULL: rendered when read
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables & {"progress_events", "micro_events"}:  # stores written before events were kept in blocks
            with self._write() as write:
                _migrate_event_rows(write, tables)

    # trainings ---------------------------------------------------------------------------------------
    @staticmethod
    def _version(conn: sqlite3.Connection, tenant: str) -> int:
        row = conn.execute("SELECT version FROM training_versions WHERE tenant = ?", (tenant,)).fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def _bump_version(conn: sqlite3.Connection, tenant: str) -> int:
        row = conn.execute(
            "INSERT INTO training_versions (tenant, version) VALUES (?, 1)"
            " ON CONFLICT (tenant) DO UPDATE SET version = version + 1 RETURNING version",
            (tenant,),
        ).fetchone()
        return int(row[0])

    def trainings_version(self, tenant: str) -> int:
        with self._guard():
            return self._version(self._conn(), tenant)

    def put_training(self, tenant: str, training_id: str, body: str) -> StoredTraining:
        with self._guard(), self._write() as conn:
            version = self._bump_version(conn, tenant)
            conn.execute(
                "INSERT INTO trainings (tenant, training_id, version, built_version, body) VALUES (?, ?, ?, 0, ?)"
                " ON CONFLICT (tenant, training_id) DO UPDATE SET version = excluded.version, body = excluded.body",
                (tenant, training_id, version, body),
            )
            row = conn.execute(
                "SELECT built_version FROM trainings WHERE tenant = ? AND training_id = ?", (tenant, training_id)
            ).fetchone()
        return StoredTraining(training_id, body, version, int(row[0]))

    def get_training(self, tenant: str, training_id: str) -> StoredTraining | None:
        with self._guard():
            row = (
                self._conn()
                .execute(
                    "SELECT training_id, body, version, built_version FROM trainings"
                    " WHERE tenant = ? AND training_id = ?",
                    (tenant, training_id),
                )
                .fetchone()
            )
        return StoredTraining(*row) if row else None

    def list_trainings(self, tenant: str) -> list[StoredTraining]:
        with self._guard():
            rows = (
                self._conn()
                .execute(
                    "SELECT training_id, body, version, built_version FROM trainings WHERE tenant = ?"
                    " ORDER BY training_id",
                    (tenant,),
                )
                .fetchall()
            )
        return [StoredTraining(*row) for row in rows]

    def delete_training(self, tenant: str, training_id: str) -> bool:
        with self._guard(), self._write() as conn:
            gone = conn.execute("DELETE FROM trainings WHERE tenant = ? AND training_id = ?", (tenant, training_id))
            if not gone.rowcount:
                return False
            conn.execute("DELETE FROM event_blocks WHERE tenant = ? AND training = ?", (tenant, training_id))
            conn.execute("DELETE FROM progress_rows WHERE tenant = ? AND training = ?", (tenant, training_id))
            conn.execute("DELETE FROM progress_dirty WHERE tenant = ? AND training = ?", (tenant, training_id))
            self._bump_version(conn, tenant)
        return True

    def _stored_training(self, conn: sqlite3.Connection, tenant: str, training_id: str) -> Training | None:
        if self._progress_trainings is None:
            self._progress_trainings = TrainingCache()
        row = conn.execute(
            "SELECT version FROM trainings WHERE tenant = ? AND training_id = ?", (tenant, training_id)
        ).fetchone()
        if row is None:
            return None

        def body() -> str | None:
            found = conn.execute(
                "SELECT body FROM trainings WHERE tenant = ? AND training_id = ?", (tenant, training_id)
            ).fetchone()
            return str(found[0]) if found else None

        return self._progress_trainings.get(tenant, training_id, int(row[0]), body)

    # ingest (called inside insert_statements' transaction) -------------------------------------------
    def _check_progress_version(self, conn: sqlite3.Connection, tenant: str, expected: int | None) -> None:
        if expected is not None and self._version(conn, tenant) != expected:
            raise ProgressVersionChanged(tenant)

    def _maintain_progress(
        self,
        conn: sqlite3.Connection,
        tenant: str,
        records: Sequence[StatementRecord],
        stored_us: int,
        voided: set[str],
        *,
        version: int | None,
    ) -> None:
        """Store the batch's events (a block per training and learner), delete those of the statements it voids,
        mark the rows concerned dirty.  ``voided``: ids of the batch's statements stored voided (no events)."""
        with_events = [record for record in records if record.progress_events]
        targets = voiding_targets(records)
        if not with_events and not targets:
            return
        affected: set[Pair] = set()
        blocks = group(batch_events(with_events, stored_us, voided), stored_us)
        if blocks:
            conn.executemany(_INSERT_BLOCK, [_block_row(tenant, version or 0, block) for block in blocks])
            affected.update((block.training, block.learner) for block in blocks if block.training != STANDALONE)
        if targets:
            affected.update(self._remove_events_of(conn, tenant, targets))
        if affected:
            conn.executemany(
                "INSERT OR IGNORE INTO progress_dirty (tenant, training, learner) VALUES (?, ?, ?)",
                [(tenant, training_id, learner) for training_id, learner in affected],
            )

    def _settle(self, tenant: str, training_id: str, learner: str | None = None, limit: int | None = None) -> int:
        """Refold the training's rows marked dirty at ingest (only ``learner``'s, when given; at most ``limit``),
        so a read sees every committed event; how many.  A clean training costs one indexed lookup, no write."""
        where = "tenant = ? AND training = ?" + (" AND learner = ?" if learner is not None else "")
        params = (tenant, training_id) if learner is None else (tenant, training_id, learner)
        dirty = f"SELECT learner FROM progress_dirty WHERE {where}"  # noqa: S608
        if self._conn().execute(f"{dirty} LIMIT 1", params).fetchone() is None:
            return 0
        with self._write() as conn:
            if limit is not None:
                dirty += f" LIMIT {int(limit)}"
            learners = [row[0] for row in conn.execute(dirty, params)]
            self._refold(conn, tenant, {(training_id, name) for name in learners})
            conn.executemany(
                "DELETE FROM progress_dirty WHERE tenant = ? AND training = ? AND learner = ?",
                [(tenant, training_id, name) for name in learners],
            )
        return len(learners)

    def dirty_trainings(self, limit: int) -> list[tuple[str, str]]:
        with self._guard():
            rows = (
                self._conn()
                .execute("SELECT DISTINCT tenant, training FROM progress_dirty LIMIT ?", (max(limit, 0),))
                .fetchall()
            )
        return [(str(tenant), str(training)) for tenant, training in rows]

    def settle_progress(self, tenant: str, training_id: str, limit: int) -> int:
        with self._guard():
            return self._settle(tenant, training_id, limit=max(limit, 1))

    @staticmethod
    def _statement_keys(conn: sqlite3.Connection, tenant: str, statement_ids: Sequence[str]) -> list[StatementKey]:
        """Where the events of those of the statements that are stored (and have a learner) are kept."""
        found: list[StatementKey] = []
        for chunk in _chunks(statement_ids):
            for statement_id, stored_us, body in conn.execute(
                "SELECT statement_id, stored_us, body FROM statements"  # noqa: S608
                f" WHERE tenant = ? AND statement_id IN ({_marks(chunk)})",
                (tenant, *chunk),
            ):
                learner = statement_learner(body)
                if learner is not None:
                    found.append(StatementKey(statement_id, learner, int(stored_us)))
        return found

    @staticmethod
    def _remove_from_blocks(conn: sqlite3.Connection, tenant: str, key: tuple[str, str, int], ids: set[str]) -> bool:
        """Remove the events of ``ids`` from the blocks under ``key`` (training, learner, stored_us); whether
        any went."""
        training, learner, stored_us = key
        removed = False
        for first, version, events in _blocks_under(conn, tenant, key):
            kept = without(events, ids)
            if len(kept) == len(events):
                continue
            removed = True
            conn.execute(f"DELETE FROM event_blocks WHERE {_UNDER_KEY} AND first = ?", (tenant, *key, first))  # noqa: S608
            if kept:
                conn.execute(
                    _INSERT_BLOCK, _block_row(tenant, version, Block(training, learner, stored_us, tuple(kept)))
                )
        return removed

    def _remove_events_of(self, conn: sqlite3.Connection, tenant: str, statement_ids: Sequence[str]) -> set[Pair]:
        """Remove every event (microlearning ones too) of these statements; the (training, learner) pairs that
        lost some.  Each statement's blocks are found by key: its learner and ``stored`` time, in each training."""
        trainings = [
            STANDALONE,
            *(row[0] for row in conn.execute("SELECT training_id FROM trainings WHERE tenant = ?", (tenant,))),
        ]
        affected: set[Pair] = set()
        for (learner, stored_us), ids in by_block_key(self._statement_keys(conn, tenant, statement_ids)).items():
            for training_id in trainings:
                if self._remove_from_blocks(conn, tenant, (training_id, learner, stored_us), ids) and training_id:
                    affected.add((training_id, learner))
        return affected

    def _merge_blocks(self, conn: sqlite3.Connection, tenant: str, version: int, blocks: Sequence[Block]) -> None:
        """Store ``blocks`` (events recomputed by a rebuild), replacing any event of the same statements already
        kept under their keys: one block per key afterwards."""
        for block in blocks:
            key = (block.training, block.learner, block.stored_us)
            found = _blocks_under(conn, tenant, key)
            kept = [event for _first, _version, events in found for event in events]
            merged = [*without(kept, {event.statement_id for event in block.events}), *block.events]
            if found:
                conn.execute(f"DELETE FROM event_blocks WHERE {_UNDER_KEY}", (tenant, *key))  # noqa: S608
            top = max([version, *(found_version for _first, found_version, _events in found)])
            conn.execute(_INSERT_BLOCK, _block_row(tenant, top, replace(block, events=tuple(merged))))

    @staticmethod
    def _stored_times(conn: sqlite3.Connection, tenant: str, statement_ids: Sequence[str]) -> dict[str, int]:
        """``stored_us`` of those of the statements that are stored and not voided."""
        found: dict[str, int] = {}
        for chunk in _chunks(statement_ids):
            found.update(
                conn.execute(
                    "SELECT statement_id, stored_us FROM statements WHERE tenant = ? AND voided = 0"  # noqa: S608
                    f" AND statement_id IN ({_marks(chunk)})",
                    (tenant, *chunk),
                ).fetchall()
            )
        return found

    @staticmethod
    def _training_events(
        conn: sqlite3.Connection, tenant: str, training_id: str, learners: Sequence[str] | None = None
    ) -> dict[str, list[ProgressEvent]]:
        """The stored events of the training (of ``learners`` only, when given), by learner."""
        found: dict[str, list[ProgressEvent]] = {}
        sql = "SELECT learner, events FROM event_blocks WHERE tenant = ? AND training = ?"
        chunks: Iterator[Sequence[str]] | list[Sequence[str]] = [()] if learners is None else _chunks(learners)
        for chunk in chunks:
            where = f" AND learner IN ({_marks(chunk)})" if learners is not None else ""
            for learner, text in conn.execute(f"{sql}{where} ORDER BY version", (tenant, training_id, *chunk)):
                found.setdefault(learner, []).extend(decode(text, training_id, learner))
        return {learner: unique(events) for learner, events in found.items()}

    def _refold(
        self,
        conn: sqlite3.Connection,
        tenant: str,
        pairs: set[Pair],
        loaded: Mapping[str, Mapping[str, list[ProgressEvent]]] | None = None,
    ) -> None:
        """Recompute and write the rows of ``pairs`` (``loaded``: their events, when already read)."""
        if not pairs:
            return

        def load_events(training_id: str, learners: Sequence[str]) -> Mapping[str, list[ProgressEvent]]:
            return self._training_events(conn, tenant, training_id, learners)

        refolded = refold_pairs(
            pairs, lambda training_id: self._stored_training(conn, tenant, training_id), load_events, loaded=loaded
        )
        conn.executemany(
            "INSERT INTO progress_rows (tenant, training, learner, status, last_activity_us, row, view)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, training, learner) DO UPDATE SET status ="
            " excluded.status, last_activity_us = excluded.last_activity_us, row = excluded.row, view = excluded.view",
            [(tenant, r.training, r.learner, r.status, r.last_activity_us, r.row, r.view) for r in refolded.upserts],
        )
        conn.executemany(
            "DELETE FROM progress_rows WHERE tenant = ? AND training = ? AND learner = ?",
            [(tenant, training_id, learner) for training_id, learner in refolded.deletes],
        )

    # rebuild -------------------------------------------------------------------------------------------
    def replace_training_progress(
        self, tenant: str, training_id: str, events: Sequence[ProgressEvent], *, version: int
    ) -> bool:
        with self._guard(), self._write() as conn:
            row = conn.execute(
                "SELECT version FROM trainings WHERE tenant = ? AND training_id = ?", (tenant, training_id)
            ).fetchone()
            if row is None or int(row[0]) != version:
                return False
            training = self._stored_training(conn, tenant, training_id)
            assert training is not None  # the row was just read in this transaction
            conn.execute(
                "DELETE FROM event_blocks WHERE tenant = ? AND training = ? AND version < ?",
                (tenant, training_id, version),
            )
            mine = [event for event in events if event.training == training_id]
            stored = self._stored_times(conn, tenant, sorted({event.statement_id for event in mine}))
            live = [event for event in mine if event.statement_id in stored]  # voided after the caller read them
            self._merge_blocks(conn, tenant, version, group(live, stored))
            loaded = self._training_events(conn, tenant, training_id)
            conn.execute("DELETE FROM progress_rows WHERE tenant = ? AND training = ?", (tenant, training_id))
            pairs = {(training_id, learner) for learner in participant_keys(training, loaded)}
            self._refold(conn, tenant, pairs, {training_id: loaded})
            conn.execute("DELETE FROM progress_dirty WHERE tenant = ? AND training = ?", (tenant, training_id))
            conn.execute(
                "UPDATE trainings SET built_version = ? WHERE tenant = ? AND training_id = ?",
                (version, tenant, training_id),
            )
        return True

    # microlearning -------------------------------------------------------------------------------------
    def replace_micro_events(
        self, tenant: str, statement_ids: Sequence[str], events: Sequence[ProgressEvent], *, version: int
    ) -> bool:
        with self._guard(), self._write() as conn:
            if self._version(conn, tenant) != version:
                return False
            for (learner, stored_us), ids in by_block_key(
                self._statement_keys(conn, tenant, sorted(set(statement_ids)))
            ).items():
                self._remove_from_blocks(conn, tenant, (STANDALONE, learner, stored_us), ids)
            micro = [event for event in events if event.training == STANDALONE]
            stored = self._stored_times(conn, tenant, sorted({event.statement_id for event in micro}))
            live = [event for event in micro if event.statement_id in stored]  # not voided meanwhile
            self._merge_blocks(conn, tenant, version, group(live, stored))
        return True

    def clear_micro_events(self, tenant: str) -> None:
        with self._guard(), self._write() as conn:
            conn.execute("DELETE FROM event_blocks WHERE tenant = ? AND training = ''", (tenant,))

    def list_micro_events(self, tenant: str, query: MicroEventQuery) -> list[ProgressEvent]:
        if query.learner is not None:  # the learner's key range
            sql = (
                "SELECT learner, events FROM event_blocks WHERE tenant = ? AND training = '' AND learner = ?"
                " AND hi_us >= ? AND lo_us < ?"
            )
            params: tuple[Any, ...] = (tenant, query.learner, query.since_us, query.before_us)
        else:  # the blocks of the period, by the time index
            sql = (
                "SELECT learner, events FROM event_blocks INDEXED BY event_blocks_micro_by_time"
                " WHERE tenant = ? AND training = '' AND hi_us >= ? AND lo_us < ?"
            )
            params = (tenant, query.since_us, query.before_us)
        with self._guard():
            rows = self._conn().execute(sql, params).fetchall()
        return [
            event
            for learner, text in rows
            for event in decode(text, STANDALONE, learner)
            if query.since_us <= event.at_us < query.before_us
        ]

    # reads ---------------------------------------------------------------------------------------------
    def list_progress_rows(self, tenant: str, training_id: str, query: ProgressRowQuery) -> list[ProgressRowRecord]:
        where = ["tenant = ?", "training = ?"]
        params: list[Any] = [tenant, training_id]
        if query.after is not None:
            where.append("learner > ?")
            params.append(query.after)
        if query.statuses:
            where.append(f"status IN ({_marks(query.statuses)})")
            params.extend(query.statuses)
        if query.active_since_us is not None:
            where.append("last_activity_us >= ?")
            params.append(query.active_since_us)
        if query.inactive_since_us is not None:
            where.append("(last_activity_us < ? OR last_activity_us IS NULL)")
            params.append(query.inactive_since_us)
        sql = f"SELECT {_ROW_COLUMNS} FROM progress_rows WHERE {' AND '.join(where)} ORDER BY learner LIMIT ?"  # noqa: S608
        with self._guard():
            self._settle(tenant, training_id)
            rows = self._conn().execute(sql, (*params, max(query.limit, 0))).fetchall()
        return [ProgressRowRecord(*row) for row in rows]

    def get_progress_row(self, tenant: str, training_id: str, learner: str) -> ProgressRowRecord | None:
        with self._guard():
            self._settle(tenant, training_id, learner)
            row = (
                self._conn()
                .execute(
                    f"SELECT {_ROW_COLUMNS} FROM progress_rows WHERE tenant = ? AND training = ? AND learner = ?",  # noqa: S608
                    (tenant, training_id, learner),
                )
                .fetchone()
            )
        return ProgressRowRecord(*row) if row else None

    def get_progress_events(self, tenant: str, training_id: str, learner: str) -> list[ProgressEvent]:
        with self._guard():
            return self._training_events(self._conn(), tenant, training_id, [learner]).get(learner, [])
