"""The desk window: composes the account strip, the send form, the outcome, history, and wires them.

The window is built and shown before the core exists (so it appears at once); ``attach()`` hands it the
core objects when they are ready. At start it is built in two steps: ``MainWindow(staged=True)`` is the frame
and the form's line edits and buttons (no Qt enums, no core, so it paints as fast as an empty window), and
``build_content()`` (called once that has been painted) adds the live lines, the account strip, notices,
outcome and menu around them. From the first frame the phone field has the focus and takes every keystroke;
Enter before ``attach()`` is kept by the form and acted on at ready. Every core call goes through ``QueryOp``
on the executor: the GUI thread never waits on the network, the keyring or a slow disk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtWidgets import QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from termii_desk import APP_NAME
from termii_desk.core.errors import DeskError, Outcome
from termii_desk.ui.send_form import SendForm
from termii_desk.ui.worker import Executor, QueryOp

if TYPE_CHECKING:
    from datetime import datetime

    from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
    from PySide6.QtWidgets import QMenu

    from termii_desk.core.desk import CallAttempt
    from termii_desk.core.history import HistoryStore
    from termii_desk.core.keystore import KeyStatus
    from termii_desk.core.results import BalanceResult
    from termii_desk.core.settings import Settings
    from termii_desk.core.validation import Code, PhoneNumber
    from termii_desk.ui.account_strip import AccountStrip
    from termii_desk.ui.first_run import FirstRunPage
    from termii_desk.ui.history_panel import HistoryPanel
    from termii_desk.ui.notices import NoticeBar
    from termii_desk.ui.outcome_view import OutcomeView
    from termii_desk.ui.services import DeskServices
    from termii_desk.ui.settings_dialog import SettingsDialog
    from termii_desk.ui.tones import Tone

log = logging.getLogger(__name__)

DEMO_MARKER = "DEMO"
# Closing waits for requests in flight this much longer than their own timeouts allow.
CLOSE_GRACE_SECONDS = 3.0
# Between the steps that bring the history panel in after attach(), each its own event-loop turn.
HISTORY_STEP_MS = 2
UNEXPECTED = "Something unexpected went wrong; the details are in the log file."
SEND_DEFERRED_HEADLINE = "Sending as soon as the desk is ready"
SEND_DEFERRED_DETAILS = ("The desk is still starting. The call goes out once it is ready, if the number and the "
                         "code check out then. Esc cancels.")
# The account strip's height before it exists (its margins and frame around a button), so the form never moves.
STRIP_ROOM_EXTRA = 14


def _now() -> datetime:
    from datetime import datetime  # not at import: this module loads before the first paint

    return datetime.now()


class MainWindow(QMainWindow):
    """Termii Desk's one window.

    Signals:
        content_built(): ``build_content()`` made the widgets (shown with the window's next paint).
        ready(): ``attach()`` finished; the form can send (or the first-run page shows).
        call_finished(object): a send ended: the ``CallAttempt``, or the ``DeskError`` when nothing was
            attempted (no key, bad base URL, no keyring). Not emitted when the agent declined the cooldown.
        balance_finished(object): a balance check ended: the ``BalanceResult`` or the error.
        settings_applied(object): new ``Settings`` are in use.
        attempt_recorded(int): a call's history row exists and its request is about to go out (emitted
            from the worker thread; delivered queued to the GUI thread).
    """

    content_built = Signal()
    ready = Signal()
    call_finished = Signal(object)
    balance_finished = Signal(object)
    settings_applied = Signal(object)
    attempt_recorded = Signal(int)

    def __init__(
        self, executor: Executor, *, demo: bool = False, staged: bool = False, parent: QWidget | None = None
    ) -> None:
        """``staged``: only the first frame (frame, form's line edits and buttons); ``build_content()`` the rest."""
        super().__init__(parent)
        self._executor = executor
        self._demo = demo
        self._services: DeskServices | None = None
        self._balance_busy = False
        # Bumped when the key or settings change: a balance answer from before belongs to the old account.
        self._balance_generation = 0
        self._closing = False
        self.history_panel: HistoryPanel | None = None
        self._history_panel_placed = False
        self._history_store: HistoryStore | None = None
        self._balance_after_panel = False  # the start-up balance check waits for the history panel's first paint
        self.settings_dialog: SettingsDialog | None = None
        self._early_notices: list[tuple[str, Tone | None]] = []  # notices before build_content() made the bar
        # The widgets build_content() adds around the first frame's.
        self.account: AccountStrip
        self.notices: NoticeBar
        self.outcome: OutcomeView
        self.first_run: FirstRunPage
        self._built = False

        self.setObjectName("MainWindow")
        self.setWindowTitle(self._title())
        self.resize(900, 720)
        # The first frame: the form where it will stay, the phone field focused; Enter is kept until attach().
        self._desk_menu: QMenu = self.menuBar().addMenu("&Desk")
        central = QWidget(self)
        self._layout = QVBoxLayout(central)
        self._layout.setContentsMargins(12, 10, 12, 12)
        self._layout.setSpacing(10)
        self.form = SendForm(self, staged=True)
        self.form.phone.set_checking(True)  # until attach(): the loader reads the phone metadata
        self._strip_room = QWidget(central)  # where the account strip will be
        self._strip_room.setFixedHeight(self.form.send_button.sizeHint().height() + STRIP_ROOM_EXTRA)
        self._form_page = QWidget(self)
        self._form_layout = QVBoxLayout(self._form_page)
        self._form_layout.setContentsMargins(0, 0, 0, 0)
        self._form_layout.setSpacing(10)
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
    def built(self) -> bool:
        """``build_content()`` has run: the form, strip, outcome and actions exist."""
        return self._built

    def build_content(self) -> None:
        """Add the live lines, account strip, notices, outcome, first-run page and menu; once.

        Nothing here moves the focus: the agent may be typing already.
        """
        if self._built:
            return
        from termii_desk.ui.account_strip import AccountStrip
        from termii_desk.ui.first_run import FirstRunPage
        from termii_desk.ui.notices import NoticeBar
        from termii_desk.ui.outcome_view import OutcomeView

        self._built = True
        self.form.finish()
        self.account = AccountStrip(self, demo=self._demo)
        self._layout.replaceWidget(self._strip_room, self.account)
        self._strip_room.deleteLater()
        self.notices = NoticeBar(self)
        self._layout.insertWidget(1, self.notices)
        self.outcome = OutcomeView(self)
        self._form_layout.addWidget(self.outcome)
        self.first_run = FirstRunPage(self)
        self.pages.addWidget(self.first_run)

        self._make_actions()
        self._connect_signals()
        for sentence, tone in self._early_notices:
            self.add_notice(sentence, tone)
        self._early_notices.clear()
        if self.form.send_pending:
            self.on_send_deferred()
        self.content_built.emit()

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
        self.clear_action = action("&Clear form", "Esc", "clear_action")
        self.quit_action = action("&Quit", "Ctrl+Q", "quit_action")
        self.refresh_action.setEnabled(False)
        menu = self._desk_menu
        menu.addActions([self.settings_action, self.refresh_action])
        menu.addSeparator()
        menu.addActions([self.filter_action, self.clear_action])
        menu.addSeparator()
        menu.addAction(self.quit_action)

    def _connect_signals(self) -> None:
        self.form.send_requested.connect(self.on_send_requested)
        self.form.send_deferred.connect(self.on_send_deferred)
        self.form.deferred_refused.connect(self.on_deferred_send_refused)
        self.account.refresh_requested.connect(self.on_refresh_requested)
        self.first_run.settings_requested.connect(self.on_settings_requested)
        self.settings_action.triggered.connect(self.on_settings_requested)
        self.refresh_action.triggered.connect(self.on_refresh_requested)
        self.filter_action.triggered.connect(self.on_filter_requested)
        self.clear_action.triggered.connect(self.on_clear_requested)
        self.quit_action.triggered.connect(self.close)

    def prepare_history(self, store: HistoryStore) -> None:
        """Build the history panel, hidden, for ``store``; ``attach()`` does it when this was not called first.

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
        self.history_panel = HistoryPanel(store, self, executor=self._executor)
        self.history_panel.hide()
        self.history_panel.use_number_requested.connect(self.on_use_number_requested)

    def attach(self, services: DeskServices) -> None:
        """Take the core objects: history panel, notices, and a balance check (once the panel shows) given a key.

        What was typed meanwhile is validated now, the focus stays where the agent put it, and an Enter pressed
        before is acted on (sent, or why not said) once.
        """
        self.build_content()
        self._services = services
        self.prepare_history(services.history)
        self.attempt_recorded.connect(self.on_attempt_recorded)

        for sentence in services.notices:
            self.notices.add(sentence)
        if services.history.notice:
            self.notices.add(services.history.notice)
        self._apply_settings(services.settings)
        self.form.phone.set_checking(False)
        self.show_key_status(services.key_status)
        if not services.key_status.has_key:
            self.form.cancel_pending()  # nothing can be sent: the first-run page says why
        self.form.set_ready(True)
        self._next_turn(self._lay_out_history_panel)
        self.ready.emit()

    def _next_turn(self, step: Callable[[], None]) -> None:
        # Not 0 ms: zero timers run before timers already due (a repaint, the heartbeat of a benchmark).
        QTimer.singleShot(HISTORY_STEP_MS, self, step)

    def _lay_out_history_panel(self) -> None:
        """A turn after ``attach()``: size and lay out the hidden panel, as it will be in the window."""
        panel = self.history_panel
        if panel is None or self._history_panel_placed:
            return
        panel.lay_out_hidden(self._layout.contentsRect().width())
        self._next_turn(self._warm_up_history_panel)

    def _warm_up_history_panel(self) -> None:
        """Another turn: pay the table's first-paint cost off-screen, on one row's strip."""
        panel = self.history_panel
        if panel is None or self._history_panel_placed:
            return
        panel.warm_up()
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
        if self._balance_after_panel:
            self._next_turn(self._start_deferred_balance_check)  # after the paint this show asks for

    def _start_deferred_balance_check(self) -> None:
        if self._balance_after_panel:
            self.on_refresh_requested()

    # -- state ------------------------------------------------------------------------------------------

    @property
    def services(self) -> DeskServices | None:
        return self._services

    @property
    def balance_check_pending(self) -> bool:
        """``attach()`` asked for a balance check that starts once the history panel has been shown."""
        return self._balance_after_panel

    @property
    def demo(self) -> bool:
        return self._demo

    def show_key_status(self, status: KeyStatus) -> None:
        """Form when a key exists, first-run page when not; the balance is checked when there is a key."""
        if self._services is not None:
            self._services.key_status = status
        if status.has_key:
            focus = self.focusWidget()
            keep_focus = self.pages.currentWidget() is self._form_page and focus is not None and (
                self._form_page.isAncestorOf(focus))
            self.pages.setCurrentWidget(self._form_page)
            self.refresh_action.setEnabled(True)
            if self.history_panel is not None and not self._history_panel_placed:
                # Once the panel is shown: the check's worker would slow the panel's first paint (the GIL).
                self._balance_after_panel = True
            else:
                self.on_refresh_requested()
            if not keep_focus:  # the agent may be typing in the form already: never take the focus from there
                self.form.phone.edit.setFocus()
        else:
            self.first_run.set_problem(status.problem)
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

    def _title(self, account: str | None = None) -> str:
        if self._demo:
            return f"{APP_NAME} — {DEMO_MARKER}"
        return f"{APP_NAME} — {account}" if account else APP_NAME

    def _apply_settings(self, settings: Settings) -> None:
        self.form.phone.set_default_region(settings.default_region)

    # -- sending --------------------------------------------------------------------------------------

    @Slot(object, object)
    def on_send_requested(self, phone: PhoneNumber, code: Code) -> None:
        """The form asked to send (it is busy now): check the cooldown, then place the call on a worker."""
        services = self._services
        if services is None or self._closing:
            self.form.set_busy(False)
            return
        desk = services.desk
        QueryOp(parent=self, op=lambda: desk.recently_called(phone),
                success=lambda last: self.on_cooldown_checked(phone, code, last)).failure(
            self.on_call_failed
        ).run_in_background(self._executor)

    @Slot()
    def on_send_deferred(self) -> None:
        """Enter before the desk was ready: say it will be sent then (the outcome view exists once built)."""
        from termii_desk.ui.tones import Tone

        if self._built:
            self.outcome.show_message(SEND_DEFERRED_HEADLINE, SEND_DEFERRED_DETAILS, Tone.PLAIN)

    @Slot(str)
    def on_deferred_send_refused(self, reason: str) -> None:
        from termii_desk.ui.tones import Tone

        self.outcome.show_message("Not sent", reason, Tone.BAD)

    def add_notice(self, sentence: str, tone: Tone | None = None) -> None:
        """A non-modal notice at the top (kept until the bar exists); it never takes the focus."""
        if not self._built:
            self._early_notices.append((sentence, tone))
        elif tone is None:
            self.notices.add(sentence)
        else:
            self.notices.add(sentence, tone)

    def on_cooldown_checked(self, phone: PhoneNumber, code: Code, last: datetime | None) -> None:
        from termii_desk.ui.dialogs import CooldownDialog
        from termii_desk.ui.tones import Tone

        if last is not None and not CooldownDialog.ask(self, phone.display, last):
            self.form.set_busy(False)
            self.outcome.show_message("Not sent", f"{phone.display} was not called again.", Tone.NEUTRAL)
            return
        assert self._services is not None
        desk = self._services.desk
        self.outcome.show_sending(phone.display)
        recorded = self.attempt_recorded.emit
        QueryOp(parent=self, op=lambda: desk.place_call(phone, code, on_recorded=recorded),
                success=self.on_call_finished).failure(
            self.on_call_failed
        ).run_in_background(self._executor)

    def on_call_finished(self, attempt: CallAttempt) -> None:
        self.form.set_busy(False)
        balance_text = None
        result = attempt.result
        if attempt.outcome is Outcome.SENT and result is not None:
            if result.balance is not None:
                assert self._services is not None
                currency = self._services.desk.currency
                balance_text = result.balance.display(currency or "")
                self.account.show_balance(result.balance, currency, result.user,
                                          threshold=self._services.settings.low_balance_threshold,
                                          when=_now())
            if result.user:
                self.setWindowTitle(self._title(result.user))
            self.form.clear_code()
            self.form.focus_phone(select_all=True)
        self.outcome.show_attempt(attempt, balance_text)
        panel = self.history_panel
        if panel is not None:
            if attempt.history_id is not None:
                panel.set_in_flight(attempt.history_id, False)  # re-reads that one attempt: its outcome shows
            if attempt.history_id is None or panel.model.row_of(attempt.history_id) is None:
                panel.refresh()  # not among the rows shown: reload (a whole page and the counts)
        self.call_finished.emit(attempt)

    @Slot(int)
    def on_attempt_recorded(self, row_id: int) -> None:
        """The attempt is in history: show it at the top as "Sending…" while Termii answers."""
        if self.history_panel is not None:
            self.history_panel.set_in_flight(row_id, True)
            self.history_panel.refresh()

    def on_call_failed(self, error: BaseException) -> None:
        """Nothing was attempted (``ConfigError``), or something unexpected broke before the call."""
        self.form.set_busy(False)
        if not isinstance(error, DeskError):
            log.error("unexpected error while sending", exc_info=error)
        self.outcome.show_failure(str(error) if isinstance(error, DeskError) else UNEXPECTED)
        if self.history_panel is not None:
            self.history_panel.refresh()
        self.call_finished.emit(error)

    # -- balance --------------------------------------------------------------------------------------

    @Slot()
    def on_refresh_requested(self) -> None:
        services = self._services
        if services is None or self._balance_busy or self._closing or not services.key_status.has_key:
            return
        self._balance_busy = True
        self._balance_after_panel = False
        self.account.set_loading(True)
        desk = services.desk
        generation = self._balance_generation
        QueryOp(parent=self, op=desk.check_balance,
                success=lambda result: self._balance_answered(generation, result, self.on_balance_loaded)).failure(
            lambda error: self._balance_answered(generation, error, self.on_balance_failed)
        ).run_in_background(self._executor)

    def _balance_answered(self, generation: int, value: Any, handler: Callable[[Any], None]) -> None:
        if generation != self._balance_generation:
            self._balance_busy = False
            self.on_refresh_requested()  # the answer was for the old key or settings: ask again
            return
        handler(value)

    def on_balance_loaded(self, result: BalanceResult) -> None:
        self._balance_busy = False
        assert self._services is not None
        self.account.show_balance(result.balance, result.currency, result.user,
                                  threshold=self._services.settings.low_balance_threshold, when=_now())
        if result.user:
            self.setWindowTitle(self._title(result.user))
        self.balance_finished.emit(result)

    def on_balance_failed(self, error: BaseException) -> None:
        self._balance_busy = False
        if not isinstance(error, DeskError):
            log.error("unexpected error while checking the balance", exc_info=error)
        self.account.show_problem(str(error) if isinstance(error, DeskError) else UNEXPECTED)
        self.balance_finished.emit(error)

    # -- settings -------------------------------------------------------------------------------------

    @Slot()
    def on_settings_requested(self) -> None:
        if self._services is None:
            return
        if self.settings_dialog is not None and self.settings_dialog.isVisible():
            self.settings_dialog.raise_()
            self.settings_dialog.activateWindow()
            return
        from PySide6.QtCore import Qt

        from termii_desk.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self._services, self._executor, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self.on_settings_saved)
        dialog.destroyed.connect(self._forget_settings_dialog)
        self.settings_dialog = dialog
        dialog.open()

    def _forget_settings_dialog(self) -> None:
        self.settings_dialog = None

    def on_settings_saved(self, settings: Settings, key_changed: bool) -> None:
        from termii_desk.ui.services import save_settings

        services = self._services
        assert services is not None
        self._apply_settings(settings)
        QueryOp(parent=self, op=lambda: save_settings(services, settings),
                success=lambda _none: self.on_settings_stored(settings, key_changed)).failure(
            lambda error: self.on_settings_store_failed(error, settings, key_changed)
        ).run_in_background(self._executor)

    def on_settings_stored(self, settings: Settings, key_changed: bool) -> None:
        self.settings_applied.emit(settings)
        self._after_settings(key_changed)

    def on_settings_store_failed(self, error: BaseException, settings: Settings, key_changed: bool) -> None:
        log.error("settings could not be saved", exc_info=error)
        reason = getattr(error, "strerror", None) or type(error).__name__
        self.notices.add(f"The settings could not be saved ({reason}); they apply until you close the window.")
        self.settings_applied.emit(settings)
        self._after_settings(key_changed)

    def _after_settings(self, key_changed: bool) -> None:
        services = self._services
        assert services is not None
        self._balance_generation += 1
        if key_changed:
            services.desk.forget_client()
            keystore = services.keystore
            QueryOp(parent=self, op=keystore.status, success=self.show_key_status).failure(
                self.on_balance_failed
            ).run_in_background(self._executor)
        else:
            self.on_refresh_requested()

    # -- small actions --------------------------------------------------------------------------------

    @Slot()
    def on_filter_requested(self) -> None:
        if self.history_panel is not None:
            self._place_history_panel()
            self.history_panel.focus_filter()

    @Slot()
    def on_clear_requested(self) -> None:
        if self.pages.currentWidget() is self._form_page and not self.form.busy:
            self.form.clear()
            self.outcome.clear()

    @Slot(str)
    def on_use_number_requested(self, number: str) -> None:
        self.form.use_number(number)

    # -- closing --------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        """Let requests in flight finish (bounded by their own timeouts), so history rows are completed."""
        self._closing = True
        if self._executor.pending():
            self.hide()
            settings = self._services.settings if self._services else None
            limit = (settings.connect_timeout + settings.read_timeout if settings else 35.0) + CLOSE_GRACE_SECONDS
            log.info("closing: waiting up to %.0f s for %d request(s) in flight", limit, self._executor.pending())
            if not self._executor.wait(limit):
                log.warning("closing while a request is still running after %.0f s", limit)
        self._executor.discard_deliveries()
        if self._services is not None:
            self._services.desk.close()
        super().closeEvent(event)
