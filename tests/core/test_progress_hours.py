"""Learning hours: JP per learner per year, microlearning rule and rounding, consolidation across tenants."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from lrs.progress.events import STANDALONE, ProgressEvent
from lrs.progress.hours import (
    DEFAULT_TARGET_CENTI,
    TenantHours,
    TrainingCredit,
    consolidate,
    jp,
    learner_hours,
    micro_days,
    person_key,
    training_credit,
)
from lrs.progress.rules import Status, fold, progress_rows
from tests.progress_data import SSO_HOMEPAGE, generate, latsar_body, live_events
from validators.training import parse_training

LATSAR = parse_training("latsar", latsar_body(), sso_homepage=SSO_HOMEPAGE)
ANI = f'account:["{SSO_HOMEPAGE}", "199001012015011001"]'
BUDI = "mbox:mailto:budi@example.go.id"
MIN = 60_000_000
_ids = itertools.count()


def us(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()) * 1_000_000


def credit(course: str, centi: int, at_us: int, learner: str = ANI, tenant: str = "") -> TrainingCredit:
    return TrainingCredit(learner=learner, training=course.rsplit("/", 1)[-1], course=course, centi_jp=centi, achieved_us=at_us, tenant=tenant)  # fmt: skip


def watch(activity: str, end_us: int, minutes: float, learner: str = ANI) -> ProgressEvent:
    return ProgressEvent(
        statement_id=f"m{next(_ids)}",
        training=STANDALONE,
        learner=learner,
        activity=activity,
        direct=True,
        verb="completed",
        at_us=end_us,
        duration_ms=int(minutes * 60_000),
    )


def micro_centi(events: list[ProgressEvent], year: int = 2025) -> int:
    report = learner_hours(year, [], micro_days(events))
    return report.learners[0].micro_centi if report.learners else 0


# --- trainings -----------------------------------------------------------------------------------------------


def test_a_completed_or_passed_row_earns_the_trainings_jp() -> None:
    course = LATSAR.course
    verbs = {"assessment": "passed", "assignment": "submitted"}
    finished = [
        ProgressEvent(f"s{n}", "latsar", ANI, module.id, True, verbs.get(module.kind, "completed"), n * MIN, scaled=0.9)
        for n, module in enumerate(LATSAR.modules)
    ]
    passed = fold(LATSAR, ANI, finished[:5])  # the optional reading is left out
    assert passed.status is Status.PASSED
    earned = training_credit(LATSAR, passed, tenant="bkn")
    assert earned == TrainingCredit(ANI, "latsar", course, 2400, 4 * MIN, "bkn")
    assert training_credit(LATSAR, fold(LATSAR, ANI, [])) is None
    failing = fold(
        LATSAR, ANI, [ProgressEvent("f", "latsar", ANI, LATSAR.modules[2].id, True, "failed", 0, scaled=0.1)]
    )
    assert failing.status is Status.FAILED
    assert training_credit(LATSAR, failing) is None


@pytest.mark.parametrize(
    ("case", "credits", "year", "offset", "centi", "courses"),
    [
        ("two trainings", [credit("c/a", 2400, us(2025, 3, 1)), credit("c/b", 250, us(2025, 5, 1))], 2025, 0, 2650, ("c/a", "c/b")),
        ("another year does not count", [credit("c/a", 2400, us(2024, 3, 1))], 2025, 0, 0, ()),
        ("the same course twice in a year counts once", [credit("c/a", 2400, us(2025, 3, 1)), credit("c/a", 2400, us(2025, 9, 1))], 2025, 0, 2400, ("c/a",)),
        ("the same course on the same day: the larger JP", [credit("c/a", 2000, us(2025, 3, 1)), credit("c/a", 2400, us(2025, 3, 1))], 2025, 0, 2400, ("c/a",)),
        ("a retake in a later year counts in that year", [credit("c/a", 2400, us(2024, 3, 1)), credit("c/a", 2400, us(2025, 3, 1))], 2025, 0, 2400, ("c/a",)),
        ("year in the report's time zone (WIB): new year", [credit("c/a", 2400, us(2024, 12, 31, 18))], 2025, 420, 2400, ("c/a",)),
        ("year in the report's time zone (WIB): old year", [credit("c/a", 2400, us(2024, 12, 31, 18))], 2024, 420, 0, ()),
        ("UTC by default", [credit("c/a", 2400, us(2024, 12, 31, 18))], 2024, 0, 2400, ("c/a",)),
    ],
)  # fmt: skip
def test_training_jp_per_year(
    case: str, credits: list[TrainingCredit], year: int, offset: int, centi: int, courses: tuple[str, ...]
) -> None:
    report = learner_hours(year, credits, [], utc_offset_minutes=offset)
    rows = {row.learner: row for row in report.learners}
    assert (rows[ANI].training_centi if ANI in rows else 0) == centi, case
    assert (rows[ANI].courses if ANI in rows else ()) == courses, case


@pytest.mark.parametrize(
    ("centi", "target", "met"),
    [(2000, DEFAULT_TARGET_CENTI, True), (1999, DEFAULT_TARGET_CENTI, False), (2400, 3000, False), (3000, 3000, True)],
)
def test_target(centi: int, target: int, met: bool) -> None:
    report = learner_hours(2025, [credit("c/a", centi, us(2025, 1, 2))], [], target_centi=target)
    assert report.learners[0].met is met
    assert report.target_centi == target
    assert report.met_count == int(met)


def test_population_adds_learners_who_earned_nothing() -> None:
    report = learner_hours(2025, [credit("c/a", 2400, us(2025, 1, 2))], [], population=[BUDI, ANI])
    assert [(row.learner, row.total_centi, row.met) for row in report.learners] == [
        (ANI, 2400, True),
        (BUDI, 0, False),
    ]
    assert (report.total_centi, report.training_centi, report.micro_centi, report.met_count) == (2400, 2400, 0, 1)
    assert DEFAULT_TARGET_CENTI == 2000


# --- microlearning -------------------------------------------------------------------------------------------

CLIP, CLIP2, AU = "https://lms/micro/v1", "https://lms/micro/v2", "https://lms/micro/au"
NOON = us(2025, 4, 10, 12)


@pytest.mark.parametrize(
    ("case", "events", "centi"),
    [
        ("45 minutes are one JP", [watch(CLIP, NOON, 45)], 100),
        ("44 minutes round down", [watch(CLIP, NOON, 44)], 97),
        ("rounding once on the year, not per activity", [watch(CLIP, NOON, 15), watch(CLIP2, NOON + 60 * MIN, 15), watch(AU, NOON + 120 * MIN, 15)], 100),
        ("an activity counts at most 45 minutes a day", [watch(CLIP, NOON, 120)], 100),
        ("the cap is per day", [watch(CLIP, NOON, 120), watch(CLIP, NOON + 24 * 60 * MIN, 120)], 200),
        ("the cap is per activity", [watch(CLIP, NOON, 60), watch(CLIP2, NOON + 120 * MIN, 60)], 200),
        ("two activities at the same time count once", [watch(CLIP, NOON, 30), watch(CLIP2, NOON, 30)], 66),
        ("rewatching the same minutes counts once", [watch(CLIP, NOON, 30), watch(CLIP, NOON, 30)], 66),
        ("an interval across midnight is split between the days", [watch(CLIP, us(2025, 4, 11, 0, 45), 90)], 200),
        ("last year's minutes do not count", [watch(CLIP, us(2024, 12, 31, 12), 45)], 0),
    ],
)  # fmt: skip
def test_microlearning_jp(case: str, events: list[ProgressEvent], centi: int) -> None:
    assert micro_centi(events) == centi, case


def test_micro_days_cut_at_local_midnight() -> None:
    events = [watch(CLIP, us(2025, 4, 10, 17, 30), 60)]  # 16:30-17:30 UTC = 23:30-00:30 WIB
    utc = micro_days(events)
    assert [(item.day, item.intervals) for item in utc] == [
        (date(2025, 4, 10), ((us(2025, 4, 10, 16, 30), us(2025, 4, 10, 17, 30)),)),
    ]
    wib = micro_days(events, utc_offset_minutes=420, tenant="bkn")
    assert [(item.day, item.intervals, item.tenant) for item in wib] == [
        (date(2025, 4, 10), ((us(2025, 4, 10, 16, 30), us(2025, 4, 10, 17)),), "bkn"),
        (date(2025, 4, 11), ((us(2025, 4, 10, 17), us(2025, 4, 10, 17, 30)),), "bkn"),
    ]


def test_micro_days_ignore_training_events_and_use_sessions() -> None:
    session = [
        ProgressEvent("a", STANDALONE, ANI, AU, True, "initialized", NOON, session="s"),
        ProgressEvent("b", STANDALONE, ANI, AU, True, "completed", NOON + 9 * MIN, duration_ms=9 * 60_000, session="s"),
        ProgressEvent(
            "c", STANDALONE, ANI, AU, True, "terminated", NOON + 10 * MIN, duration_ms=10 * 60_000, session="s"
        ),
        ProgressEvent("d", "latsar", ANI, "https://lms/m", True, "completed", NOON, duration_ms=60 * 60_000),
    ]
    days = micro_days(session)
    assert [(item.activity, item.intervals) for item in days] == [(AU, ((NOON, NOON + 10 * MIN),))]


def test_training_activities_are_excluded_from_microlearning() -> None:
    days = micro_days([watch(CLIP, NOON, 45), watch(CLIP2, NOON + 60 * MIN, 45)])
    report = learner_hours(2025, [], days, exclude_activities=frozenset({CLIP}))
    assert report.learners[0].micro_centi == 100
    assert report.learners[0].micro_seconds == 45 * 60


# --- consolidation across tenants ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("learner", "expected"),
    [
        (ANI, ANI),
        ('account:["https://other.example", "199001012015011001"]', 'bkn|account:["https://other.example", "199001012015011001"]'),
        (BUDI, f"bkn|{BUDI}"),
        ("account:not json", "bkn|account:not json"),
    ],
)  # fmt: skip
def test_person_key(learner: str, expected: str) -> None:
    assert person_key("bkn", learner, sso_homepage=SSO_HOMEPAGE) == expected


def test_consolidation_counts_an_sso_learner_once() -> None:
    a = TenantHours(
        "bkn",
        [credit("c/latsar", 2400, us(2025, 3, 1)), credit("c/pim", 250, us(2025, 4, 1), learner=BUDI)],
        micro_days([watch(CLIP, NOON, 30), watch(CLIP, NOON, 30, learner=BUDI)]),
    )
    b = TenantHours(
        "lan",
        [credit("c/latsar", 2400, us(2025, 6, 1)), credit("c/other", 800, us(2025, 6, 1)), credit("c/pim", 250, us(2025, 4, 1), learner=BUDI)],
        micro_days([watch(CLIP, NOON, 30), watch(CLIP2, NOON + 60 * MIN, 15)]),
    )  # fmt: skip
    credits, micro = consolidate([a, b], sso_homepage=SSO_HOMEPAGE)
    report = learner_hours(2025, credits, micro)
    rows = {row.learner: row for row in report.learners}
    assert set(rows) == {ANI, f"bkn|{BUDI}", f"lan|{BUDI}"}
    ani = rows[ANI]
    assert ani.training_centi == 2400 + 800  # latsar reported by both tenants counts once
    assert ani.courses == ("c/latsar", "c/other")
    assert ani.micro_seconds == 45 * 60  # the same 30 minutes in both tenants once, plus 15
    assert ani.micro_centi == 100
    assert ani.tenants == ("bkn", "lan")
    assert rows[f"bkn|{BUDI}"].training_centi == 250  # not an SSO identity: one person per tenant
    assert rows[f"lan|{BUDI}"].training_centi == 250
    per_tenant = learner_hours(2025, a.credits, a.micro)
    assert {row.learner: row.tenants for row in per_tenant.learners} == {ANI: (), BUDI: ()}


def test_consolidated_micro_cap_applies_after_merging_tenants() -> None:
    a = TenantHours("bkn", [], micro_days([watch(CLIP, NOON, 40)]))
    b = TenantHours("lan", [], micro_days([watch(CLIP, NOON - 40 * MIN, 40)]))
    credits, micro = consolidate([a, b], sso_homepage=SSO_HOMEPAGE)
    assert learner_hours(2025, credits, micro).learners[0].micro_seconds == 45 * 60


def test_jp_numbers() -> None:
    assert [jp(value) for value in (2400, 250, 97, 0, 1)] == [24.0, 2.5, 0.97, 0.0, 0.01]


# --- on generated data -----------------------------------------------------------------------------------------


def test_hours_on_generated_data() -> None:
    dataset = generate(seed=11, learners=40)
    events = live_events(dataset.statements, dataset.trainings, voided=dataset.voided)
    credits = [
        earned
        for training in dataset.trainings
        for row in progress_rows(training, events)
        if (earned := training_credit(training, row)) is not None
    ]
    report = learner_hours(2025, credits, micro_days(events, utc_offset_minutes=420), utc_offset_minutes=420)
    assert report.learners
    by_learner = {row.learner: row for row in report.learners}
    for earned in credits:
        assert by_learner[earned.learner].training_centi >= earned.centi_jp
    assert {row.training_centi for row in report.learners} >= {2400, 2650}
    assert any(row.micro_centi > 0 for row in report.learners)
    assert any(row.met for row in report.learners)
    assert any(not row.met for row in report.learners)
