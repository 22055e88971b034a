"""What every part of the MongoDB adapter shares: the one error boundary and collection creation.

``mongo.py`` and its mixins (``mongo_documents``, ``mongo_attachments``, ``mongo_admin``, ``mongo_quotas``,
``mongo_progress``) import these, so driver errors are translated the same way everywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from pymongo.errors import CollectionInvalid, ExecutionTimeout, OperationFailure, PyMongoError

from lrs.errors import StorageUnavailableError

log = logging.getLogger("lrs.storage.mongo")

MAX_TIME_MS_EXPIRED = 50  # server error code behind ExecutionTimeout


@contextmanager
def translate_errors(action: str) -> Iterator[None]:
    """The adapter boundary: driver errors become StorageUnavailableError, never leak."""
    try:
        yield
    except ExecutionTimeout as exc:
        log.warning("mongo %s exceeded maxTimeMS", action)
        raise StorageUnavailableError(_too_slow(action)) from exc
    except OperationFailure as exc:
        if exc.code == MAX_TIME_MS_EXPIRED:
            log.warning("mongo %s exceeded maxTimeMS", action)
            raise StorageUnavailableError(_too_slow(action)) from exc
        log.warning("mongo %s failed: %s (code %s)", action, type(exc).__name__, exc.code)
        raise StorageUnavailableError("the database failed; retry") from exc
    except PyMongoError as exc:
        log.warning("mongo %s failed: %s", action, type(exc).__name__)
        raise StorageUnavailableError("the database is unavailable; retry") from exc


def _too_slow(action: str) -> str:
    """Client-facing message for a hit time limit (the internal action name stays in the log)."""
    if action.startswith(("insert", "create", "add")):
        return "the database took too long to confirm the write; retry the same request"
    return "the database took too long to answer; narrow the query or retry"


def ensure_collections(db: Any, names: Iterable[str]) -> None:
    """Create the named collections that do not exist yet (explicitly: transactions cannot create them)."""
    existing = set(db.list_collection_names())
    for name in names:
        if name not in existing:
            with suppress(CollectionInvalid):  # another worker created it meanwhile
                db.create_collection(name)
