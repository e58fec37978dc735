"""The line that stays above the history while a team's shared history cannot be used, with the calls waiting."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from termii_desk.ui.tones import Tone, ToneLabel


class TeamStatus(ToneLabel):
    """"Shared history unreachable: N calls waiting. <why>"; hidden while the shared history works."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent, tone=Tone.WARNING)
        self.setObjectName("team_status")
        self.setAccessibleName("Shared history status")
        self.hide()

    def show_state(self, text: str) -> None:
        """``text`` from the controller's ``team_state``: "" when all is well."""
        self.setText(text)
        self.setAccessibleDescription(text)
        self.setVisible(bool(text))
