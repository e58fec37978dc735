"""PhoneField and CodeField: the live line under each, without nagging and without flicker."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QApplication

from termii_desk.core.errors import InputError
from termii_desk.core.validation import validate_code, validate_phone
from termii_desk.ui.fields import CodeField, PhoneField
from termii_desk.ui.tones import Tone
from tests.ui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


def reason(check: Any, text: str) -> str:
    with pytest.raises(InputError) as caught:
        check(text)
    return str(caught.value)


@pytest.fixture
def phone(qtbot: Any) -> PhoneField:
    field = PhoneField()
    qtbot.addWidget(field)
    return field


@pytest.fixture
def code(qtbot: Any) -> CodeField:
    field = CodeField()
    qtbot.addWidget(field)
    return field


def test_valid_phone_shows_display_country_and_carrier_at_once(phone: PhoneField) -> None:
    phone.set_text("08031234567")
    assert phone.status.text() == "✓ +234 803 123 4567 · Nigeria · MTN"
    assert phone.status.tone is Tone.GOOD
    assert phone.value is not None and phone.value.digits == "2348031234567"


def test_problem_is_not_shown_on_the_first_keystrokes(phone: PhoneField) -> None:
    with_signals = []
    phone.validity_changed.connect(with_signals.append)
    for typed in ("0", "08", "080", "0803"):
        phone.set_text(typed)
        assert phone.status.tone is Tone.NEUTRAL and "✕" not in phone.status.text()
    assert phone.value is None and phone.problem
    assert with_signals == []  # never valid, so never a change


def test_problem_appears_after_a_pause(qtbot: Any, phone: PhoneField) -> None:
    phone.set_text("0803")
    qtbot.waitUntil(lambda: phone.status.tone is Tone.BAD, timeout=5_000)
    assert phone.status.text() == "✕ " + reason(validate_phone, "0803")


def test_problem_appears_when_leaving_the_field(phone: PhoneField) -> None:
    phone.set_text("+999 123")
    assert phone.status.tone is Tone.NEUTRAL
    QApplication.sendEvent(phone.edit, QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.TabFocusReason))
    assert phone.status.tone is Tone.BAD
    assert phone.status.text().endswith(reason(validate_phone, "+999 123"))


def test_once_shown_the_problem_follows_the_text_then_clears(phone: PhoneField) -> None:
    phone.set_text("0803")
    phone.reveal_problem()
    phone.set_text("08031")
    assert phone.status.tone is Tone.BAD and phone.status.text().endswith(reason(validate_phone, "08031"))
    phone.set_text("08031234567")
    assert phone.status.tone is Tone.GOOD
    phone.set_text("")
    assert phone.status.tone is Tone.NEUTRAL and phone.status.text() == phone._hint


def test_typing_past_a_valid_number_says_so_immediately(phone: PhoneField) -> None:
    phone.set_text("08031234567")
    phone.set_text("080312345678")
    assert phone.status.tone is Tone.BAD


def test_validity_signal_on_each_change(phone: PhoneField) -> None:
    seen: list[bool] = []
    phone.validity_changed.connect(seen.append)
    phone.set_text("08031234567")
    phone.set_text("08031234567 ")
    phone.set_text("0803123456")
    assert seen == [True, False]


def test_default_region_reads_national_numbers(phone: PhoneField) -> None:
    phone.set_text("024 123 4567")
    phone.set_default_region("GH")
    assert phone.value is not None and phone.value.region == "GH" and "Ghana" in phone.status.text()


def test_code_line_and_reasons(code: CodeField) -> None:
    code.set_text("482913")
    assert code.value is not None and code.status.tone is Tone.GOOD
    code.set_text("0123")
    code.reveal_problem()
    assert code.status.text() == "✕ " + reason(validate_code, "0123")
    code.set_text("12ab")
    assert code.status.text() == "✕ " + reason(validate_code, "12ab")


def test_generate_fills_six_digits_without_a_leading_zero(code: CodeField) -> None:
    generated: list[str] = []
    code.generated.connect(generated.append)
    for _ in range(50):
        code.generate_button.click()
        text = code.text()
        assert len(text) == 6 and text.isdigit() and text[0] != "0"
        assert code.value is not None and code.value.digits == text
    assert len(generated) == 50 and len(set(generated)) > 1


def test_enter_reveals_the_problem_and_reports_submission(qtbot: Any, code: CodeField) -> None:
    code.set_text("12")
    with qtbot.waitSignal(code.submitted):
        code.edit.returnPressed.emit()
    assert code.status.tone is Tone.BAD


def test_fields_have_accessible_names_and_their_lines_read_as_what_they_say(
    qtbot: Any, phone: PhoneField, code: CodeField
) -> None:
    from PySide6.QtGui import QAccessible
    from PySide6.QtWidgets import QToolButton

    assert "phone" in phone.edit.accessibleName().lower() and "code" in code.edit.accessibleName().lower()
    assert code.generate_button.accessibleName()
    clear_names = {button.accessibleName() for field in (phone, code)
                   for button in field.edit.findChildren(QToolButton)}
    assert clear_names == {"Clear the phone number", "Clear the code"}
    phone.set_text("0803 12")
    phone.reveal_problem()
    code.set_text("482913")
    for status in (phone.status, code.status):
        interface = QAccessible.queryAccessibleInterface(status)
        assert interface is not None
        assert interface.text(QAccessible.Text.Name) == status.text() != ""  # the sentence, not a fixed name


def test_esc_empties_only_the_focused_field_and_ctrl_z_brings_it_back(
    qtbot: Any, phone: PhoneField, code: CodeField
) -> None:
    from PySide6.QtCore import Qt

    phone.set_text("0803 123 4567")
    code.set_text("482913")
    qtbot.keyClick(code.edit, Qt.Key.Key_Escape)
    assert code.text() == "" and phone.text() == "0803 123 4567"
    qtbot.keyClick(code.edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert code.text() == "482913"


def test_esc_closes_an_open_list_of_recent_numbers_first_and_keeps_the_number(qtbot: Any, phone: PhoneField) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QKeyEvent

    phone.show()
    qtbot.waitExposed(phone)
    phone.set_completions(["2348031234567", "2348039990000"])
    phone.edit.setFocus()
    qtbot.keyClicks(phone.edit, "+234803")
    popup = phone.edit.completer().popup()
    qtbot.waitUntil(popup.isVisible, timeout=3000)
    qtbot.keyClick(popup, Qt.Key.Key_Escape)  # where the key goes while the list is open
    assert not popup.isVisible() and phone.text() == "+234803"
    phone.edit.completer().complete()  # open again; this time the Esc reaches the field itself
    qtbot.waitUntil(popup.isVisible, timeout=3000)
    escape = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier)
    phone.edit.keyPressEvent(escape)
    assert escape.isAccepted() and not popup.isVisible() and phone.text() == "+234803"
    qtbot.keyClick(phone.edit, Qt.Key.Key_Escape)  # with the list closed, Esc empties the field
    assert phone.text() == ""


def test_typing_over_a_selected_valid_number_shows_no_error_until_a_pause(qtbot: Any, phone: PhoneField) -> None:
    phone.set_text("0803 123 4567")
    assert phone.status.tone is Tone.GOOD
    phone.edit.selectAll()
    qtbot.keyClicks(phone.edit, "08")
    assert phone.status.tone is Tone.NEUTRAL and "✕" not in phone.status.text()
    qtbot.waitUntil(lambda: phone.status.tone is Tone.BAD, timeout=3000)  # after the pause
    qtbot.keyClicks(phone.edit, "03 555 0199")
    assert phone.status.tone is Tone.GOOD and "✓" in phone.status.text()


def test_the_escape_key_number_is_qts() -> None:
    from PySide6.QtCore import Qt

    from termii_desk.ui import fields

    assert Qt.Key.Key_Escape.value == fields._KEY_ESCAPE
