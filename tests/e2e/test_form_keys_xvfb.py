"""End to end, as a person types, the form's keys for emptying and bringing back: ``termii-desk`` as its own
process on Xvfb, the window focused as a desktop would, xdotool pressing keys.

- Esc in the code field empties the code only (the number stays), and Ctrl+Z brings the code back.
- Esc in the phone field empties the number only (the code stays).
- Ctrl+N ("New customer") empties both fields, and Ctrl+Z ("Undo clear") brings both back.
- Esc in an empty field leaves the other field's text alone.

What a field holds while the desk runs is read from the X clipboard (xclip) after the keys that copy it. An
empty field copies nothing, so an emptied field is read from the line the benchmark probe's ``watch`` mode
prints at quit: ``termii-desk-typed fields PHONE CODE``, what both fields held (the number without spaces).
"""

from __future__ import annotations

import ast
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from termii_desk.simulator import TermiiSimulator
from tests.conftest import SIM_KEY
from tests.xvfb import (
    DeskOnDisplay,
    focused_desk,
    keys,
    running_xvfb,
    start_desk,
    type_call,
    wait_for,
)

MISSING = [tool for tool in ("Xvfb", "xdotool", "xclip") if shutil.which(tool) is None]
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(bool(MISSING), reason=f"needs {' and '.join(MISSING)} (not installed)"),
]

PHONE, PHONE_DIGITS, CODE = "0803 123 4567", "08031234567", "482913"
FIELDS_LINE = re.compile(r"^termii-desk-typed fields ('[^']*') ('[^']*')$", re.MULTILINE)


@pytest.fixture
def display() -> Iterator[str]:
    with running_xvfb() as number:
        yield number


class Desk(DeskOnDisplay):
    """A desk process with the benchmark probe watching its form; killed after the test if still running."""

    def start(self) -> None:
        self.process = start_desk(self.display, self.home, self.simulator.url, SIM_KEY, self.output,
                                  HOME=str(self.home.parent), TERMII_DESK_BENCH_PROBE="watch")
        focused_desk(self.display)
        wait_for(lambda: len(self.simulator.balance_requests) == 1, "the start-up balance request")
        wait_for(lambda: "termii-desk-probe ready" in self.output.read_text(), "the history panel's first paint")

    def phone(self) -> str:
        """Alt+P selects the number, Ctrl+C copies it (the keyboard stays in the phone field)."""
        return self.copied("alt+p", "ctrl+c")

    def code(self) -> str:
        """Alt+C selects the code, Ctrl+C copies it (the keyboard stays in the code field)."""
        return self.copied("alt+c", "ctrl+c")

    def quit(self) -> tuple[str, str]:
        """Ctrl+Q; what the phone and the code field held as the desk quit."""
        assert self.process is not None
        keys(self.display, "ctrl+q")
        assert self.process.wait(timeout=30) == 0, self.output.read_text()
        text = self.output.read_text()
        assert "Traceback" not in text, text
        found = FIELDS_LINE.findall(text)
        assert len(found) == 1, text
        phone, code = found[0]
        return ast.literal_eval(phone), ast.literal_eval(code)


@pytest.fixture
def desk(display: str, simulator: TermiiSimulator, tmp_path: Path) -> Iterator[Desk]:
    running = Desk(display, simulator, tmp_path)
    yield running
    running.end()


def test_esc_in_the_code_field_empties_only_the_code_and_ctrl_z_brings_it_back(desk: Desk) -> None:
    desk.start()
    type_call(desk.display, PHONE, CODE, send=False)  # the keyboard is in the code field, after the code
    keys(desk.display, "Escape", "ctrl+z")
    assert desk.copied("ctrl+a", "ctrl+c") == CODE  # Ctrl+Z brought back what Esc emptied
    keys(desk.display, "Escape")  # the code selected: Esc empties it again
    assert desk.phone() == PHONE  # the number stayed
    keys(desk.display, "alt+c", "Escape")  # Esc in the empty code field
    assert desk.quit() == (PHONE_DIGITS, "")
    assert desk.simulator.calls == []


def test_esc_in_the_phone_field_empties_only_the_number(desk: Desk) -> None:
    desk.start()
    type_call(desk.display, PHONE, CODE, send=False)
    keys(desk.display, "alt+p", "Escape")
    assert desk.code() == CODE  # the code stayed
    keys(desk.display, "alt+p", "Escape")  # Esc in the empty phone field
    assert desk.quit() == ("", CODE)
    assert desk.simulator.calls == []


def test_ctrl_n_empties_both_fields_and_ctrl_z_brings_both_back(desk: Desk) -> None:
    desk.start()
    type_call(desk.display, PHONE, CODE, send=False)
    keys(desk.display, "ctrl+n", "ctrl+z")
    assert desk.phone() == PHONE
    assert desk.code() == CODE
    keys(desk.display, "ctrl+n")
    assert desk.quit() == ("", "")
    assert desk.simulator.calls == []
