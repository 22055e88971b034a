"""The progress API (/api/v1: trainings, progress, learners, learning hours) through HTTP, on both stores.

A small hand-written training (``dasar``) pins each behaviour: the role table of ``api/progress.py``, filters,
paging, CSV (formula injection included), voiding visible at once, learning hours and the operator's
consolidation; ``test_progress_api_e2e.py`` compares the API with the pure rules on generated data.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from werkzeug.test import TestResponse

from api.progress_schemas import safe_cell
from auth.credentials import issue_credential
from lrs.settings import Settings
from lrs.tenants import create_tenant
from lrs.timeutil import now_us
from tests.api.conftest import World, basic, make_world
from tests.api.test_admin import AdminClient
from tests.progress_data import SSO_HOMEPAGE, duration, iri, iso, sso_agent, statement
from tests.sso_tokens import bearer, mint, sso_settings

A, B = "tenant-a", "tenant-b"
API = "/api/v1"
AUTHORITY_HOME = Settings().authority_homepage
COURSE = iri("courses/dasar")
MATERI, KUIS, EVALUASI = iri("courses/dasar/materi"), iri("courses/dasar/kuis"), iri("courses/dasar/evaluasi")
ANI, BUDI, CITRA, DEDI = "111", "222", "333", "444"
MARCH = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)  # 09:00 WIB


@dataclass
class Api(AdminClient):
    """An /api/v1 client acting as one credential; ``identity`` is the credential's agent (Basic: its authority
    account), which a training's ``coordinators`` name."""

    prefix: str = API
    identity: dict[str, Any] | None = None

    def get(self, path: str, **params: Any) -> TestResponse:
        return self.call("GET", path, query_string=params)

    def put(self, path: str, body: Any, **kwargs: Any) -> TestResponse:
        return self.call("PUT", path, body, **kwargs)


def as_role(world: World, role: str, tenant: str = A, scopes: list[str] | None = None) -> Api:
    issued = issue_credential(world.store, tenant, scopes, f"{role}-{tenant}", role=role)
    identity = {"account": {"homePage": AUTHORITY_HOME, "name": issued.key}}
    return Api(world.app.test_client(), basic(issued.key, issued.secret), identity=identity)


def with_token(world: World, role: str, number: str, tenant: str = A) -> Api:
    token = mint(role=role, civil_servant_number=number, tenant=tenant, sub=f"sub-{number}")
    return Api(world.app.test_client(), bearer(token))


def ok(response: TestResponse, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def dasar(coordinators: list[Any], enrolment: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Dasar",
        "course": COURSE,
        "jp": 24,
        "modules": [
            {"id": MATERI, "title": "Materi", "kind": "material"},
            {"id": KUIS, "title": "Kuis", "kind": "assessment"},
            {"id": EVALUASI, "title": "Evaluasi", "kind": "evaluation"},
        ],
        "passing": {"rule": "min_score", "min_scaled": 0.7},
        "coordinators": coordinators,
        **extra,
    }
    if enrolment is not None:
        body["enrolment"] = enrolment
    return body


def at(hours: float) -> datetime:
    return MARCH + timedelta(hours=hours)


def scenario() -> dict[str, dict[str, Any]]:
    """ani passes, budi is half-way, citra fails the quiz, dedi (enrolled) never starts."""
    ani, budi, citra = sso_agent(ANI, "Ani"), sso_agent(BUDI, "Budi"), sso_agent(CITRA, "Citra")
    minutes = {"duration": duration(20 * 60)}
    return {
        "ani-materi": statement(ani, "completed", MATERI, at(0), result=minutes),
        "ani-kuis": statement(ani, "passed", KUIS, at(1), result={"score": {"scaled": 0.9}, **minutes}),
        "ani-evaluasi": statement(ani, "completed", EVALUASI, at(2), result=minutes),
        "budi-materi": statement(budi, "completed", MATERI, at(3), result=minutes),
        "citra-kuis": statement(citra, "failed", KUIS, at(4), result={"score": {"scaled": 0.4}, **minutes}),
    }


@pytest.fixture(params=["sqlite", "mongomock"])
def pworld(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """The API world with the generated data's SSO home page (civil-servant numbers resolve to its accounts)."""
    instance = make_world(tmp_path, request.param, sso_homepage=SSO_HOMEPAGE)
    yield instance
    instance.store.close()


@dataclass
class Setup:
    world: World
    admin: Api
    coordinator: Api
    statements: dict[str, dict[str, Any]]


def setup_dasar(world: World) -> Setup:
    admin = as_role(world, "tenant_admin")
    coordinator = as_role(world, "coordinator")
    body = dasar(
        [coordinator.identity, "999"], [ANI, BUDI, CITRA, {"mbox": "mailto:dedi@example.go.id", "name": "Dedi"}]
    )
    ok(admin.put("/trainings/dasar", body), 201)
    statements = scenario()
    assert world.a.post(list(statements.values())).status_code == 200
    return Setup(world, admin, coordinator, statements)


def rows_by_number(page: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["agent"].get("account", {}).get("name") or row["agent"]["mbox"]: row for row in page["rows"]}


# trainings --------------------------------------------------------------------------------------------------
def test_trainings_are_created_replaced_read_listed_and_deleted(pworld: World) -> None:
    admin = as_role(pworld, "tenant_admin")
    created = ok(admin.put("/trainings/dasar", dasar(["999"], [ANI])), 201)
    assert created["rebuild"] == {"statements": 0, "participants": 1}
    assert created["coordinators"] == [{"account": {"homePage": SSO_HOMEPAGE, "name": "999"}}]
    replaced = ok(admin.put("/trainings/dasar", {**dasar(["999"]), "id": "dasar", "jp": 2.5}), 200)
    assert replaced["jp"] == 2.5 and "enrolment" not in replaced
    read = ok(admin.get("/trainings/dasar"))
    assert {key: value for key, value in replaced.items() if key != "rebuild"} == read
    ok(admin.put("/trainings/other", dasar([], [ANI, BUDI], title="Other")), 201)
    listed = ok(admin.get("/trainings"))
    assert [(item["id"], item["enrolled"]) for item in listed] == [("dasar", None), ("other", 2)]
    assert "enrolment" not in listed[1]
    assert admin.call("DELETE", "/trainings/dasar").status_code == 204
    assert admin.get("/trainings/dasar").status_code == 404
    assert admin.call("DELETE", "/trainings/dasar").status_code == 404
    assert [item["id"] for item in ok(admin.get("/trainings"))] == ["other"]


@pytest.mark.parametrize(
    ("path", "body", "headers", "names"),
    [
        ("/trainings/dasar", "{not json", {"Content-Type": "application/json"}, "JSON"),
        ("/trainings/dasar", json.dumps(dasar([])), {"Content-Type": "text/plain"}, "Content-Type"),
        ("/trainings/dasar", "", {"Content-Type": "application/json"}, "empty"),
        ("/trainings/dasar", json.dumps({**dasar([]), "colour": "red"}), {}, "colour"),
        ("/trainings/dasar", json.dumps({**dasar([]), "id": "other"}), {}, "training.id"),
        ("/trainings/dasar", json.dumps({**dasar([]), "jp": -1}), {}, "training.jp"),
        ("/trainings/-bad", json.dumps(dasar([])), {}, "training_id"),
        ("/trainings/dasar", '{"title": "a", "title": "b"}', {}, "title"),
    ],
)
def test_bad_training_bodies_are_400_and_store_nothing(
    pworld: World, path: str, body: str, headers: dict[str, str], names: str
) -> None:
    admin = as_role(pworld, "tenant_admin")
    response = admin.call("PUT", path, data=body, headers={"Content-Type": "application/json", **headers})
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()
    assert set(error) == {"code", "status", "message", "errors"}
    assert names in error["message"]
    assert ok(admin.get("/trainings")) == []


# who may do what --------------------------------------------------------------------------------------------
def test_role_table(pworld: World) -> None:
    """Every role against every endpoint (api/progress.py's table); one world, so mongomock stays quick."""
    setup = setup_dasar(pworld)
    create_tenant(pworld.store, "tenant-c")
    callers = {
        "tenant_admin": setup.admin,
        "client define": as_role(pworld, "client", scopes=["define"]),
        "client all": as_role(pworld, "client", scopes=["all"]),
        "client all/read": as_role(pworld, "client", scopes=["all/read"]),
        "client statements/write": as_role(pworld, "client", scopes=["statements/write"]),
        "coordinator of dasar": setup.coordinator,
        "other coordinator": as_role(pworld, "coordinator", scopes=None),
        "learner": as_role(pworld, "learner"),
        "operator": as_role(pworld, "operator", tenant=""),
        "admin of tenant-c": as_role(pworld, "tenant_admin", tenant="tenant-c"),
        "anonymous": Api(pworld.app.test_client(), None),
        "wrong secret": Api(pworld.app.test_client(), basic("nobody", "nothing")),
    }
    ani = quote(ANI)
    endpoints = {
        "list": ("GET", "/trainings"),
        "read": ("GET", "/trainings/dasar"),
        "put": ("PUT", "/trainings/dasar"),
        "progress": ("GET", "/trainings/dasar/progress"),
        "learner": ("GET", f"/learners/progress?agent={ani}"),
        "hours": ("GET", "/learning-hours?year=2025"),
    }
    expected = {  # list, read, put, progress, learner, hours
        "tenant_admin": (200, 200, 200, 200, 200, 200),
        "client define": (200, 200, 200, 403, 403, 403),
        "client all": (200, 200, 200, 200, 200, 200),
        "client all/read": (200, 200, 403, 200, 200, 200),
        "client statements/write": (403, 403, 403, 403, 403, 403),
        "coordinator of dasar": (200, 200, 403, 200, 200, 403),
        "other coordinator": (200, 404, 403, 404, 200, 403),
        "learner": (403, 403, 403, 403, 403, 200),
        "operator": (403, 403, 403, 403, 403, 200),
        "admin of tenant-c": (200, 404, None, 404, 200, 200),  # its PUT would create tenant-c's own training
        "anonymous": (401,) * 6,
        "wrong secret": (401,) * 6,
    }
    body = dasar([setup.coordinator.identity], [ANI, BUDI, CITRA, {"mbox": "mailto:dedi@example.go.id"}])
    wrong = []
    for name, statuses in expected.items():
        for (endpoint, (method, path)), status in zip(endpoints.items(), statuses, strict=True):
            if status is None:
                continue
            response = callers[name].call(method, path, body if method == "PUT" else None)
            if response.status_code != status:
                wrong.append(f"{name} {endpoint}: {response.status_code} (expected {status})")
            elif status >= 400:
                assert set(response.get_json()) == {"code", "status", "message", "errors"}
    assert not wrong, wrong
    # what the allowed ones see
    assert [t["id"] for t in ok(callers["other coordinator"].get("/trainings"))] == []
    assert ok(callers["other coordinator"].get("/learners/progress", agent=ANI))["trainings"] == []
    assert ok(callers["admin of tenant-c"].get("/trainings")) == []
    assert ok(callers["admin of tenant-c"].get("/learners/progress", agent=ANI))["trainings"] == []
    assert ok(callers["admin of tenant-c"].get("/learning-hours", year=2025))["learners"] == []
    assert [t["training"]["id"] for t in ok(setup.coordinator.get("/learners/progress", agent=ANI))["trainings"]] == [
        "dasar"
    ]
    for name in ("coordinator of dasar", "other coordinator", "learner", "client all/read", "operator"):
        assert callers[name].call("DELETE", "/trainings/dasar").status_code == 403, name
    assert callers["anonymous"].call("DELETE", "/trainings/dasar").status_code == 401
    assert ok(setup.admin.get("/trainings/dasar"))["id"] == "dasar"  # nothing was deleted


def test_a_coordinator_sees_only_the_trainings_it_coordinates(pworld: World) -> None:
    admin, mine, theirs = (
        as_role(pworld, "tenant_admin"),
        as_role(pworld, "coordinator"),
        as_role(pworld, "coordinator"),
    )
    ok(admin.put("/trainings/one", dasar([mine.identity])), 201)
    ok(admin.put("/trainings/two", dasar([theirs.identity], title="Two")), 201)
    ok(admin.put("/trainings/both", dasar([mine.identity, theirs.identity], title="Both")), 201)
    assert [t["id"] for t in ok(mine.get("/trainings"))] == ["both", "one"]
    assert [t["id"] for t in ok(theirs.get("/trainings"))] == ["both", "two"]
    assert mine.get("/trainings/two").status_code == 404
    assert mine.get("/trainings/two/progress").status_code == 404
    assert mine.get("/trainings/nope/progress").status_code == 404  # the same answer as an unknown training
    assert ok(mine.get("/trainings/one/progress"))["rows"] == []


def test_bearer_coordinator_and_learner_tokens(tmp_path: Path) -> None:
    """A coordinator's SSO token is its civil-servant number; a learner token reads only its own rows and JP."""
    world = make_world(tmp_path, "sqlite", **sso_settings(tmp_path))
    try:
        admin = as_role(world, "tenant_admin")
        ok(admin.put("/trainings/dasar", dasar(["C-1"])), 201)
        ok(admin.put("/trainings/other", dasar(["C-2"], title="Other")), 201)
        home = world.app.extensions["lrs"].settings.sso_homepage
        ani = {"objectType": "Agent", "account": {"homePage": home, "name": ANI}}
        budi = {"objectType": "Agent", "account": {"homePage": home, "name": BUDI}}
        passing = {"score": {"scaled": 0.9}, "duration": duration(600)}
        batch = [statement(ani, "passed", KUIS, at(1), result=passing), statement(budi, "completed", MATERI, at(2))]
        assert world.a.post(batch).status_code == 200
        coordinator = with_token(world, "coordinator", "C-1")
        assert [t["id"] for t in ok(coordinator.get("/trainings"))] == ["dasar"]
        assert len(ok(coordinator.get("/trainings/dasar/progress"))["rows"]) == 2
        assert coordinator.get("/trainings/other/progress").status_code == 404
        assert coordinator.get("/learning-hours", year=2025).status_code == 403
        learner = with_token(world, "learner", ANI)
        own = ok(learner.get("/learners/progress"))
        assert own["agent"]["account"]["name"] == ANI
        assert [(t["training"]["id"], t["outcome"]) for t in own["trainings"]] == [
            ("dasar", "passed"),
            ("other", "passed"),
        ]
        assert ok(learner.get("/learners/progress", agent=json.dumps(ani)))["trainings"] == own["trainings"]
        assert learner.get("/learners/progress", agent=BUDI).status_code == 403
        assert learner.get("/trainings/dasar/progress").status_code == 403
        assert learner.get("/trainings").status_code == 403
        hours = ok(learner.get("/learning-hours", year=2025))
        assert [row["agent"]["account"]["name"] for row in hours["learners"]] == [ANI]
        assert learner.get("/learning-hours", year=2025, agent=BUDI).status_code == 403
        assert learner.get("/learning-hours", year=2025, tenant=B).status_code == 403
        assert with_token(world, "learner", ANI, tenant=B).get("/learners/progress").get_json()["trainings"] == []
    finally:
        world.store.close()


# progress: filters, paging, CSV, voiding --------------------------------------------------------------------
def test_progress_rows_and_summary(pworld: World) -> None:
    setup = setup_dasar(pworld)
    page = ok(setup.coordinator.get("/trainings/dasar/progress"))
    assert page["training"]["id"] == "dasar" and [m["title"] for m in page["training"]["modules"]] == [
        "Materi",
        "Kuis",
        "Evaluasi",
    ]
    assert page["summary"] == {
        "participants": 4,
        "by_status": {"not_started": 1, "in_progress": 1, "completed": 0, "passed": 1, "failed": 1},
        "average_percent": (100 + 33 + 0 + 0) // 4,
        "total_time_spent_s": 5 * 20 * 60,
    }
    rows = rows_by_number(page)
    assert {key: row["status"] for key, row in rows.items()} == {
        ANI: "passed",
        BUDI: "in_progress",
        CITRA: "failed",
        "mailto:dedi@example.go.id": "not_started",
    }
    ani = rows[ANI]
    assert ani["agent"] == {"objectType": "Agent", "account": {"homePage": SSO_HOMEPAGE, "name": ANI}}
    assert (ani["percent"], ani["modules_completed"], ani["modules_required"]) == (100, 3, 3)
    assert (ani["best_score"], ani["outcome"], ani["time_spent_s"], ani["statements"]) == (0.9, "passed", 3600, 3)
    assert (ani["first_activity"], ani["last_activity"]) == (iso(at(0)), iso(at(2)))
    assert ani["achieved"] == iso(at(2))
    assert rows[BUDI]["missing"] == [{"id": KUIS, "title": "Kuis"}, {"id": EVALUASI, "title": "Evaluasi"}]
    assert rows[BUDI]["percent"] == 33 and rows[BUDI]["done"] == [MATERI]
    assert rows["mailto:dedi@example.go.id"]["agent"]["name"] == "Dedi"  # names from the enrolment list
    assert rows["mailto:dedi@example.go.id"]["last_activity"] is None
    assert page["next"] is None


def test_progress_filters(pworld: World) -> None:
    setup = setup_dasar(pworld)
    recent = datetime.fromtimestamp(now_us() / 1e6, tz=UTC) - timedelta(hours=1)
    assert pworld.a.post(statement(sso_agent(ANI), "experienced", MATERI, recent)).status_code == 200

    def who(**params: Any) -> list[str]:
        return sorted(rows_by_number(ok(setup.coordinator.get("/trainings/dasar/progress", **params))))

    dedi = "mailto:dedi@example.go.id"
    assert who(status="failed") == [CITRA]
    assert who(status="in_progress,not_started") == [BUDI, dedi]
    assert who(inactive_days=7) == [BUDI, CITRA, dedi]  # ani was active an hour ago; dedi never
    assert who(inactive_days=0) == [ANI, BUDI, CITRA, dedi]
    assert who(module=EVALUASI) == [BUDI, CITRA, dedi]  # have not completed the evaluation
    assert who(module=KUIS, status="failed,in_progress") == [BUDI, CITRA]
    assert who(module=EVALUASI, inactive_days=7, status="not_started") == [dedi]
    for params, path in [
        ({"status": "finished"}, "status"),
        ({"inactive_days": "-1"}, "inactive_days"),
        ({"inactive_days": "soon"}, "inactive_days"),
        ({"module": iri("courses/other")}, "module"),
        ({"format": "xlsx"}, "format"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"colour": "red"}, "colour"),
        ({"cursor": "%%%"}, "cursor"),
        ({"format": "csv", "limit": "5"}, "limit"),
    ]:
        response = setup.coordinator.get("/trainings/dasar/progress", **params)
        assert response.status_code == 400, (params, response.get_data(as_text=True))
        assert path in response.get_json()["message"], params
    repeated = setup.coordinator.call("GET", "/trainings/dasar/progress?status=failed&status=passed")
    assert repeated.status_code == 400 and "more than once" in repeated.get_json()["message"]


def test_progress_paging(pworld: World) -> None:
    setup = setup_dasar(pworld)
    everyone = [row["agent"] for row in ok(setup.admin.get("/trainings/dasar/progress"))["rows"]]
    for limit, params in [(1, {}), (3, {}), (1, {"module": EVALUASI})]:
        seen: list[dict[str, Any]] = []
        cursor = None
        pages = 0
        while True:
            query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
            page = ok(setup.admin.get("/trainings/dasar/progress", **query))
            assert len(page["rows"]) <= limit
            seen.extend(row["agent"] for row in page["rows"])
            pages += 1
            cursor = page["next"]
            if cursor is None:
                break
        wanted = everyone if not params else [a for a in everyone if a.get("account", {}).get("name") != ANI]
        assert seen == wanted, (limit, params)
        assert pages == max(1, -(-len(wanted) // limit)), (limit, params)


def test_progress_csv(pworld: World) -> None:
    admin = as_role(pworld, "tenant_admin")
    hostile = [
        {"mbox": "mailto:a@example.go.id", "name": '=HYPERLINK("http://evil")'},
        {"mbox": "mailto:b@example.go.id", "name": "+1+1"},
        {"mbox": "mailto:c@example.go.id", "name": "-2"},
        {"mbox": "mailto:d@example.go.id", "name": "@SUM(A1)"},
        "=cmd|' /C calc'!A0",
    ]
    body = dasar([], [*hostile, ANI])
    body["modules"][0]["title"] = "=1+1 materi"
    ok(admin.put("/trainings/dasar", body), 201)
    assert pworld.a.post(scenario()["ani-materi"]).status_code == 200
    response = admin.get("/trainings/dasar/progress", format="csv", status="not_started,in_progress")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert table[0][:3] == ["learner", "name", "status"] and table[0][-1] == "missing"
    assert len(table) == 1 + 6
    by_learner = {line[0]: dict(zip(table[0], line, strict=True)) for line in table[1:]}
    names = sorted(line["name"] for line in by_learner.values() if line["name"])
    assert names == ["'+1+1", "'-2", '\'=HYPERLINK("http://evil")', "'@SUM(A1)"]
    assert "'=cmd|' /C calc'!A0" in by_learner  # an SSO number is the learner column; quoted too
    assert by_learner[ANI]["status"] == "in_progress" and by_learner[ANI]["missing"] == "Kuis; Evaluasi"
    assert by_learner["mbox:mailto:a@example.go.id"]["missing"] == "'=1+1 materi; Kuis; Evaluasi"
    assert by_learner[ANI]["time_spent"] == "0:20:00" and by_learner[ANI]["time_spent_s"] == "1200"
    for line in table[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in line), line


def test_voiding_changes_the_row_at_once(pworld: World) -> None:
    setup = setup_dasar(pworld)
    assert rows_by_number(ok(setup.coordinator.get("/trainings/dasar/progress")))[ANI]["status"] == "passed"
    voiding = {
        "actor": {"mbox": "mailto:lms@example.go.id"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": setup.statements["ani-evaluasi"]["id"]},
    }
    assert pworld.a.post(voiding).status_code == 200
    after = rows_by_number(ok(setup.coordinator.get("/trainings/dasar/progress")))[ANI]
    assert (after["status"], after["outcome"], after["percent"]) == ("in_progress", "passed", 66)
    assert after["missing"] == [{"id": EVALUASI, "title": "Evaluasi"}] and after["achieved"] is None
    hours = ok(setup.admin.get("/learning-hours", year=2025, agent=ANI))
    assert hours["learners"][0]["training_jp"] == 0  # the JP went with the completion


# learners ---------------------------------------------------------------------------------------------------
def test_one_learners_trainings(pworld: World) -> None:
    setup = setup_dasar(pworld)
    other = as_role(pworld, "coordinator")
    ulang = {
        "title": "Ulang",
        "course": iri("courses/ulang"),
        "jp": 3,
        "modules": [
            {"id": iri("courses/ulang/materi"), "title": "Materi", "kind": "material"},
            {"id": iri("courses/ulang/kuis"), "title": "Kuis", "kind": "assessment"},
        ],
        "coordinators": [other.identity],
    }
    ok(setup.admin.put("/trainings/ulang", ulang), 201)
    assert pworld.a.post(statement(sso_agent(ANI), "completed", iri("courses/ulang/materi"), at(5))).status_code == 200
    everything = ok(setup.admin.get("/learners/progress", agent=ANI))
    assert everything["agent"]["account"] == {"homePage": SSO_HOMEPAGE, "name": ANI}
    assert [(t["training"]["id"], t["status"]) for t in everything["trainings"]] == [
        ("dasar", "passed"),
        ("ulang", "in_progress"),
    ]
    agent = json.dumps({"objectType": "Agent", "account": {"homePage": SSO_HOMEPAGE, "name": ANI}})
    assert ok(setup.admin.get("/learners/progress", agent=agent)) == everything
    assert [t["training"]["id"] for t in ok(other.get("/learners/progress", agent=ANI))["trainings"]] == ["ulang"]
    dedi = ok(setup.admin.get("/learners/progress", agent='{"mbox": "mailto:dedi@example.go.id"}'))
    assert [(t["training"]["id"], t["status"]) for t in dedi["trainings"]] == [("dasar", "not_started")]
    assert dedi["agent"]["name"] == "Dedi"
    response = setup.admin.get("/learners/progress", agent=ANI, format="csv")
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert [line[:4] for line in table[1:]] == [["dasar", "Dasar", ANI, ""], ["ulang", "Ulang", ANI, ""]]
    for bad in ("", '{"mbox": "not-a-mailto"}', '{"objectType": "Group", "member": []}', "{"):
        assert setup.admin.get("/learners/progress", agent=bad).status_code == 400, bad
    assert setup.admin.get("/learners/progress").status_code == 400  # agent required unless a learner


# learning hours ---------------------------------------------------------------------------------------------
def micro(number: str, activity: str, start: datetime, minutes: int) -> dict[str, Any]:
    """A standalone video watched for ``minutes`` ending at ``start + minutes``."""
    end = start + timedelta(minutes=minutes)
    return statement(
        sso_agent(number), "completed", iri(f"micro/{activity}"), end, result={"duration": duration(minutes * 60)}
    )


@pytest.fixture(params=["sqlite", "mongomock"])
def target_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """A world whose yearly target is 24.5 JP (LRS_JP_TARGET=24.5)."""
    instance = make_world(tmp_path, request.param, sso_homepage=SSO_HOMEPAGE, jp_target_centi=2450)
    yield instance
    instance.store.close()


def test_learning_hours_of_a_tenant(target_world: World) -> None:
    world = target_world
    setup = setup_dasar(world)
    day = datetime(2025, 5, 5, 1, 0, tzinfo=UTC)
    extra = [
        micro(ANI, "v1", day, 30),
        micro(BUDI, "v1", day, 90),
        micro(BUDI, "v2", day + timedelta(days=1), 45),
    ]
    extra.append(micro(CITRA, "v1", datetime(2024, 12, 31, 17, 0, tzinfo=UTC), 60))  # 2024 in UTC, 2025 in WIB
    assert world.a.post(extra).status_code == 200
    report = ok(setup.admin.get("/learning-hours", year=2025))
    assert (report["year"], report["scope"], report["tenant"], report["target_jp"], report["utc_offset"]) == (
        2025,
        "tenant",
        A,
        24.5,
        "+07:00",
    )
    rows = {row["agent"].get("account", {}).get("name") or row["agent"]["mbox"]: row for row in report["learners"]}
    assert set(rows) == {ANI, BUDI, CITRA, "mailto:dedi@example.go.id"}
    assert (rows[ANI]["training_jp"], rows[ANI]["micro_jp"], rows[ANI]["jp"]) == (24, 0.66, 24.66)
    assert rows[ANI]["met"] is True and rows[ANI]["courses"] == [COURSE]
    assert (rows[BUDI]["micro_jp"], rows[BUDI]["micro_minutes"], rows[BUDI]["met"]) == (2, 90, False)
    assert (rows[CITRA]["micro_jp"], rows[CITRA]["micro_minutes"]) == (1, 45)  # 2025 in WIB; capped
    assert rows["mailto:dedi@example.go.id"]["jp"] == 0  # enrolled, not started: in the population
    assert report["totals"] == {
        "learners": 4,
        "met": 1,
        "not_met": 3,
        "jp": 27.66,
        "training_jp": 24,
        "micro_jp": 3.66,
    }
    missed = ok(setup.admin.get("/learning-hours", year=2025, met="false"))
    assert len(missed["learners"]) == 3 and missed["totals"] == report["totals"]
    first = ok(setup.admin.get("/learning-hours", year=2025, limit=3))
    second = ok(setup.admin.get("/learning-hours", year=2025, limit=3, cursor=first["next"]))
    assert first["learners"] + second["learners"] == report["learners"] and second["next"] is None
    earlier = ok(setup.admin.get("/learning-hours", year=2024))["learners"]
    assert [row["agent"].get("mbox") for row in earlier] == ["mailto:dedi@example.go.id"]  # no period: every year
    one = ok(setup.admin.get("/learning-hours", year=2025, agent=BUDI))
    assert [row["jp"] for row in one["learners"]] == [2]
    response = setup.admin.get("/learning-hours", year=2025, format="csv")
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert table[0][:4] == ["learner", "name", "tenant", "jp"]
    assert [line[0] for line in table[1:]] == [ANI, BUDI, CITRA, "mbox:mailto:dedi@example.go.id"]
    assert table[1][1:] == ["", "", "24.66", "24.0", "0.66", "30", "24.5", "yes", COURSE, A]
    for params in ({}, {"year": "25"}, {"year": "2025", "met": "maybe"}, {"year": "2025", "tenant": B}):
        assert setup.admin.get("/learning-hours", **params).status_code in (400, 403), params


def test_operator_consolidates_one_sso_learner_across_tenants(pworld: World) -> None:
    admin_a, admin_b = as_role(pworld, "tenant_admin", A), as_role(pworld, "tenant_admin", B)
    operator = as_role(pworld, "operator", tenant="")
    ok(admin_a.put("/trainings/dasar", dasar([])), 201)
    ok(admin_b.put("/trainings/dasar-b", dasar([])), 201)  # the same course, run by tenant B too
    ok(admin_b.put("/trainings/pim", {"title": "PIM", "course": iri("courses/pim"), "jp": 2.5, "modules": []}), 201)
    ani, eka = sso_agent(ANI), {"objectType": "Agent", "mbox": "mailto:eka@example.go.id"}
    passing = {"score": {"scaled": 0.8}}

    def finish(who: dict[str, Any], hours: float) -> list[dict[str, Any]]:
        return [
            statement(who, "completed", MATERI, at(hours)),
            statement(who, "passed", KUIS, at(hours + 1), result=passing),
            statement(who, "completed", EVALUASI, at(hours + 2)),
        ]

    day = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)
    assert pworld.a.post([*finish(ani, 0), *finish(eka, 0), micro(ANI, "v1", day, 30)]).status_code == 200
    in_b = [*finish(ani, 48), *finish(eka, 48), statement(ani, "completed", iri("courses/pim"), at(50))]
    assert pworld.b.post([*in_b, micro(ANI, "v1", day + timedelta(minutes=10), 30)]).status_code == 200
    report = ok(operator.get("/learning-hours", year=2025))
    assert (report["scope"], report["tenant"]) == ("platform", None)
    rows = {(row["tenant"], json.dumps(row["agent"], sort_keys=True)): row for row in report["learners"]}
    assert len(rows) == 3  # ani once; eka (no SSO account) once per tenant
    sso = next(row for (tenant, _), row in rows.items() if tenant is None)
    assert sso["agent"]["account"]["name"] == ANI
    assert sso["training_jp"] == 24 + 2.5  # dasar counted once across both tenants, plus B's pim
    assert sso["courses"] == sorted([COURSE, iri("courses/pim")]) and sso["tenants"] == [A, B]
    assert sso["micro_minutes"] == 40  # the same video in both tenants, overlapping: merged before the cap
    assert sorted(tenant for tenant, _ in rows if tenant) == [A, B]
    assert all(row["training_jp"] == 24 for (tenant, _), row in rows.items() if tenant)
    assert report["totals"]["learners"] == 3 and report["totals"]["training_jp"] == 26.5 + 48
    per_tenant = ok(operator.get("/learning-hours", year=2025, tenant=B))
    assert (per_tenant["scope"], per_tenant["tenant"]) == ("tenant", B)
    assert sorted(row["training_jp"] for row in per_tenant["learners"]) == [24, 26.5]
    assert ok(admin_a.get("/learning-hours", year=2025))["totals"]["training_jp"] == 48
    assert operator.get("/learning-hours", year=2025, tenant="nowhere").status_code == 404
    assert ok(operator.get("/learning-hours", year=2025, agent=ANI))["learners"] == [sso]
    csv_rows = list(
        csv.reader(io.StringIO(operator.get("/learning-hours", year=2025, format="csv").get_data(as_text=True)))
    )
    assert sorted(line[2] for line in csv_rows[1:]) == ["", A, B]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        ("'x", "'x"),
        (-0.5, -0.5),
        (True, "yes"),
        (None, ""),
    ],
)
def test_csv_cells_cannot_start_a_formula(value: object, cell: object) -> None:
    assert safe_cell(value) == cell


def test_credentials_are_checked_before_the_query(pworld: World) -> None:
    anonymous = Api(pworld.app.test_client(), None)
    assert anonymous.get("/trainings/dasar/progress", status="nonsense", colour="red").status_code == 401
    assert anonymous.call("GET", "/learning-hours?year=x&year=y").status_code == 401
    assert anonymous.put("/trainings/dasar", "{not json").status_code == 401
