"""core/estimate.py: the cost of one call from synthetic histories (top-ups, gaps, unlimited), and the trend."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from termii_desk.core.estimate import MIN_DROPS, balance_trend, estimate_cost
from termii_desk.core.history import HistoryRow

START = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def _history(*steps: tuple[str, str | None, float]) -> list[HistoryRow]:
    """(outcome, balance after, minutes after the previous attempt) per attempt, oldest first."""
    rows, when = [], START
    for n, (outcome, balance, minutes) in enumerate(steps, start=1):
        when += timedelta(minutes=minutes)
        rows.append(HistoryRow(n, when.isoformat(), "agent", "1", "host", "2348031234567", "••••16", outcome, 200,
                               f"m{n}", None, balance, "NGN" if balance else None, 300, None))
    return rows


def test_the_median_of_drops_between_consecutive_calls() -> None:
    rows = _history(("sent", "100", 0), ("sent", "97.5", 1), ("sent", "95", 1), ("sent", "92.5", 1),
                    ("sent", "80", 1))  # the last drop (12.5) is an outlier: the median ignores it
    estimate = estimate_cost(rows)
    assert estimate is not None and estimate.cost == Decimal("2.5") and estimate.drops == 4
    assert estimate.cost_text == "2.5" and estimate.calls_left(Decimal("80")) == 32
    assert "median" in estimate.basis() and "2.5 and 12.5" in estimate.basis()


def test_fewer_than_three_drops_give_no_estimate() -> None:
    assert MIN_DROPS == 3
    assert estimate_cost(_history(("sent", "100", 0), ("sent", "97.5", 1), ("sent", "95", 1))) is None
    assert estimate_cost([]) is None


def test_top_ups_and_long_gaps_are_left_out() -> None:
    rows = _history(("sent", "100", 0), ("sent", "97", 1),
                    ("sent", "5097", 1),  # a top-up: up, not a cost
                    ("sent", "5094", 1),
                    ("sent", "4000", 60 * 24),  # a day later: others may have spent meanwhile
                    ("sent", "3997", 1))
    estimate = estimate_cost(rows)
    assert estimate is not None and estimate.cost == Decimal("3") and estimate.drops == 3


def test_a_failed_or_unknown_call_in_between_breaks_the_chain() -> None:
    rows = _history(("sent", "100", 0), ("unknown", None, 1), ("sent", "95", 1),  # two calls' cost: left out
                    ("failed", None, 1), ("sent", "90", 1), ("sent", "88", 1), ("sent", "86", 1))
    assert estimate_cost(rows) is None  # only two clean drops


def test_unlimited_and_unreadable_balances_give_no_estimate() -> None:
    rows = _history(*[("sent", "unlimited", 1)] * 6)
    assert estimate_cost(rows) is None
    rows = _history(("sent", "100", 0), ("sent", "garbage", 1), ("sent", "NaN", 1), ("sent", "Infinity", 1))
    assert estimate_cost(rows) is None
    estimate = estimate_cost(_history(("sent", "10", 0), ("sent", "8", 1), ("sent", "6", 1), ("sent", "4", 1)))
    assert estimate is not None and estimate.calls_left(None) is None  # an unlimited balance now: unknown


def test_rows_in_any_order_and_free_calls() -> None:
    rows = _history(("sent", "10", 0), ("sent", "10", 1), ("sent", "8", 1), ("sent", "6", 1), ("sent", "4", 1))
    estimate = estimate_cost(list(reversed(rows)))
    assert estimate is not None and estimate.cost == 2 and estimate.drops == 3


def test_the_trend_has_the_last_balance_of_each_day_and_todays_change() -> None:
    rows = []
    for n, (day, balance) in enumerate([(1, "100"), (1, "90"), (3, "80"), (14, "75"), (14, "70")], start=1):
        when = datetime(2026, 3, day, 12, 0).astimezone()
        rows.append(HistoryRow(n, when.isoformat(), "a", "1", "h", "234", "••", "sent", 200, None, None, balance,
                               "NGN", 1, None))
    trend = balance_trend(rows, today=date(2026, 3, 14))
    assert [(p.day.day, p.balance) for p in trend.points] == [(1, 90), (3, 80), (14, 70)]
    assert trend.today_change == Decimal("-10") and trend.currency == "NGN"
    later = balance_trend(rows, today=date(2026, 3, 20))
    assert [p.day.day for p in later.points] == [14] and later.today_change is None
