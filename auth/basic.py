"""HTTP Basic authentication of xAPI clients against stored credentials."""

from __future__ import annotations

import base64
import binascii

from auth.principal import Principal
from auth.roles import OPERATOR
from auth.scopes import expand
from auth.secrets import VerifiedSecrets, hash_secret
from lrs.errors import ForbiddenError, UnauthorizedError
from lrs.storage.port import Store

_INVALID = "invalid credentials"
# Verified against when the key is unknown, so unknown keys and wrong secrets cost the same time.
_DUMMY_HASH = hash_secret("not-a-real-secret")


def parse_basic(header: str | None) -> tuple[str, str]:
    """(key, secret) from an ``Authorization: Basic`` header; 401 for anything malformed."""
    if not header:
        raise UnauthorizedError("authentication required")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        raise UnauthorizedError(_INVALID)
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError) as exc:
        raise UnauthorizedError(_INVALID) from exc
    key, colon, secret = decoded.partition(":")
    if not colon or not key:
        raise UnauthorizedError(_INVALID)
    return key, secret


class BasicAuthenticator:
    def __init__(self, store: Store, authority_homepage: str) -> None:
        self._store = store
        self._verified = VerifiedSecrets()
        self._homepage = authority_homepage

    def authority_for(self, key: str, label: str) -> dict[str, object]:
        """The deterministic authority Agent of a credential."""
        agent: dict[str, object] = {"objectType": "Agent", "account": {"homePage": self._homepage, "name": key}}
        if label:
            agent["name"] = label
        return agent

    def authenticate(self, header: str | None) -> Principal:
        key, secret = parse_basic(header)
        credential = self._store.get_credential(key)
        if credential is None or credential.revoked_us is not None:
            self._verified.check("\x00unknown", _DUMMY_HASH, secret)
            raise UnauthorizedError(_INVALID)
        if not self._verified.check(key, credential.secret_hash, secret):
            raise UnauthorizedError(_INVALID)
        if credential.role != OPERATOR:  # operators belong to no tenant; every other role to exactly one
            tenant = self._store.get_tenant(credential.tenant)
            if tenant is None or tenant.status != "active":
                raise ForbiddenError("this tenant is suspended")
        return Principal(
            tenant=credential.tenant,
            key=key,
            scopes=expand(credential.scopes),
            authority=self.authority_for(key, credential.label),
            xapi_version=credential.xapi_version,
            role=credential.role,
        )
