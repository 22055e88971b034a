"""Configuration: only ``LRS_*`` environment variables, parsed once into a frozen, typed object.

Invalid values fail fast with a message naming the variable.  Secret-bearing values (the MongoDB URI may
contain a password) are hidden from ``repr``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lrs.errors import ConfigurationError


class Secret(str):
    """A string whose repr never shows the value."""

    def __repr__(self) -> str:
        return "Secret('**********')"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("./var")
    mongo_uri: Secret | None = None
    mongo_database: str | None = None
    mongo_max_time_ms: int = 5000
    mongo_allow_standalone: bool = False
    max_body_bytes: int = 16 * 1024 * 1024
    max_attachment_bytes: int = 8 * 1024 * 1024
    max_batch: int = 1000
    query_limit_default: int = 100
    query_limit_max: int = 500
    cors_origins: tuple[str, ...] = ("*",)
    authority_homepage: str = "https://lrs.local/credentials"
    log_level: str = "INFO"
    # SSO bearer tokens (auth/jwt_tokens.py); off while jwt_issuer is unset
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_jwks_file: Path | None = None
    jwt_jwks_url: str | None = None
    jwt_hs256_secret: Secret | None = None
    jwt_algorithms: tuple[str, ...] = ("RS256", "ES256")
    jwt_leeway_seconds: int = 30
    jwt_tenant_claim: str = "tenant"
    jwt_role_claim: str = "role"
    jwt_learner_claim: str = "civil_servant_number"
    sso_homepage: str = "https://sso.local"
    # quotas and rate limits (lrs/quotas.py); 0 switches a rate limit off
    rate_limit_per_minute: int = 12_000
    rate_limit_burst: int = 1_000
    auth_failures_per_minute: int = 50
    proxy_hops: int = 0  # reverse proxies in front whose X-Forwarded-For names the client
    # learning hours (lrs/progress/hours.py): the yearly target, and the time zone years and days are cut in
    jp_target_centi: int = 20 * 100
    report_utc_offset_minutes: int = 7 * 60
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "lrs.sqlite3"

    @property
    def uses_mongo(self) -> bool:
        return bool(self.mongo_uri)


# name -> (attribute, description, default shown in the README)
VARIABLES: dict[str, tuple[str, str]] = {
    "LRS_DATA_DIR": ("data_dir", "Directory of the embedded SQLite store (used when LRS_MONGO_URI is unset)"),
    "LRS_MONGO_URI": ("mongo_uri", "MongoDB connection string; set it to use MongoDB instead of SQLite"),
    "LRS_MONGO_DATABASE": ("mongo_database", "MongoDB database name (default: from the URI, else `lrs`)"),
    "LRS_MONGO_MAX_TIME_MS": ("mongo_max_time_ms", "Server-side time limit of every MongoDB query"),
    "LRS_MONGO_ALLOW_STANDALONE": (
        "mongo_allow_standalone",
        "`true` to run on a standalone MongoDB server (batches are then compensated, not transactional)",
    ),
    "LRS_MAX_BODY_BYTES": ("max_body_bytes", "Largest accepted request body; larger ones get 413"),
    "LRS_MAX_ATTACHMENT_BYTES": (
        "max_attachment_bytes",
        "Largest attachment part of a multipart/mixed statement request; larger ones get 413"
        " (the whole request is also bounded by LRS_MAX_BODY_BYTES)",
    ),
    "LRS_MAX_BATCH": ("max_batch", "Most statements accepted in one POST; more get 413"),
    "LRS_QUERY_LIMIT_DEFAULT": ("query_limit_default", "Statements per page when `limit` is absent or 0"),
    "LRS_QUERY_LIMIT_MAX": ("query_limit_max", "Largest page; larger `limit` values are clamped"),
    "LRS_CORS_ORIGINS": ("cors_origins", "Comma-separated allowed browser origins, or `*` for any"),
    "LRS_AUTHORITY_HOMEPAGE": ("authority_homepage", "homePage of the `authority` account the LRS sets"),
    "LRS_LOG_LEVEL": ("log_level", "Python log level"),
    "LRS_JWT_ISSUER": ("jwt_issuer", "Issuer (`iss`) of accepted SSO bearer tokens; unset: bearer tokens are refused"),
    "LRS_JWT_AUDIENCE": ("jwt_audience", "Audience (`aud`) every bearer token must name (required with the issuer)"),
    "LRS_JWT_JWKS_FILE": ("jwt_jwks_file", "JSON Web Key Set file with the issuer's public signing keys"),
    "LRS_JWT_JWKS_URL": ("jwt_jwks_url", "https URL of the issuer's JSON Web Key Set (the only URL ever fetched)"),
    "LRS_JWT_HS256_SECRET": ("jwt_hs256_secret", "Shared secret for HS256 tokens (at least 32 bytes; needs HS256)"),
    "LRS_JWT_ALGORITHMS": (
        "jwt_algorithms",
        "Comma-separated accepted signature algorithms (never taken from a token)",
    ),
    "LRS_JWT_LEEWAY_SECONDS": ("jwt_leeway_seconds", "Clock skew allowed on `exp`, `nbf` and `iat`"),
    "LRS_JWT_TENANT_CLAIM": ("jwt_tenant_claim", "Claim (dotted path) holding the tenant slug"),
    "LRS_JWT_ROLE_CLAIM": ("jwt_role_claim", "Claim (dotted path) holding the role (a string or a list)"),
    "LRS_JWT_LEARNER_CLAIM": ("jwt_learner_claim", "Claim (dotted path) holding the civil-servant number"),
    "LRS_SSO_HOMEPAGE": ("sso_homepage", "`account.homePage` of learners identified by SSO tokens"),
    "LRS_RATE_LIMIT_PER_MINUTE": (
        "rate_limit_per_minute",
        "Default requests per minute per credential (tenants may override); more get 429; 0: no limit",
    ),
    "LRS_RATE_LIMIT_BURST": ("rate_limit_burst", "Default burst: most requests per credential in one rate window"),
    "LRS_PROXY_HOPS": (
        "proxy_hops",
        "Reverse proxies in front of the LRS whose `X-Forwarded-For` is trusted for the client address (0: none)",
    ),
    "LRS_AUTH_FAILURES_PER_MINUTE": (
        "auth_failures_per_minute",
        "Failed authentications per minute allowed per key and per client address before 429; 0: no limit",
    ),
    "LRS_JP_TARGET": ("jp_target_centi", "Learning hours (JP) a learner should earn per year (at most two decimals)"),
    "LRS_REPORT_UTC_OFFSET": (
        "report_utc_offset_minutes",
        "UTC offset (`+07:00`) of the time zone learning-hours reports cut years and days in",
    ),
}

_INT_FIELDS = {
    "mongo_max_time_ms",
    "max_body_bytes",
    "max_attachment_bytes",
    "max_batch",
    "query_limit_default",
    "query_limit_max",
}


def _positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from None
    if value <= 0:
        raise ConfigurationError(f"{name} must be greater than 0, got {value}")
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for name, (attribute, _) in VARIABLES.items():
        raw = env.get(name)
        if raw is None or raw == "":
            continue
        if attribute in _INT_FIELDS:
            values[attribute] = _positive_int(name, raw)
        elif attribute == "mongo_allow_standalone":
            if raw not in ("true", "false"):
                raise ConfigurationError(f"LRS_MONGO_ALLOW_STANDALONE must be true or false, got {raw!r}")
            values[attribute] = raw == "true"
        elif attribute == "data_dir":
            values[attribute] = Path(raw)
        elif attribute == "mongo_uri":
            if not raw.startswith(("mongodb://", "mongodb+srv://")):
                raise ConfigurationError("LRS_MONGO_URI must start with mongodb:// or mongodb+srv://")
            values[attribute] = Secret(raw)
        elif attribute == "cors_origins":
            origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
            if not origins:
                raise ConfigurationError("LRS_CORS_ORIGINS lists no origin; give origins or '*'")
            values[attribute] = origins
        elif attribute in _SSO_AND_QUOTA_FIELDS:
            values[attribute] = _sso_or_quota_value(name, attribute, raw)
        elif attribute in _REPORT_FIELDS:
            values[attribute] = _report_value(name, attribute, raw)
        elif attribute == "log_level":
            if raw.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
                raise ConfigurationError(f"LRS_LOG_LEVEL must be a Python log level, got {raw!r}")
            values[attribute] = raw.upper()
        else:
            values[attribute] = raw
    unknown = sorted(k for k in env if k.startswith("LRS_") and k not in VARIABLES and not k.startswith("LRS_TEST_"))
    if unknown:
        raise ConfigurationError(f"unknown configuration variable(s): {', '.join(unknown)}")
    settings = Settings(**values)  # type: ignore[arg-type]
    if settings.query_limit_default > settings.query_limit_max:
        raise ConfigurationError("LRS_QUERY_LIMIT_DEFAULT must not exceed LRS_QUERY_LIMIT_MAX")
    _check_sso(settings)
    return settings


# SSO bearer tokens and quotas ----------------------------------------------------------------------------
ASYMMETRIC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
JWT_ALGORITHMS = (*ASYMMETRIC_ALGORITHMS, "HS256")
_MIN_HS256_SECRET_BYTES = 32
_SSO_AND_QUOTA_FIELDS = {
    "jwt_issuer",
    "jwt_audience",
    "jwt_jwks_file",
    "jwt_jwks_url",
    "jwt_hs256_secret",
    "jwt_algorithms",
    "jwt_leeway_seconds",
    "jwt_tenant_claim",
    "jwt_role_claim",
    "jwt_learner_claim",
    "sso_homepage",
    "rate_limit_per_minute",
    "rate_limit_burst",
    "auth_failures_per_minute",
    "proxy_hops",
}


def _non_negative_int(name: str, raw: str) -> int:
    return 0 if raw.strip() == "0" else _positive_int(name, raw)


def _sso_or_quota_value(name: str, attribute: str, raw: str) -> object:
    if attribute in ("rate_limit_per_minute", "auth_failures_per_minute", "jwt_leeway_seconds", "proxy_hops"):
        return _non_negative_int(name, raw)
    if attribute == "rate_limit_burst":
        return _positive_int(name, raw)
    if attribute == "jwt_jwks_file":
        return Path(raw)
    if attribute == "jwt_hs256_secret":
        if len(raw.encode("utf-8")) < _MIN_HS256_SECRET_BYTES:
            raise ConfigurationError(f"{name} must be at least {_MIN_HS256_SECRET_BYTES} bytes long")
        return Secret(raw)
    if attribute == "jwt_algorithms":
        algorithms = tuple(dict.fromkeys(a.strip() for a in raw.split(",") if a.strip()))
        wrong = [a for a in algorithms if a not in JWT_ALGORITHMS]
        if wrong or not algorithms:
            raise ConfigurationError(f"{name} must list algorithms among {', '.join(JWT_ALGORITHMS)}, got {raw!r}")
        return algorithms
    if attribute in ("jwt_jwks_url", "sso_homepage") and not raw.startswith(("https://", "http://")):
        raise ConfigurationError(f"{name} must be an http(s) URL, got {raw!r}")
    return raw.strip()


def _check_sso(settings: Settings) -> None:
    """Bearer tokens are on when an issuer is set; then everything needed to verify them must be set too."""
    hs256 = "HS256" in settings.jwt_algorithms
    if settings.jwt_hs256_secret and not hs256:
        raise ConfigurationError("LRS_JWT_HS256_SECRET is set but LRS_JWT_ALGORITHMS does not list HS256")
    if not settings.jwt_issuer:
        return
    if not settings.jwt_audience:
        raise ConfigurationError("LRS_JWT_AUDIENCE is required when LRS_JWT_ISSUER is set")
    if hs256 and not settings.jwt_hs256_secret:
        raise ConfigurationError("LRS_JWT_ALGORITHMS lists HS256 but LRS_JWT_HS256_SECRET is not set")
    asymmetric = [a for a in settings.jwt_algorithms if a != "HS256"]
    if asymmetric and not (settings.jwt_jwks_file or settings.jwt_jwks_url):
        raise ConfigurationError(
            f"LRS_JWT_ALGORITHMS lists {', '.join(asymmetric)}: set LRS_JWT_JWKS_FILE or LRS_JWT_JWKS_URL"
        )
    if settings.jwt_jwks_file and settings.jwt_jwks_url:
        raise ConfigurationError("set only one of LRS_JWT_JWKS_FILE and LRS_JWT_JWKS_URL")


# learning-hours reports ----------------------------------------------------------------------------------
_REPORT_FIELDS = {"jp_target_centi", "report_utc_offset_minutes"}
_JP = re.compile(r"\d{1,5}(\.\d{1,2})?", re.ASCII)
_UTC_OFFSET = re.compile(r"([+-])(\d\d):(\d\d)", re.ASCII)


def _report_value(name: str, attribute: str, raw: str) -> int:
    """``LRS_JP_TARGET`` (JP, at most two decimals) as hundredths; ``LRS_REPORT_UTC_OFFSET`` as minutes."""
    text = raw.strip()
    if attribute == "jp_target_centi":
        if not _JP.fullmatch(text):
            raise ConfigurationError(f"{name} must be a number of JP with at most two decimals, got {raw!r}")
        whole, _, fraction = text.partition(".")
        return int(whole) * 100 + int(fraction.ljust(2, "0") or 0)
    match = _UTC_OFFSET.fullmatch(text)
    if match is None or int(match[2]) > 14 or int(match[3]) > 59:
        raise ConfigurationError(f"{name} must be a UTC offset such as +07:00, got {raw!r}")
    minutes = int(match[2]) * 60 + int(match[3])
    return -minutes if match[1] == "-" else minutes
