"""Configuration: only ``LRS_*`` environment variables, parsed once into a frozen, typed object.

Invalid values fail fast with a message naming the variable.  Secret-bearing values (the MongoDB URI may
contain a password) are hidden from ``repr``.
"""

from __future__ import annotations

import os
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
    return settings
