"""Domain errors: each names what went wrong; entrypoints map them to problem details."""

from __future__ import annotations


class IntakeError(Exception):
    """Base of every intake domain error."""


class ApplicationNotFoundError(IntakeError):
    """No such application for this partner (another partner's counts as none)."""


class InvalidApplicationError(IntakeError):
    """The application breaks product or policy rules; ``errors`` are (field, message)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {m}" for f, m in errors))
        self.errors = errors


class IdempotencyKeyReusedError(IntakeError):
    """The Idempotency-Key was already used with a different request body."""


class TransitionNotAllowedError(IntakeError):
    """The application's status does not allow this step (e.g. withdrawing a disbursed one)."""


class OfferUnavailableError(IntakeError):
    """There is no offer to accept: none yet, expired, or superseded by a newer one."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class InvalidWebhookUrlError(IntakeError, ValueError):
    """A webhook URL intake will not call: not http(s), credentials in it, or an address
    inside a private network (loopback, private, link-local, metadata) not allow-listed."""
