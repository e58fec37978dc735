"""End to end, as a person types: the next customer typed while a call is in flight survives the answer, and
Esc in the history filter leaves the form alone. ``termii-desk`` runs as its own process on Xvfb; xdotool
types into the focused window; the simulator (in this process) says what was sent."""

from __future__ import annotations

from pathlib import Path

from termii_desk.simulator import TermiiSimulator
from tests.conftest import SIM_KEY
from tests.e2e.test_window_xvfb import display, history_rows, pytestmark
from tests.xvfb import end_process, focused_desk, keys, start_desk, type_call, type_text, wait_for

__all__ = ["display", "pytestmark"]


def test_the_next_customer_typed_during_a_call_is_what_goes_out_next(
    display: str, simulator: TermiiSimulator, tmp_path: Path
) -> None:
    home = tmp_path / "desk-home"
    output = tmp_path / "app-output.txt"
    simulator.set_fault("slow", on="call", delay=2.5)
    app = start_desk(display, home, simulator.url, SIM_KEY, output)
    try:
        focused_desk(display)
        wait_for(lambda: len(simulator.balance_requests) == 1, "the start-up balance request")
        type_call(display, "0803 123 4567", "482913")
        wait_for(lambda: len(simulator.calls) == 1, "the first call to reach the simulator")
        # The next customer, while the first call waits for Termii: Alt+P selects the number, type over it.
        keys(display, "alt+p")
        type_call(display, "0805 555 0199", "7712", send=False)
        history_file = home / "data" / "history.sqlite3"
        wait_for(lambda: [r[2] for r in history_rows(history_file)] == ["sent"], "the first call's answer")
        # Esc in the history filter clears the filter only.
        keys(display, "ctrl+f")
        type_text(display, "0803")
        keys(display, "Escape", "alt+c", "Return")
        wait_for(lambda: len(simulator.calls) == 2, "the second call to reach the simulator")
        body = simulator.calls[1].json
        assert isinstance(body, dict)
        assert (body["phone_number"], body["code"]) == ("2348055550199", 7712), output.read_text()
        wait_for(lambda: [r[2] for r in history_rows(history_file)] == ["sent", "sent"], "the second answer")
        keys(display, "ctrl+q")
        assert app.wait(timeout=30) == 0, output.read_text()
    finally:
        end_process(app)
    assert "Traceback" not in output.read_text()
