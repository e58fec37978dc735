"""Notices under the outcome, above the history: ignored settings, a history file moved aside, an export done.

Each notice is a sentence; the agent dismisses it with its close button. The bar never grows without bound and
never moves the form (it sits below it):

- a notice of a ``kind`` replaces the one of that kind already shown (a second export's sentence replaces the
  first's); a notice without a kind is shown once per sentence (a different error is a different notice);
- a ``transient`` notice (a confirmation: an export written, a profile switched) goes away by itself after
  ``TRANSIENT_MS``, not while the pointer is over the bar or the keyboard is in it;
- at most ``SHOWN`` notices are shown (the retention question first, then the newest); "Show N more notices"
  shows the others, and the bar scrolls inside the height the window's layout gives it, down to one line.

A notice never takes the focus: its buttons take Tab, never a click's focus. Each new notice is announced to
screen readers, and every notice's text stays its label's text (what they read).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QEnterEvent, QHideEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from termii_desk.ui._pyside import own_viewport
from termii_desk.ui.tones import MARKS, Tone, ToneLabel, announce

SHOWN = 2  # notices shown at once; the others behind "Show N more notices"
TRANSIENT_MS = 15_000  # a confirmation's time on screen (paused while the agent is at the bar)
SPACING = 4


class _Notice(QFrame):
    """One sentence with a close button."""

    dismissed = Signal()

    def __init__(self, text: str, tone: Tone, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.kind: str | None = None
        self.text = text
        self.label = ToneLabel(MARKS[tone] + text, self, tone=tone)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.setAccessibleName("Dismiss notice")
        close.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # never takes the focus from the form by a click
        self.close_button = close
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(10, 4, 4, 4)
        self.row.addWidget(self.label, 1)
        self.row.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        close.clicked.connect(self.dismissed)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(TRANSIENT_MS)
        self.timer.timeout.connect(self.dismissed)


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
        # Short enough for two lines beside its buttons at the window's minimum width; the whole of it in the
        # tooltip and for a screen reader.
        text = f"Delete this computer's calls older than {days:,} days at each start?"
        detail = (f"Termii Desk can delete calls older than {days:,} days from this computer's history each time "
                  "it starts (the command line too), or keep them all. You can change it in Settings.")
        self.label = ToneLabel(MARKS[Tone.NEUTRAL] + text, self, tone=Tone.NEUTRAL)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setToolTip(detail)
        self.setToolTip(detail)
        self.setAccessibleDescription(detail)
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


class _Scroll(QScrollArea):
    """The notices' column: as tall as the notices shown at the bar's width, and down to one line's height
    when the window has no more room (then it scrolls)."""

    def __init__(self, column: QWidget, parent: QWidget) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._viewport = own_viewport(self)  # before setWidget(): a viewport replaced is deleted with its child
        self._viewport.setAutoFillBackground(False)
        self.setWidget(column)
        column.setAutoFillBackground(False)
        self._width = -1
        self.first: list[QWidget] = []  # the notices shown first: the most it is as tall as (more scroll)
        # One line of a notice: its close button's height, the notice's margins and frame.
        probe = QToolButton()
        probe.setText("✕")
        self._one_line = probe.sizeHint().height() + 8 + 2
        probe.deleteLater()

    def _content_height(self) -> int:
        """The notices' height at this width, at most that of the ``first`` ones (the others scroll)."""
        column = self.widget()
        width = self._viewport.width()
        if column is None:
            return 0
        layout = column.layout()
        if width > 0 and layout is not None and layout.hasHeightForWidth():
            whole = layout.totalHeightForWidth(width)
        else:
            whole = column.sizeHint().height()
        first = [w.heightForWidth(width) if width > 0 and w.hasHeightForWidth() else w.sizeHint().height()
                 for w in self.first]
        return min(whole, sum(first) + SPACING * max(0, len(first) - 1)) if first else whole

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(hint.width(), self._content_height())

    def minimumSizeHint(self) -> QSize:
        # At the least the first notice's first line (the rest scrolls).
        return QSize(super().minimumSizeHint().width(), min(self._content_height(), self._one_line))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._viewport.width() != self._width:  # wrapped texts take another height at another width
            self._width = self._viewport.width()
            self.updateGeometry()


class NoticeBar(QWidget):
    """The notices: dismissable, one per kind, the transient ones timed, at most ``SHOWN`` at once; hidden when
    empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._column = QWidget()
        self._list = QVBoxLayout(self._column)
        self._list.setContentsMargins(0, 0, 0, 0)
        self._list.setSpacing(SPACING)
        self._scroll = _Scroll(self._column, self)
        # "3 more": in the last notice shown, before its close button (a line of its own would take a row).
        self.more_button = QToolButton(self._column)
        self.more_button.setAutoRaise(True)
        self.more_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.more_button.clicked.connect(self._toggle_more)
        self.more_button.hide()
        self._more_host: _Notice | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._scroll)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._notices: list[_Notice] = []  # newest first
        self._question: RetentionQuestion | None = None
        self._expanded = False
        self._following_focus = False  # connected to the application's focusChanged (while shown)
        self.hide()

    # -- what it shows ----------------------------------------------------------------------------------

    def texts(self) -> list[str]:
        """Every notice's text (shown or behind "Show N more"), newest first; the question is not one."""
        return [notice.label.text() for notice in self._notices]

    def shown_texts(self) -> list[str]:
        """The texts on screen now (the question's too, first)."""
        widgets: list[QFrame] = [*([self._question] if self._question is not None else []), *self._notices]
        return [w.label.text() for w in widgets if not w.isHidden()]  # type: ignore[attr-defined]

    @property
    def hidden_count(self) -> int:
        """Notices behind "Show N more notices"."""
        return sum(1 for notice in self._notices if notice.isHidden())

    @Slot(str)  # declared, as every method another object's signal reaches (see _on_focus_changed)
    def add(self, text: str, tone: Tone = Tone.WARNING, *, kind: str | None = None, transient: bool = False) -> None:
        """Show ``text``: it replaces the notice of the same ``kind`` (or, without a kind, is shown once); a
        ``transient`` one goes by itself after a while. It is announced to screen readers; it takes no focus."""
        for existing in list(self._notices):
            if kind is None and existing.kind is None and existing.text == text:
                return  # said already, and still here
            if kind is not None and existing.kind == kind:
                self._remove(existing)  # the newer sentence of its kind takes its place
        notice = _Notice(text, tone, self._column)
        notice.kind = kind
        notice.dismissed.connect(lambda: self._dismiss(notice))
        self._notices.insert(0, notice)
        self._list.insertWidget(self._first_notice_row(), notice)
        if transient:
            notice.timer.start()
            if self._agent_at_bar():
                self._pause_timers()
        self._arrange()
        announce(notice.label, notice.label.text())

    def add_question(self, question: RetentionQuestion) -> None:
        """A notice with its own buttons (``RetentionQuestion``), shown first; it goes when it emits ``answered``."""
        if self._question is not None:
            self._list.removeWidget(self._question)
        self._question = question
        question.setParent(self._column)
        self._list.insertWidget(0, question)
        question.answered.connect(lambda *_answer: self._forget_question(question))
        self._arrange()

    # -- internals ----------------------------------------------------------------------------------

    def _first_notice_row(self) -> int:
        return 1 if self._question is not None else 0

    def _forget_question(self, question: RetentionQuestion) -> None:
        if self._question is question:
            self._question = None
            self._arrange()

    def _dismiss(self, notice: _Notice) -> None:
        if notice in self._notices:
            self._remove(notice)
            self._arrange()

    def _remove(self, notice: _Notice) -> None:
        if self._more_host is notice:
            self._place_more(None)
        self._notices.remove(notice)
        notice.timer.stop()
        notice.hide()
        self._list.removeWidget(notice)
        notice.deleteLater()

    def _toggle_more(self) -> None:
        self._expanded = not self._expanded
        self._arrange()

    def _arrange(self) -> None:
        """Show the question and the newest notices (all of them when expanded), and the "more" button."""
        room = SHOWN - (1 if self._question is not None else 0)
        if len(self._notices) <= room:
            self._expanded = False
        for index, notice in enumerate(self._notices):
            notice.setVisible(self._expanded or index < room)
        hidden = self.hidden_count
        if hidden:
            self.more_button.setText(f"{hidden:,} more…")
            self.more_button.setAccessibleName(f"Show {hidden:,} more notice{'s' if hidden != 1 else ''}")
        else:
            self.more_button.setText("Fewer")
            self.more_button.setAccessibleName("Show fewer notices")
        self.more_button.setToolTip(self.more_button.accessibleName())
        shown = [notice for notice in self._notices if not notice.isHidden()]
        self._place_more(shown[-1] if shown and (hidden or self._expanded) else None)
        # Never taller than the first ones: all of them shown scroll in that room.
        self._scroll.first = [*([self._question] if self._question is not None else []), *self._notices][:SHOWN]
        self._scroll.updateGeometry()
        self.updateGeometry()
        self.setVisible(bool(self._notices) or self._question is not None)

    def _place_more(self, host: _Notice | None) -> None:
        """The "more" button into ``host``'s row, before its close button (None: out of every row, hidden)."""
        if host is not self._more_host:
            if self._more_host is not None:
                self._more_host.row.removeWidget(self.more_button)
                self.more_button.setParent(self._column)
            if host is not None:
                host.row.insertWidget(1, self.more_button, 0, Qt.AlignmentFlag.AlignTop)
            self._more_host = host
        self.more_button.setVisible(host is not None)

    # The application's focus is followed only while the bar is shown: connected for a bar's whole life, the
    # application's signal reached bars of closed windows whose Python side the collector was taking apart
    # ("Slot 'NoticeBar::' not found", "no attribute '_notices'" in full runs of the suite).
    def showEvent(self, event: QShowEvent) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication) and not self._following_focus:
            app.focusChanged.connect(self._on_focus_changed)
            self._following_focus = True
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication) and self._following_focus:
            app.focusChanged.disconnect(self._on_focus_changed)
            self._following_focus = False
        self._resume_timers()
        super().hideEvent(event)

    @Slot(QWidget, QWidget)
    def _on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        """A notice's button reached by Tab is scrolled into view; a confirmation waits while it has the focus."""
        if new is None or not self._column.isAncestorOf(new):
            self._resume_timers()
            return
        self._scroll.ensureWidgetVisible(new)
        self._pause_timers()

    def _pause_timers(self) -> None:
        for notice in self._notices:
            if notice.timer.isActive():
                notice.timer.stop()
                notice.setProperty("paused", True)

    def _agent_at_bar(self) -> bool:
        focus = QApplication.focusWidget()
        return self.underMouse() or (focus is not None and self._column.isAncestorOf(focus))

    def _resume_timers(self) -> None:
        if self._agent_at_bar():
            return
        for notice in self._notices:
            if notice.property("paused"):
                notice.setProperty("paused", False)
                notice.timer.start()

    def enterEvent(self, event: QEnterEvent) -> None:
        self._pause_timers()
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        super().leaveEvent(event)
        self._resume_timers()
