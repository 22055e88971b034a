"""Progress rules: status and its precedence, modules, percent, score, voiding exactness, participants."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable
from typing import Any

import pytest

from lrs.progress.events import COURSE, ProgressEvent, TrainingIndex, events_for_statement, voided_target
from lrs.progress.rules import ProgressRow, Status, fold, participants, progress_rows, summarize
from lrs.progress.training import Training
from tests.progress_data import SSO_HOMEPAGE, Dataset, generate, latsar_body, live_events, pim_body
from validators.training import parse_training

LATSAR = parse_training("latsar", latsar_body(), sso_homepage=SSO_HOMEPAGE)
_body = latsar_body()
_body.pop("passing")
OPEN = parse_training("latsar", _body, sso_homepage=SSO_HOMEPAGE)  # the same modules, no passing rule
COURSE_RESULT = parse_training(
    "latsar", {**latsar_body(), "passing": {"rule": "course_result"}}, sso_homepage=SSO_HOMEPAGE
)
BASE = LATSAR.course
MATERI, VIDEO, KUIS, TUGAS, EVALUASI, BACAAN = (module.id for module in LATSAR.modules)
REQUIRED = (MATERI, VIDEO, KUIS, TUGAS, EVALUASI)
ANI = "account:ani"
T0 = 1_736_000_000 * 1_000_000
MIN = 60_000_000
_ids = itertools.count()


def ev(
    verb: str,
    activity: str = MATERI,
    at_min: int = 0,
    *,
    direct: bool = True,
    scaled: float | None = None,
    learner: str = ANI,
    training: str = "latsar",
    sid: str | None = None,
) -> ProgressEvent:
    return ProgressEvent(
        statement_id=sid or f"s{next(_ids)}",
        training=training,
        learner=learner,
        activity=activity,
        direct=direct,
        verb=verb,
        at_us=T0 + at_min * MIN,
        scaled=scaled,
    )


def all_modules(start: int = 0, *, quiz: float | None = 0.8) -> list[ProgressEvent]:
    """Every required module completed, one a minute; the quiz passed with ``quiz`` (or completed unscored)."""
    events = [ev("completed", MATERI, start), ev("completed", VIDEO, start + 1)]
    events.append(ev("completed", KUIS, start + 2) if quiz is None else ev("passed", KUIS, start + 2, scaled=quiz))
    events += [ev("submitted", TUGAS, start + 3), ev("completed", EVALUASI, start + 4)]
    return events


STATUS_CASES: list[tuple[str, Training, list[ProgressEvent], Status, Status | None]] = [
    ("no events", LATSAR, [], Status.NOT_STARTED, None),
    ("one look at the material", LATSAR, [ev("experienced", MATERI)], Status.IN_PROGRESS, None),
    ("all done, no passing rule", OPEN, all_modules(), Status.COMPLETED, None),
    ("all done, quiz passed", LATSAR, all_modules(quiz=0.8), Status.PASSED, Status.PASSED),
    ("all done, quiz exactly at the threshold", LATSAR, all_modules(quiz=0.7), Status.PASSED, Status.PASSED),
    ("quiz below the threshold, nothing else", LATSAR, [ev("failed", KUIS, scaled=0.5)], Status.FAILED, Status.FAILED),
    (
        "failed takes precedence over all done",
        LATSAR,
        [*all_modules(quiz=None), ev("failed", KUIS, 9, scaled=0.5)],
        Status.FAILED,
        Status.FAILED,
    ),
    (
        "a retake's better score passes",
        LATSAR,
        [ev("failed", KUIS, 0, scaled=0.5), *all_modules(5, quiz=0.9)],
        Status.PASSED,
        Status.PASSED,
    ),
    (
        "best score counts even if a later attempt is worse",
        LATSAR,
        [*all_modules(quiz=0.9), ev("failed", KUIS, 30, scaled=0.2)],
        Status.PASSED,
        Status.PASSED,
    ),
    (
        "quiz passed but the evaluation form missing",
        LATSAR,
        all_modules(quiz=0.9)[:-1],
        Status.IN_PROGRESS,
        Status.PASSED,
    ),
    ("all done, quiz completed without a score", LATSAR, all_modules(quiz=None), Status.COMPLETED, None),
    ("the course satisfied (cmi5 LMS)", LATSAR, [ev("satisfied", COURSE)], Status.COMPLETED, None),
    (
        "course_result: the course passed",
        COURSE_RESULT,
        [ev("experienced", MATERI), ev("passed", COURSE, 5)],
        Status.PASSED,
        Status.PASSED,
    ),
    ("course_result: the course failed", COURSE_RESULT, [ev("failed", COURSE)], Status.FAILED, Status.FAILED),
    (
        "course_result: failed then passed",
        COURSE_RESULT,
        [ev("failed", COURSE, 0), ev("passed", COURSE, 5)],
        Status.PASSED,
        Status.PASSED,
    ),
    (
        "course_result: all modules done, course undecided",
        COURSE_RESULT,
        all_modules(quiz=0.3),
        Status.COMPLETED,
        None,
    ),
    (
        "a question completed under the quiz does not complete the quiz",
        OPEN,
        [*all_modules()[:2], ev("completed", KUIS, 3, direct=False), *all_modules()[3:]],
        Status.IN_PROGRESS,
        None,
    ),
    (
        "the assignment needs its own verb (submit), not completed",
        OPEN,
        [*all_modules()[:3], ev("completed", TUGAS, 3), all_modules()[4]],
        Status.IN_PROGRESS,
        None,
    ),
    (
        "a scored question (not direct) is not judged",
        LATSAR,
        [ev("answered", KUIS, 0, direct=False, scaled=0.1)],
        Status.IN_PROGRESS,
        None,
    ),
]


@pytest.mark.parametrize(
    ("case", "training", "events", "status", "outcome"), STATUS_CASES, ids=[case[0] for case in STATUS_CASES]
)
def test_status_and_precedence(
    case: str, training: Training, events: list[ProgressEvent], status: Status, outcome: Status | None
) -> None:
    row = fold(training, ANI, events)
    assert (row.status, row.outcome) == (status, outcome), case
    rng = random.Random(7)
    for _ in range(5):
        shuffled = events[:]
        rng.shuffle(shuffled)
        assert fold(training, ANI, shuffled) == row, f"{case}: the order of events changed the row"


@pytest.mark.parametrize(
    ("case", "events", "completed", "percent", "missing", "done"),
    [
        ("nothing yet", [ev("experienced", MATERI)], 0, 0, REQUIRED, ()),
        ("two of five", [ev("completed", MATERI), ev("completed", VIDEO)], 2, 40, REQUIRED[2:], (MATERI, VIDEO)),
        ("optional module does not count", [ev("completed", BACAAN)], 0, 0, REQUIRED, (BACAAN,)),
        (
            "completed twice counts once",
            [ev("completed", MATERI), ev("completed", MATERI, 5)],
            1,
            20,
            REQUIRED[1:],
            (MATERI,),
        ),
        ("four of five rounds down", all_modules()[:4], 4, 80, (EVALUASI,), REQUIRED[:4]),
        ("course satisfied: all done", [ev("completed", MATERI), ev("satisfied", COURSE, 1)], 1, 100, (), (MATERI,)),
        ("all five", all_modules(), 5, 100, (), REQUIRED),
    ],
)
def test_modules_percent_and_missing(
    case: str,
    events: list[ProgressEvent],
    completed: int,
    percent: int,
    missing: tuple[str, ...],
    done: tuple[str, ...],
) -> None:
    row = fold(OPEN, ANI, events)
    assert (row.modules_completed, row.modules_required, row.percent) == (completed, 5, percent), case
    assert row.missing == missing, case
    assert row.done == done, case


def test_a_training_without_required_modules_is_done_only_by_the_course() -> None:
    body = {
        "title": "Webinar",
        "course": BASE,
        "jp": 2,
        "modules": [{"id": VIDEO, "title": "V", "kind": "video", "required": False}],
    }
    training = parse_training("webinar", body, sso_homepage=SSO_HOMEPAGE)
    watched = [ev("completed", VIDEO, training="webinar")]
    assert fold(training, ANI, watched).status is Status.IN_PROGRESS
    assert fold(training, ANI, watched).percent == 0
    row = fold(training, ANI, [*watched, ev("completed", COURSE, 3, training="webinar")])
    assert (row.status, row.percent) == (Status.COMPLETED, 100)


def test_course_completion_verbs_are_the_trainings() -> None:
    body = {**latsar_body(), "completion_verbs": ["http://adlnet.gov/expapi/verbs/completed"]}
    body.pop("passing")
    training = parse_training("latsar", body, sso_homepage=SSO_HOMEPAGE)
    assert fold(training, ANI, [ev("satisfied", COURSE)]).status is Status.IN_PROGRESS
    assert fold(training, ANI, [ev("completed", COURSE)]).status is Status.COMPLETED


def test_row_fields() -> None:
    events = [
        ev("experienced", MATERI, 0),
        *all_modules(10, quiz=0.75),
        ev("failed", KUIS, 5, scaled=0.4),
        ev("answered", f"{KUIS}", 4, direct=False, scaled=1.0),
    ]
    row = fold(LATSAR, ANI, events)
    assert row.best_score == 0.75  # the question's 1.0 is not direct
    assert row.first_activity_us == T0
    assert row.last_activity_us == T0 + 14 * MIN
    assert row.achieved_us == T0 + 14 * MIN  # the evaluation form, last required module
    assert row.statements == len(events)
    assert row.time_spent_s == 0  # no durations, no sessions


@pytest.mark.parametrize(
    ("case", "events", "achieved_min"),
    [
        ("completed: when the last required module was first completed", all_modules(quiz=None) + all_modules(50, quiz=None), 4),
        ("passed: the later of all done and the first passing score", [ev("failed", KUIS, 0, scaled=0.3), *all_modules(10, quiz=None), ev("passed", KUIS, 30, scaled=0.9)], 30),
        ("passed: score before the last module", [ev("passed", KUIS, 0, scaled=0.9), *all_modules(10, quiz=None)], 14),
        ("course satisfied before the modules", [ev("satisfied", COURSE, 2), *all_modules(10, quiz=None)], 2),
    ],
)  # fmt: skip
def test_achieved_at(case: str, events: list[ProgressEvent], achieved_min: int) -> None:
    assert fold(LATSAR, ANI, events).achieved_us == T0 + achieved_min * MIN, case


def test_not_credited_rows_have_no_achievement() -> None:
    assert fold(LATSAR, ANI, all_modules(quiz=0.2)).achieved_us is None
    assert fold(LATSAR, ANI, all_modules(quiz=0.9)[:-1]).achieved_us is None


def test_other_learners_and_trainings_are_ignored() -> None:
    events = [*all_modules(quiz=0.9), ev("failed", KUIS, 1, scaled=0.0, learner="account:budi")]
    events.append(ev("failed", KUIS, 1, scaled=0.0, training="pim"))
    assert fold(LATSAR, ANI, events) == fold(LATSAR, ANI, all_modules(quiz=0.9))


# --- voiding exactness -------------------------------------------------------------------------------------------


def _without(events: Iterable[ProgressEvent], statement_id: str) -> list[ProgressEvent]:
    return [event for event in events if event.statement_id != statement_id]


OTHERS = [
    ev("completed", MATERI, 0),
    ev("completed", VIDEO, 1),
    ev("submitted", TUGAS, 3),
    ev("completed", EVALUASI, 4),
]


@pytest.mark.parametrize(
    ("case", "history", "voided", "before", "after"),
    [
        ("the passing score", OTHERS, ev("passed", KUIS, 2, scaled=0.9), Status.PASSED, Status.IN_PROGRESS),
        ("the failing attempt", all_modules(quiz=None), ev("failed", KUIS, 9, scaled=0.1), Status.FAILED, Status.COMPLETED),
        ("the better of two attempts", [*OTHERS, ev("passed", KUIS, 2, scaled=0.8)], ev("passed", KUIS, 20, scaled=0.95), Status.PASSED, Status.PASSED),
        ("the LMS's satisfied", [ev("experienced", MATERI)], ev("satisfied", COURSE, 5), Status.COMPLETED, Status.IN_PROGRESS),
        ("the only statement", [], ev("experienced", MATERI), Status.IN_PROGRESS, Status.NOT_STARTED),
    ],
)  # fmt: skip
def test_voiding_is_exact(
    case: str, history: list[ProgressEvent], voided: ProgressEvent, before: Status, after: Status
) -> None:
    """fold(events - the voided statement's events) == fold(a history in which it never happened)."""
    with_it = [*history[:1], voided, *history[1:]]
    assert fold(LATSAR, ANI, with_it).status is before, case
    row = fold(LATSAR, ANI, _without(with_it, voided.statement_id))
    assert row == fold(LATSAR, ANI, history), case
    assert row.status is after, case


def test_voiding_a_session_statement_recomputes_time_exactly() -> None:
    session = [
        ProgressEvent("a", "latsar", ANI, KUIS, True, "initialized", T0, session="x"),
        ProgressEvent("b", "latsar", ANI, KUIS, True, "answered", T0 + 20 * MIN, session="x"),
        ProgressEvent(
            "c", "latsar", ANI, KUIS, True, "terminated", T0 + 25 * MIN, duration_ms=45 * 60_000, session="x"
        ),
    ]
    assert fold(LATSAR, ANI, session).time_spent_s == 45 * 60
    assert fold(LATSAR, ANI, _without(session, "c")).time_spent_s == 20 * 60
    assert fold(LATSAR, ANI, _without(session, "b")).time_spent_s == 45 * 60
    assert fold(LATSAR, ANI, _without(_without(session, "c"), "b")).time_spent_s == 0


def _incremental(dataset: Dataset, trainings: list[Training]) -> dict[tuple[str, str], ProgressRow]:
    """A pure model of the projection: events kept per statement, voiding removes its target's events, and after
    each statement the rows of the (training, learner) pairs it touched are recomputed from their events."""
    index = TrainingIndex(trainings)
    by_id = {training.id: training for training in trainings}
    kept: dict[tuple[str, str], dict[str, list[ProgressEvent]]] = {}
    owner: dict[str, list[tuple[str, str]]] = {}
    voided: set[str] = set()
    rows: dict[tuple[str, str], ProgressRow] = {}
    for body in dataset.statements:
        target = voided_target(body)
        if target is not None:
            voided.add(target)
            touched = owner.pop(target, [])
            for pair in touched:
                kept[pair].pop(target, None)
        elif body["id"] in voided:
            continue
        else:
            touched = []
            for event in events_for_statement(body, index):
                if event.training:
                    pair = (event.training, event.learner)
                    kept.setdefault(pair, {}).setdefault(event.statement_id, []).append(event)
                    owner.setdefault(event.statement_id, []).append(pair)
                    touched.append(pair)
        for pair in touched:
            events = [event for events in kept[pair].values() for event in events]
            if events:
                rows[pair] = fold(by_id[pair[0]], pair[1], events)
            else:
                rows.pop(pair, None)
    return rows


def _rebuilt(dataset: Dataset, trainings: list[Training], skip: set[str]) -> dict[tuple[str, str], ProgressRow]:
    events = live_events(dataset.statements, trainings, voided=skip)
    return {
        (row.training, row.learner): row
        for training in trainings
        for row in progress_rows(training, events)
        if row.status is not Status.NOT_STARTED
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_with_voiding_equals_a_history_without_the_voided(seed: int) -> None:
    dataset = generate(seed=seed, learners=30, void_rate=0.08)
    assert dataset.voided, "the data set must void something"
    incremental = _incremental(dataset, dataset.trainings)
    rebuilt = _rebuilt(dataset, dataset.trainings, dataset.voided)
    assert incremental == rebuilt
    with_voided = _rebuilt(dataset, dataset.trainings, set())
    assert with_voided != rebuilt, "voiding must have changed some row"


def test_generated_data_covers_every_status() -> None:
    dataset = generate(seed=5, learners=60)
    events = live_events(dataset.statements, dataset.trainings, voided=dataset.voided)
    statuses = {row.status for training in dataset.trainings for row in progress_rows(training, events)}
    assert statuses == set(Status)


# --- participants ------------------------------------------------------------------------------------------------

PIM_BODY: dict[str, Any] = pim_body(["111", "222"])


@pytest.mark.parametrize(
    ("case", "enrolment", "active", "expected"),
    [
        ("open: by first statement", None, ["account:b", "account:a"], ["account:a", "account:b"]),
        ("open: nobody yet", None, [], []),
        ("enrolled: exactly the list", ["111", "222"], ["mbox:mailto:x@example.go.id"], ["111", "222"]),
    ],
)
def test_participants(case: str, enrolment: list[str] | None, active: list[str], expected: list[str]) -> None:
    body = {**PIM_BODY}
    if enrolment is None:
        body.pop("enrolment")
    else:
        body["enrolment"] = enrolment
    training = parse_training("pim", body, sso_homepage=SSO_HOMEPAGE)
    keys = {"111": f'account:["{SSO_HOMEPAGE}", "111"]', "222": f'account:["{SSO_HOMEPAGE}", "222"]'}
    assert participants(training, active) == [keys.get(item, item) for item in expected], case


def test_progress_rows_with_enrolment_list_everyone_enrolled() -> None:
    training = parse_training("pim", PIM_BODY, sso_homepage=SSO_HOMEPAGE)
    enrolled = sorted(training.enrolled_keys() or ())
    video = training.modules[0].id
    events = [
        ev("completed", video, training="pim", learner=enrolled[0]),
        ev("completed", video, training="pim", learner="mbox:mailto:stranger@example.go.id"),
    ]
    rows = progress_rows(training, events)
    assert [(row.learner, row.status) for row in rows] == [
        (enrolled[0], Status.IN_PROGRESS),
        (enrolled[1], Status.NOT_STARTED),
    ]
    assert rows[1].missing == tuple(module.id for module in training.modules)
    open_body = {**PIM_BODY}
    open_body.pop("enrolment")
    open_training = parse_training("pim", open_body, sso_homepage=SSO_HOMEPAGE)
    assert [row.learner for row in progress_rows(open_training, events)] == sorted(
        [enrolled[0], "mbox:mailto:stranger@example.go.id"]
    )


def test_summarize() -> None:
    finished = [ev(event.verb, event.activity, 0, scaled=event.scaled, learner="c") for event in all_modules()]
    rows = [
        fold(LATSAR, "a", []),
        fold(LATSAR, "b", [ev("completed", MATERI, learner="b")]),
        fold(OPEN, "c", finished),
    ]
    summary = summarize(rows)
    assert summary.participants == 3
    assert summary.by_status[Status.NOT_STARTED] == 1
    assert summary.by_status[Status.IN_PROGRESS] == 1
    assert summary.by_status[Status.COMPLETED] == 1
    assert summary.by_status[Status.FAILED] == 0
    assert summary.average_percent == (0 + 20 + 100) // 3
    assert summarize([]).average_percent == 0
