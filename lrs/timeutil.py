"""Time helpers: one clock, one serialisation of LRS-set timestamps, microsecond integers for comparisons."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_us() -> int:
    """Current time as integer microseconds since the Unix epoch (UTC)."""
    return time.time_ns() // 1000


def to_us(moment: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def iso_us(value: int) -> str:
    """The LRS's own timestamp form: UTC, millisecond precision, 'Z' suffix (sortable, RFC 3339)."""
    moment = from_us(value)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def http_date(value: int) -> str:
    """RFC 7231 IMF-fixdate, for Last-Modified."""
    return from_us(value).strftime("%a, %d %b %Y %H:%M:%S GMT")


def stored_now_us() -> int:
    """The current time at the precision ``stored`` is serialised with (milliseconds), so that a ``since``
    equal to a served ``stored`` value excludes exactly that statement."""
    return now_us() // 1000 * 1000
