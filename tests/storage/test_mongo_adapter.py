"""MongoDB-specific tests of the Mongo adapter (the shared behaviour lives in ``test_contract.py``).

Driver failures are simulated with small fakes; everything else runs on mongomock, with the transactional
path exercised through a pass-through fake session.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import mongomock
import pymongo
import pytest
from bson import ObjectId
from pymongo.errors import (
    AutoReconnect,
    ExecutionTimeout,
    NetworkTimeout,
    OperationFailure,
    ServerSelectionTimeoutError,
    WriteConcernError,
)

from lrs.errors import BadRequestError, ConfigurationError, StorageUnavailableError
from lrs.statement_fields import activity_definitions, is_voiding, query_keys, statement_ref_target
from lrs.storage.mongo import (
    MongoStore,
    _effective_keys,
    decode_position,
    encode_position,
    statement_filter,
    statement_sort,
)
from lrs.storage.port import StatementQuery, StatementRecord, Tenant
from tests.factories import AUTHORITY, make_statement, ref_to, voiding
from tests.fakes import Down, Proxy

# helpers ----------------------------------------------------------------------------------------------


def record_of(statement: dict[str, Any]) -> StatementRecord:
    statement = {**statement, "authority": AUTHORITY}
    return StatementRecord(
        statement_id=statement["id"].lower(),
        body_template=json.dumps(statement, ensure_ascii=False, separators=(",", ":")),
        keys=query_keys(statement, AUTHORITY),
        needs_timestamp="timestamp" not in statement,
        ref_target=statement_ref_target(statement),
        voiding=is_voiding(statement),
        activity_definitions=activity_definitions(statement),
    )


def bare_record(statement_id: str, keys: set[str], ref_target: str | None = None) -> StatementRecord:
    return StatementRecord(statement_id, "{}", frozenset(keys), ref_target=ref_target)


@pytest.fixture
def store() -> Iterator[MongoStore]:
    instance = MongoStore(mongomock.MongoClient(), f"lrs_test_{uuid.uuid4().hex[:12]}")
    instance.init_schema()
    yield instance
    instance.close()


# driver errors at the boundary ------------------------------------------------------------------------


DRIVER_ERRORS = [
    AutoReconnect("connection reset by mongo-0.internal:27017"),
    ServerSelectionTimeoutError("No servers found yet, Timeout: 5.0s"),
    NetworkTimeout("timed out"),
    WriteConcernError("waiting for replication timed out", 64),
    OperationFailure("not primary", 10107),
    ExecutionTimeout("operation exceeded time limit", 50),
]

OPERATIONS = {
    "ping": lambda s: s.ping(),
    "init_schema": lambda s: s.init_schema(),
    "get_or_create_secret": lambda s: s.get_or_create_secret("cursor"),
    "create_tenant": lambda s: s.create_tenant(Tenant("acme", "Acme", "active", 1)),
    "get_tenant": lambda s: s.get_tenant("acme"),
    "list_tenants": lambda s: s.list_tenants(),
    "get_credential": lambda s: s.get_credential("key-a"),
    "list_credentials": lambda s: s.list_credentials("acme"),
    "insert_statements": lambda s: s.insert_statements("acme", [record_of(make_statement())]),
    "get_statement": lambda s: s.get_statement("acme", str(uuid.uuid4())),
    "query_statements": lambda s: s.query_statements("acme", StatementQuery(keys=("verb|x",))),
    "get_activity_definitions": lambda s: s.get_activity_definitions("acme", ["http://example.gov/a"]),
    "count_statements": lambda s: s.count_statements("acme"),
}


@pytest.mark.parametrize("error", DRIVER_ERRORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_driver_errors_become_storage_unavailable(error: Exception, operation: str) -> None:
    store = MongoStore(Down(error), "lrs")
    with pytest.raises(StorageUnavailableError) as caught:
        OPERATIONS[operation](store)
    assert caught.value.__cause__ is error
    assert caught.value.status == 503
    assert "mongo-0.internal" not in caught.value.message  # driver details stay in the logs


def test_execution_timeout_says_the_query_took_too_long() -> None:
    store = MongoStore(Down(ExecutionTimeout("operation exceeded time limit", 50)), "lrs", use_transactions=False)
    with pytest.raises(StorageUnavailableError, match="took too long"):
        store.query_statements("acme", StatementQuery())


def test_timeout_while_iterating_a_cursor_is_translated(store: MongoStore) -> None:
    class TimingOutCursor:
        def max_time_ms(self, _ms: int) -> TimingOutCursor:
            return self

        def sort(self, _spec: Any) -> TimingOutCursor:
            return self

        def limit(self, _n: int) -> TimingOutCursor:
            return self

        def __iter__(self) -> Iterator[Any]:
            raise ExecutionTimeout("operation exceeded time limit", 50)

    store._statements = Proxy(store._statements, find=lambda *a, **k: TimingOutCursor())
    with pytest.raises(StorageUnavailableError, match="took too long") as caught:
        store.query_statements("acme", StatementQuery(keys=("verb|x",)))
    assert isinstance(caught.value.__cause__, ExecutionTimeout)


def test_transaction_detection_failure_is_translated() -> None:
    store = MongoStore(Down(ServerSelectionTimeoutError("no servers")), "lrs")
    with pytest.raises(StorageUnavailableError):
        store.insert_statements("acme", [record_of(make_statement())])


def test_every_read_carries_max_time_ms(store: MongoStore) -> None:
    seen: list[int] = []
    real_find = store._statements.find

    def find(*args: Any, **kwargs: Any) -> Any:
        cursor = real_find(*args, **kwargs)
        real_max_time_ms = cursor.max_time_ms

        def max_time_ms(ms: int) -> Any:
            seen.append(ms)
            return real_max_time_ms(ms)

        cursor.max_time_ms = max_time_ms
        return cursor

    store._statements = Proxy(store._statements, find=find)
    store.insert_statements("acme", [record_of(make_statement())])
    store.query_statements("acme", StatementQuery())
    store.get_statement("acme", str(uuid.uuid4()))
    assert seen
    assert set(seen) == {5000}


# from_uri: the write concern and client settings --------------------------------------------------------


def test_from_uri_configures_durable_writes_without_connecting() -> None:
    store = MongoStore.from_uri("mongodb://db-1.invalid:27017,db-2.invalid:27017/lrs_prod?replicaSet=rs0")
    try:
        client = store._client
        assert isinstance(client, pymongo.MongoClient)
        assert client.write_concern.document == {"w": "majority", "j": True}
        assert client.options.retry_writes is True
        assert client.options.retry_reads is True
        assert client.options.server_selection_timeout == 5.0
        assert client.options.pool_options.connect_timeout == 5.0
        assert client.options.pool_options.metadata["application"] == {"name": "lrs"}
        assert store._db.name == "lrs_prod"  # database from the URI path
    finally:
        store.close()


def test_from_uri_database_argument_and_default() -> None:
    named = MongoStore.from_uri("mongodb://db.invalid:27017/ignored", "chosen")
    default = MongoStore.from_uri("mongodb://db.invalid:27017")
    try:
        assert named._db.name == "chosen"
        assert default._db.name == "lrs"
    finally:
        named.close()
        default.close()


def test_from_uri_rejects_an_invalid_uri_as_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        MongoStore.from_uri("http://not-mongo")


# the transaction seam -------------------------------------------------------------------------------------


class FakeHelloClient:
    def __init__(self, hello: dict[str, Any]) -> None:
        self.hello = hello
        self.admin = self

    def __getitem__(self, name: str) -> Any:
        return mongomock.MongoClient()[name]

    def command(self, name: str) -> dict[str, Any]:
        if self.hello.get("legacy") and name == "hello":
            raise OperationFailure("no such command: 'hello'", 59)
        return self.hello


@pytest.mark.parametrize(
    ("hello", "expected"),
    [
        ({"isWritablePrimary": True}, False),  # standalone server
        ({"isWritablePrimary": True, "setName": "rs0"}, True),  # replica set member
        ({"isWritablePrimary": True, "msg": "isdbgrid"}, True),  # mongos
        ({"ismaster": True, "setName": "rs0", "legacy": True}, True),  # server without 'hello'
    ],
)
def test_transactions_detected_from_hello(hello: dict[str, Any], expected: bool) -> None:
    assert MongoStore(FakeHelloClient(hello), "lrs").transactions_enabled() is expected


def test_mongomock_never_uses_transactions(store: MongoStore) -> None:
    assert store.transactions_enabled() is False


def test_explicit_choice_wins_over_detection() -> None:
    assert (
        MongoStore(FakeHelloClient({"setName": "rs0"}), "lrs", use_transactions=False).transactions_enabled() is False
    )
    assert MongoStore(mongomock.MongoClient(), "lrs", use_transactions=True).transactions_enabled() is True


class PassThroughSession:
    """Stands in for a ClientSession on mongomock: falsy, so mongomock accepts it as 'no session'."""

    def __init__(self) -> None:
        self.transaction_options: dict[str, Any] = {}
        self.callbacks = 0

    def __bool__(self) -> bool:
        return False

    def __enter__(self) -> PassThroughSession:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def with_transaction(self, callback: Any, **options: Any) -> Any:
        self.transaction_options = options
        self.callbacks += 1
        return callback(self)


class SessionClient:
    """mongomock plus start_session(), recording the session of every collection call."""

    def __init__(self) -> None:
        self._mock = mongomock.MongoClient()
        self.session = PassThroughSession()
        self.calls: list[tuple[str, Any]] = []

    def start_session(self) -> PassThroughSession:
        return self.session

    def close(self) -> None:
        self._mock.close()

    def __getitem__(self, name: str) -> Any:
        database = self._mock[name]
        client = self

        class RecordingDatabase:
            def __getattr__(self, name: str) -> Any:
                return getattr(database, name)

            def __getitem__(self, collection: str) -> Any:
                real = database[collection]

                def recorder(method: str) -> Any:
                    def call(*args: Any, **kwargs: Any) -> Any:
                        client.calls.append((f"{collection}.{method}", kwargs.get("session", "missing")))
                        return getattr(real, method)(*args, **kwargs)

                    return call

                methods = ("find", "insert_many", "insert_one", "update_many", "update_one", "find_one_and_update")
                return Proxy(real, **{m: recorder(m) for m in methods})

        return RecordingDatabase()


def test_transactional_path_runs_every_operation_in_the_session() -> None:
    client = SessionClient()
    store = MongoStore(client, "lrs", use_transactions=True)
    store.init_schema()
    target = make_statement()
    store.insert_statements("acme", [record_of(target)])
    client.calls.clear()
    store.insert_statements("acme", [record_of(voiding(target["id"])), record_of(make_statement())])

    session = client.session
    assert session.callbacks == 2
    assert session.transaction_options["write_concern"].document == {"w": "majority", "j": True}
    assert session.transaction_options["read_concern"].level == "snapshot"
    assert client.calls
    assert all(used is session for _, used in client.calls), client.calls
    assert store.get_statement("acme", target["id"]).voided is True  # type: ignore[union-attr]


def test_transactional_path_leaves_rollback_to_the_transaction() -> None:
    """With a transaction there is no undo log: a failure is the transaction's to roll back."""
    store = MongoStore(SessionClient(), "lrs", use_transactions=True)
    undo_logged: list[int] = []

    def work(unit: Any) -> None:
        unit.on_rollback(lambda: undo_logged.append(1))
        raise AutoReconnect("primary stepped down")

    with pytest.raises(AutoReconnect):
        store._atomic(work)
    assert undo_logged == []


def test_compensating_path_runs_the_undo_log_in_reverse(store: MongoStore) -> None:
    done: list[str] = []

    def work(unit: Any) -> None:
        assert unit.session is None
        unit.on_rollback(lambda: done.append("first"))
        unit.on_rollback(lambda: done.append("second"))
        raise AutoReconnect("connection reset")

    with pytest.raises(AutoReconnect):
        store._atomic(work)
    assert done == ["second", "first"]


# compensation without transactions --------------------------------------------------------------------


def test_failure_on_the_second_insert_leaves_nothing_behind(store: MongoStore) -> None:
    real = store._statements

    def insert_many(documents: list[dict[str, Any]], **kwargs: Any) -> None:
        real.insert_one(documents[0])  # the first document lands, then the connection drops
        raise AutoReconnect("connection reset")

    store._statements = Proxy(real, insert_many=insert_many)
    with pytest.raises(StorageUnavailableError) as caught:
        store.insert_statements("acme", [record_of(make_statement()), record_of(make_statement())])
    assert isinstance(caught.value.__cause__, AutoReconnect)
    assert real.count_documents({}) == 0


def test_failure_after_voiding_and_propagation_undoes_them(store: MongoStore) -> None:
    target = make_statement()
    later = make_statement(actor={"mbox": "mailto:later@example.gov"})
    referencer = ref_to(later["id"])  # stored before the statement it references
    store.insert_statements("acme", [record_of(target)])
    store.insert_statements("acme", [record_of(referencer)])
    before = {doc["statement_id"]: doc for doc in store._statements.find({})}
    activity_before = list(store._activities.find({}, {"_id": 0}))

    def failing_update_one(*args: Any, **kwargs: Any) -> None:
        raise AutoReconnect("connection reset")

    def failing_insert_one(*args: Any, **kwargs: Any) -> None:
        raise AutoReconnect("connection reset")

    real_activities = store._activities
    store._activities = Proxy(real_activities, update_one=failing_update_one, insert_one=failing_insert_one)
    changed_definition = make_statement(
        object={"id": "http://example.gov/courses/onboarding", "definition": {"name": {"fr": "Accueil"}}}
    )
    with pytest.raises(StorageUnavailableError):
        store.insert_statements(
            "acme", [record_of(later), record_of(voiding(target["id"])), record_of(changed_definition)]
        )
    store._activities = real_activities

    after = {doc["statement_id"]: doc for doc in store._statements.find({})}
    assert after == before  # target not voided, referencer's keys back to what they were, nothing inserted
    assert list(store._activities.find({}, {"_id": 0})) == activity_before


def test_failed_second_definition_merge_undoes_the_first(store: MongoStore) -> None:
    real = store._activities
    inserts = {"n": 0}

    def insert_one(document: dict[str, Any], **kwargs: Any) -> Any:
        inserts["n"] += 1
        if inserts["n"] == 2:
            raise AutoReconnect("connection reset")
        return real.insert_one(document, **kwargs)

    store._activities = Proxy(real, insert_one=insert_one)
    first = make_statement(object={"id": "http://example.gov/a", "definition": {"name": {"en": "A"}}})
    second = make_statement(object={"id": "http://example.gov/b", "definition": {"name": {"en": "B"}}})
    with pytest.raises(StorageUnavailableError):
        store.insert_statements("acme", [record_of(first), record_of(second)])
    store._activities = real
    assert inserts["n"] == 2
    assert store.count_statements("acme") == 0
    assert store.get_activity_definitions("acme", ["http://example.gov/a", "http://example.gov/b"]) == {}


def test_lost_insert_race_returns_the_winners_body(store: MongoStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Between our existence check and our insert another worker stored one of the ids."""
    winner = make_statement()
    store.insert_statements("acme", [record_of(winner)])
    real_existing = store._existing_bodies
    checks = {"n": 0}

    def stale_existing(tenant: str, ids: Any, *, session: Any) -> dict[str, str]:
        checks["n"] += 1
        return {} if checks["n"] == 1 else real_existing(tenant, ids, session=session)

    monkeypatch.setattr(store, "_existing_bodies", stale_existing)
    ours = make_statement()
    result = store.insert_statements("acme", [record_of(ours), record_of({**winner, "result": {"score": {"raw": 1}}})])

    assert list(result) == [winner["id"]]
    assert json.loads(result[winner["id"]])["id"] == winner["id"]
    assert store.get_statement("acme", ours["id"]) is None  # compensated
    assert store.count_statements("acme") == 1


def test_duplicate_ids_inside_one_batch_are_rejected(store: MongoStore) -> None:
    statement = make_statement()
    with pytest.raises(BadRequestError):
        store.insert_statements("acme", [record_of(statement), record_of(statement)])
    assert store.count_statements("acme") == 0


# the body is text ----------------------------------------------------------------------------------------


def test_body_with_dollar_and_dot_extension_keys_round_trips_as_text(store: MongoStore) -> None:
    extensions = {
        "http://example.gov/ext/score.v2": {"$numberLong": "7", "a.b": [1, {"$where": "x"}]},
        "$set": "not an operator",
    }
    statement = make_statement(result={"extensions": extensions}, context={"extensions": {"urn:x.y": "é"}})
    record = record_of(statement)
    assert store.insert_statements("acme", [record]) == {}

    raw = store._statements.find_one({"statement_id": record.statement_id})
    assert isinstance(raw["body"], str)
    assert raw["body"].startswith(record.body_template[:-1] + ',"stored":"')
    found = store.get_statement("acme", record.statement_id)
    assert found is not None
    assert found.body == raw["body"]
    assert json.loads(found.body)["result"]["extensions"] == extensions
    page = store.query_statements("acme", StatementQuery(keys=(f"verb|{statement['verb']['id']}",)))
    assert [s.body for s in page.statements] == [raw["body"]]


def test_definition_with_dotted_keys_is_stored_as_json_text(store: MongoStore) -> None:
    definition = {"name": {"en": "Quiz"}, "extensions": {"http://example.gov/x.y": {"$k": 1}}}
    statement = make_statement(object={"id": "http://example.gov/quiz", "definition": definition})
    store.insert_statements("acme", [record_of(statement)])
    raw = store._activities.find_one({"activity_id": "http://example.gov/quiz"})
    assert isinstance(raw["definition_json"], str)
    assert store.get_activity_definitions("acme", ["http://example.gov/quiz"]) == {
        "http://example.gov/quiz": definition
    }


def test_stored_document_shape(store: MongoStore) -> None:
    record = record_of(make_statement())
    store.insert_statements("acme", [record])
    raw = store._statements.find_one({})
    assert isinstance(raw["_id"], ObjectId)
    assert raw["tenant"] == "acme"
    assert raw["statement_id"] == record.statement_id
    assert isinstance(raw["stored_us"], int)
    assert set(raw["keys"]) == set(record.keys) == set(raw["own_keys"])
    assert raw["voided"] is False
    assert raw["voiding"] is False


# schema, clock and secrets --------------------------------------------------------------------------------


def test_init_schema_is_idempotent_and_creates_the_indexes(store: MongoStore) -> None:
    store.init_schema()
    assert set(store._db.list_collection_names()) >= {"statements", "activities", "tenants", "credentials", "meta"}
    statements = store._statements.index_information()
    keys = {tuple(spec["key"]): spec.get("unique", False) for spec in statements.values()}
    assert keys[(("tenant", 1), ("statement_id", 1))] is True
    assert (("tenant", 1), ("voided", 1), ("stored_us", -1), ("_id", -1)) in keys
    assert (("tenant", 1), ("keys", 1), ("stored_us", -1)) in keys
    assert (("tenant", 1), ("ref_target", 1)) in keys
    assert any(spec.get("unique") for spec in store._credentials.index_information().values())
    assert any(spec.get("unique") for spec in store._tenants.index_information().values())
    assert any(spec.get("unique") for spec in store._activities.index_information().values())


def test_stored_never_goes_backwards_within_a_tenant(store: MongoStore, monkeypatch: pytest.MonkeyPatch) -> None:
    import lrs.storage.mongo as module

    monkeypatch.setattr(module, "stored_now_us", lambda: 2_000_000)
    store.insert_statements("acme", [record_of(make_statement())])
    monkeypatch.setattr(module, "stored_now_us", lambda: 1_000_000)  # the clock stepped back (NTP, another host)
    second = make_statement()
    store.insert_statements("acme", [record_of(second), record_of(make_statement())])
    stored = [doc["stored_us"] for doc in store._statements.find({}).sort("_id", 1)]
    assert stored == [2_000_000, 2_000_000, 2_000_000]
    store.insert_statements("other", [record_of(make_statement())])  # another tenant has its own clock
    assert store._statements.find_one({"tenant": "other"})["stored_us"] == 1_000_000


def test_secret_is_shared_and_never_overwritten(store: MongoStore) -> None:
    other_worker = MongoStore(store._client, store._db.name)
    first = store.get_or_create_secret("cursor")
    assert len(first) == 32
    assert other_worker.get_or_create_secret("cursor") == first
    assert store.get_or_create_secret("other") != first


# pure functions ------------------------------------------------------------------------------------------


def test_position_round_trip_and_rejection() -> None:
    oid = ObjectId()
    assert decode_position(encode_position(1_700_000_000_000_000, oid)) == (1_700_000_000_000_000, oid)
    for bad in ("", "12", "x-y", "12-nothex", "-"):
        with pytest.raises(BadRequestError):
            decode_position(bad)


OID = ObjectId("65a000000000000000000001")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (StatementQuery(), {"tenant": "t", "voided": False}),
        (
            StatementQuery(keys=("verb|b", "agent|a", "verb|b")),
            {"tenant": "t", "voided": False, "keys": {"$all": ["agent|a", "verb|b"]}},
        ),
        (StatementQuery(since_us=5, until_us=9), {"tenant": "t", "voided": False, "stored_us": {"$gt": 5, "$lte": 9}}),
        (
            StatementQuery(after=encode_position(7, OID)),
            {"tenant": "t", "voided": False, "$or": [{"stored_us": {"$lt": 7}}, {"stored_us": 7, "_id": {"$lt": OID}}]},
        ),
        (
            StatementQuery(ascending=True, after=encode_position(7, OID)),
            {"tenant": "t", "voided": False, "$or": [{"stored_us": {"$gt": 7}}, {"stored_us": 7, "_id": {"$gt": OID}}]},
        ),
    ],
)
def test_statement_filter(query: StatementQuery, expected: dict[str, Any]) -> None:
    assert statement_filter("t", query) == expected


def test_statement_sort() -> None:
    assert statement_sort(False) == [("stored_us", -1), ("_id", -1)]
    assert statement_sort(True) == [("stored_us", 1), ("_id", 1)]


def test_effective_keys_follow_in_batch_chains_in_any_order_without_recursion() -> None:
    # r0 <- r1 <- ... <- r1999, given in reverse order: each inherits r0's verb and the authority stays put.
    records = [bare_record("r0", {"verb|v", "authority|a"})]
    records += [bare_record(f"r{i}", {f"agent|{i}"}, ref_target=f"r{i - 1}") for i in range(1, 2000)]
    resolved = _effective_keys(list(reversed(records)), {})
    assert resolved["r1999"] >= {"verb|v", "agent|1", "agent|1998", "agent|1999"}
    assert "authority|a" not in resolved["r1999"]


def test_effective_keys_cut_cycles_and_use_stored_targets() -> None:
    records = [bare_record("a", {"verb|a"}, "b"), bare_record("b", {"verb|b"}, "a"), bare_record("c", {"verb|c"}, "s")]
    resolved = _effective_keys(records, {"s": {"agent|s", "authority|s"}})
    assert resolved["a"] == {"verb|a", "verb|b"}
    assert resolved["c"] == {"verb|c", "agent|s"}


def test_standalone_server_is_refused_unless_allowed() -> None:
    import mongomock

    from lrs.errors import ConfigurationError

    refusing = MongoStore(mongomock.MongoClient(), "standalone_refused", require_transactions=True)
    with pytest.raises(ConfigurationError) as caught:
        refusing.init_schema()
    assert "LRS_MONGO_ALLOW_STANDALONE" in caught.value.message
    allowed = MongoStore(mongomock.MongoClient(), "standalone_allowed", require_transactions=False)
    allowed.init_schema()
    assert not allowed.transactions_enabled()


def test_from_uri_requires_transactions_by_default() -> None:
    assert MongoStore.from_uri("mongodb://db.invalid:27017/lrs")._require_transactions is True
    assert MongoStore.from_uri("mongodb://db.invalid:27017/lrs", allow_standalone=True)._require_transactions is False
