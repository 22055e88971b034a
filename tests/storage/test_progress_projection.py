"""The projection maintained at ingest equals the one rebuilt from the statements, on every adapter.

A realistic generated data set (``tests.progress_data.generate``: two trainings, microlearning, ~3 % of the
statements voided) is ingested through the statement service statement by statement and in batches, with the
voiding statements after their targets (as they arrive) and before them (targets stored already voided).  The
rows read from the store must equal ``progress_rows`` over the live statements' events (the pure rules), and
stay the same after ``rebuild``.  Trainings put after the statements exist, or in the middle of the ingest, or
changed through another worker, give the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from itertools import islice
from typing import Any

import pytest

from lrs.cursor import CursorCodec
from lrs.progress.events import STANDALONE, ProgressEvent, voided_target
from lrs.progress.rules import ProgressRow, progress_rows
from lrs.progress.service import ProgressService
from lrs.progress.training import Training
from lrs.statements import StatementService
from lrs.storage.port import MicroEventQuery, ProgressRowQuery, Store
from tests.progress_data import Dataset, generate, live_events

AUTHORITY = {"objectType": "Agent", "name": "lms", "mbox": "mailto:lms@example.gov"}
TENANT = "bkn"


@pytest.fixture(scope="module")
def data() -> Dataset:
    return generate(seed=11, learners=6, void_rate=0.06)


def expected(data: Dataset) -> dict[str, list[ProgressRow]]:
    events = live_events(data.statements, data.trainings, voided=data.voided)
    return {training.id: progress_rows(training, events) for training in data.trainings}


def expected_micro(data: Dataset, trainings: list[Training] | None = None) -> list[ProgressEvent]:
    """The standalone events of the live statements with these trainings (default: the data set's), as read."""
    events = live_events(data.statements, data.trainings if trainings is None else trainings, voided=data.voided)
    return sorted((e for e in events if e.training == STANDALONE), key=lambda e: (e.at_us, e.statement_id))


def read_micro(store: Store) -> list[ProgressEvent]:
    """Every microlearning event of the tenant, by time (the store gives no order)."""
    events = store.list_micro_events(TENANT, MicroEventQuery(0, 2**62))
    return sorted(events, key=lambda e: (e.at_us, e.statement_id))


def voiding_first(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every voiding statement moved before its target: the targets arrive already voided."""
    voids = [s for s in statements if voided_target(s) is not None]
    return voids + [s for s in statements if voided_target(s) is None]


def batches(statements: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(statements), size):
        yield statements[start : start + size]


def services(store: Store) -> tuple[StatementService, ProgressService]:
    statements = StatementService(store, CursorCodec(b"k" * 32))
    return statements, ProgressService(store, statements.trainings, page_size=7)


def ingest(statements: StatementService, bodies: list[dict[str, Any]], size: int) -> None:
    for batch in batches(bodies, size):
        statements.store_statements(TENANT, batch, authority=AUTHORITY)


def read_rows(progress: ProgressService, data: Dataset) -> dict[str, list[ProgressRow]]:
    """Every row of every training, read page by page (pages of 5)."""
    found: dict[str, list[ProgressRow]] = {}
    for training in data.trainings:
        rows: list[ProgressRow] = []
        after = None
        while True:
            page = progress.rows(TENANT, training.id, ProgressRowQuery(after=after, limit=5))
            rows.extend(page)
            if len(page) < 5:
                break
            after = page[-1].learner
        found[training.id] = rows
    return found


@pytest.mark.parametrize("order", ["arrival", "voiding_first"])
@pytest.mark.parametrize("size", [1, 25])
def test_incremental_equals_rebuilt(store: Store, data: Dataset, order: str, size: int) -> None:
    statements, progress = services(store)
    for training in data.trainings:
        progress.put_training(TENANT, training)
    bodies = data.statements if order == "arrival" else voiding_first(data.statements)
    ingest(statements, bodies, size)
    want = expected(data)
    assert sum(len(rows) for rows in want.values()) > 10  # the data set is not trivial
    assert read_rows(progress, data) == want
    micro = expected_micro(data)
    assert len(micro) > 5 and read_micro(store) == micro
    reports = progress.rebuild_tenant(TENANT)
    assert [report.replaced for report in reports] == [True, True]
    assert read_rows(progress, data) == want
    assert progress.rebuild_micro(TENANT)[1] == len(micro)
    assert read_micro(store) == micro


def test_rows_read_between_batches_see_every_committed_batch(store: Store, data: Dataset) -> None:
    """Ingest marks rows dirty and reads refold them: one learner's row read alone, then the whole training,
    after every batch (voiding included), always equal the pure rules over the statements stored so far."""
    statements, progress = services(store)
    for training in data.trainings:
        progress.put_training(TENANT, training)
    stored: list[dict[str, Any]] = []
    for number, batch in enumerate(batches(data.statements, 40)):
        statements.store_statements(TENANT, batch, authority=AUTHORITY)
        stored.extend(batch)
        voided = {target for s in stored if (target := voided_target(s)) is not None}
        events = live_events(stored, data.trainings, voided=voided)
        for training in data.trainings:
            want = progress_rows(training, events)
            if want and number % 2:  # one row first: the rest stay dirty until the page read
                one = want[number % len(want)]
                assert progress.row(TENANT, training.id, one.learner) == one
            assert progress.rows(TENANT, training.id, ProgressRowQuery(limit=1000)) == want
    assert read_rows(progress, data) == expected(data)


def test_trainings_put_after_the_statements_give_the_same_rows(store: Store, data: Dataset) -> None:
    statements, progress = services(store)
    ingest(statements, data.statements, 50)
    assert read_rows(progress, data) == {training.id: [] for training in data.trainings}
    assert read_micro(store) == expected_micro(data, [])  # without trainings, all of it is microlearning
    for training in data.trainings:
        reads: list[int] = []
        report = progress.put_training(TENANT, training, progress=reads.append)
        assert report.replaced and report.statements > 7 and report.rows > 0
        assert reads == sorted(reads) and reads[-1] == report.statements  # pages of 7: several counts
    assert read_rows(progress, data) == expected(data)
    assert read_micro(store) == expected_micro(data)


def test_a_training_put_in_the_middle_of_the_ingest(store: Store, data: Dataset) -> None:
    statements, progress = services(store)
    half = len(data.statements) // 2
    progress.put_training(TENANT, data.trainings[0])
    ingest(statements, data.statements[:half], 20)
    progress.put_training(TENANT, data.trainings[1])
    ingest(statements, data.statements[half:], 20)
    assert read_rows(progress, data) == expected(data)
    assert read_micro(store) == expected_micro(data)


def test_a_training_put_through_another_worker_takes_effect_at_once(store: Store, data: Dataset) -> None:
    worker_a, _ = services(store)
    _, progress_b = services(store)  # another worker: its own caches, the same store
    worker_a.store_statements(TENANT, data.statements[:1], authority=AUTHORITY)  # worker A caches "no trainings"
    for training in data.trainings:
        progress_b.put_training(TENANT, training)
    ingest(worker_a, data.statements[1:], 30)  # refused once as stale, reloaded, retried
    assert read_rows(progress_b, data) == expected(data)
    assert read_micro(store) == expected_micro(data)


def test_changing_a_training_recomputes_its_rows(store: Store, data: Dataset) -> None:
    statements, progress = services(store)
    latsar = data.trainings[0]
    progress.put_training(TENANT, latsar)
    ingest(statements, data.statements, 50)
    without_passing = replace(latsar, passing=None, title="Latsar (no test)")
    progress.put_training(TENANT, without_passing)
    events = live_events(data.statements, [without_passing], voided=data.voided)
    assert progress.rows(TENANT, latsar.id) == progress_rows(without_passing, events)
    assert progress.get_training(TENANT, latsar.id) == without_passing
    assert read_micro(store) == expected_micro(data, [without_passing])
    # another course IRI, without the first module: that module's statements concern no training any more
    fewer = replace(without_passing, course=without_passing.course + "-2", modules=without_passing.modules[1:])
    assert len(expected_micro(data, [fewer])) > len(expected_micro(data, [without_passing]))
    progress.put_training(TENANT, fewer)
    assert read_micro(store) == expected_micro(data, [fewer])
    assert progress.delete_training(TENANT, latsar.id)
    assert progress.rows(TENANT, latsar.id) == []
    assert read_micro(store) == expected_micro(data, [])
    statements.store_statements(TENANT, data.statements[:3], authority=AUTHORITY)  # already stored: no change
    assert progress.list_trainings(TENANT) == []


def test_summary_and_views_equal_the_rows_rendered_from_separate_reads(store: Store, data: Dataset) -> None:
    from lrs.progress.reports import RowFilter, all_rows, summary_and_views, training_summary
    from lrs.progress.rules import Status, summarize
    from lrs.progress.views import row_view

    statements, progress = services(store)
    latsar = data.trainings[0]
    progress.put_training(TENANT, latsar)
    ingest(statements, data.statements, 50)
    every = progress.rows(TENANT, latsar.id)
    assert len(every) >= 4
    assert training_summary(progress, TENANT, latsar.id) == summarize(every)
    filters = [RowFilter(), RowFilter(statuses=(Status.IN_PROGRESS,)), RowFilter(not_completed=latsar.modules[0].id)]
    for row_filter in filters:
        for after in (None, every[0].learner, every[-2].learner, every[-1].learner):
            for limit in (1, 2, len(every) - 1, len(every), 1000):
                summary, page = summary_and_views(progress, TENANT, latsar, row_filter, after=after, limit=limit)
                assert summary == summarize(every)
                rows = list(islice(all_rows(progress, TENANT, latsar.id, row_filter, after=after), limit + 1))
                assert [json.loads(view) for view in page.views] == [row_view(row, latsar) for row in rows[:limit]]
                assert page.next_after == (rows[limit - 1].learner if len(rows) > limit else None)
