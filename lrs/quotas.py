"""Quotas and rate limits: per-tenant overrides of the configured defaults, enforced before any heavy work.

* :class:`Quotas`: the limits of one tenant: statements per batch, body and attachment size (413), and the
  request rate per credential (429).  A tenant stores only its overrides; everything else follows the settings.
  Body and attachment limits can only lower the configured ones (those are also enforced before a tenant is
  known).
* :class:`RateLimiter`: per-credential fixed windows.  ``rate_limit_burst`` requests are allowed per window of
  ``burst / rate`` minutes, which averages out to ``rate_limit_per_minute``.  Counters live in the store's
  shared, non-durable counter space (:meth:`QuotaStore.increment_counter`), so the limit holds across gunicorn
  workers and hosts at the cost of one cheap atomic increment per request.
* :class:`FailureThrottle`: failed authentications per claimed key and per client address; beyond the limit
  the LRS answers 429 without checking the secret at all (no scrypt work for guessers).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Protocol

from lrs.errors import BadRequestError, PayloadTooLargeError, TooManyRequestsError
from lrs.settings import Settings

QUOTA_CACHE_SECONDS = 5.0  # a changed quota reaches every worker within this time
FAILURE_WINDOW_SECONDS = 60
_US = 1_000_000


@dataclass(frozen=True)
class Quotas:
    max_batch: int
    max_body_bytes: int
    max_attachment_bytes: int
    rate_limit_per_minute: int  # 0: no rate limit
    rate_limit_burst: int

    @classmethod
    def defaults(cls, settings: Settings) -> Quotas:
        return cls(
            max_batch=settings.max_batch,
            max_body_bytes=settings.max_body_bytes,
            max_attachment_bytes=settings.max_attachment_bytes,
            rate_limit_per_minute=settings.rate_limit_per_minute,
            rate_limit_burst=settings.rate_limit_burst,
        )

    def check_batch(self, size: int) -> None:
        if size > self.max_batch:
            raise PayloadTooLargeError(f"a batch may hold at most {self.max_batch} statements, this one has {size}")

    def check_body(self, size: int) -> None:
        if size > self.max_body_bytes:
            raise PayloadTooLargeError(
                f"the request body is larger than this tenant's limit ({self.max_body_bytes} bytes)"
            )


QUOTA_NAMES = tuple(f.name for f in fields(Quotas))
_ZERO_ALLOWED = frozenset({"rate_limit_per_minute"})
_CAPPED_BY_SETTINGS = ("max_body_bytes", "max_attachment_bytes")


def validate_overrides(changes: Mapping[str, object]) -> dict[str, int | None]:
    """Quota changes from a client: known names, whole numbers (``None`` returns a quota to its default)."""
    clean: dict[str, int | None] = {}
    for name, value in changes.items():
        if name not in QUOTA_NAMES:
            raise BadRequestError(f"unknown quota {name!r}; known: {', '.join(QUOTA_NAMES)}", errors={"path": name})
        if value is None:
            clean[name] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadRequestError(f"quota {name!r} must be a whole number or null", errors={"path": name})
        minimum = 0 if name in _ZERO_ALLOWED else 1
        if value < minimum or value > 2**53:
            raise BadRequestError(f"quota {name!r} must be at least {minimum}", errors={"path": name})
        clean[name] = value
    return clean


def effective(defaults: Quotas, overrides: Mapping[str, int]) -> Quotas:
    known = {name: int(value) for name, value in overrides.items() if name in QUOTA_NAMES}
    merged = replace(defaults, **known)
    caps = {name: min(getattr(merged, name), getattr(defaults, name)) for name in _CAPPED_BY_SETTINGS}
    return replace(merged, **caps)


class QuotaStore(Protocol):
    """What quotas need from a store (part of :class:`lrs.storage.port.Store`)."""

    def get_quota_overrides(self, tenant: str) -> dict[str, int]: ...

    def set_quota_overrides(self, tenant: str, overrides: Mapping[str, int]) -> None: ...

    def increment_counter(self, name: str, window: int, expires_us: int) -> int: ...

    def read_counters(self, names: Sequence[str], window: int) -> list[int]: ...


class QuotaService:
    """Effective quotas per tenant, cached per worker for :data:`QUOTA_CACHE_SECONDS`."""

    def __init__(self, store: QuotaStore, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self.defaults = Quotas.defaults(settings)
        self._clock = clock
        self._cache: dict[str, tuple[float, Quotas]] = {}
        self._lock = threading.Lock()

    def for_tenant(self, tenant: str) -> Quotas:
        now = self._clock()
        cached = self._cache.get(tenant)
        if cached is not None and now - cached[0] < QUOTA_CACHE_SECONDS:
            return cached[1]
        quotas = effective(self.defaults, self._store.get_quota_overrides(tenant))
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[tenant] = (now, quotas)
        return quotas

    def describe(self, tenant: str) -> dict[str, object]:
        """The tenant's effective quotas, its overrides and the defaults (for the admin API)."""
        overrides = self._store.get_quota_overrides(tenant)
        return {
            "effective": asdict(effective(self.defaults, overrides)),
            "overrides": dict(overrides),
            "defaults": asdict(self.defaults),
        }

    def update(self, tenant: str, changes: Mapping[str, object]) -> dict[str, object]:
        """Apply validated changes (``None`` removes an override); returns :meth:`describe`."""
        clean = validate_overrides(changes)
        overrides = dict(self._store.get_quota_overrides(tenant))
        for name, value in clean.items():
            if value is None:
                overrides.pop(name, None)
            else:
                overrides[name] = value
        self._store.set_quota_overrides(tenant, overrides)
        with self._lock:
            self._cache.pop(tenant, None)
        return self.describe(tenant)


@dataclass(frozen=True)
class Window:
    """A fixed window of ``length`` seconds: its index and when it ends."""

    index: int
    ends: float

    @classmethod
    def at(cls, now: float, length: float) -> Window:
        index = math.floor(now / length)
        return cls(index, (index + 1) * length)

    def retry_after(self, now: float) -> int:
        return max(1, math.ceil(self.ends - now))


def counter_name(*parts: str) -> str:
    return "\x1f".join(parts)  # a separator no slug, key or address contains


class RateLimiter:
    """Requests per credential: ``burst`` per window of ``60 * burst / per_minute`` seconds."""

    def __init__(self, store: QuotaStore, *, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock

    def admit(self, tenant: str, key: str, quotas: Quotas) -> None:
        if quotas.rate_limit_per_minute == 0:
            return
        now = self._clock()
        window = Window.at(now, 60.0 * quotas.rate_limit_burst / quotas.rate_limit_per_minute)
        name = counter_name("rate", tenant, key, str(quotas.rate_limit_per_minute), str(quotas.rate_limit_burst))
        count = self._store.increment_counter(name, window.index, int(window.ends * _US) + _US)
        if count > quotas.rate_limit_burst:
            raise TooManyRequestsError(
                f"this credential is over its rate limit ({quotas.rate_limit_per_minute} requests per minute,"
                f" bursts of {quotas.rate_limit_burst})",
                retry_after=window.retry_after(now),
            )


class FailureThrottle:
    """Failed authentications per client address and per claimed key, in one-minute windows."""

    def __init__(self, store: QuotaStore, limit_per_minute: int, *, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._limit = limit_per_minute
        self._clock = clock

    @staticmethod
    def _names(address: str, key: str | None) -> list[str]:
        names = [counter_name("authfail-addr", address)]
        if key:
            names.append(counter_name("authfail-key", key))
        return names

    def check(self, address: str, key: str | None) -> None:
        """429 when the address or the key has failed too often in this window."""
        if self._limit == 0:
            return
        now = self._clock()
        window = Window.at(now, FAILURE_WINDOW_SECONDS)
        if max(self._store.read_counters(self._names(address, key), window.index)) >= self._limit:
            raise TooManyRequestsError(
                "too many failed authentication attempts; wait before trying again",
                retry_after=window.retry_after(now),
            )

    def record(self, address: str, key: str | None) -> None:
        if self._limit == 0:
            return
        window = Window.at(self._clock(), FAILURE_WINDOW_SECONDS)
        for name in self._names(address, key):
            self._store.increment_counter(name, window.index, int(window.ends * _US) + _US)


@dataclass(frozen=True)
class Limits:
    """Everything the request pipeline enforces before the work starts."""

    quotas: QuotaService
    rate: RateLimiter
    failures: FailureThrottle

    @classmethod
    def build(cls, store: QuotaStore, settings: Settings) -> Limits:
        return cls(
            QuotaService(store, settings), RateLimiter(store), FailureThrottle(store, settings.auth_failures_per_minute)
        )
