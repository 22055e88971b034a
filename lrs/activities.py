"""The Activities resource (xAPI Communication 2.5; 2.0 book 4.1.6.4): the canonical Activity object of an id.

The canonical definition is the one the store keeps per (tenant, activity id), merged at write time from
every statement of the tenant that carried a definition (see :mod:`lrs.definitions`).  An id the tenant has
never sent a definition for still gets an Activity object, with the id alone (the 2.0 book requires it;
1.0.3 says SHOULD), so the answer never tells whether another tenant knows the id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrs.storage.port import Store


def activity_object(activity_id: str, definition: Mapping[str, Any] | None) -> dict[str, Any]:
    """``{"objectType": "Activity", "id": ..., "definition": ...}``; no ``definition`` when none is known."""
    activity: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if definition:
        activity["definition"] = dict(definition)
    return activity


def get_activity(store: Store, tenant: str, activity_id: str) -> dict[str, Any]:
    """The Activity object for ``activity_id`` from this tenant's canonical definitions only."""
    definitions = store.get_activity_definitions(tenant, [activity_id])
    return activity_object(activity_id, definitions.get(activity_id))
