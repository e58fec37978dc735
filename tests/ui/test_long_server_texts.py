"""Server texts at their cap (300 characters) stay one short line in the account strip and the window title."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from termii_desk.core.results import Balance
from termii_desk.core.scrub import LABEL_LIMIT, TEXT_LIMIT
from termii_desk.ui.account_strip import AccountStrip
from tests.ui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)

LONG_USER = "Acme Support " + "W" * (TEXT_LIMIT - 14) + "…"
LONG_BALANCE = "9" * (TEXT_LIMIT - 1) + "…"


def test_a_capped_user_and_balance_are_elided_with_the_whole_text_in_a_tooltip(
    qtbot: Any, screenshot_dir: Path
) -> None:
    strip = AccountStrip()
    qtbot.addWidget(strip)
    strip.resize(900, strip.sizeHint().height())
    strip.show_balance(Balance(LONG_BALANCE, None), "NGN", LONG_USER, threshold=100.0, when=datetime(2025, 5, 4))
    strip.show()
    assert strip.account_label.text().endswith("…")
    assert strip.account_label.text().startswith("Acme Support")
    assert strip.account_label.toolTip() == LONG_USER
    assert strip.balance_label.text().endswith("…") and strip.balance_label.toolTip().startswith("999")
    assert strip.sizeHint().width() < 800  # one line that fits a 1366-pixel screen with room to spare
    strip.grab().save(str(screenshot_dir / "account-strip-long-server-texts.png"))


def test_a_short_user_has_no_tooltip(qtbot: Any) -> None:
    strip = AccountStrip()
    qtbot.addWidget(strip)
    strip.show_balance(Balance("5", None), "NGN", "Acme", threshold=1.0, when=datetime(2025, 5, 4))
    assert strip.account_label.text() == "Acme" and strip.account_label.toolTip() == ""
    assert strip.balance_label.toolTip() == ""


def test_the_window_title_elides_a_capped_account_name() -> None:
    from termii_desk.ui.main_window import MainWindow

    title = MainWindow._title.__get__(type("W", (), {"_demo": False, "_built": False})())(LONG_USER)  # type: ignore[attr-defined]
    assert title.startswith("Termii Desk — Acme Support") and title.endswith("…")
    assert len(title) <= len("Termii Desk — ") + LABEL_LIMIT
