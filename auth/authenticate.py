"""One entry point for every ``Authorization`` header: Basic credentials or an SSO bearer token."""

from __future__ import annotations

from auth.basic import BasicAuthenticator, parse_basic
from auth.jwt_tokens import BearerAuthenticator, refused
from auth.principal import Principal
from lrs.errors import LRSError
from lrs.settings import Settings
from lrs.storage.port import Store


def scheme_of(header: str | None) -> str:
    return (header or "").strip().partition(" ")[0].lower()


class Authenticator:
    """Dispatches on the scheme: ``Bearer`` to the SSO token verifier (when configured), anything else to Basic."""

    def __init__(self, basic: BasicAuthenticator, bearer: BearerAuthenticator | None = None) -> None:
        self.basic = basic
        self.bearer = bearer

    def authenticate(self, header: str | None) -> Principal:
        if header and scheme_of(header) == "bearer":
            if self.bearer is None:
                raise refused("bearer tokens are not accepted by this LRS")
            return self.bearer.authenticate(header)
        return self.basic.authenticate(header)

    @staticmethod
    def claimed_key(header: str | None) -> str | None:
        """The credential key a Basic header claims (unverified), for throttling failed attempts per key."""
        if scheme_of(header) != "basic":
            return None
        try:
            return parse_basic(header)[0]
        except LRSError:
            return None


def build_authenticator(store: Store, settings: Settings) -> Authenticator:
    """Basic always; bearer tokens when an issuer is configured."""
    bearer = BearerAuthenticator(store, settings) if settings.jwt_issuer else None
    return Authenticator(BasicAuthenticator(store, settings.authority_homepage), bearer)
