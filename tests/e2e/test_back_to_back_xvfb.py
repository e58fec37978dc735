"""End to end, as a person types: the next customer typed while a call is in flight survives the answer, and
Esc in the history filter leaves the form alone. ``termii-desk`` runs as its own process on Xvfb; xdotool
types into the focused window; the simulator (in this process) says what was sent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from termii_desk.simulator import TermiiSimulator
from tests.conftest import SIM_KEY
from tests.e2e.test_window_xvfb import ROOT, display, history_rows, pytestmark, wait_for, xdotool

__all__ = ["display", "pytestmark"]


def test_the_next_customer_typed_during_a_call_is_what_goes_out_next(
    display: str, simulator: TermiiSimulator, tmp_path: Path
) -> None:
    home = tmp_path / "desk-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TERMII_", "QT_"))}
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", TERMII_API_KEY=SIM_KEY, TERMII_BASE_URL=simulator.url,
               TERMII_DESK_HOME=str(home), PYTHONPATH=str(ROOT))
    output = tmp_path / "app-output.txt"
    simulator.set_fault("slow", on="call", delay=2.5)
    with output.open("w") as out:
        app = subprocess.Popen([sys.executable, "-m", "termii_desk"], env=env, stdout=out, stderr=subprocess.STDOUT,
                               cwd=tmp_path)
    try:
        window = xdotool(display, "search", "--sync", "--name", "Termii Desk").split()[0]
        wait_for(lambda: len(simulator.balance_requests) == 1, "the start-up balance request")
        xdotool(display, "windowfocus", "--sync", window)
        xdotool(display, "type", "--delay", "40", "0803 123 4567")
        xdotool(display, "key", "Tab")
        xdotool(display, "type", "--delay", "40", "482913")
        xdotool(display, "key", "Return")
        wait_for(lambda: len(simulator.calls) == 1, "the first call to reach the simulator")
        # The next customer, while the first call waits for Termii: Alt+P selects the number, type over it.
        xdotool(display, "key", "alt+p")
        xdotool(display, "type", "--delay", "40", "0805 555 0199")
        xdotool(display, "key", "Tab")
        xdotool(display, "type", "--delay", "40", "7712")
        history_file = home / "data" / "history.sqlite3"
        wait_for(lambda: [r[2] for r in history_rows(history_file)] == ["sent"], "the first call's answer")
        # Esc in the history filter clears the filter only.
        xdotool(display, "key", "ctrl+f")
        xdotool(display, "type", "--delay", "40", "0803")
        xdotool(display, "key", "Escape")
        xdotool(display, "key", "alt+c")
        xdotool(display, "key", "Return")
        wait_for(lambda: len(simulator.calls) == 2, "the second call to reach the simulator")
        body = simulator.calls[1].json
        assert isinstance(body, dict)
        assert (body["phone_number"], body["code"]) == ("2348055550199", 7712), output.read_text()
        wait_for(lambda: [r[2] for r in history_rows(history_file)] == ["sent", "sent"], "the second answer")
        xdotool(display, "key", "ctrl+q")
        assert app.wait(timeout=30) == 0, output.read_text()
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    assert "Traceback" not in output.read_text()
