"""Credential secrets: generation, scrypt hashing, constant-time verification.

Secrets are 256-bit random values shown once; only an scrypt hash is stored.  Verifying scrypt on every
request would cost ~50 ms, so a worker remembers, per credential, an HMAC of the last secret it verified
*together with the stored hash it was verified against*.  Rotating or revoking a credential changes or removes
the stored row, which every request reads, so a cached verification can never outlive it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1
_SALT_BYTES = 16


def new_key() -> str:
    """A public credential key (the Basic username)."""
    return secrets.token_hex(10)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "scrypt${}${}${}${}${}".format(
        _N, _R, _P, base64.b64encode(salt).decode("ascii"), base64.b64encode(digest).decode("ascii")
    )


def verify_secret(secret: str, stored_hash: str) -> bool:
    try:
        scheme, n, r, p, salt_text, digest_text = stored_hash.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_text)
        expected = base64.b64decode(digest_text)
        actual = hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


class VerifiedSecrets:
    """Per-process memory of verified (credential, stored hash, secret) triples, keyed by credential."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._pepper = secrets.token_bytes(32)
        self._entries: dict[str, bytes] = {}
        self._max = max_entries

    def _tag(self, key: str, stored_hash: str, secret: str) -> bytes:
        message = b"\x00".join(part.encode("utf-8", "surrogatepass") for part in (key, stored_hash, secret))
        return hmac.new(self._pepper, message, hashlib.sha256).digest()

    def check(self, key: str, stored_hash: str, secret: str) -> bool:
        tag = self._tag(key, stored_hash, secret)
        known = self._entries.get(key)
        if known is not None and hmac.compare_digest(known, tag):
            return True
        if not verify_secret(secret, stored_hash):
            return False
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = tag
        return True
