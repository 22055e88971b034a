"""Attachment content in the SQLite store: one row per (tenant, sha2), written in the statement batch's
transaction (``SQLiteStore.insert_statements`` calls :meth:`SQLiteAttachments._insert_attachments`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

ATTACHMENTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS attachments (
    id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, sha2 TEXT NOT NULL, content BLOB NOT NULL,
    UNIQUE (tenant, sha2));
"""


class SQLiteAttachments:
    """Mixin of :class:`lrs.storage.sqlite.SQLiteStore`."""

    # provided by SQLiteStore
    _conn: Callable[[], sqlite3.Connection]
    _guard: Callable[[], AbstractContextManager[None]]
    _rows_in: Callable[[sqlite3.Connection, str, str, Sequence[str]], list[tuple[Any, ...]]]

    @staticmethod
    def _init_attachments(conn: sqlite3.Connection) -> None:
        conn.executescript(ATTACHMENTS_SCHEMA)

    @staticmethod
    def _insert_attachments(conn: sqlite3.Connection, tenant: str, attachments: Mapping[str, bytes] | None) -> None:
        if attachments:
            conn.executemany(
                "INSERT OR IGNORE INTO attachments (tenant, sha2, content) VALUES (?, ?, ?)",
                [(tenant, sha2, content) for sha2, content in attachments.items()],
            )

    def get_attachments(self, tenant: str, sha2s: Sequence[str]) -> dict[str, bytes]:
        wanted = list(dict.fromkeys(sha2s))
        if not wanted:
            return {}
        sql = "SELECT sha2, content FROM attachments WHERE tenant = ? AND sha2 IN ({marks})"
        with self._guard():
            rows = self._rows_in(self._conn(), sql, tenant, wanted)
        return {str(sha2): bytes(content) for sha2, content in rows}
