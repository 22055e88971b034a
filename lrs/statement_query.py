"""A statement query in domain terms, and its translation into storage keys.

The API layer parses and validates request parameters into a :class:`StatementFilter`; this module turns it
into the storage-level :class:`lrs.storage.port.StatementQuery` (one pure function, table-tested).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from lrs.statement_fields import REGISTRATION, VERB, activity_filter_key, agent_filter_key
from lrs.storage.port import StatementQuery

FORMATS = ("exact", "ids", "canonical")


@dataclass(frozen=True)
class StatementFilter:
    """The filter and paging parameters of GET /statements (xAPI Communication 2.1.3)."""

    agent: Mapping[str, Any] | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since_us: int | None = None
    until_us: int | None = None
    limit: int = 0
    ascending: bool = False
    format: str = "exact"
    attachments: bool = False
    extra_keys: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["agent"] = dict(self.agent) if self.agent is not None else None
        data["extra_keys"] = list(self.extra_keys)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StatementFilter:
        values = dict(data)
        values["extra_keys"] = tuple(values.get("extra_keys") or ())
        return cls(**values)


class NoMatch(Exception):
    """The filter can match nothing (e.g. an Anonymous Group as the agent parameter)."""


def to_storage_query(
    flt: StatementFilter, *, limit: int, after: str | None = None, snapshot_us: int | None = None
) -> StatementQuery:
    """Translate a filter into storage keys.  ``snapshot_us`` caps ``until`` so paging sees a fixed set."""
    keys: list[str] = []
    if flt.agent is not None:
        agent_key = agent_filter_key(flt.agent, related=flt.related_agents)
        if agent_key is None:
            raise NoMatch
        keys.append(agent_key)
    if flt.verb is not None:
        keys.append(VERB + flt.verb)
    if flt.activity is not None:
        keys.append(activity_filter_key(flt.activity, related=flt.related_activities))
    if flt.registration is not None:
        keys.append(REGISTRATION + flt.registration.lower())
    keys.extend(flt.extra_keys)
    until = flt.until_us
    if snapshot_us is not None:
        until = snapshot_us if until is None else min(until, snapshot_us)
    return StatementQuery(
        keys=tuple(keys),
        since_us=flt.since_us,
        until_us=until,
        ascending=flt.ascending,
        limit=limit,
        after=after,
    )
