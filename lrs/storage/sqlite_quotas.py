"""SQLite adapter, quotas part: per-tenant quota overrides and the shared rate counters.

Mixed into :class:`lrs.storage.sqlite.SQLiteStore`, whose connection helpers it uses.

* ``tenant_quotas`` (in the main database, durable like everything else): one row per tenant with overrides,
  ``quotas`` a JSON object of whole numbers.
* Rate counters live in a **separate file** next to the database (``counters.sqlite3``), opened with
  ``synchronous = OFF``: every worker process shares it, an increment is one atomic upsert that never waits
  for the disk nor for the main database's write lock.  Losing the counters in a crash only forgets the
  current window.  Expired rows are swept now and then.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from lrs.errors import StorageUnavailableError
from lrs.timeutil import now_us

_QUOTA_SCHEMA = "CREATE TABLE IF NOT EXISTS tenant_quotas (tenant TEXT PRIMARY KEY, quotas TEXT NOT NULL);"
_COUNTER_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    name TEXT NOT NULL, window INTEGER NOT NULL, n INTEGER NOT NULL, expires_us INTEGER NOT NULL,
    PRIMARY KEY (name, window)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS counters_by_expiry ON counters (expires_us);
"""
COUNTERS_FILE = "counters.sqlite3"
SWEEP_PROBABILITY = 0.001


class SQLiteQuotas:
    """Mixin of :class:`lrs.storage.sqlite.SQLiteStore`: the quotas part of the storage port."""

    # provided by SQLiteStore
    path: str
    _local: threading.local
    _busy_timeout_ms: int
    _conn: Callable[[], sqlite3.Connection]
    _guard: Callable[[], AbstractContextManager[None]]

    def _init_quotas(self, conn: sqlite3.Connection) -> None:
        conn.executescript(_QUOTA_SCHEMA)

    # overrides -----------------------------------------------------------------------------------
    def get_quota_overrides(self, tenant: str) -> dict[str, int]:
        with self._guard():
            row = self._conn().execute("SELECT quotas FROM tenant_quotas WHERE tenant = ?", (tenant,)).fetchone()
        return {str(k): int(v) for k, v in json.loads(row[0]).items()} if row else {}

    def set_quota_overrides(self, tenant: str, overrides: Mapping[str, int]) -> None:
        with self._guard():
            conn = self._conn()
            if overrides:
                conn.execute(
                    "INSERT INTO tenant_quotas (tenant, quotas) VALUES (?, ?)"
                    " ON CONFLICT (tenant) DO UPDATE SET quotas = excluded.quotas",
                    (tenant, json.dumps(dict(sorted(overrides.items())))),
                )
            else:
                conn.execute("DELETE FROM tenant_quotas WHERE tenant = ?", (tenant,))

    # counters ------------------------------------------------------------------------------------
    def _counters(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "counters", None)
        if conn is None:
            path = ":memory:" if self.path == ":memory:" else str(Path(self.path).with_name(COUNTERS_FILE))
            try:
                conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = OFF")
                conn.executescript(_COUNTER_SCHEMA)
            except sqlite3.Error as exc:
                raise StorageUnavailableError("the rate counters cannot be opened") from exc
            self._local.counters = conn
        return conn

    def increment_counter(self, name: str, window: int, expires_us: int) -> int:
        """Add one to counter ``name`` in ``window``; the new count.  Shared by every worker, not durable."""
        with self._guard():
            conn = self._counters()
            row = conn.execute(
                "INSERT INTO counters (name, window, n, expires_us) VALUES (?, ?, 1, ?)"
                " ON CONFLICT (name, window) DO UPDATE SET n = n + 1 RETURNING n",
                (name, window, expires_us),
            ).fetchone()
            if random.random() < SWEEP_PROBABILITY:  # noqa: S311 (not security relevant)
                conn.execute("DELETE FROM counters WHERE expires_us < ?", (now_us(),))
        return int(row[0])

    def read_counters(self, names: Sequence[str], window: int) -> list[int]:
        """Counts of ``names`` in ``window`` (0 for counters never incremented there), in order."""
        if not names:
            return []
        with self._guard():
            found = dict(
                self._counters()
                .execute(
                    f"SELECT name, n FROM counters WHERE window = ? AND name IN ({','.join('?' * len(names))})",  # noqa: S608 (placeholders only)
                    (window, *names),
                )
                .fetchall()
            )
        return [int(found.get(name, 0)) for name in names]
