"""The Result object and its Score (xAPI Data 2.4.5)."""

from __future__ import annotations

from validators.primitives import check_duration, check_extensions
from validators.shape import check_bool, check_number, check_string, fail, require_object

__all__ = ["validate_result", "validate_score"]

_RESULT_KEYS = frozenset({"score", "success", "completion", "response", "duration", "extensions"})
_SCORE_KEYS = frozenset({"scaled", "raw", "min", "max"})


def validate_result(value: object, path: str) -> None:
    """``score``, ``success``/``completion`` booleans, ``response`` string, ``duration``, ``extensions``."""
    result = require_object(value, path, _RESULT_KEYS)
    if "score" in result:
        validate_score(result["score"], f"{path}.score")
    if "success" in result:
        check_bool(result["success"], f"{path}.success")
    if "completion" in result:
        check_bool(result["completion"], f"{path}.completion")
    if "response" in result:
        check_string(result["response"], f"{path}.response")
    if "duration" in result:
        check_duration(result["duration"], f"{path}.duration")
    if "extensions" in result:
        check_extensions(result["extensions"], f"{path}.extensions")


def validate_score(value: object, path: str) -> None:
    """``scaled`` in [-1, 1]; ``min`` < ``max``; ``raw`` between ``min`` and ``max`` (inclusive) when present."""
    score = require_object(value, path, _SCORE_KEYS)
    if "scaled" in score:
        scaled = check_number(score["scaled"], f"{path}.scaled")
        if not -1 <= scaled <= 1:
            fail(f"{path}.scaled", f"must be between -1 and 1 inclusive, got {scaled!r}")
    low = check_number(score["min"], f"{path}.min") if "min" in score else None
    high = check_number(score["max"], f"{path}.max") if "max" in score else None
    if low is not None and high is not None and not low < high:
        fail(f"{path}.min", f"must be less than max ({high!r}), got {low!r}")
    if "raw" in score:
        raw = check_number(score["raw"], f"{path}.raw")
        if low is not None and raw < low:
            fail(f"{path}.raw", f"must not be less than min ({low!r}), got {raw!r}")
        if high is not None and raw > high:
            fail(f"{path}.raw", f"must not be greater than max ({high!r}), got {raw!r}")
