"""Per-tenant quotas and per-credential rate limits through HTTP (catalogue K3, K7, M2)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.app import create_app
from auth.credentials import issue_credential
from lrs.settings import Settings
from lrs.storage.port import AuditQuery, Store
from lrs.tenants import create_tenant
from tests.api.conftest import World, XAPIClient, basic, make_world
from tests.factories import make_statement

QUOTAS = "/api/v1/admin/tenants/{}/quotas"


class Admin:
    """The admin API as one credential."""

    def __init__(self, client: FlaskClient, key: str, secret: str) -> None:
        self.client, self.authorization = client, basic(key, secret)

    def get(self, tenant: str) -> Any:
        return self.client.get(QUOTAS.format(tenant), headers={"Authorization": self.authorization})

    def patch(self, tenant: str, body: Any) -> Any:
        return self.client.patch(QUOTAS.format(tenant), json=body, headers={"Authorization": self.authorization})


def admin_of(world: World, tenant: str = "", role: str = "operator") -> Admin:
    issued = issue_credential(world.store, tenant, label=f"{role}-{tenant}", role=role)
    return Admin(world.app.test_client(), issued.key, issued.secret)


@pytest.fixture
def operator(world: World) -> Admin:
    return admin_of(world)


class FrozenClock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def freeze_rate_clock(world: World) -> FrozenClock:
    clock = FrozenClock()
    world.app.extensions["lrs"].limits.rate._clock = clock
    return clock


# K3: batch quota ---------------------------------------------------------------------------------------------
def test_k3_a_batch_over_the_tenants_quota_is_413_and_nothing_is_stored(world: World, operator: Admin) -> None:
    assert operator.patch("tenant-a", {"max_batch": 2}).status_code == 200
    batch = [make_statement() for _ in range(3)]
    response = world.a.post(batch)
    assert response.status_code == 413
    assert "at most 2" in response.get_json()["message"]
    assert world.store.count_statements("tenant-a") == 0
    assert world.b.post([make_statement() for _ in range(3)]).status_code == 200  # B keeps the default
    assert operator.patch("tenant-a", {"max_batch": None}).status_code == 200  # relaxed: back to the default
    assert world.a.post(batch).status_code == 200
    assert world.store.count_statements("tenant-a") == 3


def test_a_body_over_the_tenants_limit_is_413_before_parsing(world: World, operator: Admin) -> None:
    assert operator.patch("tenant-a", {"max_body_bytes": 600}).status_code == 200
    big = make_statement(result={"response": "x" * 700})
    assert world.a.post(big).status_code == 413
    assert world.a.request("POST", data=b"{" * 700, headers={"Content-Type": "application/json"}).status_code == 413
    assert world.store.count_statements("tenant-a") == 0
    assert world.b.post(big).status_code == 200


def test_a_tenant_cannot_raise_body_limits_above_the_configured_ones(world: World, operator: Admin) -> None:
    configured = world.app.extensions["lrs"].settings.max_body_bytes
    report = operator.patch("tenant-a", {"max_body_bytes": configured * 10}).get_json()
    assert report["overrides"]["max_body_bytes"] == configured * 10
    assert report["effective"]["max_body_bytes"] == configured


# K7 / M2: rate limits ------------------------------------------------------------------------------------------
def test_k7_over_the_rate_is_429_with_retry_after_and_nothing_processed(world: World, operator: Admin) -> None:
    freeze_rate_clock(world)
    assert operator.patch("tenant-a", {"rate_limit_per_minute": 6, "rate_limit_burst": 3}).status_code == 200
    for _ in range(3):
        assert world.a.get().status_code == 200
    statement = make_statement()
    response = world.a.post(statement)
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 30  # a window is 60 * 3 / 6 = 30 s
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert world.store.count_statements("tenant-a") == 0
    assert world.b.get(statementId=statement["id"]).status_code == 404
    # another credential of the same tenant and another tenant are unaffected
    assert world.client_for("tenant-a", ["all"]).post(make_statement()).status_code == 200
    for _ in range(5):
        assert world.b.get().status_code == 200


def test_the_rate_window_passes(world: World, operator: Admin) -> None:
    clock = freeze_rate_clock(world)
    operator.patch("tenant-a", {"rate_limit_per_minute": 60, "rate_limit_burst": 2})
    assert [world.a.get().status_code for _ in range(3)] == [200, 200, 429]
    clock.now += 2  # the window is 60 * 2 / 60 = 2 s
    assert world.a.get().status_code == 200


def test_rate_limit_zero_means_unlimited(world: World, operator: Admin) -> None:
    freeze_rate_clock(world)
    operator.patch("tenant-a", {"rate_limit_per_minute": 0, "rate_limit_burst": 1})
    assert {world.a.get().status_code for _ in range(5)} == {200}


@pytest.fixture(params=["sqlite", "mongomock"])
def two_workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[XAPIClient, XAPIClient, Store]]:
    """Two apps over one store location, as two gunicorn workers: separate memory, shared database."""
    settings = Settings(data_dir=tmp_path, rate_limit_per_minute=60, rate_limit_burst=4)
    if request.param == "sqlite":
        from lrs.storage.sqlite import SQLiteStore

        stores: list[Store] = [SQLiteStore(tmp_path / "lrs.sqlite3"), SQLiteStore(tmp_path / "lrs.sqlite3")]
    else:
        import mongomock

        from lrs.storage.mongo import MongoStore

        client, name = mongomock.MongoClient(), f"lrs_{uuid.uuid4().hex[:10]}"
        stores = [MongoStore(client, name), MongoStore(client, name)]
    apps = [create_app(settings, store=store) for store in stores]
    create_tenant(stores[0], "tenant-a")
    issued = issue_credential(stores[0], "tenant-a", ["all"], "lms")
    clients = [XAPIClient(app.test_client(), basic(issued.key, issued.secret)) for app in apps]
    clock = FrozenClock()
    for app in apps:
        app.extensions["lrs"].limits.rate._clock = clock
    yield clients[0], clients[1], stores[0]
    for store in stores:
        store.close()


def test_the_rate_limit_holds_across_workers(two_workers: tuple[XAPIClient, XAPIClient, Store]) -> None:
    first, second, _ = two_workers
    codes = [(first if i % 2 else second).get().status_code for i in range(5)]
    assert codes == [200, 200, 200, 200, 429]
    assert first.get().status_code == 429 and second.get().status_code == 429


# the admin endpoint ---------------------------------------------------------------------------------------------
def test_quota_report_shows_defaults_overrides_and_effective_values(world: World, operator: Admin) -> None:
    report = operator.get("tenant-a").get_json()
    assert report["overrides"] == {}
    assert report["effective"] == report["defaults"]
    assert report["defaults"]["max_batch"] == world.app.extensions["lrs"].settings.max_batch
    changed = operator.patch("tenant-a", {"max_batch": 7, "rate_limit_per_minute": 0}).get_json()
    assert changed["overrides"] == {"max_batch": 7, "rate_limit_per_minute": 0}
    assert changed["effective"]["max_batch"] == 7
    assert operator.get("tenant-b").get_json()["overrides"] == {}
    entries = world.store.query_audit(AuditQuery(action="tenant.quotas"))
    assert len(entries) == 1 and entries[0].target == "tenant-a"


@pytest.mark.parametrize(
    "body",
    [{"bogus": 1}, {"max_batch": 0}, {"max_batch": -1}, {"max_batch": "3"}, {"max_batch": 2.5}, {"max_batch": True}],
)
def test_invalid_quota_changes_are_400_and_change_nothing(world: World, operator: Admin, body: Any) -> None:
    response = operator.patch("tenant-a", body)
    assert response.status_code == 400
    assert operator.get("tenant-a").get_json()["overrides"] == {}


def test_unknown_tenant_is_404(operator: Admin) -> None:
    assert operator.get("no-such").status_code == 404
    assert operator.patch("no-such", {"max_batch": 3}).status_code == 404


def test_only_operators_change_quotas_and_tenant_admins_read_only_their_own(world: World) -> None:
    tenant_admin = admin_of(world, "tenant-a", "tenant_admin")
    assert tenant_admin.get("tenant-a").status_code == 200
    assert tenant_admin.get("tenant-b").status_code == 403
    assert tenant_admin.patch("tenant-a", {"max_batch": 3}).status_code == 403
    lms = Admin(world.app.test_client(), *world.keys["tenant-a"])
    assert lms.get("tenant-a").status_code == 403
    assert Admin(world.app.test_client(), "nobody", "nothing").get("tenant-a").status_code == 401


def test_quota_changes_reach_other_workers_within_the_cache_time(world: World, operator: Admin) -> None:
    from lrs.quotas import QUOTA_CACHE_SECONDS, QuotaService

    other_worker = QuotaService(world.store, world.app.extensions["lrs"].settings, clock=FrozenClock(100.0))
    assert other_worker.for_tenant("tenant-a").max_batch == 1000
    operator.patch("tenant-a", {"max_batch": 9})
    assert other_worker.for_tenant("tenant-a").max_batch == 1000  # cached
    other_worker._clock = FrozenClock(100.0 + QUOTA_CACHE_SECONDS)
    assert other_worker.for_tenant("tenant-a").max_batch == 9


def make_limited_world(tmp_path: Path) -> World:
    return make_world(tmp_path, "sqlite", rate_limit_per_minute=120, rate_limit_burst=2)


def test_the_default_rate_applies_to_every_tenant(tmp_path: Path) -> None:
    world = make_limited_world(tmp_path)
    try:
        freeze_rate_clock(world)
        assert [world.a.get().status_code for _ in range(3)] == [200, 200, 429]
        assert [world.b.get().status_code for _ in range(3)] == [200, 200, 429]
    finally:
        world.store.close()
