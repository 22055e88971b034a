"""Catalogue F6-F9 (voiding seen through queries) and G (queries and pagination) over HTTP.

Already covered elsewhere and not repeated: G1's basic combinations, G2, G3's -1/abc/0/10^6, G4's plain boundaries,
G7, G8 (``test_statements_read.py``).  Tests on the shared per-module LRS scope their queries with a fresh
registration, verb or agent so they only see their own statements.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import World, XAPIClient, make_world
from tests.factories import make_agent, make_statement, ref_to, voiding

Statement = dict[str, Any]
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


@pytest.fixture(scope="module", params=["sqlite", "mongomock"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    instance = make_world(tmp_path_factory.mktemp("queries"), request.param)
    yield instance
    instance.store.close()


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [s["id"] for s in response.get_json()["statements"]]


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def fresh_agent() -> dict[str, Any]:
    return make_agent(f"learner-{uuid.uuid4().hex[:10]}")


def agent_param(agent: dict[str, Any]) -> str:
    return json.dumps({"mbox": agent["mbox"]})


# --- F6-F9: voiding through queries ----------------------------------------------------------------------------------


def test_f6_voided_statement_is_gone_from_every_query_but_reachable_by_voided_id(shared: World) -> None:
    learner, registration = fresh_agent(), str(uuid.uuid4())
    verb = {"id": f"http://ex.gov/verbs/{uuid.uuid4().hex}"}
    activity = {"id": f"http://ex.gov/activities/{uuid.uuid4().hex}"}
    context = {"registration": registration, "contextActivities": {"parent": [{"id": activity["id"] + "/parent"}]}}
    target = make_statement(actor=learner, verb=verb, object=activity, context=context)
    control = make_statement(actor=learner, verb=verb, object=activity, context=context)
    assert shared.a.post([target, control]).status_code == 200
    void = voiding(target["id"], actor=make_agent("admin"))
    assert shared.a.post(void).status_code == 200

    assert shared.a.get(statementId=target["id"]).status_code == 404
    assert shared.a.request("HEAD", query_string={"statementId": target["id"]}).status_code == 404
    voided = shared.a.get(voidedStatementId=target["id"])
    assert voided.status_code == 200
    assert voided.get_json()["verb"] == verb
    assert shared.a.get(voidedStatementId=target["id"], format="ids").get_json()["id"] == target["id"]
    assert shared.a.get(voidedStatementId=target["id"], attachments="true").mimetype == "multipart/mixed"

    filters: list[dict[str, str]] = [
        {"agent": agent_param(learner)},
        {"agent": agent_param(learner), "related_agents": "true"},
        {"verb": verb["id"]},
        {"activity": activity["id"]},
        {"activity": activity["id"] + "/parent", "related_activities": "true"},
        {"registration": registration},
        {"registration": registration, "ascending": "true", "format": "ids"},
        {"registration": registration, "format": "canonical"},
    ]
    for params in filters:
        found = ids(shared.a.get(**params))
        assert target["id"] not in found, params
        assert control["id"] in found, params
        assert void["id"] in found, params  # the voiding statement targets a statement that matches
    assert void["id"] in ids(shared.a.get(verb=VOIDED, limit="500"))
    just_before = instant(voided.get_json()["stored"]) - timedelta(milliseconds=1)
    since_target = ids(shared.a.get(since=just_before.isoformat(timespec="milliseconds"), limit="500"))
    assert control["id"] in since_target
    assert target["id"] not in since_target


def test_f7_voiding_a_voiding_statement_changes_nothing(shared: World) -> None:
    registration = str(uuid.uuid4())
    target = make_statement(context={"registration": registration})
    first = voiding(target["id"])
    assert shared.a.post([target, first]).status_code == 200
    second = voiding(first["id"])
    assert shared.a.post(second).status_code == 200
    assert shared.a.get(statementId=first["id"]).status_code == 200
    assert shared.a.get(voidedStatementId=first["id"]).status_code == 404
    assert shared.a.get(statementId=target["id"]).status_code == 404
    assert shared.a.get(voidedStatementId=target["id"]).status_code == 200
    assert sorted(ids(shared.a.get(registration=registration))) == sorted([first["id"], second["id"]])


def test_f7_f8_voiding_statement_voided_before_it_arrives_still_voids_its_target(shared: World) -> None:
    registration = str(uuid.uuid4())
    target = make_statement(context={"registration": registration})
    first = voiding(target["id"])
    second = voiding(first["id"])
    for statement in (second, target, first):  # the voiding of V1 arrives first, then T, then V1
        assert shared.a.post(statement).status_code == 200
    assert shared.a.get(statementId=first["id"]).status_code == 200
    assert shared.a.get(statementId=target["id"]).status_code == 404
    assert shared.a.get(voidedStatementId=target["id"]).status_code == 200
    assert target["id"] not in ids(shared.a.get(registration=registration))


@pytest.mark.parametrize("arrival", ["void first, separately", "void first, same batch", "target first, same batch"])
def test_f8_target_arriving_after_its_voiding_statement_is_voided_from_the_start(shared: World, arrival: str) -> None:
    registration = str(uuid.uuid4())
    target = make_statement(context={"registration": registration})
    void = voiding(target["id"])
    if arrival == "void first, separately":
        assert shared.a.post(void).status_code == 200
        assert shared.a.post(target).status_code == 200
    elif arrival == "void first, same batch":
        assert shared.a.post([void, target]).status_code == 200
    else:
        assert shared.a.post([target, void]).status_code == 200
    assert shared.a.get(statementId=target["id"]).status_code == 404
    assert shared.a.get(voidedStatementId=target["id"]).get_json()["id"] == target["id"]
    assert shared.a.get(statementId=void["id"]).status_code == 200
    assert ids(shared.a.get(registration=registration)) == [void["id"]]
    assert shared.a.post(target).status_code == 200  # re-sending the voided statement is still idempotent
    assert shared.a.get(statementId=target["id"]).status_code == 404


@pytest.mark.parametrize("order", ["target first", "references first"])
def test_f9_agent_filter_follows_statement_ref_chains_but_never_returns_voided_ones(shared: World, order: str) -> None:
    learner = fresh_agent()
    target = make_statement(actor=learner)
    first_ref = ref_to(target["id"])
    second_ref = make_statement(
        actor=make_agent("auditor"),
        verb={"id": "http://ex.gov/verbs/audited"},
        object={"objectType": "StatementRef", "id": first_ref["id"]},
    )
    by_context = make_statement(
        actor=make_agent("bystander"), context={"statement": {"objectType": "StatementRef", "id": target["id"]}}
    )
    sequence = [target, first_ref, second_ref, by_context]
    for statement in sequence if order == "target first" else sequence[::-1]:
        assert shared.a.post(statement).status_code == 200
    query = {"agent": agent_param(learner)}
    assert sorted(ids(shared.a.get(**query))) == sorted([target["id"], first_ref["id"], second_ref["id"]])
    void = voiding(target["id"], actor=make_agent("admin"))
    assert shared.a.post(void).status_code == 200
    after = ids(shared.a.get(**query))
    assert target["id"] not in after
    assert sorted(after) == sorted([first_ref["id"], second_ref["id"], void["id"]])


# --- G1/G3: parameter edge cases ----------------------------------------------------------------------------------


def test_g1_voided_statement_id_with_format_and_attachments_and_nothing_else(shared: World) -> None:
    target = make_statement()
    shared.a.post([target, voiding(target["id"])])
    assert shared.a.get(voidedStatementId=target["id"], format="canonical", attachments="false").status_code == 200
    for extra in ({"since": "2020-01-01T00:00:00Z"}, {"limit": "1"}, {"ascending": "true"}, {"agent": "{}"}):
        response = shared.a.get(voidedStatementId=target["id"], **extra)
        assert response.status_code == 400, extra
        assert "statements" not in response.get_json()


@pytest.mark.parametrize("limit", ["\u00b2", "+5", " 5", "5.0", "1e3", "0x10", "", "5 "])
def test_g3_limit_that_is_not_plain_ascii_digits_is_400(shared: World, limit: str) -> None:
    response = shared.a.get(limit=limit)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "limit" in response.get_json()["message"]


@pytest.mark.parametrize("limit", [str(10**9), str(2**64)])
def test_g3_very_large_limit_is_clamped_not_refused(tmp_path: Path, limit: str) -> None:
    small = make_world(tmp_path, query_limit_max=4)
    try:
        small.a.post([make_statement() for _ in range(6)])
        response = small.a.get(limit=limit)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert len(response.get_json()["statements"]) == 4
        assert response.get_json()["more"]
    finally:
        small.store.close()


# --- G4: since/until use stored, compared as instants ------------------------------------------------------------


def test_g4_since_and_until_filter_on_stored_not_timestamp(shared: World) -> None:
    registration = str(uuid.uuid4())
    old = make_statement(timestamp="2001-01-01T00:00:00Z", context={"registration": registration})
    future = make_statement(timestamp="2999-01-01T00:00:00Z", context={"registration": registration})
    shared.a.post([old, future])
    stored = instant(shared.a.get(statementId=old["id"]).get_json()["stored"])
    both = sorted([old["id"], future["id"]])
    assert sorted(ids(shared.a.get(registration=registration, since="2002-01-01T00:00:00Z"))) == both
    assert sorted(ids(shared.a.get(registration=registration, until="2998-01-01T00:00:00Z"))) == both
    assert ids(shared.a.get(registration=registration, until="2002-01-01T00:00:00Z")) == []
    assert ids(shared.a.get(registration=registration, since="2998-01-01T00:00:00Z")) == []
    assert ids(shared.a.get(registration=registration, since=(stored + timedelta(seconds=1)).isoformat())) == []


@pytest.mark.parametrize("offset_minutes", [420, -300, 0])
def test_g4_boundaries_hold_when_the_instant_is_written_in_another_offset(shared: World, offset_minutes: int) -> None:
    registration = str(uuid.uuid4())
    statement = make_statement(context={"registration": registration})
    shared.a.post(statement)
    stored = instant(shared.a.get(statementId=statement["id"]).get_json()["stored"])
    same_instant = stored.astimezone(timezone(timedelta(minutes=offset_minutes))).isoformat(timespec="milliseconds")
    assert ids(shared.a.get(registration=registration, since=same_instant)) == []
    assert ids(shared.a.get(registration=registration, until=same_instant)) == [statement["id"]]
    earlier = (stored - timedelta(milliseconds=1)).astimezone(timezone(timedelta(minutes=offset_minutes)))
    assert ids(shared.a.get(registration=registration, since=earlier.isoformat(timespec="milliseconds"))) == [
        statement["id"]
    ]


# --- G5/G6: paging -----------------------------------------------------------------------------------------------


def _page_through(client: XAPIClient, *, during: Any = None, **params: str) -> tuple[list[str], list[str]]:
    """(ids in page order, the more URLs followed); ``during()`` runs after the first page."""
    seen: list[str] = []
    followed: list[str] = []
    response = client.get(**params)
    while True:
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert len(body["statements"]) <= int(params.get("limit", "100"))
        seen.extend(s["id"] for s in body["statements"])
        if body["more"] == "":
            return seen, followed
        if during is not None and not followed:
            during()
        followed.append(body["more"])
        response = client.get_more(body["more"])


def test_g5_five_hundred_statements_with_one_stored_value_page_exactly_once_in_both_orders(world: World) -> None:
    registration = str(uuid.uuid4())
    batch = [make_statement(context={"registration": registration}) for _ in range(500)]
    assert world.a.post(batch).status_code == 200
    stored_values = {s["stored"] for s in world.a.get(limit="500", registration=registration).get_json()["statements"]}
    assert len(stored_values) == 1  # one batch, one stored value: the order has to come from a tie-breaker
    expected = sorted(s["id"] for s in batch)
    late = make_statement(context={"registration": registration})
    orders: dict[tuple[bool, bool], list[str]] = {}
    for filtered in (False, True):
        for ascending in (True, False):
            params = {"limit": "7", "ascending": "true" if ascending else "false"}
            if filtered:
                params["registration"] = registration
            last_pass = filtered and not ascending
            during = (lambda: world.a.post(late)) if last_pass else None  # an arrival must not disturb the read
            seen, followed = _page_through(world.a, during=during, **params)
            assert len(seen) == 500, (filtered, ascending, len(seen))
            assert sorted(seen) == expected, (filtered, ascending)
            assert len(followed) == 71
            orders[(filtered, ascending)] = seen
    assert world.a.get(statementId=late["id"]).status_code == 200
    assert orders[(False, True)] == orders[(False, False)][::-1]
    assert orders[(True, True)] == orders[(True, False)][::-1]
    assert orders[(False, True)] == orders[(True, True)]


def test_g6_more_urls_replayed_later_return_the_same_pages(shared: World, monkeypatch: pytest.MonkeyPatch) -> None:
    registration = str(uuid.uuid4())
    shared.a.post([make_statement(context={"registration": registration}) for _ in range(10)])
    seen, followed = _page_through(shared.a, registration=registration, limit="3")
    assert len(seen) == 10 and len(set(seen)) == 10
    pages = [shared.a.get_more(url).get_json() for url in followed]
    shared.a.post(make_statement(context={"registration": registration}))
    real = time.time_ns
    monkeypatch.setattr(time, "time_ns", lambda: real() + 24 * 3600 * 10**9)
    for url, page in zip(followed, pages, strict=True):
        replay = shared.a.get_more(url)
        assert replay.status_code == 200
        assert replay.get_json() == page
    assert pages[-1]["more"] == ""


# --- G9/G11: HEAD and Last-Modified --------------------------------------------------------------------------------


def _assert_head_matches_get(client: XAPIClient, path: str) -> None:
    get = client.request("GET", path)
    head = client.request("HEAD", path)
    assert head.status_code == get.status_code, path
    assert head.get_data() == b"", path
    for name in ("Content-Type", "Content-Length", "X-Experience-API-Version", "Last-Modified"):
        assert head.headers.get(name) == get.headers.get(name), (path, name)
    assert ("X-Experience-API-Consistent-Through" in head.headers) == (
        "X-Experience-API-Consistent-Through" in get.headers
    )


def test_g9_head_answers_like_get_on_every_kind_of_statement_request(shared: World) -> None:
    registration = str(uuid.uuid4())
    target = make_statement(context={"registration": registration})
    others = [make_statement(context={"registration": registration}) for _ in range(3)]
    shared.a.post([target, *others, voiding(target["id"])])
    more = shared.a.get(registration=registration, limit="1").get_json()["more"]
    for path in (
        f"/xapi/statements?registration={registration}",
        f"/xapi/statements?registration={registration}&format=ids&limit=2",
        more,
        f"/xapi/statements?statementId={others[0]['id']}",
        f"/xapi/statements?voidedStatementId={target['id']}",
        f"/xapi/statements?statementId={target['id']}",
        "/xapi/statements?limit=abc",
        "/xapi/statements?foo=1",
        "/xapi/about",
    ):
        _assert_head_matches_get(shared.a, path)
    assert shared.anonymous.request("HEAD", f"/xapi/statements?registration={registration}").status_code == 401


def test_g11_last_modified_is_stored_to_the_second(shared: World) -> None:
    statement = make_statement()
    shared.a.post(statement)
    time.sleep(0.01)
    target = make_statement()
    shared.a.post([target, voiding(target["id"])])
    for params in ({"statementId": statement["id"]}, {"voidedStatementId": target["id"]}):
        response = shared.a.get(**params)
        stored = instant(response.get_json()["stored"]).replace(microsecond=0)
        assert parsedate_to_datetime(response.headers["Last-Modified"]) == stored, params


# --- G10: X-Experience-API-Consistent-Through --------------------------------------------------------------------


def test_g10_consistent_through_never_covers_a_statement_that_is_not_yet_readable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write is slow to commit (its stored value is taken, the commit is late); a reader in that window gets a
    Consistent-Through header.  Every statement stored before that instant must be in the reader's answer."""
    lrs = make_world(tmp_path)
    try:
        inside, release = threading.Event(), threading.Event()
        original = lrs.store._propagate_references  # type: ignore[attr-defined]

        def slow_commit(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            inside.set()
            release.wait(10)
            return result

        monkeypatch.setattr(lrs.store, "_propagate_references", slow_commit)
        verb = {"id": f"http://ex.gov/verbs/{uuid.uuid4().hex}"}
        statement = make_statement(verb=verb)
        statuses: list[int] = []
        writer_client = XAPIClient(lrs.app.test_client(), lrs.a.authorization)
        writer = threading.Thread(target=lambda: statuses.append(writer_client.post(statement).status_code))
        writer.start()
        try:
            assert inside.wait(10)
            time.sleep(0.005)
            reading = lrs.a.get(verb=verb["id"])
        finally:
            release.set()
            writer.join(10)
        assert statuses == [200]
        consistent_through = instant(reading.headers["X-Experience-API-Consistent-Through"])
        stored = instant(lrs.a.get(statementId=statement["id"]).get_json()["stored"])
        visible = statement["id"] in ids(reading)
        assert visible or consistent_through < stored, (
            f"Consistent-Through {consistent_through} is after stored {stored}, yet the statement was not returned"
        )
    finally:
        lrs.store.close()
