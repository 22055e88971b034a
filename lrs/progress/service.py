"""The progress service: trainings, and the projection that keeps every participant's progress row current.

* :class:`TrainingCatalog` - each worker's cache of a tenant's trainings as a :class:`TrainingIndex`, keyed by
  the tenant's trainings version.  The statement service computes a batch's progress events with it; the store
  refuses a batch whose version is no longer the tenant's (``ProgressVersionChanged``), and the statement
  service then reloads and retries, so a training changed through any worker takes effect in every worker at
  once.
* :class:`ProgressService` - put / get / list / delete trainings, rebuild a training's projection from the
  statements (a query by its activities through the statement query keys, never a scan of the tenant), read
  progress rows.  Putting a training rebuilds it at once: its events depend on its definition.  Putting or
  deleting one also recomputes the microlearning events of the statements naming its activities (they stop or
  start being microlearning); ``rebuild_micro`` recomputes them all (``lrs progress rebuild``).

See :mod:`lrs.progress.projection` for what the projection holds.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from lrs.errors import NotFoundError, StorageUnavailableError
from lrs.progress.events import ProgressEvent, TrainingIndex
from lrs.progress.projection import (
    micro_events_of,
    row_from_text,
    statement_events,
    training_events,
    training_from_text,
    training_text,
)
from lrs.progress.rules import ProgressRow
from lrs.progress.training import Training
from lrs.statement_fields import RELATED_ACTIVITY
from lrs.storage.port import ProgressRowQuery, StatementQuery, Store, StoredStatement

REBUILD_PAGE = 1000  # statements per query page while rebuilding
REFRESH_ATTEMPTS = 5  # microlearning recomputed again when a training changed meanwhile
Progress = Callable[[int], None]  # called with the number of statements read so far


class TrainingCatalog:
    """A tenant's trainings version and :class:`TrainingIndex`, cached per worker until the version changes."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[int, TrainingIndex]] = {}

    def current(self, tenant: str) -> tuple[int, TrainingIndex]:
        cached = self._cache.get(tenant)
        if cached is not None:
            return cached
        # The version first: trainings read after it are at least as new, so a stale pair is refused, never used.
        version = self._store.trainings_version(tenant)
        stored = self._store.list_trainings(tenant) if version else []
        loaded = (version, TrainingIndex(training_from_text(item.body) for item in stored))
        with self._lock:
            self._cache[tenant] = loaded
        return loaded

    def invalidate(self, tenant: str) -> None:
        with self._lock:
            self._cache.pop(tenant, None)


@dataclass(frozen=True)
class RebuildReport:
    training: str
    statements: int  # statements read (those naming one of the training's activities)
    events: int
    rows: int  # participants after the rebuild
    replaced: bool  # False: a newer definition was stored meanwhile (it is rebuilt by its own put)


class ProgressService:
    def __init__(self, store: Store, catalog: TrainingCatalog | None = None, *, page_size: int = REBUILD_PAGE) -> None:
        self.store = store
        self.catalog = catalog or TrainingCatalog(store)
        self.page_size = page_size

    # trainings -------------------------------------------------------------------------------------------
    def put_training(self, tenant: str, training: Training, *, progress: Progress | None = None) -> RebuildReport:
        """Store (create or replace) a training and rebuild its progress from the tenant's statements; the
        statements naming its activities (old and new) get their microlearning events recomputed."""
        previous = self.get_training(tenant, training.id)
        self.store.put_training(tenant, training.id, training_text(training))
        self.catalog.invalidate(tenant)
        report = self.rebuild_training(tenant, training.id, progress=progress)
        self.refresh_micro(tenant, training.activity_ids() | (previous.activity_ids() if previous else set()))
        return report

    def get_training(self, tenant: str, training_id: str) -> Training | None:
        stored = self.store.get_training(tenant, training_id)
        return training_from_text(stored.body) if stored else None

    def list_trainings(self, tenant: str) -> list[Training]:
        return [training_from_text(stored.body) for stored in self.store.list_trainings(tenant)]

    def delete_training(self, tenant: str, training_id: str) -> bool:
        """Delete a training; statements that named it may be microlearning now."""
        previous = self.get_training(tenant, training_id)
        deleted = self.store.delete_training(tenant, training_id)
        self.catalog.invalidate(tenant)
        if deleted and previous is not None:
            self.refresh_micro(tenant, previous.activity_ids())
        return deleted

    # microlearning ---------------------------------------------------------------------------------------
    def refresh_micro(self, tenant: str, activity_ids: Iterable[str]) -> int:
        """Recompute the microlearning events of every statement naming one of ``activity_ids`` with the tenant's
        current trainings (whether a statement concerns a training depends on them); the statements read."""
        wanted = sorted(set(activity_ids))
        for _ in range(REFRESH_ATTEMPTS):
            version, index = self.catalog.current(tenant)
            ids: list[str] = []
            events: list[ProgressEvent] = []
            for statement in self._statements_naming(tenant, wanted):
                ids.append(statement.statement_id)
                events.extend(micro_events_of(statement_events(json.loads(statement.body), index)))
            if self.store.replace_micro_events(tenant, ids, events, version=version):
                return len(ids)
            self.catalog.invalidate(tenant)  # a training changed meanwhile: again with the new trainings
        raise StorageUnavailableError("the trainings kept changing while microlearning was recomputed; retry")

    def rebuild_micro(self, tenant: str, *, progress: Progress | None = None) -> tuple[int, int]:
        """Recompute every microlearning event of the tenant from its statements (a full read of them: for
        ``lrs progress rebuild``, never for a report); (statements read, events stored)."""
        for _ in range(REFRESH_ATTEMPTS):
            version, index = self.catalog.current(tenant)
            self.store.clear_micro_events(tenant)
            read = stored = 0
            after: str | None = None
            while True:
                page = self.store.query_statements(
                    tenant, StatementQuery(ascending=True, limit=self.page_size, after=after)
                )
                ids = [statement.statement_id for statement in page.statements]
                events = [
                    event
                    for statement in page.statements
                    for event in micro_events_of(statement_events(json.loads(statement.body), index))
                ]
                if not self.store.replace_micro_events(tenant, ids, events, version=version):
                    break
                read, stored = read + len(ids), stored + len(events)
                if progress is not None:
                    progress(read)
                if page.next_after is None:
                    return read, stored
                after = page.next_after
            self.catalog.invalidate(tenant)
        raise StorageUnavailableError("the trainings kept changing while microlearning was rebuilt; retry")

    # rebuilding -------------------------------------------------------------------------------------------
    def rebuild_training(
        self, tenant: str, training_id: str, *, refresh: bool = False, progress: Progress | None = None
    ) -> RebuildReport:
        """Recompute one training's events and rows from the statements.  ``refresh`` first stores the
        definition again under a new version, so that every event it has is recomputed (a full rebuild);
        otherwise events already computed with the current definition are kept (a put's rebuild)."""
        stored = self.store.get_training(tenant, training_id)
        if stored is None:
            raise NotFoundError(f"no training with id {training_id!r}")
        if refresh:
            stored = self.store.put_training(tenant, training_id, stored.body)
            self.catalog.invalidate(tenant)
        training = training_from_text(stored.body)
        index = TrainingIndex([training])
        read = 0
        events: list[ProgressEvent] = []
        for statement in self._statements_about(tenant, training):
            events.extend(training_events(json.loads(statement.body), index))
            read += 1
            if progress is not None and read % self.page_size == 0:
                progress(read)
        if progress is not None:
            progress(read)
        replaced = self.store.replace_training_progress(tenant, training_id, events, version=stored.version)
        rows = self._count_rows(tenant, training_id) if replaced else 0
        return RebuildReport(training_id, read, len(events), rows, replaced)

    def rebuild_tenant(self, tenant: str, *, progress: Callable[[str, int], None] | None = None) -> list[RebuildReport]:
        """Recompute every training of the tenant (idempotent: running it again gives the same projection)."""
        reports = []
        for stored in self.store.list_trainings(tenant):
            each = None if progress is None else _bind(progress, stored.training_id)
            reports.append(self.rebuild_training(tenant, stored.training_id, refresh=True, progress=each))
        return reports

    def _statements_about(self, tenant: str, training: Training) -> Iterator[StoredStatement]:
        """Every live statement naming one of the training's activities (object or context), once each."""
        return self._statements_naming(tenant, sorted(training.activity_ids()))

    def _statements_naming(self, tenant: str, activity_ids: Sequence[str]) -> Iterator[StoredStatement]:
        """Every live statement naming one of these activities (object or context), once each."""
        seen: set[str] = set()
        for activity_id in activity_ids:
            after: str | None = None
            while True:
                page = self.store.query_statements(
                    tenant,
                    StatementQuery(
                        keys=(RELATED_ACTIVITY + activity_id,), ascending=True, limit=self.page_size, after=after
                    ),
                )
                for statement in page.statements:
                    if statement.statement_id not in seen:
                        seen.add(statement.statement_id)
                        yield statement
                if page.next_after is None:
                    break
                after = page.next_after

    def _count_rows(self, tenant: str, training_id: str) -> int:
        count, after = 0, None
        while True:
            page = self.store.list_progress_rows(tenant, training_id, ProgressRowQuery(after=after, limit=10_000))
            count += len(page)
            if len(page) < 10_000:
                return count
            after = page[-1].learner

    # reading -----------------------------------------------------------------------------------------------
    def rows(self, tenant: str, training_id: str, query: ProgressRowQuery | None = None) -> list[ProgressRow]:
        """One page of the training's rows, by learner key (see ProgressRowQuery for filters and paging)."""
        records = self.store.list_progress_rows(tenant, training_id, query or ProgressRowQuery())
        return [row_from_text(record.row) for record in records]

    def row(self, tenant: str, training_id: str, learner: str) -> ProgressRow | None:
        record = self.store.get_progress_row(tenant, training_id, learner)
        return row_from_text(record.row) if record else None


def _bind(progress: Callable[[str, int], None], training_id: str) -> Progress:
    return lambda read: progress(training_id, read)
