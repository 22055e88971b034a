"""The multipart/mixed parser of statement requests (Communication 1.5.2): a table of bodies and verdicts."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import pytest

from lrs.attachments import multipart_body
from lrs.errors import BadRequestError, PayloadTooLargeError
from tests.attachment_helpers import BOUNDARY, attachment, multipart, part, sha256
from tests.factories import make_statement
from validators.multipart import collect_attachments, open_upload, parse_boundary, split_parts

TEXT = b"here is a simple attachment"
OTHER = b"here is another attachment\r\n--with a line that looks like a boundary"


def upload(content_type: str, body: bytes, *, limit: int = 1 << 20) -> tuple[Any, dict[str, bytes]]:
    """Parse like the Statement resource does: the statements part, then the attachment parts."""
    first, parts = open_upload(content_type, body)
    statements = json.loads(first)
    batch = statements if isinstance(statements, list) else [statements]
    return statements, collect_attachments(batch, parts, max_attachment_bytes=limit)


def with_attachments(*items: dict[str, Any]) -> dict[str, Any]:
    return make_statement(attachments=list(items))


# --- accepted ------------------------------------------------------------------------------------------


def test_one_attachment_part_is_matched_by_its_hash() -> None:
    statement = with_attachments(attachment(TEXT))
    parsed, contents = upload(*multipart(statement, [part(TEXT)]))
    assert parsed == statement
    assert contents == {sha256(TEXT): TEXT}


def test_boundary_with_every_rfc2046_character_quoted_in_the_header() -> None:
    boundary = "abcABC0123'()+_,-./:=?"
    _, body = multipart(with_attachments(attachment(TEXT)), [part(TEXT)], boundary=boundary)
    _, contents = upload(f'multipart/mixed; boundary="{boundary}"', body)
    assert contents == {sha256(TEXT): TEXT}


def test_preamble_epilogue_leading_crlf_and_transport_padding_are_ignored() -> None:
    content_type, body = multipart(with_attachments(attachment(TEXT)), [part(TEXT)])
    body = b"a preamble\r\n" + body.replace(b"--" + BOUNDARY.encode() + b"\r\n", b"--" + BOUNDARY.encode() + b" \t\r\n")
    body += b"an epilogue"
    _, contents = upload(content_type, body)
    assert contents == {sha256(TEXT): TEXT}
    _, contents = upload(content_type, b"\r\n" + multipart(with_attachments(attachment(TEXT)), [part(TEXT)])[1])
    assert contents == {sha256(TEXT): TEXT}


def test_content_that_contains_crlf_dashes_and_binary_is_kept_byte_for_byte() -> None:
    binary = bytes(range(256)) * 3 + OTHER
    statement = with_attachments(attachment(binary, contentType="application/octet-stream"))
    _, contents = upload(*multipart(statement, [part(binary, Content_Type="application/octet-stream")]))
    assert contents[sha256(binary)] == binary


def test_json_only_multipart_with_no_or_only_fileurl_attachments() -> None:
    assert upload(*multipart(make_statement()))[1] == {}
    statement = with_attachments(attachment(TEXT, fileUrl="http://example.com/file.txt"))
    assert upload(*multipart([statement]))[1] == {}


def test_a_part_for_an_attachment_that_also_has_a_fileurl_is_kept() -> None:
    statement = with_attachments(attachment(TEXT, fileUrl="http://example.com/file.txt"))
    assert upload(*multipart(statement, [part(TEXT)]))[1] == {sha256(TEXT): TEXT}


def test_one_part_serves_every_attachment_with_that_hash_and_copies_are_tolerated() -> None:
    batch = [with_attachments(attachment(TEXT)), with_attachments(attachment(TEXT), attachment(OTHER))]
    assert upload(*multipart(batch, [part(TEXT), part(OTHER)]))[1] == {sha256(TEXT): TEXT, sha256(OTHER): OTHER}
    assert upload(*multipart(batch, [part(TEXT), part(OTHER), part(TEXT)]))[1][sha256(TEXT)] == TEXT


@pytest.mark.parametrize("algorithm", ["sha224", "sha256", "sha384", "sha512"])
def test_every_sha2_variant_and_uppercase_hex(algorithm: str) -> None:
    digest = hashlib.new(algorithm, TEXT).hexdigest()
    statement = with_attachments(attachment(TEXT, sha2=digest.upper()))
    _, contents = upload(*multipart(statement, [part(TEXT, X_Experience_API_Hash=digest.upper())]))
    assert contents == {digest: TEXT}


def test_header_names_are_case_insensitive_and_folded_lines_continue() -> None:
    headers = {"content-type": "text/plain;\r\n charset=ascii", "CONTENT-TRANSFER-ENCODING": "BINARY"}
    headers["x-experience-api-hash"] = sha256(TEXT)
    _, contents = upload(*multipart(with_attachments(attachment(TEXT)), [(headers, TEXT)]))
    assert contents == {sha256(TEXT): TEXT}


def test_attachments_of_a_substatement_count() -> None:
    sub = {k: v for k, v in with_attachments(attachment(TEXT)).items() if k != "id"}
    statement = make_statement(object={**sub, "objectType": "SubStatement"})
    assert upload(*multipart(statement, [part(TEXT)]))[1] == {sha256(TEXT): TEXT}


def test_responses_parse_back_to_the_same_parts() -> None:
    parts = [(sha256(TEXT), "text/plain", TEXT), (sha256(OTHER), "application/octet-stream", OTHER)]
    content_type, body = multipart_body('{"statements":[],"more":""}', parts)
    assert content_type.startswith("multipart/mixed; boundary=")
    parsed = list(split_parts(body, parse_boundary(content_type)))
    assert parsed[0].media_type() == "application/json"
    assert parsed[0].content == b'{"statements":[],"more":""}'
    assert [(p.headers["x-experience-api-hash"], p.headers["content-type"], p.content) for p in parsed[1:]] == parts
    assert all(p.headers["content-transfer-encoding"] == "binary" for p in parsed[1:])


# --- rejected --------------------------------------------------------------------------------------------

GOOD = with_attachments(attachment(TEXT))
GOOD_CT, GOOD_BODY = multipart(GOOD, [part(TEXT)])
DELIM = b"--" + BOUNDARY.encode()

REJECTED: list[tuple[str, str, bytes, str]] = [
    ("no boundary parameter", "multipart/mixed", GOOD_BODY, "boundary parameter"),
    ("empty boundary", 'multipart/mixed; boundary=""', GOOD_BODY, "boundary parameter"),
    ("boundary of 71 characters", "multipart/mixed; boundary=" + "a" * 71, GOOD_BODY, "1 to 70"),
    ("boundary ending in a space", 'multipart/mixed; boundary="ab "', GOOD_BODY, "1 to 70"),
    ("boundary not in the body", "multipart/mixed; boundary=other", GOOD_BODY, "does not contain its boundary"),
    ("body not closed", GOOD_CT, GOOD_BODY.replace(DELIM + b"--", b""), "not closed"),
    ("body truncated", GOOD_CT, GOOD_BODY[:-30], "not closed"),
    ("text after a boundary", GOOD_CT, GOOD_BODY.replace(DELIM + b"\r\n", DELIM + b"xyz\r\n", 1), "CRLF or '--'"),
    ("empty body", GOOD_CT, b"", "does not contain its boundary"),
    ("only a close delimiter", GOOD_CT, DELIM + b"--\r\n", "has no part"),
    ("first part text/plain", *multipart(GOOD, [part(TEXT)], first_type="text/plain"), "must be application/json"),
    ("first part without Content-Type", *multipart(GOOD, [part(TEXT)], first_type=None), "no Content-Type"),
    ("statements before the first boundary", GOOD_CT, GOOD_BODY[len(DELIM) + 2 :], "must be application/json"),
    ("part without X-Experience-API-Hash", *multipart(GOOD, [part(TEXT, X_Experience_API_Hash=None)]), "Hash"),
    (
        "part without Content-Transfer-Encoding",
        *multipart(GOOD, [part(TEXT, Content_Transfer_Encoding=None)]),
        "binary",
    ),
    ("part in base64", *multipart(GOOD, [part(TEXT, Content_Transfer_Encoding="base64")]), "binary"),
    ("hash that is not hex", *multipart(GOOD, [part(TEXT, X_Experience_API_Hash="z" * 64)]), "hex SHA-2"),
    ("hash of no SHA-2 length", *multipart(GOOD, [part(TEXT, X_Experience_API_Hash="ab" * 20)]), "hex SHA-2"),
    (
        "content not matching its hash (I5)",
        *multipart(GOOD, [part(TEXT + b"!", X_Experience_API_Hash=sha256(TEXT))]),
        "does not match",
    ),
    ("part declared by no attachment (I3)", *multipart(GOOD, [part(TEXT), part(OTHER)]), "more attachment parts"),
    ("undeclared part in place of the declared one", *multipart(GOOD, [part(OTHER)]), "no Attachment object"),
    ("missing part of an attachment without fileUrl (I2)", *multipart(GOOD), "no multipart/mixed part"),
    (
        "header line without colon",
        *multipart(
            GOOD, [({"X-Experience-API-Hash": sha256(TEXT), "Content-Transfer-Encoding": "binary\r\nbroken"}, TEXT)]
        ),
        "malformed header",
    ),
    ("header line ended by a bare LF", *multipart(GOOD, [part(TEXT, Content_Type="text/plain\nX: y")]), "CRLF"),
    ("non-ASCII header", *multipart(GOOD, [part(TEXT, Content_Type="text/pläin")]), "ASCII"),
    ("headers without the empty line", GOOD_CT, GOOD_BODY.replace(b"\r\n\r\n" + TEXT, b"\r\n" + TEXT), "empty line"),
    ("header section too long", *multipart(GOOD, [part(TEXT, X_Long="x" * 9000)]), "longer than"),
]


@pytest.mark.parametrize(("case", "content_type", "body", "message"), REJECTED, ids=[r[0] for r in REJECTED])
def test_rejected_with_a_message_that_names_the_problem(
    case: str, content_type: str, body: bytes, message: str
) -> None:
    with pytest.raises(BadRequestError) as caught:
        upload(content_type, body)
    assert caught.value.status == 400
    assert message in caught.value.message, caught.value.message


def test_a_missing_part_names_the_attachment_path() -> None:
    batch = [make_statement(), with_attachments(attachment(OTHER, fileUrl="http://x.example/f"), attachment(TEXT))]
    with pytest.raises(BadRequestError) as caught:
        upload(*multipart(batch))
    assert caught.value.errors == {"path": "statements[1].attachments[1]"}


def test_an_attachment_over_the_limit_is_413() -> None:
    big = b"x" * 1001
    with pytest.raises(PayloadTooLargeError) as caught:
        upload(*multipart(with_attachments(attachment(big)), [part(big)]), limit=1000)
    assert caught.value.status == 413
    assert upload(*multipart(with_attachments(attachment(big)), [part(big)]), limit=1001)[1] == {sha256(big): big}


def test_ten_thousand_tiny_parts_stop_at_the_first_part_too_many() -> None:
    content_type, body = multipart(GOOD, [part(TEXT)] + [part(b"%d" % i) for i in range(10_000)])
    started = time.perf_counter()
    with pytest.raises(BadRequestError, match="more attachment parts"):
        upload(content_type, body)
    assert time.perf_counter() - started < 0.5  # one part past the declared count, not 10,000


def test_parts_are_read_lazily() -> None:
    content_type, body = multipart(GOOD, [part(TEXT)])
    first, rest = open_upload(content_type, body + b"garbage that is never reached")
    assert json.loads(first) == GOOD
    assert next(rest).content == TEXT
