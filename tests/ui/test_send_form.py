"""SendForm: Send only when both values are valid, Enter sends, a send in flight blocks a second one."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from termii_desk.ui.send_form import SendForm
from tests.ui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


@pytest.fixture
def form(qtbot: Any) -> SendForm:
    widget = SendForm()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_send_is_enabled_only_when_both_values_are_valid(form: SendForm) -> None:
    assert not form.send_button.isEnabled()
    form.phone.set_text("08031234567")
    assert not form.send_button.isEnabled()
    form.code.set_text("482913")
    assert form.send_button.isEnabled()
    form.code.set_text("0482")
    assert not form.send_button.isEnabled()
    form.code.set_text("4829")
    form.phone.set_text("0803")
    assert not form.send_button.isEnabled()


@pytest.mark.parametrize("field", ["phone", "code"])
def test_enter_in_either_field_sends_the_parsed_values(qtbot: Any, form: SendForm, field: str) -> None:
    form.phone.set_text("0803 123 4567")
    form.code.set_text("482913")
    with qtbot.waitSignal(form.send_requested) as blocker:
        qtbot.keyClick(getattr(form, field).edit, Qt.Key.Key_Return)
    phone, code = blocker.args
    assert phone.digits == "2348031234567" and code.digits == "482913"
    assert form.busy and not form.send_button.isEnabled() and form.busy_bar.isVisible()


def test_enter_with_an_invalid_value_sends_nothing_and_shows_why(qtbot: Any, form: SendForm) -> None:
    form.phone.set_text("0803")
    form.code.set_text("482913")
    with qtbot.assertNotEmitted(form.send_requested):
        qtbot.keyClick(form.code.edit, Qt.Key.Key_Return)
    assert form.phone.status.text().startswith("✕")
    assert not form.busy


def test_a_second_enter_or_click_while_busy_is_ignored(qtbot: Any, form: SendForm) -> None:
    form.phone.set_text("08031234567")
    form.code.set_text("482913")
    requests: list[object] = []
    form.send_requested.connect(lambda *args: requests.append(args))
    qtbot.keyClick(form.code.edit, Qt.Key.Key_Return)
    qtbot.keyClick(form.code.edit, Qt.Key.Key_Return)
    qtbot.mouseClick(form.send_button, Qt.MouseButton.LeftButton)
    form.on_submit()
    assert len(requests) == 1
    form.set_busy(False)
    assert form.send_button.isEnabled() and not form.busy_bar.isVisible()


def test_clear_empties_both_fields_and_use_number_moves_to_the_code(form: SendForm) -> None:
    form.phone.set_text("08031234567")
    form.code.set_text("482913")
    form.clear()
    assert form.phone.text() == "" and form.code.text() == ""
    form.use_number("+2348031234567")
    assert form.phone.value is not None and form.code.edit.hasFocus()


def test_the_send_button_says_the_vocabularys_word() -> None:
    from termii_desk.core.words import SEND
    from termii_desk.ui import send_form

    assert send_form.SEND == SEND
