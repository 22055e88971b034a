"""The storage contract of documents: every adapter must pass every test here (sqlite, mongomock, real MongoDB)."""

from __future__ import annotations

import pytest

from lrs.documents import etag_of
from lrs.storage.port import Document, DocumentContext, Store

A, B = "tenant-a", "tenant-b"
ACT = "http://ex.gov/activities/1"
AGENT = "mbox:mailto:a@ex.gov"
REG = "6f1e4b1a-0c7e-4a51-9d4e-2b8f2f7f0a11"
STATE = DocumentContext("state", activity_id=ACT, agent=AGENT)


def doc(document_id: str, content: bytes = b'{"a":1}', updated_us: int = 1, content_type: str = "application/json"):  # type: ignore[no-untyped-def]
    return Document(document_id, content, content_type, etag_of(content), updated_us)


def create(store: Store, tenant: str, context: DocumentContext, document: Document) -> None:
    assert store.write_document(tenant, context, document, expected_etag=None)


def ids(store: Store, tenant: str, context: DocumentContext, since_us: int | None = None) -> list[str]:
    return [d.document_id for d in store.list_documents(tenant, context, since_us)]


def test_create_then_read_back_byte_exact(store: Store) -> None:
    binary = bytes(range(256)) * 4
    create(store, A, STATE, doc("png", binary, 7, "image/png"))
    assert store.get_document(A, STATE, "png") == doc("png", binary, 7, "image/png")
    assert store.get_document(A, STATE, "other") is None


def test_create_only_when_absent(store: Store) -> None:
    create(store, A, STATE, doc("d", b"1"))
    assert not store.write_document(A, STATE, doc("d", b"2"), expected_etag=None)
    assert store.get_document(A, STATE, "d").content == b"1"  # type: ignore[union-attr]


def test_replace_only_when_the_etag_matches(store: Store) -> None:
    create(store, A, STATE, doc("d", b"1"))
    assert not store.write_document(A, STATE, doc("d", b"2", 2), expected_etag=etag_of(b"other"))
    assert store.get_document(A, STATE, "d").content == b"1"  # type: ignore[union-attr]
    assert store.write_document(A, STATE, doc("d", b"2", 2, "text/plain"), expected_etag=etag_of(b"1"))
    assert store.get_document(A, STATE, "d") == doc("d", b"2", 2, "text/plain")


def test_a_swap_never_creates(store: Store) -> None:
    assert not store.write_document(A, STATE, doc("d"), expected_etag=etag_of(b'{"a":1}'))
    assert store.get_document(A, STATE, "d") is None


def test_delete_only_when_the_etag_matches(store: Store) -> None:
    create(store, A, STATE, doc("d", b"1"))
    assert not store.delete_document(A, STATE, "d", expected_etag=etag_of(b"2"))
    assert store.get_document(A, STATE, "d") is not None
    assert store.delete_document(A, STATE, "d", expected_etag=etag_of(b"1"))
    assert store.get_document(A, STATE, "d") is None
    assert not store.delete_document(A, STATE, "d", expected_etag=etag_of(b"1"))


def test_every_context_part_separates_documents(store: Store) -> None:
    contexts = [
        STATE,
        DocumentContext("state", activity_id=ACT + "/2", agent=AGENT),
        DocumentContext("state", activity_id=ACT, agent=AGENT + "x"),
        DocumentContext("state", activity_id=ACT, agent=AGENT, registration=REG),
        DocumentContext("activity_profile", activity_id=ACT),
        DocumentContext("agent_profile", agent=AGENT),
    ]
    for index, context in enumerate(contexts):
        create(store, A, context, doc("same-id", str(index).encode()))
    for index, context in enumerate(contexts):
        assert store.get_document(A, context, "same-id").content == str(index).encode()  # type: ignore[union-attr]
        assert store.get_document(B, context, "same-id") is None


def test_list_is_oldest_first_and_since_is_exclusive(store: Store) -> None:
    create(store, A, STATE, doc("late", updated_us=30))
    create(store, A, STATE, doc("early", updated_us=10))
    create(store, A, STATE, doc("middle", updated_us=20))
    assert ids(store, A, STATE) == ["early", "middle", "late"]
    assert ids(store, A, STATE, since_us=10) == ["middle", "late"]
    assert ids(store, A, STATE, since_us=30) == []
    listed = store.list_documents(A, STATE)
    first = listed[0]
    assert (first.updated_us, first.etag, first.content) == (10, etag_of(b'{"a":1}'), b"")


def test_registration_narrows_lists_and_deletes_only_when_given(store: Store) -> None:
    with_reg = DocumentContext("state", activity_id=ACT, agent=AGENT, registration=REG)
    other_reg = DocumentContext("state", activity_id=ACT, agent=AGENT, registration=REG.replace("6", "7"))
    create(store, A, STATE, doc("none", updated_us=1))
    create(store, A, with_reg, doc("reg", updated_us=2))
    create(store, A, other_reg, doc("other", updated_us=3))
    assert ids(store, A, with_reg) == ["reg"]
    assert ids(store, A, STATE) == ["none", "reg", "other"]  # registration None: any registration
    assert store.delete_documents(A, with_reg) == 1
    assert ids(store, A, STATE) == ["none", "other"]
    assert store.delete_documents(A, STATE) == 2
    assert ids(store, A, STATE) == []


def test_delete_all_stays_inside_tenant_kind_and_context(store: Store) -> None:
    profile = DocumentContext("activity_profile", activity_id=ACT)
    create(store, A, STATE, doc("a1"))
    create(store, A, STATE, doc("a2"))
    create(store, B, STATE, doc("a1"))
    create(store, A, profile, doc("a1"))
    create(store, A, DocumentContext("state", activity_id=ACT, agent="mbox:mailto:b@ex.gov"), doc("a1"))
    assert store.delete_documents(A, STATE) == 2
    assert ids(store, B, STATE) == ["a1"]
    assert ids(store, A, profile) == ["a1"]
    assert ids(store, A, DocumentContext("state", activity_id=ACT, agent="mbox:mailto:b@ex.gov")) == ["a1"]


@pytest.mark.parametrize(
    "hostile",
    ['{"$ne": null}', "$where", "a.b", "$gt", ".", "with\x00nul", "ü/ß?#&=", "x" * 5000, "%24ne", ".*", "["],
)
def test_ids_and_iris_are_matched_literally(store: Store, hostile: str) -> None:
    """J2: no operator, pattern or field-path semantics in any key part."""
    context = DocumentContext("state", activity_id="http://ex.gov/" + hostile, agent=hostile)
    create(store, A, context, doc(hostile, b"hostile"))
    create(store, A, context, doc("plain", b"plain"))
    assert store.get_document(A, context, hostile).content == b"hostile"  # type: ignore[union-attr]
    assert store.get_document(A, context, hostile[:-1] or "?") is None
    assert store.get_document(A, DocumentContext("state", activity_id="http://ex.gov/", agent=hostile), hostile) is None
    assert sorted(ids(store, A, context)) == sorted([hostile, "plain"])
    assert ids(store, A, DocumentContext("state", activity_id="http://ex.gov/" + hostile, agent="a")) == []
