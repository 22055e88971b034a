"""Storage contract for attachment content: once per tenant and sha2, written with the batch or not at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lrs.statements import prepare
from lrs.storage.port import Store
from tests.attachment_helpers import attachment, sha256
from tests.factories import AUTHORITY, make_statement
from tests.storage.conftest import make_store

A, B = "tenant-a", "tenant-b"
TEXT = b"here is a simple attachment"
IMAGE = bytes(range(256)) * 40


def put(store: Store, tenant: str, statements: list[dict[str, Any]], attachments: dict[str, bytes]) -> dict[str, str]:
    records = [prepare(s, authority=AUTHORITY, default_version="1.0.0")[2] for s in statements]
    return store.insert_statements(tenant, records, attachments)


def test_content_is_stored_with_the_batch_and_read_back_byte_for_byte(store: Store) -> None:
    statement = make_statement(attachments=[attachment(TEXT), attachment(IMAGE), attachment(b"")])
    contents = {sha256(TEXT): TEXT, sha256(IMAGE): IMAGE, sha256(b""): b""}
    assert put(store, A, [statement], contents) == {}
    assert store.get_attachments(A, [sha256(TEXT), sha256(IMAGE), sha256(b""), "0" * 64]) == contents
    assert store.get_attachments(A, []) == {}


def test_content_is_never_shared_across_tenants(store: Store) -> None:
    put(store, A, [make_statement(attachments=[attachment(TEXT)])], {sha256(TEXT): TEXT})
    assert store.get_attachments(B, [sha256(TEXT)]) == {}
    put(store, B, [make_statement(attachments=[attachment(TEXT, fileUrl="http://x.example/t")])], {})
    assert store.get_attachments(B, [sha256(TEXT)]) == {}


def test_content_is_stored_once_per_tenant_and_hash(store: Store) -> None:
    key = sha256(TEXT)
    put(store, A, [make_statement(attachments=[attachment(TEXT)])], {key: TEXT})
    # A second batch bringing the same hash keeps the stored content (content addressed: it cannot differ).
    put(store, A, [make_statement(attachments=[attachment(TEXT)])], {key: b"not what was stored first"})
    assert store.get_attachments(A, [key]) == {key: TEXT}
    put(store, B, [make_statement(attachments=[attachment(TEXT)])], {key: b"tenant b's bytes"})
    assert store.get_attachments(B, [key]) == {key: b"tenant b's bytes"}
    assert store.get_attachments(A, [key]) == {key: TEXT}


def test_nothing_is_written_when_the_batch_is_not(store: Store) -> None:
    existing = make_statement()
    put(store, A, [existing], {})
    fresh = make_statement(attachments=[attachment(TEXT)])
    assert existing["id"] in put(store, A, [fresh, existing], {sha256(TEXT): TEXT})
    assert store.get_attachments(A, [sha256(TEXT)]) == {}
    assert store.get_statement(A, fresh["id"]) is None


def test_mongo_splits_large_content_into_chunks_and_ignores_incomplete_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lrs.storage import mongo_attachments

    store = make_store("mongomock", tmp_path)
    store.init_schema()
    monkeypatch.setattr(mongo_attachments, "CHUNK_BYTES", 1000)
    key = sha256(IMAGE)
    put(store, A, [make_statement(attachments=[attachment(IMAGE)])], {key: IMAGE})
    collection = store._attachments  # type: ignore[attr-defined]
    assert collection.count_documents({"tenant": A, "sha2": key}) == 11
    assert store.get_attachments(A, [key]) == {key: IMAGE}
    collection.delete_one({"tenant": A, "sha2": key, "n": 3})  # as after a failed compensation
    assert store.get_attachments(A, [key]) == {}
    put(store, A, [make_statement(attachments=[attachment(IMAGE)])], {key: IMAGE})
    assert store.get_attachments(A, [key]) == {key: IMAGE}
