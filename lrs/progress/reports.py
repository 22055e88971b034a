"""Reports on the progress projection: what the coordinator API and the learning-hours reports read.

Built on :class:`lrs.progress.service.ProgressService` and the store's statement query only (nothing stored):

* :func:`all_rows` / :func:`summary_and_views` - a training's rows ordered by learner key (parsed, or as the
  API shows them), filtered by status and by inactivity (both in the store's indexed read) and by a module not
  completed (on the rows read);
* :func:`training_summary` - counts by status, mean percent and total time over every participant;
* :func:`learner_rows` - one learner's row in each of a list of trainings;
* :func:`hours_report` - JP per learner in a year (:mod:`lrs.progress.hours`), for one tenant or consolidated
  across tenants.

**Learning-hours inputs.**  Training credits come from the completed and passed rows of every training of the
tenants in the report.  The learners listed are those who earned something in the year plus the year's
*population*: every participant with activity in the year (first to last activity overlaps it), and every
enrolled participant who has not started a training running that year (its period overlaps the year, or it
has none).  Microlearning comes from the projection's microlearning events (the standalone events of the
statements that concern no training, kept at ingest: :mod:`lrs.progress.projection`), read by time from a day
before the year to a day after it in the report's time zone (so that sessions around midnight are whole), and
for a report about one learner by learner and time: never the statements.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from typing import Any

from lrs.progress.events import ProgressEvent
from lrs.progress.hours import (
    DAY_US,
    DEFAULT_TARGET_CENTI,
    HoursReport,
    TenantHours,
    TrainingCredit,
    consolidate,
    learner_hours,
    local_date,
    micro_days,
    person_key,
    training_credit,
)
from lrs.progress.projection import row_from_text
from lrs.progress.rules import ProgressRow, Status, TrainingSummary
from lrs.progress.service import ProgressService
from lrs.progress.training import Training
from lrs.progress.views import row_view_text
from lrs.storage.port import MicroEventQuery, ProgressRowQuery, ProgressRowRecord, Store
from lrs.timeutil import to_us

PAGE = 1000  # rows or statements per store read
IFI_PREFIXES = ("mbox:", "mbox_sha1sum:", "openid:", "account:")


# identities -------------------------------------------------------------------------------------------------
def split_person_key(person: str) -> tuple[str | None, str]:
    """(tenant, IFI key) of a consolidated person key (:func:`lrs.progress.hours.person_key`); the tenant is
    None for an SSO learner, who is the same person in every tenant."""
    if person.startswith(IFI_PREFIXES):
        return None, person
    tenant, _, key = person.partition("|")
    return tenant, key


# progress rows ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RowFilter:
    """Which rows of a training to report; every given condition must hold."""

    statuses: tuple[Status, ...] = ()
    inactive_since_us: int | None = None  # no activity at or after this moment (or none at all)
    not_completed: str | None = None  # module IRI the participant has not completed

    def query(self, after: str | None, limit: int) -> ProgressRowQuery:
        return ProgressRowQuery(
            statuses=tuple(status.value for status in self.statuses),
            inactive_since_us=self.inactive_since_us,
            after=after,
            limit=limit,
        )

    def keeps(self, done: Sequence[str]) -> bool:
        """Whether a row with these modules done passes the module condition (the others are the store's)."""
        return self.not_completed is None or self.not_completed not in done


def all_rows(
    service: ProgressService,
    tenant: str,
    training_id: str,
    row_filter: RowFilter | None = None,
    *,
    after: str | None = None,
    batch: int = PAGE,
) -> Iterator[ProgressRow]:
    """Every matching row of the training after learner key ``after``, by learner key, read ``batch`` at a time."""
    row_filter = row_filter or RowFilter()
    stored = _stored_rows(service, tenant, training_id, row_filter, after=after, batch=batch)
    return (row for row in map(row_from_text, (record.row for record in stored)) if row_filter.keeps(row.done))


def training_summary(service: ProgressService, tenant: str, training_id: str) -> TrainingSummary:
    """``summarize`` of every row, reading only the three fields it needs (no full row parsed)."""
    return _summary(data for _, data in _all_row_data(service, tenant, training_id))


@dataclass(frozen=True)
class ViewPage:
    views: list[str]  # each row as the progress API shows it: JSON text (lrs.progress.views)
    next_after: str | None  # learner key of the page's last row when more may follow, else None


def summary_and_views(
    service: ProgressService,
    tenant: str,
    training: Training,
    row_filter: RowFilter,
    *,
    after: str | None = None,
    limit: int = 100,
) -> tuple[TrainingSummary, ViewPage]:
    """The training's summary (every row) and one page of its matching rows as the API shows them: their stored
    views, joined as they are (a row stored before views existed is rendered).  Without a filter one read of
    every row gives both."""
    if row_filter == RowFilter():
        every = list(_stored_rows(service, tenant, training.id))
        summary = _summary(json.loads(record.row) for record in every)
        wanted = [record for record in every if after is None or record.learner > after][: limit + 1]
    else:
        summary = training_summary(service, tenant, training.id)
        stored = _stored_rows(service, tenant, training.id, row_filter, after=after, batch=max(limit + 1, 100))
        matching = (
            record
            for record in stored
            if row_filter.not_completed is None or row_filter.keeps(json.loads(record.row)["done"])
        )
        wanted = list(islice(matching, limit + 1))
    page = wanted[:limit]
    views = [_view(record, training) for record in page]
    return summary, ViewPage(views, page[-1].learner if page and len(wanted) > limit else None)


def _view(record: ProgressRowRecord, training: Training) -> str:
    return record.view if record.view is not None else row_view_text(row_from_text(record.row), training)


def _stored_rows(
    service: ProgressService,
    tenant: str,
    training_id: str,
    row_filter: RowFilter | None = None,
    *,
    after: str | None = None,
    batch: int = PAGE,
) -> Iterator[ProgressRowRecord]:
    """The training's rows as stored after learner key ``after`` that the store's indexed read of ``row_filter``
    keeps (statuses, inactivity; the module condition is the caller's), by learner key, ``batch`` at a time."""
    row_filter = row_filter or RowFilter()
    while True:
        page = service.store.list_progress_rows(tenant, training_id, row_filter.query(after, batch))
        yield from page
        if len(page) < batch:
            return
        after = page[-1].learner


def _all_row_data(service: ProgressService, tenant: str, training_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(learner, parsed row JSON) of every row of the training, by learner key."""
    return ((record.learner, json.loads(record.row)) for record in _stored_rows(service, tenant, training_id))


def _summary(rows: Iterable[dict[str, Any]]) -> TrainingSummary:
    """:func:`lrs.progress.rules.summarize` on rows' JSON."""
    counts = dict.fromkeys(Status, 0)
    percent_sum = time_sum = total = 0
    for data in rows:
        counts[Status(data["status"])] += 1
        percent_sum += data["percent"]
        time_sum += data["time_spent_s"]
        total += 1
    return TrainingSummary(total, counts, percent_sum // total if total else 0, time_sum)


def learner_rows(
    service: ProgressService, tenant: str, trainings: Iterable[Training], learner: str
) -> list[tuple[Training, ProgressRow]]:
    """The learner's row in each training they take part in, in the order given."""
    found = []
    for training in trainings:
        row = service.row(tenant, training.id, learner)
        if row is not None:
            found.append((training, row))
    return found


# learning hours ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HoursOptions:
    year: int
    target_centi: int = DEFAULT_TARGET_CENTI
    utc_offset_minutes: int = 0
    learner: str | None = None  # IFI key: only this learner (their own statements are read)


@dataclass(frozen=True)
class TenantInputs:
    hours: TenantHours
    population: frozenset[str]  # IFI keys
    activities: frozenset[str]  # the tenant's training activities (never microlearning)


def year_start_us(year: int, utc_offset_minutes: int) -> int:
    return to_us(datetime(year, 1, 1, tzinfo=UTC) - timedelta(minutes=utc_offset_minutes))


def tenant_inputs(service: ProgressService, tenant: str, options: HoursOptions) -> TenantInputs:
    """One tenant's credits, population and microlearning days for the report (module docstring)."""
    trainings = service.list_trainings(tenant)
    credits: list[TrainingCredit] = []
    population: set[str] = set()
    for training in trainings:
        for row in _training_rows(service, tenant, training, options.learner):
            if _in_population(training, row, options):
                population.add(row.learner)
            credit = training_credit(training, row, tenant=tenant)
            if credit is not None:
                credits.append(credit)
    events = micro_events(service.store, tenant, options)
    micro = micro_days(events, utc_offset_minutes=options.utc_offset_minutes, tenant=tenant)
    activities = frozenset(iri for training in trainings for iri in training.activity_ids())
    return TenantInputs(TenantHours(tenant, credits, micro), frozenset(population), activities)


def _training_rows(
    service: ProgressService, tenant: str, training: Training, learner: str | None
) -> Iterable[ProgressRow]:
    if learner is None:
        return all_rows(service, tenant, training.id)
    row = service.row(tenant, training.id, learner)
    return [row] if row is not None else []


def _in_population(training: Training, row: ProgressRow, options: HoursOptions) -> bool:
    if row.first_activity_us is None or row.last_activity_us is None:  # enrolled, not started
        period = training.period
        return period is None or (period.start <= date(options.year, 12, 31) and period.end >= date(options.year, 1, 1))
    first = local_date(row.first_activity_us, options.utc_offset_minutes).year
    last = local_date(row.last_activity_us, options.utc_offset_minutes).year
    return first <= options.year <= last


def micro_events(store: Store, tenant: str, options: HoursOptions) -> list[ProgressEvent]:
    """The projection's microlearning events dated from a day before the year to a day after it (module
    docstring)."""
    since = year_start_us(options.year, options.utc_offset_minutes) - DAY_US
    before = year_start_us(options.year + 1, options.utc_offset_minutes) + DAY_US
    return store.list_micro_events(tenant, MicroEventQuery(since, before, learner=options.learner))


def hours_report(
    service: ProgressService, tenants: Sequence[str], options: HoursOptions, *, consolidated: bool, sso_homepage: str
) -> HoursReport:
    """JP per learner in ``options.year``.  One tenant: learners by IFI key.  ``consolidated``: every tenant's
    learners by person key (an SSO account is one person everywhere; other identities stay ``tenant|key``)."""
    inputs = [tenant_inputs(service, tenant, options) for tenant in tenants]
    exclude = frozenset(iri for item in inputs for iri in item.activities)
    if consolidated:
        credits, micro = consolidate([item.hours for item in inputs], sso_homepage=sso_homepage)
        population = {
            person_key(item.hours.tenant, key, sso_homepage=sso_homepage) for item in inputs for key in item.population
        }
    else:
        credits = [credit for item in inputs for credit in item.hours.credits]
        micro = [day for item in inputs for day in item.hours.micro]
        population = {key for item in inputs for key in item.population}
    return learner_hours(
        options.year,
        credits,
        micro,
        target_centi=options.target_centi,
        utc_offset_minutes=options.utc_offset_minutes,
        population=population,
        exclude_activities=exclude,
    )
