"""Statement comparison (xAPI Data 2.3.1): are two statements with the same id "the same statement"?

Differences that an exception to immutability could cause are ignored: LRS-assigned properties (``id``,
``authority``, ``stored``, ``version``), Activity definitions and Verb displays, the serialisation of
timestamps (the instant is compared), the order of Group members and the case of an mbox domain.  Every other
difference counts, including the spelling of a Result duration (compared as a string, as 1.0.3 requires,
except that digits beyond hundredths of a second are ignored, as 2.0 requires: "PT1.2345S" equals "PT1.23S").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lrs.agents import ifi_key
from lrs.jsontext import dumps
from lrs.timeutil import parse_instant_us

_LRS_SET = ("id", "authority", "stored", "version", "timestamp")
_SECONDS_FRACTION = re.compile(r"[.,]([0-9]{1,2})[0-9]*S$")


def _normalise_result(result: Mapping[str, Any]) -> dict[str, Any]:
    normalised = dict(result)
    if isinstance(result.get("duration"), str):
        normalised["duration"] = _SECONDS_FRACTION.sub(r".\1S", result["duration"])
    return normalised


def _instant_key(value: Any) -> Any:
    """A timestamp as its instant when it parses (any offset, form or precision), else as given."""
    instant = parse_instant_us(value)
    return value if instant is None else instant


def _normalise_agent(agent: Mapping[str, Any]) -> dict[str, Any]:
    result = {k: v for k, v in agent.items() if k not in ("mbox", "mbox_sha1sum", "member")}
    key = ifi_key(agent)
    if key is not None:
        result["_ifi"] = key
    if isinstance(agent.get("member"), list):
        members = [_normalise_agent(m) for m in agent["member"] if isinstance(m, Mapping)]
        result["member"] = sorted(members, key=dumps)
    if agent.get("objectType") == "Agent":
        result.pop("objectType")
    return result


def _normalise_activity(activity: Mapping[str, Any]) -> dict[str, Any]:
    return {"objectType": "Activity", "id": activity.get("id")}


def _normalise_context(context: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(context)
    for name in ("instructor", "team"):
        if isinstance(context.get(name), Mapping):
            result[name] = _normalise_agent(context[name])
    activities = context.get("contextActivities")
    if isinstance(activities, Mapping):
        normalised: dict[str, Any] = {}
        for kind, value in activities.items():
            items = value if isinstance(value, list) else [value]
            normalised[kind] = [_normalise_activity(a) for a in items if isinstance(a, Mapping)]
        result["contextActivities"] = normalised
    if isinstance(context.get("registration"), str):
        result["registration"] = context["registration"].lower()
    if isinstance(context.get("statement"), Mapping) and isinstance(context["statement"].get("id"), str):
        result["statement"] = {**context["statement"], "id": context["statement"]["id"].lower()}
    for name, inner in (("contextAgents", "agent"), ("contextGroups", "group")):
        if isinstance(context.get(name), list):
            result[name] = sorted(
                (
                    {**entry, inner: _normalise_agent(entry[inner])}
                    if isinstance(entry, Mapping) and isinstance(entry.get(inner), Mapping)
                    else entry
                    for entry in context[name]
                ),
                key=dumps,
            )
    return result


def _normalise_object(obj: Mapping[str, Any]) -> dict[str, Any]:
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        return _normalise_activity(obj)
    if kind in ("Agent", "Group"):
        return {**_normalise_agent(obj), "objectType": kind}
    if kind == "StatementRef":
        return {"objectType": "StatementRef", "id": str(obj.get("id", "")).lower()}
    if kind == "SubStatement":
        return _normalise_statement(obj, keep_timestamp=True)
    return dict(obj)


def _normalise_statement(statement: Mapping[str, Any], *, keep_timestamp: bool) -> dict[str, Any]:
    result = {k: v for k, v in statement.items() if k not in _LRS_SET}
    if keep_timestamp and "timestamp" in statement:
        result["timestamp"] = _instant_key(statement["timestamp"])
    if isinstance(statement.get("actor"), Mapping):
        result["actor"] = _normalise_agent(statement["actor"])
    if isinstance(statement.get("verb"), Mapping):
        result["verb"] = {"id": statement["verb"].get("id")}
    if isinstance(statement.get("object"), Mapping):
        result["object"] = _normalise_object(statement["object"])
    if isinstance(statement.get("context"), Mapping):
        result["context"] = _normalise_context(statement["context"])
    if isinstance(statement.get("result"), Mapping):
        result["result"] = _normalise_result(statement["result"])
    return result


def same_statement(stored: Mapping[str, Any], incoming: Mapping[str, Any]) -> bool:
    """True when ``incoming`` is the statement already ``stored`` under its id.

    ``stored`` always has a timestamp (the LRS sets one when the client sent none), so the timestamp counts
    only when ``incoming`` carries one; it is compared as an instant, or as text when it is not parseable.
    """
    if "timestamp" in incoming and _instant_key(stored.get("timestamp")) != _instant_key(incoming["timestamp"]):
        return False
    return dumps(_normalise_statement(stored, keep_timestamp=False)) == dumps(
        _normalise_statement(incoming, keep_timestamp=False)
    )
