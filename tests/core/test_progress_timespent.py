"""Time spent: union of session and statement intervals, capped, never counted twice."""

from __future__ import annotations

import itertools

import pytest

from lrs.progress.events import ProgressEvent
from lrs.progress.timespent import CAP_MS, activity_intervals, merge, time_spent_s, total_us, truncate

MIN = 60_000_000  # one minute in microseconds
T0 = 1_736_000_000 * 1_000_000
_ids = itertools.count()


def ev(verb: str, at_min: float, *, dur_s: float | None = None, session: str | None = None) -> ProgressEvent:
    return ProgressEvent(
        statement_id=f"s{next(_ids)}",
        training="t",
        learner="l",
        activity="a",
        direct=True,
        verb=verb,
        at_us=T0 + int(at_min * MIN),
        duration_ms=None if dur_s is None else int(dur_s * 1000),
        session=session,
    )


H = 3600  # seconds

CASES = [
    ("nothing", [], 0),
    ("statements without durations outside sessions", [ev("experienced", 0), ev("experienced", 30)], 0),
    (
        "cmi5 session: terminated duration, not the sum of completed/passed durations",
        [
            ev("launched", 0, session="a"),
            ev("initialized", 1, session="a"),
            ev("completed", 25, dur_s=24 * 60, session="a"),
            ev("passed", 28, dur_s=27 * 60, session="a"),
            ev("terminated", 31, dur_s=30 * 60, session="a"),
        ],
        30 * 60,
    ),
    (
        "abandoned duration closes the session",
        [
            ev("launched", 0, session="a"),
            ev("initialized", 1, session="a"),
            ev("abandoned", 90, dur_s=20 * 60, session="a"),
        ],
        20 * 60,
    ),
    (
        "open session: first to last statement",
        [ev("launched", 0, session="a"), ev("answered", 7, session="a"), ev("answered", 20, session="a")],
        20 * 60,
    ),
    (
        "open session: a longer statement duration wins over the span",
        [ev("initialized", 0, session="a"), ev("completed", 5, dur_s=12 * 60, session="a")],
        12 * 60,
    ),
    (
        "the LMS's satisfied after terminated does not move the session",
        [
            ev("initialized", 0, session="a"),
            ev("terminated", 10, dur_s=10 * 60, session="a"),
            ev("satisfied", 300, session="a"),
        ],
        10 * 60,
    ),
    (
        "two sessions open at the same time count once",
        [
            ev("initialized", 0, session="a"),
            ev("terminated", 30, dur_s=30 * 60, session="a"),
            ev("initialized", 10, session="b"),
            ev("terminated", 40, dur_s=30 * 60, session="b"),
        ],
        40 * 60,
    ),
    (
        "a plain statement inside a session adds nothing",
        [
            ev("initialized", 0, session="a"),
            ev("completed", 20, dur_s=15 * 60),
            ev("terminated", 30, dur_s=30 * 60, session="a"),
        ],
        30 * 60,
    ),
    (
        "a plain statement reaching before the session adds its part",
        [
            ev("experienced", 5, dur_s=10 * 60),
            ev("initialized", 0, session="a"),
            ev("terminated", 30, dur_s=30 * 60, session="a"),
            ev("completed", 40, dur_s=5 * 60),
        ],
        (5 + 30 + 5) * 60,
    ),
    (
        "cumulative video durations nest",
        [
            ev("progressed", 5, dur_s=5 * 60),
            ev("progressed", 10, dur_s=10 * 60),
            ev("progressed", 15, dur_s=15 * 60),
            ev("completed", 15, dur_s=15 * 60),
        ],
        15 * 60,
    ),
    (
        "separate plain statements add up",
        [ev("completed", 10, dur_s=10 * 60), ev("completed", 60, dur_s=5 * 60)],
        15 * 60,
    ),
    ("a terminated duration above the cap is capped", [ev("terminated", 600, dur_s=10 * H, session="a")], 4 * H),
    (
        "an open session spanning days is capped",
        [ev("initialized", 0, session="a"), ev("answered", 3 * 24 * 60, session="a")],
        4 * H,
    ),
    ("a plain duration above the cap is capped", [ev("completed", 600, dur_s=9 * H)], 4 * H),
    ("a waived session (one statement, no duration) is nothing", [ev("waived", 0, session="w")], 0),
]


@pytest.mark.parametrize(("case", "events", "seconds"), CASES, ids=[case[0] for case in CASES])
def test_time_spent(case: str, events: list[ProgressEvent], seconds: int) -> None:
    assert time_spent_s(events) == seconds, case
    for shuffled in itertools.islice(itertools.permutations(events), 24):
        assert time_spent_s(shuffled) == seconds, case


def test_the_cap_is_a_parameter() -> None:
    events = [ev("terminated", 600, dur_s=10 * H, session="a")]
    assert time_spent_s(events, cap_ms=H * 1000) == H
    assert CAP_MS == 4 * H * 1000


def test_intervals_end_at_the_closing_statement() -> None:
    events = [ev("initialized", 0, session="a"), ev("terminated", 30, dur_s=20 * 60, session="a")]
    assert activity_intervals(events) == [(T0 + 10 * MIN, T0 + 30 * MIN)]


@pytest.mark.parametrize(
    ("intervals", "merged"),
    [
        ([], []),
        ([(5, 10), (1, 3)], [(1, 3), (5, 10)]),
        ([(1, 5), (5, 8)], [(1, 8)]),
        ([(1, 10), (2, 3)], [(1, 10)]),
        ([(1, 4), (2, 6), (8, 9)], [(1, 6), (8, 9)]),
        ([(3, 3), (4, 2)], []),
    ],
)
def test_merge(intervals: list[tuple[int, int]], merged: list[tuple[int, int]]) -> None:
    assert merge(intervals) == merged
    assert total_us(merge(intervals)) == sum(end - start for start, end in merged)


@pytest.mark.parametrize(
    ("limit", "kept"),
    [(0, []), (3, [(0, 3)]), (12, [(0, 10), (20, 22)]), (100, [(0, 10), (20, 30)])],
)
def test_truncate_keeps_the_earliest(limit: int, kept: list[tuple[int, int]]) -> None:
    assert truncate([(0, 10), (20, 30)], limit) == kept
