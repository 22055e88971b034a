"""The projection's pure helpers: stored trainings and rows round-trip, refold, the events a batch adds."""

from __future__ import annotations

from typing import Any

import pytest

from lrs.progress.events import TrainingIndex, events_for_statement
from lrs.progress.projection import (
    TrainingCache,
    batch_events,
    micro_events_of,
    refold,
    refold_pairs,
    row_from_text,
    row_to_text,
    statement_events,
    training_events,
    training_from_text,
    training_text,
    voiding_targets,
)
from lrs.progress.rules import Status, fold
from lrs.progress.service import TrainingCatalog
from lrs.statements import prepare, with_progress
from lrs.storage.port import StoredTraining
from tests.factories import voiding
from tests.progress_data import SSO_HOMEPAGE, START, generate, latsar_body, pim_body, sso_agent, statement
from validators.training import parse_training

AUTHORITY = {"objectType": "Agent", "name": "lms", "mbox": "mailto:lms@example.gov"}
LATSAR = parse_training("latsar", latsar_body(), sso_homepage=SSO_HOMEPAGE)
PIM = parse_training("pim", pim_body(["111", {"mbox": "mailto:Budi@Example.go.id"}]), sso_homepage=SSO_HOMEPAGE)
MATERI = LATSAR.modules[0].id
ANI = sso_agent("111", "Ani")
ANI_KEY = 'account:["https://sso.example.go.id", "111"]'


def variants() -> list[Any]:
    body = latsar_body()
    body.pop("passing")
    return [
        LATSAR,
        PIM,
        parse_training("open", body, sso_homepage=SSO_HOMEPAGE),
        parse_training("result", {**latsar_body(), "passing": {"rule": "course_result"}}, sso_homepage=SSO_HOMEPAGE),
        parse_training("odd", {**latsar_body(), "jp": 0.07, "enrolment": []}, sso_homepage=SSO_HOMEPAGE),
    ]


@pytest.mark.parametrize("training", variants(), ids=lambda t: t.id)
def test_a_stored_training_reads_back_equal(training: Any) -> None:
    back = training_from_text(training_text(training))
    assert back == training
    assert [p.agent for p in back.coordinators] == [p.agent for p in training.coordinators]
    assert back.enrolled_keys() == training.enrolled_keys()


def test_rows_round_trip_through_text() -> None:
    passed = statement(ANI, "passed", LATSAR.modules[2].id, START, result={"score": {"scaled": 0.75}})
    direct = events_for_statement(passed, TrainingIndex([LATSAR]))
    for row in (fold(LATSAR, ANI_KEY, direct), fold(LATSAR, ANI_KEY, []), fold(PIM, ANI_KEY, [])):
        assert row_from_text(row_to_text(row)) == row
    assert fold(LATSAR, ANI_KEY, direct).outcome is Status.PASSED


def test_refold_follows_the_participants_rule() -> None:
    event = training_events(statement(ANI, "completed", PIM.modules[0].id, START), TrainingIndex([PIM]))
    assert refold(PIM, ANI_KEY, []).status is Status.NOT_STARTED  # type: ignore[union-attr]  # enrolled
    assert refold(PIM, "mbox:mailto:Budi@example.go.id", []) is not None  # the mbox domain is case-folded
    assert refold(PIM, "mbox:mailto:other@example.go.id", event) is None  # not enrolled
    assert refold(LATSAR, ANI_KEY, []) is None  # open enrolment, no events
    assert refold(LATSAR, ANI_KEY, training_events(statement(ANI, "completed", MATERI, START), TrainingIndex([LATSAR])))


def test_training_events_leave_out_microlearning_and_cost_nothing_without_trainings() -> None:
    micro = statement(ANI, "completed", "https://lms.example.go.id/micro/1", START, result={"duration": "PT5M"})
    assert events_for_statement(micro, TrainingIndex([LATSAR]))  # a standalone event exists ...
    assert training_events(micro, TrainingIndex([LATSAR])) == ()  # ... but is not kept by the projection
    assert training_events(statement(ANI, "completed", MATERI, START), TrainingIndex([])) == ()


@pytest.mark.parametrize("trainings", ["none", "latsar", "both"])
def test_statement_events_are_exactly_the_events_of_a_statement(trainings: str) -> None:
    """The fast path (no training named, no time carried: nothing computed) changes no statement's events."""
    data = generate(seed=4, learners=4, micro_per_learner=6)
    index = TrainingIndex({"none": [], "latsar": [LATSAR], "both": [LATSAR, PIM]}[trainings])
    kinds = set()
    for body in data.statements:
        want = tuple(events_for_statement(body, index))
        assert statement_events(body, index) == want
        kinds.add("micro" if want and want[0].training == "" else "training" if want else "none")
    assert kinds == ({"micro", "none"} if trainings == "none" else {"micro", "training", "none"})
    untimed = statement(ANI, "experienced", "https://kb.example.go.id/a", START)
    assert statement_events(untimed, index) == ()
    timed = {**untimed, "result": {"duration": "PT1M"}}
    assert [(e.training, e.duration_ms) for e in statement_events(timed, index)] == [("", 60_000)]
    assert micro_events_of(statement_events(timed, index)) == list(statement_events(timed, index))


def _record(body: dict[str, Any]) -> Any:
    _, enriched, base = prepare(body, authority=AUTHORITY, default_version="1.0.0")
    return with_progress(base, enriched, TrainingIndex([LATSAR, PIM]))


def test_batch_events_skip_voided_records_and_date_untimed_ones() -> None:
    timed = statement(ANI, "completed", MATERI, START)
    untimed = statement(ANI, "completed", LATSAR.modules[1].id, START)
    del untimed["timestamp"]
    voided = statement(ANI, "completed", LATSAR.modules[3].id, START)
    records = [_record(timed), _record(untimed), _record(voided), _record(voiding(timed["id"]))]
    assert records[0].progress_events and records[1].progress_events
    assert records[3].progress_events == ()
    stored_us = 1_800_000_000_000_000
    events = batch_events(records, stored_us, {voided["id"]})
    assert [(e.statement_id, e.at_us == stored_us) for e in events] == [(timed["id"], False), (untimed["id"], True)]
    assert voiding_targets(records) == [timed["id"]]


def test_with_progress_keeps_a_record_without_events_as_it_is() -> None:
    _, enriched, base = prepare(
        statement(ANI, "completed", "https://elsewhere.example/x", START), authority=AUTHORITY, default_version="1.0.0"
    )
    assert with_progress(base, enriched, TrainingIndex([LATSAR])) is base


def test_refold_pairs_groups_by_training_and_deletes_what_is_gone() -> None:
    loads: list[tuple[str, tuple[str, ...]]] = []
    materi = training_events(statement(ANI, "completed", MATERI, START), TrainingIndex([LATSAR]))

    def load_events(training_id: str, learners: Any) -> dict[str, list[Any]]:
        loads.append((training_id, tuple(learners)))
        return {ANI_KEY: list(materi)} if training_id == "latsar" else {}

    result = refold_pairs(
        {("latsar", ANI_KEY), ("latsar", "mbox:mailto:x@y.z"), ("pim", ANI_KEY), ("gone", ANI_KEY)},
        {"latsar": LATSAR, "pim": PIM}.get,
        load_events,
    )
    assert sorted(loads) == [("latsar", tuple(sorted([ANI_KEY, "mbox:mailto:x@y.z"]))), ("pim", (ANI_KEY,))]
    assert [(r.training, r.learner, r.status) for r in result.upserts] == [
        ("latsar", ANI_KEY, "in_progress"),
        ("pim", ANI_KEY, "not_started"),
    ]
    assert sorted(result.deletes) == [("gone", ANI_KEY), ("latsar", "mbox:mailto:x@y.z")]


def test_the_training_cache_parses_again_only_for_a_new_version() -> None:
    cache = TrainingCache()
    loads: list[int] = []

    def load() -> str:
        loads.append(1)
        return training_text(LATSAR)

    assert cache.get("t", "latsar", 3, load) == LATSAR
    assert cache.get("t", "latsar", 3, load) == LATSAR
    assert len(loads) == 1
    cache.get("t", "latsar", 4, load)
    assert len(loads) == 2
    assert cache.get("t", "other", 1, lambda: None) is None


class _Store:
    """Just the calls the catalog makes."""

    def __init__(self) -> None:
        self.version = 0
        self.trainings: list[StoredTraining] = []
        self.calls = 0

    def trainings_version(self, tenant: str) -> int:
        self.calls += 1
        return self.version

    def list_trainings(self, tenant: str) -> list[StoredTraining]:
        return self.trainings


def test_the_catalog_caches_per_tenant_until_invalidated() -> None:
    store = _Store()
    catalog = TrainingCatalog(store)  # type: ignore[arg-type]
    version, index = catalog.current("t")
    assert (version, bool(index)) == (0, False)
    store.version = 2
    store.trainings = [StoredTraining("latsar", training_text(LATSAR), 2, 2)]
    assert catalog.current("t")[0] == 0  # cached: one read per tenant, not per batch
    assert store.calls == 1
    catalog.invalidate("t")
    version, index = catalog.current("t")
    assert version == 2 and index.lookup(MATERI) == (("latsar", MATERI),)
