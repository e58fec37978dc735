"""The send form: phone, code, Send, and the busy indicator while a call is in flight.

The form only asks for a send (``send_requested``); the controller decides what happens. While busy, Send is
disabled and Enter is ignored, so a double click or a repeated Enter asks exactly once. The agent may type
the next customer's number and code while a call is in flight: when the answer comes, ``after_answer`` resets
only the fields still holding what was sent and leaves the others (text, selection, focus) as they are.
After Termii limited requests, Send counts down until it may be used again (``hold``). Clearing the whole
form is a deliberate command (``clear``); Ctrl+Z in an empty form brings back what it held.

At start the form is part of the window's first frame (``staged``: the line edits and buttons, no live lines
or busy bar yet; ``finish()`` adds them once that frame is painted) and takes input before the desk can send.
Enter (or Send) before ``set_ready(True)`` is remembered, once: at ready it sends if both values are valid
then, or says why not (``deferred_refused``).
"""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QEvent, QObject, QTimer, Signal, Slot
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from termii_desk.ui.fields import CodeField, PhoneField

# core.words.SEND, spelt here: that module (and dataclasses) would load before the first frame otherwise.
SEND = "Send"
SEND_TEXT = f"&{SEND}"


def _at_top(label: QLabel) -> QVBoxLayout:
    """A label at the top of its grid cell (a cell's alignment would take Qt's enums, slow before the first frame)."""
    column = QVBoxLayout()
    column.setContentsMargins(0, 0, 0, 0)
    column.addWidget(label)
    column.addStretch(1)
    return column


class SendForm(QWidget):
    """Phone and code with their live lines, the Send button and a busy bar.

    Signals:
        send_requested(object, object): the agent asked to send: (``PhoneNumber``, ``Code``), both valid.
        send_deferred(): Enter or Send before the desk was ready: it is acted on once ready.
        deferred_refused(str): the desk became ready with a send pending and the input was not valid: why.
        pending_cancelled(): Esc cancelled a send pending until ready (the fields keep their text).
    """

    send_requested = Signal(object, object)
    send_deferred = Signal()
    deferred_refused = Signal(str)
    pending_cancelled = Signal()

    def __init__(self, parent: QWidget | None = None, *, default_region: str = "NG", staged: bool = False) -> None:
        """``staged``: only what the first frame shows, and not ready to send; ``finish()`` and ``set_ready()``."""
        super().__init__(parent)
        self._busy = False
        self._ready = not staged  # the desk can send
        self._pending = False  # Enter was pressed before it could
        self._finished = False
        self.busy_bar: QProgressBar  # made by finish()
        self._sent: tuple[str, str] | None = None  # the texts of the call in flight: (phone, code)
        self._cleared: tuple[str, str] | None = None  # what clear() removed, until Ctrl+Z or new typing
        self._hold_until = 0.0  # time.monotonic() before which Send waits (Termii limited requests)
        self._hold_timer = QTimer(self)
        self._hold_timer.setInterval(250)

        self.phone = PhoneField(self, default_region=default_region, staged=staged)
        self.code = CodeField(self, staged=staged)
        self._phone_label = QLabel("Customer's &phone", self)
        self._phone_label.setBuddy(self.phone.edit)
        self._code_label = QLabel("&Code", self)
        self._code_label.setBuddy(self.code.edit)

        self.send_button = QPushButton(SEND_TEXT, self)
        self.send_button.setAccessibleName("Send the code as a voice call")
        self.send_button.setToolTip("Ask Termii to call the number and read out the code (Enter)")
        self.send_button.setEnabled(False)
        self.send_button.setMinimumWidth(
            self.send_button.fontMetrics().horizontalAdvance(self._hold_text(88)) + 32)

        self._actions = QHBoxLayout()
        self._actions.setContentsMargins(0, 0, 0, 0)
        self._actions.addWidget(self.send_button)
        self._actions.addStretch(1)

        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(12)
        self._grid.setVerticalSpacing(6)
        self._grid.addLayout(_at_top(self._phone_label), 0, 0)
        self._grid.addWidget(self.phone, 0, 1)
        self._grid.addLayout(_at_top(self._code_label), 1, 0)
        self._grid.addWidget(self.code, 1, 1)
        self._grid.addLayout(self._actions, 2, 1)
        self._grid.setColumnStretch(1, 1)
        # Labels line up with the text of the line edits, not with the live lines under them.
        label_offset = max(0, (self.phone.edit.sizeHint().height() - self._phone_label.sizeHint().height()) // 2)
        self._phone_label.setContentsMargins(0, label_offset, 0, 0)
        self._code_label.setContentsMargins(0, label_offset, 0, 0)

        # As the eye reads the form (the window's tab_order() does the same once it is built).
        QWidget.setTabOrder(self.phone.edit, self.code.edit)
        QWidget.setTabOrder(self.code.edit, self.code.generate_button)
        QWidget.setTabOrder(self.code.generate_button, self.send_button)

        self.phone.validity_changed.connect(self.on_validity_changed)
        self.code.validity_changed.connect(self.on_validity_changed)
        self.phone.edit.textChanged.connect(self.on_validity_changed)  # Send while checking follows the text
        self.phone.submitted.connect(self.on_submit)
        self.code.submitted.connect(self.on_submit)
        self.send_button.clicked.connect(self.on_submit)
        self._hold_timer.timeout.connect(self.on_hold_timer_timeout)
        for edit in (self.phone.edit, self.code.edit):
            edit.escape_hook = self._cancel_pending_by_escape
            edit.textEdited.connect(self.on_text_edited)
        if not staged:
            self.finish()

    def finish(self) -> None:
        """The live lines under the fields and the busy bar; once."""
        if self._finished:
            return
        from PySide6.QtCore import Qt  # not at import: its enums cost the first frame ~20 ms

        self._finished = True
        for edit in (self.phone.edit, self.code.edit):
            edit.installEventFilter(self)  # Ctrl+Z after "new customer" (not on the first frame's events)
        self.phone.finish()
        self.code.finish()
        self.busy_bar = QProgressBar(self)
        self.busy_bar.setRange(0, 0)  # indeterminate: Termii gives no progress to show
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setMaximumHeight(self.fontMetrics().height() // 2 + 2)
        self.busy_bar.setFixedWidth(self.fontMetrics().horizontalAdvance("0") * 24)
        self.busy_bar.setAccessibleName("Sending")
        self.busy_bar.setVisible(self._busy)
        self._actions.insertSpacing(1, 12)
        self._actions.insertWidget(2, self.busy_bar, 0, Qt.AlignmentFlag.AlignVCenter)

    def show_clear_buttons(self) -> None:
        """The phone's and the code's clear buttons (a staged form's, once the window is ready)."""
        self.phone.show_clear_button()
        self.code.show_clear_button()

    # -- state ------------------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def ready(self) -> bool:
        """The desk can send (``set_ready``); before, Enter is remembered."""
        return self._ready

    @property
    def send_pending(self) -> bool:
        """Enter was pressed before the desk was ready: acted on once it is (unless cancelled)."""
        return self._pending

    @property
    def holding(self) -> bool:
        """Send waits for Termii's rate limit to pass."""
        return self._hold_until > time.monotonic()

    @property
    def sent_texts(self) -> tuple[str, str] | None:
        """What the call in flight was sent with: (phone text, code text)."""
        return self._sent

    def is_ready(self) -> bool:
        """Both values valid, the desk ready, no call in flight, no rate limit: Send would send."""
        return (self._ready and not self._busy and not self.holding and self.phone.value is not None
                and self.code.value is not None)

    def set_ready(self, ready: bool) -> None:
        """Whether the desk can send. Becoming ready acts on a pending Enter: sends, or says why not."""
        self._ready = ready
        self._update_send_button()
        if ready and self._pending and not self.phone.checking:
            self._pending = False
            if self.is_ready():
                self._send()
            else:
                self.phone.reveal_problem()
                self.code.reveal_problem()
                reasons = [p for p in (self.phone.problem, self.code.problem) if p] or ["It could not be checked."]
                self.deferred_refused.emit(" ".join(reasons))

    def cancel_pending(self) -> bool:
        """Forget an Enter pressed before ready (Esc, a start-up failure); True when there was one."""
        pending, self._pending = self._pending, False
        return pending

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        if self._finished:
            self.busy_bar.setVisible(busy)
        self.code.generate_button.setEnabled(not busy)
        self._update_send_button()

    def clear(self) -> None:
        """The "new customer" command: both fields empty, focus on the phone, a pending send forgotten; Ctrl+Z
        brings the fields back."""
        self.cancel_pending()
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
        """Enter in either field or the Send button: ask to send once, when both values are valid.

        Before the desk is ready (or while the number is still being checked) the request is kept, once.
        """
        if self._busy:
            return
        if not self._ready or self.phone.checking:
            if not self._pending:
                self._pending = True
                self.send_deferred.emit()
            return
        phone, code = self.phone.value, self.code.value
        if phone is None or code is None:
            self.phone.reveal_problem()
            self.code.reveal_problem()
            (self.phone if phone is None else self.code).edit.setFocus()
            return
        if self.holding:
            return
        self._send()

    def _send(self) -> None:
        phone, code = self.phone.value, self.code.value
        assert phone is not None and code is not None
        self.set_busy(True)  # before emitting, so a second Enter queued behind this one is ignored
        self._sent = (self.phone.text(), self.code.text())
        self.send_requested.emit(phone, code)

    def on_validity_changed(self, *_args: object) -> None:
        self._update_send_button()

    def _cancel_pending_by_escape(self) -> bool:
        """Esc in a field cancels a pending send first (and then, pressed again, empties the field)."""
        if self.cancel_pending():
            self.pending_cancelled.emit()
            return True
        return False

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
        if self._ready and not self.phone.checking:
            self.send_button.setEnabled(self.is_ready())
        else:  # Send is taken before ready (and acted on then) once there is something to send
            self.send_button.setEnabled(not self._busy and bool(self.phone.text().strip())
                                        and self.code.value is not None)
