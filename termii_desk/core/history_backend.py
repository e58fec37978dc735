"""The history interface every backend provides: the local SQLite file (the default) and a team's PostgreSQL.

The faces (window, command line) and ``Desk`` use history only through these methods, so one test suite runs
against both backends (tests/core/test_history_backends.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Protocol

from termii_desk.core.errors import DeskError, Outcome

if TYPE_CHECKING:
    from termii_desk.core.history import HistoryRow
    from termii_desk.core.validation import Code

EXIT_COOLDOWN = 6
# The outcomes an agent must check before calling that number again: Termii's answer never arrived.
NEEDS_CHECKING = frozenset({Outcome.UNKNOWN.value})


@dataclass(frozen=True)
class HistoryQuery:
    """Which attempts a history read is about: one object, read the same way by every backend.

    ``digits``: numbers containing these digits (other characters are ignored; the window normalises what the
    agent typed with the default country first). ``outcomes``: only these stored outcomes (empty: every one).
    ``since`` (inclusive) and ``until`` (exclusive): aware times, each None for no bound (see ``day_range``).
    A range that ends where or before it starts matches nothing (never an error).
    """

    digits: str = ""
    outcomes: frozenset[str] = frozenset()
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "digits", "".join(ch for ch in self.digits if ch in "0123456789"))
        object.__setattr__(self, "outcomes", frozenset(self.outcomes))
        for name in ("since", "until"):
            when = getattr(self, name)
            if when is not None and when.tzinfo is None:
                raise ValueError(f"HistoryQuery.{name} must be an aware datetime")

    @classmethod
    def of(cls, phone_filter: str = "", query: HistoryQuery | None = None) -> HistoryQuery:
        """``query``, or only a phone filter; a ``phone_filter`` given with a query without digits adds them."""
        if query is None:
            return cls(phone_filter)
        return replace(query, digits=phone_filter) if phone_filter and not query.digits else query

    @property
    def narrows(self) -> bool:
        """Whether it leaves out any attempt at all."""
        return bool(self.digits or self.outcomes or self.since or self.until)

    @property
    def impossible(self) -> bool:
        """A date range that ends where or before it starts: nothing can match."""
        return self.since is not None and self.until is not None and self.until <= self.since

    def with_outcomes(self, outcomes: Iterable[str]) -> HistoryQuery:
        return replace(self, outcomes=frozenset(outcomes))

    def needing_check(self) -> HistoryQuery:
        """The same attempts, only those whose outcome is unknown (to check before sending again)."""
        return self.with_outcomes(NEEDS_CHECKING)

    def since_text(self) -> str | None:
        """``since`` as stored times are written (UTC, ISO 8601, milliseconds): they compare as text."""
        return _utc_text(self.since)

    def until_text(self) -> str | None:
        return _utc_text(self.until)

    def matches(self, row: HistoryRow) -> bool:
        """Whether ``row`` is one of these attempts (for rows no query language reads: a desk's outbox)."""
        if self.digits and self.digits not in str(row.phone):
            return False
        if self.outcomes and row.outcome not in self.outcomes:
            return False
        if self.since is None and self.until is None:
            return True
        try:
            when = datetime.fromisoformat(str(row.time_utc))
        except (ValueError, TypeError):
            return False
        when = when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)
        return (self.since is None or when >= self.since) and (self.until is None or when < self.until)


def _utc_text(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def day_range(first: date | None, last: date | None, zone: tzinfo | None = None
              ) -> tuple[datetime | None, datetime | None]:
    """Whole days from ``first`` to ``last``, both included, in ``zone`` (None: this computer's local time).

    Returns (since, until) for ``HistoryQuery``: the first day's midnight, and the midnight after the last day,
    in UTC. A bound is None when not given, or outside what a datetime can hold (year 1, year 9999).
    """
    def midnight(day: date) -> datetime | None:
        try:
            start = datetime(day.year, day.month, day.day)
            local = start.replace(tzinfo=zone) if zone is not None else start.astimezone()
            return local.astimezone(timezone.utc)
        except (OverflowError, ValueError, OSError):
            return None

    since = midnight(first) if first is not None else None
    until = None
    if last is not None:
        try:
            until = midnight(last + timedelta(days=1))
        except OverflowError:  # the last day there is: nothing comes after it
            until = None
    return since, until


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
        self, limit: int = 100, *, before_id: int | None = None, phone_filter: str = "", profile: str | None = None,
        query: HistoryQuery | None = None,
    ) -> list[HistoryRow]:
        """Newest first; ``profile``: only that profile's rows (None: every profile's); ``query``: only those
        attempts (``HistoryQuery.of(phone_filter, query)``)."""

    def count(self, phone_filter: str = "", *, profile: str | None = None, query: HistoryQuery | None = None
              ) -> int: ...

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
