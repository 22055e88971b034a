"""SQLite part of the document resources (State, Activity Profile, Agent Profile): one ``documents`` table.

A row is keyed by ``(tenant, kind, activity_id, agent, registration, document_id)``; parts a resource does not
use are ``""`` (a State document without registration has ``registration = ''``).  ``content`` is a BLOB holding
the exact bytes.  Every write is one statement (autocommit), so it is atomic; conditional writes compare the
stored ETag inside that statement, which makes them compare-and-swap operations.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from lrs.storage.port import Document, DocumentContext

DOCUMENTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    tenant TEXT NOT NULL,
    kind TEXT NOT NULL,
    activity_id TEXT NOT NULL,
    agent TEXT NOT NULL,
    registration TEXT NOT NULL,
    document_id TEXT NOT NULL,
    content BLOB NOT NULL,
    content_type TEXT NOT NULL,
    etag TEXT NOT NULL,
    updated_us INTEGER NOT NULL,
    PRIMARY KEY (tenant, kind, activity_id, agent, registration, document_id));
"""

_KEY = "tenant = ? AND kind = ? AND activity_id = ? AND agent = ? AND registration = ? AND document_id = ?"


def _key(tenant: str, context: DocumentContext, document_id: str) -> tuple[str, ...]:
    return (tenant, context.kind, context.activity_id, context.agent, context.registration or "", document_id)


def _context_filter(tenant: str, context: DocumentContext) -> tuple[str, list[Any]]:
    """WHERE clause and parameters of every document of a context (any registration when it is None)."""
    sql = "tenant = ? AND kind = ? AND activity_id = ? AND agent = ?"
    params: list[Any] = [tenant, context.kind, context.activity_id, context.agent]
    if context.registration is not None:
        sql += " AND registration = ?"
        params.append(context.registration)
    return sql, params


class SQLiteDocuments:
    """Mixin of :class:`lrs.storage.sqlite.SQLiteStore`: the document part of the storage port."""

    # provided by SQLiteStore
    _conn: Callable[[], sqlite3.Connection]
    _guard: Callable[[], AbstractContextManager[None]]

    def _init_documents(self, conn: sqlite3.Connection) -> None:
        conn.executescript(DOCUMENTS_SCHEMA)

    def get_document(self, tenant: str, context: DocumentContext, document_id: str) -> Document | None:
        with self._guard():
            row = (
                self._conn()
                .execute(
                    f"SELECT document_id, content, content_type, etag, updated_us FROM documents WHERE {_KEY}",  # noqa: S608
                    _key(tenant, context, document_id),
                )
                .fetchone()
            )
        return _document(row) if row else None

    def list_documents(self, tenant: str, context: DocumentContext, since_us: int | None = None) -> list[Document]:
        where, params = _context_filter(tenant, context)
        if since_us is not None:
            where += " AND updated_us > ?"
            params.append(since_us)
        with self._guard():
            rows = (
                self._conn()
                .execute(
                    f"SELECT document_id, X'', content_type, etag, updated_us FROM documents WHERE {where}"  # noqa: S608
                    " ORDER BY updated_us, document_id",
                    params,
                )
                .fetchall()
            )
        return [_document(row) for row in rows]

    def write_document(
        self, tenant: str, context: DocumentContext, document: Document, *, expected_etag: str | None
    ) -> bool:
        values = (document.content, document.content_type, document.etag, document.updated_us)
        with self._guard():
            conn = self._conn()
            if expected_etag is None:
                cursor = conn.execute(
                    "INSERT INTO documents (tenant, kind, activity_id, agent, registration, document_id,"
                    " content, content_type, etag, updated_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT DO NOTHING",
                    (*_key(tenant, context, document.document_id), *values),
                )
            else:
                cursor = conn.execute(
                    f"UPDATE documents SET content = ?, content_type = ?, etag = ?, updated_us = ? WHERE {_KEY}"  # noqa: S608
                    " AND etag = ?",
                    (*values, *_key(tenant, context, document.document_id), expected_etag),
                )
        return cursor.rowcount == 1

    def delete_document(self, tenant: str, context: DocumentContext, document_id: str, *, expected_etag: str) -> bool:
        with self._guard():
            cursor = self._conn().execute(
                f"DELETE FROM documents WHERE {_KEY} AND etag = ?",  # noqa: S608
                (*_key(tenant, context, document_id), expected_etag),
            )
        return cursor.rowcount == 1

    def delete_documents(self, tenant: str, context: DocumentContext) -> int:
        where, params = _context_filter(tenant, context)
        with self._guard():
            cursor = self._conn().execute(f"DELETE FROM documents WHERE {where}", params)  # noqa: S608
        return cursor.rowcount


def _document(row: Sequence[Any]) -> Document:
    document_id, content, content_type, etag, updated_us = row
    return Document(str(document_id), bytes(content), str(content_type), str(etag), int(updated_us))
