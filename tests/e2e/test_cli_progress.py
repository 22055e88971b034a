"""`lrs progress rebuild`: recomputes the projection from the statements, with a counter on stderr."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from api.cli import main
from lrs.cursor import CursorCodec
from lrs.progress.events import STANDALONE, ProgressEvent
from lrs.progress.rules import progress_rows
from lrs.progress.service import ProgressService
from lrs.statements import StatementService
from lrs.storage.port import MicroEventQuery
from lrs.storage.sqlite import SQLiteStore
from tests.progress_data import generate, live_events

AUTHORITY = {"objectType": "Agent", "name": "lms", "mbox": "mailto:lms@example.gov"}


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LRS_DATA_DIR", str(tmp_path))
    return tmp_path


def test_rebuild_restores_a_damaged_projection(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tenants", "create", "bkn"]) == 0
    assert main(["tenants", "create", "lan"]) == 0
    data = generate(seed=3, learners=5)
    store = SQLiteStore(data_dir / "lrs.sqlite3")
    statements = StatementService(store, CursorCodec(b"k" * 32))
    progress = ProgressService(store, statements.trainings)
    for training in data.trainings:
        progress.put_training("bkn", training)
    statements.store_statements("bkn", data.statements, authority=AUTHORITY)
    want = {
        t.id: progress_rows(t, live_events(data.statements, data.trainings, voided=data.voided)) for t in data.trainings
    }
    assert {t.id: progress.rows("bkn", t.id) for t in data.trainings} == want
    micro_want = sorted_micro(live_events(data.statements, data.trainings, voided=data.voided))
    assert len(micro_want) > 3 and micro_events(store, "bkn") == micro_want
    with sqlite3.connect(data_dir / "lrs.sqlite3") as conn:  # lose part of the projection
        conn.execute("DELETE FROM progress_rows WHERE training = 'latsar'")
        conn.execute("DELETE FROM event_blocks WHERE training = 'pim'")
        conn.execute("DELETE FROM event_blocks WHERE training = '' AND first < '8'")
        conn.execute(  # and a stale one
            "INSERT INTO event_blocks VALUES ('bkn', '', 'mbox:mailto:x@y', 5, 'stale', 0, 5, 5,"
            ' \'[["stale","https://x",1,"x",5,null,60000,null]]\')'
        )
    assert progress.rows("bkn", "latsar") == []
    capsys.readouterr()

    assert main(["progress", "rebuild", "--tenant", "bkn"]) == 0
    out, err = capsys.readouterr()
    assert "bkn/latsar: rebuilt" in out and "bkn/pim: rebuilt" in out
    assert "statements read" in err
    assert {t.id: progress.rows("bkn", t.id) for t in data.trainings} == want
    assert "bkn/microlearning: rebuilt" in out and micro_events(store, "bkn") == micro_want

    assert main(["progress", "rebuild"]) == 0  # every tenant; running it again changes nothing
    assert {t.id: progress.rows("bkn", t.id) for t in data.trainings} == want
    assert micro_events(store, "bkn") == micro_want
    out = capsys.readouterr().out
    assert "lan/microlearning: rebuilt: 0 statements, 0 events" in out
    assert "lan/latsar" not in out  # a tenant without trainings has no training to rebuild


def micro_events(store: SQLiteStore, tenant: str) -> list[ProgressEvent]:
    return sorted_micro(store.list_micro_events(tenant, MicroEventQuery(0, 2**62)))


def sorted_micro(events: list[ProgressEvent]) -> list[ProgressEvent]:
    return sorted((e for e in events if e.training == STANDALONE), key=lambda e: (e.at_us, e.statement_id))


def test_rebuild_of_an_unknown_tenant_fails_cleanly(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["progress", "rebuild", "--tenant", "nope"]) == 2
    assert "no tenant 'nope'" in capsys.readouterr().err
