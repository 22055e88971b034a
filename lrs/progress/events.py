"""One stored statement -> the compact progress events the projection keeps.

Which training a statement concerns (per training, at most one event per statement; first rule that applies):

1. its **object** is a module of the training -> ``activity`` = that module, ``direct`` = True;
2. its object is the training's **course** activity -> ``activity`` = ``""`` (the course), ``direct`` = True;
3. a module of the training is in ``context.contextActivities.parent`` or ``grouping`` (in that order) ->
   that module, ``direct`` = False (e.g. a quiz question whose parent is the quiz);
4. the course is in ``parent`` or ``grouping`` (cmi5 statements carry the course there) -> ``""``, not direct.

Only ``direct`` events can complete a module or the course, or carry the score that a passing rule judges;
every event counts as activity (participation, first/last activity, time spent).

A statement that concerns no training is **standalone** (microlearning): it yields one event with ``training``
``""`` whose ``activity`` is its *unit*, the first ``parent`` activity when there is one (a quiz question counts
towards its quiz) and otherwise its object, and only when it can contribute time: it has a ``result.duration``
or a cmi5 session id.  Standalone statements without either would never change a report, so they yield nothing.

Never any event: voiding statements (the projection removes the events of their target instead, see
:func:`voided_target`), statements whose actor has no IFI (Anonymous Groups), and statements whose object is not
an Activity (Agents, StatementRefs, SubStatements).

The learner is the actor's IFI key (:func:`lrs.agents.ifi_key`); the time is the statement's ``timestamp``
(the LRS sets it when the client did not), else ``stored``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, TypeGuard

from lrs.agents import ifi_key
from lrs.progress.durations import MAX_MS, duration_ms
from lrs.progress.training import Training
from lrs.progress.verbs import verb_token
from lrs.statement_fields import is_voiding, statement_ref_target
from lrs.timeutil import parse_instant_us, to_us

SESSION_EXTENSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
STANDALONE = ""  # the ``training`` of microlearning events
COURSE = ""  # the ``activity`` of events about the training's course activity
MAX_SESSION_ID = 256  # longer session ids are cut (they only group statements)

# Record keys (short: events are what the projection stores, one per statement and training).
_FIELDS = (
    ("statement_id", "s"),
    ("training", "t"),
    ("learner", "l"),
    ("activity", "a"),
    ("direct", "d"),
    ("verb", "v"),
    ("at_us", "ts"),
    ("scaled", "sc"),
    ("duration_ms", "du"),
    ("session", "se"),
)


# Hot path (every statement of a tenant with trainings or carrying time): a ``dict`` is checked first, so a parsed
# statement never pays for the ``Mapping`` ABC check; any other Mapping still counts.
_MAPS = (dict, Mapping)
_ACCOUNT_KEYS: dict[tuple[str, str], str | None] = {}  # (homePage, name) -> ifi_key, for account-only actors
_ACCOUNT_KEYS_MAX = 100_000
_PLAIN_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z", re.ASCII)
_CLOCK_DURATION = re.compile(r"PT(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,9})(?:\.(\d{1,9}))?S)?", re.ASCII)


class ProgressEvent(NamedTuple):
    """What one statement says about one learner's progress in one training (or standalone activity).  A named
    tuple: ingest builds one per statement it keeps, four times faster than a frozen dataclass."""

    statement_id: str
    training: str  # training id; STANDALONE ("") for microlearning
    learner: str  # IFI key of the actor
    activity: str  # module IRI, COURSE ("") for the course; standalone: the unit activity IRI
    direct: bool  # the statement's object is this module (or the course)
    verb: str  # verb token (lrs.progress.verbs.verb_token)
    at_us: int  # statement timestamp, microseconds since the epoch (UTC)
    scaled: float | None = None  # result.score.scaled, or (raw - min) / (max - min)
    duration_ms: int | None = None  # result.duration
    session: str | None = None  # cmi5 session id (context extension)

    def to_record(self) -> dict[str, Any]:
        """A compact dict (short keys, unset optional fields left out) for storage."""
        record: dict[str, Any] = {}
        for name, short in _FIELDS:
            value = getattr(self, name)
            if value is not None:
                record[short] = value
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ProgressEvent:
        return cls(**{name: record[short] for name, short in _FIELDS if short in record})


class TrainingIndex:
    """Activity IRI -> the (training id, module IRI or COURSE) pairs it stands for, for one tenant's trainings."""

    def __init__(self, trainings: Iterable[Training]) -> None:
        by_activity: dict[str, list[tuple[str, str]]] = {}
        for training in sorted(trainings, key=lambda item: item.id):
            by_activity.setdefault(training.course, []).append((training.id, COURSE))
            for module in training.modules:
                by_activity.setdefault(module.id, []).append((training.id, module.id))
        self._by_activity = {iri: tuple(pairs) for iri, pairs in by_activity.items()}

    def lookup(self, activity_id: str) -> Sequence[tuple[str, str]]:
        return self._by_activity.get(activity_id, ())

    def __bool__(self) -> bool:
        return bool(self._by_activity)


def voided_target(statement: Mapping[str, Any]) -> str | None:
    """The id (lowercase) of the statement a voiding statement voids, else None: its events must go."""
    return statement_ref_target(statement) if is_voiding(statement) else None


def events_for_statement(statement: Mapping[str, Any], index: TrainingIndex) -> list[ProgressEvent]:
    """The progress events of one stored statement (see the module docstring for the rules).

    Hot path (every statement of a tenant with trainings or carrying time, at ingest): the cheap exits come
    first, and the context activities are only walked when a training could match or a standalone unit is
    needed.  A voiding statement's object is a StatementRef, so the Activity check below excludes it."""
    obj = statement.get("object")
    if not isinstance(obj, _MAPS) or obj.get("objectType", "Activity") != "Activity":
        return []
    object_id = obj.get("id")
    actor = statement.get("actor")
    if not isinstance(object_id, str) or not isinstance(actor, _MAPS):
        return []
    learner = _learner(actor)
    if learner is None:
        return []
    context = statement.get("context")
    context = context if isinstance(context, _MAPS) else _EMPTY
    matches = _training_matches(object_id, _context_activity_ids(context), index) if index else None
    result = statement.get("result")
    result = result if isinstance(result, _MAPS) else _EMPTY
    duration = _duration_ms(result.get("duration"))
    session = _session_id(context)
    if not matches:
        if duration is None and session is None:
            return []
        parent = _first_parent(context)
        unit = object_id if parent is None else parent
        matches = {STANDALONE: (unit, unit == object_id)}
    statement_id = str(statement.get("id", "")).lower()
    verb = statement.get("verb")
    verb_id = verb.get("id") if isinstance(verb, _MAPS) else None
    token = verb_token(verb_id) if isinstance(verb_id, str) else ""
    at_us = _instant_us(statement.get("timestamp"))
    if at_us is None:
        at_us = _instant_us(statement.get("stored")) or 0
    scaled = _scaled(result.get("score"))
    if len(matches) == 1:
        ((training_id, (activity, direct)),) = matches.items()
        return [
            ProgressEvent(statement_id, training_id, learner, activity, direct, token, at_us, scaled, duration, session)
        ]
    return [
        ProgressEvent(statement_id, training_id, learner, activity, direct, token, at_us, scaled, duration, session)
        for training_id, (activity, direct) in sorted(matches.items())
    ]


_EMPTY: Mapping[str, Any] = {}


def _first_parent(context: Mapping[str, Any]) -> str | None:
    """The id of the first ``parent`` context activity, if any (a standalone event's unit)."""
    activities = context.get("contextActivities")
    if not isinstance(activities, _MAPS):
        return None
    parents = _ids(activities.get("parent"))
    return parents[0] if parents else None


def _training_matches(
    object_id: str, context_ids: tuple[list[str], list[str]], index: TrainingIndex
) -> dict[str, tuple[str, bool]]:
    """training id -> (activity, direct), by the precedence of the module docstring."""
    if not index:
        return {}
    found: dict[str, tuple[str, bool]] = {}
    for training_id, activity in index.lookup(object_id):
        found[training_id] = (activity, True)
    for ids in context_ids:
        for iri in ids:
            for training_id, activity in index.lookup(iri):
                current = found.get(training_id)
                if current is None or (not current[1] and current[0] == COURSE and activity != COURSE):
                    found[training_id] = (activity, False)
    return found


def _context_activity_ids(context: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The ids of ``parent`` and of ``grouping`` context activities (a single object or a list)."""
    activities = context.get("contextActivities")
    if not isinstance(activities, _MAPS):
        return [], []
    parent = _ids(activities.get("parent"))
    grouping = _ids(activities.get("grouping"))
    return parent, grouping


def _ids(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value] if value is not None else []
    return [item["id"] for item in items if isinstance(item, _MAPS) and isinstance(item.get("id"), str)]


def _learner(actor: Mapping[str, Any]) -> str | None:
    """``ifi_key(actor)``; for an actor identified by an account only (SSO learners: most statements), remembered
    per (homePage, name), since building the key (a JSON array) costs more than the rest of an event."""
    account = actor.get("account")
    if (
        not isinstance(account, _MAPS)
        or "mbox" in actor
        or "mbox_sha1sum" in actor
        or "openid" in actor
        or not isinstance(account.get("homePage"), str)
        or not isinstance(account.get("name"), str)
    ):
        return ifi_key(actor)
    cache_key = (account["homePage"], account["name"])
    if cache_key not in _ACCOUNT_KEYS:
        if len(_ACCOUNT_KEYS) >= _ACCOUNT_KEYS_MAX:
            _ACCOUNT_KEYS.clear()
        _ACCOUNT_KEYS[cache_key] = ifi_key(actor)
    return _ACCOUNT_KEYS[cache_key]


def _instant_us(value: object) -> int | None:
    """``parse_instant_us``; the form the LRS stores timestamps in (UTC, ``Z``, at most 6 fraction digits) by
    ``datetime.fromisoformat`` (several times faster), anything else (or a leap second) by the full parser."""
    if isinstance(value, str) and _PLAIN_UTC.fullmatch(value):
        try:
            return to_us(datetime.fromisoformat(value))
        except ValueError:
            pass
    return parse_instant_us(value)


def _duration_ms(value: object) -> int | None:
    """``duration_ms``; hours, minutes and seconds with at most 9 digits each (what clients send) by integer
    arithmetic, which is exact there, anything else by the full parser."""
    match = _CLOCK_DURATION.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return duration_ms(value)
    hours, minutes, seconds, fraction = match.groups()
    if hours is None and minutes is None and seconds is None:
        return None  # "PT": not a duration
    total = int(hours or 0) * 3_600_000 + int(minutes or 0) * 60_000 + int(seconds or 0) * 1_000
    if fraction:
        total += int(fraction) * 1_000 // 10 ** len(fraction)
    return min(total, MAX_MS)


def _session_id(context: Mapping[str, Any]) -> str | None:
    extensions = context.get("extensions")
    value = extensions.get(SESSION_EXTENSION) if isinstance(extensions, _MAPS) else None
    if isinstance(value, str) and value:
        return value[:MAX_SESSION_ID]
    return None


def _scaled(score: object) -> float | None:
    """``scaled`` when given, else ``(raw - min) / (max - min)`` when all three are numbers, else None."""
    if not isinstance(score, _MAPS):
        return None
    scaled = score.get("scaled")
    if _is_number(scaled):
        return float(scaled)
    raw, low, high = score.get("raw"), score.get("min"), score.get("max")
    if _is_number(raw) and _is_number(low) and _is_number(high) and high > low:
        return round((raw - low) / (high - low), 6)
    return None


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
