"""The unexpected-error notice: ``sys.excepthook`` and ``threading.excepthook`` for the window.

Installed before the window's first paint, so it imports what it needs to report an error (traceback, the
message box, ``PySide6.QtCore.Qt``, whose enums alone take ~20 ms to create) only when there is one. An error on
another thread (a Python thread's, or a Qt callback's on a worker) is logged there and told on the GUI thread:
widgets, and Qt's classes, are made only there (see app.py).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from types import TracebackType

    from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger(__name__)

NOTICE = ("Termii Desk hit an unexpected error and keeps running; what you were doing may not have finished. "
          "If a call was being sent, check the history before sending again. The details are in the log file.")


class ExceptionHook(QObject):
    """``sys.excepthook`` for the window: log the error (redacted by the log filter), tell the agent.

    The app keeps running. With ``notify`` (the window's non-modal notices) the agent is told there, so an error
    (at start-up, say) never takes the focus or a keystroke; without it, in a short dialog. ``on_error``
    callbacks (e.g. the self-test) are told about each error, on the GUI thread. Made on the GUI thread.
    """

    # An error seen on another thread, told on this one (a queued connection: the hook lives here).
    _seen_elsewhere = Signal(object)

    def __init__(
        self, parent: Callable[[], QWidget | None] = lambda: None, *, notify: Callable[[str], None] | None = None
    ) -> None:
        super().__init__()
        self._parent = parent
        self._notify = notify
        self._previous: Callable[..., object] | None = None
        self._previous_thread_hook: Callable[[threading.ExceptHookArgs], object] | None = None
        self._dialog: QMessageBox | None = None
        self._thread = threading.current_thread()
        self.on_error: list[Callable[[BaseException], None]] = []
        self.count = 0
        self._seen_elsewhere.connect(self._tell)

    def install(self) -> None:
        self._previous, self._previous_thread_hook = sys.excepthook, threading.excepthook
        sys.excepthook = self
        threading.excepthook = self._thread_hook

    def uninstall(self) -> None:
        if sys.excepthook is self and self._previous is not None:
            sys.excepthook = self._previous
        if threading.excepthook == self._thread_hook and self._previous_thread_hook is not None:
            threading.excepthook = self._previous_thread_hook

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        """An exception a Python thread did not catch (the default only prints it)."""
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        self(args.exc_type, args.exc_value, args.exc_traceback)

    def __call__(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        import traceback

        here = threading.current_thread() is self._thread
        if issubclass(kind, KeyboardInterrupt) and here:
            QApplication.quit()
            return
        self.count += 1
        log.error("Unexpected error: %s", "".join(traceback.format_exception(kind, error, tb)).rstrip())
        if here:
            self._tell(error)
        else:
            self._seen_elsewhere.emit(error)

    @Slot(object)
    def _tell(self, error: BaseException) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox

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
