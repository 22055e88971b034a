"""Benchmark of training progress on the embedded SQLite store (in-process, the store and service calls).

1. **Seed** one tenant with ``--statements`` statements (default 1,000,000) from ``tests.progress_data``'s
   ``iter_statements`` (realistic cmi5 / video / assignment statements of ``--learners`` learners, padded with
   knowledge-base ``experienced`` noise), written through ``StatementService.store_statements`` in batches of
   500 *after* the trainings were put, so the projection is maintained at ingest as in production.  With the
   default 1,112 learners the ``latsar`` training has 1,001 participants.  The data directory is reused (and an
   interrupted seeding resumed) by later runs: ``var/bench-progress-<N>/``.
2. **Read** the whole training: ``store.list_progress_rows`` of every row in one call, the same through
   ``ProgressService.rows`` (rows parsed) plus ``summarize``, one filtered read (``status=in_progress``) and one
   page of 100; then over **HTTP** (``lrs serve``, one client, sequential requests)
   ``GET /api/v1/trainings/latsar/progress`` with ``limit=1000`` (every row in one answer), the default page,
   ``status=in_progress,not_started`` and ``format=csv``, and (no target) ``GET /api/v1/learning-hours`` of 2025
   (every learner: the trainings' rows and the microlearning the projection keeps); ``--reads`` samples each,
   p50/p95/p99.
3. **Rebuild** the training from the statements (``ProgressService.rebuild_training(refresh=True)``): its time,
   and that the rows are unchanged (incremental == rebuilt at full scale).
4. **Ingest slowdown**: the same statements stored into three fresh tenants of the same database, rotating
   chunks of batches so all see the same machine: ``off`` (the projection switched off: no events computed,
   nothing of it written), ``plain`` (the projection on, no trainings: only microlearning is kept) and
   ``tracked`` (on, with the benchmark's trainings); statements/s of each and the slowdown ``1 - on / off``.
   Over **HTTP** (``POST /xapi/statements``, ``--workers`` gunicorn workers, ``--clients`` concurrent
   connections: validation, authentication and all; ``off`` goes to a second server started by
   ``serve_without_projection.py``) and **in-process** (``StatementService.store_statements`` alone, the
   strictest ratio).  Workloads (``--workloads``): ``courses`` (every statement about a training: the worst case
   with trainings), ``training`` (the trainings' learners' statements: two thirds about the trainings, the rest
   microlearning; in a tenant without trainings nearly all are microlearning), ``mixed`` (the seeded mix: one learner's training statements, then knowledge-base noise) and
   ``untimed`` (only that noise: no duration, no session, so never an event).  The measurement tenants are
   deleted afterwards.

    .venv/bin/python bench/progress.py --statements 50000      # a quick run
    nohup .venv/bin/python bench/progress.py > bench/progress.out 2> bench/progress.err &   # 1,000,000

The report is a markdown table on stdout; the JSON goes to ``bench/results/progress-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH_DIR))

from lrs.cursor import CursorCodec  # noqa: E402
from lrs.progress.events import TrainingIndex  # noqa: E402
from lrs.progress.projection import training_events  # noqa: E402
from lrs.progress.rules import summarize  # noqa: E402
from lrs.progress.service import ProgressService, TrainingCatalog  # noqa: E402
from lrs.statements import StatementService  # noqa: E402
from lrs.storage.port import ProgressRowQuery  # noqa: E402
from lrs.storage.sqlite import SQLiteStore  # noqa: E402
from lrs.tenants import create_tenant  # noqa: E402
from tests.progress_data import benchmark_trainings, iter_statements, learner_agent, statement  # noqa: E402

TENANT = "progress"
TRAINING = "latsar"
AUTHORITY = {"objectType": "Agent", "name": "LMS", "mbox": "mailto:lms@example.go.id"}
SEED_BATCH = 500
READ_TARGET_P95_MS = 50.0
SLOWDOWN_TARGET = 0.15
MANIFEST = "bench-progress-manifest.json"


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def timings(samples_s: Sequence[float]) -> dict[str, float]:
    values = sorted(v * 1000 for v in samples_s)
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 0.50), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
        "p99_ms": round(percentile(values, 0.99), 2),
        "max_ms": round(values[-1], 2),
    }


def services(store: SQLiteStore) -> tuple[StatementService, ProgressService]:
    statements = StatementService(store, CursorCodec(store.get_or_create_secret("cursor-signing")))
    return statements, ProgressService(store, statements.trainings)


def batches(items: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    while True:
        batch = list(itertools.islice(items, size))
        if not batch:
            return
        yield batch


# 1. seeding ---------------------------------------------------------------------------------------------
def seed(store: SQLiteStore, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    path = data_dir / MANIFEST
    manifest = json.loads(path.read_text()) if path.exists() else None
    wanted = {"statements": args.statements, "learners": args.learners, "seed": args.seed}
    if manifest is not None and {k: manifest[k] for k in wanted} != wanted:
        raise SystemExit(f"{data_dir} was seeded with {manifest}; use another --data-dir or --fresh")
    manifest = manifest or {**wanted, "done": 0, "seconds": 0.0}
    statements, progress = services(store)
    if store.get_tenant(TENANT) is None:
        create_tenant(store, TENANT, "Progress benchmark")
    if not store.list_trainings(TENANT):
        for training in benchmark_trainings(args.learners):
            progress.put_training(TENANT, training)
    if manifest["done"] < args.statements:
        source = iter_statements(args.seed, args.learners, total=args.statements)
        skipped = itertools.islice(source, manifest["done"], None)
        started = time.perf_counter()
        last_log = started
        for batch in batches(skipped, SEED_BATCH):
            statements.store_statements(TENANT, batch, authority=AUTHORITY)
            manifest["done"] += len(batch)
            now = time.perf_counter()
            if now - last_log > 10:
                manifest["seconds"] += now - started
                started = last_log = now
                path.write_text(json.dumps(manifest))
                log(f"seeded {manifest['done']:,} statements")
        manifest["seconds"] += time.perf_counter() - started
        path.write_text(json.dumps(manifest))
        log(f"seeded {manifest['done']:,} statements in {manifest['seconds']:.0f} s")
    with sqlite3.connect(store.path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {
        "statements": store.count_statements(TENANT),
        "seconds": round(manifest["seconds"], 1),
        "rate_per_s": round(manifest["done"] / manifest["seconds"]) if manifest["seconds"] else None,
        "db_mib": round(sum(p.stat().st_size for p in data_dir.glob("lrs.sqlite3*")) / 2**20, 1),
    }


# 2. reads -----------------------------------------------------------------------------------------------
def measure(call: Callable[[], Any], samples: int) -> tuple[dict[str, float], Any]:
    result = None
    for _ in range(3):  # warm-up
        result = call()
    spent = []
    for _ in range(samples):
        started = time.perf_counter()
        result = call()
        spent.append(time.perf_counter() - started)
    return timings(spent), result


def reads(store: SQLiteStore, samples: int) -> dict[str, Any]:
    _, progress = services(store)
    everything = ProgressRowQuery(limit=100_000)
    kinds: dict[str, tuple[Callable[[], Any], Callable[[Any], int]]] = {
        "store: all rows": (lambda: store.list_progress_rows(TENANT, TRAINING, everything), len),
        "service: all rows parsed + summary": (
            lambda: summarize(progress.rows(TENANT, TRAINING, everything)),
            lambda summary: summary.participants,
        ),
        "store: status=in_progress": (
            lambda: store.list_progress_rows(
                TENANT, TRAINING, ProgressRowQuery(statuses=("in_progress",), limit=100_000)
            ),
            len,
        ),
        "store: one page of 100": (
            lambda: store.list_progress_rows(TENANT, TRAINING, ProgressRowQuery(limit=100)),
            len,
        ),
    }
    found = {}
    for name, (call, count) in kinds.items():
        stats, result = measure(call, samples)
        found[name] = {**stats, "rows": count(result)}
        log(f"read {name}: p95 {stats['p95_ms']} ms ({count(result)} rows)")
    return found


PROGRESS_PATH = f"/api/v1/trainings/{TRAINING}/progress"
HTTP_READS = {
    "HTTP: limit=1000 (every row, one response)": f"{PROGRESS_PATH}?limit=1000",
    "HTTP: default page (100 rows)": PROGRESS_PATH,
    "HTTP: status=in_progress,not_started": f"{PROGRESS_PATH}?status=in_progress,not_started&limit=1000",
    "HTTP: format=csv (every row)": f"{PROGRESS_PATH}?format=csv",
    # the tenant's yearly report (trainings' rows plus the projection's microlearning), for comparison
    "HTTP: learning hours 2025 (every learner; not a target)": "/api/v1/learning-hours?year=2025&limit=1000",
}


def reads_http(store: SQLiteStore, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """``GET /api/v1/trainings/latsar/progress`` through ``lrs serve``: one client, sequential requests."""
    import run as http_bench  # bench/run.py: the server and client helpers of the HTTP benchmark

    from auth.credentials import issue_credential

    issued = issue_credential(store, TENANT, ["all"], "bench-progress-reads")
    headers = {"Authorization": http_bench.basic_auth(issued.key, issued.secret)}
    port = http_bench.free_port()
    server = http_bench.Server(data_dir, port, args.workers)
    found: dict[str, Any] = {}
    try:
        server.wait_ready()
        http_bench.warm_up_workers(port, {TENANT: headers["Authorization"]}, args.workers)
        client = http_bench.Client(port)
        for name, path in HTTP_READS.items():

            def call(path: str = path) -> bytes:
                status, answer = client.request("GET", path, headers)
                if status != 200:
                    raise SystemExit(f"GET {path} answered {status}; see the server log")
                return answer

            stats, body = measure(call, samples=args.reads)
            rows = (
                body.count(b"\n") - 1
                if "csv" in path
                else len(json.loads(body).get("rows", json.loads(body).get("learners", [])))
            )
            found[name] = {**stats, "rows": rows, "bytes": len(body)}
            log(f"read {name}: p95 {stats['p95_ms']} ms ({rows} rows, {len(body):,} bytes)")
        client.close()
    finally:
        server.stop()
    return found


BURST_TENANT = "bench-burst"
BURST_PARTICIPANTS = 1000
BURST_SAMPLES = 15
BURST_PAUSE_S = 2.5  # the workers' settler starts once they were idle 1 s (it wakes every 0.5 s)


def reads_after_burst(store: SQLiteStore, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The first read of a 1,000-participant training right after a burst of ingest gave every participant a new
    event (so every row is dirty): immediately (the read refolds the 1,000 rows itself), after a pause of
    ``BURST_PAUSE_S`` (the workers' settler refolded them in the background), and once more at once (what the
    read of settled rows costs anyway).  In a tenant of its own in the same database, removed afterwards."""
    import run as http_bench  # bench/run.py: the server and client helpers of the HTTP benchmark

    from auth.credentials import issue_credential

    if store.get_tenant(BURST_TENANT) is not None:
        remove_tenant(store, BURST_TENANT)
    create_tenant(store, BURST_TENANT, BURST_TENANT)
    _, progress = services(store)
    latsar = benchmark_trainings(args.learners)[0]
    progress.put_training(BURST_TENANT, latsar)
    people = [learner_agent(index) for index in range(BURST_PARTICIPANTS)]
    issued = issue_credential(store, BURST_TENANT, ["all"], "bench-burst")
    auth = http_bench.basic_auth(issued.key, issued.secret)
    headers = {"Authorization": auth, "X-Experience-API-Version": "2.0.0", "Content-Type": "application/json"}
    port = http_bench.free_port()
    server = http_bench.Server(data_dir, port, args.workers)
    samples: dict[str, list[float]] = {"right after": [], "after a pause": [], "again, at once, after": []}
    rows = 0
    try:
        server.wait_ready()
        http_bench.warm_up_workers(port, {BURST_TENANT: auth}, args.workers)
        client = http_bench.Client(port)

        def burst(number: int) -> None:
            module = latsar.modules[number % len(latsar.modules)].id
            when = datetime.now(UTC)
            bodies = [statement(who, "experienced", module, when) for who in people]
            for start in range(0, len(bodies), 100):
                payload = json.dumps(bodies[start : start + 100]).encode()
                status, answer = client.request("POST", "/xapi/statements", headers, payload)
                if status != 200:
                    raise SystemExit(f"burst POST answered {status}: {answer[:200]!r}")

        def read() -> float:
            started = time.perf_counter()
            status, body = client.request("GET", f"{PROGRESS_PATH}?limit=1000", headers)
            spent = time.perf_counter() - started
            if status != 200:
                raise SystemExit(f"GET progress answered {status}")
            nonlocal rows
            rows = len(json.loads(body)["rows"])
            return spent

        for number in range(BURST_SAMPLES):
            burst(2 * number)
            samples["right after"].append(read())
            burst(2 * number + 1)
            time.sleep(BURST_PAUSE_S)
            samples["after a pause"].append(read())
            samples["again, at once, after"].append(read())  # the same read of settled rows: what it costs anyway
        client.close()
    finally:
        server.stop()
        remove_tenant(store, BURST_TENANT)
    found = {}
    for when, spent in samples.items():
        name = f"HTTP: limit=1000 {when} a burst touching all {BURST_PARTICIPANTS:,} participants"
        if when == "right after":  # the read refolds every row itself: the worst case, reported
            name += " (not a target)"
        found[name] = {**timings(spent), "rows": rows}
        log(f"read {name}: p95 {found[name]['p95_ms']} ms ({rows} rows)")
    return found


# 3. rebuild ---------------------------------------------------------------------------------------------
def rebuild(store: SQLiteStore) -> dict[str, Any]:
    _, progress = services(store)
    before = progress.rows(TENANT, TRAINING, ProgressRowQuery(limit=100_000))
    started = time.perf_counter()
    report = progress.rebuild_training(TENANT, TRAINING, refresh=True)
    seconds = time.perf_counter() - started
    after = progress.rows(TENANT, TRAINING, ProgressRowQuery(limit=100_000))
    log(f"rebuilt {TRAINING} in {seconds:.1f} s: {report.statements:,} statements, {report.rows} rows")
    return {
        "seconds": round(seconds, 2),
        "statements_read": report.statements,
        "events": report.events,
        "participants": report.rows,
        "rows_unchanged": before == after,
    }


# 4. ingest slowdown ---------------------------------------------------------------------------------------
WORKLOADS = ("courses", "training", "mixed", "untimed")
KINDS = ("off", "plain", "tracked")  # projection switched off; on, tenant without trainings; on, with trainings


def workload_statements(workload: str, count: int, seed: int) -> list[dict[str, Any]]:
    """``courses``: only statements about the trainings (every one has training events: the worst case for a
    tenant with trainings; in a tenant without them, timed ones are microlearning); ``training``: the
    trainings' learners' statements, about the trainings and microlearning (~2/3 have training events, in a
    tenant without trainings nearly all are microlearning); ``mixed``: the seeded mix (one learner's
    training statements, then knowledge-base noise: ~10 % have events); ``untimed``: only that noise (no
    duration, no session: statements that can never have an event)."""
    learners = max(200, count // 20)
    if workload == "courses":  # every statement about a training
        index = TrainingIndex(benchmark_trainings(learners))
        about = (s for s in iter_statements(seed, learners * 2) if training_events(s, index))
        return list(itertools.islice(about, count))
    if workload == "training":
        return list(itertools.islice(iter_statements(seed, learners), count))
    source = iter_statements(seed, learners, total=learners * 200)
    if workload == "untimed":
        source = (s for s in source if "result" not in s and "context" not in s)
    return list(itertools.islice(source, count))


class NoProjection(TrainingCatalog):
    """The baseline: no trainings index, so no events are computed and nothing of the projection is written."""

    def current(self, tenant: str) -> tuple[int, Any]:
        return 0, None


def ingest_tenants(store: SQLiteStore, label: str, learners: int) -> dict[str, str]:
    """Fresh tenants by kind: ``off`` and ``plain`` without trainings, ``tracked`` with the benchmark's."""
    tenants = {kind: f"ingest-{label}-{kind}" for kind in KINDS}
    _, progress = services(store)
    for slug in tenants.values():
        if store.get_tenant(slug) is not None:
            raise SystemExit(f"tenant {slug} exists: this data directory was used by an interrupted run; use --fresh")
        create_tenant(store, slug, slug)
    for training in benchmark_trainings(learners):
        progress.put_training(tenants["tracked"], training)
    return tenants


def alternate(chunks: int, work: Callable[[str, int], None], kinds: Sequence[str]) -> dict[str, float]:
    """Run ``work(kind, chunk)`` for every chunk and kind, rotating which kind goes first; seconds per kind."""
    spent = dict.fromkeys(kinds, 0.0)
    for index in range(chunks):
        shift = index % len(kinds)
        for kind in [*kinds[shift:], *kinds[:shift]]:
            started = time.perf_counter()
            work(kind, index)
            spent[kind] += time.perf_counter() - started
    return spent


def slowdown_result(path: str, workload: str, batch: int, count: int, spent: dict[str, float]) -> dict[str, Any]:
    rate = {kind: count / seconds for kind, seconds in spent.items()}
    result = {
        "path": path,
        "workload": workload,
        "batch": batch,
        "statements": count,
        "projection_off_per_s": round(rate["off"]),
        "without_trainings_per_s": round(rate["plain"]),
        "with_trainings_per_s": round(rate["tracked"]),
        "slowdown_without_trainings": round(1 - rate["plain"] / rate["off"], 4),
        "slowdown": round(1 - rate["tracked"] / rate["off"], 4),  # with trainings, vs the projection off
        "extra_us_per_statement": round((spent["tracked"] - spent["off"]) / count * 1e6, 1),
    }
    log(
        f"ingest {path} {workload} batch {batch}: {result['projection_off_per_s']}/s off,"
        f" {result['without_trainings_per_s']}/s without trainings ({result['slowdown_without_trainings']:.1%}),"
        f" {result['with_trainings_per_s']}/s with trainings ({result['slowdown']:.1%})"
    )
    return result


def ingest_in_process(
    store: SQLiteStore, workload: str, args: argparse.Namespace, batch: int, run_no: int
) -> dict[str, Any]:
    """``StatementService.store_statements`` (records, events, SQLite transaction): no validation, no HTTP."""
    bodies = workload_statements(workload, args.ingest, args.seed + 1 + run_no)
    tenants = ingest_tenants(store, f"{run_no}", max(200, args.ingest // 20))
    statements, _ = services(store)
    service = {
        "off": StatementService(store, statements.cursors, trainings=NoProjection(store)),
        "plain": statements,
        "tracked": statements,
    }
    step = batch * args.chunk
    chunks = [bodies[start : start + step] for start in range(0, len(bodies), step)]

    def work(kind: str, index: int) -> None:
        chunk = chunks[index]
        for start in range(0, len(chunk), batch):
            service[kind].store_statements(tenants[kind], chunk[start : start + batch], authority=AUTHORITY)

    spent = alternate(len(chunks), work, KINDS)
    for tenant in tenants.values():
        remove_tenant(store, tenant)
    return slowdown_result("in-process", workload, batch, len(bodies), spent)


def ingest_http(store: SQLiteStore, data_dir: Path, args: argparse.Namespace, round_no: int) -> list[dict[str, Any]]:
    """``POST /xapi/statements`` to ``lrs serve`` (gunicorn) from ``--clients`` concurrent connections; the ``off``
    tenant is served by a second server with the projection switched off (``serve_without_projection.py``)."""
    from unittest import mock

    import run as http_bench  # bench/run.py: the server and client helpers of the HTTP benchmark

    from auth.credentials import issue_credential

    workloads = args.workloads.split(",")
    cases = [(w, int(b), n) for n, (w, b) in enumerate(itertools.product(workloads, args.batches.split(",")))]
    prepared = []
    for workload, batch, number in cases:
        bodies = workload_statements(workload, args.http_ingest, args.seed + 50 + number + 10 * round_no)
        tenants = ingest_tenants(store, f"http{round_no}-{number}", max(200, args.http_ingest // 20))
        auth = {}
        for kind, tenant in tenants.items():
            issued = issue_credential(store, tenant, ["all"], "bench")
            auth[kind] = http_bench.basic_auth(issued.key, issued.secret)
        payloads = [
            json.dumps(bodies[start : start + batch], separators=(",", ":")).encode()
            for start in range(0, len(bodies), batch)
        ]
        prepared.append((workload, batch, len(bodies), tenants, auth, payloads))
    ports = {"on": http_bench.free_port()}
    ports["off"] = http_bench.free_port()
    servers = {"on": http_bench.Server(data_dir, ports["on"], args.workers)}
    launcher = [sys.executable, str(BENCH_DIR / "serve_without_projection.py")]
    with mock.patch.object(http_bench, "lrs_command", lambda: launcher):
        servers["off"] = http_bench.Server(data_dir, ports["off"], args.workers)
    results = []
    try:
        for name, server in servers.items():
            server.wait_ready()
            everyone = {
                f"{kind}{n}": header for n, (*_, auth, _) in enumerate(prepared) for kind, header in auth.items()
            }
            http_bench.warm_up_workers(ports[name], everyone, args.workers)
        for workload, batch, count, _tenants, auth, payloads in prepared:
            per_chunk = args.chunk * args.clients
            chunks = [payloads[start : start + per_chunk] for start in range(0, len(payloads), per_chunk)]

            def work(kind: str, index: int, chunks: list[list[bytes]] = chunks, auth: dict[str, str] = auth) -> None:
                port = ports["off" if kind == "off" else "on"]
                post_all(http_bench, port, auth[kind], chunks[index], args.clients)

            spent = alternate(len(chunks), work, KINDS)
            results.append(slowdown_result("HTTP", workload, batch, count, spent))
    finally:
        for server in servers.values():
            server.stop()
        for *_, tenants, _auth, _payloads in prepared:
            for tenant in tenants.values():
                remove_tenant(store, tenant)
    return results


def post_all(http_bench: Any, port: int, authorization: str, payloads: list[bytes], clients: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    headers = {
        "X-Experience-API-Version": "1.0.3",
        "Authorization": authorization,
        "Content-Type": "application/json",
    }

    def send(payload: bytes) -> int:
        client = http_bench.Client(port)
        try:
            return int(client.request("POST", "/xapi/statements", headers, payload)[0])
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=clients) as pool:
        statuses = list(pool.map(send, payloads))
    if any(status != 200 for status in statuses):
        raise SystemExit(f"ingest requests failed: {sorted(set(statuses))}; see the server log")


def remove_tenant(store: SQLiteStore, tenant: str) -> None:
    """Delete a measurement tenant and everything it stored, so the seeded data set stays as it was."""
    with sqlite3.connect(store.path) as conn:
        conn.execute("DELETE FROM statement_keys WHERE key_id IN (SELECT id FROM key_ids WHERE tenant = ?)", (tenant,))
        for table in (
            "statements",
            "key_ids",
            "activities",
            "event_blocks",
            "progress_rows",
            "trainings",
            "progress_dirty",
        ):
            conn.execute(f"DELETE FROM {table} WHERE tenant = ?", (tenant,))
        for table in ("training_versions", "credentials", "tenants"):
            column = "slug" if table == "tenants" else "tenant"
            conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (tenant,))
    store._key_cache.clear()  # ids of deleted keys


# report -------------------------------------------------------------------------------------------------
def render_reads(results: dict[str, Any]) -> str:
    lines = [
        f"## Training progress: {results['seed']['statements']:,} statements in the tenant, `{TRAINING}`",
        "",
        "| read | p50 ms | p95 ms | p99 ms | rows |",
        "|---|---|---|---|---|",
    ]
    for name, stats in results["reads"].items():
        lines.append(f"| {name} | {stats['p50_ms']} | {stats['p95_ms']} | {stats['p99_ms']} | {stats['rows']} |")
    return "\n".join(lines)


def render(results: dict[str, Any]) -> str:
    lines = [render_reads(results)]
    lines += [
        "",
        "| ingest path | workload | batch | statements | projection off /s | on, no trainings /s | on, with trainings /s"
        " | extra µs per statement |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in results["ingest"]:
        lines.append(
            f"| {row['path']} | {row['workload']} | {row['batch']} | {row['statements']:,} |"
            f" {row['projection_off_per_s']:,} | {row['without_trainings_per_s']:,}"
            f" ({row['slowdown_without_trainings']:.1%}) | {row['with_trainings_per_s']:,} ({row['slowdown']:.1%}) |"
            f" {row['extra_us_per_statement']} |"
        )
    rb = results["rebuild"] or {"seconds": "-", "statements_read": 0, "events": 0, "rows_unchanged": "-"}
    lines += [
        "",
        f"Rebuild of `{TRAINING}`: {rb['seconds']} s ({rb['statements_read']:,} statements read, {rb['events']:,}"
        f" events); rows unchanged: {rb['rows_unchanged']}.  Seeding: {results['seed']['rate_per_s']}"
        f" statements/s through the statement service with the projection maintained; DB {results['seed']['db_mib']} MiB.",
        "",
    ]
    for target in results["targets"]:
        lines.append(
            f"- {target['name']}: {target['value']} (target {target['target']}): {'met' if target['met'] else 'NOT met'}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--statements", type=int, default=1_000_000, help="statements in the tenant (default 1M)")
    parser.add_argument("--learners", type=int, default=1112, help="learners (1,112: 1,001 latsar participants)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, help="default var/bench-progress-<statements>")
    parser.add_argument("--fresh", action="store_true", help="delete the data directory's database first")
    parser.add_argument("--reads", type=int, default=200, help="samples per read kind")
    parser.add_argument("--ingest", type=int, default=20_000, help="statements per ingest measurement and tenant")
    parser.add_argument("--batches", default="100,10", help="ingest batch sizes")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="ingest workloads (default: all)")
    parser.add_argument("--chunk", type=int, default=5, help="batches per alternating chunk")
    parser.add_argument("--rounds", type=int, default=3, help="repetitions of each ingest measurement")
    parser.add_argument("--http-ingest", type=int, default=20_000, help="statements per HTTP ingest measurement")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for the HTTP ingest (default 2)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP connections (default 4)")
    parser.add_argument("--skip-http", action="store_true", help="measure ingest in-process only")
    parser.add_argument("--ingest-only", action="store_true", help="measure the ingest only (no reads or rebuild)")
    parser.add_argument("--reads-only", action="store_true", help="measure the reads only (no rebuild or ingest)")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    data_dir = args.data_dir or ROOT / "var" / f"bench-progress-{args.statements}"
    data_dir.mkdir(parents=True, exist_ok=True)
    if args.fresh:
        for path in [*data_dir.glob("lrs.sqlite3*"), data_dir / MANIFEST, data_dir / "counters.sqlite3"]:
            path.unlink(missing_ok=True)
    store = SQLiteStore(data_dir / "lrs.sqlite3")
    store.init_schema()
    results: dict[str, Any] = {
        "machine": {
            "nproc": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "loadavg_start": os.getloadavg(),
        },
        "parameters": {k: str(v) for k, v in vars(args).items()},
    }
    results["seed"] = seed(store, data_dir, args)
    results["reads"] = {} if args.ingest_only else reads(store, args.reads)
    if not args.skip_http and not args.ingest_only:
        results["reads"].update(reads_http(store, data_dir, args))
        results["reads"].update(reads_after_burst(store, data_dir, args))
    if args.reads_only:
        save(results, args.output)
        print(render_reads(results))
        return 0
    results["rebuild"] = None if args.ingest_only else rebuild(store)
    results["ingest"] = []
    for round_no in range(args.rounds):
        if not args.skip_http:
            results["ingest"].extend(ingest_http(store, data_dir, args, round_no))
        for workload in args.workloads.split(","):
            for batch in (int(b) for b in args.batches.split(",")):
                results["ingest"].append(ingest_in_process(store, workload, args, batch, len(results["ingest"])))
    slowdowns: dict[tuple[str, str, int], list[float]] = {}
    without: dict[tuple[str, str, int], list[float]] = {}
    for row in results["ingest"]:
        slowdowns.setdefault((row["path"], row["workload"], row["batch"]), []).append(row["slowdown"])
        without.setdefault((row["path"], row["workload"], row["batch"]), []).append(row["slowdown_without_trainings"])
    worst_p95 = max(
        (
            stats["p95_ms"]
            for name, stats in results["reads"].items()
            if "all rows" in name or ("HTTP: " in name and "not a target" not in name)
        ),
        default=math.nan,
    )
    results["targets"] = [
        {
            "name": "read a 1,000-participant training, worst p95 ms (service, rows parsed; HTTP: every kind)",
            "value": worst_p95,
            "target": READ_TARGET_P95_MS,
            "met": worst_p95 <= READ_TARGET_P95_MS,
        },
        *(
            {
                "name": f"ingest slowdown vs the projection off, {path}, {workload} statements, batches of {batch}"
                f" (median of {len(values)}; tenant without trainings: {statistics.median(without[key]):.1%})",
                "value": f"{statistics.median(values):.1%}",
                "target": f"{SLOWDOWN_TARGET:.0%}",
                "met": statistics.median(values) <= SLOWDOWN_TARGET,
            }
            for key, values in sorted(slowdowns.items())
            for path, workload, batch in [key]
        ),
    ]
    save(results, args.output)
    print(render(results))
    return 0


def save(results: dict[str, Any], output: Path | None) -> None:
    results["machine"]["loadavg_end"] = os.getloadavg()
    output = output or BENCH_DIR / "results" / f"progress-{datetime.now():%Y%m%d-%H%M%S}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=1))
    log(f"results in {output}")


if __name__ == "__main__":
    raise SystemExit(main())
