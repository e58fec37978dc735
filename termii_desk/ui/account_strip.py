"""The account strip at the top of the window: profile, account, balance, calls left, trend, and Refresh.

It only displays values and says what the agent asked for; fetching and switching are the controller's job.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QIcon,
    QPainter,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from termii_desk.core.results import Balance
from termii_desk.ui.tones import MARKS, Tone, ToneLabel, announce
from termii_desk.ui.trend import BalanceTrend, change_text

if TYPE_CHECKING:
    from termii_desk.core.estimate import CostEstimate, Trend
    from termii_desk.core.profiles import Profile


def profile_icon(colour: str, size: int = 12) -> QIcon:
    """A square of the profile's colour: the switcher's items and the strip's mark."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawRoundedRect(0, 0, size, size, 3, 3)
    painter.end()
    return QIcon(pixmap)


class AccountStrip(QFrame):
    """Account name, balance with currency (warning colour when low), last update, Refresh.

    Signals:
        refresh_requested(): the agent pressed Refresh.
        profile_requested(str): the agent chose another profile in the switcher (the strip shows the one in use
            until ``show_profiles`` is called again).
    """

    refresh_requested = Signal()
    profile_requested = Signal(str)

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

        self.profile_combo = QComboBox(self)
        self.profile_combo.setAccessibleName("Profile")
        self.profile_combo.setToolTip("The Termii account this window sends with")
        self.profile_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.profile_combo.hide()  # until the profiles are known; never in demo mode
        # A bar of the profile's colour down the strip's left edge: which account is in use, at a glance.
        self.profile_mark = QFrame(self)
        self.profile_mark.setFixedWidth(5)
        self.profile_mark.setAutoFillBackground(True)
        self.profile_mark.hide()
        self._current_profile = ""

        self.account_label = QLabel("", self)
        self.account_label.setTextFormat(Qt.TextFormat.PlainText)
        self.balance_caption = ToneLabel("Balance", self)
        self.balance_caption.setWordWrap(False)
        self.balance_label = ToneLabel("", self, caption="Balance")
        self.balance_label.setWordWrap(False)
        balance_font = self.balance_label.font()
        balance_font.setBold(True)
        self.balance_label.setFont(balance_font)
        self.calls_left_label = ToneLabel("", self)
        self.calls_left_label.setWordWrap(False)
        self.calls_left_label.setAccessibleName("Calls left")
        self.calls_left_label.hide()
        self.trend = BalanceTrend(self)
        self.trend.hide()
        self.trend_change_label = ToneLabel("", self, tone=Tone.NEUTRAL)
        self.trend_change_label.setWordWrap(False)
        self.trend_change_label.setAccessibleName("Balance change today")
        self.trend_change_label.hide()
        # What history adds (calls left, the trend and today's change) never makes the window wider: on a
        # narrow window today's change goes first, then the trend, then calls left (``_fit_optional``).
        self._wanted: dict[QWidget, bool] = {self.calls_left_label: False, self.trend: False,
                                             self.trend_change_label: False}
        self._checked_at = ""  # "Updated HH:MM:SS": given way last, then in the balance's tooltip
        self._problem = ""  # the last failure's sentence, shown cut to the room there is
        self._balance: Balance | None = None
        self._stale = False
        self._when: datetime | None = None
        self._currency: str | None = None
        self._threshold = 0.0
        self._estimate: CostEstimate | None = None
        self.updated_label = ToneLabel("", self)
        # A long failure sentence is cut to the room there is (whole in the tooltip), never widening the window.
        self.updated_label.setMinimumWidth(self.updated_label.fontMetrics().horizontalAdvance("Updated 00:00:00 "))
        self.updated_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.updated_label.installEventFilter(self)
        self.refresh_button = QPushButton("&Refresh", self)
        self.refresh_button.setAccessibleName("Refresh the balance")
        self.refresh_button.setToolTip(REFRESH_TIP)
        self.refresh_button.setEnabled(False)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 8, 6)
        layout.setSpacing(14)
        layout.addWidget(self.profile_mark)
        layout.addSpacing(-8)
        layout.addWidget(self.demo_badge)
        layout.addWidget(self.profile_combo)
        layout.addWidget(self.account_label)
        layout.addSpacing(6)
        layout.addWidget(self.balance_caption)
        layout.addSpacing(-8)
        layout.addWidget(self.balance_label)
        layout.addWidget(self.calls_left_label)
        layout.addWidget(self.trend)
        layout.addSpacing(-8)
        layout.addWidget(self.trend_change_label)
        layout.addWidget(self.updated_label, 1)
        layout.addStretch(0)  # the spare room when the time gave way (while shown, the time or sentence has it)
        layout.addWidget(self.refresh_button)

        self.refresh_button.clicked.connect(self.refresh_requested)
        self.profile_combo.activated.connect(self.on_profile_activated)
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
            self.updated_label.setWordWrap(True)  # said while it lasts, whatever the width
            self.updated_label.show()
            self.updated_label.show_text("Checking the balance…", Tone.NEUTRAL)

    def set_refresh_enabled(self, enabled: bool) -> None:
        self.refresh_button.setEnabled(enabled)

    # -- profiles -------------------------------------------------------------------------------------

    def show_profiles(self, profiles: list[Profile], current: str) -> None:
        """The switcher: every profile (name and colour), ``current`` selected; the strip takes its colour."""
        with QSignalBlocker(self.profile_combo):
            self.profile_combo.clear()
            for profile in profiles:
                self.profile_combo.addItem(profile_icon(profile.colour), profile.name, profile.name)
            self.profile_combo.setCurrentIndex(max(0, self.profile_combo.findData(current)))
        self._current_profile = current
        colour = next((p.colour for p in profiles if p.name == current), None)
        self.profile_combo.setVisible(bool(profiles))
        self.profile_combo.setAccessibleDescription(f"Profile {current} in use")
        if colour:
            palette = self.profile_mark.palette()
            palette.setColor(self.profile_mark.backgroundRole(), QColor(colour))
            self.profile_mark.setPalette(palette)
        self.profile_mark.setVisible(bool(colour))

    def show_current_profile(self) -> None:
        """Put the switcher back on the profile in use (after a switch was refused)."""
        with QSignalBlocker(self.profile_combo):
            self.profile_combo.setCurrentIndex(max(0, self.profile_combo.findData(self._current_profile)))

    @Slot(int)
    def on_profile_activated(self, index: int) -> None:
        name = self.profile_combo.itemData(index)
        if isinstance(name, str) and name != self._current_profile:
            self.profile_requested.emit(name)

    # -- balance ----------------------------------------------------------------------------------------

    def show_outlook(self, estimate: CostEstimate | None, trend: Trend | None) -> None:
        """The cost estimate ("≈ N calls left", with its basis in the tooltip) and the 14-day trend."""
        self._estimate = estimate
        self.trend.set_trend(trend)
        shown = trend is not None and len(trend.points) >= 2
        change = change_text(trend)
        self.trend_change_label.setText(change)
        self._want(self.trend, shown)
        self._want(self.trend_change_label, shown and bool(change))
        if self._balance is not None or estimate is None:
            self._show_balance_text()

    def forget_balance(self) -> None:
        """Another profile: nothing of the previous account's balance stays on screen."""
        self._balance, self._estimate = None, None
        self.balance_label.setText("")
        self.balance_caption.hide()
        self.trend.set_trend(None)
        for optional in self._wanted:
            self._want(optional, False)
        self.updated_label.setText("")
        self.account_label.setText("")

    def calls_left(self) -> int | None:
        if self._estimate is None or self._balance is None:
            return None
        return self._estimate.calls_left(self._balance.amount)

    def show_balance(
        self, balance: Balance | None, currency: str | None, user: str | None, *, threshold: float, when: datetime
    ) -> None:
        self._balance, self._currency, self._threshold = balance, currency, threshold
        if user:
            shown = _fit(self.account_label, user, ACCOUNT_WIDTH)
            self.account_label.setText(shown)
            self.account_label.setToolTip(user if shown != user else "")
        elif not self.account_label.text() or self.account_label.text() == "Opening…":
            self.account_label.setText("Termii account")
        self.balance_caption.show()
        self._stale = False
        self._when = when
        self._set_balance_bold(True)
        self._show_balance_text()
        self.updated_label.setWordWrap(False)  # a time, never split over two lines
        self._checked_at = f"Updated {when.strftime('%H:%M:%S')}"
        self.updated_label.show_text(self._checked_at, Tone.NEUTRAL)
        self._show_balance_text()
        self.updated_label.setToolTip("")
        self.updated_label.setAccessibleDescription("")
        self.refresh_button.setEnabled(True)

    @property
    def stale(self) -> bool:
        """The balance shown is an old one: the last refresh failed."""
        return self._stale

    def _set_balance_bold(self, bold: bool) -> None:
        font = self.balance_label.font()
        font.setBold(bold)
        self.balance_label.setFont(font)

    def _show_balance_text(self) -> None:
        balance, currency, threshold = self._balance, self._currency, self._threshold
        if balance is None:
            if self.balance_caption.isVisible():
                self.balance_label.show_text("not given", Tone.NEUTRAL)
            self._want(self.calls_left_label, False)
            return
        left = self.calls_left()
        estimate = self._estimate
        low = balance.amount is not None and balance.amount < Decimal(str(threshold))
        full = balance.display(currency or "")
        text = _fit(self.balance_label, full, BALANCE_WIDTH)
        tips = [full if text != full else ""]
        if low:
            # The warning says how long the balance lasts when history can tell.
            warning = f" (low: ≈ {left:,} calls left)" if left is not None else " (low)"
            if not self.is_low:  # it just became low: screen readers are told, once
                calls = f", about {left:,} calls left" if left is not None else ""
                announce(self.balance_label, f"Balance low: {full}{calls}. Top up soon.")
            self.balance_label.show_text(MARKS[Tone.WARNING] + text + warning, Tone.WARNING)
            tips.append(f"Below {threshold:g}: top up soon.")
            if left is not None and estimate is not None:
                tips.append(estimate.basis())
        elif self._stale:
            when = f" as of {self._when.strftime('%H:%M')}" if self._when is not None else ""
            self.balance_label.show_text(f"{text} (old{when})", Tone.NEUTRAL)
            tips.append("The last refresh failed: this is the balance from before.")
        else:
            self.balance_label.show_text(text, Tone.PLAIN)
        self.balance_label.setToolTip("\n".join(tip for tip in tips if tip))
        if left is not None and estimate is not None and not low:
            self.calls_left_label.show_text(f"≈ {left:,} calls left", Tone.NEUTRAL)
            self.calls_left_label.setToolTip(estimate.basis())
            self._want(self.calls_left_label, True)
        else:
            self._want(self.calls_left_label, False)

    def _want(self, widget: QWidget, shown: bool) -> None:
        self._wanted[widget] = shown
        self._fit_optional()

    def _fit_optional(self) -> None:
        """Show the optional parts that are wanted and fit in the strip's width, most useful first."""
        layout = self.layout()
        if layout is None:
            return
        # A sentence (checking, a problem) is never given way; only the time of the last check is.
        time_only = not self.updated_label.wordWrap() and self.updated_label.tone is not Tone.BAD
        for widget in self._wanted:
            widget.hide()
        if time_only:
            self.updated_label.hide()
        spare = self.width() - layout.minimumSize().width()
        order = [self.calls_left_label, self.trend, self.trend_change_label]
        wanted = dict(self._wanted)
        if time_only:
            order.append(self.updated_label)
            wanted[self.updated_label] = bool(self.updated_label.text())
        for widget in order:
            need = widget.sizeHint().width() + layout.spacing()
            if wanted[widget] and (need <= spare or not self.isVisible()):
                widget.show()
                spare -= need
        # The time of the last check, when it had to give way, is on the Refresh button instead.
        hidden_time = time_only and self._checked_at and self.updated_label.isHidden()
        self.refresh_button.setToolTip(REFRESH_TIP + (f" ({self._checked_at})" if hidden_time else ""))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_optional()
        self._fit_problem()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # getattr: while the strip is being destroyed, events still reach this filter after its attributes went.
        if watched is getattr(self, "updated_label", None) and event.type() == QEvent.Type.Resize:
            self._fit_problem()  # the balance beside it got longer ("(old as of 14:05)"): less room
        return super().eventFilter(watched, event)

    def _fit_problem(self) -> None:
        """The problem sentence cut to the room its label has now, with an ellipsis (never cut mid-letter)."""
        label = self.updated_label
        if not self._problem or label.tone is not Tone.BAD or label.wordWrap():
            return
        room = label.contentsRect().width() if label.isVisible() and label.width() > 0 else 200
        label.show_text(_fit(label, self._problem, room), Tone.BAD)

    def show_problem(self, sentence: str) -> None:
        """The balance could not be checked; the last known balance (if any) stays, marked as old (not bold,
        dim, "(old as of 14:05)"). The sentence stays on one line, so the strip keeps its height; all of it is
        in the tooltip and the accessible description."""
        if self._balance is not None and self.balance_caption.isVisible():
            self._stale = True
            self._set_balance_bold(False)
            self._show_balance_text()
        self.updated_label.setWordWrap(False)
        self.updated_label.show()
        self._problem = MARKS[Tone.BAD] + sentence
        self.updated_label.set_tone(Tone.BAD)
        self._fit_problem()
        old = f" The balance shown, {self._balance_full()}, is from {self._when:%H:%M}." if (
            self._stale and self._when is not None) else ""
        announce(self.updated_label, f"The balance could not be checked: {sentence}{old}")
        self.updated_label.setToolTip(sentence)
        self.updated_label.setAccessibleDescription(sentence)
        self.refresh_button.setEnabled(True)

    def _balance_full(self) -> str:
        return self._balance.display(self._currency or "") if self._balance is not None else ""

    @property
    def is_low(self) -> bool:
        return self.balance_label.tone is Tone.WARNING


REFRESH_TIP = "Check the balance again (Ctrl+R)"
ACCOUNT_WIDTH = 240  # pixels: a server's account name or balance longer than this is elided, whole in the tooltip
BALANCE_WIDTH = 220


def _fit(label: QLabel, text: str, pixels: int) -> str:
    return label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, pixels)
