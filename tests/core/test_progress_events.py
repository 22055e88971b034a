"""One stored statement -> progress events: which training and module, verb token, score, duration, session."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from lrs.progress.durations import MAX_MS, duration_ms
from lrs.progress.events import (
    COURSE,
    SESSION_EXTENSION,
    STANDALONE,
    ProgressEvent,
    TrainingIndex,
    events_for_statement,
    voided_target,
)
from lrs.progress.verbs import DEFAULT_COMPLETION, VERB_IRIS, verb_iri, verb_token
from tests.progress_data import SSO_HOMEPAGE, latsar_body, pim_body, sso_agent, statement
from validators.training import parse_training

LATSAR = parse_training("latsar", latsar_body(), sso_homepage=SSO_HOMEPAGE)
PIM = parse_training("pim", pim_body([]), sso_homepage=SSO_HOMEPAGE)
INDEX = TrainingIndex([LATSAR, PIM])
COURSE_IRI = LATSAR.course
QUIZ = f"{COURSE_IRI}/kuis"
VIDEO = f"{COURSE_IRI}/video"
AT = datetime(2025, 2, 3, 2, 30, tzinfo=UTC)
AT_US = int(AT.timestamp()) * 1_000_000
ANI = sso_agent("199001012015011001", "Ani")
ANI_KEY = f'account:["{SSO_HOMEPAGE}", "199001012015011001"]'


def _events(body: dict[str, Any], index: TrainingIndex = INDEX) -> list[ProgressEvent]:
    return events_for_statement(body, index)


def _one(body: dict[str, Any]) -> ProgressEvent:
    events = _events(body)
    assert len(events) == 1, events
    return events[0]


@pytest.mark.parametrize(
    ("case", "object_id", "parent", "grouping", "training", "activity", "direct"),
    [
        ("object is a module", VIDEO, COURSE_IRI, None, "latsar", VIDEO, True),
        ("object is the course", COURSE_IRI, None, None, "latsar", COURSE, True),
        ("question under the quiz", f"{QUIZ}/q1", QUIZ, COURSE_IRI, "latsar", QUIZ, False),
        ("cmi5: course in grouping", "https://other.example/page", None, COURSE_IRI, "latsar", COURSE, False),
        (
            "module in grouping wins over course in parent",
            "https://x.example/a",
            COURSE_IRI,
            QUIZ,
            "latsar",
            QUIZ,
            False,
        ),
        ("object match wins over context", VIDEO, QUIZ, None, "latsar", VIDEO, True),
    ],
)
def test_which_training_and_module(
    case: str, object_id: str, parent: str | None, grouping: str | None, training: str, activity: str, direct: bool
) -> None:
    event = _one(statement(ANI, "experienced", object_id, AT, parent=parent, grouping=grouping))
    assert (event.training, event.activity, event.direct) == (training, activity, direct), case
    assert event.learner == ANI_KEY
    assert event.at_us == AT_US


def test_a_statement_about_two_trainings_yields_one_event_each() -> None:
    body = statement(ANI, "completed", VIDEO, AT, grouping=PIM.course)
    events = _events(body)
    assert [(event.training, event.activity, event.direct) for event in events] == [
        ("latsar", VIDEO, True),
        ("pim", COURSE, False),
    ]
    assert len({event.statement_id for event in events}) == 1


def test_fields_of_a_cmi5_passed_statement() -> None:
    body = statement(
        ANI,
        "passed",
        QUIZ,
        AT,
        grouping=COURSE_IRI,
        session="sess-1",
        registration="0f6c2a5e-2b7a-4c59-9a53-0c1d2b0e0a11",
        result={"score": {"scaled": 0.85}, "success": True, "duration": "PT12M30.5S"},
    )
    event = _one(body)
    assert event.verb == "passed"
    assert event.scaled == 0.85
    assert event.duration_ms == 750_500
    assert event.session == "sess-1"
    assert event.statement_id == body["id"]
    assert ProgressEvent.from_record(event.to_record()) == event
    assert set(event.to_record()) == {"s", "t", "l", "a", "d", "v", "ts", "sc", "du", "se"}


def test_the_record_leaves_out_what_is_unset() -> None:
    event = _one(statement(ANI, "experienced", VIDEO, AT))
    record = event.to_record()
    assert set(record) == {"s", "t", "l", "a", "d", "v", "ts"}
    assert ProgressEvent.from_record(record) == event


@pytest.mark.parametrize(
    ("score", "scaled"),
    [
        ({"scaled": 0.5}, 0.5),
        ({"scaled": 0}, 0.0),
        ({"raw": 8, "min": 0, "max": 10}, 0.8),
        ({"raw": 8, "min": 0, "max": 10, "scaled": 0.9}, 0.9),
        ({"raw": 8}, None),
        ({"raw": 5, "min": 5, "max": 5}, None),
        ({"raw": True, "min": 0, "max": 1}, None),
    ],
)
def test_scaled_score(score: dict[str, Any], scaled: float | None) -> None:
    assert _one(statement(ANI, "scored", QUIZ, AT, result={"score": score})).scaled == scaled


@pytest.mark.parametrize(
    ("iri", "token"),
    [
        ("http://adlnet.gov/expapi/verbs/completed", "completed"),
        ("https://w3id.org/xapi/adl/verbs/satisfied", "satisfied"),
        ("https://w3id.org/xapi/adl/verbs/abandoned", "abandoned"),
        ("https://w3id.org/xapi/adl/verbs/waived", "waived"),
        ("http://activitystrea.ms/schema/1.0/submit", "submitted"),
        ("https://w3id.org/xapi/video/verbs/played", "played"),
        ("http://example.gov/verbs/completed", "http://example.gov/verbs/completed"),
    ],
)
def test_verb_tokens(iri: str, token: str) -> None:
    assert verb_token(iri) == token
    assert verb_iri(token) == iri
    assert _one(statement(ANI, iri, VIDEO, AT)).verb == token


def test_default_completion_verbs_are_known() -> None:
    assert {verb_token(iri) for iri in DEFAULT_COMPLETION} == {"completed", "passed", "satisfied"}
    assert VERB_IRIS["satisfied"] == "https://w3id.org/xapi/adl/verbs/satisfied"


@pytest.mark.parametrize(
    ("case", "body"),
    [
        ("voiding", {**statement(ANI, "voided", VIDEO, AT), "object": {"objectType": "StatementRef", "id": "x"}}),
        (
            "anonymous group",
            statement({"objectType": "Group", "member": [{"mbox": "mailto:a@example.go.id"}]}, "completed", VIDEO, AT),
        ),
        ("agent object", {**statement(ANI, "completed", VIDEO, AT), "object": {"objectType": "Agent", **ANI}}),
        ("sub-statement", {**statement(ANI, "completed", VIDEO, AT), "object": {"objectType": "SubStatement"}}),
        ("standalone without time", statement(ANI, "experienced", "https://kb.example/page", AT)),
    ],
)
def test_statements_without_events(case: str, body: dict[str, Any]) -> None:
    assert _events(body) == [], case


def test_standalone_microlearning() -> None:
    clip = "https://lms.example.go.id/micro/video1"
    event = _one(statement(ANI, "completed", clip, AT, result={"duration": "PT5M"}))
    assert (event.training, event.activity, event.direct, event.duration_ms) == (STANDALONE, clip, True, 300_000)
    question = _one(statement(ANI, "answered", f"{clip}/q1", AT, parent=clip, session="s"))
    assert (question.training, question.activity, question.direct) == (STANDALONE, clip, False)
    assert (
        events_for_statement(statement(ANI, "completed", VIDEO, AT, session="s"), TrainingIndex([]))[0].training
        == STANDALONE
    )


def test_group_actor_with_an_ifi_is_the_learner() -> None:
    group = {"objectType": "Group", "mbox": "mailto:kelompok1@example.go.id"}
    assert _one(statement(group, "completed", VIDEO, AT)).learner == "mbox:mailto:kelompok1@example.go.id"


def test_time_falls_back_to_stored() -> None:
    body = statement(ANI, "completed", VIDEO, AT)
    body.pop("timestamp")
    body["stored"] = "2025-02-03T02:30:00.000Z"
    assert _one(body).at_us == AT_US


def test_session_id_only_from_the_cmi5_extension() -> None:
    body = statement(ANI, "completed", VIDEO, AT)
    body["context"] = {"extensions": {SESSION_EXTENSION: 42, "https://example.gov/session": "s"}}
    assert _one(body).session is None


def test_context_activities_as_a_single_object() -> None:
    body = statement(ANI, "answered", f"{QUIZ}/q2", AT)
    body["context"] = {"contextActivities": {"parent": {"id": QUIZ}}}
    assert _one(body).activity == QUIZ


def test_voided_target() -> None:
    voiding = {
        "actor": ANI,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": "E0B4A1C2-0000-4000-8000-000000000001"},
    }
    assert voided_target(voiding) == "e0b4a1c2-0000-4000-8000-000000000001"
    assert voided_target(statement(ANI, "completed", VIDEO, AT)) is None


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("PT1H30M", 5_400_000),
        ("PT0.5S", 500),
        ("PT1,25S", 1_250),
        ("PT12M30.5S", 750_500),
        ("P1D", 86_400_000),
        ("P1W", 7 * 86_400_000),
        ("P1DT1S", 86_401_000),
        ("PT0S", 0),
        ("P100Y", MAX_MS),
        ("PT", None),
        ("P", None),
        ("1H", None),
        ("PT-1S", None),
        (None, None),
        (30, None),
    ],
)
def test_duration_ms(text: object, ms: int | None) -> None:
    assert duration_ms(text) == ms


# fast paths of the hot loop: the same answers as the general parsers -------------------------------------------
def test_fast_timestamps_equal_the_full_parser() -> None:
    import random

    from lrs.progress.events import _instant_us
    from lrs.timeutil import parse_instant_us

    rng = random.Random(3)
    samples = [
        "2025-01-06T08:25:00Z",
        "2025-01-06T08:25:60Z",  # a leap second: the full parser
        "2025-02-30T08:25:00Z",
        "2025-01-06T24:00:00Z",
        "0000-01-06T08:25:00Z",
        "2025-01-06T08:25:00.1234567Z",
        "2025-01-06T08:25:00+07:00",
        "2025-01-06 08:25:00Z",
        "20250106T082500Z",
        "",
        None,
        17,
    ]
    for _ in range(3000):
        fraction = "" if rng.random() < 0.3 else "." + "".join(rng.choices("0123456789", k=rng.randint(1, 8)))
        samples.append(
            f"{rng.randint(0, 9999):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}T{rng.randint(0, 25):02d}:"
            f"{rng.randint(0, 60):02d}:{rng.randint(0, 61):02d}{fraction}{rng.choice(['Z', 'z', '', '+00:00'])}"
        )
    for value in samples:
        assert _instant_us(value) == parse_instant_us(value), value


def test_fast_durations_equal_the_full_parser() -> None:
    import random

    from lrs.progress.durations import duration_ms
    from lrs.progress.events import _duration_ms

    rng = random.Random(4)
    samples: list[object] = ["PT", "P", "PT0S", "PT1.5S", "PT1,5S", "P1DT2H", "PT1H30M", "PT.5S", "PT5.S", None, 5]
    samples += ["PT" + "9" * 9 + "H", "PT1." + "9" * 12 + "S", "pt5m", "PT5M ", "PT-5S"]
    for _ in range(5000):
        parts = ["PT"]
        for unit in "HMS":
            if rng.random() < 0.6:
                number = str(rng.randint(0, 10 ** rng.randint(1, 10)))
                if unit == "S" and rng.random() < 0.5:
                    number += "." + "".join(rng.choices("0123456789", k=rng.randint(1, 10)))
                parts.append(number + unit)
        samples.append("".join(parts))
    for value in samples:
        assert _duration_ms(value) == duration_ms(value), value


def test_fast_learner_keys_equal_ifi_key() -> None:
    from lrs.agents import ifi_key
    from lrs.progress.events import _learner

    account = {"homePage": "https://sso.example.go.id", "name": "199001012015011001"}
    actors: list[dict[str, Any]] = [
        {"account": account},
        {"account": account, "mbox": "mailto:Ani@Example.go.id"},
        {"account": account, "mbox": 5},
        {"account": account, "openid": "https://id.example/ani"},
        {"account": {"homePage": "https://sso.example.go.id", "name": 7}},
        {"account": {"homePage": "https://sso.example.go.id"}},
        {"account": {"homePage": "https://sso.example.go.id", "name": '"quoted" ünï'}},
        {"account": "not an object"},
        {"mbox_sha1sum": "AB" * 20},
        {"objectType": "Group", "member": []},
    ]
    for actor in actors * 2:  # the second time from the cache
        assert _learner(actor) == ifi_key(actor), actor
