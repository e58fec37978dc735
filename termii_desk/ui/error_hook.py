"""The unexpected-error notice: ``sys.excepthook`` for the window.

Installed before the window's first paint, so it imports what it needs to report an error (traceback, the
message box, ``PySide6.QtCore.Qt``, whose enums alone take ~20 ms to create) only when there is one.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from types import TracebackType

    from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger(__name__)

NOTICE = ("Termii Desk hit an unexpected error and keeps running; what you were doing may not have finished. "
          "If a call was being sent, check the history before sending again. The details are in the log file.")


class ExceptionHook:
    """``sys.excepthook`` for the window: log the error (redacted by the log filter), tell the agent.

    The app keeps running. With ``notify`` (the window's non-modal notices) the agent is told there, so an error
    (at start-up, say) never takes the focus or a keystroke; without it, in a short dialog. ``on_error``
    callbacks (e.g. the self-test) are told about each error.
    """

    def __init__(
        self, parent: Callable[[], QWidget | None] = lambda: None, *, notify: Callable[[str], None] | None = None
    ) -> None:
        self._parent = parent
        self._notify = notify
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
        from PySide6.QtWidgets import QMessageBox

        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        self.count += 1
        log.error("Unexpected error: %s", "".join(traceback.format_exception(kind, error, tb)).rstrip())
        for callback in list(self.on_error):
            callback(error)
        if QApplication.instance() is None:
            return
        if self._notify is not None:
            self._notify(NOTICE)
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
