from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from lrs.storage.port import Store
from lrs.storage.sqlite import SQLiteStore

BACKENDS = ["sqlite", "mongomock"]
if os.environ.get("LRS_TEST_MONGO_URI"):
    BACKENDS.append("mongodb")


def make_store(kind: str, tmp_path) -> Store:  # type: ignore[no-untyped-def]
    if kind == "sqlite":
        return SQLiteStore(tmp_path / "lrs.sqlite3")
    from lrs.storage.mongo import MongoStore

    database = f"lrs_test_{uuid.uuid4().hex[:12]}"
    if kind == "mongomock":
        import mongomock

        return MongoStore(mongomock.MongoClient(), database)
    return MongoStore.from_uri(os.environ["LRS_TEST_MONGO_URI"], database)


def database_name(instance: Store) -> str:
    db = getattr(instance, "db", None) or instance._db  # type: ignore[attr-defined]
    return str(db.name)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[Store]:  # type: ignore[no-untyped-def]
    instance = make_store(request.param, tmp_path)
    instance.init_schema()
    yield instance
    if request.param == "mongodb":  # leave the real server clean
        client = getattr(instance, "client", None) or instance._client  # type: ignore[attr-defined]
        client.drop_database(database_name(instance))
    instance.close()
