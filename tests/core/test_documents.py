"""Document rules: ETags, preconditions per method/resource/version, JSON merge, the compare-and-swap loop."""

from __future__ import annotations

import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lrs.documents import (
    ACTIVITY_PROFILE,
    AGENT_PROFILE,
    STATE,
    DocumentService,
    EntityTags,
    Incoming,
    Preconditions,
    check_preconditions,
    etag_of,
    merged,
    parse_entity_tags,
)
from lrs.errors import (
    BadRequestError,
    ConflictError,
    LRSError,
    NotFoundError,
    PreconditionFailedError,
    StorageUnavailableError,
)
from lrs.storage.port import Document, DocumentContext
from lrs.storage.sqlite import SQLiteStore

TAG = "a" * 40
OTHER = "b" * 40
T = "tenant-a"
STATE_CTX = DocumentContext(STATE, activity_id="http://ex.gov/act", agent="mbox:mailto:a@ex.gov")


def test_etag_is_lowercase_hex_sha1_of_the_bytes() -> None:
    assert etag_of(b"abc") == hashlib.sha1(b"abc").hexdigest() == "a9993e364706816aba3e25717850c26c9cd0d89d"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("*", EntityTags(wildcard=True)),
        (' "AbC" ', EntityTags(strong=frozenset({"abc"}))),
        ('"x", W/"y"', EntityTags(strong=frozenset({"x"}), weak=frozenset({"y"}))),
        (TAG, EntityTags(strong=frozenset({TAG}))),  # unquoted: read as if quoted
    ],
)
def test_entity_tag_headers_parse(header: str | None, expected: EntityTags | None) -> None:
    assert parse_entity_tags(header, "If-Match") == expected


@pytest.mark.parametrize("header", ["", '""', '"a"b"', '"a",,"b"'])
def test_malformed_entity_tag_headers_are_400(header: str) -> None:
    with pytest.raises(BadRequestError, match="If-Match"):
        parse_entity_tags(header, "If-Match")


def test_weak_tags_match_only_with_weak_comparison() -> None:
    tags = EntityTags(weak=frozenset({TAG}))
    assert not tags.matches(TAG, weak_comparison=False)
    assert tags.matches(TAG, weak_comparison=True)
    assert not EntityTags(wildcard=True).matches(None, weak_comparison=True)


M = Preconditions(if_match=EntityTags(strong=frozenset({TAG})))
M_ANY = Preconditions(if_match=EntityTags(wildcard=True))
N_ANY = Preconditions(if_none_match=EntityTags(wildcard=True))
N_TAG = Preconditions(if_none_match=EntityTags(strong=frozenset({TAG})))
NONE = Preconditions()
OK = None
PROFILES = (ACTIVITY_PROFILE, AGENT_PROFILE)


# (method, kinds, versions, preconditions, current ETag, expected error or OK)
PRECONDITION_TABLE: list[tuple[str, tuple[str, ...], tuple[str, ...], Preconditions, str | None, type | None]] = [
    # If-Match: matches only the current ETag of an existing document, on every method, resource and version
    ("PUT", (STATE, *PROFILES), ("1.0.3", "2.0.0"), M, TAG, OK),
    ("PUT", (STATE, *PROFILES), ("1.0.3", "2.0.0"), M, OTHER, PreconditionFailedError),
    ("PUT", (STATE, *PROFILES), ("1.0.3", "2.0.0"), M, None, PreconditionFailedError),  # never creates
    ("PUT", (STATE, *PROFILES), ("1.0.3", "2.0.0"), M_ANY, OTHER, OK),
    ("PUT", (STATE, *PROFILES), ("1.0.3", "2.0.0"), M_ANY, None, PreconditionFailedError),
    ("POST", (STATE, *PROFILES), ("1.0.3", "2.0.0"), M, OTHER, PreconditionFailedError),
    ("POST", (STATE, *PROFILES), ("1.0.3", "2.0.0"), M, TAG, OK),
    ("DELETE", (STATE, *PROFILES), ("1.0.3", "2.0.0"), M, OTHER, PreconditionFailedError),
    ("DELETE", (STATE, *PROFILES), ("1.0.3", "2.0.0"), M, TAG, OK),
    ("DELETE", (STATE, *PROFILES), ("1.0.3", "2.0.0"), M, None, PreconditionFailedError),
    # If-None-Match: "*" only when nothing exists; a tag list when the current one is not listed
    ("PUT", (STATE, *PROFILES), ("1.0.3", "2.0.0"), N_ANY, None, OK),
    ("PUT", (STATE, *PROFILES), ("1.0.3", "2.0.0"), N_ANY, TAG, PreconditionFailedError),
    ("PUT", (STATE, *PROFILES), ("1.0.3", "2.0.0"), N_TAG, OTHER, OK),
    ("PUT", (STATE, *PROFILES), ("1.0.3", "2.0.0"), N_TAG, TAG, PreconditionFailedError),
    ("POST", (STATE, *PROFILES), ("1.0.3", "2.0.0"), N_ANY, TAG, PreconditionFailedError),
    # no header: PUT to an existing document is 409 for profiles (always) and State (2.0 only)
    ("PUT", PROFILES, ("1.0.3", "2.0.0"), NONE, TAG, ConflictError),
    ("PUT", (STATE,), ("2.0.0",), NONE, TAG, ConflictError),
    ("PUT", (STATE,), ("1.0.3",), NONE, TAG, OK),
    # ... and to a missing profile document 400 (the client MUST send one), a missing State document is fine
    ("PUT", PROFILES, ("1.0.3", "2.0.0"), NONE, None, BadRequestError),
    ("PUT", (STATE,), ("1.0.3", "2.0.0"), NONE, None, OK),
    # POST and DELETE never need a header
    ("POST", (STATE, *PROFILES), ("1.0.3", "2.0.0"), NONE, TAG, OK),
    ("POST", (STATE, *PROFILES), ("1.0.3", "2.0.0"), NONE, None, OK),
    ("DELETE", (STATE, *PROFILES), ("1.0.3", "2.0.0"), NONE, TAG, OK),
    ("DELETE", (STATE, *PROFILES), ("1.0.3", "2.0.0"), NONE, None, OK),
]


@pytest.mark.parametrize(
    ("method", "kind", "version", "pre", "current", "expected"),
    [
        (method, kind, version, pre, current, expected)
        for method, kinds, versions, pre, current, expected in PRECONDITION_TABLE
        for kind in kinds
        for version in versions
    ],
)
def test_precondition_decisions(
    method: str, kind: str, version: str, pre: Preconditions, current: str | None, expected: type[LRSError] | None
) -> None:
    if expected is None:
        check_preconditions(method, kind, version, pre, current)
    else:
        with pytest.raises(expected):
            check_preconditions(method, kind, version, pre, current)


def test_the_409_tells_the_client_to_use_if_match() -> None:
    with pytest.raises(ConflictError, match="If-Match"):
        check_preconditions("PUT", AGENT_PROFILE, "1.0.3", NONE, TAG)


def _stored(content: bytes, content_type: str = "application/json") -> Document:
    return Document("d", content, content_type, etag_of(content), 1)


def test_merge_overwrites_top_level_properties_only() -> None:
    current = _stored(b'{"x":"foo","y":"bar","n":{"a":1,"b":2}}')
    content, content_type = merged(current, Incoming.of(b'{"x":"bash","z":"faz","n":{"a":3}}', "application/json"))
    assert json.loads(content) == {"x": "bash", "y": "bar", "n": {"a": 3}, "z": "faz"}
    assert content_type == "application/json"


def test_a_post_to_a_missing_document_stores_it_as_sent() -> None:
    incoming = Incoming.of(b'{ "k" : 1 }', "application/json; charset=utf-8")
    assert merged(None, incoming) == (b'{ "k" : 1 }', "application/json; charset=utf-8")


@pytest.mark.parametrize(
    ("stored", "stored_type", "posted", "posted_type"),
    [
        (b'{"a":1}', "application/json", b"abc", "text/plain"),  # posted not JSON
        (b"abc", "application/octet-stream", b'{"a":1}', "application/json"),  # stored not JSON
        (b'{"a":1}', "application/json", b'{"a":1', "application/json"),  # posted not parseable
        (b'{"a":1}', "application/json", b"[1]", "application/json"),  # posted not an object
        (b"[1]", "application/json", b'{"a":1}', "application/json"),  # stored not an object
    ],
)
def test_merges_that_are_400(stored: bytes, stored_type: str, posted: bytes, posted_type: str) -> None:
    with pytest.raises(BadRequestError):
        merged(_stored(stored, stored_type), Incoming.of(posted, posted_type))


def test_a_missing_content_type_is_stored_as_octet_stream() -> None:
    assert Incoming.of(b"x", None).content_type == "application/octet-stream"
    assert Incoming.of(b"x", "  ").content_type == "application/octet-stream"


# --- the service, on a real file-backed store --------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    instance = SQLiteStore(tmp_path / "docs.sqlite3")
    instance.init_schema()
    return instance


def _json(body: object) -> Incoming:
    return Incoming.of(json.dumps(body).encode(), "application/json")


def test_service_round_trip_and_listing(store: SQLiteStore) -> None:
    times = iter([1_000_000, 2_000_000, 3_000_000])
    service = DocumentService(store, clock=lambda: next(times))
    service.write("PUT", T, STATE_CTX, "one", _json({"a": 1}), pre=NONE, version="1.0.3")
    service.write("PUT", T, STATE_CTX, "two", _json({"b": 2}), pre=NONE, version="1.0.3")
    assert service.get(T, STATE_CTX, "one").content == b'{"a": 1}'
    listed = service.list_ids(T, STATE_CTX)
    assert (listed.ids, listed.last_modified_us) == (["one", "two"], 2_000_000)
    assert service.list_ids(T, STATE_CTX, since_us=1_000_000).ids == ["two"]  # exclusive
    assert service.list_ids(T, STATE_CTX, since_us=2_000_000) == service.list_ids(T, STATE_CTX, 5_000_000)
    assert service.list_ids(T, STATE_CTX, since_us=5_000_000).last_modified_us is None
    with pytest.raises(NotFoundError):
        service.get(T, STATE_CTX, "three")


def test_updated_time_always_moves_forward(store: SQLiteStore) -> None:
    service = DocumentService(store, clock=lambda: 5)  # a clock that stands still
    first = service.write("POST", T, STATE_CTX, "d", _json({"a": 1}), pre=NONE, version="2.0.0")
    second = service.write("POST", T, STATE_CTX, "d", _json({"b": 1}), pre=NONE, version="2.0.0")
    assert second.updated_us > first.updated_us


def test_invalid_json_is_rejected_before_anything_is_read_or_written(store: SQLiteStore) -> None:
    service = DocumentService(store)
    with pytest.raises(BadRequestError):
        service.write("PUT", T, STATE_CTX, "d", Incoming.of(b"{nope", "application/json"), pre=NONE, version="1.0.3")
    with pytest.raises(BadRequestError):
        service.write("POST", T, STATE_CTX, "d", Incoming.of(b"[1, 2]", "application/json"), pre=NONE, version="1.0.3")
    assert store.get_document(T, STATE_CTX, "d") is None


def test_a_lost_race_is_decided_again_on_the_new_state(store: SQLiteStore) -> None:
    """Another writer changes the document between our read and our swap: our If-Match is then stale."""
    service = DocumentService(store)
    first = service.write("PUT", T, STATE_CTX, "d", _json({"v": 1}), pre=NONE, version="1.0.3")
    real_get = store.get_document
    calls = 0

    def get_then_interfere(tenant: str, context: DocumentContext, document_id: str) -> Document | None:
        nonlocal calls
        calls += 1
        found = real_get(tenant, context, document_id)
        if calls == 1:
            DocumentService(store).write("PUT", T, STATE_CTX, "d", _json({"v": 2}), pre=NONE, version="1.0.3")
        return found

    store.get_document = get_then_interfere  # type: ignore[method-assign]
    pre = Preconditions(if_match=EntityTags(strong=frozenset({first.etag})))
    with pytest.raises(PreconditionFailedError):
        service.write("PUT", T, STATE_CTX, "d", _json({"v": 3}), pre=pre, version="1.0.3")
    assert calls == 3  # our read, the other writer's read, our read again after the lost swap
    assert json.loads(real_get(T, STATE_CTX, "d").content) == {"v": 2}  # type: ignore[union-attr]


def test_endless_contention_ends_in_503(store: SQLiteStore) -> None:
    store.write_document = lambda *args, **kwargs: False  # type: ignore[method-assign]
    store.delete_document = lambda *args, **kwargs: False  # type: ignore[method-assign]
    store.get_document = lambda *args: _stored(b"{}")  # type: ignore[method-assign]
    pauses: list[float] = []
    service = DocumentService(store, max_attempts=5, pause=pauses.append)
    with pytest.raises(StorageUnavailableError):
        service.write("POST", T, STATE_CTX, "d", _json({"a": 1}), pre=NONE, version="1.0.3")
    with pytest.raises(StorageUnavailableError):
        service.delete(T, STATE_CTX, "d", pre=NONE, version="1.0.3")
    assert len(pauses) == 10 and all(0 <= p <= 0.05 for p in pauses)


def _run_concurrently(count: int, task) -> list[object]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(count)

    def run(index: int) -> object:
        barrier.wait()
        try:
            return task(index)
        except LRSError as exc:
            return type(exc)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_h6_twenty_concurrent_if_match_puts_have_one_winner(store: SQLiteStore) -> None:
    start = DocumentService(store).write("PUT", T, STATE_CTX, "d", _json({"v": -1}), pre=NONE, version="2.0.0")
    pre = Preconditions(if_match=EntityTags(strong=frozenset({start.etag})))

    def put(index: int) -> object:
        return DocumentService(store).write("PUT", T, STATE_CTX, "d", _json({"v": index}), pre=pre, version="2.0.0")

    results = _run_concurrently(20, put)
    winners = [r for r in results if isinstance(r, Document)]
    assert len(winners) == 1
    assert results.count(PreconditionFailedError) == 19
    assert store.get_document(T, STATE_CTX, "d") == winners[0]


def test_h7_twenty_concurrent_creates_have_one_winner(store: SQLiteStore) -> None:
    def create(index: int) -> object:
        return DocumentService(store).write("PUT", T, STATE_CTX, "d", _json({"v": index}), pre=N_ANY, version="2.0.0")

    results = _run_concurrently(20, create)
    assert sum(isinstance(r, Document) for r in results) == 1
    assert results.count(PreconditionFailedError) == 19


def test_h9_a_hundred_concurrent_merges_lose_nothing(store: SQLiteStore) -> None:
    def merge(index: int) -> object:
        return DocumentService(store).write(
            "POST", T, STATE_CTX, "d", _json({f"k{index}": index}), pre=NONE, version="2.0.0"
        )

    results = _run_concurrently(100, merge)
    assert all(isinstance(r, Document) for r in results), results
    final = json.loads(store.get_document(T, STATE_CTX, "d").content)  # type: ignore[union-attr]
    assert final == {f"k{i}": i for i in range(100)}
