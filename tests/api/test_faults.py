"""Storage faults seen through HTTP (catalogue E9, F4, L1, L6, L7, L10): 503 + Retry-After, never 500, never k of n.

Faults are injected at the driver boundary of each adapter: a second sqlite3 connection holding the write lock,
a wrapped sqlite3 connection whose statements fail after some rows were written, and mongomock collections whose
calls raise pymongo's connection and timeout errors.  Every case checks the client-side ledger afterwards: what
a 503 answered is absent, and a retry of the same body converges to exactly one copy.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mongomock
import pytest
from flask import Flask
from pymongo.errors import AutoReconnect, BulkWriteError, ExecutionTimeout, ServerSelectionTimeoutError
from werkzeug.test import TestResponse

from api.app import create_app
from auth.credentials import issue_credential
from lrs.settings import Settings
from lrs.storage.mongo import MongoStore
from lrs.storage.port import Store
from lrs.storage.sqlite import SQLiteStore
from lrs.tenants import create_tenant
from tests.api.conftest import XAPIClient, basic
from tests.factories import make_statement, voiding
from tests.fakes import Down, Proxy

HOST = "mongo-0.internal"
# What a 503 body must never show: driver class names, hosts, ports, SQL, tracebacks.
LEAKS = (
    HOST,
    "27017",
    "AutoReconnect",
    "ServerSelectionTimeout",
    "ExecutionTimeout",
    "BulkWriteError",
    "WriteConcern",
    "pymongo",
    "mongomock",
    "OperationalError",
    "DatabaseError",
    "sqlite3",
    "disk I/O",
    "malformed",
    "SELECT ",
    "INSERT ",
    "statement_keys",
    "Traceback",
    ".py",
)
FRESH_VERB = "http://example.gov/verbs/faulted"


@dataclass
class Tenant:
    app: Flask
    store: Store
    client: XAPIClient


def one_tenant(store: Store, tmp_path: Path) -> Tenant:
    app = create_app(Settings(data_dir=tmp_path), store=store)
    create_tenant(store, "tenant-a")
    issued = issue_credential(store, "tenant-a", ["all"], "tenant-a-lms")
    return Tenant(app, store, XAPIClient(app.test_client(), basic(issued.key, issued.secret)))


def assert_unavailable(response: TestResponse) -> None:
    """A 503 in the one JSON error shape, with Retry-After and the version header, saying nothing internal."""
    text = response.get_data(as_text=True)
    assert response.status_code == 503, text
    assert int(response.headers["Retry-After"]) >= 1
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"}
    assert body["code"] == 503 and body["status"] == "Service Unavailable"
    assert body["message"]
    for leak in LEAKS:
        assert leak.lower() not in text.lower(), f"{leak!r} leaked into {text}"


def fault_batch(target_id: str, activity_id: str) -> list[dict[str, Any]]:
    """A batch touching every write step: a voiding statement, a new activity definition, plain statements."""
    return [
        voiding(target_id),
        make_statement(
            verb={"id": FRESH_VERB},
            object={"objectType": "Activity", "id": activity_id, "definition": {"name": {"en-US": "Faulted"}}},
        ),
        make_statement(verb={"id": FRESH_VERB}),
        make_statement(verb={"id": FRESH_VERB}),
    ]


def assert_batch_absent(tenant: Tenant, batch: list[dict[str, Any]], target_id: str, activity_id: str) -> None:
    client = tenant.client
    assert tenant.store.count_statements("tenant-a") == 1  # only the target stored before the fault
    for statement in batch:
        assert client.get(statementId=statement["id"]).status_code == 404
    assert client.get(statementId=target_id).status_code == 200  # not voided
    assert client.get(verb=FRESH_VERB).get_json()["statements"] == []
    assert tenant.store.get_activity_definitions("tenant-a", [activity_id]) == {}


def assert_batch_stored_once(tenant: Tenant, batch: list[dict[str, Any]], target_id: str) -> None:
    client = tenant.client
    retry = client.post(batch)
    assert retry.status_code == 200, retry.get_data(as_text=True)
    assert retry.get_json() == [s["id"] for s in batch]
    assert tenant.store.count_statements("tenant-a") == len(batch) + 1
    for statement in batch:
        assert client.get(statementId=statement["id"]).status_code == 200
    assert client.get(statementId=target_id).status_code == 404
    assert client.get(voidedStatementId=target_id).status_code == 200
    found = {s["id"] for s in client.get(verb=FRESH_VERB).get_json()["statements"]}
    assert found == {s["id"] for s in batch[1:]}


# SQLite: the database is locked by another connection (E9, L6) ----------------------------------------------


@pytest.fixture
def locked_sqlite(tmp_path: Path) -> Tenant:
    return one_tenant(SQLiteStore(tmp_path / "lrs.sqlite3", busy_timeout_ms=100), tmp_path)


def hold_write_lock(path: Path) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('lock-holder', 'uncommitted')")
    return other


def test_sqlite_write_lock_is_503_then_a_retry_stores_exactly_one_copy(locked_sqlite: Tenant, tmp_path: Path) -> None:
    client = locked_sqlite.client
    earlier = make_statement()
    assert client.post(earlier).status_code == 200
    batch = [make_statement(), make_statement(), make_statement()]

    other = hold_write_lock(tmp_path / "lrs.sqlite3")
    try:
        started = time.perf_counter()
        response = client.post(batch)
        elapsed = time.perf_counter() - started
        assert_unavailable(response)
        assert elapsed < 2.0  # bounded by busy_timeout, not by a worker timeout (L1)
        put = make_statement()
        assert_unavailable(client.put(put, put["id"]))
        # Reads keep working while a writer holds the lock (WAL; L10 "reads still work if possible").
        assert client.get(statementId=earlier["id"]).status_code == 200
    finally:
        other.execute("ROLLBACK")
        other.close()

    assert locked_sqlite.store.count_statements("tenant-a") == 1
    retry = client.post(batch)
    assert retry.status_code == 200
    assert retry.get_json() == [s["id"] for s in batch]
    assert client.put(put, put["id"]).status_code == 204
    again = client.post(batch)  # the client cannot know whether the first retry landed; it retries once more
    assert again.status_code == 200 and again.get_json() == retry.get_json()
    assert locked_sqlite.store.count_statements("tenant-a") == 5
    with sqlite3.connect(tmp_path / "lrs.sqlite3") as check:
        ids = [s["id"] for s in [*batch, put]]
        marks = ",".join("?" * len(ids))
        (copies,) = check.execute(f"SELECT COUNT(*) FROM statements WHERE statement_id IN ({marks})", ids).fetchone()
    assert copies == len(ids)


def test_sqlite_write_waits_for_a_short_lock_instead_of_failing(tmp_path: Path) -> None:
    tenant = one_tenant(SQLiteStore(tmp_path / "lrs.sqlite3", busy_timeout_ms=3000), tmp_path)
    other = hold_write_lock(tmp_path / "lrs.sqlite3")
    release = threading.Timer(0.1, lambda: other.execute("ROLLBACK"))
    release.start()
    try:
        statement = make_statement()
        assert tenant.client.post(statement).status_code == 200
    finally:
        release.join()
        other.close()
    assert tenant.store.count_statements("tenant-a") == 1


# SQLite: a failure inside the write transaction, after rows were written (F4, L7) ------------------------------


class FaultyConnection:
    """Wraps the store's sqlite3 connection; the first statement that ``matches`` fails with ``error``.

    ``write_first`` rows of an ``executemany`` are written before it fails, so the fault lands after k of n.
    """

    def __init__(
        self,
        real: sqlite3.Connection,
        matches: Callable[[str], bool],
        error: sqlite3.Error,
        *,
        write_first: int = 0,
        once: bool = True,
    ) -> None:
        self.real = real
        self.matches = matches
        self.error = error
        self.write_first = write_first
        self.once = once
        self.fired = 0
        self.rows_written_before_fault = 0

    def _fire(self, sql: str) -> bool:
        if not self.matches(sql) or (self.once and self.fired):
            return False
        self.fired += 1
        (self.rows_written_before_fault,) = self.real.execute("SELECT COUNT(*) FROM statements").fetchone()
        return True

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if self._fire(sql):
            raise self.error
        return self.real.execute(sql, *args)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        if self.matches(sql) and not (self.once and self.fired):
            rows = list(rows)
            if self.write_first:
                self.real.executemany(sql, rows[: self.write_first])
            self._fire(sql)
            raise self.error
        return self.real.executemany(sql, rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def install(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch, faulty: Callable[[sqlite3.Connection], Any]) -> Any:
    wrapper = faulty(store._conn())
    monkeypatch.setattr(store._local, "conn", wrapper)
    return wrapper


WRITE_FAULTS = {
    # name: (SQL prefix of the failing statement, rows of the executemany written before it fails)
    "cut-after-2-of-4-inserts": ("INSERT INTO statements", 2),
    "statement-keys": ("INSERT OR IGNORE INTO statement_keys", 0),
    "key-counts": ("UPDATE key_ids SET n", 0),
    "voiding-update": ("UPDATE statements SET voided = 1", 0),
    "reference-propagation": ("SELECT seq, statement_id, key_ids FROM statements WHERE tenant = ? AND ref_target", 0),
    "definition-merge": ("INSERT OR REPLACE INTO activities", 0),
    "commit": ("COMMIT", 0),
}


@pytest.mark.parametrize("error", [sqlite3.OperationalError("disk I/O error"), sqlite3.DatabaseError("malformed")])
@pytest.mark.parametrize("fault", sorted(WRITE_FAULTS))
def test_sqlite_fault_mid_batch_is_503_with_none_of_the_batch_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str, error: sqlite3.Error
) -> None:
    store = SQLiteStore(tmp_path / "lrs.sqlite3")
    tenant = one_tenant(store, tmp_path)
    target = make_statement()
    assert tenant.client.post(target).status_code == 200
    activity_id = f"http://example.gov/activities/{uuid.uuid4()}"
    batch = fault_batch(target["id"], activity_id)

    prefix, write_first = WRITE_FAULTS[fault]
    wrapper = install(
        store,
        monkeypatch,
        lambda real: FaultyConnection(real, lambda sql: sql.startswith(prefix), error, write_first=write_first),
    )
    assert_unavailable(tenant.client.post(batch))
    assert wrapper.fired == 1
    assert wrapper.rows_written_before_fault > 1  # the fault hit after rows of the batch were written

    assert_batch_absent(tenant, batch, target["id"], activity_id)
    with sqlite3.connect(tmp_path / "lrs.sqlite3") as check:  # what another worker sees
        assert check.execute("SELECT COUNT(*) FROM statements").fetchone() == (1,)
        orphans = check.execute("SELECT COUNT(*) FROM statement_keys WHERE seq NOT IN (SELECT seq FROM statements)")
        assert orphans.fetchone() == (0,)
    assert_batch_stored_once(tenant, batch, target["id"])


# SQLite: read failures (L10) -------------------------------------------------------------------------------------

READS: dict[str, tuple[str, Callable[[XAPIClient, str], TestResponse]]] = {
    # name: (SQL fragment that fails, the request)
    "statement-by-id": ("FROM statements WHERE tenant = ? AND statement_id = ?", lambda c, sid: c.get(statementId=sid)),
    "query": ("FROM statements", lambda c, sid: c.get()),
    "filtered-query": ("FROM key_ids WHERE tenant = ? AND key = ?", lambda c, sid: c.get(verb=FRESH_VERB)),
    "canonical-definitions": ("FROM activities", lambda c, sid: c.get(statementId=sid, format="canonical")),
    "credential-lookup": ("FROM credentials", lambda c, sid: c.get()),
}


@pytest.mark.parametrize(
    "error", [sqlite3.OperationalError("disk I/O error"), sqlite3.DatabaseError("database disk image is malformed")]
)
@pytest.mark.parametrize("read", sorted(READS))
def test_sqlite_read_failure_is_503_not_500(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read: str, error: sqlite3.Error
) -> None:
    store = SQLiteStore(tmp_path / "lrs.sqlite3")
    tenant = one_tenant(store, tmp_path)
    statement = make_statement(verb={"id": FRESH_VERB})
    assert tenant.client.post(statement).status_code == 200
    fragment, request = READS[read]
    install(store, monkeypatch, lambda real: FaultyConnection(real, lambda sql: fragment in sql, error, once=False))
    assert_unavailable(request(tenant.client, statement["id"]))
    monkeypatch.undo()
    assert request(tenant.client, statement["id"]).status_code == 200  # the store recovers with the connection


# MongoDB: driver errors through HTTP (E9, F4, L1, L3, L5, L6) -----------------------------------------------------


def driver_errors() -> list[Exception]:
    return [
        AutoReconnect(f"connection reset by {HOST}:27017"),
        ServerSelectionTimeoutError(f"{HOST}:27017: [Errno 111] Connection refused, Timeout: 5.0s"),
        ExecutionTimeout(f"operation exceeded time limit on {HOST}:27017", 50),
    ]


@pytest.fixture
def mongo(tmp_path: Path) -> Tenant:
    return one_tenant(MongoStore(mongomock.MongoClient(), f"db_{uuid.uuid4().hex}"), tmp_path)


def fail_once(
    real: Callable[..., Any], error: Exception, before: Callable[..., Any] | None = None
) -> Callable[..., Any]:
    """A replacement for a collection method: the first call (optionally after ``before``) raises, later ones pass."""
    calls = {"n": 0}

    def method(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            if before is not None:
                before(*args, **kwargs)
            raise error
        return real(*args, **kwargs)

    return method


def _partial_insert(store: MongoStore) -> Callable[..., Any]:
    real = store._statements

    def first_two(documents: list[dict[str, Any]], **kwargs: Any) -> None:
        real.insert_many(documents[:2], **kwargs)  # k of n documents land, then the connection drops

    return first_two


MONGO_WRITE_FAULTS: dict[str, tuple[str, str, Callable[[MongoStore], Callable[..., Any]] | None]] = {
    # name: (collection attribute, method, what happens before the error)
    "existing-ids-check": ("_statements", "find", None),
    "stored-clock": ("_meta", "find_one_and_update", None),
    "insert-k-of-n": ("_statements", "insert_many", _partial_insert),
    "voiding-update": ("_statements", "update_many", None),
    "definition-insert": ("_activities", "insert_one", None),
}


@pytest.mark.parametrize("error", driver_errors(), ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("fault", sorted(MONGO_WRITE_FAULTS))
def test_mongo_write_fault_is_503_nothing_stored_and_retry_converges(
    mongo: Tenant, fault: str, error: Exception
) -> None:
    store = mongo.store
    assert isinstance(store, MongoStore)
    target = make_statement()
    assert mongo.client.post(target).status_code == 200
    activity_id = f"http://example.gov/activities/{uuid.uuid4()}"
    batch = fault_batch(target["id"], activity_id)

    attribute, method, before = MONGO_WRITE_FAULTS[fault]
    real = getattr(store, attribute)
    injected = fail_once(getattr(real, method), error, before(store) if before else None)
    setattr(store, attribute, Proxy(real, **{method: injected}))

    assert_unavailable(mongo.client.post(batch))
    assert_batch_absent(mongo, batch, target["id"], activity_id)
    assert_batch_stored_once(mongo, batch, target["id"])


def test_mongo_write_concern_timeout_is_503_and_a_retry_leaves_exactly_one_copy(mongo: Tenant) -> None:
    """E9/L6: the primary applied the insert but replication timed out (wtimeout); the client saw 503."""
    store = mongo.store
    assert isinstance(store, MongoStore)
    real = store._statements
    wtimeout = BulkWriteError(
        {
            "writeErrors": [],
            "writeConcernErrors": [
                {"code": 64, "errmsg": f"waiting for replication timed out on {HOST}", "errInfo": {"wtimeout": True}}
            ],
            "nInserted": 3,
        }
    )
    store._statements = Proxy(real, insert_many=fail_once(real.insert_many, wtimeout, before=real.insert_many))
    batch = [make_statement(), make_statement(), make_statement()]
    assert_unavailable(mongo.client.post(batch))

    retry = mongo.client.post(batch)
    assert retry.status_code == 200
    assert retry.get_json() == [s["id"] for s in batch]
    put = batch[0]
    assert mongo.client.put(put, put["id"]).status_code == 204  # a PUT retry of the same id is fine too
    for statement in batch:
        assert real.count_documents({"tenant": "tenant-a", "statement_id": statement["id"]}) == 1
    assert store.count_statements("tenant-a") == 3


MONGO_READS: dict[str, tuple[str, Callable[[XAPIClient, str], TestResponse]]] = {
    "statement-by-id": ("_statements", lambda c, sid: c.get(statementId=sid)),
    "query": ("_statements", lambda c, sid: c.get(verb=FRESH_VERB)),
    "canonical-definitions": ("_activities", lambda c, sid: c.get(statementId=sid, format="canonical")),
    "credential-lookup": ("_credentials", lambda c, sid: c.get()),
    "tenant-lookup": ("_tenants", lambda c, sid: c.get()),
}


@pytest.mark.parametrize("error", driver_errors(), ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("read", sorted(MONGO_READS))
def test_mongo_read_fault_is_503_not_500_or_401(mongo: Tenant, read: str, error: Exception) -> None:
    store = mongo.store
    statement = make_statement(verb={"id": FRESH_VERB})
    assert mongo.client.post(statement).status_code == 200
    attribute, request = MONGO_READS[read]
    real = getattr(store, attribute)
    setattr(store, attribute, Proxy(real, find=Down(error)))
    assert_unavailable(request(mongo.client, statement["id"]))
    setattr(store, attribute, real)
    assert request(mongo.client, statement["id"]).status_code == 200


def test_mongo_timeout_while_iterating_results_is_503(mongo: Tenant) -> None:
    """maxTimeMS expires on the server while the cursor is read (ExecutionTimeout surfaces on iteration)."""
    store = mongo.store
    assert isinstance(store, MongoStore)

    class ExpiringCursor:
        def max_time_ms(self, _ms: int) -> ExpiringCursor:
            return self

        def sort(self, _spec: Any) -> ExpiringCursor:
            return self

        def limit(self, _n: int) -> ExpiringCursor:
            return self

        def __iter__(self) -> Any:
            raise ExecutionTimeout("operation exceeded time limit", 50)

    store._statements = Proxy(store._statements, find=lambda *a, **k: ExpiringCursor())
    response = mongo.client.get(verb=FRESH_VERB)
    assert_unavailable(response)
    assert "too long" in response.get_json()["message"]


def test_mongo_unreachable_is_503_everywhere_and_not_ready_but_alive(mongo: Tenant) -> None:
    """L1: mongod stopped.  Writes and reads answer 503 at once; /readyz 503, /healthz 200; nothing stored."""
    store = mongo.store
    assert isinstance(store, MongoStore)
    down = Down(ServerSelectionTimeoutError(f"{HOST}:27017: [Errno 111] Connection refused, Timeout: 5.0s"))
    saved = {name: getattr(store, name) for name in ("_client", "_statements", "_meta", "_activities")}
    saved.update(_credentials=store._credentials, _tenants=store._tenants)
    for name in saved:
        setattr(store, name, down)
    statement = make_statement()
    assert_unavailable(mongo.client.post(statement))
    assert_unavailable(mongo.client.put(statement, statement["id"]))
    assert_unavailable(mongo.client.get(statementId=statement["id"]))
    probes = mongo.app.test_client()
    ready = probes.get("/readyz")
    assert ready.status_code == 503
    assert HOST not in ready.get_data(as_text=True) and "ServerSelection" not in ready.get_data(as_text=True)
    assert probes.get("/healthz").status_code == 200

    for name, value in saved.items():
        setattr(store, name, value)
    assert probes.get("/readyz").status_code == 200
    assert store.count_statements("tenant-a") == 0
    assert mongo.client.post(statement).status_code == 200


# MongoDB without transactions: the connection stays down for the compensation too (F4, F6, L5) --------------------


def outage_during_batch(store: MongoStore) -> dict[str, bool]:
    """After 2 of n documents are inserted the connection drops and every call fails until ``state['down']`` is reset.

    The undo log (``delete_many``, ``update_many``) runs on the same dropped connection, as it would for real.
    """
    state = {"down": False, "cut": False}
    real = store._statements

    def guarded(name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if state["down"]:
                raise AutoReconnect(f"connection reset by {HOST}:27017")
            return getattr(real, name)(*args, **kwargs)

        return call

    def insert_many(documents: list[dict[str, Any]], **kwargs: Any) -> Any:
        if state["cut"]:  # the connection drops once; after recovery inserts work again
            return guarded("insert_many")(documents, **kwargs)
        real.insert_many(documents[:2], **kwargs)
        state["down"] = state["cut"] = True
        raise AutoReconnect(f"connection reset by {HOST}:27017")

    store._statements = Proxy(
        real,
        insert_many=insert_many,
        find=guarded("find"),
        delete_many=guarded("delete_many"),
        update_many=guarded("update_many"),
        count_documents=guarded("count_documents"),
    )
    return state


def test_mongo_without_transactions_converges_when_the_undo_fails_too(mongo: Tenant) -> None:
    """A standalone server (allowed only by LRS_MONGO_ALLOW_STANDALONE) cannot make a batch atomic: when the
    server goes away between the partial insert and its undo, the written statements stay.  The client saw a
    503 and retries; the retry must complete the batch exactly once.  (Production refuses standalone servers
    by default: see test_mongo_adapter.py::test_standalone_server_is_refused_unless_allowed.)"""
    store = mongo.store
    assert isinstance(store, MongoStore)
    batch = [make_statement(), make_statement(), make_statement(), make_statement()]
    state = outage_during_batch(store)
    assert_unavailable(mongo.client.post(batch))
    state["down"] = False  # the database is back
    retry = mongo.client.post(batch)
    assert retry.status_code == 200
    assert retry.get_json() == [s["id"] for s in batch]
    assert all(mongo.client.get(statementId=s["id"]).status_code == 200 for s in batch)
    for statement in batch:
        assert store._statements.count_documents({"statement_id": statement["id"]}) == 1


def test_mongo_retry_after_a_cut_mid_batch_still_voids_the_target(mongo: Tenant) -> None:
    store = mongo.store
    assert isinstance(store, MongoStore)
    target = make_statement()
    assert mongo.client.post(target).status_code == 200
    batch = [voiding(target["id"]), make_statement(), make_statement()]
    state = outage_during_batch(store)
    assert_unavailable(mongo.client.post(batch))
    state["down"] = False

    retry = mongo.client.post(batch)
    assert retry.status_code == 200
    assert retry.get_json() == [s["id"] for s in batch]
    assert mongo.client.get(statementId=target["id"]).status_code == 404, "acknowledged voiding was never applied"
    assert mongo.client.get(voidedStatementId=target["id"]).status_code == 200


def test_503_body_names_neither_the_statements_nor_the_agent_of_the_batch(mongo: Tenant) -> None:
    """The 503 message names neither the statements nor the agent of the failed batch."""
    store = mongo.store
    assert isinstance(store, MongoStore)
    real = store._statements
    store._statements = Proxy(real, insert_many=Down(AutoReconnect(f"connection reset by {HOST}:27017")))
    statement = make_statement(actor={"objectType": "Agent", "mbox": "mailto:private.person@example.gov"})
    response = mongo.client.post(statement)
    assert_unavailable(response)
    text = response.get_data(as_text=True)
    assert "private.person" not in text and statement["id"] not in text
    assert json.loads(text)["errors"] == {}
