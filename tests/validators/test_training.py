"""Training definitions: every bad input is a 400 naming its field path; good ones round-trip."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from lrs.errors import BadRequestError
from lrs.progress.training import ModuleKind, PassingKind, training_to_json
from lrs.progress.verbs import DEFAULT_COMPLETION, VERB_IRIS
from tests.progress_data import SSO_HOMEPAGE, latsar_body, pim_body
from validators.training import parse_training

COURSE = "https://lms.example.go.id/courses/latsar"


def _parse(body: object, training_id: str = "latsar") -> Any:
    return parse_training(training_id, body, sso_homepage=SSO_HOMEPAGE)


def _with(change: dict[str, Any] | None = None, drop: tuple[str, ...] = (), **module_changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(latsar_body())
    for key in drop:
        body.pop(key)
    body.update(change or {})
    for index_key, value in module_changes.items():
        index, key = index_key[1:].split("_", 1)
        body["modules"][int(index)][key] = value
    return body


def test_a_full_definition_is_typed() -> None:
    training = _parse(latsar_body())
    assert training.id == "latsar"
    assert training.course == COURSE
    assert training.centi_jp == 2400
    assert [module.kind for module in training.modules] == [
        ModuleKind.MATERIAL,
        ModuleKind.VIDEO,
        ModuleKind.ASSESSMENT,
        ModuleKind.ASSIGNMENT,
        ModuleKind.EVALUATION,
        ModuleKind.MATERIAL,
    ]
    assert training.modules[0].completion_verbs == DEFAULT_COMPLETION
    assert training.modules[3].completion_verbs == (VERB_IRIS["submitted"],)
    assert [module.required for module in training.modules] == [True] * 5 + [False]
    assert training.passing is not None
    assert training.passing.kind is PassingKind.MIN_SCORE
    assert training.passing.modules == (f"{COURSE}/kuis",)  # default: the assessment modules
    assert training.period is not None
    assert training.period.start == date(2025, 1, 6)
    assert training.enrolment is None
    assert training.coordinators[0].key == f'account:["{SSO_HOMEPAGE}", "199001012015011001"]'
    assert training.coordinators[1].key == "mbox:mailto:pic.latsar@example.go.id"


def test_defaults_for_optional_parts() -> None:
    body = {"title": "T", "course": COURSE, "jp": 1, "modules": []}
    training = _parse(body)
    assert training.passing is None
    assert training.period is None
    assert training.coordinators == ()
    assert training.enrolment is None
    assert training.completion_verbs == DEFAULT_COMPLETION
    assert DEFAULT_COMPLETION == (
        "http://adlnet.gov/expapi/verbs/completed",
        "http://adlnet.gov/expapi/verbs/passed",
        "https://w3id.org/xapi/adl/verbs/satisfied",
    )


@pytest.mark.parametrize(
    "body",
    [latsar_body(), pim_body(["199500000220200112", {"mbox": "mailto:a@example.go.id"}])],
    ids=["latsar", "pim"],
)
def test_definitions_round_trip(body: dict[str, Any]) -> None:
    training = _parse(body)
    again = _parse(training_to_json(training))
    assert again == training
    assert [person.agent for person in again.coordinators] == [person.agent for person in training.coordinators]


def test_enrolment_by_sso_number_or_agent() -> None:
    training = _parse(pim_body(["199500000220200112", {"mbox": "mailto:A@Example.go.id"}]), "pim")
    assert training.enrolled_keys() == {
        f'account:["{SSO_HOMEPAGE}", "199500000220200112"]',
        "mbox:mailto:A@example.go.id",
    }


def test_fractional_jp_is_kept_in_hundredths() -> None:
    assert _parse(_with({"jp": 2.5})).centi_jp == 250
    assert _parse(_with({"jp": 0.01})).centi_jp == 1


def test_the_path_id_must_match_a_body_id() -> None:
    assert _parse(_with({"id": "latsar"})).id == "latsar"
    with pytest.raises(BadRequestError) as caught:
        _parse(_with({"id": "other"}))
    assert caught.value.errors["path"] == "training.id"


@pytest.mark.parametrize(
    ("case", "body", "path"),
    [
        ("not an object", [], "training"),
        ("unknown field", _with({"colour": "red"}), "training.colour"),
        ("no title", _with(drop=("title",)), "training.title"),
        ("blank title", _with({"title": "  "}), "training.title"),
        ("long title", _with({"title": "x" * 301}), "training.title"),
        ("no course", _with(drop=("course",)), "training.course"),
        ("course not an IRI", _with({"course": "latsar"}), "training.course"),
        ("no jp", _with(drop=("jp",)), "training.jp"),
        ("jp zero", _with({"jp": 0}), "training.jp"),
        ("jp negative", _with({"jp": -3}), "training.jp"),
        ("jp string", _with({"jp": "24"}), "training.jp"),
        ("jp boolean", _with({"jp": True}), "training.jp"),
        ("jp three decimals", _with({"jp": 1.005}), "training.jp"),
        ("jp huge", _with({"jp": 10_001}), "training.jp"),
        ("no modules", _with(drop=("modules",)), "training.modules"),
        ("modules not a list", _with({"modules": {}}), "training.modules"),
        ("module not an object", _with({"modules": ["x"]}), "training.modules[0]"),
        ("module unknown field", _with(m0_weight=2), "training.modules[0].weight"),
        ("module id not an IRI", _with(m1_id="video"), "training.modules[1].id"),
        ("module kind unknown", _with(m1_kind="podcast"), "training.modules[1].kind"),
        ("module kind missing", _with({"modules": [{"id": COURSE + "/a", "title": "A"}]}), "training.modules[0].kind"),
        (
            "module title missing",
            _with({"modules": [{"id": COURSE + "/a", "kind": "video"}]}),
            "training.modules[0].title",
        ),
        ("module required string", _with(m2_required="yes"), "training.modules[2].required"),
        ("module verbs empty", _with(m0_completion_verbs=[]), "training.modules[0].completion_verbs"),
        ("module verb not IRI", _with(m0_completion_verbs=["completed"]), "training.modules[0].completion_verbs[0]"),
        (
            "module verb twice",
            _with(m0_completion_verbs=[VERB_IRIS["completed"], VERB_IRIS["completed"]]),
            "training.modules[0].completion_verbs[1]",
        ),
        ("module id twice", _with(m1_id=COURSE + "/materi"), "training.modules[1]"),
        ("module is the course", _with(m1_id=COURSE), "training.modules[1].id"),
        ("course verbs empty", _with({"completion_verbs": []}), "training.completion_verbs"),
        ("passing not object", _with({"passing": "min_score"}), "training.passing"),
        ("passing rule unknown", _with({"passing": {"rule": "vibes"}}), "training.passing.rule"),
        ("passing rule missing", _with({"passing": {"min_scaled": 0.5}}), "training.passing.rule"),
        ("passing min missing", _with({"passing": {"rule": "min_score"}}), "training.passing.min_scaled"),
        (
            "passing min above 1",
            _with({"passing": {"rule": "min_score", "min_scaled": 70}}),
            "training.passing.min_scaled",
        ),
        (
            "passing unknown module",
            _with({"passing": {"rule": "min_score", "min_scaled": 0.7, "modules": [COURSE + "/x"]}}),
            "training.passing.modules[0]",
        ),
        (
            "passing without assessment",
            {"title": "T", "course": COURSE, "jp": 1, "modules": [], "passing": {"rule": "min_score", "min_scaled": 1}},
            "training.passing.modules",
        ),
        (
            "course_result with a threshold",
            _with({"passing": {"rule": "course_result", "min_scaled": 0.7}}),
            "training.passing.min_scaled",
        ),
        ("period not object", _with({"period": "2025"}), "training.period"),
        ("period end missing", _with({"period": {"start": "2025-01-01"}}), "training.period.end"),
        ("period bad date", _with({"period": {"start": "2025-02-30", "end": "2025-03-01"}}), "training.period.start"),
        ("period basic date", _with({"period": {"start": "20250101", "end": "2025-03-01"}}), "training.period.start"),
        ("period reversed", _with({"period": {"start": "2025-03-01", "end": "2025-01-01"}}), "training.period.end"),
        ("coordinator number blank", _with({"coordinators": [""]}), "training.coordinators[0]"),
        ("coordinator a number", _with({"coordinators": [1990]}), "training.coordinators[0]"),
        ("coordinator bad agent", _with({"coordinators": [{"name": "x"}]}), "training.coordinators[0]"),
        (
            "coordinator group",
            _with({"coordinators": [{"objectType": "Group", "mbox": "mailto:g@example.go.id"}]}),
            "training.coordinators[0].objectType",
        ),
        ("enrolment not a list", _with({"enrolment": "all"}), "training.enrolment"),
        (
            "enrolment twice",
            _with({"enrolment": ["1", {"account": {"homePage": SSO_HOMEPAGE, "name": "1"}}]}),
            "training.enrolment[1]",
        ),
        ("enrolment null", _with({"enrolment": None}), "training.enrolment"),
    ],
)
def test_bad_definitions_name_the_field(case: str, body: object, path: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        _parse(body)
    assert caught.value.errors["path"] == path, case
    assert caught.value.message.startswith(path), case


@pytest.mark.parametrize("training_id", ["", "-x", "a/b", "a b", "x" * 129, "é"])
def test_bad_training_ids(training_id: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        _parse(latsar_body(), training_id)
    assert caught.value.errors["path"] == "training_id"
