"""The two input fields of the form, each with a live line under it that says what the desk understood.

The line never nags: a valid value is confirmed at once, but a problem is only shown after the agent
pauses typing, leaves the field, or presses Enter (typing over a selected number never flashes an error);
once a problem is shown it follows the text without waiting, and the line keeps its height so nothing below
it jumps. Esc empties the focused field only (Ctrl+Z brings its text back). Each line's text is what screen
readers read for it: no fixed accessible name hides it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QToolButton, QVBoxLayout, QWidget

from termii_desk.core.errors import InputError
from termii_desk.core.validation import (
    CODE_MAX_LENGTH,
    MAX_INPUT_LENGTH,
    Code,
    PhoneNumber,
    generate_code,
    validate_code,
    validate_phone,
)
from termii_desk.ui.tones import MARKS, Tone, ToneLabel

# How long the agent may pause mid-number before the line says what is wrong.
REVEAL_DELAY_MS = 900

V = TypeVar("V", PhoneNumber, Code)


def name_clear_button(edit: QLineEdit, name: str) -> None:
    """Give a line edit's built-in clear button (``setClearButtonEnabled``) an accessible name and tooltip."""
    for button in edit.findChildren(QToolButton):
        button.setAccessibleName(name)
        button.setToolTip(name)


def clear_undoably(edit: QLineEdit) -> bool:
    """Empty ``edit`` the way typing would, so its own Ctrl+Z brings the text back. True when it held text."""
    if not edit.text():
        return False
    edit.selectAll()
    edit.del_()
    return True


class EscClearsLineEdit(QLineEdit):
    """A line edit where Esc empties this field only (and Esc in an empty field goes on to the window)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            completer = self.completer()
            if completer is not None and completer.popup() is not None and completer.popup().isVisible():
                completer.popup().hide()  # an open completion list closes first
                event.accept()
                return
            if clear_undoably(self):
                event.accept()
                return
        super().keyPressEvent(event)


class _LineEdit(EscClearsLineEdit):
    """A line edit that reports losing focus (``editingFinished`` is not sent for invalid or empty text)."""

    focus_lost = Signal()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.focus_lost.emit()


class ValidatedField(QWidget, Generic[V]):
    """A line edit, the live line under it, and the parsed value when the text is valid.

    Signals:
        validity_changed(bool): the text turned valid or invalid.
        submitted(): Enter was pressed in the field (valid or not; the form decides).
    """

    validity_changed = Signal(bool)
    submitted = Signal()

    def __init__(self, hint: str, validate: Callable[[str], V], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hint: str = hint
        self._validate: Callable[[str], V] = validate
        self._value: V | None = None
        self._problem: str = ""
        self._showing_problem: bool = False
        self._last_text: str = ""

        self.edit: _LineEdit = _LineEdit(self)
        self.edit.setMaxLength(MAX_INPUT_LENGTH * 4)  # long pastes are refused by the validator, with a reason
        self.edit.setClearButtonEnabled(True)
        self.status: ToneLabel = ToneLabel(hint, self)
        # Two lines' room: a long reason wraps instead of pushing the form around.
        self.status.setMinimumHeight(self.status.fontMetrics().lineSpacing() + 2)

        self._reveal_timer: QTimer = QTimer(self)
        self._reveal_timer.setSingleShot(True)
        self._reveal_timer.setInterval(REVEAL_DELAY_MS)

        self._row: QHBoxLayout = QHBoxLayout()
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.addWidget(self.edit, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addLayout(self._row)
        layout.addWidget(self.status)

        self.edit.textChanged.connect(self.on_text_changed)
        self.edit.returnPressed.connect(self.on_return_pressed)
        self.edit.focus_lost.connect(self.reveal_problem)
        self._reveal_timer.timeout.connect(self.reveal_problem)

    # -- state ------------------------------------------------------------------------------------------

    @property
    def value(self) -> V | None:
        """The parsed value, or None while the text is not valid."""
        return self._value

    @property
    def problem(self) -> str:
        """Why the text is not valid ("" when it is)."""
        return self._problem

    def text(self) -> str:
        return self.edit.text()

    def set_text(self, text: str) -> None:
        self.edit.setText(text)

    def clear(self) -> None:
        self.edit.clear()

    def revalidate(self) -> None:
        """Check the text again (after a setting it depends on changed)."""
        self.on_text_changed(self.edit.text())

    # -- slots ------------------------------------------------------------------------------------------

    @Slot(str)
    def on_text_changed(self, text: str) -> None:
        was_valid = self._value is not None
        previous, self._last_text = self._last_text, text
        try:
            self._value = self._validate(text)
            self._problem = ""
        except InputError as exc:
            self._value = None
            self._problem = str(exc)
        if self._value is not None:
            self._reveal_timer.stop()
            self._showing_problem = False
            self.status.show_text(MARKS[Tone.GOOD] + self._describe(self._value), Tone.GOOD)
        elif not text.strip():
            self._reveal_timer.stop()
            self._showing_problem = False
            self.status.show_text(self._hint, Tone.NEUTRAL)
        elif self._showing_problem or (was_valid and text.startswith(previous)):
            # Already talking about this text, or the agent typed past a valid value (an extra digit): say so
            # now. Not when a valid value was replaced: typing over a selected number has typed one digit of
            # the next, which is no mistake yet.
            self.reveal_problem()
        else:
            self.status.show_text(self._hint, Tone.NEUTRAL)
            self._reveal_timer.start()
        if was_valid != (self._value is not None):
            self.validity_changed.emit(self._value is not None)

    @Slot()
    def reveal_problem(self) -> None:
        """Show why the text is not valid now (on a pause, leaving the field, or Enter)."""
        self._reveal_timer.stop()
        if self._value is None and self.edit.text().strip():
            self._showing_problem = True
            self.status.show_text(MARKS[Tone.BAD] + self._problem, Tone.BAD)

    @Slot()
    def on_return_pressed(self) -> None:
        self.reveal_problem()
        self.submitted.emit()

    def _describe(self, value: V) -> str:
        """The line shown under a valid value; subclasses say more."""
        return str(value)


class PhoneField(ValidatedField[PhoneNumber]):
    """The customer's phone number; the line shows ``+234 803 123 4567 · Nigeria · MTN`` or the reason."""

    def __init__(self, parent: QWidget | None = None, *, default_region: str = "NG") -> None:
        self._region = default_region
        super().__init__(self._hint_for(default_region), self._parse, parent)
        self.edit.setPlaceholderText("0803 123 4567 or +234 803 123 4567")
        self.edit.setAccessibleName("Customer's phone number")
        self.edit.setAccessibleDescription("The number Termii will call. The line below says how it was read.")
        name_clear_button(self.edit, "Clear the phone number")

    @property
    def default_region(self) -> str:
        return self._region

    def set_default_region(self, region: str) -> None:
        if region != self._region:
            self._region = region
            self._hint = self._hint_for(region)
            self.revalidate()

    def _parse(self, text: str) -> PhoneNumber:
        return validate_phone(text, self._region)

    def _describe(self, value: PhoneNumber) -> str:
        return value.summary

    @staticmethod
    def _hint_for(region: str) -> str:
        return f"International form with +, or a national number in {region}."


class CodeField(ValidatedField[Code]):
    """The one-time code to read out, with a Generate button (6 random digits, never a leading 0).

    Signals:
        generated(str): Generate filled in a new code.
    """

    generated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("4 to 8 digits, not starting with 0.", validate_code, parent)
        self.edit.setPlaceholderText("e.g. 482913")
        self.edit.setMaxLength(max(CODE_MAX_LENGTH * 3, MAX_INPUT_LENGTH + 1))
        self.edit.setAccessibleName("One-time code")
        self.edit.setAccessibleDescription("The digits Termii reads out on the call.")
        name_clear_button(self.edit, "Clear the code")
        self.generate_button = QPushButton("&Generate", self)
        self.generate_button.setAccessibleName("Generate a random code")
        self.generate_button.setToolTip("Fill in 6 random digits (Alt+G)")
        self._row.addWidget(self.generate_button)
        self.generate_button.clicked.connect(self.on_generate_clicked)

    @Slot()
    def on_generate_clicked(self) -> None:
        code = generate_code()
        self.edit.setText(code)
        self.edit.setFocus()
        self.generated.emit(code)

    def _describe(self, value: Code) -> str:
        return f"{len(value.digits)}-digit code"
