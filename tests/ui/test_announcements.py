"""Changes a screen reader should speak unasked are posted as QAccessibleAnnouncementEvent (Qt passes them to
AT-SPI as "object:announcement"; tests/e2e/test_atspi.py hears them there): the phone and code lines' verdicts
as they change, and every outcome."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QAccessibleEvent

from termii_desk.core.bootstrap import DeskServices
from termii_desk.simulator import TermiiSimulator
from termii_desk.ui.fields import REVEAL_DELAY_MS
from termii_desk.ui.main_window import MainWindow
from tests.ui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


POLITENESS: dict[str, QAccessible.AnnouncementPoliteness] = {}  # each announcement's politeness, by text


@pytest.fixture
def announced(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The text of every announcement posted from now on (their politeness in ``POLITENESS``)."""
    said: list[str] = []
    original = QAccessible.updateAccessibility
    POLITENESS.clear()

    def record(event: QAccessibleEvent) -> None:
        if isinstance(event, QAccessibleAnnouncementEvent):
            said.append(event.message())
            POLITENESS[event.message()] = event.politeness()
        original(event)

    monkeypatch.setattr(QAccessible, "updateAccessibility", staticmethod(record))
    yield said


def test_verdicts_and_outcomes_are_announced_once_each(
    qtbot: Any, simulator: TermiiSimulator, make_services: Callable[..., DeskServices],
    open_window: Callable[..., MainWindow], announced: list[str]
) -> None:
    window = open_window(make_services(simulator.url))
    phone, code = window.form.phone, window.form.code
    phone.edit.setFocus()
    qtbot.keyClicks(phone.edit, "0803 12")
    assert not announced  # nothing while typing, before the pause
    qtbot.waitUntil(lambda: any(text.startswith("✕ ") for text in announced), timeout=REVEAL_DELAY_MS * 5)
    assert announced == ["✕ The number is too short for Nigeria."]
    qtbot.keyClicks(phone.edit, "3 4567")
    assert announced[-1].startswith("✓ +234 803 123 4567 · Nigeria")
    qtbot.keyClicks(code.edit, "482913")
    assert announced[-1] == "✓ 6-digit code"
    count = len(announced)
    code.revalidate()  # the same verdict again: not said twice
    assert len(announced) == count
    with qtbot.waitSignal(window.call_finished, timeout=15_000):
        qtbot.keyClick(code.edit, Qt.Key.Key_Return)
    outcome = announced[-1]
    assert outcome.startswith("Sent: Termii accepted the call. +234 803 123 4567. Code ••••13.")
    assert window.outcome.message_id not in outcome and "482913" not in " ".join(announced)
    assert any(text.startswith("Sending…") for text in announced[count:])
    assert POLITENESS[outcome] == QAccessible.AnnouncementPoliteness.Polite  # after what is being said


def test_an_unknown_outcome_is_announced_at_once(
    qtbot: Any, simulator: TermiiSimulator, make_services: Callable[..., DeskServices],
    open_window: Callable[..., MainWindow], announced: list[str]
) -> None:
    window = open_window(make_services(simulator.url))
    simulator.set_fault("reset", on="call")
    window.form.phone.set_text("0803 123 4567")
    window.form.code.set_text("482913")
    with qtbot.waitSignal(window.call_finished, timeout=15_000):
        qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
    outcome = announced[-1]
    assert outcome.startswith("Unknown: check before sending again. +234 803 123 4567.")
    assert POLITENESS[outcome] == QAccessible.AnnouncementPoliteness.Assertive  # interrupts: it matters now


def test_a_failed_balance_check_and_a_low_balance_are_announced(
    qtbot: Any, simulator: TermiiSimulator, make_services: Callable[..., DeskServices],
    open_window: Callable[..., MainWindow], announced: list[str]
) -> None:
    services = make_services(simulator.url, low_balance_threshold=10_000.0)
    window = open_window(services)
    assert announced == ["Balance low: 5,000.00 NGN. Top up soon."]
    simulator.set_fault("502-html", on="balance")
    with qtbot.waitSignal(window.balance_finished, timeout=15_000):
        window.refresh_requested.emit()
    assert window.account.stale and len(announced) == 2  # still low: not said again
    said = announced[-1]
    assert said.startswith("The balance could not be checked: ") and "HTTP 502" in said
    assert re.search(r"The balance shown, 5,000\.00 NGN, is from \d\d:\d\d\.$", said), said
