"""MongoDB adapter: the production store (pymongo; replica set or sharded cluster), tested on mongomock.

Layout (one database):

* ``statements``: one document per statement: ``tenant``, ``statement_id`` (lowercase), ``stored_us``,
  ``body`` (the final JSON text, kept as a *string*: extension keys may contain ``.`` or start with ``$``),
  ``keys`` (effective query keys: the statement's own keys plus those inherited through StatementRefs),
  ``own_keys``, ``ref_target``, ``voiding``, ``voided``, ``attachment_hashes``.  ``_id`` is an ObjectId set by
  this adapter in batch order; results are ordered by ``(stored_us, _id)``.
* ``activities``: canonical Activity definitions per ``(tenant, activity_id)``, as JSON text
  (``definition_json``) with a ``version`` counter for optimistic read-modify-write.
* ``tenants``, ``credentials``: the admin records of the port.
* ``meta``: shared secrets (``secret:<name>``) and the per-tenant ``stored`` clock (``clock:<tenant>``).

Atomic batches: on a replica set or behind mongos every batch runs in one multi-document transaction;
elsewhere (a standalone server, mongomock) the batch is written with an undo log and compensated on failure.
The choice is made in exactly one place, :meth:`MongoStore._atomic`.

Only operations that both MongoDB and mongomock 4.3 implement are used (no ``$expr``, no aggregation date
operators, no sessions outside the transactional path).  Note that ``{"$all": []}`` matches everything on
mongomock and nothing on MongoDB, so an empty key list never reaches a filter.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import pairwise
from typing import Any, TypeVar

import pymongo
from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import (
    BulkWriteError,
    DuplicateKeyError,
    OperationFailure,
    PyMongoError,
)
from pymongo.errors import ConfigurationError as MongoConfigurationError
from pymongo.read_concern import ReadConcern
from pymongo.read_preferences import ReadPreference
from pymongo.write_concern import WriteConcern

from lrs.definitions import apply_definitions
from lrs.errors import BadRequestError, ConfigurationError, ConflictError, StorageUnavailableError
from lrs.statement_body import finalize_body
from lrs.statement_fields import is_inheritable
from lrs.storage.mongo_admin import MongoAdminMixin
from lrs.storage.mongo_attachments import MongoAttachments
from lrs.storage.mongo_common import ensure_collections, translate_errors
from lrs.storage.mongo_documents import MongoDocuments
from lrs.storage.mongo_progress import MongoProgress, check_progress_version
from lrs.storage.mongo_quotas import MongoQuotas
from lrs.storage.port import (
    Credential,
    StatementPage,
    StatementQuery,
    StatementRecord,
    StoredStatement,
    Tenant,
)
from lrs.timeutil import stored_now_us

log = logging.getLogger(__name__)

T = TypeVar("T")
Document = dict[str, Any]

DEFAULT_DATABASE = "lrs"
SERVER_SELECTION_TIMEOUT_MS = 5_000
CONNECT_TIMEOUT_MS = 5_000
MAX_REFERENCE_DEPTH = 64  # bound of the StatementRef propagation (chains longer than this are not followed)
MAX_DUPLICATE_RETRIES = 3  # a lost insert race whose winner vanished (it was compensated) is retried
MAX_DEFINITION_RETRIES = 8  # optimistic read-modify-write of an activity definition
_DUPLICATE_KEY = 11000
_STATEMENT_FIELDS = {"_id": 1, "statement_id": 1, "body": 1, "stored_us": 1, "voided": 1}

COLLECTIONS = ("statements", "activities", "tenants", "credentials", "meta", "attachments")
# Index specifications: (collection, keys, options).  Created by init_schema; creating them again is a no-op.
INDEXES: tuple[tuple[str, list[tuple[str, int]], dict[str, Any]], ...] = (
    ("statements", [("tenant", ASCENDING), ("statement_id", ASCENDING)], {"unique": True}),
    (
        "statements",
        [("tenant", ASCENDING), ("voided", ASCENDING), ("stored_us", DESCENDING), ("_id", DESCENDING)],
        {},
    ),
    ("statements", [("tenant", ASCENDING), ("keys", ASCENDING), ("stored_us", DESCENDING)], {}),
    ("statements", [("tenant", ASCENDING), ("ref_target", ASCENDING)], {}),
    ("activities", [("tenant", ASCENDING), ("activity_id", ASCENDING)], {"unique": True}),
    ("credentials", [("key", ASCENDING)], {"unique": True}),
    ("credentials", [("tenant", ASCENDING), ("created_us", ASCENDING)], {}),
    ("tenants", [("slug", ASCENDING)], {"unique": True}),
    ("attachments", [("tenant", ASCENDING), ("sha2", ASCENDING), ("n", ASCENDING)], {"unique": True}),
)


# pure functions: positions and filters --------------------------------------------------------------
def encode_position(stored_us: int, object_id: ObjectId) -> str:
    """The opaque ``after`` position of a statement: its ``stored_us`` and ``_id``."""
    return f"{stored_us}-{object_id}"


def decode_position(position: str) -> tuple[int, ObjectId]:
    try:
        stored_text, _, oid_text = position.partition("-")
        return int(stored_text), ObjectId(oid_text)
    except (ValueError, TypeError, InvalidId) as exc:
        raise BadRequestError("invalid statement position (more link)") from exc


def statement_filter(tenant: str, query: StatementQuery) -> Document:
    """The Mongo filter of a statement query (keys AND-ed, voided excluded, since/until/after bounds)."""
    flt: Document = {"tenant": tenant, "voided": False}
    keys = sorted(set(query.keys))
    if keys:  # never {"$all": []}: it matches nothing on MongoDB and everything on mongomock
        flt["keys"] = {"$all": keys}
    stored: Document = {}
    if query.since_us is not None:
        stored["$gt"] = query.since_us
    if query.until_us is not None:
        stored["$lte"] = query.until_us
    if stored:
        flt["stored_us"] = stored
    if query.after is not None:
        after_us, after_id = decode_position(query.after)
        beyond = "$gt" if query.ascending else "$lt"
        flt["$or"] = [{"stored_us": {beyond: after_us}}, {"stored_us": after_us, "_id": {beyond: after_id}}]
    return flt


def statement_sort(ascending: bool) -> list[tuple[str, int]]:
    direction = ASCENDING if ascending else DESCENDING
    return [("stored_us", direction), ("_id", direction)]


def _is_duplicate_key(exc: PyMongoError) -> bool:
    if isinstance(exc, DuplicateKeyError):
        return True
    if isinstance(exc, BulkWriteError):
        errors = (exc.details or {}).get("writeErrors") or []
        return any(error.get("code") == _DUPLICATE_KEY for error in errors)
    return False


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# units of work ------------------------------------------------------------------------------------
@dataclass
class _Unit:
    """One unit of work: the session every operation runs in (None without a transaction) and, when there is
    no transaction, the undo actions that compensate what was written so far."""

    session: Any = None
    undo: list[Callable[[], None]] = field(default_factory=list)

    def on_rollback(self, action: Callable[[], None]) -> None:
        if self.session is None:  # a transaction rolls back by itself
            self.undo.append(action)

    def rollback(self) -> None:
        for action in reversed(self.undo):
            try:
                action()
            except PyMongoError as exc:  # best effort: the original error is what the caller sees
                log.error("mongo compensation step failed: %s", type(exc).__name__)
        self.undo.clear()


@dataclass
class _Written:
    """Outcome of one batch: the existing bodies when some ids were already stored, else {}."""

    existing: dict[str, str]


class MongoStore(MongoDocuments, MongoAdminMixin, MongoAttachments, MongoQuotas, MongoProgress):
    """The MongoDB store.  Takes ownership of ``client`` (``close()`` closes it)."""

    def __init__(
        self,
        client: Any,
        database: str,
        *,
        max_time_ms: int = 5000,
        use_transactions: bool | None = None,
        require_transactions: bool = False,
    ) -> None:
        self._client = client
        self._require_transactions = require_transactions
        self._db = client[database]
        self._max_time_ms = max_time_ms
        self._use_transactions = use_transactions  # None: detected on first write
        self._statements = self._db["statements"]
        self._activities = self._db["activities"]
        self._tenants = self._db["tenants"]
        self._credentials = self._db["credentials"]
        self._meta = self._db["meta"]

    @classmethod
    def from_uri(
        cls, uri: str, database: str | None = None, *, max_time_ms: int = 5000, allow_standalone: bool = False
    ) -> MongoStore:
        """A store on a new client with the settings that encode "no acknowledged write is lost".

        The client connects lazily (first operation), so building it is safe before gunicorn forks.
        """
        try:
            client: Any = pymongo.MongoClient(
                uri,
                w="majority",
                journal=True,
                retryWrites=True,
                retryReads=True,
                serverSelectionTimeoutMS=SERVER_SELECTION_TIMEOUT_MS,
                connectTimeoutMS=CONNECT_TIMEOUT_MS,
                appname="lrs",
                connect=False,
            )
        except (MongoConfigurationError, ValueError, TypeError) as exc:  # InvalidURI is a ConfigurationError
            # The driver's message may quote parts of the URI (credentials); say only what kind of problem it is.
            raise ConfigurationError(f"LRS_MONGO_URI is not a valid MongoDB URI ({type(exc).__name__})") from exc
        name = database or client.get_default_database(DEFAULT_DATABASE).name
        return cls(client, name, max_time_ms=max_time_ms, require_transactions=not allow_standalone)

    # helpers ---------------------------------------------------------------------------------------
    def _find(
        self,
        collection: Any,
        flt: Document,
        projection: Document | None = None,
        *,
        session: Any = None,
        sort: list[tuple[str, int]] | None = None,
        limit: int = 0,
    ) -> list[Document]:
        cursor = collection.find(flt, projection, session=session).max_time_ms(self._max_time_ms)
        if sort:
            cursor = cursor.sort(sort)
        if limit:
            cursor = cursor.limit(limit)
        return list(cursor)

    def _find_one(self, collection: Any, flt: Document, projection: Document | None = None, **kw: Any) -> Any:
        found = self._find(collection, flt, projection, limit=1, **kw)
        return found[0] if found else None

    # lifecycle -------------------------------------------------------------------------------------
    def init_schema(self) -> None:
        with translate_errors("init_schema"):
            # Collections are created up front: a transaction must not be the first to write to one.
            ensure_collections(self._db, COLLECTIONS)
            for collection, keys, options in INDEXES:
                self._db[collection].create_index(keys, **options)
            self._init_documents()
            self._init_admin_schema()
            self._init_quotas()
            self._init_progress()
        if self._require_transactions and not self.transactions_enabled():
            raise ConfigurationError(
                "LRS_MONGO_URI names a standalone MongoDB server, which cannot make a batch of statements atomic;"
                " use a replica set (a single-node replica set is enough) or set LRS_MONGO_ALLOW_STANDALONE=true"
            )

    def close(self) -> None:
        self._client.close()

    def ping(self) -> None:
        with translate_errors("ping"):
            self._client.admin.command("ping")

    def get_or_create_secret(self, name: str, length: int = 32) -> bytes:
        candidate = base64.b64encode(secrets.token_bytes(length)).decode("ascii")
        with translate_errors("get_or_create_secret"):
            try:
                doc = self._meta.find_one_and_update(
                    {"_id": f"secret:{name}"},
                    {"$setOnInsert": {"value": candidate}},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                    maxTimeMS=self._max_time_ms,
                )
            except DuplicateKeyError:  # two first upserts raced: the other one's value is stored
                doc = self._find_one(self._meta, {"_id": f"secret:{name}"})
        return base64.b64decode(doc["value"])

    # transactions vs compensation: the one seam ---------------------------------------------------
    def transactions_enabled(self) -> bool:
        """Whether batches run in multi-document transactions (replica set or mongos; never mongomock)."""
        if self._use_transactions is None:
            self._use_transactions = self._detect_transactions()
        return self._use_transactions

    def _detect_transactions(self) -> bool:
        if type(self._client).__module__.split(".")[0] == "mongomock":
            return False
        try:
            hello = self._client.admin.command("hello")
        except OperationFailure:  # servers before 4.4.2 only know the legacy name
            hello = self._client.admin.command("isMaster")
        transactional = bool(hello.get("setName")) or hello.get("msg") == "isdbgrid"
        if not transactional:
            log.warning("standalone MongoDB: batches are compensated on failure, not transactional")
        return transactional

    def _atomic(self, work: Callable[[_Unit], T]) -> T:
        """Run ``work`` all-or-nothing: in a transaction when the deployment has them, else with compensation."""
        if self.transactions_enabled():
            return self._run_in_transaction(work)
        return self._run_with_compensation(work)

    def _run_in_transaction(self, work: Callable[[_Unit], T]) -> T:
        with self._client.start_session() as session:
            result: T = session.with_transaction(
                lambda s: work(_Unit(session=s)),
                read_concern=ReadConcern("snapshot"),
                write_concern=WriteConcern("majority", j=True),
                read_preference=ReadPreference.PRIMARY,
                max_commit_time_ms=self._max_time_ms,
            )
            return result

    @staticmethod
    def _run_with_compensation(work: Callable[[_Unit], T]) -> T:
        unit = _Unit()
        try:
            return work(unit)
        except BaseException:
            unit.rollback()
            raise

    # tenants and credentials -----------------------------------------------------------------------
    def create_tenant(self, tenant: Tenant) -> None:
        doc = {"slug": tenant.slug, "name": tenant.name, "status": tenant.status, "created_us": tenant.created_us}
        with translate_errors("create_tenant"):
            try:
                self._tenants.insert_one(doc)
            except DuplicateKeyError as exc:
                raise ConflictError(f"tenant '{tenant.slug}' already exists") from exc

    @staticmethod
    def _tenant(doc: Document) -> Tenant:
        return Tenant(str(doc["slug"]), str(doc["name"]), str(doc["status"]), int(doc["created_us"]))

    def get_tenant(self, slug: str) -> Tenant | None:
        with translate_errors("get_tenant"):
            doc = self._find_one(self._tenants, {"slug": slug})
        return self._tenant(doc) if doc else None

    def list_tenants(self) -> list[Tenant]:
        with translate_errors("list_tenants"):
            docs = self._find(self._tenants, {}, sort=[("slug", ASCENDING)])
        return [self._tenant(doc) for doc in docs]

    def add_credential(self, credential: Credential) -> None:
        doc = {
            "key": credential.key,
            "tenant": credential.tenant,
            "secret_hash": credential.secret_hash,
            "scopes": list(credential.scopes),
            "label": credential.label,
            "created_us": credential.created_us,
            "revoked_us": credential.revoked_us,
            "xapi_version": credential.xapi_version,
            "role": credential.role,
            "rotated_us": credential.rotated_us,
        }
        with translate_errors("add_credential"):
            try:
                self._credentials.insert_one(doc)
            except DuplicateKeyError as exc:
                raise ConflictError("a credential with this key already exists") from exc

    @staticmethod
    def _credential(doc: Document) -> Credential:
        revoked = doc.get("revoked_us")
        return Credential(
            key=str(doc["key"]),
            tenant=str(doc["tenant"]),
            secret_hash=str(doc["secret_hash"]),
            scopes=tuple(str(scope) for scope in doc.get("scopes") or ()),
            label=str(doc.get("label", "")),
            created_us=int(doc["created_us"]),
            revoked_us=int(revoked) if revoked is not None else None,
            xapi_version=str(doc.get("xapi_version", "2.0.0")),
            role=str(doc.get("role", "client")),
            rotated_us=int(doc["rotated_us"]) if doc.get("rotated_us") is not None else None,
        )

    def get_credential(self, key: str) -> Credential | None:
        with translate_errors("get_credential"):
            doc = self._find_one(self._credentials, {"key": key})
        return self._credential(doc) if doc else None

    def list_credentials(self, tenant: str) -> list[Credential]:
        with translate_errors("list_credentials"):
            docs = self._find(self._credentials, {"tenant": tenant}, sort=[("created_us", ASCENDING), ("_id", 1)])
        return [self._credential(doc) for doc in docs]

    # statements: writing ---------------------------------------------------------------------------
    def insert_statements(
        self,
        tenant: str,
        records: Sequence[StatementRecord],
        attachments: Mapping[str, bytes] | None = None,
        *,
        progress_version: int | None = None,
    ) -> dict[str, str]:
        if not records:
            return {}
        ids = [record.statement_id for record in records]
        if len(set(ids)) != len(ids):
            raise BadRequestError("a batch contains the same statement id more than once")
        with translate_errors("insert_statements"):
            for _ in range(MAX_DUPLICATE_RETRIES):
                try:
                    return self._atomic(
                        lambda unit: self._write_batch(unit, tenant, records, attachments, progress_version)
                    ).existing
                except (DuplicateKeyError, BulkWriteError) as exc:
                    if not _is_duplicate_key(exc):
                        raise
                    # A concurrent writer stored one of these ids between our check and our insert; ours
                    # was rolled back.  Its body decides (same statement or 409), unless it was undone too.
                    existing = self._existing_bodies(tenant, ids, session=None)
                    if existing:
                        return existing
        raise StorageUnavailableError("concurrent writes of the same statement ids; retry")

    def _existing_bodies(self, tenant: str, ids: Sequence[str], *, session: Any) -> dict[str, str]:
        docs = self._find(
            self._statements,
            {"tenant": tenant, "statement_id": {"$in": list(ids)}},
            {"statement_id": 1, "body": 1},
            session=session,
        )
        return {str(doc["statement_id"]): str(doc["body"]) for doc in docs}

    def _next_stored_us(self, unit: _Unit, tenant: str, progress_version: int | None = None) -> int:
        """``now``, but never lower than any ``stored`` already given out in this tenant (a per-tenant clock
        document moved forward with ``$max``; in a transaction it also serialises the tenant's batches).  The
        same document carries the tenant's trainings version, checked against ``progress_version``."""
        doc = self._meta.find_one_and_update(
            {"_id": f"clock:{tenant}"},
            {"$max": {"stored_us": stored_now_us()}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=unit.session,
            maxTimeMS=self._max_time_ms,
        )
        check_progress_version(doc, progress_version, tenant)
        return int(doc["stored_us"])

    def _write_batch(
        self,
        unit: _Unit,
        tenant: str,
        records: Sequence[StatementRecord],
        attachments: Mapping[str, bytes] | None = None,
        progress_version: int | None = None,
    ) -> _Written:
        session = unit.session
        ids = [record.statement_id for record in records]
        existing = self._existing_bodies(tenant, ids, session=session)
        if existing:
            if session is None:
                self._repair_effects(unit, tenant, list(existing))
            return _Written(existing)
        stored_us = self._next_stored_us(unit, tenant, progress_version)

        new_ids = set(ids)
        stored_targets = sorted({r.ref_target for r in records if r.ref_target and r.ref_target not in new_ids})
        targets: dict[str, Document] = {}
        if stored_targets:
            for doc in self._find(
                self._statements,
                {"tenant": tenant, "statement_id": {"$in": stored_targets}},
                {"statement_id": 1, "keys": 1, "voiding": 1, "voided": 1},
                session=session,
            ):
                targets[str(doc["statement_id"])] = doc
        voided_ids = {r.ref_target for r in records if r.voiding and r.ref_target}
        voided_ids.update(
            str(doc["ref_target"])
            for doc in self._find(
                self._statements,
                {"tenant": tenant, "voiding": True, "ref_target": {"$in": ids}},
                {"ref_target": 1},
                session=session,
            )
        )

        effective = _effective_keys(records, {sid: set(doc.get("keys") or ()) for sid, doc in targets.items()})
        docs: list[Document] = []
        for record, object_id in zip(records, _ascending_object_ids(len(records)), strict=True):
            body = finalize_body(record.body_template, stored_us, needs_timestamp=record.needs_timestamp)
            docs.append(
                {
                    "_id": object_id,
                    "tenant": tenant,
                    "statement_id": record.statement_id,
                    "stored_us": stored_us,
                    "body": body,
                    "keys": sorted(effective[record.statement_id]),
                    "own_keys": sorted(record.keys),
                    "ref_target": record.ref_target,
                    "voiding": record.voiding,
                    "voided": record.statement_id in voided_ids and not record.voiding,
                    "attachment_hashes": list(record.attachment_hashes),
                }
            )
        inserted = [doc["_id"] for doc in docs]
        unit.on_rollback(partial(self._statements.delete_many, {"_id": {"$in": inserted}}))
        self._statements.insert_many(docs, ordered=True, session=session)

        to_void = [
            doc["_id"]
            for sid, doc in targets.items()
            if sid in voided_ids and not doc.get("voiding") and not doc.get("voided")
        ]
        if to_void:
            unit.on_rollback(
                partial(self._statements.update_many, {"_id": {"$in": to_void}}, {"$set": {"voided": False}})
            )
            self._statements.update_many(
                {"_id": {"$in": to_void}, "voiding": False}, {"$set": {"voided": True}}, session=session
            )

        frontier = {r.statement_id: {k for k in effective[r.statement_id] if is_inheritable(k)} for r in records}
        self._propagate_references(unit, tenant, frontier)
        self._merge_definitions(unit, tenant, records)
        self._insert_attachments(unit, tenant, attachments)
        voided_now = {doc["statement_id"] for doc in docs if doc["voided"]}
        self._maintain_progress(unit, tenant, records, stored_us, voided_now, version=progress_version)
        return _Written({})

    def _repair_effects(self, unit: _Unit, tenant: str, ids: Sequence[str]) -> None:
        """Re-apply, idempotently, what storing these statements implies (voiding, StatementRef keys).

        Only needed without transactions: when a batch failed and its compensation failed too (the server
        went away in between), statements can be left behind without their effects.  A client retries the
        same batch; the service then sees them as already stored, so their effects are completed here.
        """
        docs = list(
            self._find(
                self._statements,
                {"tenant": tenant, "statement_id": {"$in": list(ids)}},
                {"statement_id": 1, "keys": 1, "voiding": 1, "ref_target": 1},
                session=None,
            )
        )
        targets = [str(doc["ref_target"]) for doc in docs if doc.get("voiding") and doc.get("ref_target")]
        if targets:
            self._statements.update_many(
                {"tenant": tenant, "statement_id": {"$in": targets}, "voiding": False}, {"$set": {"voided": True}}
            )
        frontier = {str(doc["statement_id"]): {k for k in doc.get("keys") or () if is_inheritable(k)} for doc in docs}
        self._propagate_references(unit, tenant, frontier)

    def _propagate_references(self, unit: _Unit, tenant: str, frontier: dict[str, set[str]]) -> None:
        """Add inheritable keys to stored statements targeting the new ones, level by level down the chain.

        ``frontier`` maps a statement id to the inheritable keys its referencers may be missing.  Only the
        keys a referencer did not have propagate further (its own referencers already have the others).
        """
        visited = set(frontier)
        for _ in range(MAX_REFERENCE_DEPTH):
            frontier = {sid: keys for sid, keys in frontier.items() if keys}
            if not frontier:
                return
            referencers = self._find(
                self._statements,
                {"tenant": tenant, "ref_target": {"$in": sorted(frontier)}},
                {"statement_id": 1, "ref_target": 1, "keys": 1},
                session=unit.session,
            )
            next_frontier: dict[str, set[str]] = {}
            updates: dict[frozenset[str], list[ObjectId]] = {}
            for doc in referencers:
                sid = str(doc["statement_id"])
                if sid in visited:  # new statements (already resolved in batch) and cycles
                    continue
                visited.add(sid)
                missing = frontier[str(doc["ref_target"])] - set(doc.get("keys") or ())
                if missing:
                    updates.setdefault(frozenset(missing), []).append(doc["_id"])
                    next_frontier[sid] = missing
            for missing_keys, object_ids in updates.items():
                each = sorted(missing_keys)
                unit.on_rollback(
                    partial(self._statements.update_many, {"_id": {"$in": object_ids}}, {"$pullAll": {"keys": each}})
                )
                self._statements.update_many(
                    {"_id": {"$in": object_ids}}, {"$addToSet": {"keys": {"$each": each}}}, session=unit.session
                )
            frontier = next_frontier
        if frontier:
            log.warning("StatementRef propagation stopped after %d levels", MAX_REFERENCE_DEPTH)

    def _merge_definitions(self, unit: _Unit, tenant: str, records: Sequence[StatementRecord]) -> None:
        incoming: dict[str, list[tuple[Mapping[str, Any], bool]]] = {}
        for record in records:
            for activity_id, definition in record.activity_definitions.items():
                incoming.setdefault(activity_id, []).append((definition, record.define))
        for activity_id, definitions in incoming.items():
            self._merge_definition(unit, tenant, activity_id, definitions)

    def _merge_definition(
        self, unit: _Unit, tenant: str, activity_id: str, definitions: Sequence[tuple[Mapping[str, Any], bool]]
    ) -> None:
        """Optimistic read-modify-write of one canonical definition (``version`` guards concurrent merges).

        Each definition comes with its sender's ``define`` scope (see lrs.definitions.apply_definitions).
        """
        session = unit.session
        for _ in range(MAX_DEFINITION_RETRIES):
            doc = self._find_one(
                self._activities,
                {"tenant": tenant, "activity_id": activity_id},
                {"definition_json": 1, "version": 1},
                session=session,
            )
            old: dict[str, Any] | None = json.loads(doc["definition_json"]) if doc else None
            merged = apply_definitions(old, definitions)
            if merged is None or merged == old:
                return
            text = _dumps(merged)
            if doc is None:
                new_id = ObjectId()
                try:
                    self._activities.insert_one(
                        {
                            "_id": new_id,
                            "tenant": tenant,
                            "activity_id": activity_id,
                            "definition_json": text,
                            "version": 1,
                        },
                        session=session,
                    )
                except DuplicateKeyError:
                    if session is not None:  # inside a transaction the transaction retries as a whole
                        raise
                    continue
                unit.on_rollback(partial(self._activities.delete_one, {"_id": new_id, "version": 1}))
                return
            version = int(doc.get("version", 0))
            result = self._activities.update_one(
                {"_id": doc["_id"], "version": version},
                {"$set": {"definition_json": text, "version": version + 1}},
                session=session,
            )
            if result.matched_count:
                old_text, oid = str(doc["definition_json"]), doc["_id"]
                unit.on_rollback(
                    partial(
                        self._activities.update_one,
                        {"_id": oid, "version": version + 1},
                        {"$set": {"definition_json": old_text, "version": version + 2}},
                    )
                )
                return
        raise StorageUnavailableError("too many concurrent updates of one activity definition; retry")

    # statements: reading ---------------------------------------------------------------------------
    @staticmethod
    def _stored(doc: Document) -> StoredStatement:
        return StoredStatement(
            statement_id=str(doc["statement_id"]),
            body=str(doc["body"]),
            stored_us=int(doc["stored_us"]),
            voided=bool(doc.get("voided", False)),
        )

    def get_statement(self, tenant: str, statement_id: str) -> StoredStatement | None:
        with translate_errors("get_statement"):
            doc = self._find_one(
                self._statements, {"tenant": tenant, "statement_id": statement_id.lower()}, _STATEMENT_FIELDS
            )
        return self._stored(doc) if doc else None

    def query_statements(self, tenant: str, query: StatementQuery) -> StatementPage:
        limit = max(query.limit, 0)
        flt = statement_filter(tenant, query)
        with translate_errors("query_statements"):
            docs = self._find(
                self._statements, flt, _STATEMENT_FIELDS, sort=statement_sort(query.ascending), limit=limit + 1
            )
        page = docs[:limit]
        more = len(docs) > limit and bool(page)
        next_after = encode_position(int(page[-1]["stored_us"]), page[-1]["_id"]) if more else None
        return StatementPage([self._stored(doc) for doc in page], next_after)

    def get_activity_definitions(self, tenant: str, activity_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        ids = list(dict.fromkeys(activity_ids))
        if not ids:
            return {}
        with translate_errors("get_activity_definitions"):
            docs = self._find(
                self._activities,
                {"tenant": tenant, "activity_id": {"$in": ids}},
                {"activity_id": 1, "definition_json": 1},
            )
        found: dict[str, dict[str, Any]] = {}
        for doc in docs:
            found[str(doc["activity_id"])] = json.loads(doc["definition_json"])
        return found

    def consistent_through_us(self) -> int:
        """``stored`` is taken before a batch commits, so allow the longest a commit may take (the server-side
        time limit) for writes still in flight: reasonable certainty, as xAPI asks, not an exact bound."""
        return stored_now_us() - self._max_time_ms * 1000

    def count_statements(self, tenant: str) -> int:
        with translate_errors("count_statements"):
            return int(self._statements.count_documents({"tenant": tenant}, maxTimeMS=self._max_time_ms))


def _effective_keys(
    records: Sequence[StatementRecord], stored_target_keys: Mapping[str, set[str]]
) -> dict[str, set[str]]:
    """Own keys plus the inheritable keys of the StatementRef target, recursively, for every record.

    A target may be earlier or later in the same batch, or already stored (``stored_target_keys``: the
    effective keys of the stored targets).  Cycles inside a batch are cut.
    """
    by_id = {record.statement_id: record for record in records}
    resolved: dict[str, set[str]] = {}
    for record in records:
        # Walk down the chain of in-batch targets until a resolved, stored, missing or repeated one ...
        chain: list[StatementRecord] = []
        on_chain: set[str] = set()
        current: StatementRecord | None = record
        inherited: set[str] = set()
        while current is not None and current.statement_id not in resolved:
            chain.append(current)
            on_chain.add(current.statement_id)
            target = current.ref_target
            current = None
            if target is None or target in on_chain:  # no target, or a cycle inside the batch
                inherited = set()
            elif target in resolved:
                inherited = resolved[target]
            elif target in by_id:
                current = by_id[target]
            else:
                inherited = set(stored_target_keys.get(target, ()))
        if current is not None:  # stopped at an already resolved record
            inherited = resolved[current.statement_id]
        # ... then resolve the chain back up: each record inherits from the one it targets.
        for link in reversed(chain):
            keys = set(link.keys) | {key for key in inherited if is_inheritable(key)}
            resolved[link.statement_id] = keys
            inherited = keys
    return resolved


def _ascending_object_ids(count: int) -> list[ObjectId]:
    """``count`` fresh ObjectIds in strictly increasing order (batch order = insertion order), even when the
    driver's 3-byte counter wraps around in the middle of a batch."""
    while True:
        ids = [ObjectId() for _ in range(count)]
        if all(earlier < later for earlier, later in pairwise(ids)):
            return ids
