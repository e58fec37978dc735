"""End to end: an agent who types the moment the window shows loses nothing, and Enter before ready sends once.

``termii-desk`` runs as its own process on a private Xvfb; the moment it prints its first paint (the
benchmark probe's ``watch`` mode), or a little later, xdotool presses the number's digits, Tab, the code's and
Return. The simulator, in this test process, plays Termii. The same driver is what bench/typing_at_start.py
times; nothing here is timed.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from bench.typing_at_start import CODE, PHONE_DIGITS, type_at_start
from termii_desk.simulator import TermiiSimulator
from tests.xvfb import running_xvfb

MISSING = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(bool(MISSING), reason=f"needs {' and '.join(MISSING)} (not installed)"),
]


@pytest.mark.parametrize("delay", [0.0, 0.2])
def test_keys_typed_at_the_first_frame_all_land_and_the_call_goes_out_once(
    delay: float, simulator: TermiiSimulator, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    with running_xvfb() as display:
        run = type_at_start({"DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}, simulator, home, delay,
                            command=[sys.executable, "-m", "termii_desk"])
    assert run.painted is not None, run.output
    assert run.sent == ("08031234567", CODE), run.output  # every key where it belongs, Tab included
    assert run.lost == 0
    assert run.calls == [(PHONE_DIGITS, int(CODE))], run.output  # exactly once, exactly those digits
    assert run.exit_code == 0, run.output
    assert "Traceback" not in run.output
    with sqlite3.connect(home / "data" / "history.sqlite3") as conn:
        rows = conn.execute("SELECT phone, code_masked, outcome FROM attempts").fetchall()
    assert rows == [(PHONE_DIGITS, "••••13", "sent")]
