"""The two input fields of the form, each with a live line under it that says what the desk understood.

The line never nags: a valid value is confirmed at once, but a problem is only shown after the agent
pauses typing, leaves the field, or presses Enter (typing over a selected number never flashes an error);
once a problem is shown it follows the text without waiting, and the line keeps its height so nothing below
it jumps. Esc empties the focused field only (its own Ctrl+Z brings the text back). Each line's text is what
screen readers read for it: no fixed accessible name hides it.

At start the fields are part of the window's first frame: built ``staged``, they are only the line edits (and
Generate), with the live line's room kept, and ``finish()`` adds the lines after that frame is painted. While
the phone metadata is still loading the phone field is ``checking`` (``set_checking``): it takes every
keystroke and says "Checking…", never an error, and validates what was typed once the metadata is there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QToolButton, QVBoxLayout, QWidget

from termii_desk.core.errors import InputError

# core.validation and ui.tones load with the first validation or live line, not before the first frame (~8 ms).
if TYPE_CHECKING:
    from termii_desk.core.validation import Code, PhoneNumber
    from termii_desk.ui.tones import Tone, ToneLabel

# How long the agent may pause mid-number before the line says what is wrong.
REVEAL_DELAY_MS = 900
# The live line while the validator's data is still loading (at start, for the phone number).
CHECKING_TEXT = "Checking…"

# The phone line when the digits are a number in the default country and another country's number.
AMBIGUOUS_TEXT = "Which number did you mean? Choose one, or type it with + and the country code."

V = TypeVar("V", "PhoneNumber", "Code")


def enable_clear_button(edit: QLineEdit, name: str) -> None:
    """Show ``edit``'s built-in clear button, with ``name`` as its accessible name and tooltip ("Clear the
    filter"): the one way the desk turns a clear button on, so a screen reader never meets one without a name.

    The first one in the process looks its icon up in the desktop's icon theme (5 to 10 ms): the window turns
    its clear buttons on once it is ready (``MainWindow.show_clear_buttons``), not before its history shows.
    """
    edit.setClearButtonEnabled(True)
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


_KEY_ESCAPE = 0x01000000


class EscClearsLineEdit(QLineEdit):
    """A line edit where Esc empties this field only (and Esc in an empty field goes on to the window).

    ``escape_hook``, when set, is asked first: it returns True when it used the Esc (a pending send cancelled).
    """

    escape_hook: Callable[[], bool] | None = None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Qt.Key.Key_Escape as a number: the first frame's modules leave Qt's namespace (~90 enums) to app.py,
        # which makes it once the window is shown.
        if event.key() == _KEY_ESCAPE:
            completer = self.completer()
            popup = completer.popup() if completer is not None else None
            if popup is not None and popup.isVisible():
                popup.hide()  # an open completion list closes first
                event.accept()
                return
            if (self.escape_hook is not None and self.escape_hook()) or clear_undoably(self):
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

    _clear_name = "Clear the field"  # the accessible name of the line edit's clear button

    def __init__(
        self, hint: str, validate: Callable[[str], V], parent: QWidget | None = None, *, staged: bool = False
    ) -> None:
        """``staged``: the line edit only, the live line's room kept empty until ``finish()``, and the clear
        button left to ``show_clear_button()``."""
        super().__init__(parent)
        self._staged: bool = staged
        self._hint: str = hint
        self._validate: Callable[[str], V] = validate
        self._value: V | None = None
        self._problem: str = ""
        self._error: InputError | None = None  # the validator's refusal of the current text
        self._showing_problem: bool = False
        self._checking: bool = False
        self._never_checked: str = ""  # set_never_checked(): said instead of "Checking…"
        self._finished: bool = False
        self._last_text: str = ""
        self._announced: str = ""  # the verdict last announced to screen readers
        self.status: ToneLabel  # the live line, made by finish()

        self.edit: _LineEdit = _LineEdit(self)

        self._reveal_timer: QTimer = QTimer(self)
        self._reveal_timer.setSingleShot(True)
        self._reveal_timer.setInterval(REVEAL_DELAY_MS)

        self._row: QHBoxLayout = QHBoxLayout()
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.addWidget(self.edit, 1)
        self._layout: QVBoxLayout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(3)
        self._layout.addLayout(self._row)
        # Two lines' room: a long reason wraps instead of pushing the form around.
        self._line_height: int = self.fontMetrics().lineSpacing() + 2
        # The live line's place until finish(); a box layout puts no spacing next to a spacer: it is included.
        self._layout.addSpacing(self._line_height + self._layout.spacing())

        self.edit.textChanged.connect(self.on_text_changed)
        self.edit.returnPressed.connect(self.on_return_pressed)
        self.edit.focus_lost.connect(self.reveal_problem)
        self._reveal_timer.timeout.connect(self.reveal_problem)
        if not staged:
            self.finish()

    def finish(self) -> None:
        """Add the live line (in the room kept for it) and bring it up to date with the text; once."""
        if self._finished:
            return
        from termii_desk.core.validation import MAX_INPUT_LENGTH
        from termii_desk.ui.tones import ToneLabel

        self._finished = True
        self.edit.setMaxLength(MAX_INPUT_LENGTH * 4)  # long pastes are refused by the validator, with a reason
        if not self._staged:
            self.show_clear_button()
        self.status = ToneLabel(self._hint, self)
        self.status.setMinimumHeight(self._line_height)
        self._layout.takeAt(self._layout.count() - 1)  # the spacing that kept its place
        self._layout.addWidget(self.status)
        self._describe_status(self.edit.text())

    def show_clear_button(self) -> None:
        """The line edit's clear button (the window's staged fields get theirs once it is ready)."""
        enable_clear_button(self.edit, self._clear_name)

    # -- state ------------------------------------------------------------------------------------------

    @property
    def value(self) -> V | None:
        """The parsed value, or None while the text is not valid."""
        return self._value

    @property
    def problem(self) -> str:
        """Why the text is not valid ("" when it is)."""
        return self._problem

    @property
    def checking(self) -> bool:
        """The validator's data is still loading: the text waits, the line says "Checking…"."""
        return self._checking

    def set_checking(self, checking: bool) -> None:
        """While checking, every text is held as not yet valid without a reason; after it, it is validated."""
        if checking != self._checking:
            self._checking = checking
            self.revalidate()
            if not checking and not self.edit.hasFocus():
                self.reveal_problem()  # the agent has moved on: as leaving the field would have

    def set_never_checked(self, sentence: str) -> None:
        """The validator's data will never load (the desk could not start): the line says ``sentence`` instead
        of "Checking…", and the text stays as typed."""
        self._never_checked = sentence
        self._describe_status(self.edit.text())

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
        typed_past_valid = was_valid and text.startswith(previous)  # past a valid value, not over it
        self._error = None
        if self._checking:
            self._value, self._problem = None, ""
        else:
            try:
                self._value = self._validate(text)
                self._problem = ""
            except InputError as exc:
                self._value = None
                self._problem, self._error = str(exc), exc
        self._describe_status(text, typed_past_valid)
        if was_valid != (self._value is not None):
            self.validity_changed.emit(self._value is not None)

    def _describe_status(self, text: str, was_valid: bool = False) -> None:
        """The live line for the current value (nothing before ``finish()`` made it)."""
        if not self._finished:
            return
        from termii_desk.ui.tones import MARKS, Tone

        if self._value is not None:
            self._reveal_timer.stop()
            self._showing_problem = False
            self._say(MARKS[Tone.GOOD] + self._describe(self._value), Tone.GOOD)
        elif not text.strip() or self._checking:
            self._reveal_timer.stop()
            self._showing_problem = False
            self._say((self._never_checked or CHECKING_TEXT) if text.strip() else self._hint, Tone.NEUTRAL)
        elif self._showing_problem or was_valid:
            # Already talking about this text, or the agent typed past a valid value (an extra digit): say so
            # now. Not when a valid value was replaced: typing over a selected number has typed one digit of
            # the next, which is no mistake yet.
            self.reveal_problem()
        else:
            self._say(self._hint, Tone.NEUTRAL)
            self._reveal_timer.start()

    @Slot()
    def reveal_problem(self) -> None:
        """Show why the text is not valid now (on a pause, leaving the field, or Enter); never while checking."""
        self._reveal_timer.stop()
        if self._finished and not self._checking and self._value is None and self.edit.text().strip():
            from termii_desk.ui.tones import MARKS, Tone

            self._showing_problem = True
            self._say(MARKS[Tone.BAD] + self._problem, Tone.BAD)

    @Slot()
    def on_return_pressed(self) -> None:
        self.reveal_problem()
        self.submitted.emit()

    def _describe(self, value: V) -> str:
        """The line shown under a valid value; subclasses say more."""
        return str(value)

    def _say(self, text: str, tone: Tone) -> None:
        """Show ``text`` on the live line; a verdict (✓, ✕, ⚠) that changed is also announced to screen readers,
        which otherwise say nothing while the agent types (hints and "Checking…" are not announced)."""
        from termii_desk.ui.tones import Tone, announce

        self.status.show_text(text, tone)
        if tone in (Tone.GOOD, Tone.BAD, Tone.WARNING):
            if text != self._announced:
                self._announced = text
                announce(self.status, text)
        else:
            self._announced = ""  # the same verdict, reached again later, is said again


class PhoneField(ValidatedField["PhoneNumber"]):
    """The customer's phone number; the line shows ``+234 803 123 4567 · Nigeria · MTN`` or the reason.

    Digits that are a number in the default country and also a different international number (typed without
    ``+``) are not taken either way: the line asks which, and a button under it for each reading puts that
    number in the field, with ``+`` and its country code.
    """

    _clear_name = "Clear the phone number"

    def __init__(self, parent: QWidget | None = None, *, default_region: str = "NG", staged: bool = False) -> None:
        self._region = default_region
        self._with_carrier = True
        self.choice_buttons: list[QPushButton] = []  # one per reading while the digits are ambiguous
        self._choice_row: QHBoxLayout | None = None
        super().__init__(self._hint_for(default_region), self._parse, parent, staged=staged)
        self.edit.setPlaceholderText("0803 123 4567 or +234 803 123 4567")
        self.edit.setAccessibleName("Customer's phone number")
        self.edit.setAccessibleDescription("The number Termii will call. The line below says how it was read.")

    def finish(self) -> None:
        if self._finished:
            return
        self._choice_row = QHBoxLayout()
        self._choice_row.setContentsMargins(0, 0, 0, 0)
        super().finish()
        self._layout.addLayout(self._choice_row)
        self._show_choices()

    @property
    def choices(self) -> tuple[PhoneNumber, ...]:
        """The readings the agent is asked to choose between (none unless the digits are ambiguous)."""
        return tuple(getattr(self._error, "choices", ()))

    @Slot(str)
    def on_text_changed(self, text: str) -> None:
        super().on_text_changed(text)
        self._show_choices()

    def _show_choices(self) -> None:
        """The question and one button per reading, at once (a question, not a mistake to wait for)."""
        if self._choice_row is None or not self._finished:
            return
        choices = self.choices
        if [button.property("digits") for button in self.choice_buttons] == [c.digits for c in choices]:
            return
        while self._choice_row.count():  # the buttons and the stretch after them
            self._choice_row.takeAt(0)
        for button in self.choice_buttons:
            button.hide()
            button.deleteLater()
        self.choice_buttons = []
        for choice in choices:
            button = QPushButton(f"{choice.display} · {choice.country}" if choice.country else choice.display, self)
            button.setProperty("digits", choice.digits)
            button.setAccessibleName(f"Call {choice.display}" + (f" in {choice.country}" if choice.country else ""))
            button.setToolTip(f"Use {choice.display}")
            button.clicked.connect(lambda _checked=False, display=choice.display: self.on_choice_clicked(display))
            self._choice_row.addWidget(button)
            button.show()  # a child added to a shown widget is otherwise hidden
            self.choice_buttons.append(button)
        if choices:
            self._choice_row.addStretch(1)
            # Tab from the number goes to the choices first, then on to the code as before.
            previous: QWidget = self.edit
            for button in self.choice_buttons:
                QWidget.setTabOrder(previous, button)
                previous = button
            self.reveal_problem()

    @Slot()
    def reveal_problem(self) -> None:
        if not self.choices:
            super().reveal_problem()
            return
        from termii_desk.ui.tones import MARKS, Tone

        self._reveal_timer.stop()
        self._showing_problem = True
        # A question, not a mistake; the buttons under it name both numbers and their countries.
        self._say(MARKS[Tone.WARNING] + AMBIGUOUS_TEXT, Tone.WARNING)

    def on_choice_clicked(self, display: str) -> None:
        """The agent chose a reading: the field holds it in international form, which reads back as only it."""
        self.edit.setText(display)
        self.edit.setFocus()

    def set_completions(self, numbers: list[str]) -> None:
        """Offer these numbers (digits, newest first: the profile's recent calls) as the agent types any part."""
        from PySide6.QtCore import QStringListModel, Qt
        from PySide6.QtWidgets import QCompleter

        completer = self.edit.completer()
        if completer is None:
            completer = QCompleter(self.edit)
            completer.setModel(QStringListModel(completer))
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
            completer.setMaxVisibleItems(8)
            completer.popup().setAccessibleName("Recent numbers")
            self.edit.setCompleter(completer)
        model = completer.model()
        assert isinstance(model, QStringListModel)
        model.setStringList([f"+{digits}" for digits in numbers])

    def completions(self) -> list[str]:
        completer = self.edit.completer()
        model = completer.model() if completer is not None else None
        return list(model.stringList()) if model is not None else []  # type: ignore[attr-defined]

    @property
    def default_region(self) -> str:
        return self._region

    def set_default_region(self, region: str) -> None:
        if region != self._region:
            self._region = region
            self._hint = self._hint_for(region)
            self.revalidate()

    def set_carrier_names(self, enabled: bool) -> None:
        """Name the number's network in the line (at start, once its tables are loaded)."""
        if enabled != self._with_carrier:
            self._with_carrier = enabled
            if self.value is not None:
                self.revalidate()

    def _parse(self, text: str) -> PhoneNumber:
        from termii_desk.core.validation import validate_phone

        return validate_phone(text, self._region, with_carrier=self._with_carrier)

    def _describe(self, value: PhoneNumber) -> str:
        return value.summary

    @staticmethod
    def _hint_for(region: str) -> str:
        return f"International form with +, or a national number in {region}."


def _validate_code(text: str) -> Code:
    from termii_desk.core.validation import validate_code

    return validate_code(text)


class CodeField(ValidatedField["Code"]):
    """The one-time code to read out, with a Generate button (6 random digits, never a leading 0).

    Signals:
        generated(str): Generate filled in a new code.
    """

    _clear_name = "Clear the code"

    generated = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, staged: bool = False) -> None:
        super().__init__("4 to 8 digits, not starting with 0.", _validate_code, parent, staged=True)
        self._staged = staged  # finished below, once the Generate button is in its row
        self.edit.setPlaceholderText("e.g. 482913")
        self.edit.setAccessibleName("One-time code")
        self.edit.setAccessibleDescription("The digits Termii reads out on the call.")
        self.generate_button = QPushButton("&Generate", self)
        self.generate_button.setAccessibleName("Generate a random code")
        self.generate_button.setToolTip("Fill in 6 random digits (Alt+G)")
        self._row.addWidget(self.generate_button)
        self.generate_button.clicked.connect(self.on_generate_clicked)
        if not staged:
            self.finish()

    def finish(self) -> None:
        from termii_desk.core.validation import CODE_MAX_LENGTH, MAX_INPUT_LENGTH

        super().finish()
        self.edit.setMaxLength(max(CODE_MAX_LENGTH * 3, MAX_INPUT_LENGTH + 1))

    @Slot()
    def on_generate_clicked(self) -> None:
        from termii_desk.core.validation import generate_code

        code = generate_code()
        # As if typed over the field: Tab reaches Generate right after the code, and a code typed there and
        # replaced by a press of Space comes back with Ctrl+Z.
        self.edit.selectAll()
        self.edit.insert(code)
        self.edit.setFocus()
        self.generated.emit(code)

    def _describe(self, value: Code) -> str:
        return f"{len(value.digits)}-digit code"
