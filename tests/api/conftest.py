from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from api.app import create_app
from auth.credentials import issue_credential
from lrs.settings import Settings
from lrs.storage.port import Store
from lrs.storage.sqlite import SQLiteStore
from lrs.tenants import create_tenant


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


@dataclass
class XAPIClient:
    """A test client speaking xAPI as one credential."""

    client: FlaskClient
    authorization: str | None
    version: str | None = "1.0.3"

    def request(self, method: str, path: str = "/xapi/statements", **kwargs: Any) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.version is not None:
            headers.setdefault("X-Experience-API-Version", self.version)
        if self.authorization is not None:
            headers.setdefault("Authorization", self.authorization)
        if "json" in kwargs:
            kwargs["data"] = json.dumps(kwargs.pop("json"))
            headers.setdefault("Content-Type", "application/json")
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def post(self, body: Any, **kwargs: Any) -> TestResponse:
        return self.request("POST", json=body, **kwargs)

    def put(self, body: Any, statement_id: str, **kwargs: Any) -> TestResponse:
        return self.request("PUT", query_string={"statementId": statement_id}, json=body, **kwargs)

    def get(self, **params: Any) -> TestResponse:
        headers = params.pop("headers", None)
        return self.request("GET", query_string=params, headers=headers)

    def get_more(self, more: str) -> TestResponse:
        return self.request("GET", more)


@dataclass
class World:
    app: Flask
    store: Store
    a: XAPIClient
    b: XAPIClient
    anonymous: XAPIClient
    keys: dict[str, tuple[str, str]]

    def client_for(self, tenant: str, scopes: list[str]) -> XAPIClient:
        issued = issue_credential(self.store, tenant, scopes, f"{tenant}-{'-'.join(scopes)}")
        return XAPIClient(self.app.test_client(), basic(issued.key, issued.secret))


def make_store(kind: str, tmp_path: Path) -> Store:
    if kind == "mongomock":
        import mongomock

        from lrs.storage.mongo import MongoStore

        return MongoStore(mongomock.MongoClient(), f"lrs_api_{uuid.uuid4().hex[:12]}")
    return SQLiteStore(tmp_path / "lrs.sqlite3")


def make_world(tmp_path: Path, store_kind: str = "sqlite", **settings: Any) -> World:
    store = make_store(store_kind, tmp_path)
    # Rate limits off unless a test asks for them (tests/api/test_quotas.py, test_sso_tokens.py): a shared
    # module-scoped world sends hundreds of requests per second from one credential (the conformance profile).
    settings.setdefault("rate_limit_per_minute", 0)
    settings.setdefault("auth_failures_per_minute", 0)
    app = create_app(Settings(data_dir=tmp_path, **settings), store=store)
    keys: dict[str, tuple[str, str]] = {}
    clients = {}
    for slug in ("tenant-a", "tenant-b"):
        create_tenant(store, slug)
        issued = issue_credential(store, slug, ["all"], f"{slug}-lms")
        keys[slug] = (issued.key, issued.secret)
        clients[slug] = XAPIClient(app.test_client(), basic(issued.key, issued.secret))
    return World(app, store, clients["tenant-a"], clients["tenant-b"], XAPIClient(app.test_client(), None), keys)


@pytest.fixture(params=["sqlite", "mongomock"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """Every API test runs on both storage adapters."""
    instance = make_world(tmp_path, request.param)
    yield instance
    instance.store.close()
