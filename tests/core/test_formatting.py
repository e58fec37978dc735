"""The one balance formatter and display_text: never an exception, always one clean, capped line."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from termii_desk.core.formatting import BALANCE_LIMIT, CURRENCY_LIMIT, display_text, format_balance
from termii_desk.core.results import Balance
from tests.hostile_rows import HOSTILE_BALANCES, HUGE


@pytest.mark.parametrize(("balance", "currency", "shown"), [
    ("4850.5", "NGN", "4,850.50 NGN"),
    ("4849", "NGN", "4,849.00 NGN"),
    ("77.125", "USD", "77.125 USD"),  # finer digits than cents are kept, never rounded
    ("1E+3", "NGN", "1,000.00 NGN"),
    ("-12", None, "-12.00"),
    ("-0", None, "0.00"),
    ("1234567890123456789.123456789", "NGN", "1234567890123456789.123456789 NGN"),  # exactly as sent
    ("1e30", "NGN", "1e30 NGN"),  # too large to group: as sent
    ("1E+400", "NGN", "1E+400 NGN"),
    ("unlimited", "NGN", "unlimited"),  # words are not followed by a currency
    ("NaN", None, "NaN"),
    ("1_000", None, "1_000"),  # Python would read it as 1000; Termii never writes that
    ("١٢٣", "NGN", "١٢٣"),  # other scripts' digits are not read as a number either
    (" 12.5 ", "NGN", "12.50 NGN"),
    ("\x1b[2J12\x07", "NGN\x1b[0m", "[2J12"),  # control characters never reach a terminal
    (None, "NGN", ""),
    ("", "NGN", ""),
    (12, "NGN", "12.00 NGN"),
    (1e30, None, "1e+30"),
    (float("inf"), None, "inf"),
    (Decimal("77.5"), None, "77.50"),
    (b"\xff12", None, "\ufffd12"),
])
def test_format_balance(balance: object, currency: object, shown: str) -> None:
    assert format_balance(balance, currency) == shown


def test_huge_values_are_shown_raw_capped_and_fast() -> None:
    started = time.perf_counter()
    shown = format_balance(HUGE, "NGN")
    text = display_text("x" * 900_000 + "\x1b", 300)
    assert time.perf_counter() - started < 0.05
    assert shown == "9" * (BALANCE_LIMIT - 1) + "… NGN"
    assert len(text) == 300 and text.endswith("…")
    assert format_balance(10**5000) == "(int)"  # too long for str(): named, not raised
    assert format_balance("1", "N" * 1000) == "1.00 " + "N" * (CURRENCY_LIMIT - 1) + "…"


def test_every_face_uses_the_one_formatter() -> None:
    for raw in ("4850.5", "1e30", "unlimited", HUGE):
        balance = Balance.from_json(raw)
        assert balance is not None and balance.display("NGN") == format_balance(raw, "NGN")


_ANY = st.one_of(
    st.none(), st.text(), st.binary(), st.integers(), st.floats(), st.decimals(),
    st.from_regex(r"-?[0-9]{0,60}(\.[0-9]{0,60})?([eE][+-]?[0-9]{0,6})?", fullmatch=True),
    st.sampled_from(HOSTILE_BALANCES),
)


@settings(max_examples=2000, deadline=None)
@given(_ANY, _ANY)
def test_format_balance_never_raises_and_is_one_clean_line(balance: object, currency: object) -> None:
    shown = format_balance(balance, currency)
    assert isinstance(shown, str)
    assert len(shown) <= BALANCE_LIMIT + 1 + CURRENCY_LIMIT + 30  # grouping commas of an 18-digit number
    assert all(ch.isprintable() for ch in shown)
    assert shown == shown.strip() and "  " not in shown


@settings(max_examples=500, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**15, max_value=10**15))
def test_money_in_cents_reads_back_exactly(amount: Decimal) -> None:
    shown = format_balance(str(amount), None)
    assert Decimal(shown.replace(",", "")) == amount
    assert shown.split(".")[1].__len__() == 2


def test_what_counts_balances_never_meets_a_number_it_cannot_add() -> None:
    from termii_desk.core.estimate import balance_trend, estimate_cost
    from termii_desk.core.formatting import balance_amount
    from termii_desk.core.history import HistoryRow

    assert balance_amount("4850.5") == Decimal("4850.5")
    for raw in ("1E+999999999", "1e-999999999", "1e30", HUGE, "NaN", "unlimited", None):
        assert balance_amount(raw) is None
    balances = ["1E+999999999", "5000", "4990", "4980", "4970", HUGE, "1e-999999999", "-1E+999999", "1"]
    rows = [HistoryRow(i, f"2026-11-30T10:{i:02d}:00.000+00:00", "agent", "0.1.0", "h", "2348031234567",
                       "••••16", "sent", 200, f"m{i}", None, raw, "NGN", 100, None) for i, raw in enumerate(balances)]
    estimate = estimate_cost(rows)  # no decimal.Overflow
    assert estimate is not None and estimate.cost == Decimal("10")
    assert all(abs(point.balance) < 10**19 for point in balance_trend(rows).points)
