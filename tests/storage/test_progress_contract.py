"""Storage contract, progress part: trainings, progress events and rows, maintained with the statements.

Every adapter: trainings per tenant with a version; a batch's events written and rows refolded in the batch's
unit; voiding in either arrival order; a stale trainings version refused with nothing written; a rebuild that
keeps what ingest wrote meanwhile; rows read as one range, paged and filtered.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from lrs.progress.events import ProgressEvent, TrainingIndex
from lrs.progress.projection import row_from_text, training_events, training_text
from lrs.progress.rules import Status
from lrs.progress.training import Training
from lrs.statements import prepare, with_progress
from lrs.storage.port import (
    MicroEventQuery,
    ProgressRowQuery,
    ProgressVersionChanged,
    StatementQuery,
    StatementRecord,
    Store,
)
from tests.factories import voiding
from tests.progress_data import SSO_HOMEPAGE, START, latsar_body, pim_body, sso_agent, statement
from validators.training import parse_training

AUTHORITY = {"objectType": "Agent", "name": "lms", "mbox": "mailto:lms@example.gov"}
LATSAR = parse_training("latsar", latsar_body(), sso_homepage=SSO_HOMEPAGE)
PIM = parse_training("pim", pim_body(["111", "222"]), sso_homepage=SSO_HOMEPAGE)
MATERI, VIDEO, KUIS, TUGAS, EVALUASI, BACAAN = (module.id for module in LATSAR.modules)
ANI, BUDI = sso_agent("111", "Ani"), sso_agent("222", "Budi")
ANI_KEY = 'account:["https://sso.example.go.id", "111"]'
BUDI_KEY = 'account:["https://sso.example.go.id", "222"]'


def put(store: Store, tenant: str, *trainings: Training) -> int:
    """Store trainings and build their (empty) projection, as putting one through the service does."""
    for training in trainings:
        stored = store.put_training(tenant, training.id, training_text(training))
        assert store.replace_training_progress(tenant, training.id, [], version=stored.version)
    return store.trainings_version(tenant)


def record(body: dict[str, Any], *trainings: Training) -> StatementRecord:
    """The storage record of a statement with its events about ``trainings`` (as the statement service does)."""
    _, enriched, base = prepare(body, authority=AUTHORITY, default_version="1.0.0")
    return with_progress(base, enriched, TrainingIndex(trainings))


def write(store: Store, tenant: str, bodies: list[dict[str, Any]], *trainings: Training) -> dict[str, str]:
    version = store.trainings_version(tenant)
    return store.insert_statements(tenant, [record(body, *trainings) for body in bodies], progress_version=version)


def rows(store: Store, tenant: str, training_id: str, **query: Any) -> dict[str, Any]:
    return {
        r.learner: row_from_text(r.row)
        for r in store.list_progress_rows(tenant, training_id, ProgressRowQuery(**query))
    }


def completed(who: dict[str, Any], module: str, minute: int, **kw: Any) -> dict[str, Any]:
    return statement(who, "completed", module, START + timedelta(minutes=minute), **kw)


# trainings ---------------------------------------------------------------------------------------------------
def test_trainings_are_stored_per_tenant_with_a_version(store: Store) -> None:
    assert store.trainings_version("acme") == 0
    assert store.list_trainings("acme") == []
    first = store.put_training("acme", "latsar", training_text(LATSAR))
    assert first.training_id == "latsar"
    assert json.loads(first.body)["course"] == LATSAR.course
    assert 0 < first.version <= store.trainings_version("acme")
    assert first.built_version == 0
    assert store.get_training("acme", "latsar") == first
    before = store.trainings_version("acme")
    second = store.put_training("acme", "latsar", training_text(replace(LATSAR, title="Latsar 2")))
    assert second.version > first.version
    assert store.trainings_version("acme") > before
    assert json.loads(store.get_training("acme", "latsar").body)["title"] == "Latsar 2"  # type: ignore[union-attr]
    store.put_training("acme", "pim", training_text(PIM))
    assert [t.training_id for t in store.list_trainings("acme")] == ["latsar", "pim"]
    assert store.trainings_version("other") == 0
    assert store.list_trainings("other") == [] and store.get_training("other", "latsar") is None


def test_deleting_a_training_removes_its_projection_and_bumps_the_version(store: Store) -> None:
    version = put(store, "acme", LATSAR, PIM)
    write(store, "acme", [completed(ANI, MATERI, 0)], LATSAR, PIM)
    assert rows(store, "acme", "latsar")
    assert store.delete_training("acme", "latsar")
    assert store.trainings_version("acme") > version
    assert store.get_training("acme", "latsar") is None
    assert rows(store, "acme", "latsar") == {}
    assert store.get_progress_events("acme", "latsar", ANI_KEY) == []
    assert set(rows(store, "acme", "pim")) == {ANI_KEY, BUDI_KEY}  # the other training is untouched
    assert not store.delete_training("acme", "latsar")


def test_training_ids_are_matched_literally(store: Store) -> None:
    put(store, "acme", LATSAR)
    for probe in ("latsa%", "latsar.*", "LATSAR", "latsar ", ""):
        assert store.get_training("acme", probe) is None
        assert rows(store, "acme", probe) == {}


# ingest ------------------------------------------------------------------------------------------------------
def test_a_batch_writes_its_events_and_refolds_the_rows(store: Store) -> None:
    put(store, "acme", LATSAR, PIM)
    first = completed(ANI, MATERI, 0)
    assert write(store, "acme", [first, completed(BUDI, VIDEO, 1)], LATSAR, PIM) == {}
    ani = rows(store, "acme", "latsar")[ANI_KEY]
    assert ani.status is Status.IN_PROGRESS
    assert ani.done == (MATERI,) and ani.modules_completed == 1 and ani.statements == 1
    events = store.get_progress_events("acme", "latsar", ANI_KEY)
    assert [(e.statement_id, e.activity, e.verb, e.direct) for e in events] == [
        (first["id"], MATERI, "completed", True)
    ]
    assert set(rows(store, "acme", "latsar")) == {ANI_KEY, BUDI_KEY}
    # pim has an enrolment list: both enrolled learners have a row, not started (these statements are not about pim)
    pim = rows(store, "acme", "pim")
    assert {key: row.status for key, row in pim.items()} == {ANI_KEY: Status.NOT_STARTED, BUDI_KEY: Status.NOT_STARTED}
    write(store, "acme", [completed(ANI, VIDEO, 2), completed(ANI, VIDEO, 3)], LATSAR, PIM)
    ani = rows(store, "acme", "latsar")[ANI_KEY]
    assert ani.done == (MATERI, VIDEO) and ani.statements == 3
    record_row = store.get_progress_row("acme", "latsar", ANI_KEY)
    assert record_row is not None and row_from_text(record_row.row) == ani
    assert record_row.status == "in_progress" and record_row.last_activity_us == ani.last_activity_us
    assert store.get_progress_row("acme", "latsar", "mbox:mailto:nobody@example.gov") is None
    assert rows(store, "other", "latsar") == {}


def test_events_of_a_statement_without_timestamp_are_dated_stored(store: Store) -> None:
    put(store, "acme", LATSAR)
    body = completed(ANI, MATERI, 0)
    del body["timestamp"]
    write(store, "acme", [body], LATSAR)
    stored = store.get_statement("acme", body["id"])
    assert stored is not None
    (event,) = store.get_progress_events("acme", "latsar", ANI_KEY)
    assert event.at_us == stored.stored_us
    assert rows(store, "acme", "latsar")[ANI_KEY].last_activity_us == stored.stored_us


def test_a_stale_trainings_version_is_refused_and_nothing_is_written(store: Store) -> None:
    version = put(store, "acme", LATSAR)
    body = completed(ANI, MATERI, 0)
    store.put_training("acme", "pim", training_text(PIM))  # another worker changed the trainings meanwhile
    with pytest.raises(ProgressVersionChanged):
        store.insert_statements("acme", [record(body, LATSAR)], progress_version=version)
    assert store.get_statement("acme", body["id"]) is None
    assert rows(store, "acme", "latsar") == {}
    assert write(store, "acme", [body], LATSAR, PIM) == {}  # with the current version it goes through
    assert ANI_KEY in rows(store, "acme", "latsar")


def test_a_statement_stored_already_voided_has_no_events(store: Store) -> None:
    put(store, "acme", LATSAR)
    target = completed(ANI, MATERI, 0)
    write(store, "acme", [voiding(target["id"])], LATSAR)
    write(store, "acme", [target], LATSAR)
    assert store.get_progress_events("acme", "latsar", ANI_KEY) == []
    assert rows(store, "acme", "latsar") == {}  # open enrolment: no events, no row


def test_voiding_in_the_same_batch_leaves_no_events(store: Store) -> None:
    put(store, "acme", LATSAR)
    target = completed(ANI, MATERI, 0)
    write(store, "acme", [target, voiding(target["id"]), completed(ANI, VIDEO, 1)], LATSAR)
    assert [e.activity for e in store.get_progress_events("acme", "latsar", ANI_KEY)] == [VIDEO]


def test_voiding_later_removes_the_events_and_refolds(store: Store) -> None:
    put(store, "acme", LATSAR, PIM)
    materi, video = completed(ANI, MATERI, 0), completed(ANI, VIDEO, 1)
    pim_video = completed(BUDI, PIM.modules[0].id, 2)
    write(store, "acme", [materi, video, pim_video], LATSAR, PIM)
    write(store, "acme", [voiding(materi["id"])], LATSAR, PIM)
    ani = rows(store, "acme", "latsar")[ANI_KEY]
    assert ani.done == (VIDEO,) and ani.statements == 1
    write(store, "acme", [voiding(video["id"]), voiding(pim_video["id"])], LATSAR, PIM)
    assert ANI_KEY not in rows(store, "acme", "latsar")  # open enrolment: the row goes with the last event
    assert rows(store, "acme", "pim")[BUDI_KEY].status is Status.NOT_STARTED  # enrolled: the row stays
    assert store.get_progress_events("acme", "pim", BUDI_KEY) == []


def test_voiding_only_reaches_the_same_tenant(store: Store) -> None:
    put(store, "acme", LATSAR)
    put(store, "other", LATSAR)
    target = completed(ANI, MATERI, 0)
    write(store, "acme", [target], LATSAR)
    write(store, "other", [voiding(target["id"])], LATSAR)
    assert ANI_KEY in rows(store, "acme", "latsar")


def test_learners_outside_the_enrolment_get_no_row(store: Store) -> None:
    put(store, "acme", PIM)
    outsider = sso_agent("999")
    write(store, "acme", [completed(outsider, PIM.modules[0].id, 0)], PIM)
    assert len(store.get_progress_events("acme", "pim", 'account:["https://sso.example.go.id", "999"]')) == 1
    assert set(rows(store, "acme", "pim")) == {ANI_KEY, BUDI_KEY}


def test_a_tenant_without_trainings_writes_nothing_for_progress(store: Store) -> None:
    body = completed(ANI, MATERI, 0)
    assert store.insert_statements("acme", [record(body)], progress_version=0) == {}
    assert store.get_statement("acme", body["id"]) is not None
    assert rows(store, "acme", "latsar") == {}


# rebuild -----------------------------------------------------------------------------------------------------
def _events(bodies: list[dict[str, Any]], training: Training) -> list[ProgressEvent]:
    index = TrainingIndex([training])
    return [event for body in bodies for event in training_events(body, index)]


def test_replace_rebuilds_the_rows_and_marks_the_training_built(store: Store) -> None:
    put(store, "acme", LATSAR)
    bodies = [completed(ANI, MATERI, 0), completed(BUDI, MATERI, 1), completed(BUDI, VIDEO, 2)]
    store.insert_statements("acme", [record(body) for body in bodies])  # written without events
    assert rows(store, "acme", "latsar") == {}
    training = store.get_training("acme", "latsar")
    assert training is not None
    assert store.replace_training_progress("acme", "latsar", _events(bodies, LATSAR), version=training.version)
    got = rows(store, "acme", "latsar")
    assert set(got) == {ANI_KEY, BUDI_KEY} and got[BUDI_KEY].done == (MATERI, VIDEO)
    assert store.get_training("acme", "latsar").built_version == training.version  # type: ignore[union-attr]
    # idempotent
    assert store.replace_training_progress("acme", "latsar", _events(bodies, LATSAR), version=training.version)
    assert rows(store, "acme", "latsar") == got


def test_replace_refuses_an_outdated_version(store: Store) -> None:
    put(store, "acme", LATSAR)
    old = store.get_training("acme", "latsar")
    assert old is not None
    store.put_training("acme", "latsar", training_text(LATSAR))
    assert not store.replace_training_progress(
        "acme", "latsar", _events([completed(ANI, MATERI, 0)], LATSAR), version=old.version
    )
    assert rows(store, "acme", "latsar") == {}
    assert not store.replace_training_progress("acme", "nope", [], version=old.version)


def test_replace_keeps_what_ingest_wrote_meanwhile_and_drops_what_was_voided(store: Store) -> None:
    put(store, "acme", LATSAR)
    early, voided_meanwhile = completed(ANI, MATERI, 0), completed(ANI, KUIS, 1)
    store.insert_statements("acme", [record(early), record(voided_meanwhile)])  # before the training existed
    training = store.get_training("acme", "latsar")
    assert training is not None
    read = _events([early, voided_meanwhile], LATSAR)  # what the rebuild read
    later = completed(ANI, VIDEO, 2)
    write(store, "acme", [later, voiding(voided_meanwhile["id"])], LATSAR)  # ingest while it computed
    assert store.replace_training_progress("acme", "latsar", read, version=training.version)
    ids = {event.statement_id for event in store.get_progress_events("acme", "latsar", ANI_KEY)}
    assert ids == {early["id"], later["id"]}
    assert rows(store, "acme", "latsar")[ANI_KEY].done == (MATERI, VIDEO)


def test_replace_drops_events_of_an_older_definition(store: Store) -> None:
    put(store, "acme", LATSAR)
    bodies = [completed(ANI, BACAAN, 0), completed(ANI, MATERI, 1)]
    write(store, "acme", bodies, LATSAR)
    assert rows(store, "acme", "latsar")[ANI_KEY].done == (MATERI, BACAAN)
    shorter = replace(LATSAR, modules=LATSAR.modules[:-1])  # bacaan is no longer a module
    stored = store.put_training("acme", "latsar", training_text(shorter))
    assert store.replace_training_progress("acme", "latsar", _events(bodies, shorter), version=stored.version)
    assert [e.activity for e in store.get_progress_events("acme", "latsar", ANI_KEY)] == [MATERI]
    assert rows(store, "acme", "latsar")[ANI_KEY].done == (MATERI,)


# reads -------------------------------------------------------------------------------------------------------
def test_rows_are_paged_by_learner_and_filtered(store: Store) -> None:
    put(store, "acme", LATSAR)
    people = [sso_agent(f"{n:03d}") for n in range(7)]
    bodies = [completed(who, MATERI, n) for n, who in enumerate(people)]
    done = [
        statement(people[0], module.completion_verbs[0], module.id, START + timedelta(minutes=10 + n))
        for n, module in enumerate(LATSAR.required_modules)
    ]
    done.append(statement(people[0], "passed", KUIS, START, result={"score": {"scaled": 0.9}}))
    write(store, "acme", bodies + done, LATSAR)
    everyone = rows(store, "acme", "latsar")
    keys = sorted(everyone)
    assert len(keys) == 7
    pages, after = [], None
    while True:
        page = store.list_progress_rows("acme", "latsar", ProgressRowQuery(after=after, limit=3))
        pages.append([r.learner for r in page])
        if len(page) < 3:
            break
        after = page[-1].learner
    assert pages == [keys[:3], keys[3:6], keys[6:]]
    assert list(rows(store, "acme", "latsar", statuses=("passed",))) == [keys[0]]
    assert list(rows(store, "acme", "latsar", statuses=("passed", "in_progress"))) == keys
    assert rows(store, "acme", "latsar", statuses=("failed",)) == {}
    cut = everyone[keys[3]].last_activity_us
    active = rows(store, "acme", "latsar", active_since_us=cut)
    inactive = rows(store, "acme", "latsar", inactive_since_us=cut)
    assert set(active) | set(inactive) == set(keys) and not set(active) & set(inactive)
    assert all(row.last_activity_us >= cut for row in active.values())
    assert rows(store, "acme", "latsar", limit=0) == {}


def test_rows_without_activity_count_as_inactive(store: Store) -> None:
    put(store, "acme", PIM)
    write(store, "acme", [completed(ANI, PIM.modules[0].id, 0)], PIM)
    inactive = rows(store, "acme", "pim", inactive_since_us=0)
    assert list(inactive) == [BUDI_KEY] and inactive[BUDI_KEY].last_activity_us is None
    assert list(rows(store, "acme", "pim", statuses=("not_started",))) == [BUDI_KEY]


# microlearning -----------------------------------------------------------------------------------------------
ARTICLE, CLIP = "https://kb.example.go.id/article/1", "https://kb.example.go.id/clip/2"


def micro(store: Store, tenant: str = "acme", **query: Any) -> list[tuple[str, str, int]]:
    """(statement id, activity, at_us) of the tenant's microlearning events, by time (the store gives no order)."""
    query = {"since_us": 0, "before_us": 2**62, **query}
    events = store.list_micro_events(tenant, MicroEventQuery(**query))
    return sorted(((e.statement_id, e.activity, e.at_us) for e in events), key=lambda row: (row[2], row[0]))


def read(who: dict[str, Any], activity: str, minute: int, **kw: Any) -> dict[str, Any]:
    return statement(who, "experienced", activity, START + timedelta(minutes=minute), **kw)


def test_statements_about_no_training_with_time_are_kept_as_microlearning(store: Store) -> None:
    put(store, "acme", LATSAR)
    timed = read(ANI, ARTICLE, 0, result={"duration": "PT5M"})
    session = read(BUDI, CLIP, 1, session="s-1")
    untimed = read(ANI, ARTICLE, 2)  # no duration, no session: can never earn time
    about_training = completed(ANI, MATERI, 3, result={"duration": "PT5M"})
    write(store, "acme", [timed, session, untimed, about_training], LATSAR)
    assert [row[:2] for row in micro(store)] == [(timed["id"], ARTICLE), (session["id"], CLIP)]
    (event,) = store.list_micro_events("acme", MicroEventQuery(0, 2**62, learner=ANI_KEY))
    assert (event.training, event.learner, event.duration_ms, event.verb) == ("", ANI_KEY, 300_000, "experienced")
    assert micro(store, "other") == []
    no_trainings = read(ANI, ARTICLE, 4, result={"duration": "PT1M"})
    write(store, "plain", [no_trainings, completed(ANI, MATERI, 5, result={"duration": "PT1M"})])
    assert [row[1] for row in micro(store, "plain")] == [ARTICLE, MATERI]  # no trainings: all microlearning


def test_microlearning_events_are_read_by_time_and_learner(store: Store) -> None:
    bodies = [read(ANI if n % 2 else BUDI, ARTICLE, n, result={"duration": "PT1M"}) for n in range(7)]
    write(store, "acme", bodies[:4])  # two batches: blocks of two stored times
    write(store, "acme", bodies[4:])
    every = micro(store)
    assert [row[0] for row in every] == [b["id"] for b in bodies]
    window = micro(store, since_us=every[2][2], before_us=every[5][2])
    assert window == every[2:5]  # cut inside blocks: events outside the window are left out
    assert micro(store, since_us=every[6][2] + 1) == [] and micro(store, before_us=every[0][2]) == []
    assert [row[0] for row in micro(store, learner=ANI_KEY)] == [b["id"] for b in bodies[1::2]]
    assert [row[0] for row in micro(store, learner=ANI_KEY, since_us=every[3][2])] == [bodies[3]["id"], bodies[5]["id"]]


def test_voiding_removes_microlearning_in_either_order(store: Store) -> None:
    first, second, third = (read(ANI, ARTICLE, n, result={"duration": "PT2M"}) for n in range(3))
    write(store, "acme", [first, second])
    write(store, "acme", [voiding(first["id"])])
    assert [row[0] for row in micro(store)] == [second["id"]]
    write(store, "acme", [voiding(third["id"])])
    write(store, "acme", [third])  # stored already voided: never microlearning
    write(store, "acme", [read(ANI, CLIP, 9, result={"duration": "PT1M"}), voiding(second["id"])])
    assert [row[1] for row in micro(store)] == [CLIP]


def test_replace_micro_events_checks_the_version_and_skips_voided_statements(store: Store) -> None:
    live, gone = read(ANI, ARTICLE, 0, result={"duration": "PT3M"}), read(ANI, CLIP, 1, result={"duration": "PT3M"})
    write(store, "acme", [live, gone])
    write(store, "acme", [voiding(gone["id"])])
    version = put(store, "acme", replace(LATSAR, course=ARTICLE))  # the article is a training's course now
    events = [e._replace(activity=CLIP) for e in store.list_micro_events("acme", MicroEventQuery(0, 2**62))]
    assert not store.replace_micro_events("acme", [live["id"]], [], version=version - 1)
    assert [row[0] for row in micro(store)] == [live["id"]]  # refused: nothing written
    assert store.replace_micro_events("acme", [live["id"]], [], version=version)
    assert micro(store) == []
    voided_event = events[0]._replace(statement_id=gone["id"])
    assert store.replace_micro_events("acme", [live["id"], gone["id"]], [*events, voided_event], version=version)
    assert [row[:2] for row in micro(store)] == [(live["id"], CLIP)]  # the voided statement's event is dropped
    store.clear_micro_events("other")
    assert len(micro(store)) == 1
    store.clear_micro_events("acme")
    assert micro(store) == []


# settling in the background ------------------------------------------------------------------------------------
def test_latest_stored_time_is_that_of_the_newest_statement_of_any_tenant(store: Store) -> None:
    assert store.latest_stored_us() == 0
    write(store, "acme", [completed(ANI, MATERI, 0)])
    first = store.latest_stored_us()
    assert first > 0
    write(store, "beta", [completed(BUDI, MATERI, 1)])
    newest = store.query_statements("beta", StatementQuery()).statements[0].stored_us
    assert store.latest_stored_us() == newest >= first


def test_dirty_rows_are_listed_per_training_and_settled_in_bounded_steps(store: Store) -> None:
    put(store, "acme", LATSAR, PIM)
    put(store, "beta", LATSAR)
    assert store.dirty_trainings(10) == []
    assert store.settle_progress("acme", "latsar", 10) == 0  # clean: nothing to do
    pim_module = PIM.modules[0].id
    write(store, "acme", [completed(ANI, MATERI, 0), completed(BUDI, MATERI, 1)], LATSAR, PIM)
    write(store, "acme", [completed(ANI, pim_module, 2), completed(BUDI, pim_module, 3)], LATSAR, PIM)
    write(store, "beta", [completed(ANI, MATERI, 2)], LATSAR)
    assert sorted(store.dirty_trainings(10)) == [("acme", "latsar"), ("acme", "pim"), ("beta", "latsar")]
    assert len(store.dirty_trainings(2)) == 2
    assert store.settle_progress("acme", "latsar", 1) == 1  # one of the two participants
    assert ("acme", "latsar") in store.dirty_trainings(10)
    assert store.settle_progress("acme", "latsar", 5) == 1
    assert store.settle_progress("acme", "latsar", 5) == 0
    assert sorted(store.dirty_trainings(10)) == [("acme", "pim"), ("beta", "latsar")]
    assert store.settle_progress("acme", "pim", 5) == 2 and store.settle_progress("beta", "latsar", 5) == 1
    assert store.dirty_trainings(10) == []
    settled = rows(store, "acme", "latsar")  # what was settled is what a read refolds: the same rows
    assert set(settled) == {ANI_KEY, BUDI_KEY} and all(MATERI in row.done for row in settled.values())
    assert rows(store, "beta", "latsar")[ANI_KEY].done == (MATERI,)  # tenants apart
