"""Digits that are a number in the default country and another country's number: the field asks which."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from termii_desk.core.desk import CallAttempt
from termii_desk.simulator import TermiiSimulator
from termii_desk.ui.fields import AMBIGUOUS_TEXT, PhoneField
from termii_desk.ui.main_window import MainWindow
from termii_desk.ui.tones import Tone
from tests.ui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


def test_the_field_asks_which_and_a_choice_puts_that_number_in(qtbot: Any) -> None:
    field = PhoneField(default_region="ID")
    qtbot.addWidget(field)
    field.show()
    field.set_text("81234567890")
    assert field.value is None and field.status.tone is Tone.WARNING  # at once: a question, not a typo
    assert field.status.text().endswith(AMBIGUOUS_TEXT)
    assert "+62 812-3456-7890 (Indonesia)" in field.problem and "+81 234-56-7890 (Japan)" in field.problem
    assert [b.text() for b in field.choice_buttons] == ["+62 812-3456-7890 · Indonesia", "+81 234-56-7890 · Japan"]
    assert all(b.isVisible() and b.accessibleName().startswith("Call +") for b in field.choice_buttons)
    qtbot.mouseClick(field.choice_buttons[1], Qt.MouseButton.LeftButton)
    assert field.text() == "+81 234-56-7890" and field.value is not None and field.value.digits == "81234567890"
    assert field.choice_buttons == [] and field.status.tone is Tone.GOOD
    field.set_text("81234567890")
    field.set_text("812345678901")  # typing on: another question or none, never stale buttons
    assert [b.property("digits") for b in field.choice_buttons] == [c.digits for c in field.choices]
    field.set_text("0812 3456 7890")  # typed the national way: one number, nothing to ask
    assert field.choices == () and field.choice_buttons == [] and field.value is not None


def test_the_window_sends_nothing_until_the_agent_chooses(
    qtbot: Any, simulator: TermiiSimulator, make_services: Callable[..., Any],
    open_window: Callable[..., MainWindow], screenshot_dir: Path,
) -> None:
    window = open_window(make_services(simulator.url, default_region="ID", cooldown_seconds=0))
    window.form.phone.set_text("81234567890")
    window.form.code.set_text("482913")
    assert not window.form.send_button.isEnabled()
    qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
    qtbot.wait(300)
    assert simulator.calls == []
    QApplication.processEvents()
    assert window.grab().save(str(screenshot_dir / "phone-which-country.png"))
    # From the keyboard: Tab from the number reaches the choices, Space picks one, Tab goes on to the code.
    window.form.phone.edit.setFocus()
    qtbot.keyClick(window.form.phone.edit, Qt.Key.Key_Tab)
    indonesia = window.form.phone.choice_buttons[0]
    assert indonesia.hasFocus()
    qtbot.keyClick(indonesia, Qt.Key.Key_Space)
    assert window.form.phone.text() == "+62 812-3456-7890" and window.form.send_button.isEnabled()
    qtbot.keyClick(window.form.phone.edit, Qt.Key.Key_Tab)
    assert window.form.code.edit.hasFocus()
    with qtbot.waitSignal(window.call_finished, timeout=15_000) as blocker:
        qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
    attempt = blocker.args[0]
    assert isinstance(attempt, CallAttempt) and attempt.outcome.value == "sent"
    assert [call.json["phone_number"] for call in simulator.calls] == ["6281234567890"]  # type: ignore[index]
