"""Signed statements (xAPI 1.0.3 Data 2.6; 2.0: JWS Compact Serialization is required).

A signature is an Attachment with usageType ``http://adlnet.gov/expapi/attachments/signature`` and contentType
``application/octet-stream`` whose content is a JWS (RFC 7515) over the statement as it was before the
signature was added.  For each one whose content came with the request the LRS checks that:

* the JWS parses (Compact Serialization; under 1.0.3 the discouraged JSON Serialization is accepted too, with
  every header parameter in the protected header) and its ``alg`` is RS256, RS384 or RS512 (never ``none``
  or an HMAC: the algorithm is pinned, not taken from the token);
* when the header has ``x5c``, every entry is a base64 DER X.509 certificate, the first one holds an RSA key,
  and the signature verifies with that key (the chain and validity dates are not judged: like the spec says,
  this catches mistakes and is no proof of who signed);
* the payload is a JSON object "logically equivalent" to the received statement without its signature
  attachments (:func:`lrs.comparison.same_statement` rules; ids and timestamps must agree when present).

Without ``x5c`` there is no key to verify with (the spec leaves authentication of signers out of scope), so
only the structure and the payload are checked.  A signature Attachment that has only a ``fileUrl`` is never
fetched: the LRS makes no outbound requests, so such a signature is stored unverified.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from lrs.attachments import SIGNATURE_CONTENT_TYPE, SIGNATURE_USAGE, attachment_refs, statement_path
from lrs.comparison import same_statement
from lrs.errors import BadRequestError
from lrs.jsontext import loads
from lrs.timeutil import parse_instant_us
from validators.primitives import is_v2

__all__ = ["ALGORITHMS", "check_signatures", "signed_payload"]

ALGORITHMS = ("RS256", "RS384", "RS512")
_JWS = jwt.PyJWS(algorithms=list(ALGORITHMS))


def _fail(path: str, problem: str) -> BadRequestError:
    return BadRequestError(f"{path}: signature {problem}", errors={"path": path})


def _certificate_key(header: Mapping[str, Any], path: str) -> RSAPublicKey | None:
    chain = header.get("x5c")
    if chain is None:
        return None
    if not isinstance(chain, list) or not chain or not all(isinstance(entry, str) for entry in chain):
        raise _fail(path, "header x5c must be a non-empty array of base64 certificates")
    certificates = []
    for position, entry in enumerate(chain):
        try:
            certificates.append(x509.load_der_x509_certificate(base64.b64decode(entry, validate=True)))
        except (binascii.Error, ValueError) as exc:
            raise _fail(path, f"header x5c[{position}] is not a base64 DER X.509 certificate") from exc
    key = certificates[0].public_key()
    if not isinstance(key, RSAPublicKey):
        raise _fail(path, "certificate x5c[0] must hold an RSA public key (RS256, RS384, RS512)")
    return key


def _verify_compact(token: str, path: str) -> bytes:
    """The payload of one JWS in Compact Serialization, after the checks above."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise _fail(path, "is not a JWS (RFC 7515) in Compact Serialization") from exc
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise _fail(path, f"algorithm must be RS256, RS384 or RS512, not {str(algorithm)[:20]!r}")
    key = _certificate_key(header, path)
    try:
        if key is None:
            decoded = _JWS.decode_complete(token, options={"verify_signature": False})
        else:
            decoded = _JWS.decode_complete(token, key=key, algorithms=[algorithm])
    except jwt.InvalidSignatureError as exc:
        raise _fail(path, "does not verify with the certificate in its x5c header") from exc
    except jwt.PyJWTError as exc:
        raise _fail(path, f"is not a valid JWS ({exc})") from exc
    payload: bytes = decoded["payload"]
    return payload


def _json_serialization_tokens(text: str, path: str) -> list[str]:
    """Each signature of a JWS JSON Serialization (general or flattened) as a compact token."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise _fail(path, "is neither a JWS Compact nor a JWS JSON Serialization") from exc
    if not isinstance(document, dict) or not isinstance(document.get("payload"), str):
        raise _fail(path, "JSON Serialization needs a string 'payload'")
    entries = document.get("signatures", [document])
    if not isinstance(entries, list) or not entries:
        raise _fail(path, "JSON Serialization needs at least one signature")
    tokens = []
    for entry in entries:
        if not isinstance(entry, dict) or "header" in entry:
            raise _fail(path, "JSON Serialization: put every header parameter in the protected header")
        protected, signature = entry.get("protected"), entry.get("signature")
        if not isinstance(protected, str) or not isinstance(signature, str):
            raise _fail(path, "JSON Serialization: each signature needs 'protected' and 'signature' strings")
        tokens.append(f"{protected}.{document['payload']}.{signature}")
    return tokens


def signed_payload(content: bytes, *, version: str, path: str = "signature") -> Any:
    """The statement a signature's content signs (parsed JSON), after checking the JWS."""
    try:
        text = content.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise _fail(path, "must be ASCII (a JWS Compact Serialization)") from exc
    if text.startswith("{"):
        if is_v2(version):
            raise _fail(path, "must use the JWS Compact Serialization in xAPI 2.0")
        payloads = {_verify_compact(token, path) for token in _json_serialization_tokens(text, path)}
        payload = payloads.pop()
    else:
        payload = _verify_compact(text, path)
    try:
        return loads(payload, what=f"{path}: the signed payload")
    except BadRequestError as exc:
        raise _fail(path, f"payload is not a valid JSON serialization of a statement ({exc.message})") from exc


def _without_signatures(statement: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(statement)
    kept = [a for a in statement.get("attachments") or () if a.get("usageType") != SIGNATURE_USAGE]
    if kept:
        result["attachments"] = kept
    else:
        result.pop("attachments", None)
    return result


def _equivalent(received: Mapping[str, Any], signed: Mapping[str, Any]) -> bool:
    signed = _without_signatures(signed)  # an empty attachments array equals none
    if "id" in signed and str(signed["id"]).lower() != str(received.get("id", "")).lower():
        return False
    if ("timestamp" in signed) != ("timestamp" in received):
        return False
    if "timestamp" in signed and parse_instant_us(signed["timestamp"]) != parse_instant_us(received["timestamp"]):
        return False
    return same_statement(received, signed)


def check_signatures(statements: Sequence[Mapping[str, Any]], contents: Mapping[str, bytes], *, version: str) -> None:
    """Check every signature Attachment of the (validated) statements; 400 naming the first bad one."""
    for index, statement in enumerate(statements):
        path = statement_path(index, len(statements))
        own = f"{path}.attachments["  # a statement's own signatures (a SubStatement's are not checked)
        signatures = [ref for ref in attachment_refs(statement, path) if ref.is_signature and ref.path.startswith(own)]
        for ref in signatures:
            media_type = ref.content_type.split(";", 1)[0].strip().lower()
            if media_type != SIGNATURE_CONTENT_TYPE:
                raise _fail(ref.path, f"attachments must have contentType {SIGNATURE_CONTENT_TYPE}")
            content = contents.get(ref.sha2)
            if content is None:
                continue  # fileUrl only: nothing to decode, and the LRS never fetches
            payload = signed_payload(content, version=version, path=ref.path)
            if not isinstance(payload, dict):
                raise _fail(ref.path, "payload must be a JSON object (the signed statement)")
            if not _equivalent(_without_signatures(statement), payload):
                raise _fail(ref.path, "payload differs from the statement (Data 2.6: it must be the same statement)")
