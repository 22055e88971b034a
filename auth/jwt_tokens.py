"""SSO bearer tokens: verify a JWT (PyJWT) and map its claims to a :class:`Principal`.

What is trusted comes only from configuration, never from the token:

* the **algorithm** must be one of ``LRS_JWT_ALGORITHMS``; ``none`` never is.  HS256 tokens are checked only with
  ``LRS_JWT_HS256_SECRET`` and asymmetric tokens only with a public key of the configured key set whose type and
  curve fit the algorithm, so an HMAC signed with a public key (PEM or JWK form) cannot pass;
* the **key** is looked up by ``kid`` in the configured JSON Web Key Set (``LRS_JWT_JWKS_FILE`` or
  ``LRS_JWT_JWKS_URL``).  ``jku``, ``x5u``, ``jwk`` and ``x5c`` headers are ignored: the configured URL is the only
  one ever fetched, at most once per :data:`MIN_REFRESH_SECONDS` when a token names an unknown ``kid``;
* ``exp``, ``iss`` and ``aud`` are required and checked, ``nbf`` and ``iat`` honoured (``LRS_JWT_LEEWAY_SECONDS``);
* only **access tokens** are accepted: ``token_use`` is ``access``, or, without ``token_use``, the header ``typ`` is
  ``at+jwt`` (RFC 9068).  ID tokens and tokens minted for another use (exports, one-time links) are refused.

Claims: the role (``LRS_JWT_ROLE_CLAIM``, one of :data:`auth.roles.ROLES`), the tenant (``LRS_JWT_TENANT_CLAIM``;
operators have none), xAPI scopes (``scope``, space-separated, or ``scp``; unknown names ignored; a role default
when none is given) and the civil-servant number (``LRS_JWT_LEARNER_CLAIM``).  A learner's token is bound to the
learner's Agent ``{"account": {"homePage": LRS_SSO_HOMEPAGE, "name": <number>}}``: it reads and writes only that
learner's records (:meth:`Principal.statement_read_restriction`, :meth:`Principal.require_own_agent`).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from auth.principal import Principal
from auth.roles import COORDINATOR, LEARNER, NO_TENANT, OPERATOR, ROLES, SCOPED_ROLES
from auth.scopes import ALL_READ, KNOWN_SCOPES, expand
from lrs.errors import ConfigurationError, ForbiddenError, StorageUnavailableError, UnauthorizedError
from lrs.settings import Settings
from lrs.storage.port import Store

ACCESS = "access"  # the token use accepted on the API
ACCESS_TYPES = ("at+jwt", "application/at+jwt")  # RFC 9068 header ``typ`` of access tokens
MIN_REFRESH_SECONDS = 30.0  # unknown kids trigger at most one key-set reload per this interval (per worker)
KEYS_TTL_SECONDS = 600.0  # keys are reloaded this often anyway (key rotation at the issuer)
FETCH_TIMEOUT_SECONDS = 5.0
MAX_JWKS_BYTES = 1024 * 1024
MAX_TOKEN_BYTES = 16 * 1024
BEARER_CHALLENGE = 'Bearer realm="xAPI", error="invalid_token"'
# xAPI scopes a token of each role has when it names none (admin roles never carry xAPI scopes).
DEFAULT_SCOPES: dict[str, tuple[str, ...]] = {LEARNER: (ALL_READ,), COORDINATOR: (ALL_READ,)}
_CURVES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}


def refused(message: str) -> UnauthorizedError:
    """A 401 for a bearer token, with the RFC 6750 challenge."""
    error = UnauthorizedError(message)
    error.challenge = BEARER_CHALLENGE
    return error


# signing keys ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SigningKey:
    key: Any  # a cryptography public key object
    algorithm: str | None  # the JWK's own "alg", when it names one


def parse_jwks(document: bytes) -> dict[str, SigningKey]:
    """Public signature keys of a JSON Web Key Set, by ``kid``.  Keys without ``kid``, symmetric (``oct``) and
    private keys, and keys for encryption are left out: none of them may ever verify a token."""
    try:
        data = json.loads(document)
        entries = data["keys"]
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError("not a JSON Web Key Set (an object with a 'keys' list)") from exc
    if not isinstance(entries, list):
        raise ValueError("'keys' is not a list")
    keys: dict[str, SigningKey] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        if entry.get("kty") not in ("RSA", "EC") or "d" in entry or entry.get("use", "sig") != "sig":
            continue
        try:
            parsed = jwt.PyJWK(entry)
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            continue
        if isinstance(parsed.key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
            declared = entry.get("alg")
            keys[entry["kid"]] = SigningKey(parsed.key, declared if isinstance(declared, str) else None)
    return keys


def fetch_url(url: str) -> bytes:
    """GET the configured key-set URL (no redirects, bounded time and size)."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 (scheme checked in settings)
    with opener.open(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
        body: bytes = response.read(MAX_JWKS_BYTES + 1)
    if len(body) > MAX_JWKS_BYTES:
        raise ValueError("the key set is too large")
    return body


class KeySet:
    """The issuer's public keys, from a file or the one configured URL, cached per worker.

    Reloaded every :data:`KEYS_TTL_SECONDS`, and when a token names an unknown ``kid`` (at most once per
    :data:`MIN_REFRESH_SECONDS`, so random kids cannot make the LRS hammer the issuer).  A failed reload keeps
    the keys already known.
    """

    def __init__(
        self,
        *,
        file: Path | None = None,
        url: str | None = None,
        fetch: Callable[[str], bytes] = fetch_url,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if (file is None) == (url is None):
            raise ConfigurationError("a key set needs exactly one of a file and a URL")
        self._file, self._url, self._fetch, self._clock = file, url, fetch, clock
        self._keys: dict[str, SigningKey] = {}
        self._loaded_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = threading.Lock()
        if file is not None:  # a wrong file is a configuration error: fail at start-up
            try:
                self._keys = parse_jwks(file.read_bytes())
            except (OSError, ValueError) as exc:
                raise ConfigurationError(f"LRS_JWT_JWKS_FILE {str(file)!r} is not a readable key set: {exc}") from exc
            self._loaded_at = self._attempted_at = clock()

    def _load(self) -> dict[str, SigningKey]:
        if self._file is not None:
            return parse_jwks(self._file.read_bytes())
        assert self._url is not None
        return parse_jwks(self._fetch(self._url))

    def _reload(self, *, unknown_kid: bool) -> None:
        with self._lock:
            now = self._clock()
            stale = self._loaded_at is None or now - self._loaded_at >= KEYS_TTL_SECONDS
            if not stale and not unknown_kid:
                return
            if self._attempted_at is not None and now - self._attempted_at < MIN_REFRESH_SECONDS:
                return
            self._attempted_at = now
            try:
                self._keys = self._load()
                self._loaded_at = now
            except (OSError, ValueError):  # keep what we had; an empty set answers 503 below
                return

    def get(self, kid: str) -> SigningKey | None:
        if self._loaded_at is None or self._clock() - self._loaded_at >= KEYS_TTL_SECONDS:
            self._reload(unknown_kid=False)
        found = self._keys.get(kid)
        if found is None:
            self._reload(unknown_kid=True)
            found = self._keys.get(kid)
        if found is None and self._loaded_at is None:
            raise StorageUnavailableError("the identity provider's signing keys cannot be fetched; retry")
        return found


def key_fits(algorithm: str, key: SigningKey) -> bool:
    """Whether ``key`` may verify a token signed with ``algorithm`` (key type, curve, declared ``alg``)."""
    if key.algorithm is not None and key.algorithm != algorithm:
        return False
    if algorithm.startswith(("RS", "PS")):
        return isinstance(key.key, rsa.RSAPublicKey)
    if algorithm in _CURVES:
        return isinstance(key.key, ec.EllipticCurvePublicKey) and key.key.curve.name == _CURVES[algorithm]
    return False


# verification ---------------------------------------------------------------------------------------------
_REASONS: tuple[tuple[type[Exception], str], ...] = (
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet"),
    (jwt.InvalidAudienceError, "the token is not meant for this LRS (aud)"),
    (jwt.InvalidIssuerError, "the token comes from an issuer this LRS does not trust (iss)"),
    (jwt.MissingRequiredClaimError, "the token lacks a required claim (exp, iss, aud)"),
    (jwt.InvalidSignatureError, "the token's signature is invalid"),
)


class TokenVerifier:
    """Verifies JWTs against the configured issuer, audience, algorithms and keys."""

    def __init__(self, settings: Settings, keys: KeySet | None = None) -> None:
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._algorithms = frozenset(settings.jwt_algorithms)
        self._hs256_secret = str(settings.jwt_hs256_secret or "")
        self._leeway = settings.jwt_leeway_seconds
        if keys is None and (settings.jwt_jwks_file or settings.jwt_jwks_url):
            keys = KeySet(file=settings.jwt_jwks_file, url=settings.jwt_jwks_url)
        self._keys = keys

    def _key_for(self, header: Mapping[str, Any]) -> tuple[str, Any]:
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self._algorithms:
            raise refused("the token's signature algorithm is not accepted")
        if algorithm == "HS256":
            return algorithm, self._hs256_secret.encode("utf-8")
        kid = header.get("kid")
        if not isinstance(kid, str) or self._keys is None:
            raise refused("the token names no signing key (kid)")
        key = self._keys.get(kid)
        if key is None:
            raise refused("the token's signing key (kid) is unknown")
        if not key_fits(algorithm, key):
            raise refused("the token's signing key does not fit its algorithm")
        return algorithm, key.key

    def verify(self, token: str, *, use: str = ACCESS) -> dict[str, Any]:
        """The verified claims of ``token``, minted for ``use``; 401 otherwise."""
        if len(token) > MAX_TOKEN_BYTES:
            raise refused("the token is too large")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise refused("the bearer token is not a well-formed JWT") from exc
        algorithm, key = self._key_for(header)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            reason = next((text for kind, text in _REASONS if isinstance(exc, kind)), "the token is invalid")
            raise refused(reason) from exc
        if not token_use_matches(header, claims, use):
            raise refused(f"only {use} tokens are accepted here")
        return claims


def token_use_matches(header: Mapping[str, Any], claims: Mapping[str, Any], use: str) -> bool:
    """``token_use`` names ``use``; without it, an access token is recognised by its RFC 9068 ``typ``."""
    if "token_use" in claims:
        return bool(claims["token_use"] == use)
    typ = header.get("typ")
    return use == ACCESS and isinstance(typ, str) and typ.lower() in ACCESS_TYPES


# claims -> principal --------------------------------------------------------------------------------------
def claim(claims: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted claim path (``realm_access.roles``), or None."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def role_of(value: Any) -> str:
    """The one LRS role a role claim (a string, or a list of strings) names; 403 for none or several."""
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    roles = sorted({name for name in names if isinstance(name, str) and name in ROLES})
    if len(roles) != 1:
        raise ForbiddenError(
            "the token carries no LRS role" if not roles else "the token carries several LRS roles; send one"
        )
    return roles[0]


def scopes_of(claims: Mapping[str, Any], role: str) -> tuple[str, ...]:
    """xAPI scopes from ``scope`` (space-separated) or ``scp``; the role's default when none is named."""
    raw = claims.get("scope", claims.get("scp"))
    names = (
        raw.split() if isinstance(raw, str) else [s for s in raw if isinstance(s, str)] if isinstance(raw, list) else []
    )
    if role not in SCOPED_ROLES:
        return ()
    known = tuple(dict.fromkeys(name for name in names if name in KNOWN_SCOPES))
    return known or DEFAULT_SCOPES.get(role, ())


class BearerAuthenticator:
    """``Authorization: Bearer <JWT>`` → :class:`Principal`."""

    def __init__(self, store: Store, settings: Settings, verifier: TokenVerifier | None = None) -> None:
        self._store = store
        self._settings = settings
        self._verifier = verifier or TokenVerifier(settings)

    def learner_agent(self, number: str) -> dict[str, Any]:
        return {"objectType": "Agent", "account": {"homePage": self._settings.sso_homepage, "name": number}}

    def authenticate(self, header: str) -> Principal:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise refused("malformed bearer authorization")
        claims = self._verifier.verify(token.strip())
        role = role_of(claim(claims, self._settings.jwt_role_claim))
        number = claim(claims, self._settings.jwt_learner_claim)
        number = (
            str(number) if isinstance(number, (str, int)) and not isinstance(number, bool) and str(number) else None
        )
        subject = claims.get("sub") if isinstance(claims.get("sub"), str) and claims.get("sub") else None
        if role == LEARNER and number is None:
            raise ForbiddenError(
                f"a learner token must carry the civil-servant number ({self._settings.jwt_learner_claim})"
            )
        name = number or subject
        if name is None:
            raise refused("the token names no subject (sub)")
        tenant = NO_TENANT if role == OPERATOR else self._tenant(claim(claims, self._settings.jwt_tenant_claim))
        identity = self.learner_agent(name)
        return Principal(
            tenant=tenant,
            key=f"sso:{subject or name}",
            scopes=expand(scopes_of(claims, role)),
            authority=identity,
            role=role,
            agent=identity if role == LEARNER else None,
        )

    def _tenant(self, slug: Any) -> str:
        if not isinstance(slug, str) or not slug:
            raise ForbiddenError(f"the token names no tenant ({self._settings.jwt_tenant_claim})")
        tenant = self._store.get_tenant(slug)
        if tenant is None:
            raise ForbiddenError("the token names a tenant this LRS does not serve")
        if tenant.status != "active":
            raise ForbiddenError("this tenant is suspended")
        return slug
