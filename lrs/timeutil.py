"""Time helpers: one clock, one serialisation of LRS-set timestamps, microsecond integers for comparisons."""

from __future__ import annotations

import re
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


# --- parsing xAPI timestamps (shared by the validators and statement comparison) --------------------------------

# ISO 8601 combined date and time, extended or basic format (never mixed), seconds and fraction optional, zone
# designator optional; ASCII digits only.
ISO_EXTENDED = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?(?:(Z)|([+-])(\d\d)(?::(\d\d))?)?", re.ASCII
)
ISO_BASIC = re.compile(
    r"(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(?:(\d\d)(?:[.,](\d+))?)?(?:(Z)|([+-])(\d\d)(\d\d)?)?", re.ASCII
)
# RFC 3339 section 5.6 date-time, also with "t"/"z" and a space instead of "T".
RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([Zz])|([+-])(\d\d):(\d\d))", re.ASCII
)


def match_timestamp(value: str, *, rfc3339: bool) -> re.Match[str] | None:
    match = ISO_EXTENDED.fullmatch(value) or ISO_BASIC.fullmatch(value)
    if match is None and rfc3339:
        match = RFC3339.fullmatch(value)
    return match


def instant_of(match: re.Match[str]) -> datetime:
    """The UTC instant a matched timestamp names (no zone: UTC; a leap second: the next second).

    Raises ValueError for an impossible date or offset and OverflowError outside years 1-9999.
    """
    year, month, day, hour, minute, second, fraction, _zulu, sign, off_hours, off_minutes = match.groups()
    seconds = int(second or 0)
    leap = seconds == 60
    moment = datetime(
        int(year),
        int(month),
        int(day),
        int(hour),
        int(minute),
        59 if leap else seconds,
        int((fraction or "0")[:6].ljust(6, "0")),
        tzinfo=UTC,
    )
    if int(off_hours or 0) > 23 or int(off_minutes or 0) > 59:
        raise ValueError("invalid UTC offset")
    offset = int(off_hours or 0) * 60 + int(off_minutes or 0)
    return moment + timedelta(seconds=1 if leap else 0, minutes=-offset if sign == "+" else offset)


def parse_instant_us(value: object) -> int | None:
    """Microseconds since the epoch of any timestamp form the LRS accepts, or None when it is not one."""
    if not isinstance(value, str):
        return None
    match = match_timestamp(value, rfc3339=True)
    if match is None:
        return None
    try:
        return to_us(instant_of(match))
    except (ValueError, OverflowError):
        return None


def utc_text(value: str) -> str:
    """A timestamp rewritten in UTC, ISO 8601 extended format with a 'Z' (xAPI: the LRS converts rather than
    rejects non-UTC timestamps).  The fraction digits are kept exactly as sent, so no precision is lost; a
    timestamp without a zone is read as UTC, as comparisons already do.  Anything unparseable is returned as is.
    """
    match = match_timestamp(value, rfc3339=True)
    if match is None:
        return value
    fraction = match.group(7)
    whole = re.sub(r"[.,]\d+", "", value, count=1) if fraction else value
    whole_match = match_timestamp(whole, rfc3339=True)
    try:
        moment = instant_of(whole_match) if whole_match else None
    except (ValueError, OverflowError):
        return value
    if moment is None:
        return value
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"
