"""Domain errors: what went wrong in business terms, with a hint of the HTTP status.

Services raise these; ``marketplace.api.problems`` is the only place that turns them into
HTTP responses. Nothing here imports Flask.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    status: int = 400
    title: str = "Bad request"
    type_slug: str = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        errors: Mapping[str, Sequence[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = {k: list(v) for k, v in (errors or {}).items()}
        self.headers = dict(headers or {})


class ValidationFailed(DomainError):
    status = 422
    title = "Invalid input"
    type_slug = "validation-error"


class Unauthorized(DomainError):
    status = 401
    title = "Authentication required"
    type_slug = "unauthorized"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class NotFound(DomainError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"
    type_slug = "conflict"


class InvalidState(Conflict):
    title = "Invalid state"
    type_slug = "invalid-state"


class LimitReached(Conflict):
    """A member already takes as much as one member may at once (holds, bookings): the detail
    names the limit; ending one of theirs makes room."""

    title = "Limit reached"
    type_slug = "limit-reached"


class PreconditionFailed(DomainError):
    status = 412
    title = "Precondition failed"
    type_slug = "precondition-failed"


class PreconditionRequired(DomainError):
    status = 428
    title = "Precondition required"
    type_slug = "precondition-required"


class TooManyRequests(DomainError):
    status = 429
    title = "Too many requests"
    type_slug = "rate-limited"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = retry_after


class PaymentError(DomainError):
    status = 402
    title = "Payment failed"
    type_slug = "payment-error"


class ServiceUnavailable(DomainError):
    status = 503
    title = "Service unavailable"
    type_slug = "service-unavailable"
