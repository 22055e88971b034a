"""Event blocks: how the projection stores its events, a row per learner per written batch, not per statement.

A **block** holds the events one written batch (or one rebuild step) gives one learner in one training (or, for
microlearning, in no training), all of statements with the same ``stored`` time: the block's key is
``(training, learner, stored_us, first)``, ``first`` being the smallest statement id in it (two batches can share
a ``stored`` time).  Why blocks: a batch of 100 statements from one learner's session is one row and one index
entry to write instead of 100, which is most of what maintaining the projection costs at ingest.  And they can be
found again from a statement alone: its learner (the actor) and its ``stored`` time are in the stored statement,
so voiding one, or recomputing its events when a training changes, reads and rewrites only the blocks under
that prefix (normally one).

The events of a block are stored as compact arrays (:func:`encode` / :func:`decode`; training and learner are
the block's).  Microlearning blocks also keep the smallest and largest event time (``lo_us``, ``hi_us``) so the
learning-hours reports read only the blocks of the year.  Everything here is pure; both adapters use it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lrs.progress.events import ProgressEvent

Packed = list[Any]  # [statement_id, activity, direct, verb, at_us, scaled, duration_ms, session]


@dataclass(frozen=True)
class Block:
    """The events of one learner in one training (``""``: microlearning) from statements stored at ``stored_us``."""

    training: str
    learner: str
    stored_us: int
    events: tuple[ProgressEvent, ...]

    @property
    def first(self) -> str:
        return min(event.statement_id for event in self.events)

    @property
    def lo_us(self) -> int:
        return min(event.at_us for event in self.events)

    @property
    def hi_us(self) -> int:
        return max(event.at_us for event in self.events)


def pack(event: ProgressEvent) -> Packed:
    return [
        event.statement_id,
        event.activity,
        1 if event.direct else 0,
        event.verb,
        event.at_us,
        event.scaled,
        event.duration_ms,
        event.session,
    ]


def unpack(item: Sequence[Any], training: str, learner: str) -> ProgressEvent:
    statement_id, activity, direct, verb, at_us, scaled, duration_ms, session = item
    return ProgressEvent(
        statement_id, training, learner, activity, bool(direct), verb, at_us, scaled, duration_ms, session
    )


def encode(events: Iterable[ProgressEvent]) -> str:
    """A block's events as JSON text (the SQLite column)."""
    return json.dumps([pack(event) for event in events], ensure_ascii=False, separators=(",", ":"))


def decode(text: str, training: str, learner: str) -> list[ProgressEvent]:
    return [unpack(item, training, learner) for item in json.loads(text)]


def group(events: Iterable[ProgressEvent], stored_us: int | Mapping[str, int]) -> list[Block]:
    """Blocks of ``events``: by training and learner, and by the ``stored`` time of each event's statement
    (``stored_us``: one time for a whole written batch, or statement id -> time)."""
    groups: dict[tuple[str, str, int], list[ProgressEvent]] = {}
    for event in events:
        stored = stored_us if isinstance(stored_us, int) else stored_us[event.statement_id]
        groups.setdefault((event.training, event.learner, stored), []).append(event)
    return [Block(training, learner, stored, tuple(found)) for (training, learner, stored), found in groups.items()]


def without(events: Iterable[ProgressEvent], statement_ids: Iterable[str]) -> list[ProgressEvent]:
    gone = set(statement_ids)
    return [event for event in events if event.statement_id not in gone]


def unique(events: Iterable[ProgressEvent]) -> list[ProgressEvent]:
    """One event per statement (the last one given wins): blocks written concurrently by ingest and a rebuild may
    both hold a statement's event; they are equal up to the definition version, and readers keep one."""
    return list({event.statement_id: event for event in events}.values())


@dataclass(frozen=True)
class StatementKey:
    """Where a stored statement's events are kept: under its learner and its ``stored`` time."""

    statement_id: str
    learner: str
    stored_us: int


def by_block_key(keys: Iterable[StatementKey]) -> dict[tuple[str, int], set[str]]:
    """Statement ids by (learner, stored_us): the block keys (in each training) to look under."""
    found: dict[tuple[str, int], set[str]] = {}
    for key in keys:
        found.setdefault((key.learner, key.stored_us), set()).add(key.statement_id)
    return found
