"""Strict JSON text handling for request bodies and parameters.

xAPI bodies must be UTF-8 JSON; the LRS rejects what the standard library would silently accept: duplicate
keys (XAPI-00021), ``NaN``/``Infinity``, numbers that overflow a double, lone surrogates, and nesting deep
enough to exhaust the parser.  Every failure is a :class:`lrs.errors.BadRequestError` naming what is wrong.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from lrs.errors import BadRequestError

MAX_DEPTH = 64  # statements nest ~10 levels; extensions get room, parsers and Mongo (100) stay safe
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class _DuplicateKeyError(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_PARENS = bytes.maketrans(b"[{]}", b"(())")


def _depth_ok(raw: bytes, limit: int) -> bool:
    """True when brackets outside strings never nest deeper than ``limit`` (checked before parsing, so
    hostile nesting never reaches a recursive parser)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return True
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", raw)).translate(_PARENS)
    for _ in range(limit):  # each pass removes the innermost level; C-speed, stops early when done
        if not brackets:
            return True
        brackets = brackets.replace(b"()", b"")
    return not brackets


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def loads(raw: bytes | str, *, what: str = "request body") -> Any:
    """Parse strict JSON, raising BadRequestError with a message that says what is wrong."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if not _depth_ok(data, MAX_DEPTH):
        raise BadRequestError(f"{what} is nested deeper than {MAX_DEPTH} levels")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequestError(f"{what} is not valid UTF-8") from exc
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_reject_constant, parse_float=_parse_float)
    except _DuplicateKeyError as exc:
        raise BadRequestError(f"{what} has a duplicate key '{exc.args[0]}'") from exc
    except RecursionError as exc:
        raise BadRequestError(f"{what} is nested too deeply") from exc
    except ValueError as exc:
        raise BadRequestError(f"{what} is not valid JSON: {exc}") from exc
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        raise BadRequestError(f"{what} contains a lone UTF-16 surrogate")
    return value


def dumps(value: Any) -> str:
    """Compact JSON text, non-ASCII kept as is (the stored form of statements)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
