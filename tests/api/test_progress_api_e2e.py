"""End to end on generated data: three tenants, each with its own realistic data set
(``tests.progress_data.generate``: cmi5 sessions, video and quiz statements, assignments, evaluation forms,
microlearning, ~4 % of statements voided), sent through ``/xapi`` and defined through ``/api/v1``, in the three
possible orders (trainings first: the ingest path; statements first: the rebuild path; half and half).  Every
participant's row served by the API must equal the pure rules' ``progress_rows`` over the live statements, and
the learning-hours reports (per tenant, and the operator's consolidated view) must equal
``lrs.progress.hours`` over the same events.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from api.progress_schemas import summary_json
from auth.credentials import issue_credential
from lrs.agents import ifi_key
from lrs.progress.events import STANDALONE
from lrs.progress.hours import (
    HoursReport,
    TenantHours,
    TrainingCredit,
    consolidate,
    jp,
    learner_hours,
    micro_days,
    training_credit,
)
from lrs.progress.rules import progress_rows, summarize
from lrs.progress.training import Training, training_to_json
from lrs.progress.views import row_fields
from lrs.tenants import create_tenant
from tests.api.conftest import World, basic, make_world
from tests.api.test_progress_api import Api, ok
from tests.progress_data import SSO_HOMEPAGE, Dataset, generate, live_events

WIB = 7 * 60
TENANTS = {  # tenant -> (seed, learners, order)
    "tenant-a": (21, 9, "trainings first"),
    "tenant-b": (22, 7, "statements first"),
    "tenant-c": (23, 6, "half and half"),
}


@dataclass
class Loaded:
    world: World
    data: dict[str, Dataset]
    admins: dict[str, Api]
    operator: Api


def _load(world: World) -> Loaded:
    create_tenant(world.store, "tenant-c")
    data: dict[str, Dataset] = {}
    admins: dict[str, Api] = {}
    for tenant, (seed, learners, order) in TENANTS.items():
        dataset = data[tenant] = generate(seed=seed, learners=learners, void_rate=0.04)
        issued = issue_credential(world.store, tenant, None, f"admin-{tenant}", role="tenant_admin")
        admin = admins[tenant] = Api(world.app.test_client(), basic(issued.key, issued.secret))
        lms = world.client_for(tenant, ["all"])
        statements = dataset.statements
        split = {"trainings first": 0, "statements first": len(statements), "half and half": len(statements) // 2}
        cut = split[order]
        for start in range(0, cut, 100):
            assert lms.post(statements[start : min(cut, start + 100)]).status_code == 200
        for training in dataset.trainings:
            ok(admin.put(f"/trainings/{training.id}", training_to_json(training)), 201)
        for start in range(cut, len(statements), 100):
            assert lms.post(statements[start : start + 100]).status_code == 200
    operator = issue_credential(world.store, "", None, "operator", role="operator")
    return Loaded(world, data, admins, Api(world.app.test_client(), basic(operator.key, operator.secret)))


@pytest.fixture(scope="module", params=["sqlite", "mongomock"])
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    world = make_world(tmp_path_factory.mktemp(request.param), request.param, sso_homepage=SSO_HOMEPAGE)
    yield _load(world)
    world.store.close()


def _events(dataset: Dataset) -> list[Any]:
    return live_events(dataset.statements, dataset.trainings, voided=dataset.voided)


def _all_rows(admin: Api, training: Training) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every row, read through pages of 4 (exercising the cursor), and the summary."""
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = ok(admin.get(f"/trainings/{training.id}/progress", limit=4, **({"cursor": cursor} if cursor else {})))
        rows.extend(page["rows"])
        cursor = page["next"]
        if cursor is None:
            return rows, page["summary"]


def test_rows_equal_the_pure_rules(loaded: Loaded) -> None:
    statuses: set[str] = set()
    for tenant, dataset in loaded.data.items():
        events = _events(dataset)
        assert dataset.voided and any(e.session for e in events)  # the data set has voiding and cmi5 sessions
        for training in dataset.trainings:
            expected = progress_rows(training, events)
            served, summary = _all_rows(loaded.admins[tenant], training)
            assert [ifi_key(row["agent"]) for row in served] == [row.learner for row in expected], (tenant, training.id)
            for row, want in zip(served, expected, strict=True):
                assert {k: v for k, v in row.items() if k != "agent"} == row_fields(want, training), (tenant, row)
            assert summary == summary_json(summarize(expected))
            statuses.update(row["status"] for row in served)
    assert statuses == {"not_started", "in_progress", "completed", "passed", "failed"}  # every status occurs


def _pure_inputs(tenant: str, dataset: Dataset) -> TenantHours:
    events = _events(dataset)
    credits: list[TrainingCredit] = [
        credit
        for training in dataset.trainings
        for row in progress_rows(training, events)
        if (credit := training_credit(training, row, tenant=tenant)) is not None
    ]
    standalone = [event for event in events if event.training == STANDALONE]
    return TenantHours(tenant, credits, micro_days(standalone, utc_offset_minutes=WIB, tenant=tenant))


def _compare(served: dict[str, Any], expected: HoursReport, key_of: Any) -> None:
    by_key = {key_of(row): row for row in served["learners"]}
    assert set(by_key) >= {row.learner for row in expected.learners}
    for want in expected.learners:
        row = by_key[want.learner]
        assert (row["jp"], row["training_jp"], row["micro_jp"]) == (
            jp(want.total_centi),
            jp(want.training_centi),
            jp(want.micro_centi),
        ), want.learner
        assert (row["courses"], row["tenants"], row["met"], row["micro_minutes"]) == (
            list(want.courses),
            list(want.tenants),
            want.met,
            want.micro_seconds // 60,
        )
    others = [row for key, row in by_key.items() if key not in {want.learner for want in expected.learners}]
    assert all(row["jp"] == 0 and not row["met"] for row in others)  # the rest of the population earned nothing
    assert served["totals"]["jp"] == jp(expected.total_centi)
    assert served["totals"]["met"] == expected.met_count


def test_learning_hours_of_each_tenant(loaded: Loaded) -> None:
    activities = frozenset(iri for d in loaded.data.values() for t in d.trainings for iri in t.activity_ids())
    for tenant, dataset in loaded.data.items():
        pure = _pure_inputs(tenant, dataset)
        expected = learner_hours(2025, pure.credits, pure.micro, utc_offset_minutes=WIB, exclude_activities=activities)
        assert any(row.micro_centi for row in expected.learners) and any(row.met for row in expected.learners)
        served = ok(loaded.admins[tenant].get("/learning-hours", year=2025))
        _compare(served, expected, lambda row: ifi_key(row["agent"]))


def test_operator_view_counts_each_sso_learner_once(loaded: Loaded) -> None:
    activities = frozenset(iri for d in loaded.data.values() for t in d.trainings for iri in t.activity_ids())
    inputs = [_pure_inputs(tenant, dataset) for tenant, dataset in loaded.data.items()]
    credits, micro = consolidate(inputs, sso_homepage=SSO_HOMEPAGE)
    expected = learner_hours(2025, credits, micro, utc_offset_minutes=WIB, exclude_activities=activities)
    served = ok(loaded.operator.get("/learning-hours", year=2025))
    assert served["scope"] == "platform"

    def person(row: dict[str, Any]) -> str:
        key = ifi_key(row["agent"]) or ""
        return key if row["tenant"] is None else f"{row['tenant']}|{key}"

    _compare(served, expected, person)
    several = [row for row in served["learners"] if len(row["tenants"]) > 1]
    assert several and all(row["tenant"] is None for row in several)  # only SSO learners span tenants
    assert all(len(row["courses"]) == len(set(row["courses"])) for row in served["learners"])
    sso_numbers = [row["agent"]["account"]["name"] for row in served["learners"] if row["tenant"] is None]
    assert len(sso_numbers) == len(set(sso_numbers))  # one row per civil servant across all tenants
