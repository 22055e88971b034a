"""The Statement service: enrich, store (with conflict detection and voiding), fetch and query statements.

Validation happens before this layer (``validators``); this service trusts the shape of what it gets and is
responsible for the LRS-set properties, immutability, atomic batches and tenant scoping.  No Flask here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from lrs.attachments import attachment_refs, content_types
from lrs.comparison import same_statement
from lrs.cursor import Cursor, CursorCodec
from lrs.errors import BadRequestError, ConflictError, NotFoundError, StorageUnavailableError
from lrs.jsontext import dumps
from lrs.progress.events import TrainingIndex
from lrs.progress.projection import statement_events
from lrs.progress.service import TrainingCatalog
from lrs.statement_fields import activity_definitions, is_voiding, query_keys, statement_ref_target
from lrs.statement_format import activity_ids_in, to_canonical, to_ids
from lrs.statement_query import NoMatch, StatementFilter, to_storage_query
from lrs.storage.port import ProgressVersionChanged, StatementRecord, Store, StoredStatement
from lrs.timeutil import now_us, utc_text
from lrs.versions import V2, for_reader

_INSERT_ATTEMPTS = 5


@dataclass(frozen=True)
class StatementPolicy:
    """Limits of the statement resource (from settings)."""

    query_limit_default: int = 100
    query_limit_max: int = 500


@dataclass(frozen=True)
class QueryResult:
    statements_json: list[str]  # each a JSON object text, rendered in the requested format
    more_token: str | None
    consistent_through_us: int


def _with_context_activity_arrays(statement: Mapping[str, Any]) -> dict[str, Any]:
    """A single context Activity is returned as an array of one (xAPI Data 2.4.6.2)."""
    result = dict(statement)
    context = statement.get("context")
    if isinstance(context, Mapping) and isinstance(context.get("contextActivities"), Mapping):
        activities = context["contextActivities"]
        if any(not isinstance(value, list) for value in activities.values()):
            arrays = {kind: value if isinstance(value, list) else [value] for kind, value in activities.items()}
            result["context"] = {**context, "contextActivities": arrays}
    obj = statement.get("object")
    if isinstance(obj, Mapping) and obj.get("objectType") == "SubStatement":
        result["object"] = _with_context_activity_arrays(obj)
    return result


def _normalise_timestamps(statement: dict[str, Any]) -> None:
    """Timestamps are stored in UTC (xAPI: convert rather than reject), also a SubStatement's."""
    if isinstance(statement.get("timestamp"), str):
        statement["timestamp"] = utc_text(statement["timestamp"])
    obj = statement.get("object")
    if isinstance(obj, Mapping) and obj.get("objectType") == "SubStatement" and isinstance(obj.get("timestamp"), str):
        statement["object"] = {**obj, "timestamp": utc_text(obj["timestamp"])}


def prepare(
    statement: Mapping[str, Any],
    *,
    authority: Mapping[str, Any],
    default_version: str,
    define: bool = True,
    progress: TrainingIndex | None = None,
) -> tuple[str, dict[str, Any], StatementRecord]:
    """Apply the LRS-set properties and compute the storage record of one validated statement.

    ``define``: the sender holds the ``define`` scope (see lrs.definitions: without it, the statement's activity
    definitions only create canonical definitions that do not exist yet).  ``progress``: the tenant's trainings,
    for the record's progress events (lrs.progress.projection).
    """
    statement_id = str(statement.get("id") or uuid.uuid4()).lower()
    enriched: dict[str, Any] = {"id": statement_id}
    normalised = _with_context_activity_arrays(statement)
    enriched.update((k, v) for k, v in normalised.items() if k not in ("id", "stored", "authority"))
    enriched["authority"] = dict(authority)
    enriched.setdefault("version", default_version)
    _normalise_timestamps(enriched)
    needs_timestamp = "timestamp" not in enriched
    record = StatementRecord(
        statement_id=statement_id,
        body_template=dumps(enriched),
        keys=query_keys(enriched, authority),
        needs_timestamp=needs_timestamp,
        ref_target=statement_ref_target(enriched),
        voiding=is_voiding(enriched),
        activity_definitions=activity_definitions(enriched),
        attachment_hashes=tuple(
            str(a["sha2"]) for a in enriched.get("attachments") or () if isinstance(a, Mapping) and "sha2" in a
        ),
        define=define,
        progress_events=statement_events(enriched, progress) if progress is not None else (),
    )
    return statement_id, enriched, record


def with_progress(record: StatementRecord, enriched: Mapping[str, Any], index: TrainingIndex) -> StatementRecord:
    """The record with its progress events recomputed from ``index`` (the same record when they are unchanged)."""
    events = statement_events(enriched, index)
    return replace(record, progress_events=events) if events != record.progress_events else record


class StatementService:
    def __init__(
        self,
        store: Store,
        cursors: CursorCodec,
        policy: StatementPolicy | None = None,
        trainings: TrainingCatalog | None = None,
    ) -> None:
        self.store = store
        self.cursors = cursors
        self.policy = policy or StatementPolicy()
        self.trainings = trainings or TrainingCatalog(store)  # for the progress events of each batch

    # writing -----------------------------------------------------------------------------------------
    def store_statements(
        self,
        tenant: str,
        statements: Sequence[Mapping[str, Any]],
        *,
        authority: Mapping[str, Any],
        default_version: str = "1.0.0",
        attachments: Mapping[str, bytes] | None = None,
        define: bool = True,
    ) -> list[str]:
        """Store a batch atomically; returns the ids in request order.

        Re-sending a statement that is already stored (same id, same content) is not an error and changes
        nothing; the same id with different content is a 409 and nothing of the batch is stored.
        ``attachments`` (lowercase sha2 → content, already checked against the statements) are stored with
        the statements that declare them.  ``define`` is false when the sender lacks the ``define`` scope: its
        activity definitions then never change a canonical definition (see lrs.definitions).
        """
        version, index = self.trainings.current(tenant)
        prepared = [
            prepare(s, authority=authority, default_version=default_version, define=define, progress=index)
            for s in statements
        ]
        ids = [statement_id for statement_id, _, _ in prepared]
        if len(set(ids)) != len(ids):
            duplicate = next(i for i in ids if ids.count(i) > 1)
            raise BadRequestError(f"the batch contains statement id {duplicate} more than once")
        pending = {statement_id: (enriched, record) for statement_id, enriched, record in prepared}
        for _ in range(_INSERT_ATTEMPTS):
            records = [record for _, record in pending.values()]
            wanted = {ref.sha2 for enriched, _ in pending.values() for ref in attachment_refs(enriched)}
            contents = {sha2: content for sha2, content in (attachments or {}).items() if sha2 in wanted}
            try:
                existing = self.store.insert_statements(tenant, records, contents, progress_version=version)
            except ProgressVersionChanged:  # a training changed (maybe through another worker): reload, retry
                self.trainings.invalidate(tenant)
                version, index = self.trainings.current(tenant)
                pending = {
                    sid: (enriched, with_progress(rec, enriched, index)) for sid, (enriched, rec) in pending.items()
                }
                continue
            if not existing:
                return ids
            for statement_id, body in existing.items():
                enriched, _ = pending[statement_id]
                stored = json.loads(body)
                if not same_statement(stored, enriched):
                    raise ConflictError(
                        f"statement {statement_id} already exists with different content",
                        errors={"statementId": statement_id},
                    )
                del pending[statement_id]
            if not pending:
                return ids
        raise StorageUnavailableError("the batch kept conflicting with concurrent writes; retry")

    # reading ------------------------------------------------------------------------------------------
    def get_statement(
        self,
        tenant: str,
        statement_id: str,
        *,
        voided: bool,
        statement_format: str = "exact",
        languages: Sequence[str] = (),
        restrict_keys: Sequence[str] = (),
        reader_version: str = V2,
    ) -> tuple[str, int]:
        """One statement by id (``voided=True`` for ``voidedStatementId``): (JSON text, stored_us)."""
        found = self.store.get_statement(tenant, statement_id.lower())
        if found is None or found.voided != voided or not self._allowed(tenant, found, restrict_keys):
            which = "voided statement" if voided else "statement"
            raise NotFoundError(f"no {which} with id {statement_id}")
        return self._render(tenant, [found], statement_format, languages, reader_version)[0], found.stored_us

    def _allowed(self, tenant: str, found: StoredStatement, restrict_keys: Sequence[str]) -> bool:
        if not restrict_keys:
            return True
        statement = json.loads(found.body)
        return set(restrict_keys) <= query_keys(statement, statement.get("authority"))

    def query(
        self,
        tenant: str,
        flt: StatementFilter | None = None,
        *,
        more: str | None = None,
        languages: Sequence[str] = (),
        restrict_keys: Sequence[str] = (),
        reader_version: str = V2,
    ) -> tuple[QueryResult, StatementFilter]:
        """Run a query, or continue one from its ``more`` cursor."""
        consistent = self.store.consistent_through_us()  # before reading: it must not cover unread writes
        if more is not None:
            cursor = self.cursors.decode(more, tenant=tenant)
            if not set(restrict_keys) <= set(cursor.filter.extra_keys):
                raise BadRequestError("the 'more' cursor is invalid for this query")
            flt, after, snapshot = cursor.filter, cursor.after, cursor.snapshot_us
        elif flt is not None:
            flt = replace(flt, extra_keys=tuple(restrict_keys))
            after, snapshot = None, now_us()
        else:
            raise BadRequestError("a query needs filter parameters or a 'more' cursor")
        limit = flt.limit or self.policy.query_limit_default
        limit = min(limit, self.policy.query_limit_max)
        try:
            storage_query = to_storage_query(flt, limit=limit, after=after, snapshot_us=snapshot)
        except NoMatch:
            return QueryResult([], None, consistent), flt
        page = self.store.query_statements(tenant, storage_query)
        token = None
        if page.next_after is not None:
            token = self.cursors.encode(Cursor(tenant, flt, page.next_after, snapshot))
        rendered = self._render(tenant, page.statements, flt.format, languages, reader_version)
        return QueryResult(rendered, token, consistent), flt

    def attachment_parts(
        self, tenant: str, statements_json: Sequence[str], *, restricted: bool = False
    ) -> list[tuple[str, str, bytes]]:
        """``(sha2, contentType, content)`` of each distinct attachment of these statements whose content is
        stored for this tenant (``attachments=true``).

        Content is stored once per tenant and hash.  A ``restricted`` reader (``statements/read/mine``, a
        learner) sees only some statements, so it gets only content that one of those statements arrived
        with (an Attachment without ``fileUrl``): declaring a known hash with a ``fileUrl`` and no content must
        not reach bytes another credential uploaded.  Full readers can read the uploading statement anyway.
        """
        types = content_types((json.loads(text) for text in statements_json), uploaded_only=restricted)
        stored = self.store.get_attachments(tenant, list(types)) if types else {}
        return [(sha2, content_type, stored[sha2]) for sha2, content_type in types.items() if sha2 in stored]

    def _render(
        self,
        tenant: str,
        found: Sequence[StoredStatement],
        statement_format: str,
        languages: Sequence[str],
        reader_version: str,
    ) -> list[str]:
        """Statements in the requested format, downgraded for 1.0.3 readers (see lrs.versions)."""
        if statement_format == "exact":
            texts = [s.body for s in found]
        else:
            parsed = [json.loads(s.body) for s in found]
            if statement_format == "ids":
                texts = [dumps(to_ids(s)) for s in parsed]
            else:
                wanted = sorted({activity_id for s in parsed for activity_id in activity_ids_in(s)})
                definitions = self.store.get_activity_definitions(tenant, wanted) if wanted else {}
                texts = [dumps(to_canonical(s, definitions, languages)) for s in parsed]
        return [for_reader(text, reader_version) for text in texts]
