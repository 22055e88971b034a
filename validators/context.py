"""The Context object (xAPI Data 2.4.6), with the 2.0 ``contextAgents`` and ``contextGroups``."""

from __future__ import annotations

from validators.activities import validate_activity
from validators.agents import validate_agent, validate_group
from validators.primitives import check_extensions, check_iri, check_language_tag, check_uuid
from validators.shape import (
    JSONObject,
    check_string,
    fail,
    require_keys,
    require_list,
    require_object,
    wrong_type,
)

__all__ = ["validate_context", "validate_statement_ref"]

_CONTEXT_KEYS_1_0 = frozenset(
    {
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    }
)
_CONTEXT_KEYS_2_0 = _CONTEXT_KEYS_1_0 | {"contextAgents", "contextGroups"}
_CONTEXT_ACTIVITY_KEYS = frozenset({"parent", "grouping", "category", "other"})
_STATEMENT_REF_KEYS = frozenset({"objectType", "id"})
_CONTEXT_AGENT_KEYS = frozenset({"objectType", "agent", "relevantTypes"})
_CONTEXT_GROUP_KEYS = frozenset({"objectType", "group", "relevantTypes"})


def validate_statement_ref(value: object, path: str) -> None:
    """A Statement Reference: ``objectType`` "StatementRef" (required) and the UUID ``id`` of a statement."""
    ref = require_object(value, path, _STATEMENT_REF_KEYS)
    require_keys(ref, path, ("objectType", "id"))
    if ref["objectType"] != "StatementRef":
        kind = ref["objectType"]
        if type(kind) is not str:
            wrong_type(f"{path}.objectType", kind, "a string")
        fail(f"{path}.objectType", f"must be 'StatementRef' (case-sensitive), got {kind!r}")
    check_uuid(ref["id"], f"{path}.id")


def validate_context(value: object, path: str, *, version: str, object_is_activity: bool, v2: bool) -> None:
    """A statement's (or SubStatement's) context.

    ``object_is_activity`` tells whether that statement's object is an Activity: "revision" and "platform"
    MUST only be used then (Data 2.4.6.s4).  ``v2`` selects the 2.0 rules, which add ``contextAgents`` and
    ``contextGroups``; under 1.0.3 they are unknown properties.
    """
    context = require_object(value, path, _CONTEXT_KEYS_2_0 if v2 else _CONTEXT_KEYS_1_0)
    if "registration" in context:
        check_uuid(context["registration"], f"{path}.registration")
    if "instructor" in context:
        validate_agent(context["instructor"], f"{path}.instructor", version=version)
    if "team" in context:
        validate_group(context["team"], f"{path}.team", version=version)
    if "contextActivities" in context:
        _validate_context_activities(context["contextActivities"], f"{path}.contextActivities")
    for name in ("revision", "platform"):
        if name in context:
            check_string(context[name], f"{path}.{name}")
            if not object_is_activity:
                fail(f"{path}.{name}", "must only be used when the statement's object is an Activity")
    if "language" in context:
        check_language_tag(context["language"], f"{path}.language")
    if "statement" in context:
        validate_statement_ref(context["statement"], f"{path}.statement")
    if "extensions" in context:
        check_extensions(context["extensions"], f"{path}.extensions")
    if "contextAgents" in context:
        _validate_context_agents(context["contextAgents"], f"{path}.contextAgents", version)
    if "contextGroups" in context:
        _validate_context_groups(context["contextGroups"], f"{path}.contextGroups", version)


def _validate_context_activities(value: object, path: str) -> None:
    """Keys parent/grouping/category/other; each value an Activity or an array of Activities."""
    activities = require_object(value, path, _CONTEXT_ACTIVITY_KEYS)
    for kind, entry in activities.items():
        kind_path = f"{path}.{kind}"
        if type(entry) is list:
            for index, activity in enumerate(entry):
                validate_activity(activity, f"{kind_path}[{index}]")
        elif type(entry) is dict:
            validate_activity(entry, kind_path)
        else:
            wrong_type(kind_path, entry, "an Activity object or an array of Activity objects")


def _typed_entry(value: object, path: str, object_type: str, allowed: frozenset[str]) -> JSONObject:
    """An object whose required ``objectType`` must be ``object_type`` (checked before unknown properties)."""
    if type(value) is dict:
        if "objectType" not in value:
            fail(f"{path}.objectType", f"is required ({object_type!r})")
        if value["objectType"] != object_type:
            fail(f"{path}.objectType", f"must be {object_type!r} (case-sensitive), got {value['objectType']!r}")
    return require_object(value, path, allowed)


def _validate_relevant_types(value: object, path: str) -> None:
    types = require_list(value, path)
    if not types:
        fail(path, "must not be empty (omit it instead)")
    for index, iri in enumerate(types):
        check_iri(iri, f"{path}[{index}]")


def _validate_context_agents(value: object, path: str, version: str) -> None:
    """xAPI 2.0: an array of {objectType "contextAgent", agent (an Agent), relevantTypes (IRIs)}."""
    for index, item in enumerate(require_list(value, path)):
        item_path = f"{path}[{index}]"
        entry = _typed_entry(item, item_path, "contextAgent", _CONTEXT_AGENT_KEYS)
        require_keys(entry, item_path, ("agent",))
        validate_agent(entry["agent"], f"{item_path}.agent", version=version, allow_group=False)
        if "relevantTypes" in entry:
            _validate_relevant_types(entry["relevantTypes"], f"{item_path}.relevantTypes")


def _validate_context_groups(value: object, path: str, version: str) -> None:
    """xAPI 2.0: an array of {objectType "contextGroup", group (a Group), relevantTypes (IRIs)}."""
    for index, item in enumerate(require_list(value, path)):
        item_path = f"{path}[{index}]"
        entry = _typed_entry(item, item_path, "contextGroup", _CONTEXT_GROUP_KEYS)
        require_keys(entry, item_path, ("group",))
        validate_group(entry["group"], f"{item_path}.group", version=version)
        if "relevantTypes" in entry:
            _validate_relevant_types(entry["relevantTypes"], f"{item_path}.relevantTypes")
