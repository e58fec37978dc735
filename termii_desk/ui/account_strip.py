"""The account strip at the top of the window: account, balance, when it was checked, and Refresh.

It only displays values; fetching the balance is the window's job (through the worker layer).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from termii_desk.core.results import Balance
from termii_desk.ui.tones import MARKS, Tone, ToneLabel


class AccountStrip(QFrame):
    """Account name, balance with currency (warning colour when low), last update, Refresh.

    Signals:
        refresh_requested(): the agent pressed Refresh.
    """

    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None, *, demo: bool = False) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Account")

        self.demo_badge = ToneLabel("DEMO · simulated calls", self, tone=Tone.WARNING)
        badge_font = self.demo_badge.font()
        badge_font.setBold(True)
        self.demo_badge.setFont(badge_font)
        self.demo_badge.setWordWrap(False)
        self.demo_badge.setToolTip("Demo mode: calls go to the built-in simulator, nobody is called.")
        self.demo_badge.setVisible(demo)

        self.account_label = QLabel("", self)
        self.account_label.setAccessibleName("Account name")
        self.account_label.setTextFormat(Qt.TextFormat.PlainText)
        self.balance_caption = ToneLabel("Balance", self)
        self.balance_caption.setWordWrap(False)
        self.balance_label = ToneLabel("", self)
        self.balance_label.setWordWrap(False)
        self.balance_label.setAccessibleName("Balance")
        balance_font = self.balance_label.font()
        balance_font.setBold(True)
        self.balance_label.setFont(balance_font)
        self.updated_label = ToneLabel("", self)
        self.updated_label.setAccessibleName("Balance last updated")
        self.refresh_button = QPushButton("&Refresh", self)
        self.refresh_button.setAccessibleName("Refresh the balance")
        self.refresh_button.setToolTip("Check the balance again (Ctrl+R)")
        self.refresh_button.setEnabled(False)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 8, 6)
        layout.setSpacing(14)
        layout.addWidget(self.demo_badge)
        layout.addWidget(self.account_label)
        layout.addSpacing(6)
        layout.addWidget(self.balance_caption)
        layout.addSpacing(-8)
        layout.addWidget(self.balance_label)
        layout.addWidget(self.updated_label, 1)
        layout.addWidget(self.refresh_button)

        self.refresh_button.clicked.connect(self.refresh_requested)
        self.show_no_account("Opening…")

    @property
    def balance_text(self) -> str:
        return self.balance_label.text()

    def show_no_account(self, text: str) -> None:
        self.account_label.setText(text)
        self.balance_label.setText("")
        self.balance_caption.hide()
        self.updated_label.setText("")
        self.refresh_button.setEnabled(False)

    def set_loading(self, loading: bool) -> None:
        self.refresh_button.setEnabled(not loading)
        if loading:
            self.updated_label.show_text("Checking the balance…", Tone.NEUTRAL)

    def set_refresh_enabled(self, enabled: bool) -> None:
        self.refresh_button.setEnabled(enabled)

    def show_balance(
        self, balance: Balance | None, currency: str | None, user: str | None, *, threshold: float, when: datetime
    ) -> None:
        if user:
            shown = _fit(self.account_label, user, ACCOUNT_WIDTH)
            self.account_label.setText(shown)
            self.account_label.setToolTip(user if shown != user else "")
        elif not self.account_label.text() or self.account_label.text() == "Opening…":
            self.account_label.setText("Termii account")
        self.balance_caption.show()
        if balance is None:
            self.balance_label.show_text("not given", Tone.NEUTRAL)
        else:
            low = balance.amount is not None and balance.amount < Decimal(str(threshold))
            full = balance.display(currency or "")
            text = _fit(self.balance_label, full, BALANCE_WIDTH)
            self.balance_label.show_text(MARKS[Tone.WARNING] + text + " (low)" if low else text,
                                         Tone.WARNING if low else Tone.PLAIN)
            tips = (full if text != full else "", f"Below {threshold:g}: top up soon." if low else "")
            self.balance_label.setToolTip("\n".join(tip for tip in tips if tip))
        self.updated_label.show_text(f"Updated {when.strftime('%H:%M:%S')}", Tone.NEUTRAL)
        self.refresh_button.setEnabled(True)

    def show_problem(self, sentence: str) -> None:
        """The balance could not be checked; the last known balance (if any) stays, marked as old."""
        self.updated_label.show_text(MARKS[Tone.BAD] + sentence, Tone.BAD)
        self.updated_label.setToolTip(sentence)
        self.refresh_button.setEnabled(True)

    @property
    def is_low(self) -> bool:
        return self.balance_label.tone is Tone.WARNING


ACCOUNT_WIDTH = 240  # pixels: a server's account name or balance longer than this is elided, whole in the tooltip
BALANCE_WIDTH = 220


def _fit(label: QLabel, text: str, pixels: int) -> str:
    return label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, pixels)
