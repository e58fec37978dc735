"""Single-instance with real processes on a virtual X display: a second ``termii-desk`` hands over and exits 0,
the running desk comes to the front; a desk killed with SIGKILL is replaced; a demo is a desk of its own (one at
a time, also from the first-run page's button); the command line and the self-test run on their own while a desk
is open."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from termii_desk.core import instance
from termii_desk.simulator import TermiiSimulator
from tests.conftest import SIM_KEY
from tests.xvfb import end_process, running_xvfb, wait_for, xdotool

ROOT = Path(__file__).resolve().parents[2]
MISSING = [tool for tool in ("Xvfb", "xdotool", "xwininfo") if shutil.which(tool) is None]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(bool(MISSING), reason=f"needs {' and '.join(MISSING)} (not installed)"),
    pytest.mark.skipif(not instance.supported(), reason="Unix sockets and flock only"),
]
TITLE = "Termii Desk"


@pytest.fixture
def display() -> Iterator[str]:
    with running_xvfb() as number:
        yield number


@pytest.fixture
def runtime() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="rt-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


class Desks:
    """Starts ``termii-desk`` processes sharing one display, runtime folder and simulator; ends them all."""

    def __init__(self, display: str, runtime: Path, simulator: TermiiSimulator, tmp_path: Path) -> None:
        self.display = display
        self.tmp_path = tmp_path
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("TERMII_", "QT_"))}
        self.env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", TERMII_API_KEY=SIM_KEY,
                        TERMII_BASE_URL=simulator.url, XDG_RUNTIME_DIR=str(runtime), PYTHONPATH=str(ROOT))
        self.processes: list[subprocess.Popen[str]] = []
        self._outputs: list[Any] = []

    def home(self, name: str = "desk-home") -> Path:
        return self.tmp_path / name

    def start(self, *args: str, home: str = "desk-home") -> subprocess.Popen[str]:
        output = open(self.tmp_path / f"out-{len(self.processes)}.txt", "w")  # noqa: SIM115 (closed in close())
        self._outputs.append(output)
        process = subprocess.Popen([sys.executable, "-m", "termii_desk", *args], cwd=self.tmp_path, text=True,
                                   env={**self.env, "TERMII_DESK_HOME": str(self.home(home))}, stdout=output,
                                   stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def run(self, *args: str, home: str = "desk-home", timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "termii_desk", *args], cwd=self.tmp_path, text=True,
                              env={**self.env, "TERMII_DESK_HOME": str(self.home(home))}, capture_output=True,
                              timeout=timeout, check=False)

    def output(self, process: subprocess.Popen[str]) -> str:
        return (self.tmp_path / f"out-{self.processes.index(process)}.txt").read_text()

    def windows(self) -> list[str]:
        """The desk windows on the display, bottom to top of the stacking order (no window manager here)."""
        for _ in range(20):  # it fails when a window goes while it lists them: ask again
            done = subprocess.run(["xwininfo", "-root", "-children"], env={**os.environ, "DISPLAY": self.display},
                                  capture_output=True, text=True, timeout=30, check=False)
            if done.returncode == 0:
                break
            time.sleep(0.05)
        assert done.returncode == 0, done.stderr
        listing = done.stdout
        # xwininfo lists the root's children top first.
        ids = [line.split()[0] for line in listing.splitlines() if f'"{TITLE}' in line]  # and "{TITLE} — ..."
        return ids[::-1]

    def window_of(self, before: list[str]) -> str:
        wait_for(lambda: len(self.windows()) > len(before), "a new desk window")
        new = [w for w in self.windows() if w not in before]
        assert len(new) == 1
        return new[0]

    def close(self) -> None:
        for process in self.processes:
            end_process(process)
        for output in self._outputs:
            output.close()


@pytest.fixture
def desks(display: str, runtime: Path, simulator: TermiiSimulator, tmp_path: Path) -> Iterator[Desks]:
    started = Desks(display, runtime, simulator, tmp_path)
    yield started
    started.close()


def log_text(desks: Desks, home: str = "desk-home") -> str:
    path = desks.home(home) / "logs" / "termii-desk.log"
    return path.read_text() if path.exists() else ""


def test_a_second_start_hands_over_and_the_desk_comes_to_the_front(desks: Desks,
                                                                    simulator: TermiiSimulator) -> None:
    first = desks.start()
    desk = desks.window_of([])
    wait_for(lambda: len(simulator.balance_requests) == 1, "the first desk to be ready")
    other = desks.start(home="other-home")  # another home is another desk: opens, on top
    cover = desks.window_of([desk])
    assert desks.windows() == [desk, cover]

    second = desks.run("--region", "GH", timeout=30)
    assert second.returncode == 0, second.stderr
    assert "already open" in second.stderr and "--region GH" in second.stderr
    wait_for(lambda: desks.windows()[-1] == desk, "the running desk to be raised above the other window")
    assert "brought to the front" in log_text(desks)
    assert first.poll() is None and other.poll() is None
    assert len(desks.windows()) == 2  # no third window
    third = desks.run(timeout=30)  # the plain start, as from a launcher: nothing to say
    assert third.returncode == 0 and third.stdout == "" and third.stderr == ""

    xdotool(desks.display, "windowfocus", "--sync", desk)
    xdotool(desks.display, "key", "ctrl+q")
    assert first.wait(timeout=30) == 0, desks.output(first)
    fresh = desks.start()  # once it is closed, a start opens the desk again
    desks.window_of([cover])
    assert fresh.poll() is None
    assert "Traceback" not in desks.output(first) + desks.output(fresh)


def test_a_desk_killed_with_sigkill_is_replaced(desks: Desks, runtime: Path) -> None:
    first = desks.start()
    desks.window_of([])
    sockets = list((runtime / "termii-desk").glob("*.sock"))
    assert len(sockets) == 1
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    wait_for(lambda: not desks.windows(), "the killed desk's window to go")
    assert sockets[0].exists()  # nobody removed it: the next start must see it is stale

    replacement = desks.start()
    window = desks.window_of([])
    assert replacement.poll() is None
    handed = desks.run(timeout=30)
    assert handed.returncode == 0, handed.stderr
    assert desks.windows() == [window] and replacement.poll() is None


def test_a_demo_is_a_desk_of_its_own_and_a_second_demo_start_raises_it(desks: Desks) -> None:
    agent = desks.start()
    desk = desks.window_of([])
    demo = desks.start("--demo")
    demo_window = desks.window_of([desk])
    handed = desks.run(timeout=30)  # the agent's desk is still the one a plain start hands over to
    assert handed.returncode == 0, handed.stderr
    wait_for(lambda: desks.windows()[-1] == desk, "the agent's desk to be raised above the demo")

    second_demo = desks.run("--demo", timeout=30)  # hands over to the open demo, which comes to the front
    assert second_demo.returncode == 0 and second_demo.stderr == "", second_demo.stderr
    wait_for(lambda: desks.windows()[-1] == demo_window, "the open demo to be raised above the agent's desk")
    time.sleep(0.5)
    assert desks.windows() == [desk, demo_window]  # no third window
    assert agent.poll() is None and demo.poll() is None


def press_alt_e(desks: Desks, window: str, starts: int) -> None:
    """Focus ``window`` and press Alt+E until the desk has started the demo ``starts`` times in all. Qt takes a
    window as active a moment after it has the X focus (there is no window manager here) and ignores shortcuts
    until then, so the key is pressed again, as an agent would, until it is taken."""
    for _ in range(60):
        xdotool(desks.display, "windowfocus", "--sync", window)
        xdotool(desks.display, "key", "alt+e")
        time.sleep(0.5)
        if log_text(desks).count("demo started") >= starts:
            return
    raise AssertionError(f"Alt+E did not start the demo (wanted {starts} starts)")


def test_the_first_run_button_opens_the_demo_once(desks: Desks) -> None:
    """No key: the first-run page. Alt+E ("Try the demo") opens the demo as its own desk, in a process of its
    own; pressing it again brings that demo to the front instead of opening a second one."""
    desks.env.pop("TERMII_API_KEY")
    desks.env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # nothing stored: the first-run page
    agent = desks.start()
    desk = desks.window_of([])
    demo_pid = 0
    try:
        press_alt_e(desks, desk, 1)
        demo_window = desks.window_of([desk])
        demo_pid = int(xdotool(desks.display, "getwindowpid", demo_window).strip())
        assert demo_pid != agent.pid and os.getsid(demo_pid) == demo_pid  # its own process, in its own session
        environ = Path(f"/proc/{demo_pid}/environ").read_bytes().split(b"\0")
        assert f"TERMII_DESK_HOME={desks.home()}".encode() in environ  # the same home, so the same demo desk
        wait_for(lambda: "(demo)" in log_text(desks), "the demo to start")

        xdotool(desks.display, "windowraise", desk)  # the agent goes back to the desk's window
        wait_for(lambda: desks.windows()[-1] == desk, "the agent's desk on top")
        press_alt_e(desks, desk, 2)  # again: the open demo comes to the front
        wait_for(lambda: "brought to the front" in log_text(desks), "the demo to be asked for its window")
        time.sleep(1.0)
        assert desks.windows() == [desk, demo_window]
        assert agent.poll() is None
        assert "Traceback" not in log_text(desks)
    finally:
        if demo_pid:
            os.kill(demo_pid, signal.SIGTERM)


def test_the_command_line_and_the_self_test_run_on_their_own(desks: Desks, simulator: TermiiSimulator) -> None:
    agent = desks.start()
    desks.window_of([])
    wait_for(lambda: len(simulator.balance_requests) == 1, "the desk to be ready")

    balance = desks.run("balance", "--json")
    assert balance.returncode == 0, balance.stderr
    assert '"balance"' in balance.stdout and len(simulator.balance_requests) == 2
    history = desks.run("history")
    assert history.returncode == 0 and "No attempts yet." in history.stdout
    version = desks.run("--version")
    assert version.returncode == 0 and version.stdout.startswith("termii-desk ")
    self_test = desks.run("--self-test", timeout=90)
    assert self_test.returncode == 0 and "self-test ok" in self_test.stdout, self_test.stderr
    assert "brought to the front" not in log_text(desks)  # none of them asked the desk for its window
    assert agent.poll() is None
