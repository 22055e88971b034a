"""A training: what a tenant's coordinators follow up, as a typed, immutable model.

A training is defined through the API (``PUT /api/v1/trainings/{training_id}``); ``validators.training`` turns
the JSON body into a :class:`Training` and :func:`training_to_json` turns it back (the two round-trip).

* ``course`` is the activity IRI of the course as a whole (cmi5: the LMS's course object, which ``satisfied``
  statements name; other statements name it in ``context.contextActivities.parent`` or ``grouping``).
* Each :class:`Module` is one activity the participant has to get through: a material, a video, an assignment,
  an evaluation form or an assessment.  A module is *completed* by a statement whose **object** is the module's
  activity and whose verb is one of the module's ``completion_verbs`` (default: ADL ``completed`` and
  ``passed``, cmi5 ``satisfied``).  Statements that only name the module in their context (a quiz question
  whose parent is the quiz) count as activity in the training but never complete the module.
* ``jp`` is credited once when the training is completed or passed (see :mod:`lrs.progress.hours`); it is kept
  as integer hundredths (``centi_jp``) so sums are exact.
* ``passing`` decides passed / failed (see :mod:`lrs.progress.rules`); without it a training is only ever
  completed.
* ``enrolment``: when given, exactly these learners are the participants; when absent, a learner becomes a
  participant with their first statement about the training.
* ``period`` is informational (listing, "trainings running now"): statements outside it still count.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Generic, TypeVar

from lrs.progress.verbs import DEFAULT_COMPLETION

T = TypeVar("T")


class ModuleKind(StrEnum):
    MATERIAL = "material"
    VIDEO = "video"
    ASSIGNMENT = "assignment"
    EVALUATION = "evaluation"
    ASSESSMENT = "assessment"
    OTHER = "other"


class PassingKind(StrEnum):
    # Passed when the best scaled score of every rule module reaches ``min_scaled``; failed when every rule
    # module has a score and at least one best score is below it.
    MIN_SCORE = "min_score"
    # Decided by ``passed`` / ``failed`` statements whose object is the course activity itself.
    COURSE_RESULT = "course_result"


@dataclass(frozen=True)
class Identity:
    """A person named in a training (coordinator, enrolled learner): their xAPI Agent reduced to its one
    Inverse Functional Identifier, and the canonical key of that IFI (``lrs.agents.ifi_key``)."""

    key: str
    agent: Mapping[str, Any] = field(compare=False)


@dataclass(frozen=True)
class Module:
    id: str  # activity IRI (the object id of the statements about it)
    title: str
    kind: ModuleKind
    required: bool = True
    completion_verbs: tuple[str, ...] = DEFAULT_COMPLETION  # verb IRIs


@dataclass(frozen=True)
class PassingRule:
    kind: PassingKind
    min_scaled: float | None = None  # MIN_SCORE only, in [0, 1]
    modules: tuple[str, ...] = ()  # MIN_SCORE only: module IRIs judged (resolved: never empty for MIN_SCORE)


@dataclass(frozen=True)
class Period:
    start: date
    end: date


@dataclass(frozen=True)
class Training:
    id: str
    title: str
    course: str  # course activity IRI
    modules: tuple[Module, ...]
    centi_jp: int  # JP credited on completion, in hundredths (24 JP -> 2400)
    passing: PassingRule | None = None
    period: Period | None = None
    coordinators: tuple[Identity, ...] = ()
    enrolment: tuple[Identity, ...] | None = None  # None: participants by first statement
    completion_verbs: tuple[str, ...] = DEFAULT_COMPLETION  # verbs on the course activity that complete it

    @property
    def jp(self) -> float:
        return self.centi_jp / 100

    @property
    def required_modules(self) -> tuple[Module, ...]:
        return tuple(module for module in self.modules if module.required)

    def module(self, iri: str) -> Module | None:
        for module in self.modules:
            if module.id == iri:
                return module
        return None

    def activity_ids(self) -> frozenset[str]:
        """The course IRI and every module IRI: the activities whose statements concern this training."""
        return frozenset({self.course, *(module.id for module in self.modules)})

    def enrolled_keys(self) -> frozenset[str] | None:
        return None if self.enrolment is None else frozenset(person.key for person in self.enrolment)


def training_to_json(training: Training) -> dict[str, Any]:
    """The JSON body describing a training (what ``validators.training.parse_training`` accepts)."""
    body: dict[str, Any] = {
        "id": training.id,
        "title": training.title,
        "course": training.course,
        "jp": training.centi_jp // 100 if training.centi_jp % 100 == 0 else training.centi_jp / 100,
        "modules": [
            {
                "id": module.id,
                "title": module.title,
                "kind": module.kind.value,
                "required": module.required,
                "completion_verbs": list(module.completion_verbs),
            }
            for module in training.modules
        ],
        "completion_verbs": list(training.completion_verbs),
        "coordinators": [dict(person.agent) for person in training.coordinators],
    }
    if training.passing is not None:
        rule: dict[str, Any] = {"rule": training.passing.kind.value}
        if training.passing.kind is PassingKind.MIN_SCORE:
            rule["min_scaled"] = training.passing.min_scaled
            rule["modules"] = list(training.passing.modules)
        body["passing"] = rule
    if training.period is not None:
        body["period"] = {"start": training.period.start.isoformat(), "end": training.period.end.isoformat()}
    if training.enrolment is not None:
        body["enrolment"] = [dict(person.agent) for person in training.enrolment]
    return body


class PerTraining(Generic[T]):
    """A value computed from a training, remembered per training object: the stored trainings are parsed once per
    version and reused, and what is derived from one (enrolment keys, module titles) is asked for once per row.
    Keyed by ``id``; the entry keeps a reference to the training so the id cannot be reused meanwhile."""

    def __init__(self, compute: Callable[[Training], T], *, size: int = 256) -> None:
        self._compute = compute
        self._size = size
        self._found: dict[int, tuple[Training, T]] = {}

    def __call__(self, training: Training) -> T:
        hit = self._found.get(id(training))
        if hit is not None and hit[0] is training:
            return hit[1]
        value = self._compute(training)
        if len(self._found) >= self._size:
            self._found.clear()
        self._found[id(training)] = (training, value)
        return value
