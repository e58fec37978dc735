"""What history says about the balance: the cost of one call ("≈ N calls left") and the 14-day trend.

The cost is estimated from the balance drops between consecutive calls of one profile with nothing else in
between: two sent calls next to each other in its history, both with a balance, the later one lower, within a
few hours of each other. A top-up (the balance went up), a long gap (another desk or a web campaign may have
spent in between) and a call that failed or may have been placed (its cost is unknown) break the chain. The
median of the recent drops is the cost; it is only given with at least ``MIN_DROPS`` of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from itertools import pairwise
from typing import TYPE_CHECKING

from termii_desk.core.formatting import balance_amount

if TYPE_CHECKING:  # the window's strip imports this module: it stays light (no SQLite)
    from termii_desk.core.history import HistoryRow

MIN_DROPS = 3
RECENT_DROPS = 20  # the median of at most this many of the newest drops
MAX_GAP = timedelta(hours=6)
TREND_DAYS = 14


@dataclass(frozen=True)
class CostEstimate:
    """The estimated cost of one call, and what it rests on (for the tooltip)."""

    cost: Decimal
    drops: int
    lowest: Decimal
    highest: Decimal
    currency: str | None

    def calls_left(self, balance: Decimal | None) -> int | None:
        if balance is None or self.cost <= 0:
            return None
        return max(0, int(balance // self.cost))

    @property
    def cost_text(self) -> str:
        """The cost as a string, like balances (``"2.5"``): never a float's rounding."""
        return _plain(self.cost)

    def basis(self) -> str:
        """One sentence for the tooltip: how the estimate was made."""
        spread = (f"between {_plain(self.lowest)} and {_plain(self.highest)}" if self.lowest != self.highest
                  else f"all {_plain(self.lowest)}")
        unit = f" {self.currency}" if self.currency else ""
        return (f"About {_plain(self.cost)}{unit} a call: the median of the balance drops between the last "
                f"{self.drops} pairs of consecutive calls with nothing else in between ({spread}). Top-ups and "
                "gaps of more than 6 hours are left out.")


def _plain(amount: Decimal) -> str:
    text = format(amount.normalize(), "f")
    return text


def _median(values: list[Decimal]) -> Decimal:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _amount(raw: str | None) -> Decimal | None:
    # The formatter's own notion of a number: 1E+999999999 or 200 KB of digits never reach arithmetic (Overflow).
    return balance_amount(raw)


def _time(row: HistoryRow) -> datetime | None:
    try:
        when = datetime.fromisoformat(row.time_utc)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def estimate_cost(rows: Sequence[HistoryRow]) -> CostEstimate | None:
    """From one profile's rows (any order), the cost of a call; None with fewer than ``MIN_DROPS`` drops."""
    ordered = sorted(rows, key=lambda row: row.id)
    drops: list[Decimal] = []
    currency: str | None = None
    for before, after in pairwise(ordered):
        if before.outcome != "sent" or after.outcome != "sent":
            continue
        start, end = _amount(before.balance), _amount(after.balance)
        first, then = _time(before), _time(after)
        if start is None or end is None or first is None or then is None:
            continue
        if (before.currency or None) != (after.currency or None) or not timedelta(0) <= then - first <= MAX_GAP:
            continue
        if end < start:  # equal: a free call or an unchanged answer; higher: a top-up
            drops.append(start - end)
            currency = after.currency or currency
    if len(drops) < MIN_DROPS:
        return None
    recent = drops[-RECENT_DROPS:]
    cost = _median(recent)
    return CostEstimate(cost, len(recent), min(recent), max(recent), currency)


@dataclass(frozen=True)
class TrendPoint:
    day: date
    balance: Decimal  # the last balance known that day


@dataclass(frozen=True)
class Trend:
    """The balance over the last ``TREND_DAYS`` days (the last known balance of each day that has one)."""

    points: tuple[TrendPoint, ...]
    today_change: Decimal | None  # today's last balance minus the last one before today; None when unknown
    currency: str | None


def balance_trend(rows: Sequence[HistoryRow], today: date | None = None, days: int = TREND_DAYS) -> Trend:
    """Days in the agent's local time; rows without a numeric balance are passed over."""
    today = today or datetime.now().astimezone().date()
    first_day = today - timedelta(days=days - 1)
    last_of_day: dict[date, tuple[int, Decimal]] = {}
    before_today: tuple[int, Decimal] | None = None
    currency: str | None = None
    for row in rows:
        amount, when = _amount(row.balance), _time(row)
        if amount is None or when is None:
            continue
        day = when.astimezone().date()
        if day < today and (before_today is None or row.id > before_today[0]):
            before_today = (row.id, amount)
        if first_day <= day <= today:
            known = last_of_day.get(day)
            if known is None or row.id > known[0]:
                last_of_day[day] = (row.id, amount)
                currency = row.currency or currency
    points = tuple(TrendPoint(day, last_of_day[day][1]) for day in sorted(last_of_day))
    change = None
    if today in last_of_day and before_today is not None:
        change = last_of_day[today][1] - before_today[1]
    return Trend(points, change, currency)
