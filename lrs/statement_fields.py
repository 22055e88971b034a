"""Query fields of a statement, computed once at write time.

One pure function (:func:`query_keys`) turns a validated statement into the set of keys a stored statement
is found under; :mod:`lrs.statement_query` turns query parameters into the keys that must all match.  Both
storage adapters index these keys the same way, so filters cannot drift between adapters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lrs.agents import identity_keys, ifi_key

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"

# Key kinds.  "agent"/"activity" are the narrow filters, "ragent"/"ractivity" the related_* ones.
VERB = "verb|"
AGENT = "agent|"
RELATED_AGENT = "ragent|"
ACTIVITY = "activity|"
RELATED_ACTIVITY = "ractivity|"
REGISTRATION = "registration|"
AUTHORITY = "authority|"

# Keys a statement targeting another (StatementRef object) inherits from its target.  The authority is not
# a filter parameter of the xAPI query, so it is not inherited ("statements/read/mine" stays exact).
INHERITABLE_PREFIXES = (VERB, AGENT, RELATED_AGENT, ACTIVITY, RELATED_ACTIVITY, REGISTRATION)

_CONTEXT_ACTIVITY_KINDS = ("parent", "grouping", "category", "other")


def is_inheritable(key: str) -> bool:
    return key.startswith(INHERITABLE_PREFIXES)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def _context_activity_ids(context: Mapping[str, Any] | None) -> Iterable[str]:
    if not context:
        return
    activities = context.get("contextActivities") or {}
    for kind in _CONTEXT_ACTIVITY_KINDS:
        for activity in _as_list(activities.get(kind)):
            if isinstance(activity, Mapping) and isinstance(activity.get("id"), str):
                yield activity["id"]


def _context_agents(context: Mapping[str, Any] | None) -> Iterable[Mapping[str, Any]]:
    if not context:
        return
    for name in ("instructor", "team"):
        agent = context.get(name)
        if isinstance(agent, Mapping):
            yield agent
    for entry in context.get("contextAgents") or ():  # xAPI 2.0
        if isinstance(entry, Mapping) and isinstance(entry.get("agent"), Mapping):
            yield entry["agent"]
    for entry in context.get("contextGroups") or ():  # xAPI 2.0
        if isinstance(entry, Mapping) and isinstance(entry.get("group"), Mapping):
            yield entry["group"]


def _object_is_agent(obj: Mapping[str, Any]) -> bool:
    return bool(obj.get("objectType") in ("Agent", "Group"))


def _object_is_activity(obj: Mapping[str, Any]) -> bool:
    return bool(obj.get("objectType", "Activity") == "Activity")


def query_keys(statement: Mapping[str, Any], authority: Mapping[str, Any] | None = None) -> frozenset[str]:
    """Every key the statement must be found under (its own, before StatementRef inheritance)."""
    keys: set[str] = set()
    verb = statement.get("verb") or {}
    if isinstance(verb.get("id"), str):
        keys.add(VERB + verb["id"])

    actor = statement.get("actor") or {}
    obj = statement.get("object") or {}
    narrow_agents = [actor]
    if _object_is_agent(obj):
        narrow_agents.append(obj)
    for agent in narrow_agents:
        for key in identity_keys(agent):
            keys.add(AGENT + key)
            keys.add(RELATED_AGENT + key)

    related_agents: list[Mapping[str, Any]] = list(_context_agents(statement.get("context")))
    if authority is not None:
        related_agents.append(authority)
        for key in identity_keys(authority):
            keys.add(AUTHORITY + key)
    if _object_is_activity(obj) and isinstance(obj.get("id"), str):
        keys.add(ACTIVITY + obj["id"])
        keys.add(RELATED_ACTIVITY + obj["id"])
    for activity_id in _context_activity_ids(statement.get("context")):
        keys.add(RELATED_ACTIVITY + activity_id)

    if obj.get("objectType") == "SubStatement":
        sub_actor = obj.get("actor") or {}
        related_agents.append(sub_actor)
        sub_obj = obj.get("object") or {}
        if _object_is_agent(sub_obj):
            related_agents.append(sub_obj)
        elif _object_is_activity(sub_obj) and isinstance(sub_obj.get("id"), str):
            keys.add(RELATED_ACTIVITY + sub_obj["id"])
        related_agents.extend(_context_agents(obj.get("context")))
        for activity_id in _context_activity_ids(obj.get("context")):
            keys.add(RELATED_ACTIVITY + activity_id)
    for agent in related_agents:
        for key in identity_keys(agent):
            keys.add(RELATED_AGENT + key)

    registration = (statement.get("context") or {}).get("registration")
    if isinstance(registration, str):
        keys.add(REGISTRATION + registration.lower())
    return frozenset(keys)


def agent_filter_key(agent: Mapping[str, Any], *, related: bool) -> str | None:
    """The key a query's ``agent`` parameter must match (None for an Anonymous Group: matches nothing)."""
    key = ifi_key(agent)
    if key is None:
        return None
    return (RELATED_AGENT if related else AGENT) + key


def activity_filter_key(activity_id: str, *, related: bool) -> str:
    return (RELATED_ACTIVITY if related else ACTIVITY) + activity_id


def statement_ref_target(statement: Mapping[str, Any]) -> str | None:
    obj = statement.get("object") or {}
    if obj.get("objectType") == "StatementRef" and isinstance(obj.get("id"), str):
        return str(obj["id"]).lower()
    return None


def is_voiding(statement: Mapping[str, Any]) -> bool:
    verb = statement.get("verb") or {}
    return verb.get("id") == VOIDED_VERB and statement_ref_target(statement) is not None


def activity_definitions(statement: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Activity definitions carried by the statement (object, context activities, SubStatement), by id."""
    found: dict[str, Mapping[str, Any]] = {}

    def visit(activity: Any) -> None:
        if (
            isinstance(activity, Mapping)
            and _object_is_activity(activity)
            and isinstance(activity.get("id"), str)
            and isinstance(activity.get("definition"), Mapping)
        ):
            found[activity["id"]] = activity["definition"]

    def visit_context(context: Any) -> None:
        if isinstance(context, Mapping):
            for kind in _CONTEXT_ACTIVITY_KINDS:
                for activity in _as_list((context.get("contextActivities") or {}).get(kind)):
                    visit(activity)

    obj = statement.get("object") or {}
    visit(obj)
    visit_context(statement.get("context"))
    if obj.get("objectType") == "SubStatement":
        visit(obj.get("object"))
        visit_context(obj.get("context"))
    return found
