"""The special data types of xAPI Data §4 (and the formatted strings of §2): IRIs, UUIDs, language tags and
language maps, extensions, ISO 8601 timestamps and durations, mailto IRIs, SHA-1/SHA-2 hex digests, media
types and the statement ``version``.

Each ``check_*`` returns the value when it is well-formed and raises :class:`~lrs.errors.BadRequestError`
naming ``path`` otherwise.  Values seen before (IRIs, language tags) are remembered in small bounded sets so a
batch of similar statements does not run the same regular expression again and again.
"""

from __future__ import annotations

import re
from datetime import datetime

from lrs.timeutil import instant_of, match_timestamp
from validators.shape import JSONObject, fail, key_path, wrong_type

__all__ = [
    "check_duration",
    "check_extensions",
    "check_iri",
    "check_language_map",
    "check_language_tag",
    "check_mbox",
    "check_media_type",
    "check_sha1",
    "check_sha2",
    "check_uuid",
    "check_version",
    "is_v2",
    "parse_timestamp",
    "rule_set_of",
]

# --- rule sets -------------------------------------------------------------------------------------------------

_RULE_SETS: dict[str, bool] = {"1.0.3": False, "2.0.0": True}
_RULE_SET_FORM = re.compile(r"([12])\.0(?:\.\d+)?", re.ASCII)


def rule_set_of(version: str) -> str | None:
    """The rule set ("1.0.3" or "2.0.0") a version such as "1.0", "1.0.2", "2.0" or "2.0.1" selects, else None.

    ASCII digits only, so it also decides which X-Experience-API-Version header values are supported.
    """
    match = _RULE_SET_FORM.fullmatch(version)
    if match is None:
        return None
    return "2.0.0" if match.group(1) == "2" else "1.0.3"


def is_v2(version: str) -> bool:
    """True for the xAPI 2.0 rule set ("2.0.0", "2.0", "2.0.x"), False for 1.0.x; anything else is a bug."""
    known = _RULE_SETS.get(version)
    if known is not None:
        return known
    rule_set = rule_set_of(version)
    if rule_set is None:
        raise ValueError(f"unknown xAPI rule set {version!r}; expected '1.0.3' or '2.0.0'")
    return rule_set == "2.0.0"


# --- bounded memo of values already found well-formed -----------------------------------------------------------

_MEMO_LIMIT = 4096


def _remember(memo: set[str], value: str) -> None:
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo.add(value)


# --- IRIs ------------------------------------------------------------------------------------------------------

# RFC 3987: a scheme (ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )) and ":", then no whitespace, control
# characters or the delimiters that may never appear unescaped in an IRI.  Full IRI grammar is not required
# ("best-effort validation", Data 2.2.s4.b6), a scheme is (Data 2.2.s4.b1.b8).
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|\\^`\x7f-\x9f]*")
_IRI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_known_iris: set[str] = set()


def check_iri(value: object, path: str) -> str:
    """An absolute IRI (or IRL): a scheme followed by ``:`` and no characters an IRI cannot contain."""
    if type(value) is str:
        if value in _known_iris:
            return value
        if _IRI.fullmatch(value):
            _remember(_known_iris, value)
            return value
        if not _IRI_SCHEME.match(value):
            fail(path, f"must be an IRI with a scheme, got {value!r}")
        fail(path, f'must be an IRI (no spaces or characters such as <>"{{}}|\\^`), got {value!r}')
    wrong_type(path, value, "an IRI string")


# --- UUIDs -----------------------------------------------------------------------------------------------------

# Standard string form, RFC 4122 variant (10xx: the first digit of the fourth group is 8, 9, a or b), any version.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}")


def check_uuid(value: object, path: str) -> str:
    """A UUID in standard string form with the RFC 4122 variant; returned in lowercase."""
    if type(value) is str:
        if _UUID.fullmatch(value):
            return value.lower()
        fail(path, f"must be a UUID in standard string form (RFC 4122 variant), got {value!r}")
    wrong_type(path, value, "a UUID string")


# --- language tags and maps --------------------------------------------------------------------------------------

# RFC 5646 §2.1 ABNF (case-insensitive): langtag / privateuse / grandfathered.
_LANGTAG = re.compile(
    r"""
    (?:
        (?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})   # language, with up to three extlangs
        (?:-[a-z]{4})?                                         # script
        (?:-(?:[a-z]{2}|[0-9]{3}))?                            # region
        (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*               # variants
        (?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*                    # extensions
        (?:-x(?:-[a-z0-9]{1,8})+)?                             # private use
    |
        x(?:-[a-z0-9]{1,8})+                                   # private use only
    )
    """,
    re.IGNORECASE | re.VERBOSE | re.ASCII,
)
_IRREGULAR_GRANDFATHERED = frozenset(
    {
        "en-gb-oed", "i-ami", "i-bnn", "i-default", "i-enochian", "i-hak", "i-klingon", "i-lux", "i-mingo",
        "i-navajo", "i-pwn", "i-tao", "i-tay", "i-tsu", "sgn-be-fr", "sgn-be-nl", "sgn-ch-de",
    }
)  # fmt: skip
_known_tags: set[str] = set()


def _repeats_subtag(tag: str) -> bool:
    """RFC 5646 §2.2.5/§2.2.6: a variant or an extension singleton must not occur twice in one tag."""
    seen: set[str] = set()
    for index, subtag in enumerate(tag.lower().split("-")):
        if subtag == "x":
            return False
        is_variant = index > 0 and (len(subtag) >= 5 or (len(subtag) == 4 and subtag[0].isdigit()))
        if len(subtag) == 1 or is_variant:
            if subtag in seen:
                return True
            seen.add(subtag)
    return False


def check_language_tag(value: object, path: str) -> str:
    """A well-formed RFC 5646 language tag ("en", "en-US", "zh-Hans-CN", "sr-Latn-RS", "cmn", "x-klingon")."""
    if type(value) is str:
        if value in _known_tags:
            return value
        ok = (bool(_LANGTAG.fullmatch(value)) and not _repeats_subtag(value)) or (
            value.lower() in _IRREGULAR_GRANDFATHERED
        )
        if ok:
            _remember(_known_tags, value)
            return value
        fail(path, f"must be an RFC 5646 language tag, got {value!r}")
    wrong_type(path, value, "a language tag string")


def check_language_map(value: object, path: str) -> JSONObject:
    """An object whose keys are RFC 5646 language tags and whose values are strings."""
    if type(value) is not dict:
        wrong_type(path, value, "a language map (an object keyed by language tags)")
    for tag, text in value.items():
        if tag not in _known_tags:
            check_language_tag(tag, key_path(path, tag))
        if type(text) is not str:
            wrong_type(key_path(path, tag), text, "a string")
    return value


# --- extensions --------------------------------------------------------------------------------------------------


def check_extensions(value: object, path: str) -> JSONObject:
    """An extensions map: keys are IRIs, values are any JSON (including null, "" and {}) (Data 4.1)."""
    if type(value) is not dict:
        wrong_type(path, value, "an object keyed by IRIs")
    for key in value:
        if key not in _known_iris:
            check_iri(key, key_path(path, key))
    return value


# --- mbox, SHA-1, SHA-2, media types -------------------------------------------------------------------------------

_MBOX = re.compile(r"mailto:[^@\s]+@[^@\s]+")
_SHA1 = re.compile(r"[0-9a-fA-F]{40}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_SHA2_HEX_LENGTHS = frozenset({56, 64, 96, 128})  # SHA-224, SHA-256, SHA-384, SHA-512
# RFC 2046 / RFC 6838: type "/" subtype, optionally followed by parameters.
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+\-]+/[A-Za-z0-9!#$&^_.+\-]+(?:\s*;.*)?", re.DOTALL)


def check_mbox(value: object, path: str) -> str:
    """A ``mailto:`` IRI holding an email address ("mailto:learner@example.com")."""
    if type(value) is str:
        if _MBOX.fullmatch(value):
            return value
        fail(path, f"must be a 'mailto:' IRI with an email address, got {value!r}")
    wrong_type(path, value, "a 'mailto:' IRI string")


def check_sha1(value: object, path: str) -> str:
    """A hex-encoded SHA-1 digest (40 hex digits), as in ``mbox_sha1sum``."""
    if type(value) is str:
        if _SHA1.fullmatch(value):
            return value
        fail(path, f"must be a hex-encoded SHA-1 digest (40 hex digits), got {value!r}")
    wrong_type(path, value, "a hex string")


def check_sha2(value: object, path: str) -> str:
    """A hex-encoded SHA-2 digest (SHA-224, -256, -384 or -512), as in an attachment's ``sha2``."""
    if type(value) is str:
        if len(value) in _SHA2_HEX_LENGTHS and _HEX.fullmatch(value):
            return value
        fail(path, f"must be a hex-encoded SHA-2 digest (56, 64, 96 or 128 hex digits), got {value!r}")
    wrong_type(path, value, "a hex string")


def check_media_type(value: object, path: str) -> str:
    """An Internet Media Type ("text/plain; charset=ascii")."""
    if type(value) is str:
        if _MEDIA_TYPE.fullmatch(value):
            return value
        fail(path, f"must be an Internet Media Type such as 'text/plain', got {value!r}")
    wrong_type(path, value, "a media type string")


# --- statement version -------------------------------------------------------------------------------------------

_VERSION_1 = re.compile(r"1\.0(?:\.\d+)?", re.ASCII)
_VERSION_1_OR_2 = re.compile(r"[12]\.0(?:\.\d+)?", re.ASCII)


def check_version(value: object, path: str, *, version: str) -> str:
    """The statement ``version``: "1.0" or "1.0.x" (Data 2.4.10); under the 2.0 rules also "2.0" or "2.0.x"."""
    if type(value) is str:
        v2 = is_v2(version)
        if (_VERSION_1_OR_2 if v2 else _VERSION_1).fullmatch(value):
            return value
        allowed = "1.0.x or 2.0.x" if v2 else "1.0.x"
        fail(path, f"must be a supported xAPI version ({allowed}), got {value!r}")
    wrong_type(path, value, "a version string")


# --- ISO 8601 durations ------------------------------------------------------------------------------------------

# ISO 8601:2004 §4.4.3.2: PnYnMnDTnHnMnS or PnW; a decimal fraction only on the lowest-order component.
_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"P(?=\d|T\d)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?|P{_NUM}W",
    re.ASCII,
)
_FRACTION_LAST = re.compile(r"[^.,]*[.,]\d+[YMDWHS]", re.ASCII)


def check_duration(value: object, path: str) -> str:
    """An ISO 8601 duration in the format of ISO 8601:2004 §4.4.3.2 ("PT1H0M0.1S", "P3Y1M29DT4H35M59.14S", "P4W")."""
    if type(value) is str:
        if _DURATION.fullmatch(value) and (("." not in value and "," not in value) or _FRACTION_LAST.fullmatch(value)):
            return value
        fail(path, f"must be an ISO 8601 duration such as 'PT1H30M' or 'P4W', got {value!r}")
    wrong_type(path, value, "an ISO 8601 duration string")


# --- ISO 8601 timestamps -----------------------------------------------------------------------------------------


def parse_timestamp(value: object, path: str, *, version: str = "1.0.3") -> datetime:
    """Parse an xAPI Timestamp into an aware UTC datetime (microsecond precision; extra digits are truncated).

    1.0.3 rules: ISO 8601 combined date and time (extended or basic format); a timestamp without a zone
    designator is read as UTC (Data 4.5: the time zone is a SHOULD*).  2.0 rules: additionally RFC 3339
    ("T" or space, lower-case "t"/"z"), and a zone designator is required, as the LRS converts to UTC.
    Both reject the negative zero offsets "-00", "-0000" and "-00:00" (ISO 8601 forbids them; RFC 3339 uses
    "-00:00" for "offset unknown"), as the ADL conformance suite does.
    """
    if type(value) is not str:
        wrong_type(path, value, "an ISO 8601 timestamp string")
    v2 = is_v2(version)
    match = match_timestamp(value, rfc3339=v2)
    if match is None:
        fail(path, f"must be an ISO 8601 date and time such as '2024-05-01T12:30:00.000Z', got {value!r}")
    _, _, _, _, _, _, _, zulu, sign, off_hours, off_minutes = match.groups()
    if zulu is None and sign is None and v2:
        fail(path, f"must include a time zone ('Z' or an offset such as '+02:00'), got {value!r}")
    if sign == "-" and int(off_hours) == 0 and int(off_minutes or 0) == 0:
        fail(path, f"must not use a negative zero UTC offset ('-00', '-0000' or '-00:00'), got {value!r}")
    try:
        moment = instant_of(match)
    except ValueError:
        fail(path, f"is not a valid calendar date and time, got {value!r}")
    except OverflowError:
        fail(path, f"is outside the years 0001-9999 once converted to UTC, got {value!r}")
    return moment
