"""Every way a request can fail, each with a sentence a support agent can act on.

``str(error)`` is what the window and the command line show. No message ever contains the API key.
"""

from __future__ import annotations

from enum import Enum


class Outcome(str, Enum):
    """What happened to an attempt, as recorded in history."""

    SENT = "sent"  # Termii accepted the call
    REJECTED = "rejected"  # refused before or by Termii: nothing was placed
    FAILED = "failed"  # did not complete, and Termii certainly did not place it
    UNKNOWN = "unknown"  # the request may have reached Termii: the call may have been placed


class DeskError(Exception):
    """Base of every failure the desk reports. ``exit_code`` is the command line's."""

    exit_code = 5
    outcome = Outcome.FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(DeskError):
    """The agent's input was refused locally; nothing was sent."""

    exit_code = 2
    outcome = Outcome.REJECTED


class ConfigError(DeskError):
    """The desk is not set up to send: no key, a bad base URL, no keyring."""

    exit_code = 3
    outcome = Outcome.FAILED


class KeyringUnavailableError(ConfigError):
    """No working system keyring: the key can be neither read nor stored."""


class TermiiError(DeskError):
    """Termii (or something between it and the desk) answered, or failed to answer."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        termii_message: str | None = None,
        outcome: Outcome | None = None,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.termii_message = termii_message
        if outcome is not None:
            self.outcome = outcome


class KeyRejectedError(TermiiError):
    """401/403: Termii does not accept the API key (or the account is not allowed this route)."""

    exit_code = 4
    outcome = Outcome.REJECTED


class RequestRejectedError(TermiiError):
    """400/404/405/422 and other 4xx: Termii refused the request, with its reason."""

    exit_code = 4
    outcome = Outcome.REJECTED


class RateLimitedError(TermiiError):
    """429: too many requests. ``retry_after`` is in seconds when Termii said."""

    exit_code = 4
    outcome = Outcome.REJECTED

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ServerError(TermiiError):
    """5xx from Termii or a proxy/gateway in front of it."""


class BadResponseError(TermiiError):
    """An answer the desk cannot read: empty, not JSON, too large, missing the expected fields."""


class NetworkError(TermiiError):
    """The request could not reach Termii: DNS, refused, reset, TLS, proxy."""


class RequestTimeoutError(TermiiError):
    """Termii did not answer in time."""
