"""The storage port: what the domain core needs from a store, and the records that cross it.

Two adapters implement :class:`Store`: ``sqlite.SQLiteStore`` (embedded default) and ``mongo.MongoStore``
(production).  Both pass the same contract suite (``tests/storage/test_contract.py``).

Rules every adapter follows:

* ``tenant`` is the first argument of every tenant-scoped call and is part of every key and every filter.
* A statement is stored as its exact JSON text (``body``) plus query fields computed once, at write time,
  by :func:`lrs.statement_fields.query_keys`.  The adapter never parses or rewrites a body, except for the
  two LRS-set properties it splices in with :func:`lrs.statement_body.finalize_body` (``stored`` and, when
  the client sent none, ``timestamp``), because ``stored`` must be taken inside the write's critical section.
* ``insert_statements`` is all-or-nothing.  When any id of the batch already exists for the tenant, nothing
  is written and the existing bodies are returned; the service decides between "same statement" and 409.
* Voiding: a record with ``voiding=True`` marks its ``ref_target`` voided when that target exists, is in the
  same tenant and is not itself a voiding statement; a statement that arrives after a voiding statement
  targeting it is stored already voided.
* StatementRef filter inheritance (xAPI Communication 2.1.3, "Filter Conditions for StatementRefs"): a record
  whose ``ref_target`` names a stored statement also matches every *inheritable* key of that target
  (recursively, in either arrival order).  Keys of kind ``authority`` are never inherited.
* The progress projection (trainings, progress events, progress rows: :mod:`lrs.progress.projection`) is
  written in the same all-or-nothing unit as the statements that change it; adapters store and read it, the
  rules stay in the shared helpers they call.
* Driver errors are translated to :class:`lrs.errors.StorageUnavailableError` (or a more precise
  ``LRSError``) at the adapter boundary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from lrs.progress.events import ProgressEvent


@dataclass(frozen=True)
class StatementRecord:
    """One statement ready to be written.

    ``body_template`` is the statement's JSON text without ``stored`` (and without ``timestamp`` when
    ``needs_timestamp`` is true); the adapter completes it with ``finalize_body``.
    """

    statement_id: str  # lowercase canonical UUID
    body_template: str
    keys: frozenset[str]  # query keys of this statement alone (see lrs.statement_fields)
    needs_timestamp: bool = False
    ref_target: str | None = None  # id of the statement its object references (StatementRef), lowercase
    voiding: bool = False  # verb is http://adlnet.gov/expapi/verbs/voided and object is a StatementRef
    activity_definitions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    attachment_hashes: tuple[str, ...] = ()
    # The sender holds the ``define`` scope.  Without it, ``activity_definitions`` only create canonical
    # definitions the tenant does not have yet (lrs.definitions.apply_definitions); the body is unchanged.
    define: bool = True
    # Progress events of this statement about the tenant's trainings, or its standalone (microlearning) event
    # (lrs.progress.projection.statement_events); the adapter stores them unless the statement is stored already voided (see "progress projection" below).
    progress_events: tuple[ProgressEvent, ...] = ()


@dataclass(frozen=True)
class StoredStatement:
    statement_id: str
    body: str  # final JSON text, exactly as stored
    stored_us: int  # microseconds since the Unix epoch, UTC
    voided: bool


@dataclass(frozen=True)
class StatementQuery:
    """A statement query in storage terms.

    Every key in ``keys`` must match (AND).  Voided statements never match.  ``since_us`` is exclusive,
    ``until_us`` inclusive, both on ``stored``.  Results are ordered by ``stored`` then by insertion order
    (descending unless ``ascending``).  ``after`` is an adapter-opaque position returned by a previous page.
    """

    keys: tuple[str, ...] = ()
    since_us: int | None = None
    until_us: int | None = None
    ascending: bool = False
    limit: int = 100
    after: str | None = None


@dataclass(frozen=True)
class StatementPage:
    statements: list[StoredStatement]
    next_after: str | None  # position after the last returned statement, None when nothing follows


@dataclass(frozen=True)
class AuditEntry:
    """One administrative action: who (actor key and role), what (action, target), where (tenant), when, from
    where (remote address, request id).  ``details`` never holds a secret or a secret hash."""

    entry_id: str
    time_us: int
    actor_key: str  # credential key, or "cli"
    actor_role: str
    action: str  # e.g. "tenant.create", "credential.revoke"
    target: str  # tenant slug or credential key
    tenant: str  # the tenant concerned; "" for platform-level actions (operator credentials)
    remote_addr: str
    request_id: str
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditQuery:
    """Audit entries matching every given filter, newest first.  ``since_us`` exclusive, ``until_us``
    inclusive (as for statements)."""

    tenant: str | None = None
    actor: str | None = None
    action: str | None = None
    since_us: int | None = None
    until_us: int | None = None
    limit: int = 100


@dataclass(frozen=True)
class Tenant:
    slug: str
    name: str
    status: str  # "active" or "suspended"
    created_us: int


@dataclass(frozen=True)
class Credential:
    key: str  # public identifier (the Basic-auth username)
    tenant: str
    secret_hash: str  # "scrypt$..." string from auth.secrets; never the secret itself
    scopes: tuple[str, ...]
    label: str
    created_us: int
    revoked_us: int | None = None
    # xAPI version this client speaks by default: answers to requests without a valid
    # X-Experience-API-Version header carry it ("1.0.3" or "2.0.0").
    xapi_version: str = "2.0.0"
    role: str = "client"  # auth.roles: operator credentials have tenant "" (bound to no tenant)
    rotated_us: int | None = None  # when the secret was last replaced


# documents (State, Activity Profile and Agent Profile resources) ------------------------------------------
DOCUMENT_KINDS = ("state", "activity_profile", "agent_profile")


@dataclass(frozen=True)
class DocumentContext:
    """Where a document lives: its resource (``kind``) and the context the resource scopes ids to.

    Unused parts are ``""``: an Activity Profile has no ``agent``, an Agent Profile no ``activity_id``, and only
    State documents have a ``registration``.  ``agent`` is the IFI key of the Agent (``lrs.agents.ifi_key``).
    ``registration`` ``None`` means "no registration" for a single document and "any registration" when listing
    or deleting every document of the context.
    """

    kind: str  # one of DOCUMENT_KINDS
    activity_id: str = ""
    agent: str = ""
    registration: str | None = None


@dataclass(frozen=True)
class Document:
    document_id: str
    content: bytes  # exactly the stored bytes
    content_type: str  # the Content-Type the document was stored with
    etag: str  # lowercase hex SHA-1 of ``content`` (without quotes)
    updated_us: int  # microseconds since the Unix epoch, UTC: when the document last changed


# progress projection (trainings, progress events and rows; lrs/storage/*_progress.py) ----------------------
class ProgressVersionChanged(Exception):  # a signal, not an error: the caller retries
    """Raised by ``insert_statements`` (nothing written) when the tenant's trainings changed since the caller
    computed the records' ``progress_events``: reload the trainings, recompute the events and retry."""


@dataclass(frozen=True)
class StoredTraining:
    """A training as stored: ``body`` is the JSON text of ``lrs.progress.training.training_to_json``."""

    training_id: str
    body: str
    version: int  # the tenant's trainings version this definition was stored with
    built_version: int  # the version whose events and rows the projection holds (== version: up to date)


@dataclass(frozen=True)
class ProgressRowRecord:
    """One participant's progress row: the row as JSON text (``lrs.progress.projection.row_to_text``) plus the
    fields reads filter on."""

    training: str
    learner: str  # IFI key
    status: str  # lrs.progress.rules.Status value
    last_activity_us: int | None
    row: str
    view: str | None = None  # the row as the API shows it (lrs.progress.views.row_view_text); None: render it


@dataclass(frozen=True)
class ProgressRowQuery:
    """Rows of one training, ordered by learner key.  Every given filter must match.  ``after`` is the learner
    key of the last row of the previous page (exclusive).  ``active_since_us`` keeps rows whose last activity is
    at or after it; ``inactive_since_us`` keeps rows without activity since then (last activity before it, or
    none at all)."""

    statuses: tuple[str, ...] = ()
    active_since_us: int | None = None
    inactive_since_us: int | None = None
    after: str | None = None
    limit: int = 1000


@dataclass(frozen=True)
class MicroEventQuery:
    """Microlearning events of one tenant with ``since_us <= at_us < before_us``, of one learner (IFI key) when
    ``learner`` is given."""

    since_us: int
    before_us: int
    learner: str | None = None


class Store(Protocol):
    """The storage port."""

    # lifecycle -------------------------------------------------------------------------------------
    def init_schema(self) -> None:
        """Create tables/collections and indexes; idempotent."""

    def close(self) -> None: ...

    def ping(self) -> None:
        """Raise StorageUnavailableError when the store cannot serve requests."""

    def get_or_create_secret(self, name: str, length: int = 32) -> bytes:
        """A random secret shared by every worker and kept across restarts (e.g. the cursor signing key)."""

    # tenants and credentials ----------------------------------------------------------------------
    def create_tenant(self, tenant: Tenant) -> None:
        """Raise ConflictError when the slug exists."""

    def get_tenant(self, slug: str) -> Tenant | None: ...

    def list_tenants(self) -> list[Tenant]: ...

    def add_credential(self, credential: Credential) -> None:
        """Raise ConflictError when the key exists."""

    def get_credential(self, key: str) -> Credential | None: ...

    def list_credentials(self, tenant: str) -> list[Credential]: ...

    # administration (lrs/storage/*_admin.py) ------------------------------------------------------
    def update_tenant(self, slug: str, *, name: str | None = None, status: str | None = None) -> Tenant | None:
        """Set the given fields; the updated tenant, or None when the slug is unknown."""

    def revoke_credential(self, key: str, revoked_us: int) -> bool:
        """Mark the credential revoked; False when the key is unknown or already revoked."""

    def replace_credential_secret(self, key: str, secret_hash: str, rotated_us: int) -> bool:
        """Store a new secret hash (the old secret stops working); False when unknown or revoked."""

    def append_audit(self, entry: AuditEntry) -> None: ...

    def query_audit(self, query: AuditQuery) -> list[AuditEntry]:
        """Entries matching every filter of ``query``, newest first, at most ``query.limit``."""

    # statements -----------------------------------------------------------------------------------
    def insert_statements(
        self,
        tenant: str,
        records: Sequence[StatementRecord],
        attachments: Mapping[str, bytes] | None = None,
        *,
        progress_version: int | None = None,
    ) -> dict[str, str]:
        """Write all records atomically, or none.

        Returns ``{}`` when everything was written.  When some ids already exist for this tenant, writes
        nothing and returns ``{statement_id: existing final body}`` for each of them.  ``attachments``
        (lowercase sha2 → content) are written with the records, in the same all-or-nothing unit, once per
        tenant and hash: content already stored for the tenant under that hash is kept as it is.

        The progress projection is maintained in the same unit: the records' ``progress_events`` are stored
        (not those of a record stored already voided; a record without a client timestamp gets ``stored`` as
        the events' time; standalone events, ``training == ""``, as microlearning events), the events of
        statements a voiding record voids are deleted (microlearning ones too), and the rows of every
        participant concerned are marked dirty: the next read of them (:meth:`list_progress_rows`,
        :meth:`get_progress_row`) refolds them first (``lrs.progress.projection.refold_pairs``), so a read
        always sees every committed batch and ingest does not pay for a refold per batch.  ``progress_version`` is
        the trainings version the events were computed with (stored with them): when it is no longer the
        tenant's, :class:`ProgressVersionChanged` is raised and nothing is written (None: no check, version 0).
        """

    def get_attachments(self, tenant: str, sha2s: Sequence[str]) -> dict[str, bytes]:
        """Stored attachment content of this tenant by lowercase sha2 (hashes without content are absent)."""

    def get_statement(self, tenant: str, statement_id: str) -> StoredStatement | None:
        """The statement with this id in this tenant, voided or not (the caller checks ``voided``)."""

    def query_statements(self, tenant: str, query: StatementQuery) -> StatementPage: ...

    def get_activity_definitions(self, tenant: str, activity_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Canonical definitions (merged by lrs.definitions.merge_definition) of the given activities."""

    def consistent_through_us(self) -> int:
        """A time before which every statement that has or will have that ``stored`` is readable now
        (``X-Experience-API-Consistent-Through``).  Call it before reading, never after."""

    def count_statements(self, tenant: str) -> int:
        """Number of stored statements of the tenant, voided ones included (for tests and operators)."""

    # documents ------------------------------------------------------------------------------------
    # Values (ids, IRIs, agent keys) are matched literally, never as patterns, operators or field paths.
    def get_document(self, tenant: str, context: DocumentContext, document_id: str) -> Document | None: ...

    def list_documents(self, tenant: str, context: DocumentContext, since_us: int | None = None) -> list[Document]:
        """Documents of the context (any registration when ``context.registration`` is None) updated strictly
        after ``since_us``, oldest first; ``content`` is left empty (b"")."""

    def write_document(
        self, tenant: str, context: DocumentContext, document: Document, *, expected_etag: str | None
    ) -> bool:
        """Compare-and-swap: create the document when ``expected_etag`` is None and it does not exist, or replace
        it when its current ETag equals ``expected_etag``.  False (nothing written) when the condition fails."""

    def delete_document(self, tenant: str, context: DocumentContext, document_id: str, *, expected_etag: str) -> bool:
        """Delete the document if its current ETag equals ``expected_etag``; False otherwise (nothing deleted)."""

    def delete_documents(self, tenant: str, context: DocumentContext) -> int:
        """Delete every document of the context (any registration when ``context.registration`` is None)."""

    # quotas and rate counters (lrs/storage/*_quotas.py) -------------------------------------------
    def get_quota_overrides(self, tenant: str) -> dict[str, int]:
        """The tenant's quota overrides (see lrs.quotas.QUOTA_NAMES); {} when it has none."""

    def set_quota_overrides(self, tenant: str, overrides: Mapping[str, int]) -> None:
        """Replace the tenant's overrides with ``overrides`` ({} removes them all)."""

    def increment_counter(self, name: str, window: int, expires_us: int) -> int:
        """Atomically add one to counter ``name`` in ``window`` and return the new count.  Counters are shared by
        every worker and host but need not survive a crash; they may be dropped after ``expires_us``."""

    def read_counters(self, names: Sequence[str], window: int) -> list[int]:
        """The counts of ``names`` in ``window`` (0 when never incremented), in the order given."""

    # progress projection (lrs/storage/*_progress.py) ---------------------------------------------
    def trainings_version(self, tenant: str) -> int:
        """The tenant's trainings version: 0 before its first training, bumped by every put and delete."""

    def put_training(self, tenant: str, training_id: str, body: str) -> StoredTraining:
        """Create or replace a training and bump the tenant's trainings version (the stored training carries the
        new version; ``built_version`` stays what it was until :meth:`replace_training_progress`)."""

    def get_training(self, tenant: str, training_id: str) -> StoredTraining | None: ...

    def list_trainings(self, tenant: str) -> list[StoredTraining]:
        """The tenant's trainings, by id."""

    def delete_training(self, tenant: str, training_id: str) -> bool:
        """Delete a training with its events and rows and bump the version; False when it does not exist."""

    def replace_training_progress(
        self, tenant: str, training_id: str, events: Sequence[ProgressEvent], *, version: int
    ) -> bool:
        """Rebuild one training's projection, atomically, from ``events``: the training's events computed from
        every statement stored when the caller read them, with the definition of ``version``.  Stored events of
        the training computed with an older version go; ``events`` replace those of the same statements; events
        written meanwhile by ingest with this version or a later one stay; events of statements voided
        meanwhile are dropped.  Then every participant's row is refolded and ``built_version`` becomes
        ``version``.  False, nothing written, when the training is gone or its version is no longer ``version``
        (the newer definition is rebuilt by whoever stored it)."""

    def list_progress_rows(self, tenant: str, training_id: str, query: ProgressRowQuery) -> list[ProgressRowRecord]:
        """One indexed range read: the training's rows matching ``query``, by learner key, at most ``limit``.
        The training's rows marked dirty by ingest are refolded first (from their participants' events, never
        statements; a clean training costs one indexed lookup), so the rows are those of every committed
        event."""

    def get_progress_row(self, tenant: str, training_id: str, learner: str) -> ProgressRowRecord | None:
        """One participant's row (refolded first when ingest marked it dirty); None when not a participant."""

    def latest_stored_us(self) -> int:
        """The ``stored`` time of the newest statement of any tenant (0: none): whether ingest is going on."""

    def dirty_trainings(self, limit: int) -> list[tuple[str, str]]:
        """Up to ``limit`` (tenant, training id) pairs that have rows marked dirty by ingest (any order)."""

    def settle_progress(self, tenant: str, training_id: str, limit: int) -> int:
        """Refold up to ``limit`` of the training's dirty rows now (what a read would do first), in one unit of
        work; how many were refolded (0: the training was clean).  For a background step between requests."""

    def get_progress_events(self, tenant: str, training_id: str, learner: str) -> list[ProgressEvent]:
        """The stored events of one participant in one training (any order)."""

    def list_micro_events(self, tenant: str, query: MicroEventQuery) -> list[ProgressEvent]:
        """The tenant's microlearning events matching ``query``, in no particular order: an indexed read of the
        blocks of the period (or of the learner's blocks), never of statements."""

    def replace_micro_events(
        self, tenant: str, statement_ids: Sequence[str], events: Sequence[ProgressEvent], *, version: int
    ) -> bool:
        """Atomically: delete the microlearning events of ``statement_ids``, then store ``events`` (standalone
        events of those statements computed with the trainings of ``version``), except those of statements voided
        meanwhile.  False, nothing written, when the tenant's trainings version is no longer ``version``."""

    def clear_micro_events(self, tenant: str) -> None:
        """Delete every microlearning event of the tenant (a full rebuild stores them again)."""
