"""Catalogue E (immutability, conflicts, idempotency) and F1-F3, F5 (batch atomicity) over HTTP.

Already covered elsewhere and not repeated: E2 and the plain E4 cases (verb, actor, result, context, timestamp in
``test_statements_write.py``), E9 and F4 (storage faults, ``test_faults.py``).  "Unchanged" always means the exact
text a GET by id returns is byte-identical before and after, and the tenant's count moved only by what was stored.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import World, XAPIClient, make_world
from tests.factories import ACTIVITY, make_agent, make_statement, voiding

Statement = dict[str, Any]


@pytest.fixture(scope="module", params=["sqlite", "mongomock"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One LRS per adapter for the module; every test uses fresh ids and compares counts before and after."""
    instance = make_world(tmp_path_factory.mktemp("immutability"), request.param)
    yield instance
    instance.store.close()


def count(world: World, tenant: str = "tenant-a") -> int:
    return world.store.count_statements(tenant)


def exact_text(world: World, statement_id: str) -> str:
    response = world.a.get(statementId=statement_id)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def assert_not_stored(world: World, *statement_ids: str) -> None:
    for statement_id in statement_ids:
        assert world.a.get(statementId=statement_id).status_code == 404, statement_id
        assert world.a.get(voidedStatementId=statement_id).status_code == 404, statement_id


def assert_same_statement_accepted(world: World, original: Statement, variant: Statement) -> None:
    """``variant`` differs from the stored ``original`` only in allowed ways: 200 (POST) and 204 (PUT), no change."""
    before = count(world)
    text = exact_text(world, original["id"])
    posted = world.a.post(variant)
    assert posted.status_code == 200, posted.get_data(as_text=True)
    assert posted.get_json() == [original["id"].lower()]
    put = world.a.put(variant, variant["id"])
    assert put.status_code == 204, put.get_data(as_text=True)
    assert exact_text(world, original["id"]) == text
    assert count(world) == before


def assert_conflict_changes_nothing(world: World, original: Statement, variant: Statement) -> None:
    """``variant`` changes an immutable part of the stored ``original``: 409 for POST and PUT, nothing changes."""
    before = count(world)
    text = exact_text(world, original["id"])
    posted = world.a.post(variant)
    assert posted.status_code == 409, posted.get_data(as_text=True)
    assert original["id"].lower() in posted.get_json()["message"]
    put = world.a.put(variant, variant["id"])
    assert put.status_code == 409, put.get_data(as_text=True)
    assert exact_text(world, original["id"]) == text
    assert count(world) == before


# --- E1/E8: idempotent re-sends ----------------------------------------------------------------------------------


def test_e1_e8_resending_a_batch_returns_the_same_ids_and_changes_nothing(shared: World) -> None:
    before = count(shared)
    batch = [make_statement() for _ in range(5)]
    batch[2]["id"] = batch[2]["id"].upper()
    first = shared.a.post(batch)
    assert first.status_code == 200
    ids = [s["id"].lower() for s in batch]
    assert first.get_json() == ids
    texts = [exact_text(shared, i) for i in ids]
    retry = shared.a.post(batch)  # the client never saw the first answer and sends the same body again
    assert retry.status_code == 200
    assert retry.get_json() == ids
    for statement in batch:
        assert shared.a.put(statement, statement["id"]).status_code == 204
    assert [exact_text(shared, i) for i in ids] == texts
    assert count(shared) == before + 5


# --- E3: allowed differences ---------------------------------------------------------------------------------------

SUB = {
    "objectType": "SubStatement",
    "actor": {"objectType": "Group", "member": [make_agent("ayu"), make_agent("budi")]},
    "verb": {"id": "http://ex.gov/verbs/will-attend"},
    "object": {"id": ACTIVITY},
    "timestamp": "2024-05-01T08:00:00Z",
}
TEAM = {"objectType": "Group", "member": [make_agent("citra"), make_agent("dewi"), make_agent("eko")]}
REF = "5b3c4c1e-0d7a-4f5e-9a1b-2c3d4e5f6a7b"
REGISTRATION = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
BASE: Statement = {
    "actor": make_agent("ayu"),
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
    "object": {"objectType": "Activity", "id": ACTIVITY, "definition": {"name": {"en-US": "Onboarding"}}},
    "result": {"duration": "PT1.2345S", "score": {"raw": 7}},
    "context": {
        "registration": REGISTRATION,
        "instructor": make_agent("guru"),
        "team": TEAM,
        "statement": {"objectType": "StatementRef", "id": REF},
        "contextActivities": {"parent": {"id": "http://ex.gov/p", "definition": {"name": {"en": "P"}}}},
    },
    "timestamp": "2024-05-01T08:00:00Z",
}


def _edit(change: Callable[[Statement], None]) -> Callable[[Statement], Statement]:
    def transform(statement: Statement) -> Statement:
        result = copy.deepcopy(statement)
        change(result)
        return result

    return transform


EQUIVALENT: list[tuple[str, Callable[[Statement], Statement]]] = [
    ("substatement timestamp same instant", _edit(lambda s: s["object"].update(timestamp="2024-05-01T15:00:00+07:00"))),
    ("context statement ref id case", _edit(lambda s: s["context"]["statement"].update(id=REF.upper()))),
    ("registration case", _edit(lambda s: s["context"].update(registration=REGISTRATION.upper()))),
    ("instructor mbox domain case", _edit(lambda s: s["context"]["instructor"].update(mbox="mailto:guru@EXAMPLE.GOV"))),
    ("team member order", _edit(lambda s: s["context"]["team"]["member"].reverse())),
    ("substatement member order", _edit(lambda s: s["object"]["actor"]["member"].reverse())),
    ("context activity definition", _edit(lambda s: s["context"]["contextActivities"]["parent"].pop("definition"))),
    (
        "context activity as array",
        _edit(lambda s: s["context"]["contextActivities"].update(parent=[{"id": "http://ex.gov/p"}])),
    ),
    ("verb display removed", _edit(lambda s: s["verb"].pop("display"))),
    ("actor objectType omitted", _edit(lambda s: s["actor"].pop("objectType"))),
    ("timestamp with zero fraction", _edit(lambda s: s.update(timestamp="2024-05-01T08:00:00.000Z"))),
    ("timestamp basic format", _edit(lambda s: s.update(timestamp="20240501T080000Z"))),
    ("timestamp other offset", _edit(lambda s: s.update(timestamp="2024-05-01T03:30:00-04:30"))),
    ("id in upper case", _edit(lambda s: s.update(id=s["id"].upper()))),
    (
        "lrs-set properties",
        _edit(lambda s: s.update(authority=make_agent("forged"), stored="2001-01-01T00:00:00Z", version="1.0.3")),
    ),
]


def _base(**changes: Any) -> Statement:
    statement = copy.deepcopy(BASE)
    statement["id"] = str(uuid.uuid4())
    statement.update(changes)
    return statement


@pytest.mark.parametrize(("case", "transform"), EQUIVALENT, ids=[row[0] for row in EQUIVALENT])
def test_e3_allowed_differences_are_not_conflicts(
    shared: World, case: str, transform: Callable[[Statement], Statement]
) -> None:
    original = _base(object={**SUB}) if "substatement" in case else _base()
    assert shared.a.post(original).status_code == 200
    variant = transform(original)
    assert variant != original
    assert_same_statement_accepted(shared, original, variant)


@pytest.mark.parametrize(
    ("stored", "resent"),
    [
        ("PT1.2345S", "PT1.2399S"),
        ("PT1.2345S", "PT1.23S"),
        ("P1DT2H3M4.5678S", "P1DT2H3M4.567S"),
        ("PT1,2345S", "PT1,2399S"),
    ],
)
@pytest.mark.parametrize("where", ["result", "substatement result"])
def test_e3_duration_digits_beyond_hundredths_are_not_conflicts(
    shared: World, stored: str, resent: str, where: str
) -> None:
    if where == "result":
        original = _base(result={"duration": stored})
        variant = {**original, "result": {"duration": resent}}
    else:
        original = _base(object={**SUB, "result": {"duration": stored}})
        variant = {**original, "object": {**SUB, "result": {"duration": resent}}}
    assert shared.a.post(original).status_code == 200
    assert_same_statement_accepted(shared, original, variant)


def test_e3_mbox_sha1sum_case_is_not_a_conflict(shared: World) -> None:
    original = _base(actor={"mbox_sha1sum": "a" * 40})
    shared.a.post(original)
    assert_same_statement_accepted(shared, original, {**original, "actor": {"mbox_sha1sum": "A" * 40}})


# --- E4: immutable differences ---------------------------------------------------------------------------------------

ATTACHMENT = {
    "usageType": "http://example.gov/certificate",
    "display": {"en-US": "certificate"},
    "contentType": "application/pdf",
    "length": 1234,
    "sha2": "a" * 64,
    "fileUrl": "https://files.example.gov/cert.pdf",
}

CONFLICTING: list[tuple[str, Statement, Callable[[Statement], Statement]]] = [
    ("attachment sha2", _base(attachments=[ATTACHMENT]), _edit(lambda s: s["attachments"][0].update(sha2="b" * 64))),
    ("object id", _base(), _edit(lambda s: s["object"].update(id="http://ex.gov/other"))),
    ("object type", _base(), _edit(lambda s: s.update(object=make_agent("obj") | {"objectType": "Agent"}))),
    (
        "account name",
        _base(actor={"account": {"homePage": "https://lms.gov", "name": "a1"}}),
        _edit(lambda s: s["actor"]["account"].update(name="a2")),
    ),
    (
        "account name case",
        _base(actor={"account": {"homePage": "https://lms.gov", "name": "a1"}}),
        _edit(lambda s: s["actor"]["account"].update(name="A1")),
    ),
    ("mbox local part case", _base(), _edit(lambda s: s["actor"].update(mbox="mailto:AYU@example.gov"))),
    ("score raw", _base(), _edit(lambda s: s["result"]["score"].update(raw=8))),
    ("duration hundredths", _base(), _edit(lambda s: s["result"].update(duration="PT1.24S"))),
    ("duration spelling", _base(result={"duration": "PT60S"}), _edit(lambda s: s["result"].update(duration="PT1M"))),
    ("context extension value", _base(), _edit(lambda s: s["context"].update(extensions={"http://ex.gov/e": 1}))),
    ("context statement ref", _base(), _edit(lambda s: s["context"]["statement"].update(id=str(uuid.uuid4())))),
    ("team member removed", _base(), _edit(lambda s: s["context"]["team"]["member"].pop())),
    ("substatement verb", _base(object={**SUB}), _edit(lambda s: s["object"]["verb"].update(id="http://ex.gov/v2"))),
    (
        "substatement instant",
        _base(object={**SUB}),
        _edit(lambda s: s["object"].update(timestamp="2024-05-01T08:00:01Z")),
    ),
    (
        "zoneless timestamp instant",
        _base(timestamp="2024-05-01T08:00:00"),
        _edit(lambda s: s.update(timestamp="2030-01-01T00:00:00")),
    ),
    (
        "leap second timestamp instant",
        _base(timestamp="2016-12-31T23:59:60Z"),
        _edit(lambda s: s.update(timestamp="2030-01-01T00:00:00Z")),
    ),
    ("timestamp 1 ms later", _base(), _edit(lambda s: s.update(timestamp="2024-05-01T08:00:00.001Z"))),
]


@pytest.mark.parametrize(("case", "original", "transform"), CONFLICTING, ids=[row[0] for row in CONFLICTING])
def test_e4_immutable_differences_are_409_and_change_nothing(
    shared: World, case: str, original: Statement, transform: Callable[[Statement], Statement]
) -> None:
    original = {**copy.deepcopy(original), "id": str(uuid.uuid4())}
    response = shared.a.post(original)
    assert response.status_code == 200, response.get_data(as_text=True)
    variant = transform(original)
    assert variant != original
    assert_conflict_changes_nothing(shared, original, variant)


# --- E5: property test -----------------------------------------------------------------------------------------------

NAMES = ("ayu", "budi", "citra", "dewi")
mbox_agents = st.builds(
    lambda name, domain: {"objectType": "Agent", "name": name, "mbox": f"mailto:{name}@{domain}"},
    st.sampled_from(NAMES),
    st.sampled_from(("example.gov", "lrs.test")),
)
account_agents = st.builds(
    lambda name: {"account": {"homePage": "https://lms.example.gov", "name": name}},
    st.text(alphabet="abcxyz0129_", min_size=1, max_size=6),
)
groups = st.lists(mbox_agents, min_size=2, max_size=4, unique_by=lambda a: a["mbox"]).map(
    lambda members: {"objectType": "Group", "member": members}
)
activities = st.builds(
    lambda aid, name: {"objectType": "Activity", "id": aid, "definition": {"name": {"en-US": name}}},
    st.sampled_from((ACTIVITY, "http://ex.gov/a/2", "urn:ex:a:3")),
    st.sampled_from(("One", "Two")),
)
objects = st.one_of(
    activities,
    mbox_agents,
    st.uuids(version=4).map(lambda u: {"objectType": "StatementRef", "id": str(u)}),
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
results = st.fixed_dictionaries(
    {},
    optional={
        "success": st.booleans(),
        "completion": st.booleans(),
        "score": st.integers(0, 100).map(lambda raw: {"raw": raw, "min": 0, "max": 100}),
        "duration": st.sampled_from(("PT1H", "PT12.5S", "P1DT2H3M")),
        "response": st.text(max_size=8),
        "extensions": st.dictionaries(st.sampled_from(("http://ex.gov/r/a", "http://ex.gov/r/b")), json_values),
    },
)
contexts = st.fixed_dictionaries(
    {},
    optional={
        "registration": st.uuids(version=4).map(str),
        "instructor": mbox_agents,
        "contextActivities": st.just({"parent": {"id": "http://ex.gov/p", "definition": {"name": {"en": "P"}}}}),
        "extensions": st.dictionaries(st.sampled_from(("http://ex.gov/c/a", "http://ex.gov/c/b")), json_values),
    },
)
timestamps = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2035, 1, 1)).map(
    lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
)
statements = st.fixed_dictionaries(
    {
        "actor": st.one_of(mbox_agents, account_agents, groups),
        "verb": st.builds(
            lambda vid: {"id": vid, "display": {"en-US": vid.rsplit("/", 1)[-1]}},
            st.sampled_from(("http://adlnet.gov/expapi/verbs/completed", "http://ex.gov/verbs/read")),
        ),
        "object": objects,
    },
    optional={"result": results, "context": contexts, "timestamp": timestamps},
)


def _mboxes(statement: Statement) -> list[dict[str, Any]]:
    found = [statement["actor"], *statement["actor"].get("member", ())]
    if isinstance(statement.get("context", {}).get("instructor"), dict):
        found.append(statement["context"]["instructor"])
    return [agent for agent in found if "mbox" in agent]


def _upper_domain(statement: Statement, data: st.DataObject) -> None:
    for agent in _mboxes(statement):
        local, domain = agent["mbox"].split("@")
        agent["mbox"] = f"{local}@{domain.upper()}"


def _other_offset(statement: Statement, data: st.DataObject) -> None:
    moment = datetime.fromisoformat(statement["timestamp"].replace("Z", "+00:00"))
    minutes = data.draw(st.sampled_from((420, -330, 60, 0, 765)), label="offset minutes")
    shifted = moment.astimezone(timezone(timedelta(minutes=minutes)))
    statement["timestamp"] = shifted.isoformat(timespec="milliseconds")


def _shuffle_members(statement: Statement, data: st.DataObject) -> None:
    statement["actor"]["member"] = data.draw(st.permutations(statement["actor"]["member"]), label="members")


def _toggle(obj: dict[str, Any], name: str, value: str) -> None:
    if name in obj:
        del obj[name]
    else:
        obj[name] = value


# (name, applies to, transform in place)
TRANSFORMS: list[tuple[str, Callable[[Statement], bool], Callable[[Statement, st.DataObject], None]]] = [
    ("verb display", lambda s: True, lambda s, d: s["verb"].update(display={"id-ID": "selesai"})),
    (
        "activity definition",
        lambda s: s["object"].get("objectType") == "Activity",
        lambda s, d: s["object"].update(definition={"description": {"en": "changed"}}),
    ),
    ("timestamp offset", lambda s: "timestamp" in s, _other_offset),
    ("member order", lambda s: s["actor"].get("objectType") == "Group", _shuffle_members),
    ("mbox domain case", lambda s: bool(_mboxes(s)), _upper_domain),
    ("id case", lambda s: True, lambda s, d: s.update(id=s["id"].upper())),
    (
        "registration case",
        lambda s: "registration" in s.get("context", {}),
        lambda s, d: s["context"].update(registration=s["context"]["registration"].upper()),
    ),
    (
        "statement ref case",
        lambda s: s["object"].get("objectType") == "StatementRef",
        lambda s, d: s["object"].update(id=s["object"]["id"].upper()),
    ),
    (
        "agent objectType",
        lambda s: s["actor"].get("objectType") != "Group",
        lambda s, d: _toggle(s["actor"], "objectType", "Agent"),
    ),
    (
        "lrs-set properties",
        lambda s: True,
        lambda s, d: s.update(authority=make_agent("forged"), stored="2001-01-01T00:00:00Z", version="1.0.0"),
    ),
    (
        "context activity definition",
        lambda s: "contextActivities" in s.get("context", {}),
        lambda s, d: s["context"]["contextActivities"]["parent"].pop("definition", None),
    ),
]


def _new_actor(statement: Statement, data: st.DataObject) -> None:
    actor = statement["actor"]
    if "member" in actor:
        actor["member"][0] = {**actor["member"][0], "mbox": "mailto:someone-else@example.gov"}
    elif "mbox" in actor:
        actor["mbox"] = "mailto:someone-else@example.gov"
    else:
        actor["account"] = {**actor["account"], "name": actor["account"]["name"] + "-other"}


def _new_object(statement: Statement, data: st.DataObject) -> None:
    obj = statement["object"]
    kind = obj.get("objectType")
    if kind == "Activity":
        obj["id"] = obj["id"] + "/other"
    elif kind == "Agent":
        obj["mbox"] = "mailto:someone-else@example.gov"
    else:
        obj["id"] = str(uuid.uuid4())


def _flip_completion(statement: Statement, data: st.DataObject) -> None:
    result = statement.setdefault("result", {})
    result["completion"] = not result.get("completion", False)


def _new_registration(statement: Statement, data: st.DataObject) -> None:
    statement.setdefault("context", {})["registration"] = str(uuid.uuid4())


def _new_extension(statement: Statement, data: st.DataObject) -> None:
    extensions = statement.setdefault("context", {}).setdefault("extensions", {})
    extensions["http://ex.gov/c/mutated"] = data.draw(json_values, label="extension value")


def _later_timestamp(statement: Statement, data: st.DataObject) -> None:
    moment = datetime.fromisoformat(statement["timestamp"].replace("Z", "+00:00"))
    seconds = data.draw(st.sampled_from((1, -1, 3600, 0.001)), label="shift")
    statement["timestamp"] = (moment + timedelta(seconds=seconds)).astimezone(UTC).isoformat(timespec="milliseconds")


MUTATIONS: list[tuple[str, Callable[[Statement], bool], Callable[[Statement, st.DataObject], None]]] = [
    ("verb id", lambda s: True, lambda s, d: s["verb"].update(id=s["verb"]["id"] + "-other")),
    ("actor", lambda s: True, _new_actor),
    ("object", lambda s: True, _new_object),
    ("result", lambda s: True, _flip_completion),
    ("registration", lambda s: True, _new_registration),
    ("extension", lambda s: True, _new_extension),
    ("timestamp instant", lambda s: "timestamp" in s, _later_timestamp),
]


def _pick(
    data: st.DataObject,
    table: list[tuple[str, Callable[[Statement], bool], Callable[[Statement, st.DataObject], None]]],
    statement: Statement,
    *,
    min_size: int,
) -> list[tuple[str, Callable[[Statement, st.DataObject], None]]]:
    applicable = [(name, change) for name, applies, change in table if applies(statement)]
    return data.draw(
        st.lists(st.sampled_from(applicable), min_size=min_size, unique_by=lambda row: row[0]), label="changes"
    )


E5_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@E5_SETTINGS
@given(statement=statements, data=st.data())
def test_e5_equivalence_transforms_never_conflict(shared: World, statement: Statement, data: st.DataObject) -> None:
    statement = {"id": str(uuid.uuid4()), **statement}
    assert shared.a.post(statement).status_code == 200
    variant = copy.deepcopy(statement)
    for _, change in _pick(data, TRANSFORMS, statement, min_size=1):
        change(variant, data)
    assert_same_statement_accepted(shared, statement, variant)


@E5_SETTINGS
@given(statement=statements, data=st.data())
def test_e5_mutations_of_immutable_fields_are_409_and_change_nothing(
    shared: World, statement: Statement, data: st.DataObject
) -> None:
    statement = {"id": str(uuid.uuid4()), **statement}
    assert shared.a.post(statement).status_code == 200
    variant = copy.deepcopy(statement)
    for _, change in _pick(data, TRANSFORMS, statement, min_size=0):  # allowed noise on top of the mutation
        change(variant, data)
    for _, change in _pick(data, MUTATIONS, statement, min_size=1):
        change(variant, data)
    assert_conflict_changes_nothing(shared, statement, variant)


# --- E6/E7: concurrent PUTs of one id --------------------------------------------------------------------------------


def _concurrent_puts(world: World, bodies: list[Statement], statement_id: str) -> list[int]:
    def put(body: Statement) -> int:
        client = XAPIClient(world.app.test_client(), world.a.authorization)
        return client.put(body, statement_id).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(put, bodies))


def test_e6_concurrent_puts_with_different_content_store_exactly_one(shared: World) -> None:
    before = count(shared)
    statement_id = str(uuid.uuid4())
    bodies = [make_statement(id=statement_id, verb={"id": f"http://ex.gov/verbs/v{i}"}) for i in range(50)]
    statuses = _concurrent_puts(shared, bodies, statement_id)
    assert sorted(statuses) == [204] + [409] * 49, statuses
    winner = shared.a.get(statementId=statement_id).get_json()
    assert winner["verb"]["id"] in {b["verb"]["id"] for b in bodies}
    assert count(shared) == before + 1
    assert len(shared.a.get(verb=winner["verb"]["id"]).get_json()["statements"]) == 1


def test_e7_concurrent_puts_with_identical_content_all_succeed_and_store_one(shared: World) -> None:
    before = count(shared)
    statement = make_statement(verb={"id": f"http://ex.gov/verbs/{uuid.uuid4()}"})
    statuses = _concurrent_puts(shared, [statement] * 50, statement["id"])
    assert statuses == [204] * 50
    assert count(shared) == before + 1
    assert len(shared.a.get(verb=statement["verb"]["id"]).get_json()["statements"]) == 1


# --- E10: PUT statementId vs body id ---------------------------------------------------------------------------------


def test_e10_body_id_equal_up_to_case_is_accepted(shared: World) -> None:
    statement = make_statement()
    assert shared.a.put({**statement, "id": statement["id"].upper()}, statement["id"]).status_code == 204
    other = make_statement()
    assert shared.a.put(other, other["id"].upper()).status_code == 204
    assert shared.a.get(statementId=statement["id"]).get_json()["id"] == statement["id"]
    assert shared.a.get(statementId=other["id"]).get_json()["id"] == other["id"]


def test_e10_put_of_a_batch_or_a_mismatched_id_stores_nothing(shared: World) -> None:
    before = count(shared)
    statement = make_statement()
    as_array = shared.a.put([statement], statement["id"])
    assert as_array.status_code == 400
    mismatched = shared.a.put(statement, str(uuid.uuid4()))
    assert mismatched.status_code == 400
    assert count(shared) == before
    assert_not_stored(shared, statement["id"])


# --- F1-F3, F5: all or nothing ---------------------------------------------------------------------------------------


def test_f1_invalid_statement_first_or_last_in_a_long_batch_stores_none(shared: World) -> None:
    before = count(shared)
    valid = [make_statement() for _ in range(60)]
    invalid = make_statement(result={"score": {"raw": "high"}})
    for batch, index in (([*valid, invalid], 60), ([invalid, *valid], 0)):
        response = shared.a.post(batch)
        assert response.status_code == 400
        assert f"statements[{index}].result.score.raw" in response.get_json()["message"]
    assert count(shared) == before
    assert_not_stored(shared, valid[0]["id"], valid[-1]["id"])


def test_f1_voiding_statement_in_a_rejected_batch_voids_nothing(shared: World) -> None:
    target = make_statement()
    shared.a.post(target)
    before = count(shared)
    void = voiding(target["id"])
    response = shared.a.post([void, make_statement(verb={"id": "no scheme"})])
    assert response.status_code == 400
    assert count(shared) == before
    assert shared.a.get(statementId=target["id"]).status_code == 200
    assert shared.a.get(voidedStatementId=target["id"]).status_code == 404
    assert_not_stored(shared, void["id"])


def test_f2_voiding_statement_in_a_conflicting_batch_voids_nothing(shared: World) -> None:
    target, existing = make_statement(), make_statement()
    shared.a.post([target, existing])
    before = count(shared)
    void = voiding(target["id"])
    response = shared.a.post([void, {**existing, "result": {"success": False}}])
    assert response.status_code == 409
    assert count(shared) == before
    assert shared.a.get(statementId=target["id"]).status_code == 200
    assert_not_stored(shared, void["id"])


@pytest.mark.parametrize("case", ["different content", "id case", "identical, not adjacent"])
def test_f3_batch_with_one_id_twice_is_400_and_stores_nothing(shared: World, case: str) -> None:
    before = count(shared)
    first = make_statement()
    others = [make_statement(), make_statement()]
    if case == "different content":
        second = {**first, "verb": {"id": "http://ex.gov/verbs/other"}}
    elif case == "id case":
        second = {**first, "id": first["id"].upper()}
    else:
        second = copy.deepcopy(first)
    response = shared.a.post([first, *others, second])
    assert response.status_code == 400, case
    assert "statements[3].id" in response.get_json()["message"]
    assert count(shared) == before
    assert_not_stored(shared, first["id"], *(o["id"] for o in others))


@pytest.mark.parametrize("scopes", [["statements/read"], ["state"], ["define", "profile"], ["all/read"]])
def test_f5_batch_with_a_voiding_statement_from_a_credential_that_may_not_write_stores_nothing(
    shared: World, scopes: list[str]
) -> None:
    target = make_statement()
    shared.a.post(target)
    before = count(shared)
    client = shared.client_for("tenant-a", scopes)
    void, normal = voiding(target["id"]), make_statement()
    response = client.post([void, normal])
    assert response.status_code == 403
    assert count(shared) == before
    assert shared.a.get(statementId=target["id"]).status_code == 200
    assert_not_stored(shared, void["id"], normal["id"])
