"""The send form: phone, code, Send, and the busy indicator while a call is in flight.

The form only asks for a send (``send_requested``); the window decides what happens. While busy, Send is
disabled and Enter is ignored, so a double click or a repeated Enter asks exactly once.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from termii_desk.ui.fields import CodeField, PhoneField


class SendForm(QWidget):
    """Phone and code with their live lines, the Send button and a busy bar.

    Signals:
        send_requested(object, object): the agent asked to send: (``PhoneNumber``, ``Code``), both valid.
    """

    send_requested = Signal(object, object)

    def __init__(self, parent: QWidget | None = None, *, default_region: str = "NG") -> None:
        super().__init__(parent)
        self._busy = False

        self.phone = PhoneField(self, default_region=default_region)
        self.code = CodeField(self)
        phone_label = QLabel("Customer's &phone", self)
        phone_label.setBuddy(self.phone.edit)
        code_label = QLabel("&Code", self)
        code_label.setBuddy(self.code.edit)

        self.send_button = QPushButton("&Send call", self)
        self.send_button.setAccessibleName("Send the code as a voice call")
        self.send_button.setToolTip("Ask Termii to call the number and read out the code (Enter)")
        self.send_button.setEnabled(False)
        self.send_button.setMinimumWidth(self.send_button.sizeHint().width() + 24)
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

    # -- state ------------------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._busy

    def is_ready(self) -> bool:
        """Both values valid and no call in flight: Send would send."""
        return not self._busy and self.phone.value is not None and self.code.value is not None

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.busy_bar.setVisible(busy)
        self.code.generate_button.setEnabled(not busy)
        self._update_send_button()

    def clear(self) -> None:
        """Esc: both fields empty, focus on the phone."""
        self.phone.clear()
        self.code.clear()
        self.phone.edit.setFocus()

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
        self.set_busy(True)  # before emitting, so a second Enter queued behind this one is ignored
        self.send_requested.emit(phone, code)

    @Slot(bool)
    def on_validity_changed(self, _valid: bool) -> None:
        self._update_send_button()

    def _update_send_button(self) -> None:
        self.send_button.setEnabled(self.is_ready())
