"""Benchmark of the embedded SQLite store served over real HTTP by gunicorn (``lrs serve``).

Seeds a data directory with realistic cmi5 statements (directly through the store: ``prepare()`` +
``SQLiteStore.insert_statements``), starts ``lrs serve`` on 127.0.0.1, measures query latency and HTTP ingest
rate, stops the server, and writes a table to stdout and a JSON file to ``bench/results/``.

    .venv/bin/python bench/run.py --quick          # smoke run, under a minute
    .venv/bin/python bench/run.py                  # 1,000,000 statements (seeding takes a few minutes once)

See bench/README.md.  Only 127.0.0.1 is contacted; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import http.client
import json
import math
import multiprocessing
import os
import platform
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import workload  # noqa: E402  (bench/ is not a package)

from auth.basic import BasicAuthenticator  # noqa: E402
from auth.credentials import issue_credential  # noqa: E402
from lrs.settings import Settings, load_settings  # noqa: E402
from lrs.statement_query import StatementFilter, to_storage_query  # noqa: E402
from lrs.statements import prepare  # noqa: E402
from lrs.storage.sqlite import SQLiteStore  # noqa: E402
from lrs.tenants import create_tenant  # noqa: E402
from lrs.timeutil import iso_us, now_us  # noqa: E402
from validators.statement import validate_statements  # noqa: E402
from validators.statement_params import MoreRequest, SingleStatementRequest, parse_statement_get  # noqa: E402

HOST = "127.0.0.1"  # the only address this benchmark ever contacts
XAPI_VERSION = "1.0.3"
MANIFEST = "bench-manifest.json"
MANIFEST_FORMAT = 1
LARGE_TENANT = workload.TENANTS[0][0]

INGEST_TARGETS = {1: 300.0, 10: None, 100: 3000.0}  # statements/s
LATENCY_TARGET_P95_MS = 20.0
# option -> (default, default with --quick)
RUN_SIZES: dict[str, tuple[float, float]] = {
    "statements": (1_000_000, 20_000),
    "duration": (10.0, 3.0),
    "queries": (200, 30),
}

QUERY_KINDS: tuple[tuple[str, str], ...] = (
    ("statement_id", "GET ?statementId="),
    ("agent", "agent= (learner)"),
    ("verb", "verb="),
    ("activity", "activity= (AU)"),
    ("registration", "registration="),
    ("agent_verb", "agent= & verb="),
    ("activity_related", "activity= (course) & related_activities=true"),
    ("broad_and_rare", "activity= (cmi5 category) & related_activities=true & verb=voided"),
    ("since", "since= (recent)"),
    ("unfiltered", "unfiltered first page"),
    ("more", "more link (page 2)"),
)
KIND_LABELS = dict(QUERY_KINDS)


# ----------------------------------------------------------------------------------------------------------
# small helpers


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile of an already sorted sequence."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize_ms(values_s: Sequence[float]) -> dict[str, float | int | None]:
    values = sorted(v * 1000 for v in values_s)
    return {
        "n": len(values),
        "p50_ms": _round(percentile(values, 0.50)),
        "p95_ms": _round(percentile(values, 0.95)),
        "p99_ms": _round(percentile(values, 0.99)),
        "max_ms": _round(values[-1] if values else None),
        "mean_ms": _round(sum(values) / len(values) if values else None),
    }


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _child_signals() -> None:
    """Worker processes: the parent handles Ctrl-C and stops them with SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def machine_info() -> dict[str, Any]:
    cpu_model = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    mem_total = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_total = round(int(line.split()[1]) / 1024 / 1024, 1)
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count() or 1
    return {
        "nproc": nproc,
        "cpu_model": cpu_model,
        "memory_gib": mem_total,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


def db_files(data_dir: Path) -> list[Path]:
    base = data_dir / "lrs.sqlite3"
    return [base, Path(f"{base}-wal"), Path(f"{base}-shm")]


def db_size_bytes(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in db_files(data_dir) if p.exists())


def _mib(size: int) -> float:
    return round(size / 1024 / 1024, 1)


# ----------------------------------------------------------------------------------------------------------
# seeding


@dataclass
class Manifest:
    """What the benchmark put into a data directory (so a later run can reuse or resume it)."""

    seed: int
    learners: int
    chunk_size: int
    chunks_done: int = 0
    statements_seeded: int = 0
    seconds_spent: float = 0.0
    credentials: dict[str, dict[str, str]] = field(default_factory=dict)  # slug -> key, secret, label
    format: int = MANIFEST_FORMAT

    @classmethod
    def load(cls, path: Path) -> Manifest | None:
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        if data.get("format") != MANIFEST_FORMAT:
            raise SystemExit(f"{path} was written by another version of the benchmark; use --fresh")
        return cls(**data)

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1))
        tmp.replace(path)


def learners_for(statements: int) -> int:
    return max(1000, min(50_000, statements // 50))


def server_environment(data_dir: Path) -> dict[str, str]:
    """The environment of the seeding code and of the server: same LRS_* settings, always SQLite."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LRS_MONGO")}
    env["LRS_DATA_DIR"] = str(data_dir)
    # Throughput, not throttling, is measured: every client uses one credential, far above the default rate.
    # Set LRS_RATE_LIMIT_PER_MINUTE (e.g. very high) to measure what the limiter itself costs.
    env.setdefault("LRS_RATE_LIMIT_PER_MINUTE", "0")
    return env


def settings_for(data_dir: Path) -> Settings:
    env = server_environment(data_dir)
    return load_settings({k: v for k, v in env.items() if k.startswith("LRS_")})


def ensure_credentials(store: SQLiteStore, manifest: Manifest) -> None:
    for slug, name, _ in workload.TENANTS:
        if slug in manifest.credentials:
            continue
        if store.get_tenant(slug) is None:
            create_tenant(store, slug, name)
        label = f"bench-lms-{slug}"
        issued = issue_credential(store, slug, ["all"], label)
        manifest.credentials[slug] = {"key": issued.key, "secret": issued.secret, "label": label}


_SEED: dict[str, Any] = {}  # per seeding worker: world, authorities, parameters


def _seed_worker_init(seed: int, learners: int, chunk_size: int, authorities: dict[str, dict[str, Any]]) -> None:
    _child_signals()
    _SEED.update(seed=seed, chunk_size=chunk_size, authorities=authorities, worlds=workload.build_world(seed, learners))


def _prepare_chunk(index: int) -> tuple[str, list[Any]]:
    slug, statements = workload.chunk(_SEED["seed"], index, _SEED["worlds"], _SEED["chunk_size"])
    authority = _SEED["authorities"][slug]
    records = [prepare(s, authority=authority, default_version="1.0.0")[2] for s in statements]
    return slug, records


def seed(data_dir: Path, target: int, *, seed_value: int, chunk_size: int, workers: int, fresh: bool) -> dict[str, Any]:
    """Bring the data directory to ``target`` seeded statements; returns the seeding report."""
    data_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = data_dir / MANIFEST
    if fresh:
        if db_files(data_dir)[0].exists() and not manifest_path.exists():
            raise SystemExit(f"--fresh: {data_dir} holds a database the benchmark did not create; not deleting it")
        for path in [*db_files(data_dir), manifest_path]:
            path.unlink(missing_ok=True)
    manifest = Manifest.load(manifest_path)
    if manifest is None:
        if db_files(data_dir)[0].exists():
            raise SystemExit(f"{data_dir} holds a database without {MANIFEST}; choose another --data-dir")
        manifest = Manifest(seed=seed_value, learners=learners_for(target), chunk_size=chunk_size)
    settings = settings_for(data_dir)
    store = SQLiteStore(settings.sqlite_path)
    store.init_schema()
    ensure_credentials(store, manifest)
    manifest.save(manifest_path)
    authenticator = BasicAuthenticator(store, settings.authority_homepage)
    authorities = {slug: authenticator.authority_for(c["key"], c["label"]) for slug, c in manifest.credentials.items()}
    report: dict[str, Any] = {
        "target": target,
        "already_seeded": manifest.statements_seeded,
        "learners": manifest.learners,
        "tenants": {slug: share for slug, _, share in workload.TENANTS},
        "seed": manifest.seed,
        "chunk_size": manifest.chunk_size,
    }
    remaining = target - manifest.statements_seeded
    if remaining <= 0:
        log(f"seeding skipped: {manifest.statements_seeded:,} statements already seeded in {data_dir}")
        report.update(inserted_this_run=0, seconds=0.0, rate_per_s=None, skipped=True)
        report["total_seeded"] = manifest.statements_seeded
        report["rate_when_seeded_per_s"] = (
            round(manifest.statements_seeded / manifest.seconds_spent) if manifest.seconds_spent else None
        )
        store.close()
        return report

    # every statement the benchmark seeds must be valid xAPI: check the first chunk with the LRS's validators
    worlds = workload.build_world(manifest.seed, manifest.learners)
    _, sample = workload.chunk(manifest.seed, manifest.chunks_done, worlds, manifest.chunk_size)
    validate_statements(json.loads(json.dumps(sample)), version=XAPI_VERSION)

    first_chunk = manifest.chunks_done
    max_chunks = math.ceil(remaining / manifest.chunk_size)  # every chunk holds >= chunk_size statements
    log(
        f"seeding {remaining:,} statements into {settings.sqlite_path} "
        f"({len(workload.TENANTS)} tenants, {manifest.learners:,} learners, {workers} preparing process(es))"
    )
    inserted = 0
    started = time.monotonic()
    last_report = started
    seconds_before = manifest.seconds_spent
    context = multiprocessing.get_context("fork")
    pool = context.Pool(
        workers,
        initializer=_seed_worker_init,
        initargs=(manifest.seed, manifest.learners, manifest.chunk_size, authorities),
    )
    try:
        pending: collections.deque[Any] = collections.deque()
        next_index = first_chunk
        while inserted < remaining:
            while len(pending) < 2 * workers + 2 and next_index < first_chunk + max_chunks:
                pending.append(pool.apply_async(_prepare_chunk, (next_index,)))
                next_index += 1
            if not pending:
                break
            slug, records = pending.popleft().get(timeout=600)
            records = records[: remaining - inserted]
            existing = store.insert_statements(slug, records)
            if existing:  # a run interrupted between commit and manifest update already stored this chunk
                rest = [r for r in records if r.statement_id not in existing]
                if rest:
                    store.insert_statements(slug, rest)
            inserted += len(records)
            manifest.chunks_done += 1
            manifest.statements_seeded += len(records)
            now = time.monotonic()
            if now - last_report >= 5 or inserted >= remaining:
                rate = inserted / (now - started)
                eta = (remaining - inserted) / rate if rate else 0
                log(
                    f"  seeded {manifest.statements_seeded:,}/{target:,} "
                    f"({100 * manifest.statements_seeded / target:.0f}%), {rate:,.0f} statements/s, "
                    f"ETA {eta:,.0f} s"
                )
                last_report = now
                manifest.seconds_spent = round(seconds_before + now - started, 1)
                manifest.save(manifest_path)
    finally:
        pool.terminate()
        pool.join()
        elapsed = time.monotonic() - started
        manifest.seconds_spent = round(seconds_before + elapsed, 1)
        manifest.save(manifest_path)
        store.close()
    log("checkpointing the WAL")
    with contextlib.closing(sqlite3.connect(settings.sqlite_path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    rate = inserted / elapsed if elapsed else None
    log(f"seeded {inserted:,} statements in {elapsed:,.1f} s ({rate or 0:,.0f} statements/s)")
    report.update(
        inserted_this_run=inserted,
        seconds=round(elapsed, 1),
        rate_per_s=round(rate) if rate else None,
        skipped=False,
        total_seeded=manifest.statements_seeded,
    )
    report["rate_when_seeded_per_s"] = report["rate_per_s"]
    return report


def max_seq(db_path: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        return int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM statements").fetchone()[0])


def remove_ingested(db_path: Path, after_seq: int) -> int:
    """Delete the statements stored after ``after_seq`` (the ingest test's) and their index entries.

    Only valid for what the ingest test sends: plain statements, no voiding and no StatementRefs, so nothing
    else was changed by them.  Runs with the server stopped.  Key and activity dictionaries are left as is.
    """
    with contextlib.closing(sqlite3.connect(db_path, isolation_level=None)) as conn:
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("BEGIN IMMEDIATE")
        try:
            rows = conn.execute("SELECT seq, key_ids FROM statements WHERE seq > ?", (after_seq,)).fetchall()
            conn.executemany(
                "DELETE FROM statement_keys WHERE key_id = ? AND seq = ?",
                ((key_id, seq) for seq, key_ids in rows for key_id in json.loads(key_ids)),
            )
            conn.execute("DELETE FROM statements WHERE seq > ?", (after_seq,))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return len(rows)


def set_page_cache(data_dir: Path, mode: str) -> dict[str, Any]:
    """Put the database files in a known OS page-cache state: read once (warm) or evicted (cold)."""
    files = [p for p in db_files(data_dir) if p.exists()]
    started = time.monotonic()
    size = sum(p.stat().st_size for p in files)
    if mode == "warm":
        log(f"reading the database once to warm the OS page cache ({_mib(size):,} MiB)")
        for path in files:
            with path.open("rb", buffering=0) as handle:
                remaining = path.stat().st_size
                while remaining > 0:  # bounded by the size at the start
                    chunk = handle.read(min(8 << 20, remaining))
                    if not chunk:
                        break
                    remaining -= len(chunk)
    elif mode == "cold":
        log("evicting the database files from the OS page cache")
        for path in files:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
    return {"mode": mode, "bytes": size, "seconds": round(time.monotonic() - started, 2)}


# ----------------------------------------------------------------------------------------------------------
# query samples


@dataclass
class QuerySpec:
    kind: str
    tenant: str
    params: dict[str, str]  # the GET /statements parameters (for "more": those of the first page)


def _agent_param(agent: dict[str, Any]) -> str:
    ifi = {k: agent[k] for k in ("mbox", "mbox_sha1sum", "openid", "account") if k in agent}
    return json.dumps({"objectType": "Agent", **ifi}, separators=(",", ":"), ensure_ascii=False)


def sample_queries(db_path: Path, tenants: Sequence[str], per_kind: int, rng: random.Random) -> list[QuerySpec]:
    """Query parameters drawn from stored statements (random rows, so big tenants get most queries)."""
    uri = f"file:{db_path}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
        max_seq = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM statements").fetchone()[0]
        if max_seq == 0:
            raise SystemExit("the database holds no statements")
        rows: list[tuple[str, str, int, dict[str, Any]]] = []
        attempts = 0
        while len(rows) < 2 * per_kind and attempts < 50 * per_kind:
            attempts += 1
            row = conn.execute(
                "SELECT tenant, statement_id, stored_us, body FROM statements WHERE seq = ? AND voided = 0",
                (rng.randint(1, max_seq),),
            ).fetchone()
            if row is None or row[0] not in tenants:
                continue
            body = json.loads(row[3])
            if body.get("verb", {}).get("id") == workload.VERBS["voided"]:
                continue
            rows.append((row[0], row[1], row[2], body))
        recent: list[tuple[str, int]] = []
        low = max(1, max_seq - max(100, max_seq // 100))
        attempts = 0
        while len(recent) < per_kind and attempts < 50 * per_kind:
            attempts += 1
            row = conn.execute(
                "SELECT tenant, stored_us FROM statements WHERE seq = ?", (rng.randint(low, max_seq),)
            ).fetchone()
            if row is not None and row[0] in tenants:
                recent.append((row[0], row[1]))
    if not rows:
        raise SystemExit("no statements of the benchmark's tenants found to sample queries from")

    def pick() -> tuple[str, str, int, dict[str, Any]]:
        return rows[rng.randrange(len(rows))]

    specs: list[QuerySpec] = []
    for i in range(per_kind):
        tenant, statement_id, _, body = rows[i % len(rows)]
        specs.append(QuerySpec("statement_id", tenant, {"statementId": statement_id}))
        tenant, _, _, body = pick()
        specs.append(QuerySpec("agent", tenant, {"agent": _agent_param(body["actor"])}))
        tenant, _, _, body = pick()
        specs.append(QuerySpec("verb", tenant, {"verb": workload.VERBS[rng.choice(workload.QUERY_VERBS)]}))
        tenant, _, _, body = pick()
        specs.append(QuerySpec("activity", tenant, {"activity": body["object"]["id"]}))
        tenant, _, _, body = pick()
        specs.append(QuerySpec("registration", tenant, {"registration": body["context"]["registration"]}))
        tenant, _, _, body = pick()
        verb = workload.VERBS[rng.choice(("completed", "passed", "failed"))]
        specs.append(QuerySpec("agent_verb", tenant, {"agent": _agent_param(body["actor"]), "verb": verb}))
        tenant, _, _, body = pick()
        course = body["context"]["contextActivities"]["grouping"][0]["id"]
        specs.append(QuerySpec("activity_related", tenant, {"activity": course, "related_activities": "true"}))
        tenant, _, _, body = pick()
        specs.append(
            QuerySpec(
                "broad_and_rare",
                tenant,
                {
                    "activity": workload.CMI5_CATEGORY,
                    "related_activities": "true",
                    "verb": workload.VERBS["voided"],
                },
            )
        )
        if recent:
            tenant, stored_us = recent[i % len(recent)]
            specs.append(QuerySpec("since", tenant, {"since": iso_us(stored_us - 1000)}))
        tenant, _, _, body = pick()
        specs.append(QuerySpec("unfiltered", tenant, {}))
        tenant, _, _, body = pick()
        base = rng.choice(("unfiltered", "verb", "activity_related"))
        if base == "verb":
            params = {"verb": workload.VERBS[rng.choice(workload.QUERY_VERBS)]}
        elif base == "activity_related":
            params = {
                "activity": body["context"]["contextActivities"]["grouping"][0]["id"],
                "related_activities": "true",
            }
        else:
            params = {}
        specs.append(QuerySpec("more", tenant, params))
    return specs


# ----------------------------------------------------------------------------------------------------------
# storage-level timing and query plans (in-process, same code the server runs below HTTP)


def storage_breakdown(
    db_path: Path, specs: Sequence[QuerySpec], settings: Settings, deadline: float, warmup: int
) -> dict[str, dict[str, Any]]:
    """Time each sampled query directly against the store; keep the SQL and plan of each kind's slowest one.

    The first ``warmup`` specs are run but not counted (as in the HTTP measurement).
    """
    store = SQLiteStore(db_path)
    traced: list[str] = []
    conn = store._conn()  # the store's own connection: same pragmas as in the server
    conn.set_trace_callback(traced.append)
    timings: dict[str, list[float]] = collections.defaultdict(list)
    slowest: dict[str, tuple[float, list[str]]] = {}
    limit = settings.query_limit_default
    try:
        for position, spec in enumerate(specs):
            if time.monotonic() > deadline:
                break
            parsed = parse_statement_get(list(spec.params.items()), version=XAPI_VERSION)
            traced.clear()
            started = time.perf_counter()
            if isinstance(parsed, SingleStatementRequest):
                store.get_statement(spec.tenant, parsed.statement_id)
            elif isinstance(parsed, StatementFilter):
                snapshot = now_us()
                query = to_storage_query(parsed, limit=limit, snapshot_us=snapshot)
                page = store.query_statements(spec.tenant, query)
                if spec.kind == "more":
                    if page.next_after is None:
                        continue
                    traced.clear()
                    started = time.perf_counter()
                    query = to_storage_query(parsed, limit=limit, after=page.next_after, snapshot_us=snapshot)
                    store.query_statements(spec.tenant, query)
            elif isinstance(parsed, MoreRequest):  # not produced by sample_queries
                continue
            elapsed = time.perf_counter() - started
            if position < warmup:
                continue
            timings[spec.kind].append(elapsed)
            if spec.kind not in slowest or elapsed > slowest[spec.kind][0]:
                slowest[spec.kind] = (elapsed, [s for s in traced if s.lstrip().upper().startswith("SELECT")])
        conn.set_trace_callback(None)
        result: dict[str, dict[str, Any]] = {}
        for kind, values in timings.items():
            sql_list = slowest[kind][1]
            plans = []
            for sql in sql_list:
                rows = conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
                plans.append({"sql": sql, "plan": [detail for _, _, _, detail in rows]})
            result[kind] = {**summarize_ms(values), "slowest_ms": round(slowest[kind][0] * 1000, 2), "plans": plans}
        return result
    finally:
        conn.set_trace_callback(None)
        store.close()


# ----------------------------------------------------------------------------------------------------------
# the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def lrs_command() -> list[str]:
    script = Path(sys.executable).parent / "lrs"
    return [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]


class Server:
    """``lrs serve`` in its own process group; always stopped by ``stop()``."""

    def __init__(self, data_dir: Path, port: int, workers: int) -> None:
        self.port = port
        self.log_path = data_dir / "bench-server.log"
        self._log = self.log_path.open("w")
        command = [*lrs_command(), "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
        self.command = command
        self.process = subprocess.Popen(
            command,
            env=server_environment(data_dir),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in the terminal reaches us, not gunicorn; we stop it ourselves
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited with {self.process.returncode}; see {self.log_path}")
            conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
            try:
                conn.request("GET", "/xapi/about", headers={"X-Experience-API-Version": XAPI_VERSION})
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    return
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.2)
        raise SystemExit(f"the server did not answer /xapi/about within {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)  # gunicorn: graceful shutdown
            try:
                self.process.wait(timeout=35)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)  # the group we created: master and workers
                self.process.wait(timeout=10)
        self._log.close()


# ----------------------------------------------------------------------------------------------------------
# HTTP client


def basic_auth(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


class Client:
    """One HTTP/1.1 connection object to 127.0.0.1 (gunicorn's sync workers close it after each response;
    ``http.client`` then reconnects on the next request)."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def request(self, method: str, path: str, headers: dict[str, str], body: bytes | None = None) -> tuple[int, bytes]:
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            return 0, b""

    def close(self) -> None:
        self.conn.close()


def _statements_path(params: dict[str, str]) -> str:
    query = urllib.parse.urlencode(params)
    return "/xapi/statements" + ("?" + query if query else "")


def warm_up_workers(port: int, auth: dict[str, str], workers: int) -> None:
    """Let every worker open its database connection and verify every credential once.

    A worker verifies a credential's secret with scrypt (~50 ms) the first time it sees it and remembers the
    result, so without this the first requests per (worker, credential) would show up as latency outliers.
    Concurrent requests spread over the workers (a sync worker serves one request at a time).
    """
    from concurrent.futures import ThreadPoolExecutor

    def hit(authorization: str) -> int:
        client = Client(port)
        try:
            headers = {"X-Experience-API-Version": XAPI_VERSION, "Authorization": authorization}
            return client.request("GET", "/xapi/statements?limit=1", headers)[0]
        finally:
            client.close()

    jobs = [a for a in auth.values() for _ in range(6 * workers)]
    with ThreadPoolExecutor(max_workers=2 * workers) as executor:
        statuses = list(executor.map(hit, jobs, timeout=300))
    bad = [s for s in statuses if s != 200]
    if bad:
        raise SystemExit(f"warm-up requests failed with status(es) {sorted(set(bad))}; see the server log")


def measure_queries(
    port: int, specs: Sequence[QuerySpec], auth: dict[str, str], deadline: float, warmup: int
) -> dict[str, dict[str, Any]]:
    """Sequential requests from one client (an otherwise idle server): the latency of each query kind."""
    client = Client(port)
    latencies: dict[str, list[float]] = collections.defaultdict(list)
    counts: dict[str, list[int]] = collections.defaultdict(list)
    errors: dict[str, int] = collections.Counter()
    no_more: dict[str, int] = collections.Counter()
    base_headers = {"X-Experience-API-Version": XAPI_VERSION}
    try:
        for position, spec in enumerate(specs):
            if time.monotonic() > deadline:
                log("query phase time budget reached; reporting what was measured")
                break
            headers = {**base_headers, "Authorization": auth[spec.tenant]}
            path = _statements_path(spec.params)
            if spec.kind == "more":
                status, body = client.request("GET", path, headers)
                link = json.loads(body).get("more") if status == 200 else None
                if not link:
                    no_more[spec.kind] += status == 200
                    errors[spec.kind] += status != 200
                    continue
                path = link
            started = time.perf_counter()
            status, body = client.request("GET", path, headers)
            elapsed = time.perf_counter() - started
            if position < warmup:
                continue
            if status != 200:
                errors[spec.kind] += 1
                continue
            latencies[spec.kind].append(elapsed)
            document = json.loads(body)
            counts[spec.kind].append(len(document["statements"]) if "statements" in document else 1)
    finally:
        client.close()
    result: dict[str, dict[str, Any]] = {}
    for kind, _ in QUERY_KINDS:
        stats = summarize_ms(latencies[kind])
        n = counts[kind]
        stats["avg_statements_returned"] = round(sum(n) / len(n), 1) if n else None
        stats["empty_results"] = sum(1 for c in n if c == 0)
        stats["errors"] = errors[kind]
        if kind == "more":
            stats["first_pages_without_more"] = no_more[kind]
        p95 = stats["p95_ms"]
        stats["target_p95_ms"] = LATENCY_TARGET_P95_MS
        stats["met"] = p95 is not None and p95 <= LATENCY_TARGET_P95_MS and errors[kind] == 0
        result[kind] = stats
    return result


# ingest -------------------------------------------------------------------------------------------------

_ID_SLOT = "@@bench-statement-id@@"


@dataclass(frozen=True)
class IngestJob:
    port: int
    authorization: str
    batch: int
    seed: int
    learners: int
    client_seed: int
    seconds: float  # warm-up + measured window
    max_requests: int
    templates: int = 16


def _render_templates(job: IngestJob) -> list[list[str]]:
    """Request bodies split at the statement ids, so every request gets fresh ids cheaply."""
    rng = random.Random(job.client_seed)
    world = next(w for w in workload.build_world(job.seed, job.learners) if w.slug == LARGE_TENANT)
    templates = []
    for _ in range(job.templates):
        statements = workload.live_statements(rng, world, job.batch)
        for statement in statements:
            statement["id"] = _ID_SLOT
        payload: Any = statements[0] if job.batch == 1 else statements
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        templates.append(text.split(f'"{_ID_SLOT}"'))
    return templates


def _ingest_client(job: IngestJob, barrier: Any, results: Any) -> None:
    _child_signals()
    templates = _render_templates(job)
    client = Client(job.port)
    headers = {
        "X-Experience-API-Version": XAPI_VERSION,
        "Authorization": job.authorization,
        "Content-Type": "application/json",
    }
    samples: list[tuple[float, int, float, int]] = []  # (done at, statements stored, latency, status)
    barrier.wait(timeout=120)
    end = time.monotonic() + job.seconds
    sent = 0
    while sent < job.max_requests and time.monotonic() < end:
        parts = templates[sent % len(templates)]
        pieces = [parts[0]]
        for rest in parts[1:]:
            pieces.append(f'"{uuid.uuid4()}"')
            pieces.append(rest)
        body = "".join(pieces).encode("utf-8")
        started = time.monotonic()
        status, _ = client.request("POST", "/xapi/statements", headers, body)
        done = time.monotonic()
        samples.append((done, job.batch if status == 200 else 0, done - started, status))
        sent += 1
        if status == 0:
            time.sleep(0.05)  # connection trouble: do not spin
    client.close()
    results.put(samples)


def measure_ingest(
    port: int, authorization: str, batch: int, *, clients: int, duration: float, warmup: float, manifest: Manifest
) -> dict[str, Any]:
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(clients + 1)
    results = context.Queue()
    processes = []
    for number in range(clients):
        job = IngestJob(
            port=port,
            authorization=authorization,
            batch=batch,
            seed=manifest.seed,
            learners=manifest.learners,
            client_seed=random.SystemRandom().getrandbits(64) + number,
            seconds=warmup + duration,
            max_requests=int((warmup + duration) * 20_000 / batch) + 10,
        )
        processes.append(context.Process(target=_ingest_client, args=(job, barrier, results), daemon=True))
    samples: list[tuple[float, int, float, int]] = []
    try:
        for process in processes:
            process.start()
        barrier.wait(timeout=120)
        window_start = time.monotonic() + warmup
        window_end = window_start + duration
        for _ in processes:
            samples.extend(results.get(timeout=warmup + duration + 120))
        for process in processes:
            process.join(timeout=30)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
    window = [s for s in samples if window_start <= s[0] <= window_end]
    stored = sum(s[1] for s in window)
    failures = collections.Counter(s[3] for s in samples if s[3] != 200)
    rate = stored / duration
    target = INGEST_TARGETS.get(batch)
    return {
        "batch": batch,
        "clients": clients,
        "duration_s": duration,
        "warmup_s": warmup,
        "statements_per_s": round(rate, 1),
        "requests_per_s": round(sum(1 for s in window if s[3] == 200) / duration, 1),
        "latency": summarize_ms([s[2] for s in window if s[3] == 200]),
        "errors": {str(k): v for k, v in failures.items()},
        "statements_stored_total": sum(s[1] for s in samples),
        "target_statements_per_s": target,
        "met": None if target is None else (rate >= target and not failures),
    }


# ----------------------------------------------------------------------------------------------------------
# report


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers], *[[_fmt(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for number, row in enumerate(cells):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if number == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def render(results: dict[str, Any]) -> str:
    machine, params, seeding = results["machine"], results["parameters"], results["seeding"]
    out = [
        "# LRS benchmark: embedded SQLite store behind gunicorn (`lrs serve`)",
        "",
        f"- machine: {machine['nproc']} CPU(s), {machine['cpu_model']}, {machine['memory_gib']} GiB RAM, "
        f"Python {machine['python']}, SQLite {machine['sqlite']}",
        f"- server: {params['workers']} gunicorn workers; clients on the same machine; data dir {params['data_dir']}; "
        f"OS page cache before the server started: {params['cache']}",
        f"- statements stored when queried: {results['statements_at_query_time']:,} "
        f"(seeded {seeding['total_seeded']:,}); database on disk: {_mib(results['db_size_bytes']):,} MiB "
        f"after the run ({_mib(results['db_size_bytes_after_seeding']):,} MiB before the measurements)",
    ]
    if seeding["skipped"]:
        out.append(
            f"- seeding: skipped (already seeded; rate when seeded: {_fmt(seeding['rate_when_seeded_per_s'])} "
            "statements/s)"
        )
    else:
        out.append(
            f"- seeding: {seeding['inserted_this_run']:,} statements in {seeding['seconds']:,} s = "
            f"{_fmt(seeding['rate_per_s'])} statements/s (direct through the store, not HTTP; no target)"
        )
    if results.get("ingest"):
        out += ["", f"## HTTP ingest (POST /xapi/statements, {params['clients']} concurrent clients)", ""]
        rows = [
            [
                r["batch"],
                r["statements_per_s"],
                r["requests_per_s"],
                r["latency"]["p50_ms"],
                r["latency"]["p95_ms"],
                r["latency"]["p99_ms"],
                sum(r["errors"].values()),
                r["target_statements_per_s"],
                r["met"],
            ]
            for r in results["ingest"]
        ]
        out.append(
            _table(
                ["batch", "statements/s", "requests/s", "p50 ms", "p95 ms", "p99 ms", "errors", "target/s", "met"],
                rows,
            )
        )
    if results.get("queries"):
        out += [
            "",
            f"## Query latency over HTTP (one sequential client, {params['queries']} samples per kind)",
            "",
        ]
        storage = results.get("storage") or {}
        rows = []
        for kind, label in QUERY_KINDS:
            r = results["queries"][kind]
            rows.append(
                [
                    label,
                    r["n"],
                    r["p50_ms"],
                    r["p95_ms"],
                    r["p99_ms"],
                    r["max_ms"],
                    (storage.get(kind) or {}).get("p95_ms"),
                    r["avg_statements_returned"],
                    r["errors"],
                    r["met"],
                ]
            )
        out.append(
            _table(
                ["query", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "store p95 ms", "avg rows", "errors", "p95<=20"],
                rows,
            )
        )
        out += [
            "",
            "store p95 = the same queries timed in-process against the store (SQLite only, no HTTP/Flask/auth), after",
            "the HTTP measurement, from the same OS page-cache state (--cache), on a fresh connection.",
        ]
        slow = [k for k, _ in QUERY_KINDS if not results["queries"][k]["met"] and k in storage]
        for kind in slow:
            out += ["", f"### query plan of the slowest `{kind}` query (in-process {storage[kind]['slowest_ms']} ms)"]
            for plan in storage[kind]["plans"]:
                out.append("    " + plan["sql"])
                out += ["      " + line for line in plan["plan"]]
    verdicts = results["targets"]
    out += ["", "## Targets", ""]
    out.append(_table(["target", "value", "met"], [[t["name"], t["value"], t["met"]] for t in verdicts]))
    out.append("")
    return "\n".join(out)


def collect_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    targets = []
    for r in results.get("ingest") or ():
        if r["target_statements_per_s"] is not None:
            targets.append(
                {
                    "name": f"ingest batch {r['batch']} >= {r['target_statements_per_s']:,.0f} statements/s",
                    "value": r["statements_per_s"],
                    "met": r["met"],
                }
            )
    for kind, label in QUERY_KINDS:
        r = (results.get("queries") or {}).get(kind)
        if r is not None:
            targets.append(
                {"name": f"{label}: p95 <= {LATENCY_TARGET_P95_MS:.0f} ms", "value": r["p95_ms"], "met": r["met"]}
            )
    return targets


# ----------------------------------------------------------------------------------------------------------
# main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description="Benchmark the embedded SQLite store over HTTP (lrs serve): ingest rate and query latency.",
    )
    parser.add_argument("--statements", type=int, help="statements to seed across 5 tenants (default 1,000,000)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="LRS_DATA_DIR to seed and serve; reused across runs (default: var/bench-<statements> in the repo)",
    )
    parser.add_argument("--fresh", action="store_true", help="delete the benchmark's database in --data-dir first")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers of lrs serve (default 4)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent ingest client processes (default 8)")
    parser.add_argument("--duration", type=float, help="seconds measured per ingest batch size (default 10)")
    parser.add_argument("--queries", type=int, help="samples per query kind (default 200)")
    parser.add_argument("--batches", default="1,10,100", help="ingest batch sizes, comma-separated (default 1,10,100)")
    parser.add_argument(
        "--seed-workers", type=int, help="processes preparing statements while seeding (default: CPUs - 1)"
    )
    parser.add_argument("--seed", type=int, default=20_240_901, help="random seed of a new data set (default 20240901)")
    parser.add_argument("--skip-ingest", action="store_true", help="measure queries only (the DB does not grow)")
    parser.add_argument("--skip-queries", action="store_true", help="measure ingest only")
    parser.add_argument(
        "--keep-ingested",
        action="store_true",
        help="keep the statements the ingest test POSTs (by default they are deleted afterwards, so a reused "
        "--data-dir holds exactly the seeded data set)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 20,000 statements, 3 s per ingest size, 30 queries per kind"
    )
    parser.add_argument(
        "--cache",
        choices=("warm", "cold", "as-is"),
        default="warm",
        help="OS page cache of the database before the server starts: warm = read the files once (steady state "
        "of a server with enough RAM), cold = evict them (posix_fadvise DONTNEED, this file only), as-is = leave "
        "it (default warm)",
    )
    parser.add_argument("--output", type=Path, help="JSON result file (default: bench/results/<timestamp>.json)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name, (normal, quick) in RUN_SIZES.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else normal)
    batches = sorted({int(b) for b in args.batches.split(",") if b.strip()})
    if args.statements < 1000 or args.workers < 1 or args.clients < 1 or args.duration <= 0 or args.queries < 1:
        parser.error("need --statements >= 1000 and positive --workers, --clients, --duration, --queries")
    if any(b < 1 or b > 1000 for b in batches):
        parser.error("batch sizes are 1..1000")
    repo = BENCH_DIR.parent
    data_dir = (args.data_dir or repo / "var" / f"bench-{args.statements}").resolve()
    nproc = machine_info()["nproc"]
    seed_workers = args.seed_workers or max(1, nproc - 1)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    started_at = datetime.now(UTC)

    results: dict[str, Any] = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "machine": machine_info(),
        "parameters": {
            "statements": args.statements,
            "data_dir": str(data_dir),
            "workers": args.workers,
            "clients": args.clients,
            "duration_s": args.duration,
            "queries": args.queries,
            "batches": batches,
            "quick": args.quick,
            "seed": args.seed,
            "query_limit_default": None,
            "cache": args.cache,
        },
        "targets_definition": {
            "ingest_statements_per_s": {str(k): v for k, v in INGEST_TARGETS.items()},
            "query_p95_ms": LATENCY_TARGET_P95_MS,
            "query_p95_at_statements": 1_000_000,
        },
    }
    try:
        results["seeding"] = seed(
            data_dir, args.statements, seed_value=args.seed, chunk_size=500, workers=seed_workers, fresh=args.fresh
        )
        results["db_size_bytes_after_seeding"] = db_size_bytes(data_dir)
        manifest = Manifest.load(data_dir / MANIFEST)
        assert manifest is not None
        settings = settings_for(data_dir)
        results["parameters"]["query_limit_default"] = settings.query_limit_default
        auth = {slug: basic_auth(c["key"], c["secret"]) for slug, c in manifest.credentials.items()}
        with contextlib.closing(sqlite3.connect(f"file:{settings.sqlite_path}?mode=ro", uri=True)) as conn:
            results["statements_at_query_time"] = conn.execute("SELECT COUNT(*) FROM statements").fetchone()[0]
            per_tenant = conn.execute("SELECT tenant, COUNT(*) FROM statements GROUP BY tenant").fetchall()
        results["statements_per_tenant"] = dict(per_tenant)

        rng = random.Random(args.seed + 1)
        specs: list[QuerySpec] = []
        warmup_specs: list[QuerySpec] = []
        if not args.skip_queries:
            log("sampling query parameters from stored statements")
            specs = sample_queries(settings.sqlite_path, list(auth), args.queries, rng)
            rng.shuffle(specs)
            warmup_specs = specs[: min(len(specs), 5 * len(QUERY_KINDS))]
        results["page_cache"] = set_page_cache(data_dir, args.cache)

        port = free_port()
        log(f"starting lrs serve on {HOST}:{port} with {args.workers} workers")
        ingest_mark: int | None = None
        server = Server(data_dir, port, args.workers)
        results["server_command"] = " ".join(server.command)
        try:
            server.wait_ready()
            log("warming up the workers (connections, credential verification)")
            warm_up_workers(port, auth, args.workers)
            if specs:
                log(f"HTTP queries: {len(warmup_specs)} warm-up + {len(specs)} measured, one client")
                budget = time.monotonic() + max(120.0, 1.0 * len(specs))
                results["queries"] = measure_queries(
                    port, [*warmup_specs, *specs], auth, budget, warmup=len(warmup_specs)
                )
            if not args.skip_ingest:
                results["ingest"] = []
                warmup = min(2.0, args.duration / 3)
                ingest_mark = max_seq(settings.sqlite_path)
                for batch in batches:
                    log(f"HTTP ingest: batch {batch}, {args.clients} clients, {warmup:.1f}+{args.duration:.1f} s")
                    results["ingest"].append(
                        measure_ingest(
                            port,
                            auth[LARGE_TENANT],
                            batch,
                            clients=args.clients,
                            duration=args.duration,
                            warmup=warmup,
                            manifest=manifest,
                        )
                    )
        finally:
            log("stopping the server")
            server.stop()
            if ingest_mark is not None and not args.keep_ingested:
                removed = remove_ingested(settings.sqlite_path, ingest_mark)
                results["ingested_statements_removed"] = removed
                log(f"removed the {removed:,} statements the ingest test added (the data set stays as seeded)")
        if specs:
            # after the HTTP measurement, so that it cannot warm the pages of exactly the sampled queries, and
            # from the same page-cache state (the ingest test and its clean-up changed it)
            set_page_cache(data_dir, args.cache)
            log(f"timing the same {len(specs)} queries in-process against the store (no HTTP); query plans")
            budget = time.monotonic() + max(120.0, 0.5 * len(specs))
            results["storage"] = storage_breakdown(
                settings.sqlite_path, [*warmup_specs, *specs], settings, budget, warmup=len(warmup_specs)
            )
    except KeyboardInterrupt:
        log("interrupted; the server (if started) has been stopped")
        return 130
    results["db_size_bytes"] = db_size_bytes(data_dir)
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["targets"] = collect_targets(results)
    output = args.output or BENCH_DIR / "results" / f"{started_at:%Y%m%d-%H%M%S}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    print(render(results))
    print(f"results written to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
