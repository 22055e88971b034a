"""How a progress row is shown: the fields of a row in the API's JSON, rendered once when the row is refolded.

The projection stores each row twice over: its fields (``lrs.progress.projection.row_to_text``, what reports
compute with) and its *view*, the row exactly as ``GET /api/v1/trainings/{id}/progress`` shows it (the agent,
ISO timestamps, the missing modules with their titles).  A page of 1,000 rows is then the stored views joined,
not 1,000 rows parsed, rebuilt and encoded again on every read.  A view depends on the training (module
titles, the names its enrolment list and coordinators give); putting a training refolds all its rows.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from lrs.progress.rules import ProgressRow
from lrs.progress.training import PerTraining, Training

_EPOCH = datetime(1970, 1, 1)  # naive UTC: isoformat() without an offset
_DAY_US = 86_400_000_000


def agent_from_key(key: str) -> dict[str, Any]:
    """The xAPI Agent of an IFI key (:func:`lrs.agents.ifi_key`), without a name (a new dict every call)."""
    kind, _, value = key.partition(":")
    if kind == "account":
        home_page, name = _account(value)
        return {"objectType": "Agent", "account": {"homePage": home_page, "name": name}}
    return {"objectType": "Agent", kind: value}


@functools.lru_cache(maxsize=65_536)
def _account(value: str) -> tuple[Any, Any]:
    """(homePage, name) of an account key (remembered: every report names the same learners again)."""
    home_page, name = json.loads(value)
    return home_page, name


def known_agents(trainings: Iterable[Training]) -> dict[str, dict[str, Any]]:
    """IFI key -> the Agent as the trainings name it (enrolment lists and coordinators may carry names)."""
    agents: dict[str, dict[str, Any]] = {}
    for training in trainings:
        for person in (*training.coordinators, *(training.enrolment or ())):
            if person.key not in agents or "name" in person.agent:
                agents[person.key] = {"objectType": "Agent", **person.agent}
    return agents


def agent_of(key: str, known: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    return known.get(key) or agent_from_key(key)


def iso(value: int | None) -> str | None:
    """``lrs.timeutil.iso_us`` (UTC, milliseconds, ``Z``): the day's text remembered, the time by arithmetic
    (three per row, thousands of rows per answer)."""
    if value is None:
        return None
    day, in_day = divmod(value, _DAY_US)
    hours, rest = divmod(in_day // 1000, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{_day_text(day)}T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}Z"


@functools.lru_cache(maxsize=4096)
def _day_text(day: int) -> str:
    return (_EPOCH + timedelta(days=day)).date().isoformat()


def row_fields(row: ProgressRow, training: Training) -> dict[str, Any]:
    """A row's progress fields (no identity)."""
    titles = _per_training(training)[0]
    return {
        "status": row.status.value,
        "percent": row.percent,
        "modules_completed": row.modules_completed,
        "modules_required": row.modules_required,
        "best_score": row.best_score,
        "outcome": row.outcome.value if row.outcome is not None else None,
        "time_spent_s": row.time_spent_s,
        "first_activity": iso(row.first_activity_us),
        "last_activity": iso(row.last_activity_us),
        "achieved": iso(row.achieved_us),
        "missing": [{"id": iri, "title": titles.get(iri, iri)} for iri in row.missing],
        "done": list(row.done),
        "statements": row.statements,
    }


def row_view(row: ProgressRow, training: Training) -> dict[str, Any]:
    """The row as the progress API shows it: its agent, then its fields."""
    return {"agent": agent_of(row.learner, _per_training(training)[1]), **row_fields(row, training)}


def row_view_text(row: ProgressRow, training: Training) -> str:
    """:func:`row_view` as the JSON text stored with the row."""
    return json.dumps(row_view(row, training), ensure_ascii=False, separators=(",", ":"))


def _titles_and_agents(training: Training) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    return {module.id: module.title for module in training.modules}, known_agents([training])


_per_training: PerTraining[tuple[dict[str, str], dict[str, dict[str, Any]]]] = PerTraining(_titles_and_agents)
"""(module titles by IRI, known agents) of a training, remembered per training object (one per row otherwise)."""
