"""The ``format`` parameter of GET /statements: ``exact``, ``ids`` and ``canonical`` renderings.

``exact`` serves the stored text untouched.  ``ids`` keeps only what identifies Agents, Groups, Activities and
Verbs.  ``canonical`` replaces Activity definitions with the LRS's canonical ones and keeps one language per
language map, chosen by the request's ``Accept-Language``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lrs.agents import IFI_PROPERTIES

LanguageMapFilter = Callable[[Mapping[str, Any]], dict[str, Any]]


def parse_accept_language(header: str | None) -> list[str]:
    """Language ranges by preference (q-values honoured, ``*`` kept, q=0 dropped)."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        fields = part.strip().split(";")
        tag = fields[0].strip()
        if not tag:
            continue
        quality = 1.0
        for param in fields[1:]:
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def pick_language(language_map: Mapping[str, Any], preferences: Sequence[str]) -> dict[str, Any]:
    """One entry of a language map: the best match of the preferences, else the first entry."""
    if not language_map:
        return {}
    lowered = {key.lower(): key for key in language_map}
    for wanted in preferences:
        if wanted == "*":
            break
        wanted_lower = wanted.lower()
        if wanted_lower in lowered:
            key = lowered[wanted_lower]
            return {key: language_map[key]}
        for candidate_lower, key in lowered.items():  # "en" matches "en-US" and the reverse
            if candidate_lower.split("-")[0] == wanted_lower.split("-")[0]:
                return {key: language_map[key]}
    key = next(iter(language_map))
    return {key: language_map[key]}


def _agent_ids(agent: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if "objectType" in agent:
        result["objectType"] = agent["objectType"]
    for name in IFI_PROPERTIES:
        if name in agent:
            result[name] = agent[name]
    if agent.get("objectType") == "Group" and not any(name in agent for name in IFI_PROPERTIES):
        result["member"] = [_agent_ids(m) for m in agent.get("member") or ()]
    return result


def _activity_ids(activity: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": activity["id"]}


def _walk(
    statement: Mapping[str, Any],
    *,
    agent: Callable[[Mapping[str, Any]], dict[str, Any]],
    activity: Callable[[Mapping[str, Any]], dict[str, Any]],
    verb: Callable[[Mapping[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    result = dict(statement)
    for name in ("actor", "authority"):
        if isinstance(statement.get(name), Mapping):
            result[name] = agent(statement[name])
    if isinstance(statement.get("verb"), Mapping):
        result["verb"] = verb(statement["verb"])
    obj = statement.get("object")
    if isinstance(obj, Mapping):
        kind = obj.get("objectType", "Activity")
        if kind == "Activity":
            result["object"] = activity(obj)
        elif kind in ("Agent", "Group"):
            result["object"] = agent(obj)
        elif kind == "SubStatement":
            result["object"] = _walk(obj, agent=agent, activity=activity, verb=verb)
    context = statement.get("context")
    if isinstance(context, Mapping):
        new_context = dict(context)
        for name in ("instructor", "team"):
            if isinstance(context.get(name), Mapping):
                new_context[name] = agent(context[name])
        activities = context.get("contextActivities")
        if isinstance(activities, Mapping):
            new_context["contextActivities"] = {
                kind: [activity(a) for a in value] if isinstance(value, list) else activity(value)
                for kind, value in activities.items()
            }
        for name, inner in (("contextAgents", "agent"), ("contextGroups", "group")):
            if isinstance(context.get(name), list):
                new_context[name] = [
                    {**entry, inner: agent(entry[inner])} if isinstance(entry.get(inner), Mapping) else entry
                    for entry in context[name]
                ]
        result["context"] = new_context
    return result


def to_ids(statement: Mapping[str, Any]) -> dict[str, Any]:
    return _walk(statement, agent=_agent_ids, activity=_activity_ids, verb=lambda v: {"id": v["id"]})


def to_canonical(
    statement: Mapping[str, Any],
    definitions: Mapping[str, Mapping[str, Any]],
    preferences: Sequence[str],
) -> dict[str, Any]:
    def filter_maps(definition: Mapping[str, Any]) -> dict[str, Any]:
        result = dict(definition)
        for name in ("name", "description"):
            if isinstance(definition.get(name), Mapping):
                result[name] = pick_language(definition[name], preferences)
        for name in ("choices", "scale", "source", "target", "steps"):
            if isinstance(definition.get(name), list):
                result[name] = [
                    {**c, "description": pick_language(c["description"], preferences)}
                    if isinstance(c.get("description"), Mapping)
                    else c
                    for c in definition[name]
                ]
        return result

    def activity(obj: Mapping[str, Any]) -> dict[str, Any]:
        result = dict(obj)
        definition = definitions.get(obj["id"], obj.get("definition"))
        if isinstance(definition, Mapping):
            result["definition"] = filter_maps(definition)
        return result

    def verb(obj: Mapping[str, Any]) -> dict[str, Any]:
        result = dict(obj)
        if isinstance(obj.get("display"), Mapping):
            result["display"] = pick_language(obj["display"], preferences)
        return result

    def keep_agent(obj: Mapping[str, Any]) -> dict[str, Any]:
        return dict(obj)

    canonical = _walk(statement, agent=keep_agent, activity=activity, verb=verb)
    if isinstance(canonical.get("attachments"), list):
        canonical["attachments"] = [
            {
                **a,
                **{
                    name: pick_language(a[name], preferences)
                    for name in ("display", "description")
                    if isinstance(a.get(name), Mapping)
                },
            }
            for a in canonical["attachments"]
        ]
    return canonical


def activity_ids_in(statement: Mapping[str, Any]) -> list[str]:
    """Every Activity id a canonical rendering needs a definition for."""
    found: list[str] = []

    def activity(obj: Mapping[str, Any]) -> dict[str, Any]:
        found.append(obj["id"])
        return dict(obj)

    _walk(statement, agent=dict, activity=activity, verb=dict)
    return found
