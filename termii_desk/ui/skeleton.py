"""The window's first frame: the outline of the account strip, the form and the history, drawn in faint lines.

Building the real widgets (their modules, fonts, styles and texts) takes longer than showing an empty window,
so at start ``SkeletonPainter`` paints this outline on the window, and ``MainWindow.build_content()`` makes the
widgets right after that first paint (the form is disabled until the core has loaded anyway) and removes the
painter, so later paints of the window run no Python. What the outline may use is narrow, each measured: no
child widget (the first one starts the accessibility bridge's D-Bus connection, ~7 ms), no font or text, and
no call that could take a colour or brush (``setPen``, ``setBrush``, ``fillRect``): picking among those
overloads creates every enum of ``PySide6.QtCore.Qt``, ~25 ms. So: the painter's default pen (the palette's
text colour), faint.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QWidget

MARGIN = 12
# (left, top, width, height) of the window's parts as MainWindow lays them out, below where its menu bar will
# be; a width or height <= 0 means "up to the right (bottom) margin, less that much"; a negative left counts
# from the right margin. An impression of the layout: it is on screen for a few frames.
BLOCKS = (
    (MARGIN, 30, 0, 36),  # account strip
    (MARGIN, 80, 100, 14), (134, 76, 0, 24),  # phone label and field
    (MARGIN, 126, 60, 14), (134, 122, -84, 24), (-80, 122, 0, 24),  # code label, field and Generate
    (134, 170, 104, 24),  # Send call
    (MARGIN, 210, 0, 0),  # outcome and history: the rest of the window
)
OPACITY = 0.2


def skeleton_rects(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """``BLOCKS`` placed in a window of this size, as (x, y, width, height)."""
    rects = []
    for left, top, w, h in BLOCKS:
        x = left if left >= 0 else width - MARGIN + left
        right = width - MARGIN + min(w, 0)
        rects.append((x, top, w if w > 0 else right - x, h if h > 0 else height - MARGIN + h - top))
    return rects


class SkeletonPainter(QObject):
    """Paints the outline on ``window`` at each of its paint events, until ``remove()``."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Paint:
            painter = QPainter(self._window)  # allowed: this is the window's paint event, before its own handler
            painter.setOpacity(OPACITY)
            for x, y, w, h in skeleton_rects(self._window.width(), self._window.height()):
                if w > 0 and h > 0:
                    painter.drawRect(x, y, w - 1, h - 1)
            painter.end()
        return False

    def remove(self) -> None:
        self._window.removeEventFilter(self)
        self.deleteLater()
