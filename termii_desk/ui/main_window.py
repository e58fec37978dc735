"""The desk window: builds and lays out the account strip, the send form, the outcome and history, and wires them.

The window only composes: what happens when the agent sends, refreshes or saves settings is the
``DeskController``'s (ui/controller.py), and ``_connect_signals()`` is the one place where the widgets'
requests reach the controller and its answers reach the widgets. ``tab_order()`` is the one place that decides
where Tab goes: the panels as the eye reads them (account strip, form, outcome, notices, history), and within
each its controls top to bottom, left to right, so a control a panel adds later takes its place by itself.

Layout: the form and the outcome banner keep their own height whatever else is shown (their size policies
are fixed); the notices sit under them, so a notice never moves the form, and take at most a few lines (the
notice bar scrolls within what the layout gives it); the history takes the rest, never fewer than
``HistoryPanel``'s three rows. What these take together fits ``MINIMUM_SIZE``.

The window is built and shown before the core exists (so it appears at once); ``attach()`` hands the core
objects to the controller when they are ready. At start it is built in two steps: ``MainWindow(staged=True)``
is the frame and the form's line edits and buttons (no Qt enums, no core, so it paints about as fast as an
empty window), and ``build_content()`` (called once that has been painted) adds the live lines, the account
strip, notices, outcome and menu around them. From the first frame the phone field has the focus and takes
every keystroke; Enter before ``attach()`` is kept by the form and acted on at ready.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from termii_desk import APP_NAME
from termii_desk.core.errors import DeskError
from termii_desk.ui.send_form import SendForm

if TYPE_CHECKING:
    from datetime import datetime

    from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
    from PySide6.QtWidgets import QLabel, QMenu

    from termii_desk.core.bootstrap import DeskServices
    from termii_desk.core.desk import CallAttempt
    from termii_desk.core.history import HistoryStore
    from termii_desk.core.keystore import KeyStatus
    from termii_desk.core.settings import Settings
    from termii_desk.core.validation import Code, PhoneNumber
    from termii_desk.ui.account_strip import AccountStrip
    from termii_desk.ui.controller import BalanceOutlook, BalanceReading, DeskController
    from termii_desk.ui.first_run import FirstRunPage
    from termii_desk.ui.history_model import FirstPage
    from termii_desk.ui.history_panel import HistoryPanel
    from termii_desk.ui.notices import NoticeBar, RetentionQuestion
    from termii_desk.ui.outcome_view import OutcomeView
    from termii_desk.ui.settings_dialog import SettingsDialog
    from termii_desk.ui.team_status import TeamStatus
    from termii_desk.ui.tones import Tone
    from termii_desk.ui.worker import Executor

log = logging.getLogger(__name__)

DEMO_MARKER = "DEMO"
# Fits a 1366x768 laptop with a taskbar and the title bar; history takes whatever the agent adds.
DEFAULT_SIZE = (960, 660)
# The form, the banner and three rows of history whole; smaller would clip the fields.
MINIMUM_SIZE = (560, 600)
# Closing waits for requests in flight this much longer than their own timeouts allow.
CLOSE_GRACE_SECONDS = 3.0
# Closing anyway: how long the hidden window waits for a call whose attempt is still being written (a slow
# shared history) to record itself as abandoned, before the process ends.
RECORDING_WAIT_SECONDS = 5.0
# Between the steps that bring the history panel in after attach(), each its own event-loop turn.
HISTORY_STEP_MS = 1
# What waits for a widget's first paint (after_first_paint: the core's load, the history's clear buttons and the
# start-up balance check) comes this long after it was asked for when no paint ever comes (a minimised start).
FIRST_PAINT_FALLBACK_MS = 1000
SEND_DEFERRED_HEADLINE = "Sending as soon as the desk is ready"
SEND_DEFERRED_DETAILS = ("The desk is still starting. The call goes out once it is ready, if the number and the "
                         "code check out then. Esc cancels.")
PANEL_SPACING = 8  # between the strip, the form, the outcome, the notices and the history
# Kinds of notice: a notice of a kind replaces the one of its kind shown (ui/notices.py).
NOTICE_EXPORT = "export"
NOTICE_PROFILE = "profile"
NOTICE_SECOND_START = "second-start"
# The account strip's height before it exists (its margins and frame around a button), so the form never moves.
STRIP_ROOM_EXTRA = 14
BUILD_FAILED = ("Termii Desk could not start: part of its window could not be built ({reason}). Nothing can be "
                "sent from this window; what you typed is kept. Reinstall Termii Desk, then start it again. The "
                "details are in the log file.")


class _FirstPaint(QObject):
    """Calls ``callback`` once: just after ``widget``'s first paint, or after ``fallback_ms`` without one."""

    def __init__(self, widget: QObject, callback: Callable[[], None], fallback_ms: int) -> None:
        super().__init__(widget)
        self._callback: Callable[[], None] | None = callback
        widget.installEventFilter(self)
        QTimer.singleShot(fallback_ms, self, self.fire)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._callback is not None and event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, self, self.fire)  # once this paint has been drawn and shown
        return False

    def fire(self) -> None:
        callback, self._callback = self._callback, None
        if callback is not None:
            self.parent().removeEventFilter(self)
            callback()


def after_first_paint(widget: QObject, callback: Callable[[], None],
                      fallback_ms: int = FIRST_PAINT_FALLBACK_MS) -> None:
    """Run ``callback`` on the GUI thread once ``widget`` has been painted for the first time."""
    _FirstPaint(widget, callback, fallback_ms)


# The core modules that build_content()'s widgets and the history panel import (core/ has no Qt), and the
# standard library's that they import themselves.
CONTENT_CORE_MODULES = (
    "html",  # the history panel's escape(): ~4 ms with its entities
    "termii_desk.core.errors",
    "termii_desk.core.estimate",
    "termii_desk.core.formatting",
    "termii_desk.core.history",
    "termii_desk.core.history_backend",
    "termii_desk.core.results",
    "termii_desk.core.validation",
    "termii_desk.core.words",
)
# The window's own modules, each group imported by a step of build_content() on the GUI thread.
STRIP_MODULES = ("termii_desk.ui.account_strip", "termii_desk.ui.notices", "termii_desk.ui.team_status")
HISTORY_MODEL_MODULES = ("termii_desk.ui.history_model",)
HISTORY_PANEL_MODULES = ("termii_desk.ui.history_panel",)


def import_modules(names: tuple[str, ...]) -> None:
    """Import each of ``names``, in order."""
    import importlib

    for name in names:
        importlib.import_module(name)


def load_content_core() -> None:
    """Import the core modules ``build_content()`` and the history panel need, ahead of them: app.py does it on a
    worker after the first frame, so that the GUI thread keeps taking keystrokes meanwhile. Core modules only:
    workers never make Qt's classes (app.py's module text says why); the build's steps import the window's own
    modules, which run quickly once the core they import is here."""
    import_modules(CONTENT_CORE_MODULES)


def _takes_tab(widget: QWidget, window: QWidget) -> bool:
    """``widget`` is a control Tab stops at now (as Qt decides: shown, enabled, Tab focus, no focus proxy)."""
    return (widget.isVisible() and widget.isEnabled() and widget.window() is window
            and widget.focusPolicy().value & 1 == 1  # Qt.FocusPolicy.TabFocus, without Qt's enums at import
            and widget.focusProxy() is None)


def reading_order(widgets: list[QWidget], window: QWidget) -> list[QWidget]:
    """``widgets`` as the eye reads them in ``window``: in rows from top to bottom, each row left to right.

    A widget is in the row of the first (topmost) widget of that row when its vertical middle is within that
    widget's height (a button beside a line edit, a little taller or shorter, is in the line edit's row).
    """
    from PySide6.QtCore import QPoint, QRect

    def rect(widget: QWidget) -> QRect:
        return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())

    rects = {id(widget): rect(widget) for widget in widgets}
    pending = sorted(widgets, key=lambda w: (rects[id(w)].top(), rects[id(w)].left()))
    ordered: list[QWidget] = []
    while pending:
        first = rects[id(pending[0])]
        row = [w for w in pending if first.top() <= rects[id(w)].center().y() <= first.bottom()] or pending[:1]
        ordered.extend(sorted(row, key=lambda w: rects[id(w)].left()))
        pending = [w for w in pending if w not in row]
    return ordered


def ask_export_path(parent: QWidget, suggested: str) -> str:
    """Where to save an export ("" when the agent cancelled); tests replace this function."""
    from pathlib import Path

    from PySide6.QtWidgets import QFileDialog

    path, _filter = QFileDialog.getSaveFileName(parent, "Export calls", str(Path.home() / suggested),
                                                "CSV files (*.csv)")
    if path and not path.lower().endswith(".csv"):
        path += ".csv"
    return path


class MainWindow(QMainWindow):
    """Termii Desk's one window.

    ``controller`` (from ``build_content()`` on) is the ``DeskController`` that acts on what the agent asks.

    Signals:
        content_built(): ``build_content()`` made the widgets (shown with the window's next paint).
        ready(): ``attach()`` finished; the form can send (or the first-run page shows).
        call_finished(object): the controller's ``call_finished``, passed on (a ``CallAttempt`` or ``DeskError``).
        balance_finished(object): the controller's ``balance_finished``, passed on.
        settings_applied(object): the controller's ``settings_applied``, passed on.
        refresh_requested(): the agent asked for a balance check (the strip's button, Ctrl+R), or the first
            check is due (once the history panel has been shown).
        cooldown_answered(object, object, bool): the agent answered the cooldown question for (phone, code).
        settings_saved(object, bool): the Settings dialog saved (new ``Settings``, whether the key changed).
        closing(): the window is closing.
    """

    content_built = Signal()
    ready = Signal()
    call_finished = Signal(object)
    balance_finished = Signal(object)
    settings_applied = Signal(object)
    refresh_requested = Signal()
    cooldown_answered = Signal(object, object, bool)
    settings_saved = Signal(object, bool)
    closing = Signal()

    def __init__(
        self, executor: Executor, *, demo: bool = False, staged: bool = False, parent: QWidget | None = None
    ) -> None:
        """``staged``: only the first frame (frame, form's line edits and buttons); ``build_content()`` the rest."""
        super().__init__(parent)
        self._executor = executor
        self._demo = demo
        self._closing = False
        self._closed_without_waiting = False
        self._base_url_blocked = False  # the form is disabled because the base URL cannot be used
        self.history_panel: HistoryPanel | None = None
        self._history_panel_placed = False
        self._history_store: HistoryStore | None = None
        self._balance_after_panel = False  # the start-up balance check waits for the history panel's first paint
        # Set by app.py: what follows the history's first sight also waits for network_loaded(). A call typed
        # before ready is then loading the network stack on a worker: nothing on this thread slows it down.
        self.extras_wait_for_network = False
        self._ready_after_panel = False  # attach() kept an Enter pressed before ready for the history's first paint
        self._history_was_painted = False
        self._history_shown = False
        self._network_loaded = False
        self.settings_dialog: SettingsDialog | None = None
        self.retention_question: RetentionQuestion | None = None
        self._account_name: str | None = None
        # Notices before build_content() made the bar: (sentence, tone, kind, transient).
        self._early_notices: list[tuple[str, Tone | None, str | None, bool]] = []
        # The controller and the widgets build_content() adds around the first frame's.
        self.controller: DeskController
        self.account: AccountStrip
        self.notices: NoticeBar
        self.team_status: TeamStatus
        self.outcome: OutcomeView
        self._first_run: FirstRunPage | None = None  # built when first shown: most desks have a key
        self._built = False
        self.build_failure: QLabel | None = None  # show_build_failure()'s sentence
        # build_content()'s steps, in order: each one event-loop turn at start-up (app.py), all at once otherwise.
        # The window's own modules are imported in steps of their own (each ~2-9 ms of making Qt's classes); the
        # history's before the core loads, whose worker reads the first page with the model's reader.
        self._build_steps: list[Callable[[], None]] = [
            self._build_live_lines, partial(import_modules, STRIP_MODULES), self._build_strip,
            partial(import_modules, HISTORY_MODEL_MODULES), partial(import_modules, HISTORY_PANEL_MODULES),
            self._build_outcome, self._build_rest]

        self.setObjectName("MainWindow")
        self.setWindowTitle(self._title())
        self.resize(*DEFAULT_SIZE)
        self.setMinimumSize(*MINIMUM_SIZE)
        # The first frame: the form where it will stay, the phone field focused; Enter is kept until attach().
        self._desk_menu: QMenu = self.menuBar().addMenu("&Desk")
        central = QWidget(self)
        self._layout = QVBoxLayout(central)
        self._layout.setContentsMargins(12, 10, 12, 12)
        self._layout.setSpacing(PANEL_SPACING)
        self.form = SendForm(self, staged=True)
        self.form.phone.set_checking(True)  # until attach(): the loader reads the phone metadata
        self.form.phone.set_carrier_names(False)  # until carrier_names_loaded(): their tables load after ready
        self._strip_room = QWidget(central)  # where the account strip will be
        self._strip_room.setFixedHeight(self.form.send_button.sizeHint().height() + STRIP_ROOM_EXTRA)
        self._form_page = QWidget(self)
        self._form_layout = QVBoxLayout(self._form_page)
        self._form_layout.setContentsMargins(0, 0, 0, 0)
        self._form_layout.setSpacing(PANEL_SPACING)
        self._form_layout.addWidget(self.form)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self._form_page)
        self._layout.addWidget(self._strip_room)
        self._layout.addWidget(self.pages)
        self._layout.addStretch(1)  # replaced by the history panel once it exists
        self.setCentralWidget(central)
        self.form.phone.edit.setFocus()
        if not staged:
            self.build_content()

    @property
    def first_run(self) -> FirstRunPage:
        """The welcome page shown instead of the form while there is no key; built the first time it is asked
        for (its modules and widgets are ~20 ms of a start that, with a key, never shows it)."""
        if self._first_run is None:
            from termii_desk.ui.first_run import FirstRunPage

            self._first_run = FirstRunPage(self)
            self.pages.addWidget(self._first_run)
            self._first_run.settings_requested.connect(self.on_settings_requested)
        return self._first_run

    @property
    def built(self) -> bool:
        """``build_content()`` has run: the controller, live lines, strip, outcome and actions exist."""
        return self._built

    def build_content(self) -> None:
        """Add the controller, live lines, account strip, notices, outcome, first-run page and menu; once.

        Nothing here moves the focus: the agent may be typing already. app.py runs the same steps one event-loop
        turn each (``build_content_step``), so keys typed meanwhile wait for one step, not the whole build.
        """
        while self.build_content_step():
            pass

    def build_content_step(self) -> bool:
        """Run the next step of ``build_content()``; True while steps remain (``built`` once none does)."""
        if self._built:
            return False
        step = self._build_steps.pop(0)
        step()
        return not self._built

    def _build_live_lines(self) -> None:
        from termii_desk.ui.controller import DeskController

        self.controller = DeskController(self._executor, self)
        self.form.finish()

    def _build_strip(self) -> None:
        from termii_desk.ui.account_strip import AccountStrip
        from termii_desk.ui.notices import NoticeBar
        from termii_desk.ui.team_status import TeamStatus

        self.account = AccountStrip(self, demo=self._demo)
        self._layout.replaceWidget(self._strip_room, self.account)
        self._strip_room.deleteLater()
        # Under the form and the outcome, above the history: a notice or the team's state never moves the form.
        self.notices = NoticeBar(self)
        self._layout.insertWidget(self._layout.indexOf(self.pages) + 1, self.notices)
        self.team_status = TeamStatus(self)
        self._layout.insertWidget(self._layout.indexOf(self.notices) + 1, self.team_status)

    def _build_outcome(self) -> None:
        from termii_desk.ui.outcome_view import OutcomeView

        self.outcome = OutcomeView(self)
        self._form_layout.addWidget(self.outcome)

    def _build_rest(self) -> None:
        self._make_actions()
        self._connect_signals()
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.timeout.connect(self._fit_content)
        self.installEventFilter(self)  # the window's layout changed: _fit_content()
        self._built = True
        for sentence, tone, kind, transient in self._early_notices:
            self.add_notice(sentence, tone, kind=kind, transient=transient)
        self._early_notices.clear()
        if self.form.send_pending:
            self.on_send_deferred()
        self.content_built.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self and event.type() == QEvent.Type.LayoutRequest:
            self._fit_timer.start(0)  # once the layouts have taken the change
        return super().eventFilter(watched, event)

    def _fit_content(self) -> None:
        """Never shorter than what the window holds needs, so no layout ever squeezes the form, the banner or
        the history's rows below their own height: ``MINIMUM_SIZE``, or more in the rare state where all of
        it does not fit there (a custom date range, a problem line and notices at once)."""
        layout = self.layout()
        if layout is None:
            return
        needed = layout.totalMinimumSize()
        width, height = max(MINIMUM_SIZE[0], needed.width()), max(MINIMUM_SIZE[1], needed.height())
        if (width, height) != (self.minimumWidth(), self.minimumHeight()):
            self.setMinimumSize(width, height)

    # -- composition ------------------------------------------------------------------------------------

    def _make_actions(self) -> None:
        from PySide6.QtGui import QAction, QKeySequence

        def action(text: str, shortcut: str | QKeySequence.StandardKey, name: str) -> QAction:
            act = QAction(text, self)
            act.setShortcut(QKeySequence(shortcut))
            act.setObjectName(name)  # a window shortcut: QAction's default context
            self.addAction(act)
            return act

        self.settings_action = action("&Settings…", "Ctrl+,", "settings_action")
        self.refresh_action = action("&Refresh balance", "Ctrl+R", "refresh_action")
        self.filter_action = action("&Filter history", "Ctrl+F", "filter_action")
        # Esc empties only the focused field; clearing the whole form is this deliberate command.
        self.clear_action = action("&New customer (clear the form)", "Ctrl+N", "clear_action")
        self.undo_clear_action = action("&Undo clear", QKeySequence.StandardKey.Undo, "undo_clear_action")
        self.undo_clear_action.setEnabled(False)
        self.copy_id_action = action("&Copy the message id", "Ctrl+Shift+C", "copy_id_action")
        self.copy_id_action.setEnabled(False)
        self.export_action = action("&Export calls…", "Ctrl+E", "export_action")
        self.quit_action = action("&Quit", "Ctrl+Q", "quit_action")
        self.refresh_action.setEnabled(False)
        menu = self._desk_menu
        menu.addActions([self.settings_action, self.refresh_action])
        menu.addSeparator()
        menu.addActions([self.clear_action, self.undo_clear_action, self.copy_id_action])
        menu.addSeparator()
        menu.addActions([self.filter_action, self.export_action])
        menu.addSeparator()
        menu.addAction(self.quit_action)

    def _connect_signals(self) -> None:
        """Every connection between the widgets, the window and the controller (the history panel's too, once
        it exists: ``_connect_history_panel``)."""
        controller = self.controller
        # What the agent asks for, to the controller.
        self.form.send_requested.connect(controller.on_send_requested)
        self.form.send_deferred.connect(self.on_send_deferred)
        self.form.deferred_refused.connect(self.on_deferred_send_refused)
        self.form.pending_cancelled.connect(self.on_pending_send_cancelled)
        self.account.refresh_requested.connect(self.refresh_requested)
        self.refresh_action.triggered.connect(self.refresh_requested)
        self.refresh_requested.connect(controller.on_refresh_requested)
        self.cooldown_answered.connect(controller.on_cooldown_answered)
        self.settings_saved.connect(controller.on_settings_saved)
        self.closing.connect(controller.on_closing)
        # What the controller says, to the widgets.
        controller.cooldown_question.connect(self.on_cooldown_question)
        controller.send_declined.connect(self.on_send_declined)
        controller.call_started.connect(self.on_call_started)
        controller.attempt_finished.connect(self.on_attempt_finished)
        controller.send_ended.connect(self.on_send_ended)
        controller.rate_limited.connect(self.form.hold)
        controller.send_failed.connect(self.outcome.show_failure)
        controller.balance_loading.connect(self.on_balance_loading)
        controller.balance_known.connect(self.on_balance_known)
        controller.balance_failed.connect(self.account.show_problem)
        controller.account_named.connect(self.on_account_named)
        controller.key_status_changed.connect(self.show_key_status)
        controller.settings_changed.connect(self.on_settings_changed)
        controller.notice.connect(self.notices.add)
        controller.team_state.connect(self.team_status.show_state)
        # Passed on, for whoever watches the window (the self-test, tests).
        controller.profile_changed.connect(self.on_profile_changed)
        controller.services_replaced.connect(self.on_services_replaced)
        controller.profile_switch_refused.connect(self.on_profile_switch_refused)
        controller.outlook_known.connect(self.on_outlook_known)
        controller.completions_known.connect(self.form.phone.set_completions)
        controller.export_finished.connect(self.on_export_finished)
        controller.retention_question.connect(self.on_retention_question)
        self.account.profile_requested.connect(controller.on_profile_requested)
        controller.call_finished.connect(self.call_finished)
        controller.balance_finished.connect(self.balance_finished)
        controller.settings_applied.connect(self.settings_applied)
        # The window's own.
        self.settings_action.triggered.connect(self.on_settings_requested)
        self.filter_action.triggered.connect(self.on_filter_requested)
        self.clear_action.triggered.connect(self.on_clear_requested)
        self.undo_clear_action.triggered.connect(self.on_undo_clear_requested)
        self.copy_id_action.triggered.connect(self.outcome.on_copy_clicked)
        self.outcome.message_id_changed.connect(self.on_outcome_message_id_changed)
        self.export_action.triggered.connect(self.on_export_requested)
        self.form.phone.edit.textChanged.connect(self.on_form_text_changed)
        self.form.code.edit.textChanged.connect(self.on_form_text_changed)
        self.quit_action.triggered.connect(self.close)

    def _connect_history_panel(self, panel: HistoryPanel) -> None:
        controller = self.controller
        controller.attempt_started.connect(panel.on_attempt_started)
        controller.settings_changed.connect(panel.on_settings_changed)
        if controller.services is not None:
            panel.on_settings_changed(controller.services.settings)
        controller.attempt_finished.connect(panel.on_attempt_finished)
        controller.history_changed.connect(panel.refresh)
        panel.use_number_requested.connect(self.on_use_number_requested)
        panel.export_requested.connect(self.on_export_requested)

    def prepare_history(self, store: HistoryStore, first_page: FirstPage | None = None) -> None:
        """Build the history panel, hidden, for ``store``; ``attach()`` does it when this was not called first.

        ``first_page`` is the store's first page, read and prepared off the GUI thread (``read_first_page``, as
        app.py's loader does): the panel then shows it instead of reading it here.

        The panel is built, laid out, warmed up and shown in separate event-loop turns: together (with the
        window's relayout and the first paint of its table, ~10 ms of Qt first-use cost) they would be one long
        stall of the GUI thread. Calling this a turn before ``attach()`` takes the building out of its turn.
        """
        from termii_desk.ui.history_panel import HistoryPanel  # after the first paint: it loads core.history

        if self._history_store is store:
            return
        if self.history_panel is not None:  # prepared for another store: replace it
            self._history_panel_placed = False
            self.history_panel.deleteLater()
        self._history_store = store
        self.history_panel = HistoryPanel(store, self, executor=self._executor, first_page=first_page,
                                          clear_button=False)  # show_clear_buttons(), once it is shown
        self.history_panel.hide()
        self._connect_history_panel(self.history_panel)

    def attach(self, services: DeskServices) -> None:
        """Hand the core objects to the controller; build the history panel; the first balance check (given a
        key) waits until the panel has been shown.

        What was typed meanwhile is validated now, the focus stays where the agent put it, and an Enter pressed
        before is acted on once: sent once the history panel has been painted, or why not said at once.
        """
        self.build_content()
        self.prepare_history(services.history)
        self.controller.attach(services, check_balance=False)  # notices, settings (the region), key status
        if services.key_status.has_key:
            # Once the panel is shown: the check's worker would slow the panel's first paint (the GIL).
            self._balance_after_panel = True
        if not services.key_status.has_key or not self.form.isEnabled():
            # Nothing can be sent (no key, a base URL that cannot be used): the window says why instead.
            self.form.cancel_pending()
        self.form.phone.set_checking(False)
        if (self.form.send_pending and self.form.phone.value is not None and self.form.code.value is not None
                and not self._history_was_painted):
            # The call (its worker loads the network stack) once the history has been shown: together, each
            # would hold up the other, and the call would reach Termii no sooner. (Why an Enter cannot send is
            # said at once.) The window's own timer, should that paint never come (the panel replaced first).
            self._ready_after_panel = True
            QTimer.singleShot(FIRST_PAINT_FALLBACK_MS, self, self._release_ready)
        else:
            self.form.set_ready(True)
        self._next_turn(self._lay_out_history_panel)
        self.ready.emit()

    def _next_turn(self, step: Callable[[], None]) -> None:
        # Not 0 ms: zero timers run before timers already due (a repaint, the heartbeat of a benchmark).
        QTimer.singleShot(HISTORY_STEP_MS, self, step)

    def _lay_out_history_panel(self) -> None:
        """A turn after ``attach()``: size and lay out the hidden panel, as it will be in the window, and paint one
        row of it off-screen (~1.5 ms together); placing it comes a turn later."""
        panel = self.history_panel
        if panel is None or self._history_panel_placed:
            return
        panel.lay_out_hidden(self._layout.contentsRect().width())
        panel.warm_up()  # the table's first-paint costs, off-screen, on one row's strip
        self._next_turn(self._place_history_panel)

    def _place_history_panel(self) -> None:
        """Put the history panel in the window (in place of the stretch) and show it; once, and at once on demand."""
        panel = self.history_panel
        if panel is None or self._history_panel_placed:
            return
        self._history_panel_placed = True
        self._layout.takeAt(self._layout.count() - 1)  # the placeholder stretch
        self._layout.addWidget(panel, 1)
        panel.show()  # a child added to a visible window is otherwise shown one event later
        # The rest once that show is painted, and a turn later: nothing holds up the history's first sight.
        after_first_paint(panel, self._history_painted)

    def _history_painted(self) -> None:
        self._history_was_painted = True
        self._release_ready()
        self._next_turn(self._after_history_shown)

    def _release_ready(self) -> None:
        """The form can send: an Enter pressed before ready, kept by ``attach()``, is sent now (once)."""
        if self._ready_after_panel:
            self._ready_after_panel = False
            self.form.set_ready(True)

    def _after_history_shown(self) -> None:
        """Once the history panel has been painted (and, with ``extras_wait_for_network``, the network stack
        loaded): the clear buttons (the first looks up the desktop's icon theme, ~5 ms) and then, a turn later,
        the start-up balance check."""
        self._history_shown = True
        if self.extras_wait_for_network and not self._network_loaded:
            return
        self.show_clear_buttons()
        if self._balance_after_panel:
            self._next_turn(self._start_deferred_balance_check)

    def network_loaded(self) -> None:
        """app.py: the network stack is loaded (or failed to): what ``extras_wait_for_network`` held back follows."""
        if self._network_loaded:
            return
        self._network_loaded = True
        if self._history_shown:
            self._after_history_shown()

    def show_clear_buttons(self) -> None:
        """The form's and the filter's clear buttons: once the history is shown (see ``enable_clear_button``)."""
        self.form.show_clear_buttons()
        if self.history_panel is not None:
            self.history_panel.show_clear_button()

    def _start_deferred_balance_check(self) -> None:
        if self._balance_after_panel:
            self._balance_after_panel = False
            self.refresh_requested.emit()

    # -- state ------------------------------------------------------------------------------------------

    @property
    def services(self) -> DeskServices | None:
        return self.controller.services if self._built else None

    @property
    def balance_check_pending(self) -> bool:
        """``attach()`` asked for a balance check that starts once the history panel has been shown."""
        return self._balance_after_panel

    @property
    def demo(self) -> bool:
        return self._demo

    @Slot(object)
    def show_key_status(self, status: KeyStatus) -> None:
        """Form when a key exists, first-run page when not."""
        if status.has_key:
            focus = self.focusWidget()
            keep_focus = self.pages.currentWidget() is self._form_page and focus is not None and (
                self._form_page.isAncestorOf(focus))
            self.pages.setCurrentWidget(self._form_page)
            self.refresh_action.setEnabled(True)
            if not keep_focus:  # the agent may be typing in the form already: never take the focus from there
                self.form.phone.edit.setFocus()
        else:
            self._balance_after_panel = False
            self.first_run.set_problem(status.problem)
            self.first_run.set_keyring(status.backend)
            self.pages.setCurrentWidget(self.first_run)
            self.account.show_no_account("No API key yet")
            self.refresh_action.setEnabled(False)
            self.first_run.settings_button.setFocus()

    def show_startup_failure(self, error: BaseException) -> None:
        """The core could not be built (e.g. the simulator could not start): say so, keep the window."""
        from termii_desk.ui.tones import Tone

        log.error("start-up failed", exc_info=error)
        self.build_content()
        self.form.cancel_pending()
        sentence = str(error) if isinstance(error, DeskError) else f"Termii Desk could not start: {error}"
        self.account.show_no_account("Not ready")
        self.outcome.show_message("Termii Desk could not start", sentence, Tone.BAD)

    def show_build_failure(self, error: BaseException) -> None:
        """A step of the window's build failed (a module missing from a damaged install, say): the window cannot
        be finished, and the core is not loaded. Say so above the form, keep what was typed; nothing is sent."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QLabel

        from termii_desk.core.scrub import elide

        log.error("the window could not be built", exc_info=error)
        self._build_steps.clear()
        self.form.cancel_pending()
        self.form.send_button.setEnabled(False)
        self.setWindowTitle(f"{APP_NAME} — not started")
        banner = QLabel(BUILD_FAILED.format(reason=elide(f"{type(error).__name__}: {error}", 200)), self)
        banner.setObjectName("buildFailure")
        banner.setWordWrap(True)
        banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        banner.setStyleSheet("QLabel#buildFailure { font-weight: bold; padding: 6px 0; }")
        banner.setAccessibleName(banner.text())
        self._layout.insertWidget(0, banner)
        self.build_failure = banner
        try:  # the window's own modules, which may be what is missing: the sentence above is shown without them
            from termii_desk.ui.tones import announce

            self.form.phone.set_never_checked("Not checked: the desk could not start.")
            announce(banner, banner.text(), assertive=True)  # the focus stays in the phone field
        except Exception:
            log.warning("the build failure's sentence could not be announced", exc_info=True)

    def _title(self, account: str | None = None) -> str:
        """"Termii Desk — <profile>" (and the Termii account's name once known); demo mode is marked instead."""
        if self._demo:
            return f"{APP_NAME} — {DEMO_MARKER}"
        services = self.controller.services if self._built else None
        profile = services.profile.name if services is not None and services.profiles is not None else None
        if account:
            from termii_desk.core.scrub import elide  # not at import: the first frame does not need it

            account = elide(account)
        parts = [part for part in (profile, f"({account})" if account and profile else account) if part]
        return f"{APP_NAME} — {' '.join(parts)}" if parts else APP_NAME

    def carrier_names_loaded(self) -> None:
        """The carrier tables are loaded (after ready): the phone line names the number's network from now on."""
        self.form.phone.set_carrier_names(True)

    def add_notice(self, sentence: str, tone: Tone | None = None, *, kind: str | None = None,
                   transient: bool = False) -> None:
        """A non-modal notice under the outcome (kept until the bar exists); it never takes the focus.

        A notice of a ``kind`` replaces the one of that kind shown; a ``transient`` one goes by itself."""
        if not self._built:
            self._early_notices.append((sentence, tone, kind, transient))
        elif tone is None:
            self.notices.add(sentence, kind=kind, transient=transient)
        else:
            self.notices.add(sentence, tone, kind=kind, transient=transient)

    # -- what the form says -------------------------------------------------------------------------

    @Slot()
    def on_send_deferred(self) -> None:
        """Enter before the desk was ready: say it will be sent then (the outcome view exists once built)."""
        from termii_desk.ui.tones import Tone

        if self._built:
            self.outcome.show_message(SEND_DEFERRED_HEADLINE, SEND_DEFERRED_DETAILS, Tone.PLAIN)

    @Slot()
    def on_pending_send_cancelled(self) -> None:
        from termii_desk.ui.tones import Tone

        if self._built:
            self.outcome.show_message("Not sent: cancelled", "Nothing will be sent when the desk is ready.",
                                      Tone.NEUTRAL)

    @Slot(str)
    def on_deferred_send_refused(self, reason: str) -> None:
        from termii_desk.ui.tones import Tone

        self.outcome.show_message("Not sent", reason, Tone.BAD)

    # -- what the controller says --------------------------------------------------------------------

    @Slot(object)
    def on_settings_changed(self, settings: Settings) -> None:
        self.form.phone.set_default_region(settings.default_region)
        # A base URL that cannot be used (a refused TERMII_BASE_URL or --base-url) keeps the form disabled, and
        # the controller asks nothing of Termii, until it is fixed in Settings.
        from termii_desk.ui.tones import Tone

        problem = settings.base_url_problem
        self.form.setEnabled(problem is None)
        if problem:
            self.outcome.show_message("Nothing can be sent", f"{problem} Correct the base URL in Settings.", Tone.BAD)
            self.account.show_no_account("Not connected")
        elif self._base_url_blocked:
            self.outcome.clear()
        self._base_url_blocked = problem is not None

    @Slot(object, object, object)
    def on_cooldown_question(self, phone: PhoneNumber, code: Code, last: datetime) -> None:
        from termii_desk.ui.dialogs import CooldownDialog

        self.cooldown_answered.emit(phone, code, CooldownDialog.ask(self, phone.display, last))

    @Slot(object)
    def on_send_declined(self, phone: PhoneNumber) -> None:
        from termii_desk.ui.tones import Tone

        self.outcome.show_message("Not sent: you chose not to call again",
                                  f"{phone.display} was not called again.", Tone.NEUTRAL, number=phone.display)

    @Slot(object, object)
    def on_call_started(self, phone: PhoneNumber, when: datetime) -> None:
        self.outcome.show_sending(phone.display, when)

    @Slot(object)
    def on_attempt_finished(self, attempt: CallAttempt) -> None:
        from termii_desk.core.errors import Outcome

        balance_text = None
        result = attempt.result
        services = self.controller.services
        if attempt.outcome is Outcome.SENT and result is not None and result.balance is not None and services:
            balance_text = result.balance.display(services.desk.currency or "")
        sent = self.form.sent_texts
        code = "".join(ch for ch in sent[1] if ch.isdigit()) if sent else ""
        self.form.after_answer(attempt.outcome is Outcome.SENT)
        self.outcome.show_attempt(attempt, balance_text, code)  # revealable there until the next call

    @Slot()
    def on_send_ended(self) -> None:
        self.form.set_busy(False)

    @Slot()
    def on_balance_loading(self) -> None:
        self.account.set_loading(True)

    @Slot(object)
    def on_balance_known(self, reading: BalanceReading) -> None:
        self._balance_after_panel = False  # a call typed before ready brought it: no start-up check after it
        self.account.show_balance(reading.balance, reading.currency, reading.user, threshold=reading.threshold,
                                  when=reading.when)

    @Slot(str)
    def on_account_named(self, user: str) -> None:
        self._account_name = user
        self.setWindowTitle(self._title(user))

    # -- profiles -------------------------------------------------------------------------------------

    @Slot(object)
    def on_profile_changed(self, services: DeskServices) -> None:
        """A profile is in use (at start, after a switch): switcher, colour, title."""
        profiles = services.profiles
        if profiles is None or self._demo:
            self.account.profile_combo.hide()
        else:
            self.account.show_profiles([profiles.get(name) for name in profiles.names()], services.profile.name)
        self._account_name = None
        self.setWindowTitle(self._title())

    @Slot(object)
    def on_services_replaced(self, services: DeskServices) -> None:
        """Another profile's desk: its own history panel; nothing of the previous account stays on screen."""
        from termii_desk.ui.tones import Tone

        self.account.forget_balance()
        self.outcome.clear()
        self.form.phone.set_completions([])
        self._replace_history_panel(services.history)
        self.add_notice(f"Now using the profile {services.profile.name} ({services.settings.base_url}).",
                        Tone.NEUTRAL, kind=NOTICE_PROFILE, transient=True)

    def _replace_history_panel(self, store: HistoryStore) -> None:
        old, placed = self.history_panel, self._history_panel_placed
        if old is None or not placed:
            self.prepare_history(store)
            return
        from termii_desk.ui.history_panel import HistoryPanel

        index = self._layout.indexOf(old)
        self._layout.removeWidget(old)
        old.hide()
        old.deleteLater()
        self._history_store = store
        panel = HistoryPanel(store, self, executor=self._executor)
        self._connect_history_panel(panel)
        self.history_panel = panel
        self._layout.insertWidget(index, panel, 1)
        panel.show()

    @Slot(str)
    def on_profile_switch_refused(self, sentence: str) -> None:
        from termii_desk.ui.tones import Tone

        self.account.show_current_profile()
        self.add_notice(sentence, Tone.WARNING, kind=NOTICE_PROFILE)

    @Slot(object)
    def on_outlook_known(self, outlook: BalanceOutlook) -> None:
        self.account.show_outlook(outlook.estimate, outlook.trend)

    @Slot(int)
    def on_retention_question(self, days: int) -> None:
        from termii_desk.ui.notices import RetentionQuestion

        if self.retention_question is not None or days <= 0:
            if days <= 0:  # keeping everything deletes nothing: nothing to ask, but remember it was settled
                self.controller.on_retention_answered(days, True)
            return
        question = RetentionQuestion(days, self)
        question.answered.connect(self.controller.on_retention_answered)
        question.destroyed.connect(self._forget_retention_question)
        self.retention_question = question
        self.notices.add_question(question)

    def _forget_retention_question(self) -> None:
        self.retention_question = None

    @Slot()
    def on_export_requested(self) -> None:
        """Export: ask where (the file dialog), then the controller writes the attempts shown on a worker."""
        from pathlib import Path

        panel = self.history_panel
        services = self.controller.services
        if panel is None or services is None:
            return
        profile = None if panel.all_profiles else services.profile.name
        from datetime import datetime

        suggested = f"termii-desk-{profile or 'all-profiles'}-{datetime.now():%Y%m%d-%H%M}.csv"
        path = ask_export_path(self, suggested)  # modal: the agent chose Export
        if path:
            self.controller.on_export_requested((Path(path), panel.model.query, profile))

    @Slot(str)
    def on_export_finished(self, sentence: str) -> None:
        from termii_desk.ui.tones import Tone

        # The latest export's sentence replaces the one before; a confirmation goes by itself, a failure stays.
        done = "exported" in sentence
        self.add_notice(sentence, Tone.GOOD if done else Tone.BAD, kind=NOTICE_EXPORT, transient=done)

    # -- the window's own actions ---------------------------------------------------------------------

    @Slot()
    def on_settings_requested(self) -> None:
        services = self.controller.services
        if services is None:
            return
        if self.settings_dialog is not None and self.settings_dialog.isVisible():
            self.settings_dialog.raise_()
            self.settings_dialog.activateWindow()
            return
        from PySide6.QtCore import Qt

        from termii_desk.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(services, self._executor, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self.settings_saved)
        dialog.key_removed.connect(lambda: self.controller.after_settings(True))  # back to the first-run page
        dialog.destroyed.connect(self._forget_settings_dialog)
        self.settings_dialog = dialog
        dialog.open()

    def _forget_settings_dialog(self) -> None:
        self.settings_dialog = None

    @Slot()
    def on_filter_requested(self) -> None:
        if self.history_panel is not None:
            self._place_history_panel()
            self.history_panel.focus_filter()

    @Slot()
    def on_clear_requested(self) -> None:
        """"New customer": both fields emptied (the outcome of the last call stays); Ctrl+Z brings them back."""
        if self.pages.currentWidget() is self._form_page:
            self.form.clear()
            self.undo_clear_action.setEnabled(self.form.can_undo_clear)

    @Slot()
    def on_undo_clear_requested(self) -> None:
        self.form.undo_clear()
        self.undo_clear_action.setEnabled(False)

    @Slot()
    def on_form_text_changed(self) -> None:
        self.undo_clear_action.setEnabled(self.form.can_undo_clear)

    @Slot(str)
    def on_use_number_requested(self, number: str) -> None:
        self.form.use_number(number)

    @Slot(str)
    def on_outcome_message_id_changed(self, message_id: str) -> None:
        self.copy_id_action.setEnabled(bool(message_id))

    # -- the keyboard -----------------------------------------------------------------------------------

    def tab_order(self, within: QWidget | None = None) -> list[QWidget]:
        """Every control Tab stops at now, in the order the eye reads the window.

        The panels in the order they are seen: the account strip (profile switcher, Refresh), the form (phone,
        code, Generate, Send), the outcome (its texts, Show code, Copy id, details) or the first-run page, the
        notices under them, then the history panel (the filter's row and whatever the panel puts above the
        table, the table, the details); within each panel, top to bottom and left to right (``reading_order``).
        Anything else in the window that takes Tab comes after them, in reading order too, so no control is ever
        unreachable. ``within``: one of those panels alone (its part of the order, as it is in the whole).
        """
        panels: list[QWidget | None] = [self.form]
        if within is not None:
            panels = [within]
        elif self._built:
            panels = [self.account, self.form, self.outcome, self._first_run, self.notices, self.team_status,
                      self.history_panel]
        order: list[QWidget] = []
        taken: set[int] = set()
        for panel in panels if within is not None else [*panels, self.centralWidget()]:
            if panel is None or not panel.isVisible():
                continue
            widgets = [w for w in [panel, *panel.findChildren(QWidget)] if id(w) not in taken and _takes_tab(w, self)]
            taken.update(id(w) for w in widgets)
            order.extend(reading_order(widgets, self))
        return order

    def focusNextPrevChild(self, next: bool) -> bool:
        """Tab and Shift+Tab anywhere in the window follow ``tab_order()`` (round the window, both ways)."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QApplication

        if not self._built:  # the first frame: the form's own order
            return super().focusNextPrevChild(next)
        reason = Qt.FocusReason.TabFocusReason if next else Qt.FocusReason.BacktabFocusReason
        focus = QApplication.focusWidget()
        if focus is not None and self.form.isAncestorOf(focus):
            # Within the form (phone -> code, the agent's usual Tab): its own part of the order is enough, and
            # the whole window's widgets are not looked at (at start, ~7 ms of the first Tab).
            steps = self.tab_order(within=self.form)
            at = steps.index(focus) + (1 if next else -1) if focus in steps else -1
            if 0 <= at < len(steps):
                steps[at].setFocus(reason)
                return True
        order = self.tab_order()
        while focus is not None and focus not in order:  # the line edit inside an editable combo box, a spin box
            focus = focus.parentWidget()
        if focus is None or len(order) < 2:
            return super().focusNextPrevChild(next)
        target = order[(order.index(focus) + (1 if next else -1)) % len(order)]
        target.setFocus(reason)
        return True

    # -- closing --------------------------------------------------------------------------------------

    @property
    def closed_without_waiting(self) -> bool:
        """The agent closed during a call and chose not to wait: nothing should wait for it at exit either."""
        return self._closed_without_waiting

    def closeEvent(self, event: QCloseEvent) -> None:
        """During a call, ask: wait (the window stays) or close anyway (the call is recorded as unknown, with
        that reason). Otherwise let requests in flight finish (bounded by their own timeouts)."""
        calls = self.controller.calls_in_flight if self._built else 0
        if calls and not self._closing:
            from termii_desk.ui.dialogs import CloseDuringCallDialog

            if not CloseDuringCallDialog.ask(self, calls):
                event.ignore()
                return
            self._closed_without_waiting = True
        self._closing = True
        if self.history_panel is not None:
            self.history_panel.model.close()  # no history reads from now on: the store is closed after this
        self.closing.emit()
        services = self.services
        if self._closed_without_waiting:
            self.hide()  # at once: a shared history may take a moment to take the calls' completions
            self.controller.abandon_calls()
            if not self.controller.wait_for_recording(RECORDING_WAIT_SECONDS):
                log.warning("closing while a call's attempt is still being recorded")
        elif self._executor.pending():
            self.hide()
            settings = services.settings if services else None
            limit = (settings.connect_timeout + settings.read_timeout if settings else 35.0) + CLOSE_GRACE_SECONDS
            log.info("closing: waiting up to %.0f s for %d request(s) in flight", limit, self._executor.pending())
            if not self._executor.wait(limit):
                log.warning("closing while a request is still running after %.0f s", limit)
        if self._built:
            self.controller.close()
        else:
            self._executor.discard_deliveries()
        super().closeEvent(event)
