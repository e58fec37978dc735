"""GUI-thread stalls: the longest gap of a 5 ms heartbeat on the GUI thread while the desk works.

``run()`` starts ``python -m bench.stalls`` in a fresh process (so start-up is the desk's real first start:
nothing imported ahead of it) on the display it is given. That process:

1. starts a private Secret Service (dbus-daemon + gnome-keyring-daemon, as tests/conftest.py does) and, in
   a helper process, stores the API key in it with keyring's SecretService backend and writes 100,000
   history rows under a temporary ``TERMII_DESK_HOME``;
2. starts the Termii simulator in another helper process (so its threads do not compete with the GUI
   thread for the interpreter), which takes fault commands on its standard input;
3. starts a 5 ms ``QTimer`` heartbeat and opens the desk through ``app.run_window`` itself, then drives the
   real window: (d) start-up, from the first paint of the window's widgets (the core starts loading then)
   until the start-up balance check ended, with the key read from the Secret Service; (e) typing a number
   into the phone field, first keystroke first; (b) a balance refresh; (a) a call the simulator answers
   after 2 s; (c) scrolling the 100,000-row history to the bottom in steps and typing digits into its
   filter, one digit per 200 ms (each triggers a query).

A scenario's figure is the longest gap between two heartbeats during it (5 ms when nothing blocks). An idle
period is measured too, as the reference for what the machine alone does to the heartbeat.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import Figure, display_name
from tests.secret_service import PROGRAMS, running_secret_service

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-keyring-key-7f3a"
ROWS = 100_000
TARGET_MS = 16.0
HEARTBEAT_MS = 5
TYPED_NUMBER = "+234 803 123 4567"
KEYRING_READY = "BENCH_STALLS_KEYRING"  # set by run(): the environment already reaches a private Secret Service
FILTER_DIGITS = "8031234567"


# -- run from bench.run ------------------------------------------------------------------------------------


def run(display: dict[str, str], repeats: int = 5, rows: int = ROWS) -> list[Figure]:
    """``repeats`` fresh harness processes; each figure is the median of their longest gaps (all are shown)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TERMII_") and k not in ("DISPLAY",)}
    env.update(display)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    gaps: dict[str, list[float]] = {}
    busy: dict[str, list[float]] = {}
    details: dict[str, str] = {}
    references: dict[str, bool] = {}
    # The Secret Service belongs to this process, so it is stopped even when a harness process dies.
    with tempfile.TemporaryDirectory(prefix="termii-desk-keyring-") as folder, \
            secret_service(Path(folder)) as keyring_env:
        runs = [subprocess.run([sys.executable, "-m", "bench.stalls", "harness", str(rows)],
                               env={**env, **keyring_env, KEYRING_READY: "1"}, cwd=ROOT, capture_output=True,
                               text=True, timeout=600, check=False) for _ in range(repeats)]
    for done in runs:
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            raise RuntimeError(f"stalls harness failed (exit {done.returncode}): {done.stderr[-2000:]}")
        for line in lines:
            item = json.loads(line)
            gaps.setdefault(item["name"], []).append(item["gap_ms"])
            busy.setdefault(item["name"], []).append(item.get("busy_ms", 0.0))
            details.setdefault(item["name"], item["detail"].split("; worst at")[0])
            references[item["name"]] = item["reference"]
    figures = []
    for name, values in gaps.items():
        gap = statistics.median(values)
        target = "-" if references[name] else f"<= {TARGET_MS:g} ms"
        passed = None if references[name] else gap <= TARGET_MS
        shown = ", ".join(f"{v:g}" for v in values)
        figures.append(Figure(f"2{name[:3]} GUI-thread longest gap: {name[4:]}" if name.startswith("(") else
                              f"2. GUI-thread longest gap: {name}", gap, "ms", target, passed,
                              f"{details[name]}; median of {len(values)} fresh processes ({shown} ms); "
                              f"5 ms heartbeat; {busy_text(busy[name])}; {display_name(display)}"))
    return figures


def busy_text(values: list[float]) -> str:
    if not all(values):
        return "the event loop did not go to sleep in it (start-up: events back to back)"
    median = statistics.median(values)
    return f"the GUI thread's longest busy stretch (event loop awake to asleep): median {median:g} ms"


# -- helper processes --------------------------------------------------------------------------------------


def prepare(home: Path, rows: int, store_key: bool) -> None:
    """Helper process: 100,000 history rows; with ``store_key``, the key in the (private) Secret Service."""
    from bench.history_scale import fill

    fill(home / "data" / "history.sqlite3", rows).close()
    if store_key:
        from keyring.backends import SecretService

        from termii_desk.core.keystore import SERVICE, USERNAME

        SecretService.Keyring().set_password(SERVICE, USERNAME, KEY)


def serve_simulator() -> None:
    """Helper process: the simulator; prints its URL, then obeys "slow call 2", "clear" and "quit" lines."""
    from termii_desk.simulator import TermiiSimulator

    with TermiiSimulator(api_key=KEY) as simulator:
        print(simulator.url, flush=True)
        for line in sys.stdin:
            words = line.split()
            if not words or words[0] == "quit":
                break
            if words[0] == "clear":
                simulator.clear_fault()
            else:
                simulator.set_fault(words[0], on=words[1], delay=float(words[2]))  # type: ignore[arg-type]
            print("ok", flush=True)


@contextmanager
def secret_service(folder: Path) -> Iterator[dict[str, str]]:
    """A private D-Bus session with an unlocked gnome-keyring; yields the environment that reaches it.

    Without dbus-daemon or gnome-keyring-daemon, yields ``TERMII_API_KEY`` instead (the (d) figure says so).
    """
    if any(shutil.which(program) is None for program in PROGRAMS):
        yield {"TERMII_API_KEY": KEY}
        return
    with running_secret_service(folder / "keyring-home") as env:
        yield env


@contextmanager
def own_secret_service(folder: Path) -> Iterator[dict[str, str]]:
    """The Secret Service run() started for this process, else one of its own (run standalone)."""
    if os.environ.get(KEYRING_READY):
        names = ("HOME", "XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "DBUS_SESSION_BUS_ADDRESS",
                 "TERMII_API_KEY")
        yield {name: os.environ[name] for name in names if name in os.environ}
    else:
        with secret_service(folder) as env:
            yield env


# -- the harness process -----------------------------------------------------------------------------------


class Heartbeat:
    """A 5 ms precise timer on the GUI thread; remembers when each beat came.

    It also records the GUI thread's busy stretches: from the event loop waking to its going back to sleep
    (``QAbstractEventDispatcher.awake`` / ``aboutToBlock``). A heartbeat gap is what the agent feels, whatever
    delayed it; the busy stretches are the desk's own work on the GUI thread (waits for the interpreter while a
    worker holds it included), without the time the system did not run the thread at all, which on a loaded
    machine is most of the longest gaps.
    """

    def __init__(self) -> None:
        from PySide6.QtCore import QAbstractEventDispatcher, Qt, QTimer

        self.beats: list[float] = []
        self.busy: list[tuple[float, float]] = []
        self._woke: float | None = None
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(HEARTBEAT_MS)
        self._timer.timeout.connect(lambda: self.beats.append(time.perf_counter()))
        self._timer.start()
        dispatcher = QAbstractEventDispatcher.instance()
        assert dispatcher is not None
        dispatcher.awake.connect(self._on_awake)
        dispatcher.aboutToBlock.connect(self._on_about_to_block)

    def _on_awake(self) -> None:
        if self._woke is None:
            self._woke = time.perf_counter()

    def _on_about_to_block(self) -> None:
        if self._woke is not None:
            self.busy.append((self._woke, time.perf_counter()))
            self._woke = None

    def longest_busy(self, start: float, end: float) -> float:
        """The longest busy stretch (ms) that ended in (start, end]."""
        return max(((b - a) * 1000 for a, b in self.busy if start < b <= end), default=0.0)

    def longest_gap(self, start: float, end: float) -> tuple[float, float]:
        """The longest gap (ms) between two beats that ended in (start, end], and when it began (s after start).

        A gap belongs to the period its late beat falls in: the work that delayed the beat ran in that period.
        """
        worst, when = 0.0, 0.0
        for before, after in itertools.pairwise(self.beats):
            if start < after <= end and after - before > worst:
                worst, when = after - before, before - start
        return worst * 1000, when


class Driver:
    """Drives the desk's window through the scenarios, from inside its event loop."""

    def __init__(self, heartbeat: Heartbeat, simulator: subprocess.Popen[str]) -> None:
        self.heartbeat = heartbeat
        self.simulator = simulator
        self.results: list[dict[str, Any]] = []
        self.first_paint: float | None = None  # of the window's widgets (not of the first frame's form before them)
        self.painted: float | None = None  # when that first paint was done (the next event-loop turn)
        self.build_started: float | None = None  # when MainWindow.build_content started
        self.built: float | None = None  # when MainWindow.build_content ended
        self.build_ms = 0.0  # and how long its longest step took
        self.build_steps = 0
        self.attached: float | None = None  # when MainWindow.attach was called
        self.attach_ms = 0.0  # and how long it took
        self.window: Any = None

    # -- waiting without blocking the event loop --

    def wait(self, seconds: float) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()

    def wait_for(self, signal: Any, timeout: float = 30.0) -> list[Any]:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        got: list[Any] = []

        def on_signal(*args: Any) -> None:
            got.extend(args or [None])
            loop.quit()

        signal.connect(on_signal)
        QTimer.singleShot(int(timeout * 1000), loop.quit)
        loop.exec()
        signal.disconnect(on_signal)
        if not got:
            raise RuntimeError(f"timed out after {timeout:g} s waiting for {signal}")
        return got

    def wait_until(self, condition: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError("timed out waiting for a condition")
            self.wait(0.01)

    def record(self, name: str, start: float, end: float, detail: str, *, reference: bool = False) -> None:
        gap, when = self.heartbeat.longest_gap(start, end)
        self.results.append({"name": name, "gap_ms": round(gap, 1), "reference": reference,
                             "busy_ms": round(self.heartbeat.longest_busy(start, end), 1),
                             "detail": f"{detail}; worst at +{when * 1000:.0f} ms of {(end - start) * 1000:.0f} ms"})

    def simulator_command(self, line: str) -> None:
        assert self.simulator.stdin is not None and self.simulator.stdout is not None
        self.simulator.stdin.write(line + "\n")
        self.simulator.stdin.flush()
        self.simulator.stdout.readline()

    # -- the scenarios --

    def start(self) -> None:
        from PySide6.QtWidgets import QApplication

        from termii_desk.ui.main_window import MainWindow

        try:
            self.window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
            self.scenarios()
        except BaseException as exc:  # reported by the parent; the window must close either way
            self.results.append({"error": f"{type(exc).__name__}: {exc}"})
        finally:
            if self.window is not None:
                self.window.close()
            QApplication.quit()

    def scenarios(self) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        window = self.window
        self.wait_for(window.ready)  # the core loads after the first paint, so neither has happened yet
        self.wait_for(window.balance_finished)  # attach() asked for it, as there is a key
        self.wait(0.1)
        ready = time.perf_counter()
        assert self.painted is not None and self.attached is not None and self.build_started is not None
        status = window.services.key_status
        self.record("(d) start-up: building the widgets around the first frame's form, and their first paint",
                    self.build_started, self.painted,
                    f"build_content() ({self.build_steps} steps, one an event-loop turn, the longest "
                    f"{self.build_ms:.0f} ms) and the paints after them; keys typed meanwhile wait "
                    f"their turn")
        self.record("(d) start-up: the key read from a real Secret Service", self.painted, self.attached,
                    f"from the widgets' first paint done until the core is loaded (keyring backend found, key read "
                    f"on a worker); key from {status.source} ({status.backend})")
        self.record("(d) start-up: history panel shown, balance checked", self.attached, ready,
                    f"attach() (itself {self.attach_ms:.0f} ms) until the start-up balance check ended, then 0.1 s; "
                    f"{ROWS:,} history rows")
        if status.source != "keyring" and not os.environ.get("TERMII_API_KEY"):
            raise RuntimeError(f"the key did not come from the Secret Service but from {status.source}")

        self.wait(0.3)
        start = time.perf_counter()
        self.wait(1.0)
        self.record("idle window (reference: the machine alone)", start, time.perf_counter(), "1 s doing nothing",
                    reference=True)

        edit = window.form.phone.edit
        edit.setFocus()
        start = time.perf_counter()
        for char in TYPED_NUMBER:
            QTest.keyClick(edit, char)
            self.wait(0.08)
        self.wait(1.2)
        if window.form.phone.value is None:
            raise RuntimeError(f"the phone field did not accept {TYPED_NUMBER}: {window.form.phone.problem}")
        self.record("(e) first keystrokes in the phone field", start, time.perf_counter(),
                    f"typing {TYPED_NUMBER!r}, 80 ms a key, first keystroke of the session first, then 1.2 s")

        start = time.perf_counter()
        window.refresh_requested.emit()
        self.wait_for(window.balance_finished)
        self.record("(b) refreshing the balance", start, time.perf_counter(), "refresh to balance shown")

        self.simulator_command("slow call 2")
        window.form.code.on_generate_clicked()
        start = time.perf_counter()
        window.form.send_button.click()
        attempt = self.wait_for(window.call_finished, timeout=20)[0]
        self.wait(0.2)
        self.record("(a) sending a call Termii answers after 2 s", start, time.perf_counter(),
                    f"send to outcome shown ({getattr(attempt, 'outcome', attempt)}), then 0.2 s")
        self.simulator_command("clear")

        panel = window.history_panel
        bar = panel.table.verticalScrollBar()
        start = time.perf_counter()
        steps = 25
        for _ in range(steps):
            bar.setValue(bar.maximum())
            self.wait(0.04)
        loaded = panel.model.rowCount()
        bar.setValue(0)
        self.wait(0.2)
        self.record(f"(c) scrolling {ROWS:,} history rows", start, time.perf_counter(),
                    f"{steps} steps to the bottom, 40 ms apart ({loaded:,} rows loaded), then back to the top")

        panel.filter_edit.setFocus()
        start = time.perf_counter()
        for digit in FILTER_DIGITS:
            QTest.keyClick(panel.filter_edit, digit)
            self.wait(0.2)
        model = panel.model
        self.wait_until(lambda: model.filter_digits == FILTER_DIGITS and not getattr(model, "loading", False))
        self.wait(0.3)
        matches = panel.count_label.text()
        QTest.keySequence(panel.filter_edit, "Ctrl+A")
        QTest.keyClick(panel.filter_edit, Qt.Key.Key_Backspace)
        self.wait_until(lambda: model.filter_digits == "" and not getattr(model, "loading", False))
        self.wait(0.3)
        self.record(f"(c) filtering {ROWS:,} history rows", start, time.perf_counter(),
                    f"typing {FILTER_DIGITS!r} in the filter, 200 ms a digit (a query each), then clearing it; "
                    f"{matches!r} at the end")


def harness(rows: int) -> None:
    with tempfile.TemporaryDirectory(prefix="termii-desk-stalls-") as folder_name:
        folder = Path(folder_name)
        home = folder / "home"
        with own_secret_service(folder) as keyring_env:
            helper_env = {k: v for k, v in os.environ.items() if not k.startswith("TERMII_")}
            private_keyring = "DBUS_SESSION_BUS_ADDRESS" in keyring_env
            subprocess.run([sys.executable, "-m", "bench.stalls", "prepare", str(home), str(rows),
                            "store-key" if private_keyring else "no-key"],
                           env={**helper_env, **keyring_env}, cwd=ROOT, check=True, timeout=300)
            simulator = subprocess.Popen([sys.executable, "-m", "bench.stalls", "simulator"], cwd=ROOT,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                         env=helper_env)
            try:
                assert simulator.stdout is not None
                url = simulator.stdout.readline().strip()
                for name in [k for k in os.environ if k.startswith("TERMII_")]:
                    del os.environ[name]
                os.environ.update(keyring_env)
                os.environ.update(TERMII_DESK_HOME=str(home), TERMII_BASE_URL=url)
                results = drive_the_desk(simulator)
            finally:
                if simulator.stdin is not None:
                    simulator.stdin.close()
                simulator.wait(timeout=10)
    for item in results:
        if "error" in item:
            raise SystemExit(f"stalls harness: {item['error']}")
        print(json.dumps(item), flush=True)


def drive_the_desk(simulator: subprocess.Popen[str]) -> list[dict[str, Any]]:
    from PySide6.QtCore import QEvent, QObject, QTimer

    from termii_desk import app as desk_app
    from termii_desk.ui.main_window import MainWindow

    qt_app = desk_app.make_application()
    heartbeat = Heartbeat()
    driver = Driver(heartbeat, simulator)

    class FirstPaint(QObject):
        """The first paint of the window's widgets, once build_content() has added them around the first frame's."""

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and driver.built is not None:
                driver.first_paint = time.perf_counter()
                qt_app.removeEventFilter(self)
                QTimer.singleShot(0, lambda: setattr(driver, "painted", time.perf_counter()))
            return False

    first_paint = FirstPaint()
    qt_app.installEventFilter(first_paint)
    attach, build_step = MainWindow.attach, MainWindow.build_content_step

    def timed_build_step(window: MainWindow) -> bool:
        """build_content()'s steps (app.py runs one an event-loop turn): when they began and ended, the longest."""
        if window.built:  # attach() calls build_content() again: nothing to build, nothing to time
            return False
        started = time.perf_counter()
        if driver.build_started is None:
            driver.build_started = started
        more = build_step(window)
        driver.build_ms = max(driver.build_ms, (time.perf_counter() - started) * 1000)
        driver.build_steps += 1
        if not more:
            driver.built = time.perf_counter()
        return more

    def timed_attach(window: MainWindow, services: Any) -> None:
        driver.attached = time.perf_counter()
        attach(window, services)
        driver.attach_ms = (time.perf_counter() - driver.attached) * 1000

    MainWindow.attach = timed_attach  # type: ignore[method-assign]
    MainWindow.build_content_step = timed_build_step  # type: ignore[method-assign]
    QTimer.singleShot(0, driver.start)
    desk_app.run_window()
    return driver.results


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "harness"
    if command == "prepare":
        prepare(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "store-key")
    elif command == "simulator":
        serve_simulator()
    else:
        harness(int(sys.argv[2]) if len(sys.argv) > 2 else ROWS)
