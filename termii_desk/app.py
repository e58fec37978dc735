"""Composition of the desk window: builds the core objects, injects them into the window, runs the event loop.

Start-up is ordered for speed, in three steps. (1) Only Qt, this module and the window's first frame load
before the window shows: the frame and the form's line edits and buttons, the phone field focused, so the
agent can type from the first frame on (``MainWindow(staged=True)``). (2) Once that is painted, the icon is
set and ``MainWindow.build_content()`` adds the rest of the widgets around them. (3) Once those are painted,
the log file, the keyring, phone metadata, history and (in demo mode) the simulator are loaded on a worker
thread by ``CoreLoader.load`` (a worker started earlier would compete with the paints for the interpreter)
and handed to the window with ``MainWindow.attach``, which validates what was typed and acts on an early
Enter.

Workers never make Qt's classes. PySide6 makes each class the first time Python asks for it (its enums with
it), and two threads doing that at once can crash the process (a class made twice, a table of classes yet to
make changed under the other thread); the GUI thread makes them at any time (a new kind of event reaching an
event filter is enough). So only the GUI thread imports the desk's Qt modules (ui/): workers import core
modules (which have no Qt) and run core code, and Qt's namespace, whose ~90 enums are one long block of
Python, is made before the first frame rather than in a turn where keystrokes would wait behind it. A test
runs each start-up worker job alone and checks that it made no Qt class.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import (
    QMessageLogContext,
    QObject,
    QTimer,
    QtMsgType,
    SignalInstance,
    Slot,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication

from termii_desk import APP_ID, APP_NAME, __version__
from termii_desk.ui import _pyside  # noqa: F401 (first: PySide6's import hook made cheap)
from termii_desk.ui.error_hook import ExceptionHook
from termii_desk.ui.main_window import MainWindow, after_first_paint, load_content_core
from termii_desk.ui.worker import QueryOp, ThreadExecutor

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtGui import QIcon

    from termii_desk.core.bootstrap import DeskServices
    from termii_desk.core.desk import CallAttempt
    from termii_desk.core.history import HistoryStore
    from termii_desk.core.instance import Primary
    from termii_desk.core.paths import AppPaths
    from termii_desk.simulator import TermiiSimulator
    from termii_desk.ui.history_model import FirstPage
    from termii_desk.ui.instance_bridge import InstanceBridge

log = logging.getLogger(__name__)

# Demo mode's key: known only to the in-process simulator, which listens on loopback alone.
DEMO_KEY = "demo-termii-desk-key"
SELF_TEST_PHONE = "+234 803 123 4567"
SELF_TEST_SECONDS = 20.0
# How long the process waits at exit for a request still in flight when the window did not wait itself.
EXIT_WAIT_SECONDS = 40.0
# How long a thread holds the interpreter while another waits for it (Python's default: 5 ms, one heartbeat).
GIL_SWITCH_SECONDS = 0.001
# attach() runs this long after the history panel was built, so that the GUI thread gets a turn in between.
ATTACH_DELAY_MS = 1
# Between two steps of the widgets' build (not 0 ms: zero timers run before the repaint already due).
BUILD_STEP_MS = 1
# The carrier names load once the start-up balance check has answered, or after this long without an answer.
CARRIER_FALLBACK_MS = 3000
# After ready, a call typed before it goes first: the app icon, the clear buttons and the balance check wait for
# its answer, or this long.
FIRST_CALL_FALLBACK_MS = 1000
# Garbage collection starts at ready, or after this long at most: a start that broke on the way (an error in
# attach) still collects, on the GUI thread.
COLLECT_FALLBACK_MS = 30_000


class CoreLoader:
    """Builds ``DeskServices`` with the core's one bootstrap (on a worker thread); owns what must be closed."""

    def __init__(
        self,
        paths: AppPaths | None = None,
        *,
        demo: bool = False,
        base_url: str | None = None,
        region: str | None = None,
        timeout: float | None = None,
        self_test: bool = False,
        profile: str | None = None,
        log_problem: str | None = None,
        log_file: Path | None = None,
        default_log_file: bool = False,
    ) -> None:
        """``paths`` default to ``AppPaths.from_environment()``, and ``default_log_file`` logs to theirs: both
        resolved in ``load()``, on the worker (core.paths imports dataclasses and pathlib, ~5 ms of start-up)."""
        self._paths = paths
        self.log_file = log_file
        self._default_log_file = default_log_file
        self.demo = demo or self_test
        self.base_url = base_url
        self.region = region
        self.self_test = self_test
        self.log_problem = log_problem
        self.simulator: TermiiSimulator | None = None
        self.timeout = timeout
        self.profile = profile
        self.history: HistoryStore | None = None
        self.services: DeskServices | None = None
        # The history's first page, read by load() so the panel shows it without reading on the GUI thread, with
        # the history model's reader: handed over by the GUI thread, which imports the model (see the module's text).
        self.first_page: FirstPage | None = None
        self.first_page_reader: Callable[..., FirstPage] | None = None

    def load(self) -> DeskServices:
        """Everything slow: log file, settings, keyring status, history file, the client's imports, phone metadata.

        The garbage collector is off meanwhile: these imports allocate enough to trigger a full collection, which
        holds the interpreter (and so the GUI thread) for ~15 ms. Afterwards everything start-up built is frozen
        out of later collections, which then scan only what the session adds.
        """
        collecting = gc.isenabled()  # run_window() keeps it off until the window is ready
        gc.disable()
        try:
            return self._load()
        finally:
            gc.freeze()
            if collecting:
                gc.enable()

    @property
    def paths(self) -> AppPaths:
        if self._paths is None:
            from termii_desk.core.paths import AppPaths

            self._paths = AppPaths.from_environment()
        return self._paths

    def _load(self) -> DeskServices:
        from termii_desk.core.bootstrap import DemoAccount, RunOptions, build_desk, run_only_sentence
        from termii_desk.core.validation import validate_phone

        if self.log_file is None and self._default_log_file:
            self.log_file = self.paths.log_file
        if self.log_file is not None:
            from termii_desk.core.logs import setup_logging

            self.log_problem = setup_logging(self.log_file) or self.log_problem
            log.info("%s %s starting%s", APP_NAME, __version__, " (demo)" if self.demo else "")
        demo: DemoAccount | None = None
        if self.demo:
            from termii_desk.simulator import TermiiSimulator

            self.simulator = TermiiSimulator(api_key=DEMO_KEY).start()
            demo = DemoAccount(self.simulator.url, DEMO_KEY)
        # The phone metadata now, not on the agent's first keystroke; the carrier names after ready.
        validate_phone(SELF_TEST_PHONE, with_carrier=False)
        options = RunOptions(base_url=self.base_url or None, region=self.region or None, timeout=self.timeout,
                             profile=self.profile or None, self_test=self.self_test)
        # connect_now=False: a team history connects on its own thread, not on this one before the form works.
        services = build_desk(self.paths, options, demo=demo, connect_now=False)
        self.services = services
        self.history = services.history
        if self.log_problem:
            services.notices.insert(0, self.log_problem)
        if services.run_only and not services.demo and not self.self_test:
            services.notices.append(run_only_sentence(services.run_only))
        # The history's first page, with the texts of the rows it shows first, read here rather than by the panel
        # on the GUI thread, when the GUI thread handed over the model's reader. A team's history is read by the
        # panel, off this path.
        reader = self.first_page_reader
        if reader is not None and not getattr(services.history, "remote", False):
            from termii_desk.core.history import HistoryError

            try:
                self.first_page = reader(services.history, profile=getattr(services.history, "profile", None))
            except HistoryError:
                self.first_page = None  # the panel reads it again and says what is wrong
        return services

    def load_profile(self, name: str) -> DeskServices:
        """The desk for profile ``name`` (the window's switcher), on a worker, by the same bootstrap as at start.

        Raises ``ConfigError`` for a profile that no longer exists. The controller closes the previous services.
        """
        from termii_desk.core.bootstrap import RunOptions, build_desk

        options = RunOptions(region=self.region or None, timeout=self.timeout, profile=name)
        services = build_desk(self.paths, options, strict=True, connect_now=False)
        self.services = services
        self.history = services.history
        return services

    @staticmethod
    def load_after_ready() -> None:
        """What the window can do without until it is ready, what the first call needs first: the network stack
        (the client, requests, urllib3, the trust store: ~60 ms of imports). The start-up balance check, which
        runs beside it, opens the connection to the configured host that the first call then reuses."""
        import truststore  # noqa: F401

        import termii_desk.core.client  # noqa: F401

    @staticmethod
    def load_after_first_answer() -> None:
        """Then what no call waits for: the carrier names (~20 ms of big tables, which hold the interpreter in
        long stretches) and Generate's random source (hashlib, OpenSSL)."""
        from termii_desk.core.validation import generate_code, load_carrier_names

        load_carrier_names()
        generate_code()

    def close(self) -> None:
        if self.simulator is not None:
            self.simulator.stop()
            self.simulator = None
        if self.services is not None:
            self.services.close()
            self.services = None
        self.history = None


class SelfTest(QObject):
    """``--self-test``: one call through the real window and the embedded simulator, then the history row."""

    def __init__(self, window: MainWindow, loader: CoreLoader, hook: ExceptionHook) -> None:
        super().__init__(window)
        self.exit_code = 1
        self._window = window
        self._loader = loader
        self._done = False
        window.ready.connect(self.on_window_ready)
        window.call_finished.connect(self.on_call_finished)
        hook.on_error.append(lambda error: self.fail(f"an unexpected error occurred ({type(error).__name__})."))
        QTimer.singleShot(int(SELF_TEST_SECONDS * 1000), self.on_timeout)

    @Slot()
    def on_window_ready(self) -> None:
        form = self._window.form
        form.phone.set_text(SELF_TEST_PHONE)
        form.code.on_generate_clicked()
        if not form.is_ready():
            self.fail(f"the form did not accept the test number: {form.phone.problem or form.code.problem}")
            return
        form.on_submit()

    @Slot(object)
    def on_call_finished(self, attempt: CallAttempt | BaseException) -> None:
        from termii_desk.core.desk import CallAttempt

        if not isinstance(attempt, CallAttempt):
            self.fail(f"the call was not attempted: {attempt}")
            return
        if attempt.outcome.value != "sent":
            self.fail(f"the call ended as {attempt.outcome.value}: {attempt.message}")
            return
        history, simulator = self._loader.history, self._loader.simulator
        row = history.get(attempt.history_id) if history is not None and attempt.history_id else None
        if row is None or row.outcome != "sent":
            self.fail(f"the history row is {row.outcome if row else 'missing'}, not sent.")
            return
        received = len(simulator.calls) if simulator is not None else 0
        if received != 1:
            self.fail(f"the simulator received {received} calls, not 1.")
            return
        self.finish(0, "self-test ok")

    @Slot()
    def on_timeout(self) -> None:
        self.fail(f"no outcome within {SELF_TEST_SECONDS:g} seconds.")

    def fail(self, sentence: str) -> None:
        self.finish(1, f"self-test failed: {sentence}")

    def finish(self, code: int, text: str) -> None:
        if self._done:
            return
        self._done = True
        self.exit_code = code
        print(text, file=sys.stdout if code == 0 else sys.stderr, flush=True)
        QApplication.exit(code)


# Executors with a request still running when the window's run ended, kept for the rest of the process.
_ABANDONED_EXECUTORS: list[ThreadExecutor] = []

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}
# Said by platforms without a window manager (offscreen, a bare Xvfb) about things they cannot do: harmless.
_QT_PLATFORM_NOISE = ("This plugin does not support",)


def log_qt_message(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    """Qt's own warnings go to the log file (redacted like everything else), not to the agent's terminal."""
    level = logging.DEBUG if message.startswith(_QT_PLATFORM_NOISE) else _QT_LEVELS.get(kind, logging.WARNING)
    logging.getLogger("qt").log(level, "%s", message)


def make_application() -> QApplication:
    """The one QApplication and its name (``set_app_icon`` gives it its icon).

    Fractional high-DPI scales stay sharp without asking: PassThrough is Qt 6's default rounding policy.
    """
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_ID)  # also the X11 WM_CLASS, matching the .desktop file
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    return app


def app_icon() -> QIcon:
    from PySide6.QtGui import QIcon

    from termii_desk.core.paths import resources_dir

    return QIcon(str(resources_dir() / "icon.svg"))


def set_app_icon(app: QApplication) -> None:
    """The application's icon, which every window without its own shows, those already open too. run_window()
    sets it after the first paint: an SVG icon (its Qt plugin, the file, the sizes X11 asks for) is not needed to
    show the window."""
    app.setWindowIcon(app_icon())


def run_window(
    demo: bool = False,
    base_url: str | None = None,
    region: str | None = None,
    self_test: bool = False,
    timeout: float | None = None,
    instance: Primary | None = None,
    profile: str | None = None,
    notices: Sequence[Callable[[], str | None]] = (),
) -> int:
    """Open the desk window and run until it closes. Returns the process exit code.

    ``demo`` runs against the in-process simulator with its own history; ``base_url``, ``region`` and
    ``timeout`` override the settings for this run; ``self_test`` sends one demo call and exits (0 when it worked);
    ``instance`` (this user's single desk, from ``core.instance.claim``) brings the window to the front when
    another start asks, until the window closes; ``notices`` make the sentences shown with the core's own
    notices (non-modal), first: each is called then, on the GUI thread, and may make none.
    """
    if self_test and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # Workers (the core loader, requests) run Python too: a GUI thread that wants the interpreter back waits
    # up to this long for a running worker to yield it, per Python call Qt makes (a table's paint makes hundreds).
    # No garbage collection until ready (~100 collections, ~10 ms of start-up): what start-up builds lives on.
    # After it, only on the GUI thread (see ui/collector.py).
    collecting_before = gc.isenabled()
    gc.disable()
    previous_interval = sys.getswitchinterval()
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    previous_handler = qInstallMessageHandler(log_qt_message)
    app = make_application()
    executor = ThreadExecutor()
    window = MainWindow(executor, demo=demo or self_test, staged=True)
    window.extras_wait_for_network = True  # released by after_ready's network_loaded()
    start_notices = list(notices)

    def say_start_notices() -> None:  # after the core's own (the newest notice is shown first); none takes the focus
        while start_notices and shiboken6.isValid(window) and window.isVisible():  # else kept for the next start
            sentence = start_notices.pop(0)()
            if sentence:
                window.add_notice(sentence)
    hook = ExceptionHook(lambda: window if shiboken6.isValid(window) else None, notify=window.add_notice)
    hook.install()
    loader = CoreLoader(demo=demo, base_url=base_url, region=region, timeout=timeout, self_test=self_test,
                        profile=profile,
                        default_log_file=True)
    check = SelfTest(window, loader, hook) if self_test else None

    collecting: list[bool] = []

    def collect_again() -> None:
        if collecting:  # once: at ready, at a failed start, or at the fallback
            return
        collecting.append(True)
        gc.freeze()  # what start-up built stays out of later collections, which scan only what the session adds
        from termii_desk.ui.collector import collect_on_gui_thread

        collect_on_gui_thread(window)  # never on a worker, which would destroy the Qt objects it collects there

    def on_startup_failed(error: BaseException) -> None:
        collect_again()
        window.show_startup_failure(error)
        say_start_notices()
        if check is not None:
            check.fail(f"the desk could not start: {error}")

    def on_core_loaded(services: DeskServices) -> None:
        # Two turns of the event loop, not one: the history panel is built in this one, the rest in attach().
        # What attach() will show made here too, not in its turn, which an Enter pressed before ready waits for.
        if not services.key_status.has_key:  # the welcome page instead of the form
            import termii_desk.ui.first_run  # noqa: F401
        if services.notices:  # announced to screen readers
            from PySide6.QtGui import QAccessible  # noqa: F401
        window.prepare_history(services.history, loader.first_page)
        def attach() -> None:
            window.attach(services)
            say_start_notices()

        QTimer.singleShot(ATTACH_DELAY_MS, window, attach)

    def after_ready() -> None:
        collect_again()

        def in_background(op: Callable[[], None], then: Callable[[], None], *, even_if_failed: bool = False) -> None:
            def failed(error: BaseException) -> None:
                log.warning("loading after ready failed: %s", error)
                if even_if_failed:
                    then()

            QueryOp(parent=window, op=op, success=lambda _none: then()).failure(failed).run_in_background(executor)

        def load_carrier_names() -> None:
            in_background(CoreLoader.load_after_first_answer, window.carrier_names_loaded)

        def after_network() -> None:
            # A call typed before ready now builds its session and request on a worker: the rest waits for its
            # answer (or a second), so that nothing on this thread holds it up.
            if window.controller.calls_in_flight:
                once(window, window.controller.send_ended, after_first_call, fallback_ms=FIRST_CALL_FALLBACK_MS)
            else:
                after_first_call()

        def after_first_call() -> None:
            set_app_icon(app)  # nothing waits for it, and its SVG plugin and sizes are a few ms of this thread
            window.network_loaded()  # the clear buttons, then the start-up balance check
            # Not beside the start-up balance check: it waits for its answer.
            if window.balance_check_pending or window.controller.balance_in_flight:
                once(window, window.balance_finished, load_carrier_names, fallback_ms=CARRIER_FALLBACK_MS)
            else:
                load_carrier_names()

        def load_after_ready() -> None:
            # Then the rest, once the network stack is loaded: a call typed before ready waits for that alone.
            in_background(CoreLoader.load_after_ready, after_network, even_if_failed=True)

        # Once the history panel is shown (its first paint must not wait for the worker's imports).
        panel = window.history_panel
        after_first_paint(panel if panel is not None else window, load_after_ready)

    window.ready.connect(after_ready)

    def load_core() -> None:
        QueryOp(parent=window, op=loader.load, success=on_core_loaded).failure(on_startup_failed).run_in_background(
            executor
        )

    bridges: list[InstanceBridge] = []

    def build_content() -> None:
        if instance is not None:  # from now on a later start brings this window to the front (before, it waits)
            from termii_desk.ui.instance_bridge import InstanceBridge

            bridges.append(InstanceBridge(window, instance))
        # The core its modules import loads on a worker first: the GUI thread keeps taking keystrokes meanwhile.
        QueryOp(parent=window, op=load_content_core, success=lambda _none: finish_build()).failure(
            lambda _error: finish_build()  # then build_content() imports them itself, and says what failed
        ).run_in_background(executor)

    def finish_build() -> None:
        # One step a turn (each followed by its paint): the keys typed meanwhile wait for a step, not the build.
        try:
            more = window.build_content_step()
        except Exception as error:  # the window cannot be finished: it says so, and the core is not loaded
            collect_again()
            window.show_build_failure(error)
            if check is not None:
                check.fail(f"the window could not be built ({type(error).__name__}: {error})")
            return
        if more:
            QTimer.singleShot(BUILD_STEP_MS, window, finish_build)
            return
        if not (demo or self_test):
            window.controller.profile_loader = loader.load_profile
        from termii_desk.ui.history_model import read_first_page  # imported by the build's steps

        loader.first_page_reader = read_first_page
        # The core once the widgets are painted, not beside their build: its Python would hold up the build's
        # steps, which the keys wait behind.
        widgets = window.centralWidget() or window
        after_first_paint(widgets, load_core)
        widgets.update()  # a paint to wait for, should the last step have left none due

    after_first_paint(window, build_content)
    QTimer.singleShot(COLLECT_FALLBACK_MS, window, collect_again)
    probe = os.environ.get(BENCH_PROBE_ENV)
    if probe:  # after build_content's hook: the probe's fires first, so a first paint is timed without the build
        install_bench_probe(window, probe)
    window.show()
    # Qt's namespace: here, not on a worker (see the module's text), and not after the first frame, where its
    # 20-40 ms would be a stall the first keystrokes wait behind.
    from PySide6.QtCore import Qt  # noqa: F401
    try:
        status = app.exec()
    finally:
        for bridge in bridges:
            bridge.close()
        if instance is not None:  # the window is closed: a start from now on opens a desk of its own
            instance.close()
        # The window waited for its requests when it closed; this covers an exit without closing it.
        # Not when the agent closed during a call and chose not to wait: its row already says so.
        closed_anyway = shiboken6.isValid(window) and window.closed_without_waiting
        abandoned = not executor.wait(0.0 if closed_anyway else 5.0 if self_test else EXIT_WAIT_SECONDS)
        executor.discard_deliveries()
        if abandoned:  # its pool outlives this call: the worker must not be what lets go of the ops it still runs
            _ABANDONED_EXECUTORS.append(executor)
        loader.close()
        hook.uninstall()
        qInstallMessageHandler(previous_handler)
        sys.setswitchinterval(previous_interval)
        # A start from the command line left it off: the exit collects on this thread. Not while a request the
        # process gave up on still runs on a worker, whose allocations would start a collection there.
        if collecting_before and not abandoned:
            gc.enable()
        if shiboken6.isValid(window):
            window.deleteLater()
    log.info("%s closed", APP_NAME)
    code = check.exit_code if check is not None else int(status)
    if closed_anyway and abandoned:
        # A request the agent chose not to wait for still blocks a worker thread, and the thread pool would
        # hold the process until it times out: end now (history and the log are closed and flushed).
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def once(context: QObject, signal: SignalInstance, callback: Callable[[], None], *, fallback_ms: int) -> None:
    """Run ``callback`` once: at ``signal``'s next emission, or after ``fallback_ms`` without one (while
    ``context`` exists)."""
    pending: list[Callable[[], None]] = [callback]

    def fire(*_args: object) -> None:
        if pending:
            with contextlib.suppress(RuntimeError, TypeError):
                signal.disconnect(fire)
            pending.pop()()

    signal.connect(fire)
    QTimer.singleShot(fallback_ms, context, fire)


# -- benchmark probe ------------------------------------------------------------------------------------
# bench/startup.py starts the desk with TERMII_DESK_BENCH_PROBE set. ``painted``: on the window's first
# paint (the form's line edits and buttons), ``content``: on the first paint after ``build_content()`` added the
# rest around them, ``ready``: on the history panel's first paint (after ``MainWindow.ready``), the desk
# prints one line ("termii-desk-probe MODE TIME VmHWM VmRSS", time.time() and kB) and quits. bench/empty_window.py
# prints the same line, so both are timed the same way. ``watch`` (bench/typing_at_start.py) prints the
# ``painted``, ``keystroke`` (the phone field's first text), ``return`` (the first Return in the code field) and
# ``ready`` lines and does not quit; it adds a
# ``termii-desk-typed sent|fields PHONE CODE`` line with what the form sent (or held at exit), so the benchmark
# can count keystrokes lost. Nothing here runs unless the variable is set.

BENCH_PROBE_ENV = "TERMII_DESK_BENCH_PROBE"


def install_bench_probe(window: MainWindow, mode: str) -> None:
    from termii_desk.bench_probe import bench_probe_line

    watching = mode == "watch"

    def reporter(line_mode: str) -> Callable[[], None]:
        def report() -> None:
            print(bench_probe_line(line_mode), flush=True)
            if not watching:
                QApplication.quit()

        return report

    def on_ready() -> None:
        # The history panel is shown a few event-loop turns after ready: its first paint is the one that counts.
        panel = window.history_panel
        after_first_paint(panel if panel is not None else window, reporter("ready"))
        window.update()

    if mode in ("ready", "watch"):
        window.ready.connect(on_ready)
    if mode == "content":
        window.content_built.connect(lambda: after_first_paint(window.centralWidget() or window, reporter(mode)))
    elif mode != "ready":
        after_first_paint(window, reporter("painted"))
    if watching:
        form = window.form

        def typed(kind: str) -> None:
            print(f"termii-desk-typed {kind} {form.phone.text().replace(' ', '')!r} {form.code.text()!r}", flush=True)

        first_key: list[Callable[[], None]] = [reporter("keystroke")]
        form.phone.edit.textChanged.connect(lambda _text: first_key and first_key.pop()())
        first_return: list[Callable[[], None]] = [reporter("return")]
        form.code.submitted.connect(lambda: first_return and first_return.pop()())
        form.send_requested.connect(lambda *_values: typed("sent"))
        QApplication.instance().aboutToQuit.connect(lambda: typed("fields"))  # type: ignore[union-attr]
