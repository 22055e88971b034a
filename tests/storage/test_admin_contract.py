"""Storage contract, administration part: tenant updates, revocation, rotation, the audit log (every adapter)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lrs.storage.port import AuditEntry, AuditQuery, Credential, Store, Tenant
from lrs.storage.sqlite import SQLiteStore


def _entry(n: int, **overrides: object) -> AuditEntry:
    fields: dict[str, object] = {
        "entry_id": f"e{n}",
        "time_us": 1000 + n,
        "actor_key": "op1",
        "actor_role": "operator",
        "action": "tenant.create",
        "target": f"t{n}",
        "tenant": f"t{n}",
        "remote_addr": "10.0.0.1",
        "request_id": f"r{n}",
        "details": {"name": f"Tenant {n}"},
    }
    fields.update(overrides)
    return AuditEntry(**fields)  # type: ignore[arg-type]


def test_update_tenant_changes_only_the_given_fields(store: Store) -> None:
    store.create_tenant(Tenant("bkn", "BKN", "active", 1))
    assert store.update_tenant("bkn", name="Badan Kepegawaian") == Tenant("bkn", "Badan Kepegawaian", "active", 1)
    assert store.update_tenant("bkn", status="suspended") == Tenant("bkn", "Badan Kepegawaian", "suspended", 1)
    assert store.get_tenant("bkn") == Tenant("bkn", "Badan Kepegawaian", "suspended", 1)
    assert store.update_tenant("bkn") == Tenant("bkn", "Badan Kepegawaian", "suspended", 1)
    assert store.update_tenant("nope", name="x") is None
    assert store.get_tenant("nope") is None


def test_credentials_keep_role_and_rotation_time(store: Store) -> None:
    operator = Credential("op1", "", "scrypt$a", (), "ops", 5, role="operator")
    store.add_credential(operator)
    assert store.get_credential("op1") == operator
    assert store.list_credentials("") == [operator]
    client = Credential("c1", "bkn", "scrypt$b", ("all",), "lms", 6)
    store.add_credential(client)
    assert store.get_credential("c1") == client
    assert client.role == "client" and client.rotated_us is None


def test_revoke_is_conditional_and_final(store: Store) -> None:
    store.add_credential(Credential("c1", "bkn", "scrypt$b", ("all",), "lms", 6))
    assert store.revoke_credential("c1", 100) is True
    assert store.revoke_credential("c1", 200) is False
    found = store.get_credential("c1")
    assert found is not None and found.revoked_us == 100
    assert store.revoke_credential("nope", 100) is False
    assert store.replace_credential_secret("c1", "scrypt$new", 300) is False
    found = store.get_credential("c1")
    assert found is not None and found.secret_hash == "scrypt$b" and found.rotated_us is None


def test_rotation_replaces_the_hash(store: Store) -> None:
    store.add_credential(Credential("c1", "bkn", "scrypt$b", ("all",), "lms", 6, xapi_version="1.0.3"))
    assert store.replace_credential_secret("c1", "scrypt$new", 300) is True
    assert store.get_credential("c1") == Credential(
        "c1", "bkn", "scrypt$new", ("all",), "lms", 6, xapi_version="1.0.3", rotated_us=300
    )
    assert store.replace_credential_secret("nope", "scrypt$x", 300) is False


def test_audit_round_trip_newest_first(store: Store) -> None:
    entries = [_entry(n) for n in range(5)]
    for entry in entries:
        store.append_audit(entry)
    assert store.query_audit(AuditQuery()) == list(reversed(entries))
    assert store.query_audit(AuditQuery(limit=2)) == [entries[4], entries[3]]
    assert store.query_audit(AuditQuery(limit=0)) == []


def test_audit_ties_keep_insertion_order(store: Store) -> None:
    first, second = _entry(1, time_us=7), _entry(2, time_us=7)
    store.append_audit(first)
    store.append_audit(second)
    assert store.query_audit(AuditQuery()) == [second, first]


def test_audit_filters_combine(store: Store) -> None:
    store.append_audit(_entry(1, tenant="a", actor_key="op1", action="tenant.create"))
    store.append_audit(_entry(2, tenant="a", actor_key="adm", action="credential.create"))
    store.append_audit(_entry(3, tenant="b", actor_key="adm", action="credential.create"))
    store.append_audit(_entry(4, tenant="a", actor_key="adm", action="credential.revoke"))

    def ids(**filters: object) -> list[str]:
        return [e.entry_id for e in store.query_audit(AuditQuery(**filters))]  # type: ignore[arg-type]

    assert ids(tenant="a") == ["e4", "e2", "e1"]
    assert ids(actor="adm") == ["e4", "e3", "e2"]
    assert ids(action="credential.create") == ["e3", "e2"]
    assert ids(tenant="a", actor="adm", action="credential.create") == ["e2"]
    assert ids(since_us=1002) == ["e4", "e3"]  # exclusive
    assert ids(until_us=1002) == ["e2", "e1"]  # inclusive
    assert ids(since_us=1001, until_us=1003) == ["e3", "e2"]
    assert ids(tenant="zzz") == []


def test_audit_filter_values_are_literal(store: Store) -> None:
    store.append_audit(_entry(1, tenant="a"))
    assert store.query_audit(AuditQuery(tenant="%")) == []
    assert store.query_audit(AuditQuery(tenant="' OR '1'='1")) == []
    assert store.query_audit(AuditQuery(actor="{'$ne': ''}")) == []


def test_sqlite_adds_admin_columns_to_an_older_file(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE credentials (key TEXT PRIMARY KEY, tenant TEXT NOT NULL, secret_hash TEXT NOT NULL,"
        " scopes TEXT NOT NULL, label TEXT NOT NULL, created_us INTEGER NOT NULL, revoked_us INTEGER)"
    )
    conn.execute("INSERT INTO credentials VALUES ('old', 'bkn', 'scrypt$x', '[\"all\"]', 'lms', 1, NULL)")
    conn.commit()
    conn.close()
    store = SQLiteStore(path)
    store.init_schema()
    store.init_schema()  # idempotent
    assert store.get_credential("old") == Credential("old", "bkn", "scrypt$x", ("all",), "lms", 1)
    store.append_audit(_entry(1))
    assert [e.entry_id for e in store.query_audit(AuditQuery())] == ["e1"]
    store.close()


def test_mongo_reads_credentials_written_before_roles() -> None:
    import mongomock

    from lrs.storage.mongo import MongoStore

    store = MongoStore(mongomock.MongoClient(), "lrs_admin_old")
    store.init_schema()
    old = {"key": "old", "tenant": "bkn", "secret_hash": "scrypt$x", "scopes": ["all"], "label": "lms"}
    store._db["credentials"].insert_one({**old, "created_us": 1, "revoked_us": None})  # type: ignore[attr-defined]
    assert store.get_credential("old") == Credential("old", "bkn", "scrypt$x", ("all",), "lms", 1)
    store.close()
