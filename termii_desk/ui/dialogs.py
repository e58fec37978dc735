"""Small dialogs: the cooldown question before calling a number again, and the unexpected-error notice.

``CooldownDialog.ask`` is the one place the window asks; tests monkeypatch it instead of clicking.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

if TYPE_CHECKING:
    from datetime import datetime
    from types import TracebackType

# ExceptionHook is installed before the window's first paint: what it needs only to report an error (traceback,
# PySide6.QtCore.Qt, whose enums take ~20 ms to create) and what only the cooldown dialog needs are imported on use.
log = logging.getLogger(__name__)


def _ago(when: datetime, now: datetime | None = None) -> str:
    from datetime import datetime, timezone

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


class ExceptionHook:
    """``sys.excepthook`` for the window: log the error (redacted by the log filter), show a short dialog.

    The app keeps running. ``on_error`` callbacks (e.g. the self-test) are told about each error.
    """

    def __init__(self, parent: Callable[[], QWidget | None] = lambda: None) -> None:
        self._parent = parent
        self._previous: Callable[..., object] | None = None
        self._dialog: QMessageBox | None = None
        self.on_error: list[Callable[[BaseException], None]] = []
        self.count = 0

    def install(self) -> None:
        self._previous = sys.excepthook
        sys.excepthook = self

    def uninstall(self) -> None:
        if sys.excepthook is self and self._previous is not None:
            sys.excepthook = self._previous

    def __call__(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        import traceback

        from PySide6.QtCore import Qt

        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        self.count += 1
        log.error("Unexpected error: %s", "".join(traceback.format_exception(kind, error, tb)).rstrip())
        for callback in list(self.on_error):
            callback(error)
        if QApplication.instance() is None:
            return
        if self._dialog is not None and self._dialog.isVisible():
            return  # one dialog at a time: a burst of errors is one notice, all of them logged
        dialog = QMessageBox(self._parent())
        dialog.setIcon(QMessageBox.Icon.Warning)
        dialog.setWindowTitle("Something went wrong")
        dialog.setText("Termii Desk hit an unexpected error. It keeps running; what you were doing may not have "
                       "finished.")
        dialog.setInformativeText(
            "The details are in the log file. If a call was being sent, check the history before sending again."
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self._dialog = dialog
        dialog.finished.connect(self._forget_dialog)
        dialog.open()

    def _forget_dialog(self, _result: int = 0) -> None:
        self._dialog = None

    @property
    def dialog(self) -> QMessageBox | None:
        return self._dialog
