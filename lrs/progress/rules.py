"""Progress rules: one participant's events in one training -> their progress row.

The row is always recomputed from the participant's remaining events (a few dozen), never adjusted step by
step, so removing a voided statement's events gives exactly the row of a history in which it never existed,
and the order the events arrive in does not matter.

Definitions (``direct`` events are those whose statement's object is the module or course itself, see
:mod:`lrs.progress.events`):

* a **module is completed** by a direct event whose verb is one of the module's ``completion_verbs``; it was
  completed at the earliest such event;
* the **course is completed** by a direct event on the course activity whose verb is one of the training's
  ``completion_verbs`` (cmi5: the LMS's ``satisfied`` on the course);
* **all done**: every required module is completed (a training with no required module needs the course to be
  completed), or the course is completed.  Done at the moment the last required module was first completed,
  or the course first completed, whichever is earlier;
* **best score**: the highest scaled score of any direct event (module or course);
* **outcome** of the passing rule (None without a rule or while undecided):

  - ``min_score``: decided once every judged module has a scored direct event; *passed* when each module's
    best scaled score reaches ``min_scaled``, else *failed*.  Best scores decide, so a retake can turn failed
    into passed;
  - ``course_result``: *passed* when a direct ``passed`` on the course exists, else *failed* when a direct
    ``failed`` exists;

* **time spent**: :mod:`lrs.progress.timespent` over all the participant's events in the training;
* **first / last activity**: the earliest and latest event timestamps.

Status, first rule that applies (precedence):

1. ``not_started``: no events (an enrolled learner who has done nothing yet);
2. ``failed``: the outcome is failed (even with every module done: the judged part decides);
3. ``passed``: all done and the outcome is passed;
4. ``completed``: all done, and no passing rule or the rule is not decided yet;
5. ``in_progress``: anything else (including "passed the test but modules still missing": ``outcome`` says
   passed, ``missing`` lists what to chase).

``percent`` is 100 when all done, else the required modules completed * 100 // required modules (0 without
required modules).  ``missing`` lists the required modules not completed, in definition order (empty when all
done).  ``achieved_us`` is when the status became ``completed`` (all done) or ``passed`` (the later of all done
and the first moment every judged module had a passing score, or the first course ``passed``); it dates the JP
credit (:mod:`lrs.progress.hours`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from lrs.progress.events import COURSE, ProgressEvent
from lrs.progress.timespent import CAP_MS, time_spent_s
from lrs.progress.training import PassingKind, PassingRule, Training
from lrs.progress.verbs import FAILED, PASSED, verb_token


class Status(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    PASSED = "passed"
    FAILED = "failed"


CREDITED = frozenset({Status.COMPLETED, Status.PASSED})  # statuses that earn the training's JP


@dataclass(frozen=True)
class ProgressRow:
    training: str
    learner: str  # IFI key
    status: Status
    modules_completed: int  # required modules completed
    modules_required: int
    percent: int
    best_score: float | None
    outcome: Status | None  # PASSED / FAILED by the passing rule; None without a rule or undecided
    time_spent_s: int
    first_activity_us: int | None
    last_activity_us: int | None
    achieved_us: int | None  # when it became completed / passed; None otherwise
    missing: tuple[str, ...]  # required module IRIs not completed, in definition order
    done: tuple[str, ...] = field(default=())  # every module completed (required or not), in definition order
    statements: int = 0  # distinct statements behind the events


@dataclass(frozen=True)
class TrainingSummary:
    participants: int
    by_status: Mapping[Status, int]
    average_percent: int  # floor of the mean percent; 0 without participants
    total_time_spent_s: int


def fold(training: Training, learner: str, events: Iterable[ProgressEvent], *, cap_ms: int = CAP_MS) -> ProgressRow:
    """The progress row of ``learner`` in ``training`` from events (other trainings' and learners' are ignored)."""
    mine = [event for event in events if event.training == training.id and event.learner == learner]
    required = training.required_modules
    if not mine:
        return ProgressRow(
            training=training.id,
            learner=learner,
            status=Status.NOT_STARTED,
            modules_completed=0,
            modules_required=len(required),
            percent=0,
            best_score=None,
            outcome=None,
            time_spent_s=0,
            first_activity_us=None,
            last_activity_us=None,
            achieved_us=None,
            missing=tuple(module.id for module in required),
        )
    direct = [event for event in mine if event.direct]
    completed_at = _module_completions(training, direct)
    course_done = _earliest(
        event.at_us for event in direct if event.activity == COURSE and event.verb in _tokens(training.completion_verbs)
    )
    modules_done = None
    if required and all(module.id in completed_at for module in required):
        modules_done = max(completed_at[module.id] for module in required)
    all_done = _earliest(moment for moment in (modules_done, course_done) if moment is not None)
    outcome, pass_us = _outcome(training.passing, direct)
    status, achieved = _status(all_done, outcome, pass_us)
    completed_count = sum(1 for module in required if module.id in completed_at)
    percent = _percent(all_done is not None, completed_count, len(required))
    scores = [event.scaled for event in direct if event.scaled is not None]
    return ProgressRow(
        training=training.id,
        learner=learner,
        status=status,
        modules_completed=completed_count,
        modules_required=len(required),
        percent=percent,
        best_score=max(scores) if scores else None,
        outcome=outcome,
        time_spent_s=time_spent_s(mine, cap_ms=cap_ms),
        first_activity_us=min(event.at_us for event in mine),
        last_activity_us=max(event.at_us for event in mine),
        achieved_us=achieved,
        missing=() if all_done is not None else tuple(m.id for m in required if m.id not in completed_at),
        done=tuple(module.id for module in training.modules if module.id in completed_at),
        statements=len({event.statement_id for event in mine}),
    )


def _percent(all_done: bool, completed: int, required: int) -> int:
    if all_done:
        return 100
    return completed * 100 // required if required else 0


@functools.lru_cache(maxsize=1024)
def _tokens(verb_iris: tuple[str, ...]) -> frozenset[str]:
    """The tokens of completion verbs (remembered: every fold of every row asks for the same few tuples)."""
    return frozenset(verb_token(iri) for iri in verb_iris)


def _earliest(moments: Iterable[int]) -> int | None:
    return min(moments, default=None)


def _module_completions(training: Training, direct: list[ProgressEvent]) -> dict[str, int]:
    """module IRI -> earliest completing event timestamp."""
    verbs = {module.id: _tokens(module.completion_verbs) for module in training.modules}
    completed_at: dict[str, int] = {}
    for event in direct:
        if event.verb in verbs.get(event.activity, ()):
            known = completed_at.get(event.activity)
            completed_at[event.activity] = event.at_us if known is None else min(known, event.at_us)
    return completed_at


def _outcome(rule: PassingRule | None, direct: list[ProgressEvent]) -> tuple[Status | None, int | None]:
    """(outcome, first moment it was passed) of the passing rule."""
    if rule is None:
        return None, None
    if rule.kind is PassingKind.COURSE_RESULT:
        course = [event for event in direct if event.activity == COURSE]
        passed = _earliest(event.at_us for event in course if event.verb == PASSED)
        if passed is not None:
            return Status.PASSED, passed
        if any(event.verb == FAILED for event in course):
            return Status.FAILED, None
        return None, None
    threshold = rule.min_scaled if rule.min_scaled is not None else 1.0
    best: dict[str, float] = {}
    first_pass: dict[str, int] = {}
    judged = set(rule.modules)
    for event in direct:
        if event.scaled is None or event.activity not in judged:
            continue
        best[event.activity] = max(best.get(event.activity, event.scaled), event.scaled)
        if event.scaled >= threshold:
            known = first_pass.get(event.activity)
            first_pass[event.activity] = event.at_us if known is None else min(known, event.at_us)
    if len(best) < len(judged):
        return None, None
    if all(score >= threshold for score in best.values()):
        return Status.PASSED, max(first_pass.values())
    return Status.FAILED, None


def _status(all_done: int | None, outcome: Status | None, pass_us: int | None) -> tuple[Status, int | None]:
    if outcome is Status.FAILED:
        return Status.FAILED, None
    if all_done is None:
        return Status.IN_PROGRESS, None
    if outcome is Status.PASSED:
        return Status.PASSED, max(all_done, pass_us or all_done)
    return Status.COMPLETED, all_done


def participants(training: Training, learners_with_events: Iterable[str]) -> list[str]:
    """Who the training's participants are, sorted: the enrolment list when there is one (learners outside it
    are not reported), else every learner with at least one event about the training."""
    enrolled = training.enrolled_keys()
    return sorted(enrolled if enrolled is not None else set(learners_with_events))


def progress_rows(training: Training, events: Iterable[ProgressEvent], *, cap_ms: int = CAP_MS) -> list[ProgressRow]:
    """Every participant's row from all events of the training (the rebuild path), sorted by learner."""
    by_learner: dict[str, list[ProgressEvent]] = {}
    for event in events:
        if event.training == training.id:
            by_learner.setdefault(event.learner, []).append(event)
    return [
        fold(training, learner, by_learner.get(learner, ()), cap_ms=cap_ms)
        for learner in participants(training, by_learner)
    ]


def summarize(rows: Iterable[ProgressRow]) -> TrainingSummary:
    """Counts per status (every status present, zeros included), mean percent and total time."""
    counts = dict.fromkeys(Status, 0)
    percent_sum = time_sum = total = 0
    for row in rows:
        counts[row.status] += 1
        percent_sum += row.percent
        time_sum += row.time_spent_s
        total += 1
    return TrainingSummary(
        participants=total,
        by_status=counts,
        average_percent=percent_sum // total if total else 0,
        total_time_spent_s=time_sum,
    )
