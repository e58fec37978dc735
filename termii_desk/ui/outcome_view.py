"""The inline outcome of the last send: what happened, in a sentence the agent can act on.

Success shows the message id and the new balance; a failure shows the core's sentence; an unknown outcome
says plainly that the call may have been placed. Nothing here parses HTTP: it shows ``CallAttempt`` values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from termii_desk.core.errors import Outcome
from termii_desk.ui.tones import MARKS, Tone, ToneLabel

if TYPE_CHECKING:
    from termii_desk.core.desk import CallAttempt

HEADLINES = {
    Outcome.SENT: "Call placed",
    Outcome.REJECTED: "Not sent: Termii refused the request",
    Outcome.FAILED: "Not sent",
    Outcome.UNKNOWN: "Outcome unknown: the call may have been placed",
}
TONES = {Outcome.SENT: Tone.GOOD, Outcome.REJECTED: Tone.BAD, Outcome.FAILED: Tone.BAD, Outcome.UNKNOWN: Tone.WARNING}


class OutcomeView(QFrame):
    """A headline in the outcome's colour and the details under it (selectable, to copy a message id)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Outcome of the last call")
        self.headline = ToneLabel("", self)
        font = self.headline.font()
        font.setBold(True)
        self.headline.setFont(font)
        self.headline.setAccessibleName("Outcome")
        self.details = QLabel("", self)
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAccessibleName("Outcome details")
        # Room for the longest outcome (id, balance, a history problem): the layout below never jumps.
        self.details.setMinimumHeight(self.details.fontMetrics().lineSpacing() * 3)
        self.details.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(4)
        layout.addWidget(self.headline)
        layout.addWidget(self.details)
        self.clear()

    @property
    def text(self) -> str:
        """Headline and details, as one string (what a screen reader would read)."""
        return f"{self.headline.text()}\n{self.details.text()}".strip()

    def clear(self) -> None:
        self.show_message("Ready", "Type the customer's number and the code, then press Enter.", Tone.NEUTRAL)

    def show_message(self, headline: str, details: str, tone: Tone) -> None:
        self.headline.show_text(MARKS[tone] + headline, tone)
        self.details.setText(details)

    def show_sending(self, phone_display: str) -> None:
        self.show_message(f"Calling {phone_display}…", "Waiting for Termii to answer. You can keep working.",
                          Tone.PLAIN)

    def show_attempt(self, attempt: CallAttempt, balance_text: str | None) -> None:
        lines: list[str] = []
        if attempt.outcome is Outcome.SENT and attempt.result is not None:
            lines.append(f"Called {attempt.phone.display} with code {attempt.code_masked}.")
            lines.append(f"Message id: {attempt.result.message_id or '(Termii sent none)'}")
            if balance_text:
                lines.append(f"Balance now: {balance_text}")
        else:
            lines.append(attempt.message)
        if attempt.history_problem:
            lines.append(attempt.history_problem)
        self.show_message(HEADLINES[attempt.outcome], "\n".join(lines), TONES[attempt.outcome])

    def show_failure(self, sentence: str) -> None:
        """Nothing was attempted (no key, bad setting, no keyring): the core's sentence."""
        self.show_message(HEADLINES[Outcome.FAILED], sentence, Tone.BAD)
