"""The desk window: composes the account strip, the send form, the outcome, history, and wires them.

The window is built and shown before the core exists (so it appears at once); ``attach()`` hands it the
core objects when they are ready. At start it is even built in two steps: ``MainWindow(skeleton=True)`` is
only the frame, with an outline of its parts painted on it (ui/skeleton.py), and ``build_content()`` (called
once that has been painted) makes the widgets, so only this module loads before the first paint. Every core
call goes through ``QueryOp`` on the executor: the GUI thread never waits on the network, the keyring or a
slow disk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtWidgets import QMainWindow, QWidget

from termii_desk import APP_NAME
from termii_desk.core.errors import DeskError, Outcome
from termii_desk.ui.worker import Executor, QueryOp

if TYPE_CHECKING:
    from datetime import datetime

    from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
    from PySide6.QtWidgets import QStackedWidget, QVBoxLayout

    from termii_desk.core.bootstrap import DeskServices
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
    from termii_desk.ui.send_form import SendForm
    from termii_desk.ui.settings_dialog import SettingsDialog
    from termii_desk.ui.skeleton import SkeletonPainter

log = logging.getLogger(__name__)

DEMO_MARKER = "DEMO"
# Closing waits for requests in flight this much longer than their own timeouts allow.
CLOSE_GRACE_SECONDS = 3.0
# Between the steps that bring the history panel in after attach(), each its own event-loop turn.
HISTORY_STEP_MS = 2
UNEXPECTED = "Something unexpected went wrong; the details are in the log file."


def _now() -> datetime:
    from datetime import datetime  # not at import: this module loads before the first paint

    return datetime.now()


class MainWindow(QMainWindow):
    """Termii Desk's one window.

    Signals:
        content_built(): ``build_content()`` made the widgets (shown with the window's next paint).
        ready(): ``attach()`` finished; the form accepts input (or the first-run page shows).
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
        self, executor: Executor, *, demo: bool = False, skeleton: bool = False, parent: QWidget | None = None
    ) -> None:
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
        # The widgets, made by build_content().
        self.account: AccountStrip
        self.notices: NoticeBar
        self.form: SendForm
        self.outcome: OutcomeView
        self.first_run: FirstRunPage
        self.pages: QStackedWidget
        self._form_page: QWidget
        self._layout: QVBoxLayout
        self._built = False
        self._skeleton: SkeletonPainter | None = None

        self.setObjectName("MainWindow")
        self.setWindowTitle(self._title())
        self.resize(900, 720)
        if skeleton:
            from termii_desk.ui.skeleton import SkeletonPainter

            self._skeleton = SkeletonPainter(self)  # the outline, until build_content()
        else:
            self.build_content()

    @property
    def built(self) -> bool:
        """``build_content()`` has run: the form, strip, outcome and actions exist."""
        return self._built

    def build_content(self) -> None:
        """Make the widgets (in place of the skeleton, when there is one); once."""
        if self._built:
            return
        from PySide6.QtWidgets import QStackedWidget, QVBoxLayout

        from termii_desk.ui.account_strip import AccountStrip
        from termii_desk.ui.first_run import FirstRunPage
        from termii_desk.ui.notices import NoticeBar
        from termii_desk.ui.outcome_view import OutcomeView
        from termii_desk.ui.send_form import SendForm

        self._built = True
        if self._skeleton is not None:
            self._skeleton.remove()
            self._skeleton = None
        self.account = AccountStrip(self, demo=self._demo)
        self.notices = NoticeBar(self)
        self.form = SendForm(self)
        self.form.setEnabled(False)
        self.outcome = OutcomeView(self)
        self.first_run = FirstRunPage(self)

        form_page = QWidget(self)
        form_layout = QVBoxLayout(form_page)
        form_layout.setContentsMargins(0, 0, 0, 0)
        form_layout.setSpacing(10)
        form_layout.addWidget(self.form)
        form_layout.addWidget(self.outcome)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(form_page)
        self.pages.addWidget(self.first_run)
        self._form_page = form_page

        central = QWidget(self)
        self._layout = QVBoxLayout(central)
        self._layout.setContentsMargins(12, 10, 12, 12)
        self._layout.setSpacing(10)
        self._layout.addWidget(self.account)
        self._layout.addWidget(self.notices)
        self._layout.addWidget(self.pages)
        self._layout.addStretch(1)  # replaced by the history panel once it exists
        self.setCentralWidget(central)

        self._make_actions()
        self._connect_signals()
        self.form.phone.edit.setFocus()
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
        menu = self.menuBar().addMenu("&Desk")
        menu.addActions([self.settings_action, self.refresh_action])
        menu.addSeparator()
        menu.addActions([self.filter_action, self.clear_action])
        menu.addSeparator()
        menu.addAction(self.quit_action)

    def _connect_signals(self) -> None:
        self.form.send_requested.connect(self.on_send_requested)
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
        """Take the core objects: history panel, notices, and a balance check (once the panel shows) given a key."""
        self.build_content()
        self._services = services
        self.prepare_history(services.history)
        self.attempt_recorded.connect(self.on_attempt_recorded)

        for sentence in services.notices:
            self.notices.add(sentence)
        if services.history.notice:
            self.notices.add(services.history.notice)
        self._apply_settings(services.settings)
        self.form.setEnabled(True)
        self.show_key_status(services.key_status)
        self.form.phone.edit.setFocus()
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
            self.pages.setCurrentWidget(self._form_page)
            self.refresh_action.setEnabled(True)
            if self.history_panel is not None and not self._history_panel_placed:
                # Once the panel is shown: the check's worker would slow the panel's first paint (the GIL).
                self._balance_after_panel = True
            else:
                self.on_refresh_requested()
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
        from termii_desk.core.bootstrap import save_settings

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
