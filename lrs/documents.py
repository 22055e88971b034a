"""The document resources (State, Activity Profile, Agent Profile): ETags, preconditions, JSON merge.

xAPI Communication 2.2 (documents), 2.3/2.6/2.7 (the three resources) and 3.1 (concurrency); xAPI 2.0 4.1.4.

* A document is stored byte for byte with its Content-Type; its ETag is the lowercase hex SHA-1 of the bytes.
* Preconditions (``If-Match``, ``If-None-Match``) follow RFC 7232 and are honoured on PUT, POST and DELETE; a
  failed one is 412.  A PUT with neither header to an existing document is 409 (Agent and Activity Profile in
  every version, State under xAPI 2.0); to a missing profile document it is 400, since the client MUST send
  one of them (the ADL suite checks this under 1.0.3).  A State PUT under 1.0.3 may be unconditional.
* POST merges JSON objects one level deep (both sides ``application/json`` objects, else 400); a POST to a
  missing document stores it as a PUT would.
* Every write is a read, a pure decision and a compare-and-swap on the ETag that was read (or on "absent");
  when the swap loses a race the decision is taken again on the new state.  So a PUT with ``If-Match`` never
  creates a document, exactly one of many PUTs carrying the same ``If-Match`` wins, and no merge is lost.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lrs.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    PreconditionFailedError,
    StorageUnavailableError,
)
from lrs.jsontext import dumps, loads
from lrs.storage.port import Document, DocumentContext, Store
from lrs.timeutil import now_us

STATE = "state"
ACTIVITY_PROFILE = "activity_profile"
AGENT_PROFILE = "agent_profile"
JSON_TYPE = "application/json"
DEFAULT_TYPE = "application/octet-stream"
MAX_WRITE_ATTEMPTS = 200  # compare-and-swap retries of one request before it answers 503


def etag_of(content: bytes) -> str:
    """The ETag of a document: lowercase hex SHA-1 of its bytes (xAPI 1.0.3 Communication 3.1)."""
    return hashlib.sha1(content, usedforsecurity=False).hexdigest()


def is_json(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == JSON_TYPE


# --- preconditions -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntityTags:
    """A parsed ``If-Match`` / ``If-None-Match`` value: ``*`` or a list of (strong or weak) entity tags."""

    wildcard: bool = False
    strong: frozenset[str] = frozenset()
    weak: frozenset[str] = frozenset()

    def matches(self, etag: str | None, *, weak_comparison: bool) -> bool:
        """Whether the current ETag (None: no document) matches (RFC 7232 2.3.2 strong or weak comparison)."""
        if etag is None:
            return False
        if self.wildcard:
            return True
        return etag in self.strong or (weak_comparison and etag in self.weak)


def parse_entity_tags(header: str | None, name: str) -> EntityTags | None:
    """``*`` or a comma-separated list of entity tags; None when the header is absent.

    Tags are compared case-insensitively (ours are lowercase hex) and an unquoted tag is read as if quoted,
    since clients often send the bare hash.
    """
    if header is None:
        return None
    value = header.strip()
    if value == "*":
        return EntityTags(wildcard=True)
    strong: set[str] = set()
    weak: set[str] = set()
    for item in value.split(","):
        tag = item.strip()
        target = strong
        if tag[:2] in ("W/", "w/"):
            tag, target = tag[2:], weak
        if len(tag) >= 2 and tag[0] == tag[-1] == '"':
            tag = tag[1:-1]
        if not tag or '"' in tag:
            raise BadRequestError(f"the {name} header must be '*' or a list of quoted ETags", errors={"path": name})
        target.add(tag.lower())
    return EntityTags(strong=frozenset(strong), weak=frozenset(weak))


@dataclass(frozen=True)
class Preconditions:
    if_match: EntityTags | None = None
    if_none_match: EntityTags | None = None

    @classmethod
    def from_headers(cls, if_match: str | None, if_none_match: str | None) -> Preconditions:
        return cls(parse_entity_tags(if_match, "If-Match"), parse_entity_tags(if_none_match, "If-None-Match"))

    @property
    def given(self) -> bool:
        return self.if_match is not None or self.if_none_match is not None


_USE_IF_MATCH = (
    "the document already exists: GET it to see its current state, then send the PUT again with an If-Match"
    " header carrying its ETag (or If-None-Match: * to create a document only when none exists)"
)


def check_preconditions(method: str, kind: str, version: str, pre: Preconditions, current: str | None) -> None:
    """Raise the error a write must fail with, given the ETag of the current document (None: no document).

    ``method`` is PUT, POST or DELETE; ``version`` the request's rule set ("1.0.3" or "2.0.0").
    """
    if pre.if_match is not None and not pre.if_match.matches(current, weak_comparison=False):
        problem = "no document exists" if current is None else "the document has changed (its ETag differs)"
        raise PreconditionFailedError(f"If-Match failed: {problem}")
    if pre.if_none_match is not None and pre.if_none_match.matches(current, weak_comparison=True):
        raise PreconditionFailedError("If-None-Match failed: a matching document exists")
    if method != "PUT" or pre.given:
        return
    if current is not None and (kind != STATE or version == "2.0.0"):
        raise ConflictError(_USE_IF_MATCH)
    if current is None and kind != STATE:
        raise BadRequestError(
            "a PUT to a profile document must carry If-Match (to replace a document) or If-None-Match: * (to create"
            " one)"
        )


# --- contents ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    """The body of a PUT or POST."""

    content: bytes
    content_type: str  # as received; DEFAULT_TYPE when the request had none

    @classmethod
    def of(cls, content: bytes, content_type: str | None) -> Incoming:
        return cls(content, (content_type or "").strip() or DEFAULT_TYPE)


def _json_object(content: bytes, what: str) -> dict[str, Any]:
    value = loads(content, what=what)
    if not isinstance(value, dict):
        raise BadRequestError(f"{what} must be a JSON object to be merged")
    return value


def check_put_body(incoming: Incoming) -> None:
    """A document declared ``application/json`` must be valid JSON (a later GET must never emit invalid JSON)."""
    if is_json(incoming.content_type):
        loads(incoming.content, what="the document")


def check_post_body(incoming: Incoming) -> None:
    """A posted ``application/json`` document must be a JSON object, whether or not a document exists."""
    if is_json(incoming.content_type):
        _json_object(incoming.content, "the posted document")


def merged(current: Document | None, incoming: Incoming) -> tuple[bytes, str]:
    """Content and Content-Type after a POST (Communication 2.2, JSON Procedure): a missing document is
    stored as posted; an existing one is merged one level deep when both are JSON objects, else 400."""
    if current is None:
        return incoming.content, incoming.content_type
    if not is_json(incoming.content_type):
        raise BadRequestError(
            "a POST to an existing document merges JSON: send Content-Type application/json, or PUT to replace it"
        )
    if not is_json(current.content_type):
        raise BadRequestError("the existing document is not application/json, so it cannot be merged; PUT to replace")
    posted = _json_object(incoming.content, "the posted document")
    stored = _json_object(current.content, "the existing document")
    return dumps({**stored, **posted}).encode("utf-8"), JSON_TYPE


# --- the service -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentList:
    ids: list[str]
    last_modified_us: int | None  # the newest ``updated`` among them; None when there are none


class DocumentService:
    """Document operations of one store; stateless, so cheap to build per request."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], int] = now_us,
        max_attempts: int = MAX_WRITE_ATTEMPTS,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self._store = store
        self._clock = clock
        self._max_attempts = max_attempts
        self._pause = pause

    def get(self, tenant: str, context: DocumentContext, document_id: str) -> Document:
        found = self._store.get_document(tenant, context, document_id)
        if found is None:
            raise NotFoundError("no document with this id exists in this context")
        return found

    def list_ids(self, tenant: str, context: DocumentContext, since_us: int | None = None) -> DocumentList:
        found = self._store.list_documents(tenant, context, since_us)
        return DocumentList([d.document_id for d in found], max((d.updated_us for d in found), default=None))

    def write(
        self,
        method: str,
        tenant: str,
        context: DocumentContext,
        document_id: str,
        incoming: Incoming,
        *,
        pre: Preconditions,
        version: str,
    ) -> Document:
        """PUT (replace or create) or POST (merge JSON objects, or create) one document."""
        if method == "PUT":
            check_put_body(incoming)
        else:
            check_post_body(incoming)

        def decide(current: Document | None) -> tuple[bytes, str]:
            check_preconditions(method, context.kind, version, pre, current.etag if current else None)
            return (incoming.content, incoming.content_type) if method == "PUT" else merged(current, incoming)

        return self._write(tenant, context, document_id, decide)

    def delete(
        self, tenant: str, context: DocumentContext, document_id: str, *, pre: Preconditions, version: str
    ) -> None:
        for attempt in range(self._max_attempts):
            current = self._store.get_document(tenant, context, document_id)
            check_preconditions("DELETE", context.kind, version, pre, current.etag if current else None)
            if current is None or self._store.delete_document(tenant, context, document_id, expected_etag=current.etag):
                return
            self._back_off(attempt)
        raise _too_busy()

    def delete_all(self, tenant: str, context: DocumentContext) -> int:
        return self._store.delete_documents(tenant, context)

    def _write(
        self,
        tenant: str,
        context: DocumentContext,
        document_id: str,
        decide: Callable[[Document | None], tuple[bytes, str]],
    ) -> Document:
        """Read, decide (may raise), compare-and-swap; again on a lost race."""
        for attempt in range(self._max_attempts):
            current = self._store.get_document(tenant, context, document_id)
            content, content_type = decide(current)
            updated_us = self._clock() if current is None else max(self._clock(), current.updated_us + 1)
            document = Document(document_id, content, content_type, etag_of(content), updated_us)
            expected = current.etag if current else None
            if self._store.write_document(tenant, context, document, expected_etag=expected):
                return document
            self._back_off(attempt)
        raise _too_busy()

    def _back_off(self, attempt: int) -> None:
        self._pause(random.uniform(0, min(0.05, 0.0005 * 2**attempt)))  # noqa: S311  (jitter, not security)


def _too_busy() -> StorageUnavailableError:
    return StorageUnavailableError("too many concurrent changes to this document; retry")
