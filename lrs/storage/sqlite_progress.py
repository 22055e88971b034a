"""SQLite adapter, progress part: trainings, progress events and progress rows (see lrs.progress.projection).

Mixed into :class:`lrs.storage.sqlite.SQLiteStore`, whose connection helpers it uses.

* ``trainings``: one row per ``(tenant, training_id)``: the JSON ``body``, ``version`` and ``built_version``.
* ``training_versions``: the tenant's trainings version, bumped by every put and delete in the same
  transaction.  ``insert_statements`` compares it with the version the events were computed with inside its
  ``BEGIN IMMEDIATE`` transaction, so a batch never writes events computed from outdated trainings.
* ``progress_events``: one row per ``(tenant, training, learner, statement_id)`` (the primary key: a
  participant's events are one range), with the trainings ``version`` it was computed with and the event's
  fields as columns (no JSON to encode or parse on the hot path).  A voided statement's events are found by
  primary key (its actor is the learner), so there is no second index to update on every insert.
* ``progress_rows``: one row per ``(tenant, training, learner)`` (the primary key: one training's rows are one
  range, paged by learner), the row as JSON plus ``status`` and ``last_activity_us``, each indexed for filters.
* ``micro_events``: one row per ``(tenant, learner, statement_id)`` (the primary key: a batch's rows are a few
  learners' ranges, not a random page per statement id; voiding finds the learner in the statement, as for
  events), the standalone event's fields as columns, indexed by time for the learning-hours reads (a
  one-learner report reads that learner's range).

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
from typing import Any

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
CREATE TABLE IF NOT EXISTS progress_events (
    tenant TEXT NOT NULL, training TEXT NOT NULL, learner TEXT NOT NULL, statement_id TEXT NOT NULL,
    version INTEGER NOT NULL, activity TEXT NOT NULL, direct INTEGER NOT NULL, verb TEXT NOT NULL,
    at_us INTEGER NOT NULL, scaled REAL, duration_ms INTEGER, session TEXT,
    PRIMARY KEY (tenant, training, learner, statement_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS progress_rows (
    tenant TEXT NOT NULL, training TEXT NOT NULL, learner TEXT NOT NULL, status TEXT NOT NULL,
    last_activity_us INTEGER, row TEXT NOT NULL,
    PRIMARY KEY (tenant, training, learner)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS progress_rows_by_status ON progress_rows (tenant, training, status, learner);
CREATE INDEX IF NOT EXISTS progress_rows_by_activity ON progress_rows (tenant, training, last_activity_us);
CREATE TABLE IF NOT EXISTS micro_events (
    tenant TEXT NOT NULL, learner TEXT NOT NULL, statement_id TEXT NOT NULL, activity TEXT NOT NULL,
    direct INTEGER NOT NULL, verb TEXT NOT NULL, at_us INTEGER NOT NULL, scaled REAL, duration_ms INTEGER,
    session TEXT, PRIMARY KEY (tenant, learner, statement_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS micro_events_by_time ON micro_events (tenant, at_us, statement_id);
CREATE TABLE IF NOT EXISTS progress_dirty (
    tenant TEXT NOT NULL, training TEXT NOT NULL, learner TEXT NOT NULL,
    PRIMARY KEY (tenant, training, learner)) WITHOUT ROWID;
"""

_ROW_COLUMNS = "training, learner, status, last_activity_us, row"
_EVENT_COLUMNS = "statement_id, training, learner, activity, direct, verb, at_us, scaled, duration_ms, session"
_INSERT_EVENTS = (
    f"INSERT OR REPLACE INTO progress_events (tenant, version, {_EVENT_COLUMNS})"  # noqa: S608
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_MICRO_COLUMNS = "statement_id, learner, activity, direct, verb, at_us, scaled, duration_ms, session"
_INSERT_MICRO = (
    f"INSERT OR REPLACE INTO micro_events (tenant, {_MICRO_COLUMNS})"  # noqa: S608
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_CHUNK = 500


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


def _fields(e: ProgressEvent) -> tuple[Any, ...]:
    """The columns after ``statement_id`` (and ``training``) of an event row."""
    return (e.learner, e.activity, int(e.direct), e.verb, e.at_us, e.scaled, e.duration_ms, e.session)


def _event_row(tenant: str, version: int, e: ProgressEvent) -> tuple[Any, ...]:
    return (tenant, version, e.statement_id, e.training, *_fields(e))


def _event(row: Sequence[Any]) -> ProgressEvent:
    """An event from the columns of ``_EVENT_COLUMNS``."""
    statement_id, training, learner, activity, direct, verb, at_us, scaled, duration_ms, session = row
    return ProgressEvent(
        statement_id, training, learner, activity, bool(direct), verb, at_us, scaled, duration_ms, session
    )


def _micro_row(tenant: str, e: ProgressEvent) -> tuple[Any, ...]:
    return (tenant, e.statement_id, *_fields(e))


def _micro(row: Sequence[Any]) -> ProgressEvent:
    """A microlearning event from the columns of ``_MICRO_COLUMNS``."""
    statement_id, learner, activity, direct, verb, at_us, scaled, duration_ms, session = row
    return ProgressEvent(
        statement_id, STANDALONE, learner, activity, bool(direct), verb, at_us, scaled, duration_ms, session
    )


class SQLiteProgress:
    """Mixin of :class:`lrs.storage.sqlite.SQLiteStore`: the progress part of the storage port."""

    # provided by SQLiteStore
    _conn: Callable[[], sqlite3.Connection]
    _guard: Callable[[], AbstractContextManager[None]]
    _write: Callable[[], AbstractContextManager[sqlite3.Connection]]

    _progress_trainings: TrainingCache | None = None

    def _init_progress(self, conn: sqlite3.Connection) -> None:
        conn.executescript(PROGRESS_SCHEMA)

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
            conn.execute("DELETE FROM progress_events WHERE tenant = ? AND training = ?", (tenant, training_id))
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
        """Store the batch's events, delete those of the statements it voids, refold the rows concerned.
        ``voided``: ids of the batch's statements that were stored voided (they have no events)."""
        with_events = [record for record in records if record.progress_events]
        targets = voiding_targets(records)
        if not with_events and not targets:
            return
        affected: set[Pair] = set()
        micro: list[ProgressEvent] = []
        events: list[ProgressEvent] = []
        for event in batch_events(with_events, stored_us, voided):
            (micro if event.training == STANDALONE else events).append(event)
        if events:
            conn.executemany(_INSERT_EVENTS, [_event_row(tenant, version or 0, event) for event in events])
            affected.update((event.training, event.learner) for event in events)
        if micro:
            conn.executemany(_INSERT_MICRO, [_micro_row(tenant, event) for event in micro])
        if targets:
            affected.update(self._delete_events_of(conn, tenant, targets))
        conn.executemany(
            "INSERT OR IGNORE INTO progress_dirty (tenant, training, learner) VALUES (?, ?, ?)",
            [(tenant, training_id, learner) for training_id, learner in affected],
        )

    def _settle(self, tenant: str, training_id: str, learner: str | None = None) -> None:
        """Refold the training's rows marked dirty at ingest (only ``learner``'s, when given), so a read sees
        every committed event.  A clean training costs one indexed lookup and no write."""
        where = "tenant = ? AND training = ?" + (" AND learner = ?" if learner is not None else "")
        params = (tenant, training_id) if learner is None else (tenant, training_id, learner)
        dirty = f"SELECT learner FROM progress_dirty WHERE {where}"  # noqa: S608
        if self._conn().execute(f"{dirty} LIMIT 1", params).fetchone() is None:
            return
        with self._write() as conn:
            learners = [row[0] for row in conn.execute(dirty, params)]
            self._refold(conn, tenant, {(training_id, name) for name in learners})
            conn.execute(f"DELETE FROM progress_dirty WHERE {where}", params)  # noqa: S608

    @staticmethod
    def _voided_among(conn: sqlite3.Connection, tenant: str, statement_ids: Sequence[str]) -> set[str]:
        """Those of the statements that are stored voided."""
        voided: set[str] = set()
        for chunk in _chunks(statement_ids):
            voided.update(
                row[0]
                for row in conn.execute(
                    f"SELECT statement_id FROM statements WHERE tenant = ? AND voided = 1"  # noqa: S608
                    f" AND statement_id IN ({_marks(chunk)})",
                    (tenant, *chunk),
                )
            )
        return voided

    @staticmethod
    def _learners_of(conn: sqlite3.Connection, tenant: str, statement_ids: Sequence[str]) -> list[tuple[str, str]]:
        """(statement id, learner) of those of the statements that are stored and have a learner (an IFI)."""
        found: list[tuple[str, str]] = []
        for chunk in _chunks(statement_ids):
            for statement_id, body in conn.execute(
                f"SELECT statement_id, body FROM statements WHERE tenant = ? AND statement_id IN ({_marks(chunk)})",  # noqa: S608
                (tenant, *chunk),
            ):
                learner = statement_learner(body)
                if learner is not None:
                    found.append((statement_id, learner))
        return found

    @staticmethod
    def _delete_micro(conn: sqlite3.Connection, tenant: str, of: Sequence[tuple[str, str]]) -> None:
        """Delete the microlearning events of these (statement id, learner) pairs, by primary key."""
        conn.executemany(
            "DELETE FROM micro_events WHERE tenant = ? AND learner = ? AND statement_id = ?",
            [(tenant, learner, statement_id) for statement_id, learner in of],
        )

    def _delete_events_of(self, conn: sqlite3.Connection, tenant: str, statement_ids: Sequence[str]) -> set[Pair]:
        """Delete the events (and microlearning events) of these statements; the (training, learner) pairs that
        lost some.  The events are found by primary key: the learner is the statement's actor and there is a
        handful of trainings (an index by statement id would make every event insert touch a random page)."""
        trainings = [row[0] for row in conn.execute("SELECT training_id FROM trainings WHERE tenant = ?", (tenant,))]
        affected: set[Pair] = set()
        learners = self._learners_of(conn, tenant, statement_ids)
        self._delete_micro(conn, tenant, learners)
        for statement_id, learner in learners:
            for training_id in trainings:
                gone = conn.execute(
                    "DELETE FROM progress_events WHERE tenant = ? AND training = ? AND learner = ? AND statement_id = ?",
                    (tenant, training_id, learner, statement_id),
                )
                if gone.rowcount:
                    affected.add((training_id, learner))
        return affected

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
            found: dict[str, list[ProgressEvent]] = {}
            for chunk in _chunks(learners):
                for row in conn.execute(
                    f"SELECT {_EVENT_COLUMNS} FROM progress_events"  # noqa: S608
                    f" WHERE tenant = ? AND training = ? AND learner IN ({_marks(chunk)})",
                    (tenant, training_id, *chunk),
                ):
                    found.setdefault(row[2], []).append(_event(row))
            return found

        refolded = refold_pairs(
            pairs, lambda training_id: self._stored_training(conn, tenant, training_id), load_events, loaded=loaded
        )
        conn.executemany(
            "INSERT INTO progress_rows (tenant, training, learner, status, last_activity_us, row)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, training, learner) DO UPDATE SET status ="
            " excluded.status, last_activity_us = excluded.last_activity_us, row = excluded.row",
            [(tenant, r.training, r.learner, r.status, r.last_activity_us, r.row) for r in refolded.upserts],
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
                "DELETE FROM progress_events WHERE tenant = ? AND training = ? AND version < ?",
                (tenant, training_id, version),
            )
            mine = [event for event in events if event.training == training_id]
            conn.executemany(_INSERT_EVENTS, [_event_row(tenant, version, event) for event in mine])
            ids = sorted({event.statement_id for event in mine})
            for chunk in _chunks(ids):  # voided after the caller read them
                conn.execute(
                    "DELETE FROM progress_events WHERE tenant = ? AND training = ? AND statement_id IN"  # noqa: S608
                    " (SELECT statement_id FROM statements WHERE tenant = ? AND voided = 1"
                    f" AND statement_id IN ({_marks(chunk)}))",
                    (tenant, training_id, tenant, *chunk),
                )
            loaded: dict[str, list[ProgressEvent]] = {}
            for row in conn.execute(
                f"SELECT {_EVENT_COLUMNS} FROM progress_events WHERE tenant = ? AND training = ?",  # noqa: S608
                (tenant, training_id),
            ):
                loaded.setdefault(row[2], []).append(_event(row))
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
            self._delete_micro(conn, tenant, self._learners_of(conn, tenant, sorted(set(statement_ids))))
            voided = self._voided_among(conn, tenant, sorted({event.statement_id for event in events}))
            conn.executemany(
                _INSERT_MICRO,
                [_micro_row(tenant, event) for event in events if event.statement_id not in voided],
            )
        return True

    def clear_micro_events(self, tenant: str) -> None:
        with self._guard(), self._write() as conn:
            conn.execute("DELETE FROM micro_events WHERE tenant = ?", (tenant,))

    def list_micro_events(self, tenant: str, query: MicroEventQuery) -> list[ProgressEvent]:
        where = ["tenant = ?", "at_us >= ?", "at_us < ?"]
        params: list[Any] = [tenant, query.since_us, query.before_us]
        source = "micro_events"
        if query.learner is not None:  # the learner's primary key range (the planner would pick the time index)
            source = "micro_events INDEXED BY sqlite_autoindex_micro_events_1"
            where.append("learner = ?")
            params.append(query.learner)
        if query.after is not None:
            where.append("(at_us > ? OR (at_us = ? AND statement_id > ?))")
            params.extend((query.after[0], query.after[0], query.after[1]))
        sql = (
            f"SELECT {_MICRO_COLUMNS} FROM {source} WHERE {' AND '.join(where)}"  # noqa: S608
            " ORDER BY at_us, statement_id LIMIT ?"
        )
        with self._guard():
            rows = self._conn().execute(sql, (*params, max(query.limit, 0))).fetchall()
        return [_micro(row) for row in rows]

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
            rows = (
                self._conn()
                .execute(
                    f"SELECT {_EVENT_COLUMNS} FROM progress_events WHERE tenant = ? AND training = ? AND learner = ?",  # noqa: S608
                    (tenant, training_id, learner),
                )
                .fetchall()
            )
        return [_event(row) for row in rows]
