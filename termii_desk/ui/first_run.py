"""The first-run page, shown instead of the form while no API key is set.

It says what is missing, leads to Settings, and mentions demo mode for anyone just looking around.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from termii_desk.ui.tones import MARKS, Tone, ToneLabel

WELCOME = "Welcome to Termii Desk"
INVITATION = (
    "To send one-time codes as voice calls, add your Termii API key. You find it on your Termii dashboard; "
    "it is kept in the system keyring, never in a file."
)
DEMO_HINT = (
    "Just looking around? Start <code>termii-desk --demo</code> to try the whole flow against a built-in "
    "simulator: no account needed, and nobody is called."
)


class FirstRunPage(QWidget):
    """An inviting empty state with one clear action.

    Signals:
        settings_requested(): the agent pressed "Add API key…".
    """

    settings_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("First run")
        title = QLabel(WELCOME, self)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        title.setFont(font)
        self.invitation = QLabel(INVITATION, self)
        self.invitation.setWordWrap(True)
        self.problem = ToneLabel("", self, tone=Tone.WARNING)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.hide()
        self.settings_button = QPushButton("Add API &key…", self)
        self.settings_button.setDefault(True)
        self.settings_button.setAccessibleName("Open Settings to add the API key")
        self.settings_button.setToolTip("Open Settings (Ctrl+,)")
        self.demo_hint = ToneLabel(DEMO_HINT, self)
        self.demo_hint.setTextFormat(Qt.TextFormat.RichText)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 12, 4, 12)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(self.invitation)
        layout.addWidget(self.problem)
        layout.addWidget(self.settings_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addSpacing(6)
        layout.addWidget(self.demo_hint)
        layout.addStretch(1)

        self.settings_button.clicked.connect(self.settings_requested)

    def set_problem(self, sentence: str) -> None:
        """Why no key can be read (no keyring, keyring locked); "" hides the line."""
        self.problem.setText(MARKS[Tone.WARNING] + sentence if sentence else "")
        self.problem.setVisible(bool(sentence))

    def text(self) -> str:
        return "\n".join(label.text() for label in self.findChildren(QLabel) if label.isVisibleTo(self))
