"""End to end: the real desk on a team's shared history (a real PostgreSQL), closed during a call by keyboard.

Ctrl+Q while Termii has not answered asks "1 call is waiting for Termii's answer"; Alt+A ("Close anyway")
ends the process at once, and the attempt's row says the window was closed before Termii answered: on the
server at once when it is up, or from the desk's outbox at the next start when it was stopped just before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from termii_desk.core.history import INTERRUPTED_TEXT
from termii_desk.core.words import CLOSED_BEFORE_ANSWER
from termii_desk.simulator import TermiiSimulator
from tests.conftest import SIM_KEY
from tests.e2e.test_window_xvfb import MISSING, ROOT, display, wait_for, xdotool
from tests.postgres_server import AGENT_PASSWORDS, Team
from tests.test_cli import run

__all__ = ["display"]  # the fixture, from the window's end-to-end tests

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(bool(MISSING), reason=f"needs {' and '.join(MISSING)} (not installed)"),
]


def _errors(team: Team) -> list[tuple[str, str | None, int | None]]:
    return team.owner().execute(
        "SELECT outcome, error, duration_ms FROM termii_desk.attempts ORDER BY id").fetchall()


@pytest.mark.parametrize("server", ["up", "stopped at close"])
def test_close_anyway_by_keyboard_records_why_once_on_the_team_history(
    display: str, simulator: TermiiSimulator, team: Team, tmp_path: Path, server: str
) -> None:
    home = tmp_path / "desk-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TERMII_", "QT_", "PG"))}
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", TERMII_API_KEY=SIM_KEY, TERMII_BASE_URL=simulator.url,
               TERMII_DESK_HOME=str(home), PYTHONPATH=str(ROOT), TERMII_DESK_HISTORY_URL=team.url("alice"),
               PGPASSWORD=AGENT_PASSWORDS["alice"], PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
               DBUS_SESSION_BUS_ADDRESS="disabled:")
    simulator.set_fault("no-answer", on="call")
    output = tmp_path / "app-output.txt"
    with output.open("w") as out:
        app = subprocess.Popen([sys.executable, "-m", "termii_desk"], env=env, stdout=out, stderr=subprocess.STDOUT,
                               cwd=tmp_path)
    stopped = False
    try:
        window = xdotool(display, "search", "--sync", "--name", "Termii Desk").split()[0]
        wait_for(lambda: len(simulator.balance_requests) == 1, "the start-up balance request")
        xdotool(display, "windowfocus", "--sync", window)
        xdotool(display, "type", "--delay", "40", "0803 123 4567")
        xdotool(display, "key", "Tab")
        xdotool(display, "type", "--delay", "40", "482913")
        xdotool(display, "key", "Return")
        wait_for(lambda: len(simulator.calls) == 1, "the call to reach the simulator")
        wait_for(lambda: len(team.rows()) == 1, "the attempt's pre-write on the server")
        if server == "stopped at close":
            team.server.stop()
            stopped = True
        xdotool(display, "key", "ctrl+q")
        question = xdotool(display, "search", "--sync", "--name", "A call is waiting for Termii").split()[0]
        xdotool(display, "windowfocus", "--sync", question)
        started = time.monotonic()
        xdotool(display, "key", "alt+a")
        assert app.wait(timeout=30) == 0, output.read_text()
        assert time.monotonic() - started < 20  # not the 40 s a call to a silent Termii could take
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        if stopped:
            team.server.start()
        simulator.clear_fault()
    said = output.read_text()
    assert "Traceback" not in said and AGENT_PASSWORDS["alice"] not in said
    if server == "up":
        assert _errors(team)[0][:2] == ("unknown", CLOSED_BEFORE_ANSWER)
    else:
        assert _errors(team) == [("unknown", INTERRUPTED_TEXT, None)]  # waits in the desk's outbox
    # The desk started again (its command line): the outbox is sent, and the call reads as it happened.
    cli_env = {k: v for k, v in env.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    listed = run("history", "--json", env=cli_env)
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert (row["outcome"], row["error"]) == ("unknown", CLOSED_BEFORE_ANSWER)
    [(outcome, error, duration)] = _errors(team)
    assert (outcome, error) == ("unknown", CLOSED_BEFORE_ANSWER) and duration is not None
    assert len(simulator.calls) == 1
