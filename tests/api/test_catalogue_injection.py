"""Catalogue J (injection and parser robustness) for the Statement resource: never a 5xx, never operator
semantics, nothing stored on a rejection, and no later GET emitting invalid JSON.

Already covered elsewhere and not repeated: ``agent={"mbox":{"$ne":null}}``, top-level duplicate keys, NaN in
``score.raw``, 5,000 nested arrays, one invalid UTF-8 byte, a lone surrogate in a value, a 5,000-digit number at the
top level, and ``verb=a&verb=b`` (``test_statements_read.py``, ``test_statements_write.py``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import World, basic, make_world
from tests.factories import make_agent, make_statement

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module", params=["sqlite", "mongomock"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    instance = make_world(tmp_path_factory.mktemp("injection"), request.param)
    yield instance
    instance.store.close()


def count(world: World) -> int:
    return world.store.count_statements("tenant-a")


def _strict_constant(name: str) -> Any:
    raise AssertionError(f"the LRS emitted {name}, which is not JSON")


def strict_json(text: str) -> Any:
    return json.loads(text, parse_constant=_strict_constant)


def post_raw(world: World, body: bytes | str, content_type: str = "application/json") -> Any:
    return world.a.request("POST", data=body, headers={"Content-Type": content_type})


def assert_400_nothing_stored(world: World, before: int, response: Any, *statement_ids: str) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["message"]
    assert count(world) == before
    for statement_id in statement_ids:
        assert world.a.get(statementId=statement_id).status_code == 404


def assert_all_reads_are_strict_json(world: World) -> None:
    """The newest page of every format parses as strict JSON (the exact format serves the stored texts)."""
    for statement_format in ("exact", "ids", "canonical"):
        response = world.a.get(limit="500", format=statement_format)
        assert response.status_code == 200
        strict_json(response.get_data(as_text=True))


# --- J1: operator-shaped values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"agent": '{"$where": "1"}'},
        {"agent": '{"mbox": "mailto:ayu@example.gov", "$where": "1"}'},
        {"agent": '{"account": {"homePage": {"$ne": null}, "name": "x"}}'},
        {"agent": '{"account": {"homePage": "https://lms.gov", "name": {"$regex": ".*"}}}'},
        {"agent": '{"mbox_sha1sum": {"$exists": true}}'},
        {"agent": '{"objectType": "Group", "member": [{"$where": "1"}]}'},
        {"verb": '{"$gt": ""}'},
        {"activity": '{"$ne": null}'},
        {"registration": '{"$ne": null}'},
        {"since": '{"$gt": 0}'},
        {"statementId": '{"$ne": null}'},
        {"voidedStatementId": '{"$exists": true}'},
        {"format": '{"$ne": "exact"}'},
        {"limit": '{"$gt": 0}'},
    ],
)
def test_j1_operator_shaped_query_values_are_400_without_results(shared: World, params: dict[str, str]) -> None:
    shared.a.post(make_statement())
    response = shared.a.get(**params)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "statements" not in response.get_json()


@pytest.mark.parametrize(
    "change",
    [
        {"actor": {"mbox": {"$ne": None}}},
        {"actor": {"objectType": "Agent", "$where": "1", "mbox": "mailto:a@ex.gov"}},
        {"verb": {"id": {"$regex": ".*"}}},
        {"object": {"id": {"$gt": ""}}},
        {"context": {"registration": {"$ne": None}}},
        {"$set": {"voided": True}},
        {"result": {"$inc": {"score.raw": 1}}},
    ],
)
def test_j1_operator_shaped_statement_fields_are_400_and_store_nothing(shared: World, change: dict[str, Any]) -> None:
    before = count(shared)
    statement = {**make_statement(), **change}
    assert_400_nothing_stored(shared, before, shared.a.post(statement), statement["id"])


# --- J2 (statement analogue): $ and . in identifiers match literally ---------------------------------------------


def test_j2_dollar_and_dot_in_iris_are_matched_literally(shared: World) -> None:
    tag = uuid.uuid4().hex
    literal = f"http://ex.gov/{tag}/$where.a.b"
    prefix = f"http://ex.gov/{tag}/$where"
    exact = make_statement(object={"id": literal}, verb={"id": literal + "/verb.$set"})
    near = make_statement(object={"id": prefix}, verb={"id": prefix + "/verb"})
    assert shared.a.post([exact, near]).status_code == 200
    assert [s["id"] for s in shared.a.get(activity=literal).get_json()["statements"]] == [exact["id"]]
    assert [s["id"] for s in shared.a.get(activity=prefix).get_json()["statements"]] == [near["id"]]
    assert [s["id"] for s in shared.a.get(verb=literal + "/verb.$set").get_json()["statements"]] == [exact["id"]]
    assert shared.a.get(activity=f"http://ex.gov/{tag}/.*").get_json()["statements"] == []
    assert shared.a.get(activity=f"http://ex.gov/{tag}/%").get_json()["statements"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"statementId": "\x00"},
        {"activity": "http://ex.gov/a\x00b"},
        {"verb": "http://ex.gov/" + "v" * 200_000},
        {"agent": json.dumps({"mbox": "mailto:" + "a" * 100_000 + "@ex.gov"})},
        {"registration": "%00"},
        {"since": "2024-05-01T08:00:00Z\x00"},
    ],
)
def test_j2_nul_and_very_long_parameters_are_answered_without_a_5xx(shared: World, params: dict[str, str]) -> None:
    response = shared.a.get(**params)
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    if response.status_code == 200:
        assert response.get_json()["statements"] == []


# --- J3: extension keys and values that look like operators or paths --------------------------------------------

TRICKY_VALUE = {
    "$where": "function() { return true; }",
    "a.b": {"c.d": 1},
    "": "",
    "ключ": "значение",
    "$set": {"voided": True, "$inc": {"a.b": 1}},
    "_id": {"$oid": "000000000000000000000000"},
    "tenant": "tenant-b",
}
TRICKY_EXTENSIONS = {
    "http://ex.gov/ext/$where": 1,
    "http://ex.gov/ext/a.b": "dotted",
    "urn:ex:ключ": {"вложенный": ["ключ", {"$set": {"x": 1}}]},
    "http://ex.gov/ext/value": TRICKY_VALUE,
    "http://ex.gov/ext/$set": {"$set": {"a.b": None}},
}


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("where", ["result", "context", "definition", "substatement"])
def test_j3_extension_keys_and_values_round_trip_exactly(shared: World, where: str) -> None:
    extensions = json.loads(json.dumps(TRICKY_EXTENSIONS))
    if where == "result":
        statement = make_statement(result={"extensions": extensions})
    elif where == "context":
        statement = make_statement(context={"extensions": extensions})
    elif where == "definition":
        activity = f"http://ex.gov/activities/{uuid.uuid4().hex}"
        statement = make_statement(object={"id": activity, "definition": {"extensions": extensions}})
    else:
        sub = {
            "objectType": "SubStatement",
            "actor": make_agent(),
            "verb": {"id": "http://ex.gov/verbs/plans"},
            "object": {"id": "http://ex.gov/a"},
            "result": {"extensions": extensions},
        }
        statement = make_statement(object=sub)
    response = shared.a.post(statement)
    assert response.status_code == 200, response.get_data(as_text=True)
    exact = shared.a.get(statementId=statement["id"], format="exact")
    text = exact.get_data(as_text=True)
    assert _compact(extensions) in text  # byte-equivalent, key order kept, nothing interpreted
    body = json.loads(text)
    assert "voided" not in body and "_id" not in body and "tenant" not in body
    assert shared.a.get(statementId=statement["id"]).status_code == 200  # not voided by "$set": {"voided": true}
    canonical = shared.a.get(statementId=statement["id"], format="canonical").get_data(as_text=True)
    assert _compact(extensions) in canonical
    listed = shared.a.get(verb=statement["verb"]["id"], limit="1").get_data(as_text=True)
    assert _compact(extensions) in listed


@pytest.mark.parametrize("key", ["$where", "a.b", "", "ключ", "$set"])
def test_j3_extension_keys_that_are_not_iris_are_a_documented_400(shared: World, key: str) -> None:
    """xAPI requires extension keys to be IRIs (Data 4.1): the bare keys are refused, naming the key."""
    before = count(shared)
    statement = make_statement(result={"extensions": {key: {"$set": {"x": 1}}}})
    response = shared.a.post(statement)
    assert_400_nothing_stored(shared, before, response, statement["id"])
    assert json.dumps(key, ensure_ascii=False) in response.get_json()["message"]


# --- J4: nesting ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"a":' * 10_000 + "1" + "}" * 10_000,
        "[{" * 5_000 + "}]" * 5_000,
        '{"result":{"extensions":{"http://ex.gov/e":' + "[" * 10_000 + "]" * 10_000 + "}}}",
        "[" * 100_000,
    ],
    ids=["objects 10k", "mixed 10k", "inside an extension 10k", "unclosed 100k"],
)
def test_j4_hostile_nesting_is_400_not_a_recursion_error(shared: World, body: str) -> None:
    before = count(shared)
    assert_400_nothing_stored(shared, before, post_raw(shared, body))


@pytest.mark.parametrize("depth", [100, 150, 199])
def test_j4_extension_nested_between_100_and_200_levels_is_400(shared: World, depth: int) -> None:
    before = count(shared)
    statement = make_statement()
    value = "[" * depth + "]" * depth
    text = json.dumps(statement)[:-1] + ', "result": {"extensions": {"http://ex.gov/e": ' + value + "}}}"
    assert_400_nothing_stored(shared, before, post_raw(shared, text), statement["id"])


def test_j4_moderate_nesting_and_brackets_inside_strings_are_accepted(shared: World) -> None:
    nested: Any = "bottom"
    for level in range(28):  # 56 levels inside the statement's 3
        nested = {f"level{level}": [nested]}
    brackets = '\\"' + "[{" * 5_000 + '"'
    extensions = {"http://ex.gov/e/nested": nested, "http://ex.gov/e/brackets": brackets}
    statement = make_statement(result={"extensions": extensions})
    response = shared.a.post(statement)
    assert response.status_code == 200, response.get_data(as_text=True)
    stored = shared.a.get(statementId=statement["id"]).get_json()["result"]["extensions"]
    assert stored == extensions


# --- J5/J6: numbers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number", [str(2**70), str(-(2**70)), "1" + "0" * 4000, "0.1000000000000000055511151231257827"]
)
@pytest.mark.parametrize("where", ["score", "extension"])
def test_j5_big_numbers_are_400_or_round_trip_exactly(shared: World, number: str, where: str) -> None:
    before = count(shared)
    statement = make_statement()
    if where == "score":
        addition = '"result": {"score": {"raw": ' + number + "}}"
    else:
        addition = '"result": {"extensions": {"http://ex.gov/e": ' + number + "}}"
    response = post_raw(shared, json.dumps(statement)[:-1] + ", " + addition + "}")
    if response.status_code == 400:
        assert count(shared) == before
        return
    assert response.status_code == 200, response.get_data(as_text=True)
    text = shared.a.get(statementId=statement["id"]).get_data(as_text=True)
    body = json.loads(text)
    sent = json.loads(number)
    returned = body["result"]["score"]["raw"] if where == "score" else body["result"]["extensions"]["http://ex.gov/e"]
    assert returned == sent and type(returned) is type(sent)


@pytest.mark.parametrize("number", ["1" * 5000, "-" + "9" * 5000, "0." + "1" * 5000 + "e5000"])
def test_j5_five_thousand_digit_numbers_inside_a_statement_are_400(shared: World, number: str) -> None:
    before = count(shared)
    statement = make_statement()
    text = json.dumps(statement)[:-1] + ', "result": {"extensions": {"http://ex.gov/e": ' + number + "}}}"
    assert_400_nothing_stored(shared, before, post_raw(shared, text), statement["id"])


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1E+999"])
@pytest.mark.parametrize("where", ["score", "extension", "batch"])
def test_j6_non_finite_numbers_are_400_and_reads_stay_valid_json(shared: World, literal: str, where: str) -> None:
    before = count(shared)
    valid = make_statement()
    statement = make_statement()
    if where == "score":
        text = json.dumps(statement)[:-1] + ', "result": {"score": {"scaled": ' + literal + "}}}"
    else:
        text = json.dumps(statement)[:-1] + ', "result": {"extensions": {"http://ex.gov/e": [' + literal + "]}}}"
    if where == "batch":
        text = "[" + json.dumps(valid) + ", " + text + "]"
    response = post_raw(shared, text)
    assert_400_nothing_stored(shared, before, response, statement["id"], valid["id"])
    assert_all_reads_are_strict_json(shared)


def test_j6_tiny_and_huge_finite_numbers_never_make_reads_invalid(shared: World) -> None:
    statement = make_statement()
    extension = "[1e-400, 1.7976931348623157e308, -0.0, 5e-324, 1e308]"
    text = json.dumps(statement)[:-1] + ', "result": {"extensions": {"http://ex.gov/e": ' + extension + "}}}"
    response = post_raw(shared, text)
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    assert_all_reads_are_strict_json(shared)


# --- J7/J8: surrogates and encodings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "old", "new"),
    [
        ("high surrogate in a key", '{"id"', '{"\\ud800": 1, "id"'),
        ("low surrogate in a value", '"completed"}', '"\\udc00"}'),
        ("reversed pair", '"completed"}', '"\\ude00\\ud83d"}'),
        ("surrogate in an extension key", '"http://ex.gov/e"', '"http://ex.gov/\\ud800"'),
        ("surrogate deep in an extension value", '"k": 1', '"\\udbff": "\\ud800"'),
    ],
)
def test_j7_lone_surrogates_anywhere_are_400(shared: World, case: str, old: str, new: str) -> None:
    before = count(shared)
    statement = make_statement(result={"extensions": {"http://ex.gov/e": {"k": 1}}})
    text = json.dumps(statement)
    assert old in text
    response = post_raw(shared, text.replace(old, new, 1))
    assert_400_nothing_stored(shared, before, response, statement["id"])


def test_j7_escaped_surrogate_pair_is_a_valid_character_and_round_trips(shared: World) -> None:
    statement = make_statement(result={"response": "\U0001f600", "extensions": {"http://ex.gov/\U0001f600": "ok"}})
    response = post_raw(shared, json.dumps(statement))  # ensure_ascii: the emoji travels as \\ud83d\\ude00
    assert response.status_code == 200
    body = shared.a.get(statementId=statement["id"]).get_json()
    assert body["result"] == statement["result"]


def test_j7_lone_surrogate_in_a_query_parameter_is_400(shared: World) -> None:
    response = shared.a.get(agent='{"mbox": "mailto:\\ud800@ex.gov"}')
    assert response.status_code == 400
    assert "surrogate" in response.get_json()["message"]


def _encodings() -> list[tuple[str, bytes]]:
    text = json.dumps(make_statement(result={"response": "é ключ"}), ensure_ascii=False)
    utf8 = text.encode("utf-8")
    return [
        ("utf-16 with BOM", text.encode("utf-16")),
        ("utf-16-le without BOM", text.encode("utf-16-le")),
        ("utf-16-be without BOM", text.encode("utf-16-be")),
        ("utf-32", text.encode("utf-32")),
        ("overlong slash", utf8.replace(b"\xc3\xa9", b"\xc0\xaf")),
        ("truncated sequence", utf8.replace(b"\xc3\xa9", b"\xe2\x82")),
        ("encoded surrogate (CESU-8)", utf8.replace(b"\xc3\xa9", b"\xed\xa0\x80")),
        ("latin-1", text.encode("utf-8").replace(b"\xc3\xa9", b"\xe9")),
        ("stray continuation byte", utf8.replace(b"\xc3\xa9", b"\x80")),
    ]


@pytest.mark.parametrize(("case", "body"), _encodings(), ids=[row[0] for row in _encodings()])
def test_j8_bodies_that_are_not_utf8_are_400(shared: World, case: str, body: bytes) -> None:
    before = count(shared)
    for content_type in ("application/json", "application/json; charset=utf-16"):
        response = post_raw(shared, body, content_type)
        assert response.status_code == 400, (case, content_type)
    assert count(shared) == before


# --- J10: encoding tricks and ambiguous parameters --------------------------------------------------------------


def test_j10_query_strings_are_decoded_exactly_once(shared: World) -> None:
    base = f"http://ex.gov/{uuid.uuid4().hex}/"
    percent = make_statement(verb={"id": base + "%24ne"})
    dollar = make_statement(verb={"id": base + "$ne"})
    assert shared.a.post([percent, dollar]).status_code == 200

    def found(raw_query: str) -> list[str]:
        response = shared.a.request("GET", "/xapi/statements?" + raw_query)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [s["id"] for s in response.get_json()["statements"]]

    assert found("verb=" + base + "%2524ne") == [percent["id"]]
    assert found("verb=" + base + "%24ne") == [dollar["id"]]
    assert found("verb=" + quote(base + "%24ne", safe="")) == [percent["id"]]
    assert shared.a.request("GET", "/xapi/statements?registration=%2524ne").status_code == 400
    assert shared.a.request("GET", "/xapi/statements?agent=%257B%2522%2524ne%2522%253A1%257D").status_code == 400
    assert shared.a.request("GET", "/xapi/statements?%2566oo=1").status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        "agent={0}&agent={0}",
        "statementId={1}&statementId={1}",
        "since=2020-01-01T00:00:00Z&since=2030-01-01T00:00:00Z",
        "limit=1&limit=1",
        "registration={1}&Registration={1}",
    ],
)
def test_j10_repeated_or_case_twin_parameters_are_400(shared: World, query: str) -> None:
    agent = quote(json.dumps({"mbox": "mailto:ayu@example.gov"}), safe="")
    response = shared.a.request("GET", "/xapi/statements?" + query.format(agent, str(uuid.uuid4())))
    assert response.status_code == 400
    assert "statements" not in response.get_json()


def test_j10_parameters_in_both_the_query_and_an_alternate_syntax_form_are_refused(shared: World) -> None:
    key, secret = shared.keys["tenant-a"]
    form = {"Authorization": basic(key, secret), "X-Experience-API-Version": "1.0.3", "verb": "http://ex.gov/a"}
    client = shared.anonymous.client
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    twice = urlencode([*form.items(), ("verb", "http://ex.gov/b")])
    assert client.post("/xapi/statements?method=GET", data=twice, headers=headers).status_code == 400
    both = client.post("/xapi/statements?method=GET&verb=http://ex.gov/b", data=urlencode(form), headers=headers)
    assert both.status_code == 400
    method_twice = client.post("/xapi/statements?method=GET&method=PUT", data=urlencode(form), headers=headers)
    assert method_twice.status_code == 400


# --- timestamps at the edges of the calendar (D10/J: never 5xx) --------------------------------------------------

EDGE_TIMESTAMPS = [
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:60Z",
    "9999-12-31T23:59:59.999999999Z",
    "0000-01-01T00:00:00Z",
]


def test_calendar_edge_timestamps_in_statements_are_200_or_400_never_500(shared: World) -> None:
    sub = {
        "objectType": "SubStatement",
        "actor": make_agent(),
        "verb": {"id": "http://ex.gov/verbs/plans"},
        "object": {"id": "http://ex.gov/a"},
    }
    wrong: list[tuple[str, str, int]] = []
    for timestamp in EDGE_TIMESTAMPS:
        for field in ("timestamp", "stored", "substatement timestamp"):
            if field == "substatement timestamp":
                statement = make_statement(object={**sub, "timestamp": timestamp})
            else:
                statement = make_statement(**{field: timestamp})
            before = count(shared)
            response = shared.a.post(statement)
            if response.status_code == 200:
                ok = shared.a.get(statementId=statement["id"]).status_code == 200
            else:
                ok = response.status_code == 400 and count(shared) == before
            if not ok:
                wrong.append((field, timestamp, response.status_code))
    assert wrong == [], wrong


def test_calendar_edge_timestamps_as_query_bounds_are_200_or_400_never_500(shared: World) -> None:
    wrong = [
        (name, timestamp, status)
        for timestamp in EDGE_TIMESTAMPS
        for name in ("since", "until")
        if (status := shared.a.get(**{name: timestamp}).status_code) not in (200, 400)
    ]
    assert wrong == [], wrong


# --- property: random junk in a valid statement or in query parameters ------------------------------------------

json_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
STATEMENT_PATHS = [
    ("id",),
    ("actor",),
    ("actor", "mbox"),
    ("actor", "objectType"),
    ("verb",),
    ("verb", "id"),
    ("verb", "display"),
    ("object",),
    ("object", "objectType"),
    ("object", "definition"),
    ("object", "definition", "interactionType"),
    ("result",),
    ("result", "score"),
    ("result", "duration"),
    ("context",),
    ("context", "contextActivities"),
    ("timestamp",),
    ("stored",),
    ("authority",),
    ("version",),
    ("attachments",),
]
JUNK_SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@JUNK_SETTINGS
@given(path=st.sampled_from(STATEMENT_PATHS), value=json_junk | st.text(max_size=40))
def test_random_values_in_a_statement_give_200_or_400_and_never_store_on_400(
    shared: World, path: tuple[str, ...], value: Any
) -> None:
    statement = make_statement(result={"score": {"raw": 1}}, context={"registration": str(uuid.uuid4())})
    node: Any = statement
    for name in path[:-1]:
        node = node.setdefault(name, {})
    node[path[-1]] = value
    before = count(shared)
    response = shared.a.post(statement)
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    if response.status_code == 400:
        assert count(shared) == before
    else:
        stored_id = response.get_json()[0]
        strict_json(shared.a.get(statementId=stored_id).get_data(as_text=True))


QUERY_NAMES = [
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
    "statementId",
    "voidedStatementId",
    "more",
]


@JUNK_SETTINGS
@given(
    params=st.dictionaries(
        st.sampled_from(QUERY_NAMES),
        st.text(max_size=30) | json_junk.map(json.dumps) | st.integers().map(str),
        min_size=1,
        max_size=4,
    )
)
def test_random_query_parameters_never_give_a_5xx(shared: World, params: dict[str, str]) -> None:
    response = shared.a.get(**params)
    assert response.status_code in (200, 400, 404), (params, response.get_data(as_text=True))
    if response.mimetype == "application/json":
        strict_json(response.get_data(as_text=True))
