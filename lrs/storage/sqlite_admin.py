"""SQLite adapter, administration part: tenant updates, credential revocation and rotation, the audit log.

Mixed into :class:`lrs.storage.sqlite.SQLiteStore`, whose connection helpers it uses.

* ``credentials`` gains ``role`` and ``rotated_us`` (added to older files by :meth:`_init_admin_schema`).
* ``audit_log``: one row per administrative action, ``seq`` (rowid) in insertion order; ``details`` is JSON.

Revocation and rotation are single conditional ``UPDATE`` statements on the row every request reads, so they
take effect for the next request in every process sharing the file.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from lrs.storage.port import AuditEntry, AuditQuery, Tenant

_ADMIN_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY, entry_id TEXT NOT NULL UNIQUE, time_us INTEGER NOT NULL,
    actor_key TEXT NOT NULL, actor_role TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
    tenant TEXT NOT NULL, remote_addr TEXT NOT NULL, request_id TEXT NOT NULL, details TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit_log (time_us);
CREATE INDEX IF NOT EXISTS audit_by_tenant ON audit_log (tenant, time_us);
"""
# Columns added to ``credentials`` after its first release, with their definitions.
_CREDENTIAL_ADDITIONS = (("role", "TEXT NOT NULL DEFAULT 'client'"), ("rotated_us", "INTEGER"))
_AUDIT_COLUMNS = "entry_id, time_us, actor_key, actor_role, action, target, tenant, remote_addr, request_id, details"


class SQLiteAdminMixin:
    """Mixin of :class:`lrs.storage.sqlite.SQLiteStore`: the administration part of the storage port."""

    # provided by SQLiteStore
    _conn: Callable[[], sqlite3.Connection]
    _guard: Callable[[], AbstractContextManager[None]]

    def _init_admin_schema(self, conn: sqlite3.Connection) -> None:
        """Create the audit table and add missing credential columns (idempotent; safe when workers race)."""
        conn.executescript(_ADMIN_SCHEMA)
        present = {row[1] for row in conn.execute("PRAGMA table_info(credentials)")}
        for column, definition in _CREDENTIAL_ADDITIONS:
            if column not in present:
                try:
                    conn.execute(f"ALTER TABLE credentials ADD COLUMN {column} {definition}")
                except sqlite3.OperationalError as exc:  # another worker added it meanwhile
                    if "duplicate column" not in str(exc):
                        raise

    # tenants -------------------------------------------------------------------------------------
    def update_tenant(self, slug: str, *, name: str | None = None, status: str | None = None) -> Tenant | None:
        with self._guard():
            conn = self._conn()
            conn.execute(
                "UPDATE tenants SET name = COALESCE(?, name), status = COALESCE(?, status) WHERE slug = ?",
                (name, status, slug),
            )
            row = conn.execute("SELECT slug, name, status, created_us FROM tenants WHERE slug = ?", (slug,)).fetchone()
        return Tenant(*row) if row else None

    # credentials ---------------------------------------------------------------------------------
    def revoke_credential(self, key: str, revoked_us: int) -> bool:
        with self._guard():
            cursor = self._conn().execute(
                "UPDATE credentials SET revoked_us = ? WHERE key = ? AND revoked_us IS NULL", (revoked_us, key)
            )
        return cursor.rowcount == 1

    def replace_credential_secret(self, key: str, secret_hash: str, rotated_us: int) -> bool:
        with self._guard():
            cursor = self._conn().execute(
                "UPDATE credentials SET secret_hash = ?, rotated_us = ? WHERE key = ? AND revoked_us IS NULL",
                (secret_hash, rotated_us, key),
            )
        return cursor.rowcount == 1

    # audit log -----------------------------------------------------------------------------------
    def append_audit(self, entry: AuditEntry) -> None:
        with self._guard():
            self._conn().execute(
                f"INSERT INTO audit_log ({_AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                (
                    entry.entry_id,
                    entry.time_us,
                    entry.actor_key,
                    entry.actor_role,
                    entry.action,
                    entry.target,
                    entry.tenant,
                    entry.remote_addr,
                    entry.request_id,
                    json.dumps(dict(entry.details), separators=(",", ":")),
                ),
            )

    def query_audit(self, query: AuditQuery) -> list[AuditEntry]:
        clauses: list[str] = []
        values: list[Any] = []
        for column, value in (("tenant", query.tenant), ("actor_key", query.actor), ("action", query.action)):
            if value is not None:
                clauses.append(f"{column} = ?")
                values.append(value)
        if query.since_us is not None:
            clauses.append("time_us > ?")
            values.append(query.since_us)
        if query.until_us is not None:
            clauses.append("time_us <= ?")
            values.append(query.until_us)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._guard():
            rows = (
                self._conn()
                .execute(
                    f"SELECT {_AUDIT_COLUMNS} FROM audit_log {where} ORDER BY time_us DESC, seq DESC LIMIT ?",  # noqa: S608
                    (*values, max(query.limit, 0)),
                )
                .fetchall()
            )
        return [_entry(row) for row in rows]


def _entry(row: Sequence[Any]) -> AuditEntry:
    entry_id, time_us, actor_key, actor_role, action, target, tenant, remote_addr, request_id, details = row
    return AuditEntry(
        entry_id, time_us, actor_key, actor_role, action, target, tenant, remote_addr, request_id, json.loads(details)
    )
