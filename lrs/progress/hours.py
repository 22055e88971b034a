"""Learning hours: JP (jam pelajaran, 45 minutes) per learner per year, against a yearly target (default 20 JP).

All JP amounts are integers in hundredths (``centi``): sums are exact and rounding happens once, where stated.

**Trainings.**  A participant whose status is ``completed`` or ``passed`` earns the training's ``jp``, dated by
the row's ``achieved_us`` (the year is taken in the report's time zone, ``utc_offset_minutes``).  In one year a
learner earns a course at most once: credits are keyed by the **course activity IRI**, so the same course run
as two trainings (two batches, or two tenants) counts once, the earliest credit of the year with the larger JP
on a tie.  Retaking a course in a later year counts in that year.  A status that later becomes ``failed`` or
loses its completion (voiding) takes the credit away, since credits are derived from the current rows.

**Standalone microlearning** (statements about no training, see :mod:`lrs.progress.events`):

1. per learner and activity, the time intervals of :mod:`lrs.progress.timespent` (cmi5 sessions,
   ``result.duration``; never counted twice), cut at local midnight into days (:func:`micro_days`);
2. per learner, activity and local day, at most **45 minutes** count (the earliest 45; a video left playing
   all day earns one JP, not ten);
3. per learner and day, the activities' remaining intervals are merged again, so two activities open at the
   same time count once;
4. per learner and year, ``centi JP = floor(seconds * 100 / 2700)``: rounded **down** to a hundredth of a JP,
   once, on the year's total (so nothing is lost to per-activity rounding).

Activities that are a training's course or module (in any tenant of the report) never count as microlearning.

**Consolidation across tenants** (the operator's view, :func:`consolidate`): a learner identified by the SSO
account (``account.homePage`` equal to ``LRS_SSO_HOMEPAGE``, ``account.name`` the civil-servant number) is one
person in every tenant; any other identity is only known within its tenant and stays separate (``tenant|key``).
The same course in two tenants then counts once (above), and the same microlearning activity on the same day
is merged before the 45-minute cap, so two tenants reporting it do not double it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from lrs.progress.events import STANDALONE, ProgressEvent
from lrs.progress.rules import CREDITED, ProgressRow
from lrs.progress.timespent import CAP_MS, Interval, activity_intervals, merge, total_us, truncate
from lrs.progress.training import Training

SECONDS_PER_JP = 45 * 60
DEFAULT_TARGET_CENTI = 20 * 100
MICRO_CAP_MS = 45 * 60_000  # per activity per local day
DAY_US = 86_400 * 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TrainingCredit:
    """One learner's completed or passed training."""

    learner: str
    training: str  # training id
    course: str  # course activity IRI (the deduplication key)
    centi_jp: int
    achieved_us: int
    tenant: str = ""


@dataclass(frozen=True)
class MicroDay:
    """One learner's merged activity intervals on one standalone activity during one local day (uncapped)."""

    learner: str
    activity: str
    day: date
    intervals: tuple[Interval, ...]
    tenant: str = ""


@dataclass(frozen=True)
class LearnerHours:
    learner: str  # IFI key (per tenant) or person key (consolidated)
    training_centi: int
    micro_centi: int
    micro_seconds: int  # credited microlearning time (after the daily cap and merging)
    courses: tuple[str, ...]  # course IRIs credited this year, sorted
    met: bool
    tenants: tuple[str, ...] = ()  # tenants the learner's credits came from, sorted

    @property
    def total_centi(self) -> int:
        return self.training_centi + self.micro_centi


@dataclass(frozen=True)
class HoursReport:
    year: int
    target_centi: int
    learners: tuple[LearnerHours, ...]  # sorted by learner

    @property
    def met_count(self) -> int:
        return sum(1 for row in self.learners if row.met)

    @property
    def total_centi(self) -> int:
        return sum(row.total_centi for row in self.learners)

    @property
    def training_centi(self) -> int:
        return sum(row.training_centi for row in self.learners)

    @property
    def micro_centi(self) -> int:
        return sum(row.micro_centi for row in self.learners)


@dataclass(frozen=True)
class TenantHours:
    """One tenant's inputs to the consolidated view."""

    tenant: str
    credits: Sequence[TrainingCredit]
    micro: Sequence[MicroDay]


def local_date(moment_us: int, utc_offset_minutes: int = 0) -> date:
    return (_EPOCH + timedelta(microseconds=moment_us + utc_offset_minutes * 60_000_000)).date()


def training_credit(training: Training, row: ProgressRow, *, tenant: str = "") -> TrainingCredit | None:
    """The JP a progress row earns: the training's, when completed or passed; else None."""
    if row.status not in CREDITED or row.achieved_us is None or row.training != training.id:
        return None
    return TrainingCredit(
        learner=row.learner,
        training=training.id,
        course=training.course,
        centi_jp=training.centi_jp,
        achieved_us=row.achieved_us,
        tenant=tenant,
    )


def micro_days(
    events: Iterable[ProgressEvent], *, utc_offset_minutes: int = 0, cap_ms: int = CAP_MS, tenant: str = ""
) -> list[MicroDay]:
    """Standalone events -> per learner, activity and local day, the intervals of activity (sorted)."""
    groups: dict[tuple[str, str], list[ProgressEvent]] = {}
    for event in events:
        if event.training == STANDALONE:
            groups.setdefault((event.learner, event.activity), []).append(event)
    days: list[MicroDay] = []
    for (learner, activity), group in sorted(groups.items()):
        by_day: dict[date, list[Interval]] = {}
        for start, end in activity_intervals(group, cap_ms=cap_ms):
            for day, piece in _split_by_day(start, end, utc_offset_minutes):
                by_day.setdefault(day, []).append(piece)
        days.extend(
            MicroDay(learner=learner, activity=activity, day=day, intervals=tuple(pieces), tenant=tenant)
            for day, pieces in sorted(by_day.items())
        )
    return days


def _split_by_day(start: int, end: int, utc_offset_minutes: int) -> Iterable[tuple[date, Interval]]:
    offset_us = utc_offset_minutes * 60_000_000
    while start < end:
        day_index = (start + offset_us) // DAY_US
        boundary = (day_index + 1) * DAY_US - offset_us
        piece_end = min(end, boundary)
        yield local_date(start, utc_offset_minutes), (start, piece_end)
        start = piece_end


def learner_hours(
    year: int,
    credits: Iterable[TrainingCredit],
    micro: Iterable[MicroDay],
    *,
    target_centi: int = DEFAULT_TARGET_CENTI,
    utc_offset_minutes: int = 0,
    micro_cap_ms: int = MICRO_CAP_MS,
    population: Iterable[str] = (),
    exclude_activities: frozenset[str] = frozenset(),
) -> HoursReport:
    """JP per learner in ``year`` (rules in the module docstring).  ``population`` adds learners who earned
    nothing (so that they show up as not meeting the target)."""
    best: dict[tuple[str, str], TrainingCredit] = {}
    tenants: dict[str, set[str]] = {}
    for credit in credits:
        if local_date(credit.achieved_us, utc_offset_minutes).year != year:
            continue
        key = (credit.learner, credit.course)
        known = best.get(key)
        if known is None or (credit.achieved_us, -credit.centi_jp) < (known.achieved_us, -known.centi_jp):
            best[key] = credit
        tenants.setdefault(credit.learner, set()).add(credit.tenant)
    training_centi: dict[str, int] = {}
    courses: dict[str, list[str]] = {}
    for (learner, course), credit in best.items():
        training_centi[learner] = training_centi.get(learner, 0) + credit.centi_jp
        courses.setdefault(learner, []).append(course)
    micro_us = _micro_time(year, micro, micro_cap_ms * 1000, exclude_activities, tenants)
    learners = sorted({*training_centi, *micro_us, *population})
    rows = []
    for learner in learners:
        micro_centi = micro_us.get(learner, 0) * 100 // (SECONDS_PER_JP * 1_000_000)
        training = training_centi.get(learner, 0)
        rows.append(
            LearnerHours(
                learner=learner,
                training_centi=training,
                micro_centi=micro_centi,
                micro_seconds=micro_us.get(learner, 0) // 1_000_000,
                courses=tuple(sorted(courses.get(learner, ()))),
                met=training + micro_centi >= target_centi,
                tenants=tuple(sorted(name for name in tenants.get(learner, ()) if name)),
            )
        )
    return HoursReport(year=year, target_centi=target_centi, learners=tuple(rows))


def _micro_time(
    year: int,
    micro: Iterable[MicroDay],
    cap_us: int,
    exclude: frozenset[str],
    tenants: dict[str, set[str]],
) -> dict[str, int]:
    """learner -> credited microlearning microseconds in ``year``."""
    per_activity: dict[tuple[str, date, str], list[Interval]] = {}
    for item in micro:
        if item.day.year != year or item.activity in exclude:
            continue
        per_activity.setdefault((item.learner, item.day, item.activity), []).extend(item.intervals)
        tenants.setdefault(item.learner, set()).add(item.tenant)
    per_day: dict[tuple[str, date], list[Interval]] = {}
    for (learner, day, _activity), intervals in per_activity.items():
        per_day.setdefault((learner, day), []).extend(truncate(merge(intervals), cap_us))
    totals: dict[str, int] = {}
    for (learner, _day), intervals in per_day.items():
        totals[learner] = totals.get(learner, 0) + total_us(merge(intervals))
    return totals


def person_key(tenant: str, learner: str, *, sso_homepage: str) -> str:
    """The cross-tenant identity of a learner: the IFI key itself for an SSO account, else ``tenant|key``."""
    if learner.startswith("account:"):
        try:
            home_page, _name = json.loads(learner[len("account:") :])
        except (ValueError, TypeError):
            home_page = None
        if home_page == sso_homepage:
            return learner
    return f"{tenant}|{learner}"


def consolidate(tenants: Iterable[TenantHours], *, sso_homepage: str) -> tuple[list[TrainingCredit], list[MicroDay]]:
    """Every tenant's credits and microlearning days under cross-tenant person keys, ready for
    :func:`learner_hours` (which counts a course once per year and merges the same activity's days)."""
    credits: list[TrainingCredit] = []
    micro: list[MicroDay] = []
    for item in tenants:
        for credit in item.credits:
            key = person_key(item.tenant, credit.learner, sso_homepage=sso_homepage)
            credits.append(replace(credit, learner=key, tenant=item.tenant))
        for day in item.micro:
            key = person_key(item.tenant, day.learner, sso_homepage=sso_homepage)
            micro.append(replace(day, learner=key, tenant=item.tenant))
    return credits, micro


def jp(centi: int) -> float:
    """Hundredths of a JP as a number for JSON (two decimals at most)."""
    return round(centi / 100, 2)
