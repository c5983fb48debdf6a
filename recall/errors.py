"""Errors raised by the domain; `web/` maps each to one HTTP status.

RecallError
├── InvalidInput        (422) a value breaks a rule; names the field
├── NotAuthenticated    (401) no identity, or a password check failed
├── Forbidden           (403) the identity may not do this
├── NotFound            (404) no such record (or not visible to the caller)
├── Conflict            (409) a state transition or uniqueness rule refuses it
├── TooLarge            (413) the payload is over its limit
├── RateLimited         (429) too many attempts
│   └── TooManyAttempts (429) locked for a while; says how long (Retry-After)
├── Unavailable         (503) a backing service cannot be reached
└── ConfigurationError  settings unsafe or malformed; the process refuses to start
"""

from __future__ import annotations


class RecallError(Exception):
    """Base of every error the domain raises on purpose."""

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidInput(RecallError):
    """A value breaks a domain rule."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}", field=field)


class NotAuthenticated(RecallError):
    pass


class Forbidden(RecallError):
    pass


class NotFound(RecallError):
    pass


class Conflict(RecallError):
    pass


class TooLarge(RecallError):
    pass


class RateLimited(RecallError):
    pass


class TooManyAttempts(RateLimited):
    """Refused until `retry_after` seconds have passed (sign-in throttling, signing lockout)."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, int(retry_after))


class Unavailable(RecallError):
    pass


class ConfigurationError(RecallError):
    pass
