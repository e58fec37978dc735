"""AccountStrip: account, balance with currency, warning colour below the threshold, Refresh."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from termii_desk.core.results import Balance
from termii_desk.ui.account_strip import AccountStrip
from termii_desk.ui.tones import Tone
from tests.ui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)

WHEN = datetime(2025, 5, 4, 9, 30, 15)


@pytest.fixture
def strip(qtbot: Any) -> AccountStrip:
    widget = AccountStrip()
    qtbot.addWidget(widget)
    return widget


def test_balance_with_currency_account_and_time(strip: AccountStrip) -> None:
    strip.show_balance(Balance("4662.3", Decimal("4662.3")), "NGN", "Acme Support", threshold=100.0, when=WHEN)
    assert strip.account_label.text() == "Acme Support"
    assert strip.balance_text == "4,662.30 NGN" and strip.balance_label.tone is Tone.PLAIN and not strip.is_low
    assert strip.updated_label.text() == "Updated 09:30:15"
    assert strip.refresh_button.isEnabled()


def test_below_the_threshold_turns_to_the_warning_colour(strip: AccountStrip) -> None:
    strip.show_balance(Balance("77.5", Decimal("77.5")), "NGN", None, threshold=100.0, when=WHEN)
    assert strip.is_low and strip.balance_label.tone is Tone.WARNING and "77.50 NGN" in strip.balance_text


def test_text_balances_are_shown_as_termii_sent_them(strip: AccountStrip) -> None:
    strip.show_balance(Balance("unlimited", None), "NGN", None, threshold=100.0, when=WHEN)
    assert strip.balance_text == "unlimited" and not strip.is_low


def test_problem_keeps_the_last_balance(strip: AccountStrip) -> None:
    strip.show_balance(Balance("500", Decimal("500")), "NGN", "Acme", threshold=100.0, when=WHEN)
    strip.show_problem("Could not reach api.ng.termii.com.")
    assert "500.00 NGN" in strip.balance_text and "Could not reach" in strip.updated_label.text()
    assert strip.updated_label.tone is Tone.BAD


def test_refresh_button_emits_and_loading_disables_it(qtbot: Any, strip: AccountStrip) -> None:
    strip.set_refresh_enabled(True)
    with qtbot.waitSignal(strip.refresh_requested):
        strip.refresh_button.click()
    strip.set_loading(True)
    assert not strip.refresh_button.isEnabled() and "Checking" in strip.updated_label.text()


def test_demo_badge_only_in_demo(qtbot: Any) -> None:
    demo = AccountStrip(demo=True)
    qtbot.addWidget(demo)
    assert not demo.demo_badge.isHidden() and "DEMO" in demo.demo_badge.text()
    real = AccountStrip()
    qtbot.addWidget(real)
    assert real.demo_badge.isHidden()
