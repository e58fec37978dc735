"""The window's first frame: the outline of the account strip, the form and the history, drawn in faint lines.

Building the real widgets (their modules, fonts, styles and texts) takes longer than showing an empty window,
so at start the window paints this outline itself, and ``MainWindow.build_content()`` makes the widgets right
after that first paint (the form is disabled until the core has loaded anyway). What the outline may use is
narrow, each measured: no child widget (the first one starts the accessibility bridge's D-Bus connection, ~7 ms),
no font or text, and no call that could take a colour or brush (``setPen``, ``setBrush``, ``fillRect``): picking
among those overloads creates every enum of ``PySide6.QtCore.Qt``, ~25 ms. So: the painter's default pen (the
palette's text colour), faint.
"""

from __future__ import annotations

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


def paint_skeleton(widget: QWidget) -> None:
    """Draw the outline on ``widget``; call from its ``paintEvent``."""
    painter = QPainter(widget)
    painter.setOpacity(OPACITY)
    for x, y, w, h in skeleton_rects(widget.width(), widget.height()):
        if w > 0 and h > 0:
            painter.drawRect(x, y, w - 1, h - 1)
    painter.end()
