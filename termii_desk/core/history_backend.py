"""The history interface every backend provides: the local SQLite file (the default) and a team's PostgreSQL.

The faces (window, command line) and ``Desk`` use history only through these methods, so one test suite runs
against both backends (tests/core/test_history_backends.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Protocol

from termii_desk.core.errors import DeskError, Outcome

if TYPE_CHECKING:
    from termii_desk.core.history import HistoryRow
    from termii_desk.core.validation import Code

EXIT_COOLDOWN = 6


@dataclass(frozen=True)
class PriorCall:
    """The last call (sent or unknown) to a number, as a history store knows it: when (UTC), by whom, outcome.

    ``local_only``: a shared history could not be asked, so only this desk's own calls were looked at.
    """

    when: datetime
    who: str
    outcome: str
    local_only: bool = False


@dataclass(frozen=True)
class RecentCall:
    """The last call to a number within the cooldown: when, what became of it ("sent" or "unknown"), who made it."""

    when: datetime
    outcome: str
    cooldown_seconds: int
    who: str = ""
    local_only: bool = False

    def sentence(self, display: str, now: datetime | None = None) -> str:
        """One line for the agent: who, how long ago, the outcome, and that nothing was sent."""
        now = now or datetime.now(timezone.utc)
        ago = max(0, int((now - self.when).total_seconds()))
        local = self.when.astimezone().strftime("%H:%M:%S")
        state = "it was sent" if self.outcome == Outcome.SENT.value else "it may have been placed (outcome unknown)"
        by = f" by {self.who}" if self.who else ""
        text = (f"{display} was called{by} {ago} s ago, at {local}: {state}. Within the {self.cooldown_seconds} s "
                "cooldown, nothing was sent.")
        if self.local_only:
            text += " The shared history is unreachable: only this desk's calls were checked."
        return text


class RecentlyCalled(DeskError):
    """The number was called within the cooldown: nothing was sent, nothing recorded (exit code 6)."""

    exit_code = EXIT_COOLDOWN
    outcome = Outcome.REJECTED

    def __init__(self, recent: RecentCall, phone_display: str) -> None:
        super().__init__(f"not sent: {recent.sentence(phone_display)} Use --force (or Send anyway) to call again.")
        self.recent = recent

    @classmethod
    def by(cls, prior: PriorCall, cooldown_seconds: int, phone_digits: str) -> RecentlyCalled:
        """The refusal a history store raises (``Desk`` says it again with the number as the agent wrote it)."""
        recent = RecentCall(prior.when, prior.outcome, cooldown_seconds, prior.who, prior.local_only)
        return cls(recent, "+" + phone_digits)


class HistoryBackend(Protocol):
    """What a history store offers. Methods raise ``HistoryError`` (a sentence) when the store cannot answer.

    Row ids are the backend's own; a shared history gives negative ids to attempts waiting in its outbox.
    """

    notice: str | None

    def start_attempt(self, phone_digits: str, code: Code, base_host: str) -> int:
        """Record an attempt before its request goes out; returns its row id."""

    def reserve_attempt(self, phone_digits: str, code: Code, base_host: str, *, cooldown_seconds: int) -> int:
        """Like ``start_attempt``, unless the number was called (sent or unknown) within ``cooldown_seconds``:
        then raises ``RecentlyCalled``. The check and the write are one step: of several desks doing this for
        one number at once, exactly one gets a row id."""

    def complete_attempt(
        self,
        row_id: int,
        *,
        outcome: Outcome,
        duration_ms: int,
        http_status: int | None = None,
        message_id: str | None = None,
        termii_message: str | None = None,
        balance: str | None = None,
        currency: str | None = None,
        error: str | None = None,
    ) -> None: ...

    def abandon_attempt(self, row_id: int, *, duration_ms: int, error: str) -> bool:
        """The agent stopped waiting (closed the window): complete the attempt, if still in flight, as unknown
        with ``error`` as the reason. True when recorded. The first completion wins: an answer recorded
        before keeps its outcome, and one arriving after leaves the unknown as it is."""

    def page(
        self, limit: int = 100, *, before_id: int | None = None, phone_filter: str = "", profile: str | None = None
    ) -> list[HistoryRow]:
        """Newest first; ``profile``: only that profile's rows (None: every profile's)."""

    def count(self, phone_filter: str = "", *, profile: str | None = None) -> int: ...

    def get(self, row_id: int) -> HistoryRow | None: ...

    def last_sent_to(self, phone_digits: str) -> datetime | None:
        """When this number was last called (sent or unknown), for the cooldown question."""

    def last_call_to(self, phone_digits: str) -> tuple[datetime, str] | None:
        """When this number was last called (sent or unknown), and that attempt's outcome."""

    def prior_call(self, phone_digits: str) -> PriorCall | None:
        """The last call (sent or unknown) to this number, with who made it."""

    def purge_older_than(self, days: int) -> int: ...

    def close(self) -> None: ...


# A listener for rows another desk wrote: called on a worker thread with the row id.
RowListener = Callable[[int], None]
