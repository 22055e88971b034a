"""Opaque, tamper-proof ``more`` cursors.

A cursor carries the tenant, the full filter, the adapter position and the snapshot bound of the first
page, signed with HMAC-SHA256 under a secret every worker shares.  Editing any part of it (tenant, filter,
position) breaks the signature; replaying it in another tenant fails the tenant check.  Both failures give
the same 400 so a cursor reveals nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from lrs.errors import BadRequestError
from lrs.statement_query import StatementFilter

_VERSION = 1


@dataclass(frozen=True)
class Cursor:
    tenant: str
    filter: StatementFilter
    after: str
    snapshot_us: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()

    def encode(self, cursor: Cursor) -> str:
        payload = json.dumps(
            {
                "v": _VERSION,
                "t": cursor.tenant,
                "f": cursor.filter.to_dict(),
                "a": cursor.after,
                "s": cursor.snapshot_us,
            },
            separators=(",", ":"),
            sort_keys=True,
        ).encode("utf-8")
        return _b64(payload) + "." + _b64(self._sign(payload))

    def decode(self, token: str, *, tenant: str) -> Cursor:
        invalid = BadRequestError("the 'more' cursor is invalid for this query")
        try:
            payload_text, signature_text = token.split(".", 1)
            payload = _unb64(payload_text)
            signature = _unb64(signature_text)
        except (ValueError, TypeError) as exc:
            raise invalid from exc
        if not hmac.compare_digest(signature, self._sign(payload)):
            raise invalid
        data: dict[str, Any] = json.loads(payload)
        if data.get("v") != _VERSION or not hmac.compare_digest(str(data.get("t")), tenant):
            raise invalid
        return Cursor(tenant, StatementFilter.from_dict(data["f"]), str(data["a"]), int(data["s"]))
