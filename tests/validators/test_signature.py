"""Signed statements (Data 2.6): the JWS checks, on statements as the Statement resource validated them."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from lrs.errors import BadRequestError
from tests.attachment_helpers import (
    attachment,
    certificate_b64,
    sha256,
    sign,
    signature_attachment,
    signed,
    signing_key,
)
from tests.factories import make_statement
from validators.signature import check_signatures, signed_payload

V1, V2 = "1.0.3", "2.0.0"


def check(statement: dict[str, Any], signature: bytes | None, *, version: str = V1) -> None:
    contents = {} if signature is None else {sha256(signature): signature}
    check_signatures([statement], contents, version=version)


def rejected(statement: dict[str, Any], signature: bytes | None, *, version: str = V1) -> str:
    with pytest.raises(BadRequestError) as caught:
        check(statement, signature, version=version)
    assert caught.value.errors == {"path": "statement.attachments[0]"}
    return caught.value.message


@pytest.mark.parametrize("algorithm", ["RS256", "RS384", "RS512"])
def test_rsa_signatures_without_x5c_are_checked_for_structure_and_payload(algorithm: str) -> None:
    check(*signed(make_statement(), algorithm=algorithm))


def test_a_signature_that_verifies_with_its_x5c_certificate() -> None:
    check(*signed(make_statement(), x5c=[certificate_b64()]), version=V2)


def test_a_signature_made_with_another_key_than_the_x5c_certificate_is_rejected() -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    message = rejected(*signed(make_statement(), x5c=[certificate_b64()], key=other))
    assert "does not verify" in message


@pytest.mark.parametrize(
    ("x5c", "problem"),
    [
        ("MIIB", "non-empty array"),
        ([], "non-empty array"),
        ([42], "non-empty array"),
        (["not base64!"], "x5c[0] is not a base64 DER"),
        ([base64.b64encode(b"not a certificate").decode()], "x5c[0] is not a base64 DER"),
    ],
)
def test_a_malformed_x5c_header_is_rejected(x5c: Any, problem: str) -> None:
    statement = make_statement()
    token = jwt.PyJWS().encode(json.dumps(statement).encode(), signing_key(), algorithm="RS256", headers={"x5c": x5c})
    signature = token.encode()
    message = rejected({**statement, "attachments": [signature_attachment(signature)]}, signature)
    assert problem in message


def test_an_x5c_certificate_without_an_rsa_key_is_rejected() -> None:
    ec_certificate = certificate_b64(ec.generate_private_key(ec.SECP256R1()))  # type: ignore[arg-type]
    message = rejected(*signed(make_statement(), x5c=[ec_certificate]))
    assert "RSA public key" in message


def test_hmac_and_none_algorithms_are_rejected() -> None:
    statement = make_statement()
    hmac = jwt.PyJWS().encode(json.dumps(statement).encode(), "a-shared-secret-of-enough-length!", algorithm="HS256")
    for token in (hmac, jwt.PyJWS().encode(json.dumps(statement).encode(), None, algorithm="none")):
        signature = token.encode()
        message = rejected({**statement, "attachments": [signature_attachment(signature)]}, signature)
        assert "RS256, RS384 or RS512" in message


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"not-a-jws", "not a JWS"),
        (b"a.b.c", "not a JWS"),
        ("caf\u00e9".encode(), "ASCII"),
        (b"{not json", "neither a JWS Compact nor"),
    ],
)
def test_malformed_content_is_rejected(content: bytes, problem: str) -> None:
    statement = {**make_statement(), "attachments": [signature_attachment(content)]}
    assert problem in rejected(statement, content)


def test_a_payload_that_is_not_the_statement_is_rejected() -> None:
    statement = make_statement()
    signature = sign({**statement, "verb": {"id": "http://ex.gov/verbs/other"}})
    message = rejected({**statement, "attachments": [signature_attachment(signature)]}, signature)
    assert "differs from the statement" in message


@pytest.mark.parametrize(
    ("payload", "problem"),
    [(b"{'single': 'quotes'}", "not a valid JSON serialization"), (b"[1, 2]", "must be a JSON object")],
)
def test_a_payload_that_is_no_json_statement_is_rejected(payload: bytes, problem: str) -> None:
    signature = sign(payload)
    assert problem in rejected({**make_statement(), "attachments": [signature_attachment(signature)]}, signature)


def test_ids_and_timestamps_must_agree_when_the_payload_has_them() -> None:
    statement = make_statement(timestamp="2024-05-04T12:00:00Z")
    check(*signed(statement))
    check(*signed({**statement, "timestamp": "2024-05-04T14:00:00+02:00"}))  # the same instant
    _, signature = signed({**statement, "id": "6b6d8f5c-0000-4000-8000-000000000000"})
    assert "differs" in rejected({**statement, "attachments": [signature_attachment(signature)]}, signature)
    _, signature = signed({k: v for k, v in statement.items() if k != "timestamp"})
    assert "differs" in rejected({**statement, "attachments": [signature_attachment(signature)]}, signature)
    _, signature = signed({k: v for k, v in statement.items() if k != "id"})  # no id signed: any id is fine
    check({**statement, "attachments": [signature_attachment(signature)]}, signature)


def test_comparison_follows_the_statement_comparison_rules() -> None:
    statement = make_statement(result={"duration": "P1DT12H36M0.12S"})
    _, signature = signed(statement)
    with_more_digits = {**statement, "result": {"duration": "P1DT12H36M0.1237S"}}
    check({**with_more_digits, "attachments": [signature_attachment(signature)]}, signature, version=V2)


def test_other_attachments_are_part_of_the_signed_statement() -> None:
    text = attachment(b"hello", fileUrl="http://example.com/hello.txt")
    check(*signed(make_statement(attachments=[text])))
    _, signature = signed(make_statement())
    statement = make_statement(attachments=[text, signature_attachment(signature)])
    with pytest.raises(BadRequestError, match="differs"):
        check_signatures([statement], {sha256(signature): signature}, version=V1)


def test_a_signature_attachment_must_be_application_octet_stream() -> None:
    statement, signature = signed(make_statement())
    statement["attachments"][0]["contentType"] = "text/plain; charset=ascii"
    assert "application/octet-stream" in rejected(statement, signature)


def test_a_signature_known_only_by_file_url_is_not_fetched_and_not_verified() -> None:
    statement = make_statement(attachments=[signature_attachment(b"elsewhere", fileUrl="http://169.254.169.254/s")])
    check(statement, None)


def test_json_serialization_is_accepted_in_1_0_3_only() -> None:
    statement = make_statement()
    protected, payload, signature_b64 = sign(statement).decode().split(".")
    flattened = json.dumps({"protected": protected, "payload": payload, "signature": signature_b64}).encode()
    general = json.dumps({"payload": payload, "signatures": [{"protected": protected, "signature": signature_b64}]})
    for content in (flattened, general.encode()):
        attached = {**statement, "attachments": [signature_attachment(content)]}
        check(attached, content, version=V1)
        assert "Compact Serialization in xAPI 2.0" in rejected(attached, content, version=V2)
    unprotected = json.dumps({"header": {"alg": "RS256"}, "payload": payload, "signature": signature_b64}).encode()
    attached = {**statement, "attachments": [signature_attachment(unprotected)]}
    assert "protected header" in rejected(attached, unprotected)


def test_signed_payload_returns_the_parsed_statement() -> None:
    statement = make_statement()
    assert signed_payload(sign(statement, x5c=[certificate_b64()]), version=V2) == statement
