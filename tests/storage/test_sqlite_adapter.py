"""SQLite-only behaviour: key statistics that pick the driving index, schema upgrade, file durability."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lrs.statements import prepare
from lrs.storage.sqlite import SQLiteStore
from tests.factories import AUTHORITY, make_statement, ref_to


def _records(*statements):  # type: ignore[no-untyped-def]
    return [prepare(s, authority=AUTHORITY, default_version="1.0.0")[2] for s in statements]


def _counts_match(path: Path) -> bool:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT k.n, (SELECT COUNT(*) FROM statement_keys s WHERE s.key_id = k.id) FROM key_ids k"
        ).fetchall()
    finally:
        conn.close()
    return bool(rows) and all(n == actual for n, actual in rows)


def test_key_counts_follow_inserts_and_inheritance(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "lrs.sqlite3")
    store.init_schema()
    target = make_statement()
    store.insert_statements("a", _records(ref_to(target["id"])))
    store.insert_statements("a", _records(target, make_statement(), make_statement()))
    assert _counts_match(tmp_path / "lrs.sqlite3")
    store.close()


def test_rarest_key_drives_the_query(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "lrs.sqlite3")
    store.init_schema()
    rare_verb = "http://ex.gov/verbs/rare"
    store.insert_statements(
        "a", _records(*[make_statement() for _ in range(30)], make_statement(verb={"id": rare_verb}))
    )
    statements: list[str] = []
    conn = store._conn()
    conn.set_trace_callback(statements.append)
    from lrs.statement_query import StatementFilter, to_storage_query
    from tests.factories import ACTIVITY

    page = store.query_statements("a", to_storage_query(StatementFilter(activity=ACTIVITY, verb=rare_verb), limit=10))
    conn.set_trace_callback(None)
    assert len(page.statements) == 1
    driving = next(sql for sql in statements if "FROM statement_keys k" in sql)
    rare_id = conn.execute("SELECT id FROM key_ids WHERE key = ?", ("verb|" + rare_verb,)).fetchone()[0]
    assert f"WHERE k.key_id = {rare_id} " in driving
    store.close()


def test_old_schema_is_upgraded_with_backfilled_counts(tmp_path: Path) -> None:
    path = tmp_path / "lrs.sqlite3"
    store = SQLiteStore(path)
    store.init_schema()
    store.insert_statements("a", _records(make_statement(), make_statement()))
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE key_ids DROP COLUMN n")
    conn.commit()
    conn.close()
    upgraded = SQLiteStore(path)
    upgraded.init_schema()
    assert _counts_match(path)
    upgraded.close()


def test_wal_and_full_sync(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "lrs.sqlite3")
    store.init_schema()
    conn = store._conn()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    store.close()
