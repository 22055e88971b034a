"""Every statement rule, broken one at a time: the statement is rejected with a 400 naming the exact path.

Each row is ``(case_id, transform or payload, expected_error_path)`` and runs under both rule sets (the rules
below are the same in xAPI 1.0.3 and 2.0.0; the differences are in ``test_versions.py``).  Invalid values
marked "suite" are the ones the ADL LRS conformance suite sends.
"""

from __future__ import annotations

import pytest

from tests.validators.assertions import assert_rejected
from tests.validators.factories import (
    EXT,
    REF_ID,
    SHA256,
    VOIDED,
    Statement,
    Transform,
    build,
    chain,
    drop,
    make_activity,
    make_agent,
    make_group,
    make_substatement,
    put,
)
from validators.statement import validate_statement

VERSIONS = ("1.0.3", "2.0.0")
Row = tuple[str, Transform | Statement | object, str]

SUITE_BAD_IRI = "ab=c://should.fail.com"
SUITE_BAD_UUID_LONG = "AA97B177-9383-4934-8543-0F91A7A028368"
SUITE_BAD_UUID_LETTER = "MA97B177-9383-4934-8543-0F91A7A02836"

FORMATTING: list[Row] = [
    ("payload-is-a-string", "not a statement", "statement"),
    ("payload-is-an-array", [{"actor": make_agent()}], "statement"),
    ("missing-actor", drop("actor"), "statement.actor"),
    ("missing-verb", drop("verb"), "statement.verb"),
    ("missing-object", drop("object"), "statement.object"),
    ("unknown-property", put("foo", 1), "statement.foo"),
    ("key-case-Actor", put("Actor", make_agent()), "statement.Actor"),
    ("key-case-iD-suite", put("iD", REF_ID), "statement.iD"),
    ("key-case-timeStamp-suite", put("timeStamp", "1776-07-04T16:00:45.123Z"), "statement.timeStamp"),
    ("key-case-attachmentS-suite", put("attachmentS", []), "statement.attachmentS"),
    ("null-actor", put("actor", None), "statement.actor"),
    ("null-verb", put("verb", None), "statement.verb"),
    ("null-object", put("object", None), "statement.object"),
    ("null-id", put("id", None), "statement.id"),
    ("null-result", put("result", None), "statement.result"),
    ("null-context", put("context", None), "statement.context"),
    ("null-timestamp", put("timestamp", None), "statement.timestamp"),
    ("null-attachments", put("attachments", None), "statement.attachments"),
    ("null-actor-name", put("actor.name", None), "statement.actor.name"),
    ("null-actor-objectType", put("actor.objectType", None), "statement.actor.objectType"),
    ("null-verb-display-value", put("verb.display.en-US", None), 'statement.verb.display["en-US"]'),
    ("null-definition-moreInfo", put("object.definition.moreInfo", None), "statement.object.definition.moreInfo"),
    ("null-score-raw", put("result.score.raw", None), "statement.result.score.raw"),
    ("null-registration", put("context.registration", None), "statement.context.registration"),
    (
        "null-context-activity-list",
        put("context.contextActivities.parent", None),
        "statement.context.contextActivities.parent",
    ),
    ("null-object-objectType", put("object.objectType", None), "statement.object.objectType"),
]

STATEMENT_ID: list[Row] = [
    ("id-number-suite", put("id", 12345), "statement.id"),
    ("id-object-suite", put("id", {"key": "should fail"}), "statement.id"),
    ("id-too-many-digits-suite", put("id", SUITE_BAD_UUID_LONG), "statement.id"),
    ("id-non-hex-suite", put("id", SUITE_BAD_UUID_LETTER), "statement.id"),
    ("id-variant-0", put("id", "fd41c918-b88b-4b20-70a5-a4c32391aaa0"), "statement.id"),
    ("id-variant-microsoft", put("id", "fd41c918-b88b-4b20-c0a5-a4c32391aaa0"), "statement.id"),
    ("id-no-hyphens", put("id", "fd41c918b88b4b20a0a5a4c32391aaa0"), "statement.id"),
    ("id-braces", put("id", "{fd41c918-b88b-4b20-a0a5-a4c32391aaa0}"), "statement.id"),
    ("id-urn", put("id", "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0"), "statement.id"),
    ("id-empty", put("id", ""), "statement.id"),
]

ACTOR: list[Row] = [
    ("actor-string", put("actor", "agent"), "statement.actor"),
    ("actor-objectType-lowercase-agent-suite", put("actor.objectType", "agent"), "statement.actor.objectType"),
    (
        "actor-objectType-lowercase-group-suite",
        put("actor", make_group(objectType="group")),
        "statement.actor.objectType",
    ),
    ("actor-objectType-number-suite", put("actor.objectType", 123), "statement.actor.objectType"),
    ("actor-objectType-Activity", put("actor.objectType", "Activity"), "statement.actor.objectType"),
    ("actor-name-number-suite", put("actor.name", 123), "statement.actor.name"),
    ("actor-no-ifi-suite", drop("actor.mbox"), "statement.actor"),
    ("actor-two-ifis-mbox-openid", put("actor.openid", "http://openid.example.org/12345"), "statement.actor"),
    (
        "actor-two-ifis-mbox-account",
        put("actor.account", {"homePage": "http://example.com", "name": "a"}),
        "statement.actor",
    ),
    (
        "actor-two-ifis-mbox-sha1",
        put("actor.mbox_sha1sum", "cd9b00a5611f94eaa7b1661edab976068e364975"),
        "statement.actor",
    ),
    ("actor-unknown-property", put("actor.email", "ada@example.com"), "statement.actor.email"),
    ("actor-agent-with-member", put("actor.member", [make_agent()]), "statement.actor.member"),
    ("mbox-http-iri-suite", put("actor.mbox", "http://should.fail.com"), "statement.actor.mbox"),
    ("mbox-without-address-suite", put("actor.mbox", "mailto:should.fail.com"), "statement.actor.mbox"),
    ("mbox-without-scheme", put("actor.mbox", "ada@example.com"), "statement.actor.mbox"),
    ("mbox-number", put("actor.mbox", 42), "statement.actor.mbox"),
    ("mbox-empty", put("actor.mbox", ""), "statement.actor.mbox"),
    ("mbox-sha1sum-number-suite", put("actor", {"mbox_sha1sum": 12345}), "statement.actor.mbox_sha1sum"),
    (
        "mbox-sha1sum-39-digits",
        put("actor", {"mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e36497"}),
        "statement.actor.mbox_sha1sum",
    ),
    (
        "mbox-sha1sum-non-hex",
        put("actor", {"mbox_sha1sum": "zd9b00a5611f94eaa7b1661edab976068e364975"}),
        "statement.actor.mbox_sha1sum",
    ),
    ("openid-without-scheme-suite", put("actor", {"openid": "open.id.com/testUser"}), "statement.actor.openid"),
    ("openid-number", put("actor", {"openid": 7}), "statement.actor.openid"),
    ("account-not-object", put("actor", {"account": "user-1"}), "statement.actor.account"),
    ("account-missing-homePage-suite", put("actor", {"account": {"name": "a"}}), "statement.actor.account.homePage"),
    (
        "account-missing-name-suite",
        put("actor", {"account": {"homePage": "http://example.com"}}),
        "statement.actor.account.name",
    ),
    (
        "account-homePage-no-scheme-suite",
        put("actor", {"account": {"homePage": "homePage.com/testUser", "name": "123456"}}),
        "statement.actor.account.homePage",
    ),
    (
        "account-homePage-bad-scheme-suite",
        put("actor", {"account": {"homePage": SUITE_BAD_IRI, "name": "a"}}),
        "statement.actor.account.homePage",
    ),
    (
        "account-name-object-suite",
        put("actor", {"account": {"homePage": "http://example.com", "name": {"key": "x"}}}),
        "statement.actor.account.name",
    ),
    (
        "account-name-number",
        put("actor", {"account": {"homePage": "http://example.com", "name": 1625378}}),
        "statement.actor.account.name",
    ),
    (
        "account-key-case",
        put("actor", {"account": {"homepage": "http://example.com", "name": "a"}}),
        "statement.actor.account.homepage",
    ),
    (
        "account-unknown-property",
        put("actor", {"account": {"homePage": "http://example.com", "name": "a", "id": 1}}),
        "statement.actor.account.id",
    ),
    (
        "group-anonymous-without-member-suite",
        put("actor", {"objectType": "Group", "name": "Team"}),
        "statement.actor.member",
    ),
    ("group-anonymous-empty-member", put("actor", make_group(member=[])), "statement.actor.member"),
    ("group-member-not-array-suite", put("actor", make_group(member=make_agent())), "statement.actor.member"),
    (
        "group-member-is-group",
        put("actor", make_group(member=[make_agent(), make_group()])),
        "statement.actor.member[1].objectType",
    ),
    (
        "group-member-objectType-lowercase",
        put("actor", make_group(member=[make_agent(objectType="agent")])),
        "statement.actor.member[0].objectType",
    ),
    (
        "group-member-not-object",
        put("actor", make_group(member=["mailto:ada@example.com"])),
        "statement.actor.member[0]",
    ),
    (
        "group-member-bad-mbox",
        put("actor", make_group(member=[make_agent(mbox="mailto:nobody")])),
        "statement.actor.member[0].mbox",
    ),
    ("group-member-without-ifi", put("actor", make_group(member=[{"name": "Ada"}])), "statement.actor.member[0]"),
    (
        "group-two-ifis-suite",
        put("actor", make_group(mbox="mailto:team@example.com", openid="http://example.com/team")),
        "statement.actor",
    ),
    ("group-unknown-property", put("actor", make_group(members=[])), "statement.actor.members"),
    ("group-without-objectType", put("actor", {"member": [make_agent()]}), "statement.actor.member"),
]

VERB: list[Row] = [
    ("verb-string", put("verb", "completed"), "statement.verb"),
    ("verb-missing-id-suite", drop("verb.id"), "statement.verb.id"),
    ("verb-id-no-scheme", put("verb.id", "adlnet.gov/expapi/verbs/attended"), "statement.verb.id"),
    ("verb-id-bad-scheme-suite", put("verb.id", SUITE_BAD_IRI), "statement.verb.id"),
    ("verb-id-number", put("verb.id", 123), "statement.verb.id"),
    ("verb-id-empty", put("verb.id", ""), "statement.verb.id"),
    ("verb-display-string-suite", put("verb.display", "a12345 attended"), "statement.verb.display"),
    ("verb-display-number-suite", put("verb.display", 12345), "statement.verb.display"),
    ("verb-display-bad-tag-suite", put("verb.display", {"a12345": "attended"}), 'statement.verb.display["a12345"]'),
    (
        "verb-display-nine-letter-tag-suite",
        put("verb.display", {"something": "besucht"}),
        'statement.verb.display["something"]',
    ),
    ("verb-display-value-number", put("verb.display", {"en-US": 1}), 'statement.verb.display["en-US"]'),
    ("verb-unknown-property", put("verb.name", "completed"), "statement.verb.name"),
    ("voiding-verb-with-activity-suite", put("verb.id", VOIDED), "statement.object.objectType"),
    (
        "voiding-verb-with-agent",
        chain(put("verb.id", VOIDED), put("object", make_agent())),
        "statement.object.objectType",
    ),
]

OBJECT: list[Row] = [
    ("object-string", put("object", "http://example.com/a"), "statement.object"),
    ("object-objectType-lowercase-activity-suite", put("object.objectType", "activity"), "statement.object.objectType"),
    ("object-objectType-unknown", put("object.objectType", "Statement"), "statement.object.objectType"),
    ("object-objectType-number", put("object.objectType", 1), "statement.object.objectType"),
    ("activity-missing-id-suite", drop("object.id"), "statement.object.id"),
    ("activity-id-no-scheme", put("object.id", "www.example.com/meetings/occurances/34534"), "statement.object.id"),
    ("activity-id-bad-scheme-suite", put("object.id", SUITE_BAD_IRI), "statement.object.id"),
    ("activity-id-with-space", put("object.id", "http://example.com/my course"), "statement.object.id"),
    ("activity-id-number", put("object.id", 34534), "statement.object.id"),
    ("activity-unknown-property", put("object.name", {"en-US": "x"}), "statement.object.name"),
    (
        "agent-object-without-objectType",
        put("object", {"name": "Ada", "mbox": "mailto:ada@example.com"}),
        "statement.object.name",
    ),
    ("definition-string-suite", put("object.definition", "lesson"), "statement.object.definition"),
    ("definition-unknown-property", put("object.definition.Name", {"en-US": "x"}), "statement.object.definition.Name"),
    ("definition-name-string-suite", put("object.definition.name", "Lesson"), "statement.object.definition.name"),
    ("definition-name-number-suite", put("object.definition.name", 12345), "statement.object.definition.name"),
    (
        "definition-name-bad-tag-suite",
        put("object.definition.name", {"a12345": "should fail"}),
        'statement.object.definition.name["a12345"]',
    ),
    (
        "definition-description-number-suite",
        put("object.definition.description", 12345),
        "statement.object.definition.description",
    ),
    (
        "definition-description-bad-tag",
        put("object.definition.description", {"en-something-AU": "x"}),
        'statement.object.definition.description["en-something-AU"]',
    ),
    (
        "definition-type-no-scheme-suite",
        put("object.definition.type", "adlnet.gov/expapi/activities/meeting"),
        "statement.object.definition.type",
    ),
    (
        "definition-moreInfo-no-scheme-suite",
        put("object.definition.moreInfo", "should error"),
        "statement.object.definition.moreInfo",
    ),
    (
        "definition-extensions-string-suite",
        put("object.definition.extensions", "should fail"),
        "statement.object.definition.extensions",
    ),
    (
        "definition-extension-key-not-iri-suite",
        put("object.definition.extensions", {"not.valid.com/extension": 1234}),
        'statement.object.definition.extensions["not.valid.com/extension"]',
    ),
    (
        "interactionType-wrong-case-suite",
        put("object.definition.interactionType", "true-faLse"),
        "statement.object.definition.interactionType",
    ),
    (
        "interactionType-Other-suite",
        put("object.definition.interactionType", "Other"),
        "statement.object.definition.interactionType",
    ),
    (
        "interactionType-iri-suite",
        put("object.definition.interactionType", "http://adlnet.gov/expapi/activities/cmi.interaction"),
        "statement.object.definition.interactionType",
    ),
    (
        "interactionType-number-suite",
        put("object.definition.interactionType", 12345),
        "statement.object.definition.interactionType",
    ),
    (
        "correctResponsesPattern-without-interactionType-suite",
        put("object.definition.correctResponsesPattern", ["true"]),
        "statement.object.definition.interactionType",
    ),
    (
        "choices-without-interactionType-suite",
        put("object.definition.choices", [{"id": "a"}]),
        "statement.object.definition.interactionType",
    ),
    (
        "scale-without-interactionType-suite",
        put("object.definition.scale", [{"id": "a"}]),
        "statement.object.definition.interactionType",
    ),
    (
        "target-without-interactionType-suite",
        put("object.definition.target", [{"id": "a"}]),
        "statement.object.definition.interactionType",
    ),
    (
        "correctResponsesPattern-string",
        put("object.definition", {"interactionType": "fill-in", "correctResponsesPattern": "x"}),
        "statement.object.definition.correctResponsesPattern",
    ),
    (
        "correctResponsesPattern-number-item",
        put("object.definition", {"interactionType": "numeric", "correctResponsesPattern": ["4[:]", 5]}),
        "statement.object.definition.correctResponsesPattern[1]",
    ),
    (
        "choices-on-likert",
        put("object.definition", {"interactionType": "likert", "choices": [{"id": "a"}]}),
        "statement.object.definition.choices",
    ),
    (
        "scale-on-choice",
        put("object.definition", {"interactionType": "choice", "scale": [{"id": "a"}]}),
        "statement.object.definition.scale",
    ),
    (
        "steps-on-true-false",
        put("object.definition", {"interactionType": "true-false", "steps": [{"id": "a"}]}),
        "statement.object.definition.steps",
    ),
    (
        "source-on-sequencing",
        put("object.definition", {"interactionType": "sequencing", "source": [{"id": "a"}]}),
        "statement.object.definition.source",
    ),
    (
        "choices-not-array",
        put("object.definition", {"interactionType": "choice", "choices": {"id": "a"}}),
        "statement.object.definition.choices",
    ),
    (
        "component-missing-id",
        put("object.definition", {"interactionType": "choice", "choices": [{"description": {"en-US": "A"}}]}),
        "statement.object.definition.choices[0].id",
    ),
    (
        "component-id-number",
        put("object.definition", {"interactionType": "choice", "choices": [{"id": 1}]}),
        "statement.object.definition.choices[0].id",
    ),
    (
        "component-duplicate-id",
        put("object.definition", {"interactionType": "matching", "source": [{"id": "a"}, {"id": "a"}]}),
        "statement.object.definition.source[1].id",
    ),
    (
        "component-unknown-property",
        put("object.definition", {"interactionType": "likert", "scale": [{"id": "a", "value": 1}]}),
        "statement.object.definition.scale[0].value",
    ),
    (
        "component-description-bad-tag",
        put(
            "object.definition",
            {"interactionType": "performance", "steps": [{"id": "a", "description": {"a12345678": "x"}}]},
        ),
        'statement.object.definition.steps[0].description["a12345678"]',
    ),
    (
        "component-not-object",
        put("object.definition", {"interactionType": "choice", "choices": ["a"]}),
        "statement.object.definition.choices[0]",
    ),
    ("object-agent-without-ifi-suite", put("object", {"objectType": "Agent", "name": "Ada"}), "statement.object"),
    ("object-agent-with-member", put("object", make_agent(member=[])), "statement.object.member"),
    ("object-group-anonymous-without-member", put("object", {"objectType": "Group"}), "statement.object.member"),
    (
        "object-group-with-group-member",
        put("object", make_group(member=[make_group()])),
        "statement.object.member[0].objectType",
    ),
    ("statementref-missing-id-suite", put("object", {"objectType": "StatementRef"}), "statement.object.id"),
    (
        "statementref-id-not-uuid-suite",
        put("object", {"objectType": "StatementRef", "id": "should fail"}),
        "statement.object.id",
    ),
    ("statementref-id-number-suite", put("object", {"objectType": "StatementRef", "id": 12345}), "statement.object.id"),
    (
        "statementref-id-too-long-suite",
        put("object", {"objectType": "StatementRef", "id": SUITE_BAD_UUID_LONG}),
        "statement.object.id",
    ),
    (
        "statementref-lowercase-suite",
        put("object", {"objectType": "statementref", "id": REF_ID}),
        "statement.object.objectType",
    ),
    (
        "statementref-extra-property",
        put("object", {"objectType": "StatementRef", "id": REF_ID, "definition": {}}),
        "statement.object.definition",
    ),
]

SUBSTATEMENT: list[Row] = [
    (
        "substatement-lowercase-suite",
        put("object", make_substatement(objectType="substatement")),
        "statement.object.objectType",
    ),
    ("substatement-with-id-suite", put("object", make_substatement(id=REF_ID)), "statement.object.id"),
    (
        "substatement-with-stored-suite",
        put("object", make_substatement(stored="2024-05-01T12:30:00Z")),
        "statement.object.stored",
    ),
    ("substatement-with-version-suite", put("object", make_substatement(version="1.0.0")), "statement.object.version"),
    (
        "substatement-with-authority-suite",
        put("object", make_substatement(authority=make_agent())),
        "statement.object.authority",
    ),
    (
        "substatement-nested-suite",
        put("object", make_substatement(object=make_substatement())),
        "statement.object.object.objectType",
    ),
    ("substatement-missing-actor-suite", put("object", make_substatement(actor=None)), "statement.object.actor"),
    ("substatement-missing-verb-suite", put("object", make_substatement(verb=None)), "statement.object.verb"),
    ("substatement-missing-object-suite", put("object", make_substatement(object=None)), "statement.object.object"),
    ("substatement-unknown-property", put("object", make_substatement(foo=1)), "statement.object.foo"),
    (
        "substatement-bad-timestamp-suite",
        put("object", make_substatement(timestamp="should fail")),
        "statement.object.timestamp",
    ),
    (
        "substatement-actor-objectType-suite",
        put("object", make_substatement(actor=make_agent(objectType="agent"))),
        "statement.object.actor.objectType",
    ),
    (
        "substatement-verb-display-bad-tag-suite",
        put("object", make_substatement(verb={"id": "http://example.com/v", "display": {"s-something": "x"}})),
        'statement.object.verb.display["s-something"]',
    ),
    (
        "substatement-activity-id-not-iri-suite",
        put("object", make_substatement(object=make_activity(id=SUITE_BAD_IRI))),
        "statement.object.object.id",
    ),
    (
        "substatement-statementref-bad-id-suite",
        put("object", make_substatement(object={"objectType": "StatementRef", "id": SUITE_BAD_UUID_LETTER})),
        "statement.object.object.id",
    ),
    (
        "substatement-result-success-string-suite",
        put("object", make_substatement(result={"success": "true"})),
        "statement.object.result.success",
    ),
    (
        "substatement-context-revision-with-agent-object-suite",
        put("object", make_substatement(object=make_agent(), context={"revision": "1"})),
        "statement.object.context.revision",
    ),
    (
        "substatement-context-language-suite",
        put("object", make_substatement(context={"language": "something"})),
        "statement.object.context.language",
    ),
]

RESULT: list[Row] = [
    ("result-string", put("result", "passed"), "statement.result"),
    ("result-unknown-property", put("result.Score", {}), "statement.result.Score"),
    ("score-number-suite", put("result.score", 12345), "statement.result.score"),
    ("score-string-suite", put("result.score", "should fail"), "statement.result.score"),
    ("score-unknown-property", put("result.score.average", 1), "statement.result.score.average"),
    ("scaled-above-one-suite", put("result.score.scaled", 1.01), "statement.result.score.scaled"),
    ("scaled-below-minus-one-suite", put("result.score.scaled", -1.00001), "statement.result.score.scaled"),
    ("scaled-string", put("result.score.scaled", "0.5"), "statement.result.score.scaled"),
    ("scaled-boolean", put("result.score.scaled", True), "statement.result.score.scaled"),
    ("raw-string-with-number", put("result.score.raw", "1"), "statement.result.score.raw"),
    ("raw-boolean", put("result.score.raw", True), "statement.result.score.raw"),
    ("raw-nan", put("result.score.raw", float("nan")), "statement.result.score.raw"),
    ("raw-infinite", put("result.score.raw", float("inf")), "statement.result.score.raw"),
    ("raw-above-max-suite", put("result.score.raw", 101), "statement.result.score.raw"),
    ("raw-below-min-suite", put("result.score.raw", -0.5), "statement.result.score.raw"),
    (
        "raw-above-max-without-min",
        chain(drop("result.score.min"), put("result.score.raw", 100.5)),
        "statement.result.score.raw",
    ),
    ("min-equals-max", put("result.score.min", 100), "statement.result.score.min"),
    ("min-above-max-suite", put("result.score.min", 200), "statement.result.score.min"),
    ("max-string-suite", put("result.score.max", "100"), "statement.result.score.max"),
    ("max-words-suite", put("result.score.max", "one hundred"), "statement.result.score.max"),
    ("min-object", put("result.score.min", {}), "statement.result.score.min"),
    ("success-string-true-suite", put("result.success", "true"), "statement.result.success"),
    ("success-number", put("result.success", 1), "statement.result.success"),
    ("completion-string-false-suite", put("result.completion", "false"), "statement.result.completion"),
    ("completion-object-suite", put("result.completion", {"key": "value"}), "statement.result.completion"),
    ("response-number-suite", put("result.response", 12345), "statement.result.response"),
    ("duration-string-suite", put("result.duration", "should fail"), "statement.result.duration"),
    ("duration-number-suite", put("result.duration", 12345), "statement.result.duration"),
    ("duration-object-suite", put("result.duration", {"key": "invalid"}), "statement.result.duration"),
    ("duration-letter-suite", put("result.duration", "PA1H0M0S"), "statement.result.duration"),
    ("duration-weeks-and-days-suite", put("result.duration", "P4W1D"), "statement.result.duration"),
    ("duration-empty-P", put("result.duration", "P"), "statement.result.duration"),
    ("duration-empty-PT", put("result.duration", "PT"), "statement.result.duration"),
    ("duration-seconds-without-T", put("result.duration", "P16559.14S"), "statement.result.duration"),
    ("duration-fraction-not-last", put("result.duration", "P1.5DT2H"), "statement.result.duration"),
    ("duration-alternative-format", put("result.duration", "P0003-01-29T04:35:59"), "statement.result.duration"),
    ("duration-negative", put("result.duration", "-PT1S"), "statement.result.duration"),
    ("result-extensions-number-suite", put("result.extensions", 12345), "statement.result.extensions"),
    (
        "result-extension-key-not-iri-suite",
        put("result.extensions", {"example.com/extension/wrong": 1234}),
        'statement.result.extensions["example.com/extension/wrong"]',
    ),
]

CONTEXT: list[Row] = [
    ("context-string", put("context", "ctx"), "statement.context"),
    ("context-key-case", put("context.Registration", REF_ID), "statement.context.Registration"),
    ("registration-not-uuid-suite", put("context.registration", "should fail"), "statement.context.registration"),
    ("registration-object-suite", put("context.registration", {"key": "value"}), "statement.context.registration"),
    (
        "registration-too-many-digits-suite",
        put("context.registration", SUITE_BAD_UUID_LONG),
        "statement.context.registration",
    ),
    ("instructor-string-suite", put("context.instructor", "should fail"), "statement.context.instructor"),
    (
        "instructor-unknown-property-suite",
        put("context.instructor", {"key": "value"}),
        "statement.context.instructor.key",
    ),
    (
        "instructor-objectType-lowercase-suite",
        put("context.instructor.objectType", "agent"),
        "statement.context.instructor.objectType",
    ),
    (
        "instructor-group-without-member",
        put("context.instructor", {"objectType": "Group"}),
        "statement.context.instructor.member",
    ),
    ("team-is-agent-suite", put("context.team", make_agent()), "statement.context.team.objectType"),
    ("team-without-objectType", put("context.team", {"member": [make_agent()]}), "statement.context.team.objectType"),
    ("team-string-suite", put("context.team", "should fail"), "statement.context.team"),
    (
        "team-two-ifis-suite",
        put(
            "context.team",
            make_group(mbox="mailto:t@example.com", account={"homePage": "http://example.com", "name": "t"}),
        ),
        "statement.context.team",
    ),
    (
        "contextActivities-string-suite",
        put("context.contextActivities", "should fail"),
        "statement.context.contextActivities",
    ),
    (
        "contextActivities-unknown-key-suite",
        put("context.contextActivities.consequences", [{"id": "http://example.com/a"}]),
        "statement.context.contextActivities.consequences",
    ),
    (
        "contextActivities-key-case",
        put("context.contextActivities.Parent", []),
        "statement.context.contextActivities.Parent",
    ),
    (
        "contextActivities-parent-string",
        put("context.contextActivities.parent", "http://example.com/a"),
        "statement.context.contextActivities.parent",
    ),
    (
        "contextActivities-parent-missing-id",
        put("context.contextActivities.parent", [{"objectType": "Activity"}]),
        "statement.context.contextActivities.parent[0].id",
    ),
    (
        "contextActivities-parent-id-not-iri",
        put("context.contextActivities.parent.0.id", "not an iri"),
        "statement.context.contextActivities.parent[0].id",
    ),
    (
        "contextActivities-other-unknown-property-suite",
        put("context.contextActivities.other", [{"id": "http://example.com/a"}, {"key": "value"}]),
        "statement.context.contextActivities.other[1].key",
    ),
    (
        "contextActivities-grouping-agent",
        put("context.contextActivities.grouping", [make_agent()]),
        "statement.context.contextActivities.grouping[0].objectType",
    ),
    (
        "contextActivities-category-number-item",
        put("context.contextActivities.category", [1]),
        "statement.context.contextActivities.category[0]",
    ),
    (
        "contextActivities-single-object-bad-id",
        put("context.contextActivities.parent", {"id": "nope"}),
        "statement.context.contextActivities.parent.id",
    ),
    (
        "contextActivities-definition-bad-type",
        put("context.contextActivities.parent.0.definition", {"type": "lesson"}),
        "statement.context.contextActivities.parent[0].definition.type",
    ),
    ("revision-number-suite", put("context.revision", 12345), "statement.context.revision"),
    ("platform-object-suite", put("context.platform", {"key": "value"}), "statement.context.platform"),
    (
        "revision-with-agent-object-suite",
        chain(put("context.revision", "rev_10_3_2"), put("object", make_agent())),
        "statement.context.revision",
    ),
    (
        "revision-with-group-object-suite",
        chain(put("context.revision", "r"), put("object", make_group())),
        "statement.context.revision",
    ),
    (
        "platform-with-statementref-object-suite",
        chain(put("context.platform", "web"), put("object", {"objectType": "StatementRef", "id": REF_ID})),
        "statement.context.platform",
    ),
    (
        "platform-with-substatement-object-suite",
        chain(put("context.platform", "web"), put("object", make_substatement())),
        "statement.context.platform",
    ),
    ("language-invalid-suite", put("context.language", "something"), "statement.context.language"),
    ("language-number-suite", put("context.language", 12345), "statement.context.language"),
    ("language-underscore", put("context.language", "en_US"), "statement.context.language"),
    (
        "context-statement-lowercase-objectType-suite",
        put("context.statement.objectType", "statementref"),
        "statement.context.statement.objectType",
    ),
    (
        "context-statement-missing-objectType",
        put("context.statement", {"id": REF_ID}),
        "statement.context.statement.objectType",
    ),
    (
        "context-statement-id-not-uuid-suite",
        put("context.statement.id", "should fail"),
        "statement.context.statement.id",
    ),
    ("context-statement-id-number-suite", put("context.statement.id", 12345), "statement.context.statement.id"),
    (
        "context-statement-extra-property",
        put("context.statement.definition", {}),
        "statement.context.statement.definition",
    ),
    (
        "context-extension-key-not-iri-suite",
        put("context.extensions", {"example.com/extension/wrong": 1234}),
        'statement.context.extensions["example.com/extension/wrong"]',
    ),
    (
        "context-extension-key-with-space-suite",
        put("context.extensions", {"should fail": True}),
        'statement.context.extensions["should fail"]',
    ),
]

TIMESTAMPS: list[Row] = [
    ("timestamp-words-suite", put("timestamp", "should fail"), "statement.timestamp"),
    ("timestamp-yesterday", put("timestamp", "yesterday"), "statement.timestamp"),
    ("timestamp-us-date-suite", put("timestamp", "01/011/2015"), "statement.timestamp"),
    ("timestamp-month-13", put("timestamp", "2024-13-01T00:00:00Z"), "statement.timestamp"),
    ("timestamp-february-30", put("timestamp", "2024-02-30T00:00:00Z"), "statement.timestamp"),
    ("timestamp-hour-25", put("timestamp", "2024-05-01T25:00:00Z"), "statement.timestamp"),
    ("timestamp-date-only", put("timestamp", "2024-05-01"), "statement.timestamp"),
    ("timestamp-minus-00-suite", put("timestamp", "2008-09-15T15:53:00.601-00"), "statement.timestamp"),
    ("timestamp-minus-0000-suite", put("timestamp", "2008-09-15T15:53:00.601-0000"), "statement.timestamp"),
    ("timestamp-minus-00-00-suite", put("timestamp", "2008-09-15T15:53:00.601-00:00"), "statement.timestamp"),
    ("timestamp-number", put("timestamp", 1714566600), "statement.timestamp"),
    ("stored-words", put("stored", "should fail"), "statement.stored"),
    ("stored-month-13", put("stored", "2024-13-01T00:00:00Z"), "statement.stored"),
]

AUTHORITY: list[Row] = [
    ("authority-agent-without-ifi-suite", put("authority", {"objectType": "Agent"}), "statement.authority"),
    (
        "authority-objectType-lowercase-suite",
        put("authority", make_agent(objectType="agent")),
        "statement.authority.objectType",
    ),
    (
        "authority-identified-group-mbox-suite",
        put("authority", make_group(mbox="mailto:bob@example.com")),
        "statement.authority.mbox",
    ),
    (
        "authority-identified-group-openid-suite",
        put("authority", make_group(openid="http://openid.example.org/12345")),
        "statement.authority.openid",
    ),
    (
        "authority-identified-group-account-suite",
        put("authority", make_group(account={"homePage": "http://www.example.com", "name": "n"})),
        "statement.authority.account",
    ),
    (
        "authority-group-one-member-suite",
        put("authority", make_group(member=[make_agent()])),
        "statement.authority.member",
    ),
    (
        "authority-group-three-members-suite",
        put(
            "authority",
            make_group(
                member=[make_agent(), make_agent(mbox="mailto:b@example.com"), make_agent(mbox="mailto:c@example.com")]
            ),
        ),
        "statement.authority.member",
    ),
    (
        "authority-group-without-member-suite",
        put("authority", {"objectType": "Group", "name": "Group Anonymous"}),
        "statement.authority.member",
    ),
    (
        "authority-account-name-object-suite",
        put("authority", {"account": {"homePage": "http://www.example.com", "name": {"key": "x"}}}),
        "statement.authority.account.name",
    ),
]

VERSION: list[Row] = [
    ("version-words-suite", put("version", "should fail"), "statement.version"),
    ("version-0.9.9-suite", put("version", "0.9.9"), "statement.version"),
    ("version-1.1.0-suite", put("version", "1.1.0"), "statement.version"),
    ("version-2.5.0", put("version", "2.5.0"), "statement.version"),
    ("version-1", put("version", "1"), "statement.version"),
    ("version-number", put("version", 1.0), "statement.version"),
    ("version-1.0.x-literal", put("version", "1.0.x"), "statement.version"),
]

ATTACHMENTS: list[Row] = [
    ("attachments-object-suite", put("attachments", {"usageType": "http://example.com/u"}), "statement.attachments"),
    ("attachment-number-suite", put("attachments", [12345]), "statement.attachments[0]"),
    ("attachment-string-suite", put("attachments", ["should fail"]), "statement.attachments[0]"),
    ("attachment-missing-usageType", drop("attachments.0.usageType"), "statement.attachments[0].usageType"),
    ("attachment-missing-display", drop("attachments.0.display"), "statement.attachments[0].display"),
    ("attachment-missing-contentType", drop("attachments.0.contentType"), "statement.attachments[0].contentType"),
    ("attachment-missing-length", drop("attachments.0.length"), "statement.attachments[0].length"),
    ("attachment-missing-sha2", drop("attachments.0.sha2"), "statement.attachments[0].sha2"),
    ("attachment-unknown-property", put("attachments.0.url", "https://example.com/f"), "statement.attachments[0].url"),
    (
        "attachment-usageType-not-iri-suite",
        put("attachments.0.usageType", "should fail"),
        "statement.attachments[0].usageType",
    ),
    (
        "attachment-usageType-no-scheme-suite",
        put("attachments.0.usageType", "example.com/attachment-usage/test"),
        "statement.attachments[0].usageType",
    ),
    (
        "attachment-display-string-suite",
        put("attachments.0.display", "a12345 attended"),
        "statement.attachments[0].display",
    ),
    ("attachment-display-number-suite", put("attachments.0.display", 12345), "statement.attachments[0].display"),
    (
        "attachment-display-bad-tag-suite",
        put("attachments.0.display", {"something": "x"}),
        'statement.attachments[0].display["something"]',
    ),
    (
        "attachment-description-number-suite",
        put("attachments.0.description", 12345),
        "statement.attachments[0].description",
    ),
    (
        "attachment-contentType-number-suite",
        put("attachments.0.contentType", 12345),
        "statement.attachments[0].contentType",
    ),
    (
        "attachment-contentType-not-media-type",
        put("attachments.0.contentType", "pdf"),
        "statement.attachments[0].contentType",
    ),
    ("attachment-length-string-suite", put("attachments.0.length", "should fail"), "statement.attachments[0].length"),
    ("attachment-length-numeric-string", put("attachments.0.length", "27"), "statement.attachments[0].length"),
    ("attachment-length-negative", put("attachments.0.length", -1), "statement.attachments[0].length"),
    ("attachment-length-fraction", put("attachments.0.length", 27.5), "statement.attachments[0].length"),
    ("attachment-length-boolean", put("attachments.0.length", True), "statement.attachments[0].length"),
    ("attachment-sha2-number-suite", put("attachments.0.sha2", 12345), "statement.attachments[0].sha2"),
    ("attachment-sha2-short", put("attachments.0.sha2", "495395e777cd98da"), "statement.attachments[0].sha2"),
    ("attachment-sha2-non-hex", put("attachments.0.sha2", "z" + SHA256[1:]), "statement.attachments[0].sha2"),
    (
        "attachment-fileUrl-not-iri-suite",
        put("attachments.0.fileUrl", "should fail"),
        "statement.attachments[0].fileUrl",
    ),
    (
        "attachment-fileUrl-no-scheme-suite",
        put("attachments.0.fileUrl", "over.there.com/file.txt"),
        "statement.attachments[0].fileUrl",
    ),
    ("attachment-empty-object", put("attachments", [{}]), "statement.attachments[0].usageType"),
]

EXTENSION_KEYS: list[Row] = [
    (
        "activity-extension-key-without-scheme",
        put("object.definition.extensions", {"example.com/x": 1}),
        'statement.object.definition.extensions["example.com/x"]',
    ),
    ("result-extension-key-empty", put("result.extensions", {"": 1}), 'statement.result.extensions[""]'),
    (
        "context-extension-key-bad-scheme-suite",
        put("context.extensions", {SUITE_BAD_IRI: 1}),
        f'statement.context.extensions["{SUITE_BAD_IRI}"]',
    ),
    (
        "context-extension-value-fine-key-bad",
        put("context.extensions", {EXT: None, "bad key": None}),
        'statement.context.extensions["bad key"]',
    ),
]

ALL: list[Row] = (
    FORMATTING
    + STATEMENT_ID
    + ACTOR
    + VERB
    + OBJECT
    + SUBSTATEMENT
    + RESULT
    + CONTEXT
    + TIMESTAMPS
    + AUTHORITY
    + VERSION
    + ATTACHMENTS
    + EXTENSION_KEYS
)


def test_case_ids_are_unique() -> None:
    ids = [case_id for case_id, _, _ in ALL]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("case_id", "payload", "expected_path"), ALL, ids=[row[0] for row in ALL])
def test_rejects(case_id: str, payload: Transform | Statement, expected_path: str, version: str) -> None:
    statement = build(payload)
    assert_rejected(lambda: validate_statement(statement, version=version), expected_path)


def test_custom_root_path_is_used() -> None:
    statement = build(put("context.contextActivities.parent.0.id", "nope"))
    assert_rejected(
        lambda: validate_statement(statement, path="statements[3]"),
        "statements[3].context.contextActivities.parent[0].id",
    )


MESSAGES: list[tuple[str, Transform, str, str]] = [
    ("null", put("result.score.raw", None), "statement.result.score.raw", "must not be null"),
    ("unknown-property", put("result.score.foo", 1), "statement.result.score.foo", "unknown property 'foo'"),
    ("no-scheme", put("verb.id", "example.com/x"), "statement.verb.id", "must be an IRI with a scheme"),
    ("string-for-number", put("result.score.raw", "1"), "statement.result.score.raw", "must be a number, not string"),
    ("missing", drop("verb"), "statement.verb", "is required"),
    ("group-in-group", put("actor.member", [make_group()]), "statement.actor.member", "unknown property 'member'"),
    (
        "group-member-is-group",
        put("actor", make_group(member=[make_group()])),
        "statement.actor.member[0].objectType",
        "must not contain Groups",
    ),
    (
        "case-sensitive-objectType",
        put("object.objectType", "activity"),
        "statement.object.objectType",
        "(case-sensitive), got 'activity'",
    ),
    ("range", put("result.score.scaled", 2), "statement.result.score.scaled", "between -1 and 1"),
    (
        "ifi-count",
        put("actor.openid", "http://example.com/o"),
        "statement.actor",
        "only one inverse functional identifier",
    ),
]


@pytest.mark.parametrize(("case_id", "transform", "expected_path", "problem"), MESSAGES, ids=[m[0] for m in MESSAGES])
def test_messages_say_what_is_wrong(case_id: str, transform: Transform, expected_path: str, problem: str) -> None:
    statement = build(transform)
    error = assert_rejected(lambda: validate_statement(statement), expected_path)
    assert problem in error.message
