"""Storage contract, quotas part: tenant quota overrides and the shared rate counters, on every adapter."""

from __future__ import annotations

import threading

import pytest

from lrs.storage.port import Store
from lrs.timeutil import now_us

LATER = now_us() + 3_600_000_000


def test_quota_overrides_round_trip_per_tenant(store: Store) -> None:
    assert store.get_quota_overrides("tenant-a") == {}
    store.set_quota_overrides("tenant-a", {"max_batch": 5, "rate_limit_per_minute": 0})
    assert store.get_quota_overrides("tenant-a") == {"max_batch": 5, "rate_limit_per_minute": 0}
    assert store.get_quota_overrides("tenant-b") == {}
    store.set_quota_overrides("tenant-a", {"rate_limit_burst": 9})  # replaces, does not merge
    assert store.get_quota_overrides("tenant-a") == {"rate_limit_burst": 9}
    store.set_quota_overrides("tenant-a", {})
    assert store.get_quota_overrides("tenant-a") == {}


def test_tenant_names_are_matched_literally(store: Store) -> None:
    store.set_quota_overrides("tenant-a", {"max_batch": 5})
    for probe in ("tenant-%", "tenant-.*", "TENANT-A", "tenant-a ", ""):
        assert store.get_quota_overrides(probe) == {}


def test_counters_count_per_name_and_window(store: Store) -> None:
    assert [store.increment_counter("rate|a", 7, LATER) for _ in range(3)] == [1, 2, 3]
    assert store.increment_counter("rate|b", 7, LATER) == 1
    assert store.increment_counter("rate|a", 8, LATER) == 1  # a new window starts at one
    assert store.read_counters(["rate|a", "rate|b", "rate|none"], 7) == [3, 1, 0]
    assert store.read_counters(["rate|a"], 8) == [1]
    assert store.read_counters([], 7) == []


def test_counter_names_are_matched_literally(store: Store) -> None:
    store.increment_counter("authfail-addr\x1f10.0.0.1", 1, LATER)
    assert store.read_counters(["authfail-addr\x1f10.0.0.%", "authfail-addr\x1f10.0.0.1|1", ".*"], 1) == [0, 0, 0]


def test_concurrent_increments_are_never_lost(store: Store) -> None:
    client = getattr(store, "_client", None)
    if client is not None and type(client).__module__.startswith("mongomock"):
        pytest.skip("mongomock's updates are not atomic across threads (MongoDB's are; run with LRS_TEST_MONGO_URI)")
    threads = 4
    per_thread = 25
    results: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(per_thread):
            count = store.increment_counter("hot", 1, LATER)
            with lock:
                results.append(count)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(results) == list(range(1, threads * per_thread + 1))  # every count handed out exactly once
    assert store.read_counters(["hot"], 1) == [threads * per_thread]
