"""Building multipart/mixed statement requests and signed statements for tests."""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import json
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from lrs.attachments import SIGNATURE_USAGE

BOUNDARY = "b0und4ry-x"
CRLF = b"\r\n"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def attachment(content: bytes, **overrides: Any) -> dict[str, Any]:
    """An Attachment object describing ``content`` (no fileUrl unless given)."""
    item: dict[str, Any] = {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": "text/plain",
        "length": len(content),
        "sha2": sha256(content),
    }
    return {key: value for key, value in {**item, **overrides}.items() if value is not None}


def part(content: bytes, **headers: str | None) -> tuple[dict[str, str], bytes]:
    """An attachment part: Content-Type, binary transfer encoding and the content's hash unless overridden
    (a ``None`` value drops that header; names use ``_`` for ``-``)."""
    values: dict[str, str | None] = {
        "Content-Type": "text/plain",
        "Content-Transfer-Encoding": "binary",
        "X-Experience-API-Hash": sha256(content),
    }
    values.update({name.replace("_", "-"): value for name, value in headers.items()})
    return {name: value for name, value in values.items() if value is not None}, content


def multipart(
    statements: Any,
    parts: list[tuple[dict[str, str], bytes]] = (),  # type: ignore[assignment]
    *,
    boundary: str = BOUNDARY,
    first_type: str | None = "application/json",
) -> tuple[str, bytes]:
    """(Content-Type header, body) of a multipart/mixed statement request."""
    first = statements if isinstance(statements, bytes) else json.dumps(statements).encode()
    delimiter = b"--" + boundary.encode()
    head = f"Content-Type: {first_type}\r\n".encode() if first_type else b""
    chunks = [delimiter, CRLF, head, CRLF, first, CRLF]
    for headers, content in parts:
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items()).encode()
        chunks += [delimiter, CRLF, lines, CRLF, content, CRLF]
    chunks += [delimiter, b"--", CRLF]
    return f"multipart/mixed; boundary={boundary}", b"".join(chunks)


# signing -------------------------------------------------------------------------------------------------
@functools.cache
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def certificate_b64(key: rsa.RSAPrivateKey | None = None) -> str:
    """A self-signed certificate of ``key`` (default: :func:`signing_key`), base64 DER as in ``x5c``."""
    key = key or signing_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xAPI test signer")])
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


def sign(payload: Any, *, algorithm: str = "RS256", x5c: list[str] | None = None, key: Any = None) -> bytes:
    """A JWS Compact Serialization of ``payload`` (a statement, or raw bytes)."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"x5c": x5c} if x5c is not None else None
    token = jwt.PyJWS().encode(raw, key or signing_key(), algorithm=algorithm, headers=headers)
    return token.encode()


def signature_attachment(signature: bytes, **overrides: Any) -> dict[str, Any]:
    return attachment(signature, usageType=SIGNATURE_USAGE, contentType="application/octet-stream", **overrides)


def signed(statement: dict[str, Any], **sign_args: Any) -> tuple[dict[str, Any], bytes]:
    """``statement`` with a signature attachment over it as it is now, and the signature's content."""
    signature = sign(statement, **sign_args)
    return {**statement, "attachments": [*statement.get("attachments", []), signature_attachment(signature)]}, signature
