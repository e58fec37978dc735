"""The questions the window asks: calling a number again within the cooldown, closing during a call.

Each has an ``ask`` classmethod, the one place the window asks; tests monkeypatch it instead of clicking
(the unexpected-error notice is ui/error_hook.py).
"""

from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtWidgets import QMessageBox, QWidget


def _ago(when: datetime, now: datetime | None = None) -> str:
    seconds = max(0, int(((now or datetime.now(timezone.utc)) - when).total_seconds()))
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''} ago"
    minutes = seconds // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''} ago"


class CooldownDialog(QMessageBox):
    """"This number was called N seconds ago: call it again?" Default answer: no."""

    def __init__(self, parent: QWidget | None, phone_display: str, last: datetime) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Question)
        self.setWindowTitle("Call this number again?")
        self.setText(f"{phone_display} was called {_ago(last)}.")
        self.setInformativeText(
            "The customer may still be receiving that call. Calling again costs another call and may confuse "
            "them. Send anyway?"
        )
        self.call_button = self.addButton("Call again", QMessageBox.ButtonRole.AcceptRole)
        self.cancel_button = self.addButton("Don't send", QMessageBox.ButtonRole.RejectRole)
        self.setDefaultButton(self.cancel_button)
        self.setEscapeButton(self.cancel_button)

    @classmethod
    def ask(cls, parent: QWidget | None, phone_display: str, last: datetime) -> bool:
        """True when the agent confirms calling again."""
        dialog = cls(parent, phone_display, last)
        dialog.exec()
        return dialog.clickedButton() is dialog.call_button


class CloseDuringCallDialog(QMessageBox):
    """"1 call is waiting for Termii's answer: Wait / Close anyway". Default answer: wait."""

    def __init__(self, parent: QWidget | None, calls: int) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle("A call is waiting for Termii")
        waiting = "1 call is" if calls == 1 else f"{calls} calls are"
        self.setText(f"{waiting} waiting for Termii's answer.")
        self.setInformativeText(
            "Wait to see the answer. If you close anyway, history records the call as unknown (it may have "
            "been placed): check before sending again."
        )
        # Alt+W, Alt+A: never Alt+C, the code field's key an agent's hands know (Enter and Esc wait).
        self.wait_button = self.addButton("&Wait", QMessageBox.ButtonRole.RejectRole)
        self.close_button = self.addButton("Close &anyway", QMessageBox.ButtonRole.DestructiveRole)
        self.setDefaultButton(self.wait_button)
        self.setEscapeButton(self.wait_button)

    @classmethod
    def ask(cls, parent: QWidget | None, calls: int) -> bool:
        """True when the agent chooses to close anyway."""
        dialog = cls(parent, calls)
        dialog.exec()
        return dialog.clickedButton() is dialog.close_button
