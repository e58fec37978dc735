"""Status colours that follow the system palette: readable on light and dark themes alike.

Qt's palette has no role for "error" or "success", so these are picked per palette: darker shades on a
light window, lighter ones on a dark window. Widgets re-pick them when the palette changes.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QWidget


class Tone(Enum):
    """What a line of status text means, which decides its colour and the mark before it."""

    PLAIN = "plain"  # ordinary text: the palette's text colour
    NEUTRAL = "neutral"  # hints: the palette's placeholder colour
    GOOD = "good"
    WARNING = "warning"
    BAD = "bad"


# (on a light window, on a dark window)
_SHADES = {
    Tone.GOOD: ("#1b7a36", "#69db7c"),
    Tone.WARNING: ("#a15c00", "#ffc56b"),
    Tone.BAD: ("#b3261e", "#ff8a80"),
}

_RECOLOUR_EVENTS = (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange, QEvent.Type.ParentChange)

MARKS = {Tone.PLAIN: "", Tone.NEUTRAL: "", Tone.GOOD: "✓ ", Tone.WARNING: "⚠ ", Tone.BAD: "✕ "}


def announce(source: QWidget, text: str, *, assertive: bool = False) -> None:
    """Tell screen readers ``text`` now, about ``source``: what changed without the agent asking. ``assertive``:
    said at once, not after other speech (unknown, refused, failed).

    QAccessible is imported here, on the first announcement: PySide6 builds its enums when a module imports
    it, a few ms that start-up does without.
    """
    from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent

    event = QAccessibleAnnouncementEvent(source, text)
    if assertive:
        event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
    QAccessible.updateAccessibility(event)


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def tone_color(palette: QPalette, tone: Tone) -> QColor:
    # The Active group's colours: a label recoloured while its window is in the background would otherwise take
    # the Inactive group's (dim grey under some dark themes) and keep them once the window is active again.
    if tone is Tone.PLAIN:
        return palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText)
    if tone is Tone.NEUTRAL:
        return palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.PlaceholderText)
    light, dark = _SHADES[tone]
    return QColor(dark if is_dark(palette) else light)


class ToneLabel(QLabel):
    """A word-wrapped label whose text colour follows its tone and the current palette.

    Its text is what screen readers read as its name; with a ``caption`` the name is "caption: text" (a fixed
    name would hide the text: "Balance" instead of "Balance: 4,997.50 NGN").
    """

    def __init__(self, text: str = "", parent: QWidget | None = None, *, tone: Tone = Tone.NEUTRAL,
                 caption: str = "") -> None:
        from PySide6.QtCore import Qt  # not at import: the form's first frame is built without Qt's enums

        super().__init__(text, parent)
        self._tone = tone
        self._caption = caption
        self._applying = False
        self.setWordWrap(True)
        if caption:
            self.setAccessibleName(f"{caption}: {text}" if text else caption)
        # Plain text: these labels show Termii's words and balances, which must never be read as markup.
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._apply_tone()

    @property
    def tone(self) -> Tone:
        return self._tone

    def set_tone(self, tone: Tone) -> None:
        if tone is not self._tone:
            self._tone = tone
            self._apply_tone()

    def show_text(self, text: str, tone: Tone) -> None:
        self.set_tone(tone)
        self.setText(text)

    def setText(self, text: str) -> None:
        super().setText(text)
        if self._caption:
            self.setAccessibleName(f"{self._caption}: {text}" if text else self._caption)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in _RECOLOUR_EVENTS and not self._applying:
            self._apply_tone()
        super().changeEvent(event)

    def _apply_tone(self) -> None:
        self._applying = True
        try:
            palette = self.palette()
            palette.setColor(QPalette.ColorRole.WindowText, tone_color(self._base_palette(), self._tone))
            self.setPalette(palette)
        finally:
            self._applying = False

    def _base_palette(self) -> QPalette:
        parent = self.parentWidget()
        return parent.palette() if parent is not None else self.palette()
