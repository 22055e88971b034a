from __future__ import annotations

from pathlib import Path

import pytest

from auth.secrets import VerifiedSecrets, hash_secret, verify_secret
from lrs.errors import ConfigurationError
from lrs.settings import Settings, load_settings


def test_defaults() -> None:
    settings = load_settings({})
    assert settings == Settings()
    assert settings.sqlite_path == Path("var/lrs.sqlite3")
    assert not settings.uses_mongo


def test_parsing_and_secret_hidden_from_repr() -> None:
    settings = load_settings(
        {
            "LRS_MONGO_URI": "mongodb://user:hunter2@db:27017/lrs",
            "LRS_MAX_BATCH": "50",
            "LRS_CORS_ORIGINS": "https://a.gov, https://b.gov/",
            "LRS_TEST_MONGO_URI": "ignored",
        }
    )
    assert settings.max_batch == 50
    assert settings.cors_origins == ("https://a.gov", "https://b.gov")
    assert settings.uses_mongo
    assert "hunter2" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"LRS_MAX_BATCH": "many"}, "LRS_MAX_BATCH"),
        ({"LRS_MAX_BATCH": "0"}, "greater than 0"),
        ({"LRS_MONGO_URI": "postgres://x"}, "LRS_MONGO_URI"),
        ({"LRS_LOG_LEVEL": "loud"}, "LRS_LOG_LEVEL"),
        ({"LRS_TYPO": "1"}, "LRS_TYPO"),
        ({"LRS_QUERY_LIMIT_DEFAULT": "900"}, "LRS_QUERY_LIMIT_DEFAULT"),
    ],
)
def test_invalid_settings_fail_fast(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(env)
    assert fragment in caught.value.message


def test_secret_hashing() -> None:
    stored = hash_secret("s3cret")
    assert stored.startswith("scrypt$") and "s3cret" not in stored
    assert verify_secret("s3cret", stored)
    assert not verify_secret("s3cret!", stored)
    assert not verify_secret("s3cret", "garbage")
    assert hash_secret("s3cret") != stored  # salted


def test_verified_cache_is_bound_to_the_stored_hash() -> None:
    cache = VerifiedSecrets()
    first = hash_secret("one")
    assert cache.check("k", first, "one")
    assert not cache.check("k", first, "two")
    rotated = hash_secret("two")
    assert not cache.check("k", rotated, "one")  # the old secret stops working as soon as the hash changes
    assert cache.check("k", rotated, "two")


def test_cors_origins_must_not_be_empty() -> None:
    with pytest.raises(ConfigurationError):
        load_settings({"LRS_CORS_ORIGINS": " , "})
