"""ISO 8601 durations (``result.duration``) as whole milliseconds.

Calendar components have no fixed length, so progress reckons a year as 365 days, a month as 30 days and a week
as 7 days; statements almost always send hours, minutes and seconds only.  Anything that is not a duration (the
validators reject those at ingest; old data may still hold one) reads as None rather than failing.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_NUM = r"(\d+(?:[.,]\d+)?)"
_FORM = re.compile(
    rf"P(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?(?:T(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?", re.ASCII
)
_MS_PER_UNIT = (
    365 * 86_400_000,  # Y
    30 * 86_400_000,  # M
    7 * 86_400_000,  # W
    86_400_000,  # D
    3_600_000,  # H
    60_000,  # M
    1_000,  # S
)
MAX_MS = 10 * 365 * 86_400_000  # anything longer is noise; clamp so sums stay sane


def duration_ms(value: object) -> int | None:
    """Milliseconds in an ISO 8601 duration ("PT1H30M" -> 5_400_000), truncated; None when not a duration."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    match = _FORM.fullmatch(value)
    if match is None or not any(match.groups()):
        return None
    total = Decimal(0)
    try:
        for text, unit_ms in zip(match.groups(), _MS_PER_UNIT, strict=True):
            if text is not None:
                total += Decimal(text.replace(",", ".")) * unit_ms
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimal numbers
        return None
    return min(int(total), MAX_MS)
