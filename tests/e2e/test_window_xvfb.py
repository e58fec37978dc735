"""End to end: ``termii-desk`` as its own process on a virtual X display, driven by keystrokes like an agent.

Xvfb provides the display, xdotool types, the simulator (in this test process) plays Termii. The test then
reads what the simulator received and the history file the app wrote.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from termii_desk.simulator import TermiiSimulator
from tests.conftest import SIM_KEY
from tests.xvfb import end_process, focused_desk, running_xvfb, start_desk, type_call, wait_for, xdotool

__all__ = ["wait_for", "xdotool"]  # the other end-to-end tests import them from here too

ROOT = Path(__file__).resolve().parents[2]
MISSING = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(bool(MISSING), reason=f"needs {' and '.join(MISSING)} (not installed)"),
]


@pytest.fixture
def display() -> Iterator[str]:
    """A fresh Xvfb on a display number it picks itself (``-displayfd``), so parallel runs never clash."""
    with running_xvfb() as number:
        yield number


def history_rows(history_file: Path) -> list[tuple[str, str, str]]:
    if not history_file.exists():
        return []
    with sqlite3.connect(history_file) as conn:
        try:
            return conn.execute("SELECT phone, code_masked, outcome FROM attempts ORDER BY id").fetchall()
        except sqlite3.OperationalError:  # the app has not created the table yet
            return []


def test_agent_sends_a_code_with_the_keyboard(
    display: str, simulator: TermiiSimulator, tmp_path: Path, screenshot_dir: Path
) -> None:
    home = tmp_path / "desk-home"
    output = tmp_path / "app-output.txt"
    app = start_desk(display, home, simulator.url, SIM_KEY, output)
    try:
        # The window is usable once the core is attached: it then asks for the balance.
        focused_desk(display)
        wait_for(lambda: len(simulator.balance_requests) == 1, "the start-up balance request")
        type_call(display, "0803 123 4567", "482913")

        wait_for(lambda: len(simulator.calls) == 1, "the call to reach the simulator")
        body = simulator.calls[0].json
        assert isinstance(body, dict)
        assert body["phone_number"] == "2348031234567" and body["code"] == 482913 and body["api_key"] == SIM_KEY

        history_file = home / "data" / "history.sqlite3"
        wait_for(lambda: [r[2] for r in history_rows(history_file)] == ["sent"], "the history row to be sent")
        time.sleep(0.3)  # let the window repaint the outcome before the picture (not an assertion)
        subprocess.run(["import", "-window", "root", str(screenshot_dir / "e2e-xvfb.png")],
                       env={**os.environ, "DISPLAY": display}, timeout=30, check=False)

        xdotool(display, "key", "ctrl+q")
        assert app.wait(timeout=30) == 0, output.read_text()
    finally:
        end_process(app)

    assert len(simulator.calls) == 1
    assert history_rows(home / "data" / "history.sqlite3") == [("2348031234567", "••••13", "sent")]
    assert "Traceback" not in output.read_text()
