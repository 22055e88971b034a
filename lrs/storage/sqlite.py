"""SQLite adapter: the embedded default store (stdlib sqlite3, WAL, ``synchronous=FULL``).

Layout:

* ``statements``: one row per statement: ``seq`` (rowid, insertion order), ``tenant``, ``statement_id``,
  ``stored_us``, ``voided``/``voiding``/``ref_target``, the exact JSON ``body``, and ``key_ids`` (JSON list of
  the statement's effective query-key ids, used only to propagate StatementRef inheritance).
* ``key_ids``: a dictionary of query keys per tenant (``verb|…``, ``agent|…``) → small integers.
* ``statement_keys``: ``(key_id, seq)`` pairs, a covering index that drives every filtered query.

``stored_us`` is taken inside the write lock (``BEGIN IMMEDIATE``) and never decreases along ``seq``, so time
bounds translate into ``seq`` ranges and every query is a range scan over one index.  Several gunicorn
workers share the file safely: writes serialise on SQLite's lock (``busy_timeout`` waits for it), reads run
concurrently under WAL.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from lrs.definitions import apply_definitions
from lrs.errors import BadRequestError, ConflictError, StorageUnavailableError
from lrs.statement_body import finalize_body
from lrs.statement_fields import is_inheritable
from lrs.storage.port import (
    Credential,
    StatementPage,
    StatementQuery,
    StatementRecord,
    StoredStatement,
    Tenant,
)
from lrs.storage.sqlite_admin import SQLiteAdminMixin
from lrs.storage.sqlite_attachments import SQLiteAttachments
from lrs.storage.sqlite_documents import SQLiteDocuments
from lrs.storage.sqlite_progress import SQLiteProgress
from lrs.storage.sqlite_quotas import SQLiteQuotas
from lrs.timeutil import stored_now_us

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tenants (
    slug TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, created_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS credentials (
    key TEXT PRIMARY KEY, tenant TEXT NOT NULL, secret_hash TEXT NOT NULL, scopes TEXT NOT NULL,
    label TEXT NOT NULL, created_us INTEGER NOT NULL, revoked_us INTEGER,
    xapi_version TEXT NOT NULL DEFAULT '2.0.0');
CREATE INDEX IF NOT EXISTS credentials_by_tenant ON credentials (tenant);
CREATE TABLE IF NOT EXISTS statements (
    seq INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    statement_id TEXT NOT NULL,
    stored_us INTEGER NOT NULL,
    voided INTEGER NOT NULL DEFAULT 0,
    voiding INTEGER NOT NULL DEFAULT 0,
    ref_target TEXT,
    key_ids TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (tenant, statement_id));
CREATE INDEX IF NOT EXISTS statements_by_tenant ON statements (tenant, seq) WHERE voided = 0;
CREATE INDEX IF NOT EXISTS statements_by_stored ON statements (stored_us);
CREATE INDEX IF NOT EXISTS statements_by_ref ON statements (tenant, ref_target) WHERE ref_target IS NOT NULL;
CREATE TABLE IF NOT EXISTS key_ids (
    id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0,
    UNIQUE (tenant, key));
CREATE TABLE IF NOT EXISTS statement_keys (
    key_id INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (key_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS activities (
    tenant TEXT NOT NULL, activity_id TEXT NOT NULL, definition TEXT NOT NULL,
    PRIMARY KEY (tenant, activity_id)) WITHOUT ROWID;
"""


class SQLiteStore(SQLiteDocuments, SQLiteAdminMixin, SQLiteAttachments, SQLiteQuotas, SQLiteProgress):
    """The embedded store.  One connection per thread; safe across processes sharing the file."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_ms: int = 10_000) -> None:
        self.path = str(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._key_cache: dict[tuple[str, str], int] = {}
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)

    # connections ---------------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
                conn.execute("PRAGMA cache_size = -65536")
            except sqlite3.Error as exc:
                raise StorageUnavailableError("the embedded database cannot be opened") from exc
            self._local.conn = conn
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """An immediate (write-locked) transaction; rolled back on any exception."""
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StorageUnavailableError("the embedded database is busy; retry") from exc
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise StorageUnavailableError("the embedded database could not commit; retry") from exc

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Translate driver errors at the boundary."""
        try:
            yield
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as exc:
            raise StorageUnavailableError("the embedded database failed; retry") from exc

    # lifecycle -----------------------------------------------------------------------------------
    def init_schema(self) -> None:
        with self._guard():
            conn = self._conn()
            conn.executescript(_SCHEMA)
            self._init_documents(conn)
            self._init_admin_schema(conn)
            self._init_quotas(conn)
            self._init_attachments(conn)
            self._init_progress(conn)
            credential_columns = {row[1] for row in conn.execute("PRAGMA table_info(credentials)")}
            if "xapi_version" not in credential_columns:  # stores created before per-credential versions
                conn.execute("ALTER TABLE credentials ADD COLUMN xapi_version TEXT NOT NULL DEFAULT '2.0.0'")
            columns = {row[1] for row in conn.execute("PRAGMA table_info(key_ids)")}
            if "n" not in columns:  # stores created before key counts existed
                with self._write() as write:
                    write.execute("ALTER TABLE key_ids ADD COLUMN n INTEGER NOT NULL DEFAULT 0")
                    write.execute(
                        "UPDATE key_ids SET n = (SELECT COUNT(*) FROM statement_keys k WHERE k.key_id = key_ids.id)"
                    )

    def close(self) -> None:
        for name in ("conn", "probe", "counters"):
            conn: sqlite3.Connection | None = getattr(self._local, name, None)
            if conn is not None:
                conn.close()
                setattr(self._local, name, None)

    def ping(self) -> None:
        with self._guard():
            self._conn().execute("SELECT 1").fetchone()

    def get_or_create_secret(self, name: str, length: int = 32) -> bytes:
        with self._guard():
            conn = self._conn()
            candidate = base64.b64encode(secrets.token_bytes(length)).decode("ascii")
            conn.execute("INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)", (name, candidate))
            row = conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
            return base64.b64decode(row[0])

    # tenants and credentials -------------------------------------------------------------------
    def create_tenant(self, tenant: Tenant) -> None:
        with self._guard():
            try:
                self._conn().execute(
                    "INSERT INTO tenants (slug, name, status, created_us) VALUES (?, ?, ?, ?)",
                    (tenant.slug, tenant.name, tenant.status, tenant.created_us),
                )
            except sqlite3.IntegrityError as exc:
                raise ConflictError(f"tenant '{tenant.slug}' already exists") from exc

    def get_tenant(self, slug: str) -> Tenant | None:
        with self._guard():
            row = (
                self._conn()
                .execute("SELECT slug, name, status, created_us FROM tenants WHERE slug = ?", (slug,))
                .fetchone()
            )
        return Tenant(*row) if row else None

    def list_tenants(self) -> list[Tenant]:
        with self._guard():
            rows = self._conn().execute("SELECT slug, name, status, created_us FROM tenants ORDER BY slug").fetchall()
        return [Tenant(*row) for row in rows]

    def add_credential(self, credential: Credential) -> None:
        with self._guard():
            try:
                self._conn().execute(
                    "INSERT INTO credentials"
                    " (key, tenant, secret_hash, scopes, label, created_us, revoked_us, xapi_version, role, rotated_us)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        credential.key,
                        credential.tenant,
                        credential.secret_hash,
                        json.dumps(list(credential.scopes)),
                        credential.label,
                        credential.created_us,
                        credential.revoked_us,
                        credential.xapi_version,
                        credential.role,
                        credential.rotated_us,
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise ConflictError("a credential with this key already exists") from exc

    _CREDENTIAL_COLUMNS = (
        "key, tenant, secret_hash, scopes, label, created_us, revoked_us, xapi_version, role, rotated_us"
    )

    @staticmethod
    def _credential(row: Sequence[Any]) -> Credential:
        key, tenant, secret_hash, scopes, label, created_us, revoked_us, xapi_version, role, rotated_us = row
        return Credential(
            key,
            tenant,
            secret_hash,
            tuple(json.loads(scopes)),
            label,
            created_us,
            revoked_us,
            xapi_version,
            role,
            rotated_us,
        )

    def get_credential(self, key: str) -> Credential | None:
        with self._guard():
            row = (
                self._conn()
                .execute(
                    f"SELECT {self._CREDENTIAL_COLUMNS} FROM credentials WHERE key = ?",  # noqa: S608
                    (key,),
                )
                .fetchone()
            )
        return self._credential(row) if row else None

    def list_credentials(self, tenant: str) -> list[Credential]:
        with self._guard():
            rows = (
                self._conn()
                .execute(
                    f"SELECT {self._CREDENTIAL_COLUMNS} FROM credentials WHERE tenant = ? ORDER BY created_us",  # noqa: S608
                    (tenant,),
                )
                .fetchall()
            )
        return [self._credential(row) for row in rows]

    # statements: writing -------------------------------------------------------------------------
    def insert_statements(
        self,
        tenant: str,
        records: Sequence[StatementRecord],
        attachments: Mapping[str, bytes] | None = None,
        *,
        progress_version: int | None = None,
    ) -> dict[str, str]:
        if not records:
            return {}
        new_keys: dict[tuple[str, str], int] = {}
        with self._guard(), self._write() as conn:
            existing = self._existing(conn, tenant, [r.statement_id for r in records])
            if not existing:  # otherwise nothing is written and the empty transaction commits
                self._check_progress_version(conn, tenant, progress_version)
                stored_us = self._next_stored(conn)
                voided = self._insert_rows(conn, tenant, records, stored_us, new_keys)
                self._maintain_progress(conn, tenant, records, stored_us, voided, version=progress_version)
                self._merge_definitions(conn, tenant, records)
                self._insert_attachments(conn, tenant, attachments)
        self._key_cache.update(new_keys)  # only ids that were committed
        return existing

    @staticmethod
    def _rows_in(conn: sqlite3.Connection, sql: str, tenant: str, values: Sequence[str]) -> list[tuple[Any, ...]]:
        """Run ``sql`` (with ``tenant = ?`` then an ``IN ({marks})`` placeholder) over values in chunks."""
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            rows.extend(conn.execute(sql.format(marks=",".join("?" * len(chunk))), (tenant, *chunk)).fetchall())
        return rows

    def _existing(self, conn: sqlite3.Connection, tenant: str, ids: list[str]) -> dict[str, str]:
        sql = "SELECT statement_id, body FROM statements WHERE tenant = ? AND statement_id IN ({marks})"
        return dict(self._rows_in(conn, sql, tenant, ids))

    @staticmethod
    def _newest_stored(conn: sqlite3.Connection) -> int:
        """``stored`` of the newest statement of any tenant (0: none)."""
        row = conn.execute("SELECT stored_us FROM statements ORDER BY seq DESC LIMIT 1").fetchone()
        return int(row[0]) if row else 0

    @classmethod
    def _next_stored(cls, conn: sqlite3.Connection) -> int:
        return max(stored_now_us(), cls._newest_stored(conn))

    def _key_id(self, conn: sqlite3.Connection, tenant: str, key: str, new_keys: dict[tuple[str, str], int]) -> int:
        cached = self._key_cache.get((tenant, key)) or new_keys.get((tenant, key))
        if cached is not None:
            return cached
        row = conn.execute("SELECT id FROM key_ids WHERE tenant = ? AND key = ?", (tenant, key)).fetchone()
        if row is None:
            cursor = conn.execute("INSERT INTO key_ids (tenant, key) VALUES (?, ?)", (tenant, key))
            key_id = int(cursor.lastrowid or 0)
        else:
            key_id = int(row[0])
        new_keys[(tenant, key)] = key_id
        return key_id

    def _inheritable_ids(self, conn: sqlite3.Connection, key_ids: Sequence[int]) -> set[int]:
        if not key_ids:
            return set()
        marks = ",".join("?" * len(key_ids))
        rows = conn.execute(f"SELECT id, key FROM key_ids WHERE id IN ({marks})", tuple(key_ids)).fetchall()  # noqa: S608
        return {key_id for key_id, key in rows if is_inheritable(key)}

    def _insert_rows(
        self,
        conn: sqlite3.Connection,
        tenant: str,
        records: Sequence[StatementRecord],
        stored_us: int,
        new_keys: dict[tuple[str, str], int],
    ) -> set[str]:
        """Write the records' rows; the ids of those stored voided (a voiding statement came first)."""
        new_ids = [r.statement_id for r in records]
        in_batch = set(new_ids)
        sql = "SELECT ref_target FROM statements WHERE tenant = ? AND voiding = 1 AND ref_target IN ({marks})"
        pre_voided = {row[0] for row in self._rows_in(conn, sql, tenant, new_ids)}
        pre_voided.update(r.ref_target for r in records if r.voiding and r.ref_target)
        voiding_ids = {r.statement_id for r in records if r.voiding}

        rows: list[tuple[Any, ...]] = []
        key_rows: list[tuple[int, int]] = []
        stored_voided: set[str] = set()
        next_seq = (conn.execute("SELECT COALESCE(MAX(seq), 0) FROM statements").fetchone()[0]) + 1
        for offset, record in enumerate(records):
            seq = next_seq + offset
            ids = {self._key_id(conn, tenant, key, new_keys) for key in record.keys}
            if record.ref_target and record.ref_target not in in_batch:
                ids |= self._target_inheritable(conn, tenant, record.ref_target)
            voided = record.statement_id in pre_voided and record.statement_id not in voiding_ids
            if voided:
                stored_voided.add(record.statement_id)
            body = finalize_body(record.body_template, stored_us, needs_timestamp=record.needs_timestamp)
            rows.append(
                (
                    seq,
                    tenant,
                    record.statement_id,
                    stored_us,
                    int(voided),
                    int(record.voiding),
                    record.ref_target,
                    json.dumps(sorted(ids)),
                    body,
                )
            )
            key_rows.extend((key_id, seq) for key_id in ids)
        conn.executemany(
            "INSERT INTO statements (seq, tenant, statement_id, stored_us, voided, voiding, ref_target, key_ids, body)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        self._add_key_rows(conn, key_rows)

        targets = [r.ref_target for r in records if r.voiding and r.ref_target and r.ref_target not in in_batch]
        if targets:
            sql = "UPDATE statements SET voided = 1 WHERE tenant = ? AND voiding = 0 AND statement_id IN ({marks})"
            self._rows_in(conn, sql, tenant, targets)
        self._propagate_references(conn, tenant, new_ids)
        return stored_voided

    @staticmethod
    def _add_key_rows(conn: sqlite3.Connection, rows: Sequence[tuple[int, int]]) -> None:
        """Index (key, statement) pairs and keep each key's statement count (it picks the driving key)."""
        conn.executemany("INSERT OR IGNORE INTO statement_keys (key_id, seq) VALUES (?, ?)", rows)
        counts = Counter(key_id for key_id, _ in rows)
        conn.executemany("UPDATE key_ids SET n = n + ? WHERE id = ?", [(n, key_id) for key_id, n in counts.items()])

    def _target_inheritable(self, conn: sqlite3.Connection, tenant: str, target: str) -> set[int]:
        row = conn.execute(
            "SELECT key_ids FROM statements WHERE tenant = ? AND statement_id = ?", (tenant, target)
        ).fetchone()
        return self._inheritable_ids(conn, json.loads(row[0])) if row else set()

    def _propagate_references(self, conn: sqlite3.Connection, tenant: str, new_ids: Sequence[str]) -> None:
        """Give every statement that targets a new one (directly or down a chain) the new inheritable keys."""
        queue = list(new_ids)
        visited: set[str] = set()
        while queue:
            target = queue.pop()
            if target in visited:
                continue
            visited.add(target)
            referencers = conn.execute(
                "SELECT seq, statement_id, key_ids FROM statements WHERE tenant = ? AND ref_target = ?",
                (tenant, target),
            ).fetchall()
            if not referencers:
                continue
            inherited = self._target_inheritable(conn, tenant, target)
            for seq, statement_id, key_ids_text in referencers:
                own = set(json.loads(key_ids_text))
                missing = inherited - own
                if missing:
                    conn.execute(
                        "UPDATE statements SET key_ids = ? WHERE seq = ?", (json.dumps(sorted(own | missing)), seq)
                    )
                    self._add_key_rows(conn, [(key_id, seq) for key_id in missing])
                    queue.append(statement_id)

    @staticmethod
    def _merge_definitions(conn: sqlite3.Connection, tenant: str, records: Sequence[StatementRecord]) -> None:
        incoming: dict[str, list[tuple[Mapping[str, Any], bool]]] = {}
        for record in records:
            for activity_id, definition in record.activity_definitions.items():
                incoming.setdefault(activity_id, []).append((definition, record.define))
        for activity_id, definitions in incoming.items():
            row = conn.execute(
                "SELECT definition FROM activities WHERE tenant = ? AND activity_id = ?", (tenant, activity_id)
            ).fetchone()
            old = json.loads(row[0]) if row else None
            merged = apply_definitions(old, definitions)
            if merged != old:
                conn.execute(
                    "INSERT OR REPLACE INTO activities (tenant, activity_id, definition) VALUES (?, ?, ?)",
                    (tenant, activity_id, json.dumps(merged, ensure_ascii=False, separators=(",", ":"))),
                )

    # statements: reading -------------------------------------------------------------------------
    def get_statement(self, tenant: str, statement_id: str) -> StoredStatement | None:
        with self._guard():
            row = (
                self._conn()
                .execute(
                    "SELECT statement_id, body, stored_us, voided FROM statements"
                    " WHERE tenant = ? AND statement_id = ?",
                    (tenant, statement_id),
                )
                .fetchone()
            )
        return StoredStatement(row[0], row[1], row[2], bool(row[3])) if row else None

    def _seq_bounds(self, conn: sqlite3.Connection, query: StatementQuery) -> tuple[int, int]:
        """(low exclusive, high inclusive) seq range equivalent to the query's since/until/after."""
        low, high = 0, 2**62
        if query.since_us is not None:
            row = conn.execute(
                "SELECT seq FROM statements WHERE stored_us > ? ORDER BY stored_us, seq LIMIT 1", (query.since_us,)
            ).fetchone()
            low = row[0] - 1 if row else 2**62
        if query.until_us is not None:
            row = conn.execute(
                "SELECT seq FROM statements WHERE stored_us <= ? ORDER BY stored_us DESC, seq DESC LIMIT 1",
                (query.until_us,),
            ).fetchone()
            high = row[0] if row else 0
        if query.after is not None:
            if not query.after.isdigit():
                raise BadRequestError("the paging position is not valid for this store")
            after = int(query.after)
            if query.ascending:
                low = max(low, after)
            else:
                high = min(high, after - 1)
        return low, high

    def query_statements(self, tenant: str, query: StatementQuery) -> StatementPage:
        with self._guard():
            conn = self._conn()
            conn.execute("BEGIN")
            try:
                return self._query(conn, tenant, query)
            finally:
                conn.execute("COMMIT")

    def _query(self, conn: sqlite3.Connection, tenant: str, query: StatementQuery) -> StatementPage:
        counted: list[tuple[int, int]] = []
        for key in set(query.keys):
            row = conn.execute("SELECT n, id FROM key_ids WHERE tenant = ? AND key = ?", (tenant, key)).fetchone()
            if row is None:
                return StatementPage([], None)
            counted.append((int(row[0]), int(row[1])))
        # The rarest key drives the index scan; the others are probed on the index before any row is read.
        key_ids = [key_id for _, key_id in sorted(counted)]
        low, high = self._seq_bounds(conn, query)
        if low >= high:
            return StatementPage([], None)
        order = "ASC" if query.ascending else "DESC"
        params: list[Any]
        if key_ids:
            probes = "".join(
                " AND EXISTS (SELECT 1 FROM statement_keys p WHERE p.key_id = ? AND p.seq = k.seq)" for _ in key_ids[1:]
            )
            sql = (
                "SELECT s.seq, s.statement_id, s.body, s.stored_us FROM statement_keys k"  # noqa: S608
                " JOIN statements s ON s.seq = k.seq"
                f" WHERE k.key_id = ? AND k.seq > ? AND k.seq <= ? AND s.tenant = ? AND s.voided = 0{probes}"
                f" ORDER BY k.seq {order} LIMIT ?"
            )
            params = [key_ids[0], low, high, tenant, *key_ids[1:], query.limit + 1]
        else:
            sql = (
                "SELECT seq, statement_id, body, stored_us FROM statements"  # noqa: S608
                f" WHERE tenant = ? AND voided = 0 AND seq > ? AND seq <= ? ORDER BY seq {order} LIMIT ?"
            )
            params = [tenant, low, high, query.limit + 1]
        rows = conn.execute(sql, params).fetchall()
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        statements = [StoredStatement(r[1], r[2], r[3], False) for r in rows]
        return StatementPage(statements, str(rows[-1][0]) if more and rows else None)

    def get_activity_definitions(self, tenant: str, activity_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        sql = "SELECT activity_id, definition FROM activities WHERE tenant = ? AND activity_id IN ({marks})"
        with self._guard():
            rows = self._rows_in(self._conn(), sql, tenant, list(dict.fromkeys(activity_ids)))
        return {activity_id: json.loads(text) for activity_id, text in rows}

    def consistent_through_us(self) -> int:
        """Exact for SQLite: ``stored`` is taken under the write lock, so while nobody holds that lock every
        statement stored before now is committed; while a writer holds it, everything before the newest
        committed ``stored`` is (the writer's own ``stored`` cannot be lower)."""
        probe = self._probe()
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # a write is in flight (or the file is briefly busy)
            with self._guard():  # the main connection waits out transient locks
                return self._newest_stored(self._conn())
        try:
            return stored_now_us()
        finally:
            with suppress(sqlite3.Error):
                probe.execute("ROLLBACK")

    def _probe(self) -> sqlite3.Connection:
        """A second connection per thread that never waits for the write lock."""
        probe: sqlite3.Connection | None = getattr(self._local, "probe", None)
        if probe is None:
            try:
                probe = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                probe.execute("PRAGMA busy_timeout = 0")
            except sqlite3.Error as exc:
                raise StorageUnavailableError("the embedded database cannot be opened") from exc
            self._local.probe = probe
        return probe

    def latest_stored_us(self) -> int:
        with self._guard():
            return self._newest_stored(self._conn())

    def count_statements(self, tenant: str) -> int:
        with self._guard():
            row = self._conn().execute("SELECT COUNT(*) FROM statements WHERE tenant = ?", (tenant,)).fetchone()
        return int(row[0])
