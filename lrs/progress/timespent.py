"""Time spent: the length of the union of the intervals in which a learner is known to have been active.

Each event set (one learner's events in one training, or on one standalone activity) gives intervals:

* **a cmi5 session** (events sharing a session id) is one interval ending at the session's end:

  - when the session has a ``terminated`` or ``abandoned`` statement with a ``result.duration``, that duration
    (cmi5 9.5.4: the AU's time from ``initialized`` to ``terminated``; the LMS's session time for
    ``abandoned``), ending at that statement's timestamp; with several, the longest;
  - otherwise (a session still open, or closed without a duration), from the session's first to its last
    statement, or the longest ``result.duration`` among its statements when that is longer, ending at the last
    statement.

  The durations of the session's other statements (``completed``, ``passed``, video segments...) are never added:
  they overlap the session by definition.
* **a statement outside any session** with a ``result.duration`` *d* covers ``[timestamp - d, timestamp]``;
  statements without a duration cover nothing.

No interval is longer than the cap (default 4 hours: a tab left open overnight is not learning).  The intervals
are then merged, so time is never counted twice: two sessions open at the same time, a plain statement sent
during a session, or a video's cumulative ``progressed`` durations all overlap and count once.  The result does
not depend on the order of the events, and removing a voided statement's events gives exactly the value of a
history in which it never existed (the intervals are recomputed from the remaining events).
"""

from __future__ import annotations

from collections.abc import Iterable

from lrs.progress.events import ProgressEvent
from lrs.progress.verbs import SESSION_END

Interval = tuple[int, int]  # (start_us, end_us), start < end
CAP_MS = 4 * 3_600_000


def activity_intervals(events: Iterable[ProgressEvent], *, cap_ms: int = CAP_MS) -> list[Interval]:
    """The merged, sorted intervals the events cover (see the module docstring)."""
    cap_us = cap_ms * 1000
    sessions: dict[str, list[ProgressEvent]] = {}
    intervals: list[Interval] = []
    for event in events:
        if event.session is not None:
            sessions.setdefault(event.session, []).append(event)
        elif event.duration_ms:
            intervals.append((event.at_us - min(event.duration_ms * 1000, cap_us), event.at_us))
    for session_events in sessions.values():
        end, length_us = _session_span(session_events)
        length_us = min(length_us, cap_us)
        if length_us > 0:
            intervals.append((end - length_us, end))
    return merge(intervals)


def _session_span(events: list[ProgressEvent]) -> tuple[int, int]:
    """(end_us, length_us) of one session."""
    closing = [event for event in events if event.verb in SESSION_END and event.duration_ms is not None]
    if closing:
        close = max(closing, key=lambda event: (event.duration_ms or 0, event.at_us, event.statement_id))
        return close.at_us, (close.duration_ms or 0) * 1000
    first = min(event.at_us for event in events)
    last = max(event.at_us for event in events)
    longest_us = max((event.duration_ms or 0) for event in events) * 1000
    return last, max(last - first, longest_us)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping intervals covering the same time (touching intervals are joined)."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def total_us(intervals: Iterable[Interval]) -> int:
    """Length of merged intervals."""
    return sum(end - start for start, end in intervals)


def truncate(intervals: list[Interval], limit_us: int) -> list[Interval]:
    """The earliest ``limit_us`` of merged intervals."""
    kept: list[Interval] = []
    left = limit_us
    for start, end in intervals:
        if left <= 0:
            break
        piece_end = min(end, start + left)
        kept.append((start, piece_end))
        left -= piece_end - start
    return kept


def time_spent_s(events: Iterable[ProgressEvent], *, cap_ms: int = CAP_MS) -> int:
    """Whole seconds of time spent (truncated)."""
    return total_us(activity_intervals(events, cap_ms=cap_ms)) // 1_000_000
