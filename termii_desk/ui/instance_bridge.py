"""The running desk's side of single-instance: a later start's request brings this window to the front.

``core.instance.Primary`` takes requests on its listener thread; ``InstanceBridge`` carries each to the GUI
thread (a queued signal) and there raises, un-minimises and activates the window, and shows the request's note
(options that a running desk does not take) as a non-modal notice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot

from termii_desk.ui.main_window import NOTICE_SECOND_START

if TYPE_CHECKING:
    from termii_desk.core.instance import Primary
    from termii_desk.ui.main_window import MainWindow

log = logging.getLogger(__name__)


class InstanceBridge(QObject):
    """Owned by the window; ``close()`` (or the window's deletion) stops the requests reaching it."""

    requested = Signal(object)  # emitted on the listener thread; delivered, queued, on the GUI thread

    def __init__(self, window: MainWindow, primary: Primary) -> None:
        super().__init__(window)
        self._window = window
        self._primary = primary
        self.handled = 0
        self.requested.connect(self.on_requested)
        primary.on_request(self.requested.emit)

    def close(self) -> None:
        self._primary.on_request(None)

    @Slot(object)
    def on_requested(self, request: dict[str, Any]) -> None:
        window = self._window
        log.info("another start of the desk asked for its window: brought to the front")
        bring_to_front(window)
        note = request.get("note") or ""
        if note:
            # Kept until the notice bar exists, when the widgets are still being built; the latest replaces the last.
            window.add_notice(note, kind=NOTICE_SECOND_START)
        self.handled += 1


def bring_to_front(window: MainWindow) -> None:
    """Show the window as the agent left it, un-minimised, above the others, with the keyboard focus."""
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()
