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


def _estimate(cost: str = "2.5") -> Any:
    from termii_desk.core.estimate import CostEstimate

    return CostEstimate(Decimal(cost), 5, Decimal(cost), Decimal("3"), "NGN")


def test_calls_left_from_the_estimate_with_its_basis(strip: AccountStrip, qtbot: Any) -> None:
    strip.resize(900, strip.sizeHint().height())
    strip.show()
    strip.show_balance(Balance("4662.3", Decimal("4662.3")), "NGN", "Acme", threshold=100.0, when=WHEN)
    assert not strip.calls_left_label.isVisible()  # no estimate: nothing guessed
    strip.show_outlook(_estimate(), None)
    assert strip.calls_left_label.isVisible() and strip.calls_left_label.text() == "≈ 1,864 calls left"
    assert "median" in strip.calls_left_label.toolTip() and "5 pairs" in strip.calls_left_label.toolTip()
    strip.show_balance(Balance("unlimited", None), "NGN", "Acme", threshold=100.0, when=WHEN)
    assert not strip.calls_left_label.isVisible()  # an unlimited balance: no count


def test_the_low_balance_warning_says_how_many_calls_are_left(
    strip: AccountStrip, qtbot: Any, screenshot_dir: Any
) -> None:
    from datetime import date

    from termii_desk.core.estimate import Trend, TrendPoint

    strip.resize(820, strip.sizeHint().height())
    strip.show()
    trend = Trend(tuple(TrendPoint(date(2025, 5, day), Decimal(str(200 - 8 * day))) for day in range(1, 5)),
                  Decimal("-7.5"), "NGN")
    strip.show_outlook(_estimate(), trend)
    strip.show_balance(Balance("30", Decimal("30")), "NGN", "Acme Support", threshold=100.0, when=WHEN)
    assert strip.is_low and strip.balance_text.endswith("30.00 NGN (low: ≈ 12 calls left)")
    assert "median" in strip.balance_label.toolTip() and not strip.calls_left_label.isVisible()
    assert strip.trend.isVisible() and strip.trend_change_label.text() == "today −7.50 NGN"
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()  # the layout the new texts asked for
    assert strip.balance_label.width() >= strip.balance_label.sizeHint().width()  # nothing cut off
    assert strip.grab().save(str(screenshot_dir / "strip-low-calls-left.png"))
    strip.resize(660, strip.height())  # a narrow window: the trend and today's change give way, calls left last
    QApplication.processEvents()
    assert not strip.trend_change_label.isVisible() and strip.balance_label.isVisible()
    assert strip.minimumSizeHint().width() <= 660
    strip.resize(820, strip.height())
    QApplication.processEvents()
    assert strip.trend.isVisible() and strip.trend_change_label.isVisible()
    strip.forget_balance()  # another profile: nothing of this account stays
    assert strip.balance_text == "" and not strip.trend.isVisible() and strip.calls_left() is None


def test_two_profiles_in_the_switcher_on_a_dark_theme(qtbot: Any, dark_app: Any, screenshot_dir: Any) -> None:
    from PySide6.QtWidgets import QApplication

    from termii_desk.core.profiles import COLOURS, Profile

    strip = AccountStrip()
    qtbot.addWidget(strip)
    strip.resize(900, strip.sizeHint().height())
    strip.show()
    profiles = [Profile("gh-test", colour=COLOURS[1]), Profile("ng-live", colour=COLOURS[0])]
    strip.show_profiles(profiles, "ng-live")
    strip.show_balance(Balance("4662.3", Decimal("4662.3")), "NGN", "Acme Support", threshold=100.0, when=WHEN)
    with qtbot.assertNotEmitted(strip.profile_requested):
        strip.on_profile_activated(strip.profile_combo.findData("ng-live"))  # the one in use: nothing to do
    with qtbot.waitSignal(strip.profile_requested) as asked:
        strip.on_profile_activated(strip.profile_combo.findData("gh-test"))
    assert asked.args == ["gh-test"]
    strip.show_current_profile()  # refused: back on the one in use
    assert strip.profile_combo.currentData() == "ng-live"
    mark = strip.profile_mark.palette().color(strip.profile_mark.backgroundRole()).name()
    assert strip.profile_mark.isVisible() and mark == COLOURS[0]
    QApplication.processEvents()
    assert strip.grab().save(str(screenshot_dir / "strip-profiles-dark.png"))


def test_a_failed_refresh_marks_the_balance_old_and_keeps_the_strips_height(
    qtbot: Any, strip: AccountStrip, screenshot_dir: Any
) -> None:
    from PySide6.QtGui import QAccessible

    strip.resize(900, strip.sizeHint().height())
    strip.show()
    strip.show_balance(Balance("4662.3", Decimal("4662.3")), "NGN", "Acme Support", threshold=100.0, when=WHEN)
    height = strip.sizeHint().height()
    assert strip.balance_label.font().bold() and not strip.stale
    strip.show_problem("Could not reach Termii (the connection was refused). Check the network and try again; "
                       "if it keeps happening, check the base URL in Settings. " * 3)
    assert strip.stale and not strip.balance_label.font().bold() and strip.balance_label.tone is Tone.NEUTRAL
    assert strip.balance_text == "4,662.30 NGN (old as of 09:30)"
    assert strip.sizeHint().height() == height and strip.width() == 900
    assert "Could not reach Termii" in strip.updated_label.toolTip()
    interface = QAccessible.queryAccessibleInterface(strip.balance_label)
    assert interface is not None and interface.text(QAccessible.Text.Name) == "Balance: 4,662.30 NGN (old as of 09:30)"
    strip.grab().save(str(screenshot_dir / "balance-stale.png"))
    strip.show_balance(Balance("4660", Decimal("4660")), "NGN", None, threshold=100.0, when=WHEN)
    assert not strip.stale and strip.balance_label.font().bold() and strip.balance_text == "4,660.00 NGN"
