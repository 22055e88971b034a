"""Canonical Activity definitions: how a newly received definition updates the stored one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LANGUAGE_MAP_PROPERTIES = ("name", "description")


def merge_definition(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``new`` into ``old``: language maps are merged entry by entry (the newer text wins for a
    language), every other property is replaced by the newer value when present.  Interaction
    components keep the newer list as a whole, since their ids only make sense together."""
    merged: dict[str, Any] = dict(old or {})
    for name, value in new.items():
        if name in LANGUAGE_MAP_PROPERTIES and isinstance(value, Mapping) and isinstance(merged.get(name), Mapping):
            merged[name] = {**merged[name], **value}
        else:
            merged[name] = value
    return merged
