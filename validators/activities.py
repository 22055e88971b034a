"""Activities and Activity Definitions, including interaction activities (xAPI Data 2.4.4.1)."""

from __future__ import annotations

from validators.primitives import check_extensions, check_iri, check_language_map
from validators.shape import (
    JSONObject,
    check_string,
    fail,
    require_keys,
    require_list,
    require_object,
    wrong_type,
)

__all__ = ["INTERACTION_TYPES", "validate_activity", "validate_activity_definition"]

_ACTIVITY_KEYS = frozenset({"objectType", "id", "definition"})
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
_DEFINITION_KEYS = frozenset(
    {
        "name",
        "description",
        "type",
        "moreInfo",
        "extensions",
        "interactionType",
        "correctResponsesPattern",
        *_COMPONENT_LISTS,
    }
)
_PLAIN_DEFINITION_KEYS = frozenset({"name", "description", "type", "moreInfo", "extensions"})
_COMPONENT_KEYS = frozenset({"id", "description"})

# Data 2.4.4.1.s15: the interaction component lists each interactionType supports.
INTERACTION_TYPES: dict[str, tuple[str, ...]] = {
    "true-false": (),
    "choice": ("choices",),
    "fill-in": (),
    "long-fill-in": (),
    "matching": ("source", "target"),
    "performance": ("steps",),
    "sequencing": ("choices",),
    "likert": ("scale",),
    "numeric": (),
    "other": (),
}


def validate_activity(value: object, path: str) -> None:
    """An Activity: ``id`` IRI, optional ``definition``, ``objectType`` optional but "Activity" when present."""
    if type(value) is not dict:
        wrong_type(path, value, "an Activity object")
    if not value.keys() <= _ACTIVITY_KEYS or value.get("objectType", "Activity") != "Activity":
        _reject_activity_shape(value, path)
    if "id" not in value:
        fail(f"{path}.id", "is required")
    check_iri(value["id"], f"{path}.id")
    if "definition" in value:
        validate_activity_definition(value["definition"], f"{path}.definition")


def _reject_activity_shape(activity: JSONObject, path: str) -> None:
    """Name what is wrong with an Activity's objectType or properties (objectType first: it explains the rest)."""
    kind = activity.get("objectType", "Activity")
    if kind != "Activity":
        if type(kind) is not str:
            wrong_type(f"{path}.objectType", kind, "a string")
        fail(f"{path}.objectType", f"must be 'Activity' (case-sensitive), got {kind!r}")
    require_object(activity, path, _ACTIVITY_KEYS)


def validate_activity_definition(value: object, path: str) -> None:
    """An Activity Definition: language maps, type IRI, moreInfo IRL, interaction properties, extensions."""
    definition = require_object(value, path, _DEFINITION_KEYS)
    if "name" in definition:
        check_language_map(definition["name"], f"{path}.name")
    if "description" in definition:
        check_language_map(definition["description"], f"{path}.description")
    if "type" in definition:
        check_iri(definition["type"], f"{path}.type")
    if "moreInfo" in definition:
        check_iri(definition["moreInfo"], f"{path}.moreInfo")
    if "extensions" in definition:
        check_extensions(definition["extensions"], f"{path}.extensions")
    if not definition.keys() <= _PLAIN_DEFINITION_KEYS:
        _validate_interaction(definition, path)


def _validate_interaction(definition: JSONObject, path: str) -> None:
    lists = [name for name in _COMPONENT_LISTS if name in definition]
    has_pattern = "correctResponsesPattern" in definition
    if "interactionType" not in definition:
        if has_pattern or lists:
            used = "correctResponsesPattern" if has_pattern else lists[0]
            fail(f"{path}.interactionType", f"is required when {used!r} is used")
        return
    interaction_type = definition["interactionType"]
    if type(interaction_type) is not str:
        wrong_type(f"{path}.interactionType", interaction_type, "a string")
    supported = INTERACTION_TYPES.get(interaction_type)
    if supported is None:
        fail(
            f"{path}.interactionType",
            f"must be one of {', '.join(INTERACTION_TYPES)} (case-sensitive), got {interaction_type!r}",
        )
    if has_pattern:
        pattern_path = f"{path}.correctResponsesPattern"
        for index, response in enumerate(require_list(definition["correctResponsesPattern"], pattern_path)):
            if type(response) is not str:
                wrong_type(f"{pattern_path}[{index}]", response, "a string")
    for name in lists:
        list_path = f"{path}.{name}"
        if name not in supported:
            allowed = ", ".join(supported) if supported else "none"
            fail(
                list_path,
                f"is not allowed for interactionType {interaction_type!r} (component lists allowed: {allowed})",
            )
        _validate_components(definition[name], list_path)


def _validate_components(value: object, path: str) -> None:
    """An array of interaction components: ``id`` string (distinct within the array), ``description`` map."""
    seen: set[str] = set()
    for index, item in enumerate(require_list(value, path)):
        item_path = f"{path}[{index}]"
        component = require_object(item, item_path, _COMPONENT_KEYS)
        require_keys(component, item_path, ("id",))
        component_id = check_string(component["id"], f"{item_path}.id")
        if component_id in seen:
            fail(f"{item_path}.id", f"duplicates the id {component_id!r} of another component in the list")
        seen.add(component_id)
        if "description" in component:
            check_language_map(component["description"], f"{item_path}.description")
