"""Tables for the special data types of xAPI Data §4: each value accepted or rejected as the spec and the ADL
conformance suite ("suite") expect."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.validators.assertions import assert_rejected
from validators.primitives import (
    check_duration,
    check_extensions,
    check_iri,
    check_language_map,
    check_language_tag,
    check_mbox,
    check_media_type,
    check_sha1,
    check_sha2,
    check_uuid,
    check_version,
    is_v2,
    parse_timestamp,
)

V1, V2 = "1.0.3", "2.0.0"
BOTH = (V1, V2)

# --- timestamps ------------------------------------------------------------------------------------------------

TIMESTAMPS_VALID: list[tuple[str, str, tuple[str, ...], datetime]] = [
    ("zulu-millis", "2024-05-01T12:30:00.123Z", BOTH, datetime(2024, 5, 1, 12, 30, 0, 123000, tzinfo=UTC)),
    ("negative-offset-suite", "2023-05-04T12:00:00-05:00", BOTH, datetime(2023, 5, 4, 17, 0, tzinfo=UTC)),
    ("positive-offset", "2024-05-01T00:30:00+05:30", BOTH, datetime(2024, 4, 30, 19, 0, tzinfo=UTC)),
    (
        "rfc3339-plus-zero-suite",
        "2008-09-15T15:53:00.601+00:00",
        BOTH,
        datetime(2008, 9, 15, 15, 53, 0, 601000, tzinfo=UTC),
    ),
    ("hour-only-offset", "2024-05-01T12:00:00+02", BOTH, datetime(2024, 5, 1, 10, 0, tzinfo=UTC)),
    ("basic-format", "20240501T123000Z", BOTH, datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
    ("basic-format-offset", "20240501T123000.5+0200", BOTH, datetime(2024, 5, 1, 10, 30, 0, 500000, tzinfo=UTC)),
    (
        "nanoseconds-truncated",
        "2024-05-01T12:30:00.123456789Z",
        BOTH,
        datetime(2024, 5, 1, 12, 30, 0, 123456, tzinfo=UTC),
    ),
    ("comma-fraction", "2024-05-01T12:30:00,25Z", BOTH, datetime(2024, 5, 1, 12, 30, 0, 250000, tzinfo=UTC)),
    ("leap-second", "2016-12-31T23:59:60Z", BOTH, datetime(2017, 1, 1, tzinfo=UTC)),
    ("future", "2999-12-31T23:59:59.999Z", BOTH, datetime(2999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)),
    ("offset-crossing-year", "2024-01-01T01:00:00+03:00", BOTH, datetime(2023, 12, 31, 22, 0, tzinfo=UTC)),
    ("naive-read-as-utc-1.0.3", "2024-05-01T12:30:00.000", (V1,), datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
    ("minutes-precision-1.0.3", "2024-05-01T12:30Z", (V1,), datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
    ("rfc3339-space-2.0", "2008-09-15 15:53:00.601+00:00", (V2,), datetime(2008, 9, 15, 15, 53, 0, 601000, tzinfo=UTC)),
    ("rfc3339-lowercase-2.0", "2024-05-01t12:30:00z", (V2,), datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
]

TIMESTAMPS_INVALID: list[tuple[str, object, tuple[str, ...]]] = [
    ("words-suite", "should fail", BOTH),
    ("yesterday", "yesterday", BOTH),
    ("empty", "", BOTH),
    ("us-date-suite", "01/011/2015", BOTH),
    ("month-13", "2024-13-01T00:00:00Z", BOTH),
    ("day-0", "2024-05-00T00:00:00Z", BOTH),
    ("february-30", "2024-02-30T00:00:00Z", BOTH),
    ("february-29-non-leap", "2023-02-29T00:00:00Z", BOTH),
    ("hour-24", "2024-05-01T24:00:00Z", BOTH),
    ("minute-60", "2024-05-01T12:60:00Z", BOTH),
    ("second-61", "2024-05-01T12:30:61Z", BOTH),
    ("year-0", "0000-01-01T00:00:00Z", BOTH),
    ("date-only", "2024-05-01", BOTH),
    ("time-only", "12:30:00Z", BOTH),
    ("minus-00-suite", "2008-09-15T15:53:00.601-00", BOTH),
    ("minus-0000-suite", "2008-09-15T15:53:00.601-0000", BOTH),
    ("minus-00-00-suite", "2008-09-15T15:53:00.601-00:00", BOTH),
    ("basic-minus-0000", "20080915T155300-0000", BOTH),
    ("extended-date-basic-offset", "2024-05-01T12:30:00+0530", BOTH),
    ("basic-date-extended-time", "20240501T12:30:00Z", BOTH),
    ("offset-hours-24", "2024-05-01T12:30:00+24:00", BOTH),
    ("offset-minutes-60", "2024-05-01T12:30:00+05:60", BOTH),
    ("trailing-space", "2024-05-01T12:30:00Z ", BOTH),
    ("two-digit-year", "24-05-01T12:30:00Z", BOTH),
    ("unix-seconds", 1714566600, BOTH),
    ("naive-2.0", "2024-05-01T12:30:00.000", (V2,)),
    ("space-separator-1.0.3", "2008-09-15 15:53:00.601+00:00", (V1,)),
    ("lowercase-z-1.0.3", "2024-05-01T12:30:00z", (V1,)),
    ("minutes-precision-2.0-naive", "2024-05-01T12:30", (V2,)),
]


@pytest.mark.parametrize(
    ("case_id", "value", "versions", "expected"), TIMESTAMPS_VALID, ids=[r[0] for r in TIMESTAMPS_VALID]
)
def test_parse_timestamp_valid(case_id: str, value: str, versions: tuple[str, ...], expected: datetime) -> None:
    for version in versions:
        parsed = parse_timestamp(value, "statement.timestamp", version=version)
        assert parsed == expected
        assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(("case_id", "value", "versions"), TIMESTAMPS_INVALID, ids=[r[0] for r in TIMESTAMPS_INVALID])
def test_parse_timestamp_invalid(case_id: str, value: object, versions: tuple[str, ...]) -> None:
    for version in versions:
        assert_rejected(
            lambda v=version: parse_timestamp(value, "statement.timestamp", version=v), "statement.timestamp"
        )


def test_parse_timestamp_null_and_missing_zone_messages() -> None:
    error = assert_rejected(lambda: parse_timestamp(None, "since"), "since")
    assert "must not be null" in error.message
    error = assert_rejected(lambda: parse_timestamp("2024-05-01T12:30:00", "since", version=V2), "since")
    assert "time zone" in error.message
    error = assert_rejected(lambda: parse_timestamp("2024-05-01T12:30:00-00:00", "since", version=V2), "since")
    assert "negative zero" in error.message


def test_parse_timestamp_defaults_to_1_0_3_rules() -> None:
    assert parse_timestamp("2024-05-01T12:30:00", "since") == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)


# --- UUIDs ------------------------------------------------------------------------------------------------------

UUIDS_VALID: list[tuple[str, str, str]] = [
    ("v4-lowercase", "fd41c918-b88b-4b20-a0a5-a4c32391aaa0", "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"),
    ("v4-uppercase", "FD41C918-B88B-4B20-A0A5-A4C32391AAA0", "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"),
    ("mixed-case", "Fd41c918-B88b-4b20-A0a5-a4c32391aaa0", "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"),
    ("v1", "c232ab00-9414-11ec-b3c8-9e6bdeced846", "c232ab00-9414-11ec-b3c8-9e6bdeced846"),
    ("v3", "a3bb189e-8bf9-3888-9912-ace4e6543002", "a3bb189e-8bf9-3888-9912-ace4e6543002"),
    ("v5", "886313e1-3b8a-5372-9b90-0c9aee199e5d", "886313e1-3b8a-5372-9b90-0c9aee199e5d"),
    ("variant-8", "fd41c918-b88b-4b20-80a5-a4c32391aaa0", "fd41c918-b88b-4b20-80a5-a4c32391aaa0"),
    ("variant-9", "fd41c918-b88b-4b20-90a5-a4c32391aaa0", "fd41c918-b88b-4b20-90a5-a4c32391aaa0"),
    ("variant-B", "fd41c918-b88b-4b20-B0a5-a4c32391aaa0", "fd41c918-b88b-4b20-b0a5-a4c32391aaa0"),
]

UUIDS_INVALID: list[tuple[str, object]] = [
    ("too-many-digits-suite", "AA97B177-9383-4934-8543-0F91A7A028368"),
    ("non-hex-suite", "MA97B177-9383-4934-8543-0F91A7A02836"),
    ("number-suite", 12345),
    ("object-suite", {"key": "should fail"}),
    ("nil-uuid", "00000000-0000-0000-0000-000000000000"),
    ("variant-ncs", "fd41c918-b88b-4b20-70a5-a4c32391aaa0"),
    ("variant-microsoft", "fd41c918-b88b-4b20-c0a5-a4c32391aaa0"),
    ("variant-future", "fd41c918-b88b-4b20-f0a5-a4c32391aaa0"),
    ("no-hyphens", "fd41c918b88b4b20a0a5a4c32391aaa0"),
    ("misplaced-hyphens", "fd41c918b-88b-4b20-a0a5-a4c32391aaa0"),
    ("braces", "{fd41c918-b88b-4b20-a0a5-a4c32391aaa0}"),
    ("urn", "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0"),
    ("too-short", "fd41c918-b88b-4b20-a0a5-a4c32391aaa"),
    ("trailing-newline", "fd41c918-b88b-4b20-a0a5-a4c32391aaa0\n"),
    ("empty", ""),
    ("null", None),
]


@pytest.mark.parametrize(("case_id", "value", "expected"), UUIDS_VALID, ids=[r[0] for r in UUIDS_VALID])
def test_check_uuid_valid(case_id: str, value: str, expected: str) -> None:
    assert check_uuid(value, "registration") == expected


@pytest.mark.parametrize(("case_id", "value"), UUIDS_INVALID, ids=[r[0] for r in UUIDS_INVALID])
def test_check_uuid_invalid(case_id: str, value: object) -> None:
    assert_rejected(lambda: check_uuid(value, "registration"), "registration")


# --- IRIs --------------------------------------------------------------------------------------------------------

IRIS_VALID = [
    "http://adlnet.gov/expapi/verbs/attended",
    "https://w3id.org/xapi/cmi5/context/categories/moveon",
    "http://example.com/xapi/verbs#defenestrated",
    "http://example.com/فعل/خواندن",
    "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
    "act:i.pity.the.fool",
    "tag:example.com,2024:activity/1",
    "mailto:ada@example.com",
    "http://example.com/path?query=1&x=%20y#frag",
    "HTTP://EXAMPLE.COM/UPPER",
    "x-custom+scheme.v1://host/path",
]

IRIS_INVALID: list[tuple[str, object, str]] = [
    ("bad-scheme-suite", "ab=c://should.fail.com", "with a scheme"),
    ("no-scheme-suite", "www.example.com/meetings/occurances/34534", "with a scheme"),
    ("words-suite", "should fail", "with a scheme"),
    ("relative", "/path/to/activity", "with a scheme"),
    ("fragment-only", "#activity", "with a scheme"),
    ("digit-first-scheme", "1http://example.com", "with a scheme"),
    ("empty", "", "with a scheme"),
    ("space", "http://example.com/my course", "no spaces"),
    ("tab", "http://example.com/\tx", "no spaces"),
    ("angle-brackets", "http://example.com/<x>", "no spaces"),
    ("quote", 'http://example.com/"x"', "no spaces"),
    ("backslash", "http://example.com\\x", "no spaces"),
    ("number", 123, "must be an IRI string, not number"),
    ("object", {"id": "http://example.com"}, "must be an IRI string, not object"),
    ("null", None, "must not be null"),
]


@pytest.mark.parametrize("value", IRIS_VALID)
def test_check_iri_valid(value: str) -> None:
    assert check_iri(value, "verb.id") == value
    assert check_iri(value, "verb.id") == value  # second time from the memo


@pytest.mark.parametrize(("case_id", "value", "problem"), IRIS_INVALID, ids=[r[0] for r in IRIS_INVALID])
def test_check_iri_invalid(case_id: str, value: object, problem: str) -> None:
    error = assert_rejected(lambda: check_iri(value, "activity"), "activity")
    assert problem in error.message


# --- language tags and maps ----------------------------------------------------------------------------------------

TAGS_VALID = [
    "en",
    "de",
    "ja",
    "es",
    "en-US",
    "de-DE",
    "fr-CA",
    "es-MX",
    "es-419",
    "zh-Hant",
    "sr-Cyrl",
    "sr-Latn-RS",
    "zh-Hans-CN",
    "cmn",
    "ase",
    "tlh",
    "EN-us",
    "zh-yue-HK",
    "sl-rozaj-biske",
    "de-CH-1901",
    "en-a-bbb-x-a-ccc",
    "x-whatever",
    "qaa-Qaaa-QM-x-southern",
    "i-klingon",
    "en-GB-oed",
    "sgn-BE-FR",
    "art-lojban",
    "zh-min-nan",
    "hy-Latn-IT-arevela",
    "en-US-u-islamcal",
]

TAGS_INVALID: list[tuple[str, object]] = [
    ("nine-letters-suite", "something"),
    ("digits-in-language-suite", "a12345"),
    ("long-suite", "a12345678"),
    ("singleton-language-suite", "s-something"),
    ("nine-letter-subtag-suite", "zh-something-ccc"),
    ("nine-letter-middle-suite", "en-something-AU"),
    ("duplicate-singleton-suite", "zh-z-aaa-z-bbb-c-ccc"),
    ("duplicate-variant", "de-DE-1901-1901"),
    ("underscore", "en_US"),
    ("empty", ""),
    ("trailing-hyphen", "en-"),
    ("double-hyphen", "en--US"),
    ("extension-without-subtag", "en-a"),
    ("private-use-empty", "x"),
    ("single-letter", "e"),
    ("number", 12345),
    ("null", None),
]


@pytest.mark.parametrize("tag", TAGS_VALID)
def test_check_language_tag_valid(tag: str) -> None:
    assert check_language_tag(tag, "context.language") == tag


@pytest.mark.parametrize(("case_id", "tag"), TAGS_INVALID, ids=[r[0] for r in TAGS_INVALID])
def test_check_language_tag_invalid(case_id: str, tag: object) -> None:
    assert_rejected(lambda: check_language_tag(tag, "context.language"), "context.language")


LANGUAGE_MAPS_INVALID: list[tuple[str, object, str]] = [
    ("string-suite", "a12345 attended", "verb.display"),
    ("number-suite", 12345, "verb.display"),
    ("list", [{"en": "x"}], "verb.display"),
    ("null", None, "verb.display"),
    ("bad-key-suite", {"en-US": "ok", "a12345": "attended"}, 'verb.display["a12345"]'),
    ("value-number", {"en-US": 1}, 'verb.display["en-US"]'),
    ("value-null", {"en-US": None}, 'verb.display["en-US"]'),
    ("value-map", {"en-US": {"text": "x"}}, 'verb.display["en-US"]'),
]


def test_check_language_map_valid() -> None:
    value = {"en-US": "attended", "ja-JP": "出席した", "und": ""}
    assert check_language_map(value, "verb.display") is value
    assert check_language_map({}, "verb.display") == {}


@pytest.mark.parametrize(("case_id", "value", "path"), LANGUAGE_MAPS_INVALID, ids=[r[0] for r in LANGUAGE_MAPS_INVALID])
def test_check_language_map_invalid(case_id: str, value: object, path: str) -> None:
    assert_rejected(lambda: check_language_map(value, "verb.display"), path)


# --- extensions --------------------------------------------------------------------------------------------------


def test_check_extensions_accepts_any_values() -> None:
    value = {"http://example.com/a": None, "http://example.com/b": "", "http://example.com/c": {}, "urn:x": [1, True]}
    assert check_extensions(value, "context.extensions") is value


@pytest.mark.parametrize(
    ("case_id", "value", "path"),
    [
        ("string-suite", "should fail", "context.extensions"),
        ("list", ["http://example.com/a"], "context.extensions"),
        ("null", None, "context.extensions"),
        (
            "key-without-scheme-suite",
            {"example.com/extension/wrong": 1},
            'context.extensions["example.com/extension/wrong"]',
        ),
        ("key-words-suite", {"should fail": True}, 'context.extensions["should fail"]'),
    ],
)
def test_check_extensions_invalid(case_id: str, value: object, path: str) -> None:
    assert_rejected(lambda: check_extensions(value, "context.extensions"), path)


# --- durations ---------------------------------------------------------------------------------------------------

DURATIONS_VALID = [
    "PT1H0M0.1S",
    "PT4H35M59.14S",
    "PT16559.14S",
    "P3Y1M29DT4H35M59.14S",
    "P3Y",
    "P4W",
    "PT1.2345S",
    "P1DT12H36M0.12567S",
    "PT0S",
    "P0D",
    "P1M",
    "PT1M",
    "P1Y2M",
    "PT36H",
    "P0.5Y",
    "PT0,5S",
    "P1DT2H",
]

DURATIONS_INVALID: list[tuple[str, object]] = [
    ("letter-suite", "PA1H0M0S"),
    ("words-suite", "should fail"),
    ("number-suite", 12345),
    ("object-suite", {"key": "invalid"}),
    ("weeks-with-days-suite", "P4W1D"),
    ("empty-P", "P"),
    ("empty-PT", "PT"),
    ("empty", ""),
    ("trailing-T", "P1DT"),
    ("seconds-without-T", "P16559.14S"),
    ("hours-without-T", "P1H"),
    ("fraction-not-last", "P1.5DT2H"),
    ("two-fractions", "PT1.5H2.5S"),
    ("wrong-order", "PT1S2M"),
    ("negative", "-PT1S"),
    ("lowercase", "pt1s"),
    ("alternative-format", "P0003-01-29T04:35:59"),
    ("alternative-basic-format", "P00030129T043559"),
    ("missing-P", "T1H"),
    ("null", None),
]


@pytest.mark.parametrize("value", DURATIONS_VALID)
def test_check_duration_valid(value: str) -> None:
    assert check_duration(value, "result.duration") == value


@pytest.mark.parametrize(("case_id", "value"), DURATIONS_INVALID, ids=[r[0] for r in DURATIONS_INVALID])
def test_check_duration_invalid(case_id: str, value: object) -> None:
    assert_rejected(lambda: check_duration(value, "result.duration"), "result.duration")


# --- mbox, SHA-1, SHA-2, media type ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["mailto:xapi@adlnet.gov", "mailto:Ada.Lovelace+lrs@Example.COM", "mailto:a@localhost"]
)
def test_check_mbox_valid(value: str) -> None:
    assert check_mbox(value, "actor.mbox") == value


@pytest.mark.parametrize(
    "value",
    [
        "http://should.fail.com",
        "mailto:should.fail.com",
        "ada@example.com",
        "MAILTO:ada@example.com",
        "mailto:",
        "mailto:a b@example.com",
        "mailto:@example.com",
        1,
        None,
    ],
)
def test_check_mbox_invalid(value: object) -> None:
    assert_rejected(lambda: check_mbox(value, "actor.mbox"), "actor.mbox")


@pytest.mark.parametrize(
    "value", ["cd9b00a5611f94eaa7b1661edab976068e364975", "CD9B00A5611F94EAA7B1661EDAB976068E364975"]
)
def test_check_sha1_valid(value: str) -> None:
    assert check_sha1(value, "actor.mbox_sha1sum") == value


@pytest.mark.parametrize(
    "value",
    [
        "cd9b00a5611f94eaa7b1661edab976068e36497",
        "cd9b00a5611f94eaa7b1661edab976068e3649755",
        "gd9b00a5611f94eaa7b1661edab976068e364975",
        "",
        12345,
        None,
    ],
)
def test_check_sha1_invalid(value: object) -> None:
    assert_rejected(lambda: check_sha1(value, "actor.mbox_sha1sum"), "actor.mbox_sha1sum")


SHA256 = "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"


@pytest.mark.parametrize("value", [SHA256, SHA256.upper(), SHA256[:56], SHA256 + SHA256[:32], SHA256 * 2])
def test_check_sha2_valid(value: str) -> None:
    assert check_sha2(value, "attachments[0].sha2") == value


@pytest.mark.parametrize("value", [SHA256[:40], SHA256 + "0", "x" * 64, "", 12345, None])
def test_check_sha2_invalid(value: object) -> None:
    assert_rejected(lambda: check_sha2(value, "attachments[0].sha2"), "attachments[0].sha2")


@pytest.mark.parametrize(
    "value",
    [
        "text/plain",
        "text/plain; charset=ascii",
        "application/octet-stream",
        "image/svg+xml",
        "application/vnd.ms-excel",
    ],
)
def test_check_media_type_valid(value: str) -> None:
    assert check_media_type(value, "attachments[0].contentType") == value


@pytest.mark.parametrize("value", ["pdf", "text/", "/plain", "text plain", "", 12345, None])
def test_check_media_type_invalid(value: object) -> None:
    assert_rejected(lambda: check_media_type(value, "attachments[0].contentType"), "attachments[0].contentType")


# --- statement version and rule sets --------------------------------------------------------------------------------

VERSIONS_VALID: list[tuple[str, tuple[str, ...]]] = [
    ("1.0", BOTH),
    ("1.0.0", BOTH),
    ("1.0.3", BOTH),
    ("1.0.9", BOTH),
    ("1.0.12", BOTH),
    ("2.0.0", (V2,)),
    ("2.0", (V2,)),
    ("2.0.1", (V2,)),
]

VERSIONS_INVALID: list[tuple[object, tuple[str, ...]]] = [
    ("1.1.0", BOTH),
    ("2.5.0", BOTH),
    ("0.9.9", BOTH),
    ("0.95", BOTH),
    ("1", BOTH),
    ("1.0.", BOTH),
    ("1.0.x", BOTH),
    ("should fail", BOTH),
    ("3.0.0", BOTH),
    (1.0, BOTH),
    (None, BOTH),
    ("2.0.0", (V1,)),
    ("2.0", (V1,)),
]


@pytest.mark.parametrize(("value", "versions"), VERSIONS_VALID)
def test_check_version_valid(value: str, versions: tuple[str, ...]) -> None:
    for version in versions:
        assert check_version(value, "statement.version", version=version) == value


@pytest.mark.parametrize(("value", "versions"), VERSIONS_INVALID)
def test_check_version_invalid(value: object, versions: tuple[str, ...]) -> None:
    for version in versions:
        assert_rejected(lambda v=version: check_version(value, "statement.version", version=v), "statement.version")


@pytest.mark.parametrize(
    ("rule_set", "expected"), [("1.0.3", False), ("1.0.0", False), ("1.0", False), ("2.0.0", True), ("2.0", True)]
)
def test_rule_sets(rule_set: str, expected: bool) -> None:
    assert is_v2(rule_set) is expected


@pytest.mark.parametrize("rule_set", ["1.1.0", "0.9", "", "latest"])
def test_unknown_rule_set_is_a_programming_error(rule_set: str) -> None:
    with pytest.raises(ValueError, match="rule set"):
        is_v2(rule_set)
