"""Serving two xAPI versions from one store: what a 1.0.3 reader may receive.

Statements are stored as sent under the rules of the request's version.  A 2.0.0 statement can hold what
xAPI 1.0.3 rejects (``context.contextAgents``, ``context.contextGroups``, ``version`` "2.0.0"), and a 1.0.3
client must never receive a statement it would have to reject.  So, when a 1.0.3 client reads, each statement
is downgraded:

* ``context.contextAgents`` and ``context.contextGroups`` are removed (also in a SubStatement's context);
* a ``version`` of 2.x becomes "1.0.3".

Everything else in a 2.0.0 statement is valid 1.0.3 (timestamps are normalised to UTC at write time).
A 2.0.0 reader receives 1.0.x statements unchanged: they are valid 2.0.0 statements.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from lrs.jsontext import dumps

V1 = "1.0.3"
V2 = "2.0.0"
V2_ONLY_CONTEXT = ("contextAgents", "contextGroups")
_MARKERS = ('"contextAgents"', '"contextGroups"', '"version":"2.')


def _downgrade_context(statement: dict[str, Any]) -> None:
    context = statement.get("context")
    if isinstance(context, Mapping) and any(name in context for name in V2_ONLY_CONTEXT):
        statement["context"] = {k: v for k, v in context.items() if k not in V2_ONLY_CONTEXT}


def downgrade_statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    """The statement as a 1.0.3 reader may see it (a new dict; the argument is not changed)."""
    result = dict(statement)
    _downgrade_context(result)
    obj = result.get("object")
    if isinstance(obj, Mapping) and obj.get("objectType") == "SubStatement":
        sub = dict(obj)
        _downgrade_context(sub)
        result["object"] = sub
    version = result.get("version")
    if isinstance(version, str) and version.startswith("2."):
        result["version"] = V1
    return result


def for_reader(text: str, reader_version: str) -> str:
    """A statement's JSON text as a reader of ``reader_version`` may receive it.

    The text is parsed only when it can hold something to downgrade (a cheap substring test first), so 1.0.x
    statements read by 1.0.3 clients and everything read by 2.0 clients pass through byte for byte.
    """
    if reader_version == V2 or not any(marker in text for marker in _MARKERS):
        return text
    return dumps(downgrade_statement(json.loads(text)))
