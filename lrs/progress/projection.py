"""The progress projection: what is kept per tenant so that progress reads never scan statements.

Per tenant the projection holds its **trainings** (the JSON of :func:`lrs.progress.training.training_to_json`,
with a version), one **event** per live statement and training it concerns, and one **row** per participant of
each training.  The invariant both storage adapters keep, at ingest and on rebuild:

* the events of training *T* are exactly the events about *T* (:func:`training_events`) of every stored
  statement that is neither voided nor a voiding statement (a statement stored already voided has none, and
  voiding a statement deletes its events);
* the rows of *T* are ``lrs.progress.rules.progress_rows(T, those events)``: one per participant, recomputed
  from the participant's events (:func:`refold`).  Ingest does not refold: it marks the rows whose events
  changed dirty in its unit of work, and the adapters refold a training's dirty rows when they are read
  (``list_progress_rows``, ``get_progress_row``: at most the participants changed since the last read, from
  their events, never statements); a rebuild refolds every row.  As read, the rows always satisfy this.

* the **microlearning** events are exactly the standalone events (:func:`statement_events` with the tenant's
  current trainings) of the same statements: one per statement that concerns no training and carries time
  (a ``result.duration`` or a cmi5 session id), what the learning-hours reports read
  (:func:`lrs.progress.hours.micro_days`).  Voiding deletes it; putting or deleting a training recomputes those
  of the statements naming its activities (``ProgressService``), since whether a statement concerns a
  training depends on the trainings.

The helpers below are pure and shared: the statement service computes a record's events with
:func:`statement_events`; the adapters call :func:`batch_events` and :func:`voiding_targets` inside the write's atomic unit, and
:func:`refold_pairs` when dirty rows are read or a training is rebuilt, so they stay free of progress rules.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from lrs.agents import ifi_key
from lrs.progress.events import (
    STANDALONE,
    ProgressEvent,
    TrainingIndex,
    events_for_statement,
)
from lrs.progress.rules import ProgressRow, Status, fold
from lrs.progress.training import (
    Identity,
    Module,
    ModuleKind,
    PassingKind,
    PassingRule,
    Period,
    PerTraining,
    Training,
    training_to_json,
)
from lrs.progress.views import row_view_text
from lrs.storage.port import ProgressRowRecord, StatementRecord

Pair = tuple[str, str]  # (training id, learner key)


# trainings ------------------------------------------------------------------------------------------------
def training_text(training: Training) -> str:
    """The stored form of a training."""
    return json.dumps(training_to_json(training), ensure_ascii=False, separators=(",", ":"))


def training_from_json(body: Mapping[str, Any]) -> Training:
    """A stored training back into its model.  Trusted input: only what :func:`training_text` wrote (validated
    by ``validators.training`` before it was stored), so nothing is checked again."""
    modules = tuple(
        Module(
            id=item["id"],
            title=item["title"],
            kind=ModuleKind(item["kind"]),
            required=bool(item["required"]),
            completion_verbs=tuple(item["completion_verbs"]),
        )
        for item in body["modules"]
    )
    passing = None
    if "passing" in body:
        kind = PassingKind(body["passing"]["rule"])
        if kind is PassingKind.MIN_SCORE:
            passing = PassingRule(kind, float(body["passing"]["min_scaled"]), tuple(body["passing"]["modules"]))
        else:
            passing = PassingRule(kind)
    period = None
    if "period" in body:
        period = Period(date.fromisoformat(body["period"]["start"]), date.fromisoformat(body["period"]["end"]))
    return Training(
        id=body["id"],
        title=body["title"],
        course=body["course"],
        modules=modules,
        centi_jp=int(Decimal(str(body["jp"])) * 100),
        passing=passing,
        period=period,
        coordinators=tuple(_identity(agent) for agent in body["coordinators"]),
        enrolment=tuple(_identity(agent) for agent in body["enrolment"]) if "enrolment" in body else None,
        completion_verbs=tuple(body["completion_verbs"]),
    )


def training_from_text(text: str) -> Training:
    return training_from_json(json.loads(text))


def _identity(agent: Mapping[str, Any]) -> Identity:
    key = ifi_key(agent)
    if key is None:  # pragma: no cover - validators.training stores only agents with one IFI
        raise ValueError("a stored training names a person without an IFI")
    return Identity(key=key, agent=agent)


class TrainingCache:
    """Parsed trainings by ``(tenant, training id)``, reused while their stored version is unchanged (adapters
    read the version, and the body only when it changed)."""

    def __init__(self) -> None:
        self._parsed: dict[Pair, tuple[int, Training]] = {}

    def get(self, tenant: str, training_id: str, version: int, load_text: Callable[[], str | None]) -> Training | None:
        cached = self._parsed.get((tenant, training_id))
        if cached is not None and cached[0] == version:
            return cached[1]
        text = load_text()
        if text is None:
            return None
        training = training_from_text(text)
        self._parsed[(tenant, training_id)] = (version, training)
        return training


# events -----------------------------------------------------------------------------------------------------
def training_events(statement: Mapping[str, Any], index: TrainingIndex) -> tuple[ProgressEvent, ...]:
    """The events of a statement about the tenant's trainings (standalone events left out); () without
    trainings, at no cost, and () after a few dictionary lookups for a statement that names none of them."""
    if not index or not _names_a_training(statement, index):
        return ()
    return tuple(event for event in events_for_statement(statement, index) if event.training != STANDALONE)


def statement_events(statement: Mapping[str, Any], index: TrainingIndex) -> tuple[ProgressEvent, ...]:
    """Everything the projection keeps of a statement: its events about the tenant's trainings, or, when it
    concerns none of them, its standalone (microlearning) event (``events_for_statement``, whose cheap exits
    make a statement that names no training and carries no time cost a few dictionary lookups)."""
    return tuple(events_for_statement(statement, index))


def micro_events_of(events: Iterable[ProgressEvent]) -> list[ProgressEvent]:
    """The standalone (microlearning) events among ``events``."""
    return [event for event in events if event.training == STANDALONE]


def _names_a_training(statement: Mapping[str, Any], index: TrainingIndex) -> bool:
    """Whether the object or a ``parent`` / ``grouping`` context activity is a training's course or module:
    the only places :func:`lrs.progress.events.events_for_statement` looks for a training."""
    obj = statement.get("object")
    if isinstance(obj, Mapping) and isinstance(obj.get("id"), str) and index.lookup(obj["id"]):
        return True
    context = statement.get("context")
    activities = context.get("contextActivities") if isinstance(context, Mapping) else None
    if not isinstance(activities, Mapping):
        return False
    for kind in ("parent", "grouping"):
        value = activities.get(kind)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Mapping) and isinstance(item.get("id"), str) and index.lookup(item["id"]):
                return True
    return False


def event_to_text(event: ProgressEvent) -> str:
    return json.dumps(event.to_record(), ensure_ascii=False, separators=(",", ":"))


def event_from_text(text: str) -> ProgressEvent:
    return ProgressEvent.from_record(json.loads(text))


def batch_events(records: Iterable[StatementRecord], stored_us: int, voided: set[str]) -> list[ProgressEvent]:
    """The events a written batch adds: those of every record not stored already voided (``voided``: ids of
    the batch stored voided).  A record without a client timestamp gets ``stored`` as its timestamp, so its
    events are dated ``stored_us`` (what the rebuild reads from the stored statement)."""
    events: list[ProgressEvent] = []
    for record in records:
        if not record.progress_events or record.statement_id in voided:
            continue
        if record.needs_timestamp:
            events.extend(event._replace(at_us=stored_us) for event in record.progress_events)
        else:
            events.extend(record.progress_events)
    return events


def statement_learner(body: str) -> str | None:
    """The learner of a stored statement's events: its actor's IFI key (None for an Anonymous Group)."""
    actor = json.loads(body).get("actor")
    return ifi_key(actor) if isinstance(actor, Mapping) else None


def voiding_targets(records: Iterable[StatementRecord]) -> list[str]:
    """Ids of the statements the batch's voiding records void: their events must go."""
    return sorted({record.ref_target for record in records if record.voiding and record.ref_target})


# rows -------------------------------------------------------------------------------------------------------
enrolled_keys: PerTraining[frozenset[str] | None] = PerTraining(Training.enrolled_keys)
"""``training.enrolled_keys()``, remembered per training object (an enrolment list can hold thousands)."""


def refold(
    training: Training,
    learner: str,
    events: Iterable[ProgressEvent],
    *,
    enrolled: frozenset[str] | Literal[False] | None = False,
) -> ProgressRow | None:
    """The learner's row from their remaining events, or None when they are not a participant: not enrolled
    (with an enrolment list), or without any event (open enrolment).  ``enrolled``: the training's
    ``enrolled_keys()`` when the caller already has them (refolding many learners of one training)."""
    if enrolled is False:
        enrolled = enrolled_keys(training)
    mine = list(events)
    if enrolled is not None and learner not in enrolled:
        return None
    if enrolled is None and not mine:
        return None
    return fold(training, learner, mine)


def row_to_text(row: ProgressRow) -> str:
    return json.dumps(
        {
            "training": row.training,
            "learner": row.learner,
            "status": row.status.value,
            "modules_completed": row.modules_completed,
            "modules_required": row.modules_required,
            "percent": row.percent,
            "best_score": row.best_score,
            "outcome": row.outcome.value if row.outcome is not None else None,
            "time_spent_s": row.time_spent_s,
            "first_activity_us": row.first_activity_us,
            "last_activity_us": row.last_activity_us,
            "achieved_us": row.achieved_us,
            "missing": list(row.missing),
            "done": list(row.done),
            "statements": row.statements,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def row_from_text(text: str) -> ProgressRow:
    return row_from_json(json.loads(text))


def row_from_json(data: Mapping[str, Any]) -> ProgressRow:
    outcome = data["outcome"]
    return ProgressRow(
        training=data["training"],
        learner=data["learner"],
        status=Status(data["status"]),
        modules_completed=data["modules_completed"],
        modules_required=data["modules_required"],
        percent=data["percent"],
        best_score=data["best_score"],
        outcome=Status(outcome) if outcome is not None else None,
        time_spent_s=data["time_spent_s"],
        first_activity_us=data["first_activity_us"],
        last_activity_us=data["last_activity_us"],
        achieved_us=data["achieved_us"],
        missing=tuple(data["missing"]),
        done=tuple(data["done"]),
        statements=data["statements"],
    )


def row_record(row: ProgressRow, training: Training) -> ProgressRowRecord:
    """What the store keeps of a row: its fields, the columns reads filter on, and its view (lrs.progress.views)."""
    return ProgressRowRecord(
        row.training,
        row.learner,
        row.status.value,
        row.last_activity_us,
        row_to_text(row),
        row_view_text(row, training),
    )


@dataclass(frozen=True)
class Refolded:
    """What to write after a refold: rows to create or replace, and (training, learner) rows to delete."""

    upserts: list[ProgressRowRecord]
    deletes: list[Pair]


def refold_pairs(
    pairs: Iterable[Pair],
    load_training: Callable[[str], Training | None],
    load_events: Callable[[str, Sequence[str]], Mapping[str, list[ProgressEvent]]],
    *,
    loaded: Mapping[str, Mapping[str, list[ProgressEvent]]] | None = None,
) -> Refolded:
    """Recompute the rows of the given participants.  ``load_training(id)`` is the stored training (None when it
    no longer exists: its rows go), ``load_events(training id, learners)`` each learner's stored events, unless
    the caller ``loaded`` them already (by training id, then learner)."""
    by_training: dict[str, set[str]] = {}
    for training_id, learner in pairs:
        by_training.setdefault(training_id, set()).add(learner)
    upserts: list[ProgressRowRecord] = []
    deletes: list[Pair] = []
    for training_id in sorted(by_training):
        learners = sorted(by_training[training_id])
        training = load_training(training_id)
        if training is None:
            deletes.extend((training_id, learner) for learner in learners)
            continue
        events = loaded.get(training_id, {}) if loaded is not None else load_events(training_id, learners)
        enrolled = enrolled_keys(training)
        for learner in learners:
            row = refold(training, learner, events.get(learner, ()), enrolled=enrolled)
            if row is None:
                deletes.append((training_id, learner))
            else:
                upserts.append(row_record(row, training))
    return Refolded(upserts, deletes)


def participant_keys(training: Training, learners_with_events: Iterable[str]) -> set[str]:
    """Every learner whose row a full refold of the training must consider."""
    return set(learners_with_events) | set(enrolled_keys(training) or ())
