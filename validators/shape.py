"""JSON shape checks shared by every validator: objects, arrays, strings, booleans, numbers.

Every rejection is a :class:`~lrs.errors.BadRequestError` whose message starts with the offending field's path
(``statement.result.score.raw: must be a number, not string``) and whose ``errors`` carry that path.

``null`` needs no separate pass: an object's keys are either unknown (rejected here) or checked by a type check,
and every type check words a ``None`` as "must not be null".  Only extension values escape those checks.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection
from typing import Any, NoReturn

from lrs.errors import BadRequestError

JSONObject = dict[str, Any]

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_JSON_TYPE_NAMES: dict[type, str] = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "number",
    float: "number",
    type(None): "null",
}


def fail(path: str, problem: str) -> NoReturn:
    """Reject the value at ``path``; ``problem`` says what is wrong with it."""
    raise BadRequestError(f"{path}: {problem}", errors={"path": path})


def json_type(value: object) -> str:
    """The JSON name of a parsed value's type ("object", "number", ...)."""
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def wrong_type(path: str, value: object, expected: str) -> NoReturn:
    """Reject a value of the wrong JSON type; ``expected`` reads like "a string" or "an IRI string"."""
    if value is None:
        fail(path, "must not be null")
    fail(path, f"must be {expected}, not {json_type(value)}")


def child_path(path: str, key: str) -> str:
    """``path.key`` for plain property names, ``path["key"]`` for anything else (IRIs, language tags)."""
    if _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}"
    return key_path(path, key)


def key_path(path: str, key: str) -> str:
    """``path["key"]``: the path of an entry of a map keyed by data (language tags, extension IRIs)."""
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def require_object(value: object, path: str, allowed: Collection[str]) -> JSONObject:
    """``value`` must be a JSON object whose keys are all in ``allowed`` (case-sensitive)."""
    if type(value) is not dict:
        wrong_type(path, value, "an object")
    if not value.keys() <= allowed:  # type: ignore[operator]  # set comparison of dict_keys with a frozenset
        for key in value:
            if key not in allowed:
                fail(child_path(path, key) if isinstance(key, str) else path, f"unknown property {key!r}")
    return value


def require_keys(obj: JSONObject, path: str, required: tuple[str, ...]) -> None:
    """Each key of ``required`` must be present (its value is checked by the caller)."""
    for key in required:
        if key not in obj:
            fail(f"{path}.{key}", "is required")


def require_list(value: object, path: str) -> list[Any]:
    """A JSON array."""
    if type(value) is not list:
        wrong_type(path, value, "an array")
    return value


def check_string(value: object, path: str) -> str:
    """A JSON string (any content, including "")."""
    if type(value) is not str:
        wrong_type(path, value, "a string")
    return value


def check_bool(value: object, path: str) -> bool:
    """``true`` or ``false``; the strings "true"/"false" are rejected."""
    if type(value) is not bool:
        wrong_type(path, value, "a boolean")
    return value


def check_number(value: object, path: str) -> float:
    """A finite JSON number; booleans (``bool`` is an ``int`` in Python) and numeric strings are rejected."""
    kind = type(value)
    if kind is int:
        return value  # type: ignore[return-value]
    if kind is float and math.isfinite(value):  # type: ignore[arg-type]
        return value  # type: ignore[return-value]
    if kind is float:
        fail(path, "must be a finite number")
    wrong_type(path, value, "a number")


def check_integer(value: object, path: str) -> int:
    """A JSON integer (``27``, not ``27.5``, ``"27"`` or ``true``)."""
    if type(value) is not int:
        wrong_type(path, value, "an integer")
    return value
