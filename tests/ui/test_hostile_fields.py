"""Hostile input through the window's fields: pastes, other scripts, invisible marks, a megabyte at once.

Whatever is typed or pasted, the form either refuses with a reason or asks to send exactly the digits the
agent meant; the window keeps working.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from termii_desk.ui.send_form import SendForm
from tests.core.test_validation import HOSTILE

VALID_PHONE = "+234 803 123 4567"


def _form(qtbot: Any) -> SendForm:
    form = SendForm()
    qtbot.addWidget(form)
    form.show()
    return form


def test_megabyte_paste_is_refused_and_the_form_stays_usable(qtbot: Any) -> None:
    form = _form(qtbot)
    QApplication.clipboard().setText("2348031234567 " * 75_000)  # about 1 MB
    for field in (form.phone, form.code):
        field.edit.setFocus()
        field.edit.paste()
        assert 0 < len(field.text()) <= 256
        assert "too long" in field.problem
        field.reveal_problem()
        assert "too long" in field.status.text()
    assert not form.send_button.isEnabled()
    form.phone.set_text(VALID_PHONE)
    form.code.set_text("482913")
    assert form.send_button.isEnabled()


def test_pasting_a_code_with_invisible_marks_is_refused(qtbot: Any) -> None:
    form = _form(qtbot)
    form.phone.set_text(VALID_PHONE)
    QApplication.clipboard().setText("48\u200b2913")
    form.code.edit.setFocus()
    form.code.edit.paste()
    assert form.code.value is None and "digits only" in form.code.problem
    assert not form.send_button.isEnabled()


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(code_text=st.lists(HOSTILE, max_size=20).map("".join))
def test_whatever_is_typed_the_form_sends_only_the_exact_digits(qtbot: Any, code_text: str) -> None:
    form = _form(qtbot)
    form.phone.set_text(VALID_PHONE)
    form.code.set_text(code_text)
    asked: list[tuple[object, object]] = []
    form.send_requested.connect(lambda phone, code: asked.append((phone, code)))
    qtbot.keyClick(form.code.edit, Qt.Key.Key_Return)
    if form.code.value is None:
        assert asked == [] and (form.code.problem or form.code.text() == "")
        return
    [(phone, code)] = asked
    # What is sent is exactly what the field shows (Qt itself drops a byte-order mark from set text).
    assert code.digits == form.code.text().strip().replace(" ", "")  # type: ignore[attr-defined]
    assert code.digits in code_text.replace(" ", "")  # type: ignore[attr-defined]
    assert set(code.digits) <= set("0123456789")  # type: ignore[attr-defined]
    assert phone.digits == "2348031234567"  # type: ignore[attr-defined]


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(phone_text=st.lists(HOSTILE, max_size=25).map("".join))
def test_hostile_phone_text_never_becomes_other_digits(qtbot: Any, phone_text: str) -> None:
    form = _form(qtbot)
    form.phone.set_text(phone_text)
    value = form.phone.value
    if value is None:
        assert form.phone.problem or form.phone.text() == ""
        return
    assert set(value.digits) <= set("0123456789")
    assert not any(mark in phone_text for mark in "\u200b\u200e\u200f\u202e\ufeff\x00\x1b")
