"""SSO token verification without HTTP: key sets, key/algorithm fit, token uses, settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auth.jwt_tokens import (
    KEYS_TTL_SECONDS,
    MIN_REFRESH_SECONDS,
    KeySet,
    TokenVerifier,
    claim,
    key_fits,
    parse_jwks,
    role_of,
    scopes_of,
)
from lrs.errors import ConfigurationError, ForbiddenError, StorageUnavailableError, UnauthorizedError
from lrs.settings import Settings, load_settings
from tests.sso_tokens import AUDIENCE, ISSUER, jwks, keys, mint, sso_settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Fetcher:
    def __init__(self, document: dict[str, Any] | None) -> None:
        self.document = document
        self.calls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        if self.document is None:
            raise OSError("connection refused")
        return json.dumps(self.document).encode()


def url_keys(fetcher: Fetcher, clock: Clock) -> KeySet:
    return KeySet(url="https://idp.example.gov/jwks", fetch=fetcher, clock=clock)


def test_parse_jwks_keeps_only_public_signature_keys_with_a_kid() -> None:
    rsa_jwk = keys()["rsa"].public_jwk
    document = {
        "keys": [
            rsa_jwk,
            {**keys()["ec"].public_jwk, "kid": None},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {**keys()["ec"].public_jwk, "kid": "enc", "use": "enc"},
            {**rsa_jwk, "kid": "private", "d": "AQAB"},
            {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
            "not a key",
        ]
    }
    assert set(parse_jwks(json.dumps(document).encode())) == {"rsa-1"}
    for bad in (b"[]", b"{}", b'{"keys": {}}', b"not json"):
        with pytest.raises(ValueError):
            parse_jwks(bad)


def test_unknown_kids_refresh_the_key_set_at_most_once_per_interval() -> None:
    fetcher, clock = Fetcher(jwks("rsa")), Clock()
    key_set = url_keys(fetcher, clock)
    assert fetcher.calls == []  # lazy
    assert key_set.get("rsa-1") is not None
    for attempt in range(20):
        assert key_set.get(f"unknown-{attempt}") is None
    assert len(fetcher.calls) == 1
    clock.now += MIN_REFRESH_SECONDS
    fetcher.document = jwks("rsa", "ec")  # the issuer rotated in a new key
    assert key_set.get("ec-1") is not None
    assert len(fetcher.calls) == 2
    clock.now += KEYS_TTL_SECONDS
    key_set.get("rsa-1")
    assert len(fetcher.calls) == 3  # reloaded once the keys are old


def test_a_failed_refresh_keeps_the_known_keys_and_no_keys_at_all_is_503() -> None:
    fetcher, clock = Fetcher(jwks("rsa")), Clock()
    key_set = url_keys(fetcher, clock)
    assert key_set.get("rsa-1") is not None
    fetcher.document = None
    clock.now += KEYS_TTL_SECONDS
    assert key_set.get("rsa-1") is not None
    down = url_keys(Fetcher(None), Clock())
    with pytest.raises(StorageUnavailableError):
        down.get("rsa-1")


def test_a_bad_key_file_stops_the_start(tmp_path: Path) -> None:
    for content in ("", "{}", '{"keys": 1}'):
        path = tmp_path / "jwks.json"
        path.write_text(content)
        with pytest.raises(ConfigurationError):
            KeySet(file=path)
    with pytest.raises(ConfigurationError):
        KeySet(file=tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("algorithm", "key", "fits"),
    [
        ("RS256", "rsa", True),
        ("PS256", "rsa", False),
        ("ES256", "rsa", False),
        ("ES256", "ec", True),
        ("ES384", "ec", False),
        ("RS256", "ec", False),
        ("HS256", "rsa", False),
    ],
)
def test_key_fits_algorithm(algorithm: str, key: str, fits: bool) -> None:
    jwk = keys()[key].public_jwk
    signing_key = parse_jwks(json.dumps({"keys": [jwk]}).encode())[jwk["kid"]]
    assert key_fits(algorithm, signing_key) is fits  # the JWK names its alg: PS256 on an RS256 key does not fit


def verifier(tmp_path: Path, **overrides: Any) -> TokenVerifier:
    return TokenVerifier(Settings(**sso_settings(tmp_path, **overrides)))


def test_b12_an_access_token_is_not_accepted_for_another_use(tmp_path: Path) -> None:
    check = verifier(tmp_path)
    assert check.verify(mint())["sub"]
    with pytest.raises(UnauthorizedError):
        check.verify(mint(), use="export")
    assert check.verify(mint(token_use="export"), use="export")["token_use"] == "export"
    with pytest.raises(UnauthorizedError):
        check.verify(mint(token_use="export"))


def test_algorithms_are_pinned_by_configuration(tmp_path: Path) -> None:
    only_ec = verifier(tmp_path, jwt_algorithms=("ES256",))
    assert only_ec.verify(mint("ec"))["iss"] == ISSUER
    with pytest.raises(UnauthorizedError):
        only_ec.verify(mint("rsa"))


def test_claim_helpers() -> None:
    assert claim({"a": {"b": ["x"]}}, "a.b") == ["x"]
    assert claim({"a": "text"}, "a.b") is None
    assert role_of(["offline_access", "learner"]) == "learner"
    for bad in (None, 3, ["learner", "coordinator"], "root"):
        with pytest.raises(ForbiddenError):
            role_of(bad)
    assert scopes_of({"scope": "openid statements/write"}, "learner") == ("statements/write",)
    assert scopes_of({}, "learner") == ("all/read",)
    assert scopes_of({"scope": "all"}, "tenant_admin") == ()
    assert scopes_of({"scp": ["state", 7]}, "client") == ("state",)


BASE = {"LRS_JWT_ISSUER": ISSUER, "LRS_JWT_AUDIENCE": AUDIENCE, "LRS_JWT_JWKS_URL": "https://idp.example.gov/jwks"}


def test_sso_settings_are_checked_at_start() -> None:
    settings = load_settings(BASE)
    assert settings.jwt_algorithms == ("RS256", "ES256") and settings.jwt_jwks_url == BASE["LRS_JWT_JWKS_URL"]
    secret = "s" * 32
    hs = load_settings({**BASE, "LRS_JWT_ALGORITHMS": "HS256", "LRS_JWT_HS256_SECRET": secret})
    assert hs.jwt_algorithms == ("HS256",) and secret not in repr(hs)
    wrong = [
        {"LRS_JWT_AUDIENCE": ""},
        {"LRS_JWT_JWKS_URL": ""},
        {"LRS_JWT_JWKS_URL": "ftp://idp/jwks"},
        {"LRS_JWT_JWKS_FILE": "/tmp/jwks.json"},  # both file and URL
        {"LRS_JWT_ALGORITHMS": "none"},
        {"LRS_JWT_ALGORITHMS": "RS256,HS256"},  # HS256 without its secret
        {"LRS_JWT_HS256_SECRET": secret},  # a secret without HS256
        {"LRS_JWT_ALGORITHMS": "HS256", "LRS_JWT_HS256_SECRET": "short"},
        {"LRS_JWT_LEEWAY_SECONDS": "-1"},
        {"LRS_SSO_HOMEPAGE": "sso.local"},
        {"LRS_RATE_LIMIT_BURST": "0"},
        {"LRS_RATE_LIMIT_PER_MINUTE": "many"},
    ]
    for change in wrong:
        with pytest.raises(ConfigurationError):
            load_settings({**BASE, **change})


def test_rate_limits_may_be_switched_off() -> None:
    settings = load_settings({"LRS_RATE_LIMIT_PER_MINUTE": "0", "LRS_AUTH_FAILURES_PER_MINUTE": "0"})
    assert settings.rate_limit_per_minute == 0 and settings.auth_failures_per_minute == 0
    assert load_settings({}).jwt_issuer is None
