"""Event blocks in the stores: stores written before blocks (a row / document per event) are converted when
the schema is ensured, and the Mongo adapter's own paths around blocks (compensation, a rebuild's block met by
a batch).  The shared behaviour of blocks is in ``test_progress_contract.py``."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import mongomock
import pytest
from pymongo.errors import AutoReconnect

from lrs.errors import StorageUnavailableError
from lrs.progress.blocks import decode, unpack
from lrs.progress.events import STANDALONE, ProgressEvent
from lrs.progress.projection import row_from_text
from lrs.storage.mongo import MongoStore
from lrs.storage.port import MicroEventQuery, ProgressRowQuery, Store
from lrs.storage.sqlite import SQLiteStore
from tests.factories import voiding
from tests.fakes import Proxy
from tests.storage.test_progress_contract import (
    ANI,
    ANI_KEY,
    ARTICLE,
    BUDI,
    BUDI_KEY,
    CLIP,
    KUIS,
    LATSAR,
    MATERI,
    PIM,
    VIDEO,
    completed,
    put,
    read,
    write,
)

Old = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]  # old-layout (progress_events, micro_events) rows


# a store of each kind that can be reopened on the same data ------------------------------------------------
class Opener:
    """Opens the same store again (the conversion runs when the schema is ensured)."""

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self.path = tmp_path / "lrs.sqlite3"
        self.client: Any = mongomock.MongoClient() if kind == "mongomock" else None
        self.database = f"lrs_test_{uuid.uuid4().hex[:12]}"

    def open(self) -> Store:
        store: Store = SQLiteStore(self.path) if self.kind == "sqlite" else MongoStore(self.client, self.database)
        store.init_schema()
        return store

    def blocks(self) -> list[tuple[str, str, str, int, int, list[ProgressEvent]]]:
        """(tenant, training, learner, stored_us, version, events) of every stored block."""
        if self.kind == "sqlite":
            with sqlite3.connect(self.path) as conn:
                found = conn.execute("SELECT tenant, training, learner, stored_us, version, events FROM event_blocks")
                return [(t, tr, le, st, v, decode(text, tr, le)) for t, tr, le, st, v, text in found.fetchall()]
        return [
            (
                doc["tenant"],
                doc["training"],
                doc["learner"],
                doc["stored_us"],
                doc["version"],
                [unpack(item, doc["training"], doc["learner"]) for item in doc["ev"]],
            )
            for doc in self.client[self.database]["event_blocks"].find({})
        ]

    def downgrade(self, extra: Old) -> None:
        """Rewrite the stored events in the layout before blocks (plus ``extra`` rows) and drop the blocks."""
        events: list[tuple[Any, ...]] = []
        micro: list[tuple[Any, ...]] = []
        for tenant, training, learner, _stored, version, found in self.blocks():
            for e in found:
                fields = (e.activity, int(e.direct), e.verb, e.at_us, e.scaled, e.duration_ms, e.session)
                if training == STANDALONE:
                    micro.append((tenant, learner, e.statement_id, *fields))
                else:
                    events.append((tenant, training, learner, e.statement_id, version, *fields))
        events.extend(extra[0])
        micro.extend(extra[1])
        if self.kind == "sqlite":
            self._downgrade_sqlite(events, micro)
        else:
            self._downgrade_mongo(events, micro)

    def _downgrade_sqlite(self, events: list[tuple[Any, ...]], micro: list[tuple[Any, ...]]) -> None:
        with sqlite3.connect(self.path) as conn:  # the tables as the adapter created them before blocks
            conn.executescript(
                """
                CREATE TABLE progress_events (
                    tenant TEXT NOT NULL, training TEXT NOT NULL, learner TEXT NOT NULL, statement_id TEXT NOT NULL,
                    version INTEGER NOT NULL, activity TEXT NOT NULL, direct INTEGER NOT NULL, verb TEXT NOT NULL,
                    at_us INTEGER NOT NULL, scaled REAL, duration_ms INTEGER, session TEXT,
                    PRIMARY KEY (tenant, training, learner, statement_id)) WITHOUT ROWID;
                CREATE TABLE micro_events (
                    tenant TEXT NOT NULL, learner TEXT NOT NULL, statement_id TEXT NOT NULL, activity TEXT NOT NULL,
                    direct INTEGER NOT NULL, verb TEXT NOT NULL, at_us INTEGER NOT NULL, scaled REAL,
                    duration_ms INTEGER, session TEXT, PRIMARY KEY (tenant, learner, statement_id)) WITHOUT ROWID;
                CREATE INDEX micro_events_by_time ON micro_events (tenant, at_us, statement_id);
                DROP TABLE event_blocks;
                """
            )
            conn.executemany("INSERT OR REPLACE INTO progress_events VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", events)
            conn.executemany("INSERT OR REPLACE INTO micro_events VALUES (?,?,?,?,?,?,?,?,?,?)", micro)

    def _downgrade_mongo(self, events: list[tuple[Any, ...]], micro: list[tuple[Any, ...]]) -> None:
        db = self.client[self.database]
        db.drop_collection("event_blocks")
        old = {  # the documents as the adapter wrote them before blocks
            "progress_events": [
                {
                    "tenant": tenant,
                    "training": training,
                    "learner": learner,
                    "statement_id": statement_id,
                    "version": version,
                    "event": ProgressEvent(statement_id, training, learner, activity, bool(direct), *rest).to_record(),
                }
                for tenant, training, learner, statement_id, version, activity, direct, *rest in events
            ],
            "micro_events": [
                {
                    "tenant": tenant,
                    "statement_id": statement_id,
                    "learner": learner,
                    "at_us": rest[1],
                    "event": ProgressEvent(statement_id, "", learner, activity, bool(direct), *rest).to_record(),
                }
                for tenant, learner, statement_id, activity, direct, *rest in micro
            ],
        }
        for name, docs in old.items():
            db.create_collection(name)
            if docs:
                db[name].insert_many(docs)
        db["progress_events"].create_index([("tenant", 1), ("training", 1), ("learner", 1)])
        db["micro_events"].create_index([("tenant", 1), ("learner", 1), ("at_us", 1), ("statement_id", 1)])

    def old_layout_left(self) -> set[str]:
        if self.kind == "sqlite":
            with sqlite3.connect(self.path) as conn:
                names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        else:
            names = set(self.client[self.database].list_collection_names())
        return names & {"progress_events", "micro_events"}


@pytest.fixture(params=["sqlite", "mongomock"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    return Opener(request.param, tmp_path)


def by_id(events: list[ProgressEvent]) -> list[ProgressEvent]:
    return sorted(events, key=lambda event: event.statement_id)


def projection(store: Store) -> dict[str, Any]:
    """Everything the projection of tenant acme answers, in a comparable form."""
    events = {
        (training, learner): by_id(store.get_progress_events("acme", training, learner))
        for training in ("latsar", "pim")
        for learner in (ANI_KEY, BUDI_KEY)
    }
    micro = by_id(store.list_micro_events("acme", MicroEventQuery(0, 2**62)))
    rows = {
        training: {
            r.learner: row_from_text(r.row) for r in store.list_progress_rows("acme", training, ProgressRowQuery())
        }
        for training in ("latsar", "pim")
    }
    return {"events": events, "micro": micro, "rows": rows}


# conversion of stores written before blocks -------------------------------------------------------------------
def test_a_store_written_before_blocks_is_converted_when_opened(opener: Opener) -> None:
    store = opener.open()
    put(store, "acme", LATSAR, PIM)
    gone = completed(BUDI, KUIS, 4)
    ani_materi, ani_article = completed(ANI, MATERI, 0), read(ANI, ARTICLE, 2, result={"duration": "PT5M"})
    budi_clip = read(BUDI, CLIP, 5, session="s-1")
    write(store, "acme", [ani_materi, completed(BUDI, MATERI, 1), ani_article, gone], LATSAR, PIM)
    write(store, "acme", [completed(ANI, VIDEO, 3), budi_clip], LATSAR, PIM)
    write(store, "acme", [voiding(gone["id"])], LATSAR, PIM)
    want = projection(store)
    assert len(want["events"][("latsar", ANI_KEY)]) == 2 and len(want["micro"]) == 2
    keys = sorted(set(block_keys(opener)))  # (latsar, Ani) of each batch, (latsar, Budi), microlearning of each
    assert len(keys) in (4, 5)  # (the two batches may have been stored in the same millisecond)
    version = store.get_training("acme", "latsar").version  # type: ignore[union-attr]
    stale = ("acme", "latsar", BUDI_KEY, gone["id"], version, KUIS, 1, "completed", 1, None, None, None)
    unknown = ("acme", ANI_KEY, "no-such-statement", ARTICLE, 1, "experienced", 7, None, 60_000, None)
    store.close()
    opener.downgrade(([stale], [unknown]))  # events of a voided and of a missing statement: left out

    store = opener.open()
    assert opener.old_layout_left() == set()
    assert projection(store) == want
    assert block_keys(opener) == keys
    write(store, "acme", [voiding(ani_article["id"]), voiding(ani_materi["id"])], LATSAR, PIM)  # found by key
    assert [e.statement_id for e in projection(store)["micro"]] == [budi_clip["id"]]
    assert [e.activity for e in store.get_progress_events("acme", "latsar", ANI_KEY)] == [VIDEO]
    again = opener.open()  # opening again converts nothing more
    assert projection(again) == projection(store)
    again.close()
    store.close()


def block_keys(opener: Opener) -> list[tuple[str, str, str, int]]:
    """(tenant, training, learner, stored_us) of each block.  Two batches stored in the same millisecond write
    two blocks under one key; a conversion leaves one per key."""
    return sorted((tenant, training, learner, stored) for tenant, training, learner, stored, *_ in opener.blocks())


def test_mongo_conversion_keeps_the_latest_of_repeated_event_documents(tmp_path: Path) -> None:
    """Before blocks a failed compensation could leave a second copy of an event document (the index was not
    unique); one event per statement is kept, the one of the latest trainings version."""
    opener = Opener("mongomock", tmp_path)
    store = opener.open()
    put(store, "acme", LATSAR)
    body = completed(ANI, MATERI, 0)
    write(store, "acme", [body], LATSAR)
    (block,) = opener.blocks()
    store.close()
    old = block[5][0]
    older = ("acme", "latsar", ANI_KEY, old.statement_id, block[4] - 1, VIDEO, 1, "completed", old.at_us, None)
    opener.downgrade(([(*older, None, None)], []))
    assert opener.client[opener.database]["progress_events"].count_documents({}) == 2

    store = opener.open()
    assert store.get_progress_events("acme", "latsar", ANI_KEY) == [old]
    assert [b[4] for b in opener.blocks()] == [block[4]]


def test_mongo_conversion_cut_short_is_run_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opener = Opener("mongomock", tmp_path)
    store = opener.open()
    put(store, "acme", LATSAR)
    write(store, "acme", [completed(ANI, MATERI, 0), read(ANI, ARTICLE, 1, result={"duration": "PT1M"})], LATSAR)
    write(store, "acme", [completed(ANI, VIDEO, 2)], LATSAR)
    want, keys = projection(store), sorted(set(block_keys(opener)))
    store.close()
    opener.downgrade(([], []))
    with monkeypatch.context() as patch:  # the process stops before the old collections are dropped
        patch.setattr(mongomock.Database, "drop_collection", lambda self, name, **kwargs: None)
        opener.open().close()
    assert opener.old_layout_left() == {"progress_events", "micro_events"} and block_keys(opener) == keys

    store = opener.open()
    assert opener.old_layout_left() == set()
    assert projection(store) == want and block_keys(opener) == keys


# the Mongo adapter's compensation (no transactions) -----------------------------------------------------------
@pytest.fixture
def mongo(tmp_path: Path) -> Iterator[MongoStore]:
    opened = Opener("mongomock", tmp_path).open()
    assert isinstance(opened, MongoStore)
    yield opened
    opened.close()


def failing_after_progress(store: MongoStore) -> Callable[[], None]:
    """Make the next batch fail right after the projection was maintained; returns the undo of that."""
    real = store._maintain_progress

    def maintain(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)
        raise AutoReconnect("connection reset")

    store._maintain_progress = maintain  # type: ignore[method-assign]
    return lambda: setattr(store, "_maintain_progress", real)


def test_a_failed_batch_takes_its_blocks_back_and_restores_those_it_voided_from(mongo: MongoStore) -> None:
    put(mongo, "acme", LATSAR)
    kept = [completed(ANI, MATERI, 0), completed(ANI, VIDEO, 1), read(ANI, ARTICLE, 2, result={"duration": "PT1M"})]
    write(mongo, "acme", kept, LATSAR)
    before = sorted(json.dumps(doc, sort_keys=True, default=str) for doc in mongo._db["event_blocks"].find({}))
    restore = failing_after_progress(mongo)
    batch = [voiding(kept[0]["id"]), voiding(kept[2]["id"]), completed(BUDI, MATERI, 3)]
    with pytest.raises(StorageUnavailableError):
        write(mongo, "acme", batch, LATSAR)
    restore()
    after = sorted(json.dumps(doc, sort_keys=True, default=str) for doc in mongo._db["event_blocks"].find({}))
    assert after == before
    assert {e.statement_id for e in mongo.get_progress_events("acme", "latsar", ANI_KEY)} == {
        kept[0]["id"],
        kept[1]["id"],
    }
    assert mongo.get_progress_events("acme", "latsar", BUDI_KEY) == []


class BlocksOnly:
    """The database, its ``event_blocks`` collection replaced."""

    def __init__(self, db: Any, blocks: Any) -> None:
        self._db, self._blocks = db, blocks

    def __getitem__(self, name: str) -> Any:
        return self._blocks if name == "event_blocks" else self._db[name]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


def test_a_batch_meeting_a_rebuilds_block_under_its_key_is_merged_into_it(mongo: MongoStore) -> None:
    """Without transactions a rebuild can read a batch's statements before the batch wrote their blocks and
    store a block under the same key first: the batch's block is merged into it (the rebuild's events win)."""
    put(mongo, "acme", LATSAR)
    blocks = mongo._db["event_blocks"]
    bodies = [completed(ANI, MATERI, 0), completed(ANI, VIDEO, 1)]
    landed: list[bool] = []

    def insert_many(documents: list[dict[str, Any]], **kwargs: Any) -> Any:
        if not landed:  # the rebuild lands first, with the first statement's event only
            landed.append(True)
            (doc,) = documents
            first = min(doc["ev"])
            rebuilt = [first[0], KUIS, *first[2:]]
            blocks.insert_one({**doc, "_id": "rebuild", "version": doc["version"] + 1, "ev": [rebuilt]})
        return blocks.insert_many(documents, **kwargs)

    mongo._db = BlocksOnly(mongo._db, Proxy(blocks, insert_many=insert_many))
    write(mongo, "acme", bodies, LATSAR)
    activity = {bodies[0]["id"]: MATERI, bodies[1]["id"]: VIDEO}
    events = {e.statement_id: e.activity for e in mongo.get_progress_events("acme", "latsar", ANI_KEY)}
    assert events == {**activity, min(activity): KUIS}
    assert blocks.count_documents({"training": "latsar"}) == 1
