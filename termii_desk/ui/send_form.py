"""The send form: phone, code, Send, and the busy indicator while a call is in flight.

The form only asks for a send (``send_requested``); the controller decides what happens. While busy, Send is
disabled and Enter is ignored, so a double click or a repeated Enter asks exactly once. The agent may type
the next customer's number and code while a call is in flight: when the answer comes, ``after_answer`` resets
only the fields still holding what was sent and leaves the others (text, selection, focus) as they are.
After Termii limited requests, Send counts down until it may be used again (``hold``). Clearing the whole
form is a deliberate command (``clear``); Ctrl+Z in an empty form brings back what it held.
"""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QGridLayout, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from termii_desk.core.words import SEND
from termii_desk.ui.fields import CodeField, PhoneField

SEND_TEXT = f"&{SEND}"


class SendForm(QWidget):
    """Phone and code with their live lines, the Send button and a busy bar.

    Signals:
        send_requested(object, object): the agent asked to send: (``PhoneNumber``, ``Code``), both valid.
    """

    send_requested = Signal(object, object)

    def __init__(self, parent: QWidget | None = None, *, default_region: str = "NG") -> None:
        super().__init__(parent)
        self._busy = False
        self._sent: tuple[str, str] | None = None  # the texts of the call in flight: (phone, code)
        self._cleared: tuple[str, str] | None = None  # what clear() removed, until Ctrl+Z or new typing
        self._hold_until = 0.0  # time.monotonic() before which Send waits (Termii limited requests)
        self._hold_timer = QTimer(self)
        self._hold_timer.setInterval(250)

        self.phone = PhoneField(self, default_region=default_region)
        self.code = CodeField(self)
        phone_label = QLabel("Customer's &phone", self)
        phone_label.setBuddy(self.phone.edit)
        code_label = QLabel("&Code", self)
        code_label.setBuddy(self.code.edit)

        self.send_button = QPushButton(SEND_TEXT, self)
        self.send_button.setAccessibleName("Send the code as a voice call")
        self.send_button.setToolTip("Ask Termii to call the number and read out the code (Enter)")
        self.send_button.setEnabled(False)
        self.send_button.setMinimumWidth(
            self.send_button.fontMetrics().horizontalAdvance(self._hold_text(88)) + 32)
        self.busy_bar = QProgressBar(self)
        self.busy_bar.setRange(0, 0)  # indeterminate: Termii gives no progress to show
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setMaximumHeight(self.fontMetrics().height() // 2 + 2)
        self.busy_bar.setFixedWidth(self.fontMetrics().horizontalAdvance("0") * 24)
        self.busy_bar.setAccessibleName("Sending")
        self.busy_bar.hide()

        actions = QHBoxLayout()
        actions.setContentsMargins(0, 0, 0, 0)
        actions.addWidget(self.send_button)
        actions.addSpacing(12)
        actions.addWidget(self.busy_bar, 0, Qt.AlignmentFlag.AlignVCenter)
        actions.addStretch(1)

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(6)
        top = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        grid.addWidget(phone_label, 0, 0, top)
        grid.addWidget(self.phone, 0, 1)
        grid.addWidget(code_label, 1, 0, top)
        grid.addWidget(self.code, 1, 1)
        grid.addLayout(actions, 2, 1)
        grid.setColumnStretch(1, 1)
        # Labels line up with the text of the line edits, not with the live lines under them.
        label_offset = max(0, (self.phone.edit.sizeHint().height() - phone_label.sizeHint().height()) // 2)
        phone_label.setContentsMargins(0, label_offset, 0, 0)
        code_label.setContentsMargins(0, label_offset, 0, 0)

        QWidget.setTabOrder(self.phone.edit, self.code.edit)
        QWidget.setTabOrder(self.code.edit, self.send_button)
        QWidget.setTabOrder(self.send_button, self.code.generate_button)

        self.phone.validity_changed.connect(self.on_validity_changed)
        self.code.validity_changed.connect(self.on_validity_changed)
        self.phone.submitted.connect(self.on_submit)
        self.code.submitted.connect(self.on_submit)
        self.send_button.clicked.connect(self.on_submit)
        self._hold_timer.timeout.connect(self.on_hold_timer_timeout)
        for edit in (self.phone.edit, self.code.edit):
            edit.installEventFilter(self)
            edit.textEdited.connect(self.on_text_edited)

    # -- state ------------------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def holding(self) -> bool:
        """Send waits for Termii's rate limit to pass."""
        return self._hold_until > time.monotonic()

    @property
    def sent_texts(self) -> tuple[str, str] | None:
        """What the call in flight was sent with: (phone text, code text)."""
        return self._sent

    def is_ready(self) -> bool:
        """Both values valid, no call in flight, no rate limit: Send would send."""
        return (not self._busy and not self.holding and self.phone.value is not None
                and self.code.value is not None)

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.busy_bar.setVisible(busy)
        self.code.generate_button.setEnabled(not busy)
        self._update_send_button()

    def clear(self) -> None:
        """The "new customer" command: both fields empty, focus on the phone; Ctrl+Z brings them back."""
        texts = (self.phone.text(), self.code.text())
        if any(texts):
            self._cleared = texts
        self.phone.clear()
        self.code.clear()
        self.phone.edit.setFocus()

    @property
    def can_undo_clear(self) -> bool:
        return self._cleared is not None and not self.phone.text() and not self.code.text()

    def undo_clear(self) -> bool:
        """Bring back what ``clear()`` removed, while the form is still empty. True when it did."""
        if not self.can_undo_clear:
            return False
        assert self._cleared is not None
        phone, code = self._cleared
        self._cleared = None
        self.phone.set_text(phone)
        self.code.set_text(code)
        (self.code if code and phone else self.phone).edit.setFocus()
        return True

    def after_answer(self, sent: bool) -> None:
        """The call in flight was answered. When Termii accepted it, a code field still holding the sent code is
        emptied, and when the agent has changed neither field and is still in the form, the phone is selected
        for the next customer. A field the agent changed since sending, and its focus, are left as they are."""
        sent_texts, self._sent = self._sent, None
        if not sent or sent_texts is None:
            return  # not sent: everything stays for a retry
        phone_kept = self.phone.text() == sent_texts[0]
        code_kept = self.code.text() == sent_texts[1]
        if code_kept:
            self.code.clear()
        if phone_kept and code_kept and self._focus_in_form():
            self.focus_phone(select_all=True)

    def release_hold(self) -> None:
        """Send is available again at once (the limit no longer applies: another key, or a test)."""
        self._hold_until = 0.0
        self.on_hold_timer_timeout()

    def hold(self, seconds: float) -> None:
        """Termii limited requests: Send counts down and sends nothing until ``seconds`` have passed."""
        self._hold_until = time.monotonic() + max(1.0, seconds)
        self._hold_timer.start()
        self.on_hold_timer_timeout()

    def clear_code(self) -> None:
        self.code.clear()

    def focus_phone(self, select_all: bool = False) -> None:
        self.phone.edit.setFocus()
        if select_all:
            self.phone.edit.selectAll()

    def use_number(self, text: str) -> None:
        """Fill in a number from history and move on to the code."""
        self.phone.set_text(text)
        self.code.edit.setFocus()

    # -- slots ------------------------------------------------------------------------------------------

    @Slot()
    def on_submit(self) -> None:
        """Enter in either field or the Send button: ask to send once, when both values are valid."""
        if self._busy:
            return
        phone, code = self.phone.value, self.code.value
        if phone is None or code is None:
            self.phone.reveal_problem()
            self.code.reveal_problem()
            (self.phone if phone is None else self.code).edit.setFocus()
            return
        if self.holding:
            return
        self.set_busy(True)  # before emitting, so a second Enter queued behind this one is ignored
        self._sent = (self.phone.text(), self.code.text())
        self.send_requested.emit(phone, code)

    @Slot(bool)
    def on_validity_changed(self, _valid: bool) -> None:
        self._update_send_button()

    @Slot(str)
    def on_text_edited(self, _text: str) -> None:
        self._cleared = None  # typing starts something new: the cleared form is not coming back

    @Slot()
    def on_hold_timer_timeout(self) -> None:
        left = self._hold_until - time.monotonic()
        if left <= 0:
            self._hold_timer.stop()
            self.send_button.setText(SEND_TEXT)
            self.send_button.setAccessibleDescription("")
        else:
            self.send_button.setText(self._hold_text(math.ceil(left)))
            self.send_button.setAccessibleDescription("Termii is limiting requests; Send is available again "
                                                      "when the countdown ends.")
        self._update_send_button()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Ctrl+Z in an empty form brings back what the "new customer" command cleared."""
        if (event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) and isinstance(event, QKeyEvent)
                and event.matches(QKeySequence.StandardKey.Undo) and self.can_undo_clear):
            if event.type() == QEvent.Type.KeyPress:
                self.undo_clear()
            event.accept()
            return True
        return super().eventFilter(watched, event)

    def _focus_in_form(self) -> bool:
        focused = QApplication.focusWidget()
        return focused is None or focused is self or self.isAncestorOf(focused)

    @staticmethod
    def _hold_text(seconds: int) -> str:
        return f"{SEND} in {seconds} s"

    def _update_send_button(self) -> None:
        self.send_button.setEnabled(self.is_ready())
