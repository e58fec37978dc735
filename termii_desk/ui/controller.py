"""The desk's flows, apart from any window: send (cooldown question, call, history), balance, settings saving.

``DeskController`` is given the core services (``attach``) and an executor; it never touches a widget and
knows no window. It says what happened through its signals and takes what the agent asked for through its
``on_*`` slots; ``MainWindow._connect_signals()`` connects both sides. Every core call runs through
``QueryOp`` on the executor, so the GUI thread never waits on the network, the keyring or a slow disk.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from termii_desk.core.errors import DeskError, Outcome
from termii_desk.ui.worker import Executor, QueryOp

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from termii_desk.core.bootstrap import DeskServices
    from termii_desk.core.desk import CallAttempt
    from termii_desk.core.estimate import CostEstimate, Trend
    from termii_desk.core.history_backend import HistoryBackend, HistoryQuery
    from termii_desk.core.keystore import KeyStatus
    from termii_desk.core.results import Balance, BalanceResult
    from termii_desk.core.settings import Settings
    from termii_desk.core.validation import Code, PhoneNumber

log = logging.getLogger(__name__)

OUTLOOK_DELAY_MS = 300
OLD_SERVICES_CLOSE_MS = 3000
UNEXPECTED = "Something unexpected went wrong; the details are in the log file."
# How long Send waits after Termii limited requests without saying for how long (its sentence: "a minute").
RATE_LIMIT_WAIT_SECONDS = 60.0
# Rows other desks write reach the panel as one reload per this many ms, however many arrive.
ROWS_HEARD_MS = 200


def _now() -> datetime:
    from datetime import datetime

    return datetime.now()


@dataclass(frozen=True)
class BalanceOutlook:
    """What history says about the balance of the profile in use: the cost of a call and the trend."""

    profile: str
    estimate: CostEstimate | None
    trend: Trend


@dataclass(frozen=True)
class BalanceReading:
    """A balance to show: from a balance check or from a call's answer, with the threshold it is judged by."""

    balance: Balance | None
    currency: str | None
    user: str | None
    threshold: float
    when: datetime


class DeskController(QObject):
    """Send, cooldown question, call, history updates, balance checks and settings saving.

    Signals:
        cooldown_question(object, object, object): (``PhoneNumber``, ``Code``, last call ``datetime``): the
            number was called within the cooldown. Answer with ``on_cooldown_answered(phone, code, yes)``.
        send_declined(object): the agent chose not to call the ``PhoneNumber`` again.
        call_started(object, object): (``PhoneNumber``, local ``datetime``): the call is being placed.
        attempt_started(int): the attempt's history row exists and its request is about to go out.
        attempt_finished(object): the ``CallAttempt`` is complete (its history row too, when it has one).
        call_finished(object): a send ended: the ``CallAttempt``, or the ``DeskError`` when nothing was
            attempted (no key, bad base URL, no keyring). Not emitted when the agent declined the cooldown.
        send_failed(str): nothing was attempted (no key, bad base URL, no keyring) or something unexpected
            broke before the call; the sentence says what.
        send_ended(): the form may accept the next send (after a call, a failure or a declined question).
        rate_limited(float): Termii limited requests: wait this many seconds before the next send.
        history_changed(): history has rows the panel has not read (after a failure before the call, or
            rows another desk wrote to a shared history, announced by its listener at most every 200 ms).
        team_state(str): a shared history's state: "" when it works, else the sentence to keep showing
            ("Shared history unreachable: N calls waiting. …").
        balance_loading(): a balance check started.
        balance_known(object): a ``BalanceReading`` to show (from a balance check or a call's answer).
        balance_failed(str): the balance check failed; the sentence says why (the last balance is now old).
        balance_finished(object): a balance check ended: the ``BalanceResult`` or the error.
        account_named(str): the Termii account name the key belongs to.
        key_status_changed(object): the ``KeyStatus`` after start or after the key changed.
        settings_changed(object): new ``Settings`` are in effect (before they are stored).
        settings_applied(object): new ``Settings`` are in use and stored (or kept for this session).
        notice(str): a sentence to show the agent once.
        profile_changed(object): the ``DeskServices`` now in use (its ``profile`` and ``profiles``): at attach
            and after a switch.
        services_replaced(object): a profile switch built new ``DeskServices`` (their own history store).
        profile_switch_refused(str): a switch was not made; the sentence says why (the old profile stays).
        outlook_known(object): a ``BalanceOutlook`` (cost estimate and 14-day trend) read from history.
        completions_known(object): this profile's recent numbers (``list[str]`` of digits), newest first.
        export_finished(str): the sentence after an export (how many attempts, or why it failed).
        retention_question(int): the agent was never asked how long history is kept: ask (days as set).
    """

    cooldown_question = Signal(object, object, object)
    send_declined = Signal(object)
    call_started = Signal(object, object)
    attempt_started = Signal(int)
    attempt_finished = Signal(object)
    call_finished = Signal(object)
    send_failed = Signal(str)
    send_ended = Signal()
    rate_limited = Signal(float)
    history_changed = Signal()
    balance_loading = Signal()
    balance_known = Signal(object)
    balance_failed = Signal(str)
    balance_finished = Signal(object)
    account_named = Signal(str)
    key_status_changed = Signal(object)
    settings_changed = Signal(object)
    settings_applied = Signal(object)
    notice = Signal(str)
    # Emitted from the worker thread once a row exists; delivered queued to the GUI thread.
    team_state = Signal(str)

    profile_changed = Signal(object)
    services_replaced = Signal(object)
    profile_switch_refused = Signal(str)
    outlook_known = Signal(object)
    completions_known = Signal(object)
    export_finished = Signal(str)
    retention_question = Signal(int)
    _recorded = Signal(int)
    _row_heard = Signal(int)  # from a shared history's listener thread
    _state_heard = Signal(str)
    # Emitted from whichever thread met the trouble (history moved aside mid-session, the log file failing).
    _later_notice = Signal(str)
    _history_moved = Signal(str)  # from the thread that found the history file damaged

    def __init__(self, executor: Executor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = executor
        self._services: DeskServices | None = None
        self._balance_busy = False
        # Bumped when the key or settings change: a balance answer from before belongs to the old account.
        self._balance_generation = 0
        self._closing = False
        self._calls_in_flight = 0
        # History row id -> time.monotonic() when it was recorded; written on the worker that records the attempt,
        # under the lock, so an attempt recorded while the agent closes without waiting is never missed.
        self._rows_in_flight: dict[int, float] = {}
        self._in_flight_lock = threading.Lock()
        self._abandoning = False  # the agent closed without waiting: an attempt recorded from now on is unknown
        self._recording = 0  # calls whose attempt is being recorded on a worker (not yet recorded nor ended)
        self._recording_settled = threading.Condition()
        self._recorded.connect(self._on_recorded)
        self._later_notice.connect(self.notice)
        self._history_moved.connect(self.notice)
        self._history_moved.connect(lambda _sentence: self.history_changed.emit())  # rows of the new file
        self._row_heard.connect(self._on_row_heard)
        self._state_heard.connect(self._on_state_heard)
        self._rows_heard_timer: QTimer | None = None
        # Builds the desk for another profile (app.py's loader, on a worker); None: this window cannot switch.
        self.profile_loader: Callable[[str], DeskServices] | None = None
        self._switching = False
        self._outlook_timer: QTimer | None = None

    # -- state ------------------------------------------------------------------------------------------

    @property
    def services(self) -> DeskServices | None:
        return self._services

    @property
    def executor(self) -> Executor:
        return self._executor

    @property
    def calls_in_flight(self) -> int:
        """Calls asked for and not yet answered (the cooldown question and the call itself)."""
        return self._calls_in_flight

    @property
    def balance_in_flight(self) -> bool:
        """A balance check was asked of Termii and has not answered yet (``balance_finished`` then says)."""
        return self._balance_busy

    def attach(self, services: DeskServices, *, check_balance: bool = True) -> None:
        """Take the core services; announce the key status (and check the balance unless told to wait)."""
        self._services = services
        for sentence in services.notices:
            self.notice.emit(sentence)
        if services.history.notice:
            self.notice.emit(services.history.notice)
        if hasattr(services.history, "on_notice"):  # a file moved aside later in the session says so
            services.history.on_notice = self._history_moved.emit
        from termii_desk.core.logs import on_problem

        on_problem(self._later_notice.emit)  # the log file failing (a full disk): one notice, the desk goes on
        self._listen_to_team(services.history)
        self.settings_changed.emit(services.settings)
        self.profile_changed.emit(services)
        self._set_key_status(services.key_status, check_balance=check_balance)
        profiles = services.profiles
        if profiles is not None and not profiles.retention_asked and not services.demo:
            self.retention_question.emit(services.settings.history_retention_days)

    # -- profiles -------------------------------------------------------------------------------------

    @property
    def switching(self) -> bool:
        return self._switching

    @Slot(str)
    def on_profile_requested(self, name: str) -> None:
        """Switch to profile ``name``: refused while a call is in flight (or asked for), never mixed.

        The new profile's desk (its key, its base URL, its settings) is built on a worker by the bootstrap; the
        old one is closed only once the new one is in use, and no call starts in between.
        """
        services = self._services
        if services is None or self._closing or name == services.profile.name:
            return
        blocker = services.switch_blocker()
        if blocker is None and self.profile_loader is None:
            blocker = "This window cannot change profiles."
        if blocker is None and (self._calls_in_flight or self._switching):
            blocker = (f"A call is in flight with the profile {services.profile.name}: switch once it has "
                       "finished." if self._calls_in_flight else "Another profile is being opened.")
        if blocker is not None:
            self.profile_switch_refused.emit(blocker)
            return
        loader = self.profile_loader
        assert loader is not None
        self._switching = True
        QueryOp(parent=self, op=lambda: loader(name), success=self._profile_loaded).failure(
            self._profile_load_failed
        ).run_in_background(self._executor)

    def _profile_loaded(self, services: DeskServices) -> None:
        self._switching = False
        old = self._services
        if self._closing or self._calls_in_flight:  # cannot happen (sends wait for the switch), but never mix
            services.close()
            return
        self._balance_generation += 1  # an answer still coming for the old profile is dropped
        self.services_replaced.emit(services)
        self.attach(services)
        if old is not None:
            # A moment later: reads the old history panel had started finish first (it is being deleted).
            QTimer.singleShot(OLD_SERVICES_CLOSE_MS, self, lambda: self._close_old(old))

    def _close_old(self, old: DeskServices) -> None:
        QueryOp(parent=self, op=old.close, success=lambda _none: None).failure(
            lambda error: log.warning("closing the previous profile failed", exc_info=error)
        ).run_in_background(self._executor)

    def _profile_load_failed(self, error: BaseException) -> None:
        self._switching = False
        if not isinstance(error, DeskError):
            log.error("a profile could not be opened", exc_info=error)
        self.profile_switch_refused.emit(str(error) if isinstance(error, DeskError) else UNEXPECTED)

    # -- what history says ------------------------------------------------------------------------------

    def read_outlook(self) -> None:
        """Soon, on a worker: the cost estimate, the trend and the phone completions of the profile in use.

        A moment later rather than at once: the history panel's own reads after a call or a balance come first.
        """
        if self._outlook_timer is None:
            self._outlook_timer = QTimer(self)
            self._outlook_timer.setSingleShot(True)
            self._outlook_timer.setInterval(OUTLOOK_DELAY_MS)
            self._outlook_timer.timeout.connect(self._read_outlook_now)
        self._outlook_timer.start()

    def _read_outlook_now(self) -> None:
        services = self._services
        if services is None or self._closing:
            return
        desk = services.desk

        def read() -> tuple[BalanceOutlook, list[str]]:
            from termii_desk.core.estimate import balance_trend, estimate_cost
            from termii_desk.core.history import HistoryError

            try:
                rows = desk.recent_rows(500)
            except HistoryError:
                rows = []
            numbers: list[str] = []
            for row in rows:
                if row.phone.isdigit() and row.phone not in numbers:
                    numbers.append(row.phone)
            return BalanceOutlook(desk.profile, estimate_cost(rows), balance_trend(rows)), numbers[:50]

        def done(found: tuple[BalanceOutlook, list[str]]) -> None:
            if self._services is None or found[0].profile != self._services.profile.name:
                return  # read for a profile no longer in use
            self.outlook_known.emit(found[0])
            self.completions_known.emit(found[1])

        QueryOp(parent=self, op=read, success=done).failure(
            lambda error: log.warning("history outlook could not be read", exc_info=error)
        ).run_in_background(self._executor)

    @Slot(object)
    def on_export_requested(self, request: tuple[Path, HistoryQuery | str, str | None]) -> None:
        """(file, history query or phone filter, profile or None): write the attempts shown to a CSV file, on a
        worker."""
        services = self._services
        if services is None:
            return
        path, query, profile = request
        history = services.history

        def write() -> int:
            from termii_desk.core.history import write_export

            if isinstance(query, str):
                return write_export(history, path, phone_filter=query, profile=profile)
            return write_export(history, path, query=query, profile=profile)

        def failed(error: BaseException) -> None:
            reason = str(error) if isinstance(error, DeskError) else (getattr(error, "strerror", None)
                                                                      or type(error).__name__)
            self.export_finished.emit(f"The export could not be written ({reason}).")

        QueryOp(parent=self, op=write,
                success=lambda count: self.export_finished.emit(
                    f"{count:,} attempt{'s' if count != 1 else ''} exported to {path.name}.")).failure(
            failed
        ).run_in_background(self._executor)

    @Slot(int, bool)
    def on_retention_answered(self, days: int, keep_all: bool) -> None:
        """The agent answered how long history is kept: stored (so the command line purges too), applied now."""
        services = self._services
        if services is None or services.profiles is None:
            return
        profiles, desk = services.profiles, services.desk
        settings = services.settings.updated(history_retention_days=0 if keep_all else days)

        def store() -> int:
            profiles.mark_retention_asked()
            if services.settings_store is not None:
                services.save_settings(settings)
            else:
                desk.update_settings(settings)
            from termii_desk.core.history import HistoryStore

            return desk.apply_retention() if isinstance(desk.history, HistoryStore) else 0

        def done(purged: int) -> None:
            self.settings_changed.emit(settings)
            if purged:
                self.notice.emit(f"{purged:,} attempt{'s' if purged != 1 else ''} older than "
                                 f"{settings.history_retention_days} days removed from history.")
                self.history_changed.emit()

        QueryOp(parent=self, op=store, success=done).failure(
            lambda error: self.notice.emit(f"The answer could not be saved ({error}); you will be asked again.")
        ).run_in_background(self._executor)

    def _listen_to_team(self, history: object) -> None:
        """A shared history: hear other desks' rows and its state on its own thread (never this one)."""
        start = getattr(history, "start_listening", None)
        if start is None:
            return
        history.on_row(self._row_heard.emit)  # type: ignore[attr-defined]
        history.on_state_changed(lambda text: self._state_heard.emit(text or ""))  # type: ignore[attr-defined]
        start()

    @Slot(str)
    def _on_state_heard(self, text: str) -> None:
        self.team_state.emit(text)
        self._on_row_heard(0)  # back online, the outbox was sent: its rows now have the server's ids

    @Slot(int)
    def _on_row_heard(self, _row_id: int) -> None:
        if self._rows_heard_timer is None:
            self._rows_heard_timer = QTimer(self)
            self._rows_heard_timer.setSingleShot(True)
            self._rows_heard_timer.setInterval(ROWS_HEARD_MS)
            self._rows_heard_timer.timeout.connect(self.history_changed)
        if not self._rows_heard_timer.isActive():
            self._rows_heard_timer.start()

    def _set_key_status(self, status: KeyStatus, *, check_balance: bool = True) -> None:
        assert self._services is not None
        self._services.key_status = status
        self.key_status_changed.emit(status)
        if status.has_key and check_balance:
            self.on_refresh_requested()

    # -- sending --------------------------------------------------------------------------------------

    @Slot(object, object)
    def on_send_requested(self, phone: PhoneNumber, code: Code) -> None:
        """The form asked to send: check the cooldown on a worker, then ask or place the call."""
        services = self._services
        if services is None or self._closing:
            self.send_ended.emit()
            return
        if self._switching:
            self.send_failed.emit("Not sent: another profile is being opened. Send again in a moment.")
            self.send_ended.emit()
            return
        desk = services.desk
        self._calls_in_flight += 1
        QueryOp(parent=self, op=lambda: desk.recently_called(phone),
                success=lambda last: self._cooldown_checked(phone, code, last)).failure(
            self._call_failed
        ).run_in_background(self._executor)

    def _cooldown_checked(self, phone: PhoneNumber, code: Code, last: datetime | None) -> None:
        if last is None:
            self._place_call(phone, code, forced=False)
        else:
            self.cooldown_question.emit(phone, code, last)

    @Slot(object, object, bool)
    def on_cooldown_answered(self, phone: PhoneNumber, code: Code, call_again: bool) -> None:
        if call_again and not self._closing:
            self._place_call(phone, code, forced=True)
            return
        self._calls_in_flight -= 1
        self.send_declined.emit(phone)
        self.send_ended.emit()

    def _place_call(self, phone: PhoneNumber, code: Code, *, forced: bool) -> None:
        """``forced``: the agent said "Call again". Otherwise the history store checks the cooldown once more,
        in the same step as it records the attempt: another desk may have called the number since."""
        assert self._services is not None
        desk = self._services.desk
        self.call_started.emit(phone, _now())
        history = self._services.history
        with self._recording_settled:
            self._recording += 1
        settled = threading.Event()

        def settle() -> None:  # once: the attempt was recorded (or abandoned), or the call ended without a row
            with self._recording_settled:
                if not settled.is_set():
                    settled.set()
                    self._recording -= 1
                    self._recording_settled.notify_all()

        def recorded(row_id: int) -> None:  # on the worker, once the row exists, before the request goes out
            import time

            try:
                with self._in_flight_lock:
                    if not self._abandoning:
                        self._rows_in_flight[row_id] = time.monotonic()
                        self._recorded.emit(row_id)
                        return
                # The agent closed the window without waiting while this attempt was being recorded.
                self._abandon(history, row_id, 0)
            finally:
                settle()

        def call() -> CallAttempt:
            try:
                return desk.place_call(phone, code, on_recorded=recorded, check_cooldown=not forced)
            finally:
                settle()

        QueryOp(parent=self, op=call, success=self._call_answered).failure(
            lambda error: self._call_refused_or_failed(phone, code, error)
        ).run_in_background(self._executor)

    def _on_recorded(self, row_id: int) -> None:
        self.attempt_started.emit(row_id)
    def _call_refused_or_failed(self, phone: PhoneNumber, code: Code, error: BaseException) -> None:
        from termii_desk.core.history_backend import RecentlyCalled

        if isinstance(error, RecentlyCalled) and not self._closing:  # called meanwhile: ask, as before a call
            self.cooldown_question.emit(phone, code, error.recent.when)
            return
        self._call_failed(error)

    def _call_answered(self, attempt: CallAttempt) -> None:
        from termii_desk.core.errors import RateLimitedError

        self._calls_in_flight -= 1
        if attempt.history_id is not None:
            with self._in_flight_lock:
                self._rows_in_flight.pop(attempt.history_id, None)
        if isinstance(attempt.error, RateLimitedError):
            self.rate_limited.emit(attempt.error.retry_after or RATE_LIMIT_WAIT_SECONDS)
        result = attempt.result
        if attempt.outcome is Outcome.SENT and result is not None:
            if result.balance is not None:
                assert self._services is not None
                self.balance_known.emit(BalanceReading(
                    result.balance, self._services.desk.currency, result.user,
                    self._services.settings.low_balance_threshold, _now()))
            if result.user:
                self.account_named.emit(result.user)
        self.attempt_finished.emit(attempt)
        self.send_ended.emit()
        self.call_finished.emit(attempt)
        self.read_outlook()

    def _call_failed(self, error: BaseException) -> None:
        """Nothing was attempted (``ConfigError``), or something unexpected broke before the call."""
        self._calls_in_flight -= 1
        if not isinstance(error, DeskError):
            log.error("unexpected error while sending", exc_info=error)
        self.send_failed.emit(str(error) if isinstance(error, DeskError) else UNEXPECTED)
        self.history_changed.emit()
        self.send_ended.emit()
        self.call_finished.emit(error)

    # -- balance --------------------------------------------------------------------------------------

    @Slot()
    def on_refresh_requested(self) -> None:
        services = self._services
        if services is None or self._balance_busy or self._closing or not services.key_status.has_key:
            return
        if services.settings.base_url_problem:
            return  # nothing is asked of Termii until the base URL is fixed (the window says so)
        self._balance_busy = True
        self.balance_loading.emit()
        desk = services.desk
        generation = self._balance_generation
        QueryOp(parent=self, op=desk.check_balance,
                success=lambda result: self._balance_answered(generation, result, self._balance_loaded)).failure(
            lambda error: self._balance_answered(generation, error, self._balance_check_failed)
        ).run_in_background(self._executor)

    def _balance_answered(self, generation: int, value: Any, handler: Callable[[Any], None]) -> None:
        self._balance_busy = False
        if generation != self._balance_generation:
            self.on_refresh_requested()  # the answer was for the old key or settings: ask again
            return
        handler(value)

    def _balance_loaded(self, result: BalanceResult) -> None:
        assert self._services is not None
        self.balance_known.emit(BalanceReading(result.balance, result.currency, result.user,
                                               self._services.settings.low_balance_threshold, _now()))
        if result.user:
            self.account_named.emit(result.user)
        self.balance_finished.emit(result)
        self.read_outlook()  # the estimate and the trend go with the balance

    def _balance_check_failed(self, error: BaseException) -> None:
        if not isinstance(error, DeskError):
            log.error("unexpected error while checking the balance", exc_info=error)
        self.balance_failed.emit(str(error) if isinstance(error, DeskError) else UNEXPECTED)
        self.balance_finished.emit(error)

    # -- settings -------------------------------------------------------------------------------------

    @Slot(object, bool)
    def on_settings_saved(self, settings: Settings, key_changed: bool) -> None:
        """The Settings dialog saved: apply at once, store on a worker, then re-check key and balance."""
        from termii_desk.core.bootstrap import save_settings

        services = self._services
        if services is None:
            return
        self.settings_changed.emit(settings)
        QueryOp(parent=self, op=lambda: save_settings(services, settings),
                success=lambda _none: self._settings_stored(settings, key_changed)).failure(
            lambda error: self._settings_store_failed(error, settings, key_changed)
        ).run_in_background(self._executor)

    def _settings_stored(self, settings: Settings, key_changed: bool) -> None:
        self.settings_applied.emit(settings)
        self.after_settings(key_changed)

    def _settings_store_failed(self, error: BaseException, settings: Settings, key_changed: bool) -> None:
        log.error("settings could not be saved", exc_info=error)
        if isinstance(error, DeskError):
            self.notice.emit(f"The settings could not be saved: {error}")
        else:
            reason = getattr(error, "strerror", None) or type(error).__name__
            self.notice.emit(f"The settings could not be saved ({reason}); they apply until you close the window.")
        self.settings_applied.emit(settings)
        self.after_settings(key_changed)

    def after_settings(self, key_changed: bool) -> None:
        """New key or settings are in use: a balance answer from before is dropped; check again."""
        services = self._services
        assert services is not None
        self._balance_generation += 1
        if key_changed:
            services.desk.forget_client()
            keystore = services.keystore
            QueryOp(parent=self, op=keystore.status, success=self._set_key_status).failure(
                self._balance_check_failed
            ).run_in_background(self._executor)
        else:
            self.on_refresh_requested()

    # -- closing --------------------------------------------------------------------------------------

    @Slot()
    def on_closing(self) -> None:
        """The window is closing: start nothing new."""
        self._closing = True

    def abandon_calls(self) -> int:
        """The agent closes without waiting: every call in flight is recorded as unknown, with that reason.

        The first completion wins: a call whose answer was recorded before keeps it, and an answer arriving
        after this (before the process ends) leaves the unknown as it is, as a team's server would anyway (its
        row rules let nobody change a completed attempt). A shared history that cannot be reached keeps the
        completion in its outbox for the next start. Returns how many were recorded."""
        import time

        self._closing = True
        with self._in_flight_lock:  # from now on an attempt being recorded on a worker is abandoned there
            self._abandoning = True
            rows, self._rows_in_flight = self._rows_in_flight, {}
        services = self._services
        abandoned = 0
        if services is not None:
            for row_id, recorded in rows.items():
                abandoned += self._abandon(services.history, row_id, int((time.monotonic() - recorded) * 1000))
        log.info("closing without waiting for %d call(s) in flight", self._calls_in_flight)
        return abandoned

    def wait_for_recording(self, timeout_seconds: float) -> bool:
        """After ``abandon_calls``: wait (bounded) for attempts still being recorded on a worker (a slow shared
        history), which then record themselves as abandoned. True when none is left."""
        with self._recording_settled:
            return self._recording_settled.wait_for(lambda: self._recording == 0, timeout_seconds)

    @staticmethod
    def _abandon(history: HistoryBackend, row_id: int, duration_ms: int) -> bool:
        from termii_desk.core.history import HistoryError
        from termii_desk.core.words import CLOSED_BEFORE_ANSWER

        try:
            return history.abandon_attempt(row_id, duration_ms=duration_ms, error=CLOSED_BEFORE_ANSWER)
        except HistoryError as exc:
            log.error("could not record the abandoned call: %s", exc)
            return False

    def close(self) -> None:
        """Close the desk's connections (after the window waited for what was in flight)."""
        self._closing = True
        self._executor.discard_deliveries()
        if self._services is not None:
            self._services.desk.close()
