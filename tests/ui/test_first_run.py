"""The first-run page: "Try the demo" starts the demo desk as a process of its own (once), by mouse or keyboard,
and says in a sentence why when it cannot."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from termii_desk.core import instance
from termii_desk.core.bootstrap import DeskServices
from termii_desk.core.demo_launch import DemoProcess, start_demo
from termii_desk.simulator import TermiiSimulator
from termii_desk.ui.first_run import DEMO_OPEN
from termii_desk.ui.main_window import MainWindow
from tests.ui.conftest import OFFSCREEN_NOISE
from tests.ui.test_keyboard import assert_no_key_clashes

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)

OpenWindow = Callable[..., MainWindow]
MakeServices = Callable[..., DeskServices]
WAIT_MS = 60_000


@pytest.fixture
def demo_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, str]]:
    """This process's environment as the demo inherits it: a private runtime folder and desk home of its own."""
    runtime = Path(tempfile.mkdtemp(prefix="rt-", dir="/tmp"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("TERMII_DESK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setenv("TERMII_API_KEY", "agent-key-never-passed-4321")  # what the agent's desk may have
    yield dict(os.environ)
    shutil.rmtree(runtime, ignore_errors=True)


def demo_answers() -> bool:
    """Whether a demo desk listens on the demo's socket for this home (and answers a start)."""
    path = instance.socket_path(demo=True)
    assert path is not None
    request = {"protocol": instance.PROTOCOL, "argv": ["--demo"], "activation": {}}
    return os.path.exists(path) and instance._hand_over(path, request) is not None


def end(process: DemoProcess | None) -> None:
    if process is not None and process.poll() is None:
        process.process.send_signal(signal.SIGTERM)
        process.process.wait(timeout=30)


@pytest.mark.skipif(not instance.supported(), reason="one demo at a time needs Unix sockets and flock")
def test_try_the_demo_starts_the_demo_desk_and_a_second_press_brings_it_forward(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    demo_env: dict[str, str]
) -> None:
    window = open_window(make_services(simulator.url, key=None))
    page = window.first_run
    assert window.pages.currentWidget() is page and page.demo_button.isVisibleTo(window)
    first: DemoProcess | None = None
    try:
        qtbot.mouseClick(page.demo_button, Qt.MouseButton.LeftButton)
        first = page.demo
        assert first is not None and first.poll() is None
        assert "Opening the demo" in page.demo_status.text()
        qtbot.waitUntil(demo_answers, timeout=WAIT_MS)  # a demo desk came up and answers over its socket
        qtbot.waitUntil(lambda: DEMO_OPEN in page.demo_status.text(), timeout=WAIT_MS)
        environ = Path(f"/proc/{first.pid}/environ").read_bytes() if sys.platform.startswith("linux") else b""
        assert b"agent-key-never-passed" not in environ and b"--demo" in Path(f"/proc/{first.pid}/cmdline").read_bytes()

        qtbot.mouseClick(page.demo_button, Qt.MouseButton.LeftButton)  # again: the open demo comes forward
        second = page.demo
        assert second is not None and second is not first
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=WAIT_MS)
        assert second.poll() == 0  # it handed over to the open demo and ended
        assert first.poll() is None  # the one demo still runs
        qtbot.waitUntil(lambda: DEMO_OPEN in page.demo_status.text(), timeout=WAIT_MS)
        assert window.pages.currentWidget() is page  # the agent's desk is as it was
        log = (Path(demo_env["TERMII_DESK_HOME"]) / "logs" / "termii-desk.log").read_text()
        assert "starting (demo)" in log and "brought to the front" in log
    finally:
        end(first)


def test_the_demo_button_is_reached_by_tab_and_by_its_mnemonic(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    starts: list[int] = []

    def start() -> DemoProcess:
        starts.append(1)
        return start_demo([sys.executable, "-c", "pass"], {})

    window = open_window(make_services(simulator.url, key=None))
    page = window.first_run
    page._start = start
    window.activateWindow()
    qtbot.waitUntil(lambda: page.settings_button.hasFocus(), timeout=5000)
    qtbot.keyClick(page.settings_button, Qt.Key.Key_Tab)
    assert page.demo_button.hasFocus()
    qtbot.keyClick(page.demo_button, Qt.Key.Key_Space)
    assert starts == [1]
    qtbot.waitUntil(lambda: DEMO_OPEN in page.demo_status.text(), timeout=WAIT_MS)
    assert page.demo_button.hasFocus()  # still where the agent left it

    # Alt+E from anywhere in the window, and no other key on this screen is Alt+E (an ambiguous one does nothing).
    assert page.demo_button.shortcut().toString() == "Alt+E"
    assert_no_key_clashes(window)
    page.settings_button.setFocus()
    qtbot.keyClick(page.settings_button, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: len(starts) == 2, timeout=5000)
    qtbot.waitUntil(lambda: page.demo is not None and page.demo.poll() == 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not page._demo_timer.isActive(), timeout=WAIT_MS)  # seen to the end


def test_a_demo_that_cannot_start_says_what_to_do(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    window = open_window(make_services(simulator.url, key=None))
    page = window.first_run
    page._start = lambda: start_demo(["/nonexistent/termii-desk", "--demo"], {})
    page.demo_button.click()
    assert page.demo_status.isVisibleTo(window)
    assert "could not be started" in page.demo_status.text() and "termii-desk --demo" in page.demo_status.text()

    script = "import sys; print('termii-desk: no display to open the window on.', file=sys.stderr); sys.exit(3)"
    page._start = lambda: start_demo([sys.executable, "-c", script], {})
    page.demo_button.click()
    qtbot.waitUntil(lambda: "did not open" in page.demo_status.text(), timeout=WAIT_MS)
    assert page.demo_status.text().endswith("The demo did not open: no display to open the window on.")

    page._start = lambda: start_demo([sys.executable, "-c", "raise SystemExit('Traceback (most recent call')"], {})
    page.demo_button.click()
    qtbot.waitUntil(lambda: "exit code 1" in page.demo_status.text(), timeout=WAIT_MS)
    assert "Traceback" not in page.demo_status.text()
    assert window.pages.currentWidget() is page


def shot(window: MainWindow, screenshot_dir: Path, name: str) -> None:
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    assert window.grab().save(str(screenshot_dir / f"{name}.png"))


@pytest.mark.parametrize("palette", ["light", "dark"])
def test_first_run_screens(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    screenshot_dir: Path, palette: str, request: pytest.FixtureRequest
) -> None:
    from termii_desk.ui.main_window import DEFAULT_SIZE

    if palette == "dark":
        request.getfixturevalue("dark_app")
    window = open_window(make_services(simulator.url, key=None), size=DEFAULT_SIZE)
    page = window.first_run
    suffix = "-dark" if palette == "dark" else ""
    shot(window, screenshot_dir, f"first-run{suffix}")
    page._start = lambda: start_demo([sys.executable, "-c", "pass"], {})
    page.demo_button.click()
    qtbot.waitUntil(lambda: DEMO_OPEN in page.demo_status.text(), timeout=WAIT_MS)
    shot(window, screenshot_dir, f"first-run-demo-open{suffix}")
    page._start = lambda: start_demo(["/nonexistent/termii-desk", "--demo"], {})
    page.demo_button.click()
    shot(window, screenshot_dir, f"first-run-demo-failed{suffix}")
    for label in (page.demo_hint, page.demo_status, page.invitation):
        assert label.visibleRegion().boundingRect().size() == label.size()  # nothing cut off


SCALED_FIRST_RUN = '''
import sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from termii_desk.core.bootstrap import RunOptions, build_desk
from termii_desk.core.paths import AppPaths
from termii_desk.ui.main_window import DEFAULT_SIZE, MainWindow
from termii_desk.ui.worker import InlineExecutor
from tests.fakes import MemoryKeyring
services = build_desk(AppPaths.from_environment(), RunOptions(), keyring_backend=MemoryKeyring(), connect_now=False)
window = MainWindow(InlineExecutor())
window.resize(*DEFAULT_SIZE)
window.show()
window.attach(services)
for _ in range(20):
    app.processEvents()
page = window.first_run
image = window.grab()
image.save(sys.argv[1])
print(image.devicePixelRatio(), window.pages.currentWidget() is page,
      page.demo_button.height() >= page.demo_button.sizeHint().height())
window.close()
services.close()
'''


def test_first_run_at_one_and_a_half_scale(screenshot_dir: Path, tmp_path: Path) -> None:
    import subprocess

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": "1.5",
           "TERMII_DESK_HOME": str(tmp_path / "home"), "PYTHONPATH": str(root)}
    env.pop("TERMII_API_KEY", None)
    done = subprocess.run([sys.executable, "-c", SCALED_FIRST_RUN, str(screenshot_dir / "first-run-scale-1.5.png")],
                          env=env, capture_output=True, text=True, timeout=120, check=False, cwd=root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-3:] == ["1.5", "True", "True"], done.stdout


def test_a_demo_that_ends_later_is_reaped_not_left_a_zombie(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    from termii_desk.ui import first_run

    monkeypatch.setattr(first_run, "DEMO_WATCH_MS", 300)
    window = open_window(make_services(simulator.url, key=None))
    page = window.first_run
    page._reap_timer.setInterval(100)
    page._start = lambda: start_demo([sys.executable, "-c", "import time; time.sleep(2)"], {})
    page.demo_button.click()
    demo = page.demo
    assert demo is not None
    qtbot.waitUntil(lambda: not page._demo_timer.isActive(), timeout=WAIT_MS)  # no longer watched, still running
    assert demo.poll() is None and page._running == [demo]
    qtbot.waitUntil(lambda: not page._running, timeout=WAIT_MS)
    assert demo.process.returncode == 0 and not page._reap_timer.isActive()


def test_the_welcome_names_the_keyring_as_the_system_calls_it(
    simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    from tests.ui.test_settings_dialog import GnomeKeyring

    window = open_window(make_services(simulator.url, key=None, backend=GnomeKeyring()))
    assert "kept in GNOME Keyring (your login keyring), never in a file" in window.first_run.invitation.text()
