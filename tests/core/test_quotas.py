"""Quotas and rate limits without HTTP: override validation, effective values, windows, limiter, throttle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from lrs.errors import BadRequestError, PayloadTooLargeError, TooManyRequestsError
from lrs.quotas import FailureThrottle, Quotas, RateLimiter, Window, effective, validate_overrides
from lrs.settings import Settings

DEFAULTS = Quotas.defaults(Settings())


class MemoryCounters:
    """The counter part of the store, in memory (one worker's view of a shared store)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, int], int] = {}
        self.overrides: dict[str, dict[str, int]] = {}

    def get_quota_overrides(self, tenant: str) -> dict[str, int]:
        return dict(self.overrides.get(tenant, {}))

    def set_quota_overrides(self, tenant: str, overrides: Mapping[str, int]) -> None:
        self.overrides[tenant] = dict(overrides)

    def increment_counter(self, name: str, window: int, expires_us: int) -> int:
        self.counts[name, window] = self.counts.get((name, window), 0) + 1
        return self.counts[name, window]

    def read_counters(self, names: Sequence[str], window: int) -> list[int]:
        return [self.counts.get((name, window), 0) for name in names]


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    "changes",
    [
        {"unknown": 1},
        {"max_batch": 0},
        {"max_batch": "1"},
        {"max_batch": 1.0},
        {"max_batch": False},
        {"rate_limit_burst": 0},
        {"max_batch": 2**60},
    ],
)
def test_invalid_overrides_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(BadRequestError):
        validate_overrides(changes)


def test_valid_overrides_and_defaults() -> None:
    assert validate_overrides({"rate_limit_per_minute": 0, "max_batch": None}) == {
        "rate_limit_per_minute": 0,
        "max_batch": None,
    }
    quotas = effective(DEFAULTS, {"max_batch": 3, "max_body_bytes": DEFAULTS.max_body_bytes * 2, "gone": 1})
    assert quotas.max_batch == 3
    assert quotas.max_body_bytes == DEFAULTS.max_body_bytes  # never above the configured limit
    assert effective(DEFAULTS, {"max_body_bytes": 10}).max_body_bytes == 10


def test_quota_checks() -> None:
    quotas = effective(DEFAULTS, {"max_batch": 2, "max_body_bytes": 100})
    quotas.check_batch(2)
    quotas.check_body(100)
    with pytest.raises(PayloadTooLargeError):
        quotas.check_batch(3)
    with pytest.raises(PayloadTooLargeError):
        quotas.check_body(101)


def test_windows() -> None:
    window = Window.at(125.0, 60.0)
    assert (window.index, window.ends) == (2, 180.0)
    assert window.retry_after(125.0) == 55
    assert window.retry_after(179.99) == 1  # never 0


def test_rate_limiter_allows_the_burst_per_window_and_isolates_credentials_and_tenants() -> None:
    counters, clock = MemoryCounters(), Clock(600.0)
    limiter = RateLimiter(counters, clock=clock)
    quotas = effective(DEFAULTS, {"rate_limit_per_minute": 120, "rate_limit_burst": 3})  # 1.5 s windows
    for _ in range(3):
        limiter.admit("a", "key-1", quotas)
    with pytest.raises(TooManyRequestsError) as refused:
        limiter.admit("a", "key-1", quotas)
    assert refused.value.headers() == {"Retry-After": "2"}
    limiter.admit("a", "key-2", quotas)
    limiter.admit("b", "key-1", quotas)
    clock.now += 1.5
    limiter.admit("a", "key-1", quotas)
    unlimited = effective(DEFAULTS, {"rate_limit_per_minute": 0})
    for _ in range(10):
        limiter.admit("a", "key-1", unlimited)


def test_failure_throttle_counts_per_address_and_key() -> None:
    counters, clock = MemoryCounters(), Clock(6000.0)
    throttle = FailureThrottle(counters, 3, clock=clock)
    for _ in range(3):
        throttle.check("10.0.0.1", "key-1")
        throttle.record("10.0.0.1", "key-1")
    with pytest.raises(TooManyRequestsError):
        throttle.check("10.0.0.1", None)  # the address
    with pytest.raises(TooManyRequestsError) as refused:
        throttle.check("10.0.0.2", "key-1")  # the key, from anywhere
    assert refused.value.headers() == {"Retry-After": "60"}
    throttle.check("10.0.0.2", "key-2")
    clock.now += 60
    throttle.check("10.0.0.1", "key-1")  # a new minute
    off = FailureThrottle(counters, 0, clock=clock)
    for _ in range(5):
        off.record("10.0.0.3", None)
        off.check("10.0.0.3", None)
    assert not any(name.startswith("authfail-addr\x1f10.0.0.3") for name, _ in counters.counts)
