"""Tricky but valid statements are accepted under both rule sets, and validation never changes them."""

from __future__ import annotations

import copy

import pytest

from tests.validators.factories import (
    ACTIVITY_ID,
    EXT,
    REF_ID,
    SHA256,
    VOIDED,
    Statement,
    Transform,
    build,
    chain,
    drop,
    make_agent,
    make_attachment,
    make_group,
    make_substatement,
    put,
)
from validators.statement import validate_statement

VERSIONS = ("1.0.3", "2.0.0")
Row = tuple[str, Transform | Statement]

MINIMAL: Statement = {
    "actor": {"mbox": "mailto:xapi@adlnet.gov"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/created"},
    "object": {"id": "http://example.adlnet.gov/xapi/example/activity"},
}

# Appendix C of the 1.0.3 Data spec: one definition per interactionType.
INTERACTIONS: dict[str, dict[str, object]] = {
    "true-false": {"correctResponsesPattern": ["true"]},
    "choice": {
        "correctResponsesPattern": ["golf[,]tetris"],
        "choices": [{"id": "golf", "description": {"en-US": "Golf Example"}}, {"id": "tetris"}],
    },
    "fill-in": {"correctResponsesPattern": ["{case_matters=false}{lang=en}To store and provide access"]},
    "long-fill-in": {"correctResponsesPattern": ["{case_matters=true}{lang=en}Long text"]},
    "matching": {
        "correctResponsesPattern": ["ben[.]3[,]chris[.]2"],
        "source": [{"id": "ben", "description": {"en-US": "Ben"}}, {"id": "chris"}],
        "target": [{"id": "2"}, {"id": "3", "description": {"ja": "草でスイフトキック"}}],
    },
    "performance": {
        "correctResponsesPattern": ["pong[.]1:[,]dg[.]:10[,]lunch[.]"],
        "steps": [{"id": "pong", "description": {"en-US": "Net pong matches won"}}, {"id": "dg"}, {"id": "lunch"}],
    },
    "sequencing": {"correctResponsesPattern": ["tim[,]mike"], "choices": [{"id": "tim"}, {"id": "mike"}]},
    "likert": {
        "correctResponsesPattern": ["likert_3"],
        "scale": [{"id": "likert_0", "description": {"en-US": "It's OK"}}, {"id": "likert_3"}],
    },
    "numeric": {"correctResponsesPattern": ["4[:]"]},
    "other": {"correctResponsesPattern": ["(35.937432,-86.868896)"]},
}


def interaction(kind: str) -> Transform:
    definition = {"type": "http://adlnet.gov/expapi/activities/cmi.interaction", "interactionType": kind}
    definition.update(copy.deepcopy(INTERACTIONS[kind]))
    return put("object.definition", definition)


ACCEPT: list[Row] = [
    ("full-statement", lambda statement: statement),
    ("minimal-statement", MINIMAL),
    ("uppercase-uuid-id", put("id", "FD41C918-B88B-4B20-A0A5-A4C32391AAA0")),
    ("uuid-version-1", put("id", "c232ab00-9414-11ec-b3c8-9e6bdeced846")),
    ("uuid-variant-b", put("id", "fd41c918-b88b-4b20-b0a5-a4c32391aaa0")),
    ("future-timestamp", put("timestamp", "2999-12-31T23:59:59.999Z")),
    ("timestamp-offset", put("timestamp", "2023-05-04T12:00:00-05:00")),
    ("timestamp-positive-zero-offset", put("timestamp", "2008-09-15T15:53:00.601+00:00")),
    ("timestamp-nanoseconds", put("timestamp", "2024-05-01T12:30:00.123456789Z")),
    ("timestamp-basic-format", put("timestamp", "20240501T123000Z")),
    ("timestamp-hour-offset", put("timestamp", "2024-05-01T12:30:00+05")),
    ("stored-well-formed", put("stored", "2024-05-01T12:30:01.000Z")),
    ("extension-value-null", put("context.extensions", {EXT: None})),
    ("extension-value-empty-string", put("result.extensions", {EXT: ""})),
    ("extension-value-empty-object", put("object.definition.extensions", {EXT: {}})),
    ("extension-value-nested-null", put("context.extensions", {EXT: {"a": [None, {"b": None}]}})),
    ("extensions-empty", chain(put("context.extensions", {}), put("result.extensions", {}))),
    ("extension-key-urn", put("context.extensions", {"urn:example:ext": True})),
    ("version-1.0.9", put("version", "1.0.9")),
    ("version-1.0", put("version", "1.0")),
    ("version-1.0.0", put("version", "1.0.0")),
    ("duration-fraction-of-second", put("result.duration", "PT1.2345S")),
    ("duration-hours-minutes-seconds", put("result.duration", "PT4H35M59.14S")),
    ("duration-seconds-only", put("result.duration", "PT16559.14S")),
    ("duration-all-components", put("result.duration", "P3Y1M29DT4H35M59.14S")),
    ("duration-years", put("result.duration", "P3Y")),
    ("duration-weeks", put("result.duration", "P4W")),
    ("duration-beyond-hundredths", put("result.duration", "P1DT12H36M0.12567S")),
    ("duration-zero", put("result.duration", "PT0S")),
    ("duration-comma-fraction", put("result.duration", "PT0,5S")),
    ("raw-seven-decimals", put("result.score", {"raw": 0.1234567, "min": 0, "max": 1})),
    ("raw-equals-max", put("result.score", {"raw": 100, "min": 0, "max": 100})),
    ("raw-negative-without-bounds", put("result.score", {"raw": -12.5})),
    ("scaled-minus-one", put("result.score", {"scaled": -1.0})),
    ("scaled-one-integer", put("result.score", {"scaled": 1})),
    ("scaled-decimal", put("result.score", {"scaled": 0.6767676})),
    ("min-and-max-decimals", put("result.score", {"min": 0.5, "max": 100.6767676})),
    ("score-empty", put("result.score", {})),
    ("result-empty", put("result", {})),
    ("response-empty-string", put("result", {"response": ""})),
    ("success-false", put("result.success", False)),
    ("actor-without-objectType", put("actor", {"name": "Ada", "mbox": "mailto:ada@example.com"})),
    (
        "actor-account",
        put("actor", {"objectType": "Agent", "account": {"homePage": "http://www.example.com", "name": "1625378"}}),
    ),
    ("actor-mbox-sha1sum-uppercase", put("actor", {"mbox_sha1sum": "CD9B00A5611F94EAA7B1661EDAB976068E364975"})),
    ("actor-openid", put("actor", {"openid": "http://openid.example.org/12345"})),
    ("actor-mbox-uppercase-domain", put("actor.mbox", "mailto:Ada@Example.COM")),
    ("actor-anonymous-group", put("actor", make_group())),
    ("actor-identified-group-without-member", put("actor", {"objectType": "Group", "mbox": "mailto:team@example.com"})),
    ("actor-identified-group-empty-member", put("actor", make_group(mbox="mailto:team@example.com", member=[]))),
    (
        "actor-identified-group-with-members",
        put("actor", make_group(account={"homePage": "http://example.com", "name": "t"})),
    ),
    ("group-member-without-objectType", put("actor", make_group(member=[{"mbox": "mailto:a@example.com"}]))),
    ("object-without-objectType", drop("object.objectType")),
    ("object-without-definition", drop("object.definition")),
    ("object-definition-empty", put("object.definition", {})),
    ("object-iri-non-ascii", put("object.id", "http://example.com/فعل/خواندن")),
    ("object-iri-urn", put("object.id", "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0")),
    ("object-agent", put("object", make_agent())),
    ("object-anonymous-group", put("object", make_group())),
    ("object-identified-group", put("object", {"objectType": "Group", "name": "G", "mbox": "mailto:g@example.com"})),
    ("object-statementref", put("object", {"objectType": "StatementRef", "id": REF_ID})),
    ("object-statementref-uppercase", put("object", {"objectType": "StatementRef", "id": REF_ID.upper()})),
    ("object-substatement", put("object", make_substatement())),
    ("object-substatement-future-timestamp", put("object", make_substatement(timestamp="2999-01-01T00:00:00Z"))),
    (
        "object-substatement-statementref",
        put("object", make_substatement(object={"objectType": "StatementRef", "id": REF_ID}, context=None)),
    ),
    ("object-substatement-agent", put("object", make_substatement(object=make_agent(), context=None))),
    ("object-substatement-attachments", put("object", make_substatement(attachments=[make_attachment()]))),
    ("substatement-verb-voided-activity", put("object", make_substatement(verb={"id": VOIDED}))),
    (
        "voiding-statement",
        chain(
            put("verb", {"id": VOIDED, "display": {"en-US": "voided"}}),
            put("object", {"objectType": "StatementRef", "id": REF_ID}),
        ),
    ),
    ("verb-without-display", drop("verb.display")),
    (
        "verb-display-many-languages",
        put(
            "verb.display",
            {
                "en-GB": "attended",
                "ja-JP": "出席した",
                "ar-EG": "حضر",
                "zh-Hant": "出席",
                "es-419": "asistió",
                "sr-Latn-RS": "prisustvovao",
                "i-klingon": "x",
                "x-private": "y",
            },
        ),
    ),
    ("verb-display-empty", put("verb.display", {})),
    (
        "definition-all-plain-properties-no-interaction",
        put("object.definition.type", "http://adlnet.gov/expapi/activities/meeting"),
    ),
    ("interaction-without-correctResponsesPattern", put("object.definition", {"interactionType": "choice"})),
    (
        "interaction-empty-correctResponsesPattern",
        put("object.definition", {"interactionType": "fill-in", "correctResponsesPattern": []}),
    ),
    ("matching-source-only", put("object.definition", {"interactionType": "matching", "source": [{"id": "a"}]})),
    ("components-empty-lists", put("object.definition", {"interactionType": "matching", "source": [], "target": []})),
    ("context-empty", put("context", {})),
    ("context-activities-single-object", put("context.contextActivities", {"parent": {"id": "http://example.com/a"}})),
    (
        "context-activities-empty-arrays",
        put("context.contextActivities", {"parent": [], "grouping": [], "category": [], "other": []}),
    ),
    (
        "context-activities-with-definition",
        put(
            "context.contextActivities.category.0.definition",
            {"type": "http://adlnet.gov/expapi/activities/profile", "name": {"en": "cmi5"}},
        ),
    ),
    (
        "context-revision-platform-with-activity",
        chain(put("context.revision", "rev_10_3_2"), put("context.platform", "Example virtual meeting software")),
    ),
    (
        "context-revision-with-activity-without-objectType",
        chain(drop("object.objectType"), put("context.revision", "1")),
    ),
    ("context-instructor-group", put("context.instructor", make_group())),
    (
        "context-team-identified-group",
        put("context.team", {"objectType": "Group", "openid": "http://example.com/teams/a"}),
    ),
    ("context-language-three-letters", put("context.language", "cmn")),
    ("context-language-klingon", put("context.language", "tlh")),
    ("context-statement-uppercase-uuid", put("context.statement.id", REF_ID.upper())),
    ("context-registration-uppercase", put("context.registration", "EC531277-B57B-4C15-8D91-D292C5B2B8F7")),
    ("authority-agent", put("authority", make_agent(name="LRS", mbox="mailto:lrs@example.com"))),
    (
        "authority-account",
        put(
            "authority",
            {
                "objectType": "Agent",
                "account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "oauth_consumer_x75db"},
            },
        ),
    ),
    (
        "authority-oauth-group",
        put(
            "authority",
            {
                "objectType": "Group",
                "member": [
                    {"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "oauth_consumer_x75db"}},
                    {"mbox": "mailto:bob@example.com"},
                ],
            },
        ),
    ),
    ("attachments-empty", put("attachments", [])),
    ("attachment-minimal", put("attachments", [make_attachment(description=None, fileUrl=None)])),
    ("attachment-sha512-uppercase", put("attachments.0.sha2", (SHA256 * 2).upper())),
    ("attachment-length-zero", put("attachments.0.length", 0)),
    ("attachment-content-type-parameters", put("attachments.0.contentType", "text/plain; charset=ascii")),
    (
        "attachment-signature",
        put(
            "attachments.0",
            make_attachment(
                usageType="http://adlnet.gov/expapi/attachments/signature",
                contentType="application/octet-stream",
                fileUrl=None,
            ),
        ),
    ),
    ("activity-id-with-fragment-and-query", put("object.id", f"{ACTIVITY_ID}?a=1&b=%20#part")),
] + [(f"interactionType-{kind}", interaction(kind)) for kind in INTERACTIONS]


def test_case_ids_are_unique() -> None:
    ids = [case_id for case_id, _ in ACCEPT]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("case_id", "payload"), ACCEPT, ids=[row[0] for row in ACCEPT])
def test_accepts(case_id: str, payload: Transform | Statement, version: str) -> None:
    statement = build(payload)
    before = copy.deepcopy(statement)
    assert validate_statement(statement, version=version) is None
    assert statement == before, "validation must not modify the statement"
