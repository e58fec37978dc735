"""app.py: composition (CoreLoader), what loads before the window shows, and ``--self-test``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from termii_desk.app import DEMO_KEY, CoreLoader, app_icon
from termii_desk.core.paths import AppPaths
from tests.conftest import SIM_KEY

ROOT = Path(__file__).resolve().parents[2]


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TERMII_")}
    env.update(QT_QPA_PLATFORM="offscreen", TERMII_DESK_HOME=str(home), PYTHONPATH=str(ROOT), **extra)
    return env


def test_demo_loader_uses_the_simulator_its_key_and_a_separate_history(desk_home: Path) -> None:
    loader = CoreLoader(AppPaths.from_environment(), demo=True)
    try:
        services = loader.load()
        assert loader.simulator is not None
        assert services.demo and services.settings_store is None
        assert services.settings.base_url == loader.simulator.url
        assert services.keystore.get() == DEMO_KEY and services.key_status.has_key
        assert services.history.path == desk_home / "data" / "demo-history.sqlite3"
        assert services.desk.check_balance().user == loader.simulator.user
    finally:
        loader.close()
    assert loader.simulator is None


def test_loader_reads_settings_warnings_key_from_environment_and_overrides(
    desk_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = AppPaths.from_environment()
    paths.settings_file.parent.mkdir(parents=True)
    paths.settings_file.write_text(json.dumps({"cooldown_seconds": -5}), encoding="utf-8")
    monkeypatch.setenv("TERMII_API_KEY", SIM_KEY)
    loader = CoreLoader(paths, base_url="http://127.0.0.1:9", region="gh")
    try:
        services = loader.load()
        assert any("cooldown_seconds" in notice for notice in services.notices)
        assert services.key_status.source == "environment"
        assert services.settings.base_url == "http://127.0.0.1:9" and services.settings.default_region == "GH"
        assert services.history.path == paths.history_file(demo=False)
        # This run's overrides must not be saved as if chosen in Settings: changes last for the session.
        assert services.settings_store is None
        assert any("--base-url and --region apply to this run only" in notice for notice in services.notices)
    finally:
        loader.close()


def test_without_overrides_settings_are_saved(desk_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERMII_API_KEY", SIM_KEY)
    loader = CoreLoader(AppPaths.from_environment())
    try:
        services = loader.load()
        assert services.settings_store is not None
        assert not any("apply to this run" in notice for notice in services.notices)
    finally:
        loader.close()


def test_loader_applies_the_timeout_like_the_command_line(desk_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERMII_API_KEY", SIM_KEY)
    loader = CoreLoader(AppPaths.from_environment(), timeout=1.5)
    try:
        services = loader.load()
        assert services.settings.read_timeout == 1.5 and services.settings.connect_timeout == 1.5
        assert services.desk.client().read_timeout == 1.5
        assert services.settings_store is None
        assert any("--timeout applies to this run only" in notice for notice in services.notices)
    finally:
        loader.close()


def test_bad_overrides_become_notices_not_crashes(desk_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERMII_API_KEY", SIM_KEY)
    loader = CoreLoader(AppPaths.from_environment(), base_url="http://example.com", region="XX")
    try:
        notices = loader.load().notices
    finally:
        loader.close()
    assert any(n.startswith("--base-url cannot be used, so nothing is sent") for n in notices)
    assert any(n.startswith("Ignored --region") for n in notices)


def test_the_icon_loads(qapp: Any) -> None:
    from PySide6.QtWidgets import QWidget

    from termii_desk.app import set_app_icon

    assert not app_icon().isNull()
    window = QWidget()
    set_app_icon(qapp)
    assert not qapp.windowIcon().isNull() and not window.windowIcon().isNull()
    assert (ROOT / "resources" / "termii-desk.desktop").read_text(encoding="utf-8").count("Icon=termii-desk") == 1


def test_window_shows_before_network_keyring_and_phone_metadata_load(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from termii_desk.app import make_application\n"
        "from termii_desk.ui.main_window import MainWindow\n"
        "from termii_desk.ui.worker import ThreadExecutor\n"
        "app = make_application()\n"
        "window = MainWindow(ThreadExecutor())\n"
        "window.show()\n"
        "app.processEvents()\n"
        "heavy = sorted(m for m in ('requests', 'keyring', 'phonenumbers', 'termii_desk.simulator', 'urllib3')\n"
        "               if m in sys.modules)\n"
        "print(','.join(heavy) or 'none')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], env=_env(tmp_path), capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "none"


def test_self_test_sends_one_call_through_the_window(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = subprocess.run(
        [sys.executable, "-c", "from termii_desk.app import run_window; raise SystemExit(run_window(self_test=True))"],
        env=_env(home), capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == "self-test ok"
    assert not (home / "data" / "demo-history.sqlite3").exists()  # the self-test keeps no history of its own
    assert "Traceback" not in done.stderr


def test_after_first_paint_runs_once_after_the_window_is_painted(qtbot: Any) -> None:
    from PySide6.QtWidgets import QWidget

    from termii_desk.app import after_first_paint

    widget = QWidget()
    qtbot.addWidget(widget)
    calls: list[bool] = []
    after_first_paint(widget, lambda: calls.append(widget.isVisible()), fallback_ms=60_000)
    assert calls == []
    widget.show()
    qtbot.waitUntil(lambda: calls == [True])
    widget.repaint()
    qtbot.wait(50)
    assert calls == [True], "once only"


def test_after_first_paint_falls_back_to_a_timer_when_never_painted(qtbot: Any) -> None:
    from PySide6.QtWidgets import QWidget

    from termii_desk.app import after_first_paint

    widget = QWidget()
    qtbot.addWidget(widget)
    calls: list[int] = []
    after_first_paint(widget, lambda: calls.append(1), fallback_ms=20)
    qtbot.waitUntil(lambda: calls == [1])


@pytest.fixture(params=[True, False], ids=["collector-on", "collector-off"])
def collecting(request: pytest.FixtureRequest) -> Iterator[bool]:
    """The automatic collector as the loader finds it: on (a command), off (the window, which collects itself)."""
    import gc

    gc.collect()  # nothing pending for a worker to collect while it is on (see tests/conftest.py)
    if request.param:
        gc.enable()
    try:
        yield bool(request.param)
    finally:
        gc.disable()


def test_loader_sets_up_the_log_file_and_leaves_the_collector_as_it_was(
    desk_home: Path, monkeypatch: pytest.MonkeyPatch, collecting: bool
) -> None:
    import gc

    monkeypatch.setenv("TERMII_API_KEY", SIM_KEY)
    paths = AppPaths.from_environment()
    loader = CoreLoader(paths, log_file=paths.log_file)
    try:
        loader.load()
        assert gc.isenabled() is collecting
        import logging

        for handler in logging.getLogger().handlers:
            handler.flush()
        assert "starting" in paths.log_file.read_text(encoding="utf-8")
    finally:
        loader.close()


def test_loader_leaves_the_collector_as_it_was_when_it_fails(
    desk_home: Path, monkeypatch: pytest.MonkeyPatch, collecting: bool
) -> None:
    import gc

    loader = CoreLoader(AppPaths.from_environment())

    def broken() -> None:
        raise RuntimeError("no")

    monkeypatch.setattr(loader, "_load", broken)
    with pytest.raises(RuntimeError):
        loader.load()
    assert gc.isenabled() is collecting


@pytest.mark.parametrize("probe", ["painted", "content", "ready"])
def test_benchmark_probe_prints_one_line_on_its_paint_and_quits(tmp_path: Path, probe: str) -> None:
    """bench/startup.py times the desk by this line: mode, time.time(), VmHWM and VmRSS in kB."""
    done = subprocess.run(
        [sys.executable, "-m", "termii_desk"],
        env=_env(tmp_path, TERMII_DESK_BENCH_PROBE=probe, TERMII_API_KEY=SIM_KEY,
                 TERMII_BASE_URL="http://127.0.0.1:9"),
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("termii-desk-probe")]
    assert len(lines) == 1
    _, mode, when, hwm, rss = lines[0].split()
    assert mode == probe and float(when) > 0 and int(hwm) >= int(rss) > 0


FIRST_FRAME_PROBE = """
import sys
import PySide6.QtCore as QtCore
from PySide6.QtWidgets import QApplication
from termii_desk.app import after_first_paint, make_application
from termii_desk.ui.main_window import MainWindow
from termii_desk.ui.worker import ThreadExecutor

app = make_application()
window = MainWindow(ThreadExecutor(), staged=True)

def first_paint():
    print("qt-namespace", "Qt" in QtCore.__dict__)
    print("focus", QApplication.focusWidget() is window.form.phone.edit)
    print("ui-modules", ",".join(sorted(m for m in sys.modules if m.startswith("termii_desk.ui."))))
    print("core-modules", ",".join(sorted(m for m in sys.modules if m.startswith("termii_desk.core."))))
    print("icon-set", not app.windowIcon().isNull())
    window.build_content()
    after_first_paint(window.centralWidget(), content_paint)

def content_paint():
    print("built", window.built, "ready", window.form.ready, "checking", window.form.phone.checking)
    app.quit()

after_first_paint(window, first_paint)
window.show()
window.activateWindow()
app.exec()
"""


def test_first_frame_is_the_form_without_qt_enums_core_or_icon(tmp_path: Path) -> None:
    """The first frame is the real form, the phone field focused, and costs little more than an empty window: its
    modules never create the enums of ``Qt`` (~20 ms) and load no core module but errors, nor the icon."""
    done = subprocess.run([sys.executable, "-c", FIRST_FRAME_PROBE], env=_env(tmp_path), capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert lines["qt-namespace"] == "False"
    assert lines["focus"] == "True"
    assert set(lines["ui-modules"].split(",")) <= {"termii_desk.ui.main_window", "termii_desk.ui.worker",
                                                  "termii_desk.ui.error_hook", "termii_desk.ui.send_form",
                                                  "termii_desk.ui.fields",
                                                  "termii_desk.ui._pyside"}  # PySide6's import hook, made cheap
    assert set(lines["core-modules"].split(",")) <= {"termii_desk.core.errors"}  # validation, paths: later
    assert lines["icon-set"] == "False"  # set_app_icon() comes after the first paint too
    assert lines["built"] == "True ready False checking True"  # until attach()


LOADER_PROBE = """
import sys
from termii_desk.app import CoreLoader
loader = CoreLoader(default_log_file=True)
services = loader.load()
print("before", ",".join(m for m in ("requests", "urllib3", "phonenumbers", "phonenumbers.carrier")
                         if m in sys.modules))
CoreLoader.load_after_ready()
print("after", ",".join(m for m in ("requests", "phonenumbers.carrier") if m in sys.modules))
CoreLoader.load_after_first_answer()
print("later", ",".join(m for m in ("requests", "phonenumbers.carrier") if m in sys.modules))
print("key", services.key_status.has_key)
loader.close()
services.close()
"""


def test_the_core_is_ready_without_the_network_stack_or_the_carrier_tables(tmp_path: Path) -> None:
    """Ready comes sooner: requests/urllib3 (~60 ms) load after ready, the carrier names (~20 ms) after that."""
    done = subprocess.run([sys.executable, "-c", LOADER_PROBE],
                          env=_env(tmp_path, TERMII_API_KEY=SIM_KEY, TERMII_BASE_URL="http://127.0.0.1:9"),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert lines["before"] == "phonenumbers"
    assert lines["after"] == "requests"  # the network stack first: the first call needs it
    assert lines["later"] == "requests,phonenumbers.carrier"
    assert lines["key"] == "True"


# The end of a probe: its watch() once the window exists, then the desk's window as a start opens it.
RUN_WINDOW = """
QTimer.singleShot(0, watch)
QTimer.singleShot(30_000, QApplication.quit)
sys.exit(desk_app.run_window())
"""


def _probe_lines(probe: str, tmp_path: Path, simulator: Any) -> dict[str, str]:
    """Run ``probe`` (a start of the window that prints "name value" lines) against ``simulator``."""
    done = subprocess.run([sys.executable, "-c", probe],
                          env=_env(tmp_path, TERMII_API_KEY=SIM_KEY, TERMII_BASE_URL=simulator.url),
                          capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr
    return dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)


AFTER_READY_PROBE = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from termii_desk import app as desk_app
from termii_desk.ui.main_window import MainWindow

events = []
loaded = MainWindow.carrier_names_loaded

def carrier_names_loaded(window):
    events.append("carriers:" + ("requests" if "requests" in sys.modules else "no-network"))
    loaded(window)
    window.form.phone.set_text("0803 123 4567")
    QTimer.singleShot(50, lambda: finish(window))

def finish(window):
    print("events", ",".join(events))
    print("status", window.form.phone.status.text())
    print("icon", not QApplication.instance().windowIcon().isNull())
    window.close()

def watch():
    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    window.ready.connect(lambda: events.append("ready"))
    window.balance_finished.connect(lambda result: events.append("balance"))

MainWindow.carrier_names_loaded = carrier_names_loaded
""" + RUN_WINDOW


def test_after_ready_the_network_loads_first_and_the_carrier_names_after_the_first_answer(
    tmp_path: Path, simulator: Any
) -> None:
    """What the first call needs (the network stack, the start-up balance check's connection) comes before the
    carrier tables, whose loading would otherwise compete with it; the phone line names the network after."""
    simulator.set_fault("slow", on="balance", delay=1.0)  # the carrier tables would be loaded long before
    lines = _probe_lines(AFTER_READY_PROBE, tmp_path, simulator)
    assert lines["events"] == "ready,balance,carriers:requests", lines
    assert lines["status"] == "✓ +234 803 123 4567 · Nigeria · MTN"
    assert lines["icon"] == "True"
    assert len(simulator.balance_requests) == 1


FIRST_CALL_PROBE = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from termii_desk import app as desk_app
from termii_desk.ui.main_window import MainWindow

events = []
shown = MainWindow.show_clear_buttons

def show_clear_buttons(window):
    events.append("clear-buttons")
    shown(window)
    QTimer.singleShot(500, finish)  # a start-up balance check would have answered by now

def watch():
    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    window.form.phone.set_text("0803 123 4567")
    window.form.code.set_text("482913")
    window.form.on_submit()  # Enter before ready
    events.append("pending" if window.form.send_pending else "not-pending")
    def ready():  # the controller exists from the build on; the call is answered 0.3 s after it
        events.append("ready")
        window.controller.send_ended.connect(lambda: events.append("call-answered"))

    window.ready.connect(ready)
    window.balance_finished.connect(lambda result: events.append("balance-check"))

def finish():
    print("events", ",".join(events))
    QApplication.quit()

MainWindow.show_clear_buttons = show_clear_buttons
""" + RUN_WINDOW


def test_a_call_typed_before_ready_goes_before_the_clear_buttons_and_the_balance_check(
    tmp_path: Path, simulator: Any
) -> None:
    """Once ready, the call's worker loads the network stack and sends: the app icon, the clear buttons and
    the start-up balance check (GUI-thread work and a second request) wait for its answer (here 0.3 s). The
    answer brought the balance (and the desk asked Termii for its currency, once): no start-up check follows."""
    simulator.set_fault(None, on="call", delay=0.3)
    lines = _probe_lines(FIRST_CALL_PROBE, tmp_path, simulator)
    assert lines["events"] == "pending,ready,call-answered,clear-buttons", lines
    assert len(simulator.calls) == 1 and len(simulator.balance_requests) == 1


FIRST_PAGE_PROBE = """
from termii_desk.app import CoreLoader
from termii_desk.ui.history_model import read_first_page

for handed in (False, True):
    loader = CoreLoader(demo=True)
    if handed:
        loader.first_page_reader = read_first_page
    loader.load()
    print("handed" if handed else "alone", loader.first_page is not None)
    loader.close()
"""


def test_the_loader_reads_the_first_page_with_the_reader_the_gui_thread_hands_it(tmp_path: Path) -> None:
    """The loader's worker reads the history's first page only with the model's reader that run_window hands it
    (the GUI thread imports the model: workers never make Qt's classes); without it the panel reads the page."""
    done = subprocess.run([sys.executable, "-c", FIRST_PAGE_PROBE], env=_env(tmp_path), capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["alone", "False", "handed", "True"]


GARBAGE_PROBE = """
import gc, sys, threading
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication
from termii_desk import app as desk_app
from termii_desk.ui.main_window import MainWindow

destroyed_on = []
kept = []  # alive until the end: the worker's allocations stay counted

class Cycle:
    def __init__(self):
        self.me = self
        self.timer = QTimer()
        self.timer.destroyed.connect(lambda *_: destroyed_on.append(threading.current_thread().name),
                                     Qt.ConnectionType.DirectConnection)

def garbage_beside_a_worker(window, wait_ms):  # a cycle holding a Qt object, then a worker's allocations
    print("automatic", gc.isenabled())
    Cycle()
    worker = threading.Thread(target=lambda: kept.extend([] for _ in range(50_000)), name="worker")
    worker.start()
    worker.join()
    print("after-worker", ",".join(destroyed_on) or "-")
    QTimer.singleShot(wait_ms, lambda: finish(window))

def finish(window):
    print("destroyed-on", ",".join(destroyed_on) or "-")
    window.close()

watch = lambda: None
"""

COLLECTOR_PROBE = GARBAGE_PROBE + """
loaded = MainWindow.carrier_names_loaded

def carrier_names_loaded(window):  # the last of what loads after ready
    loaded(window)
    garbage_beside_a_worker(window, 3_000)

MainWindow.carrier_names_loaded = carrier_names_loaded
""" + RUN_WINDOW


def test_once_ready_the_desk_collects_garbage_on_the_gui_thread_only(tmp_path: Path, simulator: Any) -> None:
    """A worker's allocations never start a collection (which would destroy the Qt objects it collects there):
    the GUI thread's collector collects them, within a few ticks."""
    lines = _probe_lines(COLLECTOR_PROBE, tmp_path, simulator)
    assert lines == {"automatic": "False", "after-worker": "-", "destroyed-on": "MainThread"}, lines


BROKEN_ATTACH_PROBE = GARBAGE_PROBE + """
desk_app.COLLECT_FALLBACK_MS = 1_500
readies = []

def broken(window, services):
    window.ready.connect(lambda: readies.append(True))
    QTimer.singleShot(2_500, lambda: later(window))
    raise RuntimeError("attach broke")

def later(window):
    print("ready", bool(readies))
    garbage_beside_a_worker(window, 2_000)

MainWindow.attach = broken
""" + RUN_WINDOW


def test_a_start_that_broke_before_ready_still_collects_garbage_on_the_gui_thread(
    tmp_path: Path, simulator: Any
) -> None:
    """An error on the way to ready (here in attach) leaves the collector neither off for good nor automatic:
    after the fallback, the GUI thread collects."""
    lines = _probe_lines(BROKEN_ATTACH_PROBE, tmp_path, simulator)
    assert lines == {"ready": "False", "automatic": "False", "after-worker": "-", "destroyed-on": "MainThread"}, lines


BUILD_FAILURE_PROBE = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from termii_desk import app as desk_app
from termii_desk.ui.main_window import MainWindow

def broken(window):
    raise ImportError("No module named 'termii_desk.ui.outcome_view'")

shown = MainWindow.show_build_failure

def show_build_failure(window, error):
    shown(window, error)
    window.form.phone.edit.insert("3")  # typing goes on, and is kept
    window.form.on_submit()  # Enter sends nothing
    QTimer.singleShot(300, lambda: finish(window))

def finish(window):
    print("banner", window.build_failure.text())
    print("title", window.windowTitle())
    print("typed", window.form.phone.text())
    print("send-enabled", window.form.send_button.isEnabled())
    print("built", window.built)
    window.close()

def watch():
    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    window.form.phone.edit.insert("080312")  # typed at first sight

MainWindow._build_outcome = broken
MainWindow.show_build_failure = show_build_failure
""" + RUN_WINDOW


def test_a_build_step_that_fails_says_so_keeps_what_was_typed_and_sends_nothing(
    tmp_path: Path, simulator: Any
) -> None:
    """A step of the window's build raising (a module missing from a damaged install): the window says the desk
    could not start and why, instead of staying at "checking" with nothing said; the core is not loaded."""
    lines = _probe_lines(BUILD_FAILURE_PROBE, tmp_path, simulator)
    assert lines["banner"].startswith("Termii Desk could not start: part of its window could not be built "
                                      "(ImportError: No module named 'termii_desk.ui.outcome_view').")
    assert "Reinstall Termii Desk" in lines["banner"]
    assert lines["title"] == "Termii Desk — not started"
    assert lines["typed"] == "0803123" and lines["send-enabled"] == "False" and lines["built"] == "False"
    assert simulator.calls == [] and simulator.balance_requests == []


def test_the_self_test_fails_when_the_window_cannot_be_built(tmp_path: Path) -> None:
    probe = ("from termii_desk.ui.main_window import MainWindow\n"
             "def broken(window):\n    raise ImportError('gone')\n"
             "MainWindow._build_strip = broken\n"
             "from termii_desk.app import run_window\nraise SystemExit(run_window(self_test=True))\n")
    done = subprocess.run([sys.executable, "-c", probe], env=_env(tmp_path), capture_output=True, text=True,
                          timeout=90, check=False)
    assert done.returncode == 1, done.stderr
    assert "self-test failed: the window could not be built (ImportError: gone)" in done.stderr


AFTER_A_CRASH_PROBE = """
import faulthandler, sys
faulthandler.disable()  # as a start has it (not PYTHONFAULTHANDLER's)
sys.stderr = None  # a windowed start: its crashes go to the crash file
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from termii_desk import cli
from termii_desk.ui.main_window import MainWindow

attach = MainWindow.attach

def attached(window, services):
    attach(window, services)
    QTimer.singleShot(300, lambda: finish(window))

def finish(window):
    texts = [notice.text for notice in window.notices._notices]
    print("notices", len(texts))
    print("crash-notice", next((t for t in texts if "closed unexpectedly" in t), "-"))
    print("crash-shown", any("closed unexpectedly" in n.text and not n.isHidden() for n in window.notices._notices))
    print("focus", QApplication.focusWidget() is window.form.phone.edit)
    window.close()

if sys.argv[1:] == ["closed-first"]:  # the agent closes the window before the desk is ready
    def attached(window, services):
        window.close()
MainWindow.attach = attached
sys.exit(cli.main([]))
"""


def _crash_left(home: Path) -> AppPaths:
    """``home``'s paths, its crash file holding an earlier windowed start's crash."""
    paths = AppPaths.from_environment({"TERMII_DESK_HOME": str(home)})
    paths.log_dir.mkdir(parents=True)
    paths.crash_file.write_text("Fatal Python error: Segmentation fault\n", encoding="utf-8")
    return paths


def test_the_window_after_a_windowed_crash_says_where_it_is_saved_without_taking_the_focus(
    tmp_path: Path, simulator: Any
) -> None:
    paths = _crash_left(tmp_path)
    lines = _probe_lines(AFTER_A_CRASH_PROBE, tmp_path, simulator)
    assert lines["crash-notice"].startswith("Termii Desk closed unexpectedly last time.")
    assert str(paths.previous_crash_file) in lines["crash-notice"] and lines["focus"] == "True"
    assert lines["crash-shown"] == "True", lines  # not behind "more": shown first, after the core's notices
    assert paths.previous_crash_file.read_text(encoding="utf-8").startswith("Fatal Python error")
    assert paths.crash_file.read_text(encoding="utf-8") == ""
    lines = _probe_lines(AFTER_A_CRASH_PROBE, tmp_path, simulator)  # said once
    assert lines["crash-notice"] == "-" and lines["focus"] == "True"


def test_a_window_closed_before_its_notices_leaves_the_crash_to_be_told_at_the_next_start(tmp_path: Path) -> None:
    paths = _crash_left(tmp_path)
    done = subprocess.run([sys.executable, "-c", AFTER_A_CRASH_PROBE, "closed-first"],
                          env=_env(tmp_path, TERMII_API_KEY=SIM_KEY, TERMII_BASE_URL="http://127.0.0.1:9"),
                          capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr
    assert paths.crash_file.read_text(encoding="utf-8").startswith("Fatal Python error")
    assert not paths.previous_crash_file.exists()
