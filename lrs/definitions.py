"""Canonical Activity definitions: how a newly received definition updates the stored one.

xAPI Data 2.4.4.1 (1.0.3) and the 2.0 book (4.2.4.3) leave it to the LRS to decide whether a Learning Record
Provider may change a stored definition: small corrections (a spelling fix) may be taken, significant changes
(e.g. to the correct responses) should not.  Every credential of a tenant that holds ``define`` is trusted the
same, so the rule is per property, not per sender:

* ``name`` and ``description`` are language maps merged entry by entry; the newer text wins for a language.
  Activities resource callers get "all available information", e.g. both languages sent in two statements.
* ``extensions`` are merged key by key; the newer value wins for a key.
* The interaction model is fixed by the first definition that has it: ``interactionType``,
  ``correctResponsesPattern`` and the component ids of ``choices``, ``scale``, ``source``, ``target`` and
  ``steps``.  Later definitions only merge the descriptions (language maps) of components with known ids.
* Every other property (``type``, ``moreInfo``) is replaced by the newer value when present.

These rules apply to definitions sent by a credential holding the ``define`` scope (xAPI 1.0.3 Communication
§4: without it "new definitions will be ignored").  A definition sent without ``define`` only becomes the
canonical one when the tenant has none yet for that activity id; it never changes an existing one.  The
statement that carries it is stored unchanged either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

LANGUAGE_MAP_PROPERTIES = ("name", "description")
INTERACTION_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
FIXED_ONCE_SET = ("interactionType", "correctResponsesPattern")


def _merge_maps(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    return {**old, **new}


def _merge_components(old: list[Any], new: list[Any]) -> list[Any]:
    """The stored components, each with the description entries of the same-id component in ``new``."""
    newer = {c["id"]: c for c in new if isinstance(c, Mapping) and isinstance(c.get("id"), str)}
    merged: list[Any] = []
    for component in old:
        update = newer.get(component.get("id")) if isinstance(component, Mapping) else None
        if update is None or not isinstance(update.get("description"), Mapping):
            merged.append(component)
            continue
        description = component.get("description")
        base = description if isinstance(description, Mapping) else {}
        merged.append({**component, "description": _merge_maps(base, update["description"])})
    return merged


def merge_definition(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``new`` into ``old`` by the rules of the module docstring; neither argument is changed."""
    merged: dict[str, Any] = dict(old or {})
    for name, value in new.items():
        current = merged.get(name)
        if name not in merged:
            merged[name] = value
        elif name in FIXED_ONCE_SET:
            continue
        elif name in INTERACTION_COMPONENT_LISTS and isinstance(current, list) and isinstance(value, list):
            merged[name] = _merge_components(current, value)
        elif (
            name in (*LANGUAGE_MAP_PROPERTIES, "extensions")
            and isinstance(current, Mapping)
            and isinstance(value, Mapping)
        ):
            merged[name] = _merge_maps(current, value)
        else:
            merged[name] = value
    return merged


def apply_definitions(
    old: Mapping[str, Any] | None, incoming: Iterable[tuple[Mapping[str, Any], bool]]
) -> dict[str, Any] | None:
    """The canonical definition after ``incoming`` (in arrival order), or None when there is still none.

    Each item is a definition and whether its sender holds ``define``: with it the definition is merged
    (:func:`merge_definition`); without it, it is taken only when there is no canonical definition yet.
    """
    result: dict[str, Any] | None = dict(old) if old is not None else None
    for definition, define in incoming:
        if define:
            result = merge_definition(result, definition)
        elif result is None:
            result = dict(definition)
    return result
