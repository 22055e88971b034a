"""Test support for SSO bearer tokens: keys generated per test session, token minting, forged tokens and a
recording HTTP server (an identity provider's key-set endpoint, or an attacker's)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://sso.example.gov/realms/civil-service"
AUDIENCE = "lrs-api"
HOMEPAGE = "https://sso.example.gov/people"
HS256_SECRET = "a-shared-secret-of-at-least-32-bytes-long!"
DROP = object()  # a claim value meaning "leave this claim out"


@dataclass(frozen=True)
class KeyPair:
    private: Any
    kid: str
    algorithm: str

    @property
    def public_jwk(self) -> dict[str, Any]:
        kind = RSAAlgorithm if self.algorithm.startswith("RS") else ECAlgorithm
        jwk = json.loads(kind.to_jwk(self.private.public_key()))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": self.algorithm}

    @property
    def public_pem(self) -> bytes:
        return bytes(
            self.private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


@cache
def keys() -> dict[str, KeyPair]:
    """The identity provider's keys (and an attacker's), generated once per test session."""
    return {
        "rsa": KeyPair(rsa.generate_private_key(public_exponent=65537, key_size=2048), "rsa-1", "RS256"),
        "ec": KeyPair(ec.generate_private_key(ec.SECP256R1()), "ec-1", "ES256"),
        "attacker": KeyPair(rsa.generate_private_key(public_exponent=65537, key_size=2048), "evil-1", "RS256"),
    }


def jwks(*names: str) -> dict[str, Any]:
    return {"keys": [keys()[name].public_jwk for name in names or ("rsa", "ec")]}


def write_jwks(directory: Path) -> Path:
    path = directory / "jwks.json"
    path.write_text(json.dumps(jwks()), encoding="utf-8")
    return path


def sso_settings(directory: Path, **overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "jwt_issuer": ISSUER,
        "jwt_audience": AUDIENCE,
        "jwt_jwks_file": write_jwks(directory),
        "sso_homepage": HOMEPAGE,
    }
    settings.update(overrides)
    return settings


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "f3c1a0d2-learner",
        "iat": now,
        "exp": now + 300,
        "token_use": "access",
        "role": "learner",
        "tenant": "tenant-a",
        "civil_servant_number": "CS-0001",
    }
    payload.update(overrides)
    return {name: value for name, value in payload.items() if value is not DROP}


def mint(key: str = "rsa", *, headers: dict[str, Any] | None = None, kid: Any = None, **overrides: Any) -> str:
    """A token signed by one of :func:`keys` (``kid`` defaults to that key's; ``DROP`` leaves it out)."""
    pair = keys()[key]
    header: dict[str, Any] = {"kid": pair.kid if kid is None else kid, **(headers or {})}
    if header["kid"] is DROP:
        del header["kid"]
    return jwt.encode(claims(**overrides), pair.private, algorithm=pair.algorithm, headers=header)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def forge_hs256(secret: bytes, header: dict[str, Any] | None = None, **overrides: Any) -> str:
    """An HS256 token built by hand (PyJWT refuses asymmetric keys as HMAC secrets, an attacker does not)."""
    head = {"alg": "HS256", "typ": "JWT", "kid": keys()["rsa"].kid, **(header or {})}
    signing_input = _b64(json.dumps(head).encode()) + "." + _b64(json.dumps(claims(**overrides)).encode())
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + _b64(signature)


def unsigned(header: dict[str, Any] | None = None, **overrides: Any) -> str:
    """``alg: none``: no signature at all."""
    head = {"alg": "none", "typ": "JWT", **(header or {})}
    return _b64(json.dumps(head).encode()) + "." + _b64(json.dumps(claims(**overrides)).encode()) + "."


def hs256(**overrides: Any) -> str:
    return jwt.encode(claims(**overrides), HS256_SECRET, algorithm="HS256")


def bearer(token: str) -> str:
    return f"Bearer {token}"


def learner_agent(number: str = "CS-0001") -> dict[str, Any]:
    return {"objectType": "Agent", "account": {"homePage": HOMEPAGE, "name": number}}


@dataclass
class RecordingServer:
    """An HTTP server on 127.0.0.1 serving one JSON document and recording every request path."""

    body: dict[str, Any]
    requests: list[str] = field(default_factory=list)
    url: str = ""


@contextmanager
def recording_server(body: dict[str, Any]) -> Iterator[RecordingServer]:
    record = RecordingServer(body)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            record.requests.append(self.path)
            payload = json.dumps(record.body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    record.url = f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
