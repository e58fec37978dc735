"""Notices shown once at the top of the window: ignored settings, a history file moved aside, no log file.

Each notice is a sentence from core; the agent dismisses it with its close button.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QToolButton, QVBoxLayout, QWidget

from termii_desk.ui.tones import MARKS, Tone, ToneLabel


class _Notice(QFrame):
    """One sentence with a close button."""

    dismissed = Signal()

    def __init__(self, text: str, tone: Tone, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = ToneLabel(MARKS[tone] + text, self, tone=tone)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.setAccessibleName("Dismiss notice")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        close.clicked.connect(self.dismissed)


class RetentionQuestion(QFrame):
    """Asked once: how long history is kept. Until it is answered, no face deletes any history.

    Signals:
        answered(int, bool): (days to keep, keep everything instead).
    """

    answered = Signal(int, bool)

    def __init__(self, days: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("History retention question")
        text = (f"Termii Desk can delete calls older than {days:,} days from this computer's history each time "
                "it starts (the command line too). Keep them all instead? You can change it in Settings.")
        self.label = ToneLabel(MARKS[Tone.NEUTRAL] + text, self, tone=Tone.NEUTRAL)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.keep_days_button = QPushButton(f"Delete after {days:,} days", self)
        self.keep_all_button = QPushButton("Keep everything", self)
        for button in (self.keep_days_button, self.keep_all_button):
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # never takes the focus from the form by a click
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.keep_days_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.keep_all_button, 0, Qt.AlignmentFlag.AlignTop)
        self.keep_days_button.clicked.connect(lambda: self._answer(days, False))
        self.keep_all_button.clicked.connect(lambda: self._answer(days, True))

    def _answer(self, days: int, keep_all: bool) -> None:
        self.hide()
        self.answered.emit(days, keep_all)
        self.deleteLater()


class NoticeBar(QWidget):
    """A stack of dismissable notices; hidden when empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._notices: list[_Notice] = []
        self.hide()

    def texts(self) -> list[str]:
        return [notice.label.text() for notice in self._notices]

    def add(self, text: str, tone: Tone = Tone.WARNING) -> None:
        if any(existing.endswith(text) for existing in self.texts()):
            return
        notice = _Notice(text, tone, self)
        notice.dismissed.connect(lambda: self._dismiss(notice))
        self._layout.addWidget(notice)
        self._notices.append(notice)
        notice.show()
        self.show()

    def add_question(self, question: RetentionQuestion) -> None:
        """A notice with its own buttons (``RetentionQuestion``); it goes away when it emits ``answered``."""
        self._layout.insertWidget(0, question)
        question.answered.connect(lambda *_answer: self.setVisible(bool(self._notices)))
        question.show()
        self.show()

    def _dismiss(self, notice: _Notice) -> None:
        self._notices.remove(notice)
        notice.hide()
        self._layout.removeWidget(notice)
        notice.deleteLater()
        if not self.texts():
            self.hide()
