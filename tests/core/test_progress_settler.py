"""The background settler: refolds dirty progress rows only while the worker is idle, in bounded steps."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from lrs.errors import StorageUnavailableError
from lrs.progress.settler import Settler
from lrs.storage.sqlite import SQLiteStore
from tests.storage.test_progress_contract import ANI, BUDI, LATSAR, MATERI, completed, put, write


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeStore:
    """Dirty rows per training; settle_progress takes up to ``limit`` of them and may end the quiet."""

    def __init__(self, dirty: dict[tuple[str, str], int], on_settle: object = None) -> None:
        self.stored_us = 0  # the newest statement's stored time
        self.dirty = dict(dirty)
        self.calls: list[tuple[str, str, int]] = []
        self.on_settle = on_settle

    def latest_stored_us(self) -> int:
        return self.stored_us

    def dirty_trainings(self, limit: int) -> list[tuple[str, str]]:
        return [pair for pair, count in self.dirty.items() if count][:limit]

    def settle_progress(self, tenant: str, training_id: str, limit: int) -> int:
        self.calls.append((tenant, training_id, limit))
        done = min(limit, self.dirty[(tenant, training_id)])
        self.dirty[(tenant, training_id)] -= done
        if callable(self.on_settle):
            self.on_settle()
        return done


def test_settles_everything_in_bounded_steps_when_quiet() -> None:
    clock = Clock()
    store = FakeStore({("a", "t1"): 450, ("b", "t2"): 3})
    settler = Settler(store, quiet_s=0.3, batch=200, clock=clock)  # type: ignore[arg-type]
    clock.now += 1
    assert settler.settle() == 453
    assert store.calls == [("a", "t1", 200)] * 3 + [("b", "t2", 200)]
    assert settler.settle() == 0 and store.dirty_trainings(10) == []


def test_does_nothing_during_a_request_or_right_after_one() -> None:
    clock = Clock()
    store = FakeStore({("a", "t1"): 5})
    settler = Settler(store, quiet_s=0.3, clock=clock)  # type: ignore[arg-type]
    clock.now += 1
    settler.begin()
    clock.now += 5  # a long request: still busy
    assert settler.settle() == 0 and store.calls == []
    settler.end()
    clock.now += 0.1
    assert settler.settle() == 0  # not quiet long enough yet
    clock.now += 0.3
    assert settler.settle() == 5


def test_waits_while_any_worker_stores_statements() -> None:
    clock = Clock()
    wall = [5_000_000_000]
    store = FakeStore({("a", "t1"): 5})
    settler = Settler(store, quiet_s=1.0, clock=clock, wall_us=lambda: wall[0])  # type: ignore[arg-type]
    clock.now += 10  # this worker is idle...
    store.stored_us = wall[0] - 400_000  # ...but a statement was stored 0.4 s ago (another worker, another server)
    assert settler.settle() == 0 and store.calls == []
    wall[0] += 700_000  # 1.1 s since the newest statement: ingest paused
    assert settler.settle() == 5


def test_stops_between_steps_when_a_request_arrives() -> None:
    clock = Clock()
    settler: Settler
    store = FakeStore({("a", "t1"): 1000}, on_settle=lambda: settler.begin())  # noqa: PLW0108  (bound later)
    settler = Settler(store, batch=100, clock=clock)  # type: ignore[arg-type]
    clock.now += 1
    assert settler.settle() == 100  # one step, then the request has priority
    assert store.dirty[("a", "t1")] == 900


def test_the_thread_settles_a_real_store_and_survives_store_errors(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "lrs.sqlite3")
    store.init_schema()
    put(store, "acme", LATSAR)
    write(store, "acme", [completed(ANI, MATERI, 0), completed(BUDI, MATERI, 1)], LATSAR)
    assert store.dirty_trainings(10) == [("acme", "latsar")]
    failures = []
    real = store.dirty_trainings

    def flaky(limit: int) -> list[tuple[str, str]]:
        if not failures:
            failures.append(1)
            raise StorageUnavailableError("the embedded database failed; retry")
        return real(limit)

    store.dirty_trainings = flaky  # type: ignore[method-assign]
    settler = Settler(store, interval_s=0.01, quiet_s=0.0)
    settler.start()
    try:
        deadline = time.monotonic() + 10
        while real(10) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        settler.stop()
    assert failures == [1] and real(10) == []
    assert store.settle_progress("acme", "latsar", 10) == 0  # the rows were refolded by the thread


def test_collects_garbage_once_per_quiet_period_after_requests(monkeypatch: Any) -> None:
    collected: list[int] = []
    monkeypatch.setattr("lrs.progress.settler.gc.collect", lambda: collected.append(1) or 0)
    clock = Clock()
    settler = Settler(FakeStore({}), quiet_s=1.0, clock=clock)  # type: ignore[arg-type]
    clock.now += 5
    assert not settler.collect_garbage()  # no request served since start: nothing to collect
    settler.begin()
    assert not settler.collect_garbage()  # busy
    settler.end()
    clock.now += 0.5
    assert not settler.collect_garbage()  # not quiet yet
    clock.now += 1
    assert settler.collect_garbage() and not settler.collect_garbage()  # once per quiet period
    assert collected == [1]
