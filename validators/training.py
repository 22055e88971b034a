"""The body of ``PUT /api/v1/trainings/{training_id}``: JSON in, :class:`lrs.progress.training.Training` out.

Every rejection is a :class:`~lrs.errors.BadRequestError` naming the field path (``training.modules[2].kind``).
Unknown properties are rejected at every level.  The shape::

    {
      "title": "Pelatihan Dasar CPNS",                       # required, 1-300 characters
      "course": "https://lms.example.go.id/course/latsar",   # required, course activity IRI
      "jp": 24,                                              # required, > 0, at most two decimals
      "modules": [                                           # required (may be empty), ids unique
        {"id": IRI, "title": "...", "kind": "material|video|assignment|evaluation|assessment|other",
         "required": true, "completion_verbs": [verb IRI, ...]}
      ],
      "completion_verbs": [verb IRI, ...],                   # verbs on the course itself that complete it
      "passing": {"rule": "min_score", "min_scaled": 0.7, "modules": [module IRI, ...]}
               | {"rule": "course_result"},                  # optional
      "period": {"start": "2025-01-06", "end": "2025-03-28"},  # optional
      "coordinators": [person, ...],                         # optional
      "enrolment": [person, ...]                             # optional; absent: participants by first statement
    }

A *person* is an xAPI Agent with one IFI, or a string: the civil-servant number of an SSO account, short for
``{"account": {"homePage": <LRS_SSO_HOMEPAGE>, "name": <number>}}``.  ``id`` may be repeated in the body but
must then equal the id in the path.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from lrs.agents import ifi_key
from lrs.progress.training import Identity, Module, ModuleKind, PassingKind, PassingRule, Period, Training
from lrs.progress.verbs import DEFAULT_COMPLETION
from validators.agents import validate_agent
from validators.primitives import check_iri
from validators.shape import check_bool, check_number, check_string, fail, require_keys, require_list, require_object

__all__ = ["MAX_ENROLMENT", "MAX_MODULES", "parse_training", "validate_training_id"]

MAX_MODULES = 500
MAX_ENROLMENT = 100_000
MAX_COORDINATORS = 500
MAX_TITLE = 300
MAX_JP = 10_000
ROOT = "training"

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,127}", re.ASCII)
_DATE = re.compile(r"\d{4}-\d\d-\d\d", re.ASCII)
_TRAINING_KEYS = frozenset(
    {"id", "title", "course", "jp", "modules", "completion_verbs", "passing", "period", "coordinators", "enrolment"}
)
_MODULE_KEYS = frozenset({"id", "title", "kind", "required", "completion_verbs"})
_PASSING_KEYS = {
    PassingKind.MIN_SCORE: frozenset({"rule", "min_scaled", "modules"}),
    PassingKind.COURSE_RESULT: frozenset({"rule"}),
}
_PERIOD_KEYS = frozenset({"start", "end"})
_KINDS = ", ".join(kind.value for kind in ModuleKind)


def validate_training_id(value: str) -> str:
    """A training id as it appears in the URL: 1-128 unreserved characters, starting with a letter or digit."""
    if not _ID.fullmatch(value):
        fail(
            "training_id",
            f"must be 1-128 letters, digits, '.', '_', '~' or '-' (starting with a letter or digit), got {value!r}",
        )
    return value


def parse_training(training_id: str, body: object, *, sso_homepage: str) -> Training:
    """Validate a training definition and build its model; ``sso_homepage`` expands SSO account numbers."""
    validate_training_id(training_id)
    obj = require_object(body, ROOT, _TRAINING_KEYS)
    require_keys(obj, ROOT, ("title", "course", "jp", "modules"))
    if "id" in obj and obj["id"] != training_id:
        fail(f"{ROOT}.id", f"must equal the training id in the path ({training_id!r}), got {obj['id']!r}")
    course = check_iri(obj["course"], f"{ROOT}.course")
    modules = _modules(obj["modules"], f"{ROOT}.modules", course)
    return Training(
        id=training_id,
        title=_title(obj["title"], f"{ROOT}.title"),
        course=course,
        modules=modules,
        centi_jp=_centi_jp(obj["jp"], f"{ROOT}.jp"),
        passing=_passing(obj["passing"], f"{ROOT}.passing", modules) if "passing" in obj else None,
        period=_period(obj["period"], f"{ROOT}.period") if "period" in obj else None,
        coordinators=_people(obj.get("coordinators", []), f"{ROOT}.coordinators", sso_homepage, MAX_COORDINATORS),
        enrolment=(
            _people(obj["enrolment"], f"{ROOT}.enrolment", sso_homepage, MAX_ENROLMENT) if "enrolment" in obj else None
        ),
        completion_verbs=_verbs(obj["completion_verbs"], f"{ROOT}.completion_verbs")
        if "completion_verbs" in obj
        else DEFAULT_COMPLETION,
    )


def _title(value: object, path: str) -> str:
    text = check_string(value, path).strip()
    if not text:
        fail(path, "must not be empty")
    if len(text) > MAX_TITLE:
        fail(path, f"must be at most {MAX_TITLE} characters, got {len(text)}")
    return text


def _centi_jp(value: object, path: str) -> int:
    number = check_number(value, path)
    exact = Decimal(str(number))
    if not 0 < exact <= MAX_JP:
        fail(path, f"must be greater than 0 and at most {MAX_JP}, got {value!r}")
    centi = exact * 100
    if centi != centi.to_integral_value():
        fail(path, f"must have at most two decimals, got {value!r}")
    return int(centi)


def _verbs(value: object, path: str) -> tuple[str, ...]:
    items = require_list(value, path)
    if not items:
        fail(path, "must list at least one verb IRI")
    verbs = tuple(check_iri(item, f"{path}[{index}]") for index, item in enumerate(items))
    _no_repeats(verbs, path)
    return verbs


def _no_repeats(values: tuple[str, ...], path: str) -> None:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            fail(f"{path}[{index}]", f"{value!r} is listed twice")
        seen.add(value)


def _modules(value: object, path: str, course: str) -> tuple[Module, ...]:
    items = require_list(value, path)
    if len(items) > MAX_MODULES:
        fail(path, f"must list at most {MAX_MODULES} modules, got {len(items)}")
    modules = tuple(_module(item, f"{path}[{index}]") for index, item in enumerate(items))
    _no_repeats(tuple(module.id for module in modules), path)
    for index, module in enumerate(modules):
        if module.id == course:
            fail(f"{path}[{index}].id", "must differ from the course activity IRI")
    return modules


def _module(value: object, path: str) -> Module:
    obj = require_object(value, path, _MODULE_KEYS)
    require_keys(obj, path, ("id", "title", "kind"))
    kind_text = check_string(obj["kind"], f"{path}.kind")
    if kind_text not in ModuleKind._value2member_map_:
        fail(f"{path}.kind", f"must be one of {_KINDS}, got {kind_text!r}")
    return Module(
        id=check_iri(obj["id"], f"{path}.id"),
        title=_title(obj["title"], f"{path}.title"),
        kind=ModuleKind(kind_text),
        required=check_bool(obj["required"], f"{path}.required") if "required" in obj else True,
        completion_verbs=(
            _verbs(obj["completion_verbs"], f"{path}.completion_verbs")
            if "completion_verbs" in obj
            else DEFAULT_COMPLETION
        ),
    )


def _passing(value: object, path: str, modules: tuple[Module, ...]) -> PassingRule:
    if type(value) is not dict:
        fail(path, f"must be an object with a 'rule' ({', '.join(kind.value for kind in PassingKind)})")
    require_keys(value, path, ("rule",))
    rule_text = check_string(value["rule"], f"{path}.rule")
    if rule_text not in PassingKind._value2member_map_:
        fail(f"{path}.rule", f"must be one of {', '.join(k.value for k in PassingKind)}, got {rule_text!r}")
    kind = PassingKind(rule_text)
    obj = require_object(value, path, _PASSING_KEYS[kind])
    if kind is PassingKind.COURSE_RESULT:
        return PassingRule(kind)
    require_keys(obj, path, ("min_scaled",))
    min_scaled = check_number(obj["min_scaled"], f"{path}.min_scaled")
    if not 0 <= min_scaled <= 1:
        fail(f"{path}.min_scaled", f"must be between 0 and 1 inclusive, got {min_scaled!r}")
    known = {module.id for module in modules}
    if "modules" in obj:
        judged = _iri_list(obj["modules"], f"{path}.modules")
        for index, iri in enumerate(judged):
            if iri not in known:
                fail(f"{path}.modules[{index}]", f"{iri!r} is not a module of this training")
    else:
        judged = tuple(module.id for module in modules if module.kind is ModuleKind.ASSESSMENT)
    if not judged:
        fail(f"{path}.modules", "must list at least one module (no module is of kind 'assessment')")
    return PassingRule(kind, min_scaled=float(min_scaled), modules=judged)


def _iri_list(value: object, path: str) -> tuple[str, ...]:
    items = require_list(value, path)
    iris = tuple(check_iri(item, f"{path}[{index}]") for index, item in enumerate(items))
    _no_repeats(iris, path)
    return iris


def _period(value: object, path: str) -> Period:
    obj = require_object(value, path, _PERIOD_KEYS)
    require_keys(obj, path, ("start", "end"))
    start = _date(obj["start"], f"{path}.start")
    end = _date(obj["end"], f"{path}.end")
    if end < start:
        fail(f"{path}.end", f"must not be before start ({start.isoformat()}), got {end.isoformat()}")
    return Period(start, end)


def _date(value: object, path: str) -> date:
    text = check_string(value, path)
    if _DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    fail(path, f"must be a calendar date YYYY-MM-DD, got {text!r}")


def _people(value: object, path: str, sso_homepage: str, limit: int) -> tuple[Identity, ...]:
    items = require_list(value, path)
    if len(items) > limit:
        fail(path, f"must list at most {limit} people, got {len(items)}")
    people = tuple(_person(item, f"{path}[{index}]", sso_homepage) for index, item in enumerate(items))
    _no_repeats(tuple(person.key for person in people), path)
    return people


def _person(value: object, path: str, sso_homepage: str) -> Identity:
    agent: dict[str, Any]
    if type(value) is str:
        if not value.strip():
            fail(path, "must not be empty (an SSO account number or an Agent object)")
        agent = {"account": {"homePage": sso_homepage, "name": value}}
    else:
        if type(value) is not dict:
            fail(path, "must be an SSO account number (string) or an Agent object")
        validate_agent(value, path, allow_group=False)
        agent = dict(value)
    key = ifi_key(agent)
    if key is None:  # pragma: no cover - validate_agent requires one IFI
        fail(path, "must identify one person")
    return Identity(key=key, agent=agent)
