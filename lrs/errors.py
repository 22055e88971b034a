"""The one error hierarchy of the LRS.

Every error the service can answer with is a subclass of :class:`LRSError`; the HTTP status lives on the
class and the API layer maps them in one place.  Storage adapters translate driver errors into these at
their boundary, so no driver exception ever reaches a view.
"""

from __future__ import annotations

from collections.abc import Mapping


class LRSError(Exception):
    """Base class: a message safe to show to the client, plus optional per-field details."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, errors: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors: dict[str, object] = dict(errors or {})

    def headers(self) -> dict[str, str]:
        """Extra response headers this error requires (e.g. ``WWW-Authenticate``)."""
        return {}


class BadRequestError(LRSError):
    status = 400
    code = "bad_request"


class UnauthorizedError(LRSError):
    status = 401
    code = "unauthorized"
    challenge = 'Basic realm="xAPI"'  # a refused bearer token sets its own (RFC 6750)

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": self.challenge}


class ForbiddenError(LRSError):
    status = 403
    code = "forbidden"


class NotFoundError(LRSError):
    status = 404
    code = "not_found"


class ConflictError(LRSError):
    status = 409
    code = "conflict"


class PreconditionFailedError(LRSError):
    status = 412
    code = "precondition_failed"


class PayloadTooLargeError(LRSError):
    status = 413
    code = "payload_too_large"


class TooManyRequestsError(LRSError):
    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int = 1, errors: Mapping[str, object] | None = None) -> None:
        super().__init__(message, errors=errors)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class StorageUnavailableError(LRSError):
    status = 503
    code = "storage_unavailable"

    def __init__(self, message: str, *, retry_after: int = 2, errors: Mapping[str, object] | None = None) -> None:
        super().__init__(message, errors=errors)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class ConfigurationError(LRSError):
    """Raised at start-up when the ``LRS_*`` environment is invalid; never reaches a client."""

    status = 500
    code = "configuration_error"


def all_error_classes() -> list[type[LRSError]]:
    """Every concrete error class, for the guard test and the OpenAPI error responses."""
    seen: list[type[LRSError]] = []
    stack: list[type[LRSError]] = [LRSError]
    while stack:
        cls = stack.pop()
        seen.append(cls)
        stack.extend(cls.__subclasses__())
    return seen
