"""End to end, as a person types, the history by keyboard: ``termii-desk`` as its own process on Xvfb, the window
focused as a desktop would, xdotool pressing keys. The simulator (in this process) says which number and code
each call carried; the X clipboard (xclip) says what Ctrl+C copied; an export (Ctrl+E) says which calls the
table shows.

- The Menu key and Shift+F10 open the menu on the current row (the last one too), and "Use this number" fills
  that row's number; Enter on a row does too and moves to the code; Ctrl+C copies the number or message id.
- Esc in the filter clears the filter and nothing else: the next customer's number and code, and the last
  outcome, stay.
- ``08035500199`` in the filter finds the calls to +234 803 550 0199; "Needs checking" (Alt+N) and a range of
  days (Alt+T) narrow them, by keyboard, at the days' boundaries in the desk's local time.
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from termii_desk.core.history import HistoryRow, HistoryStore
from termii_desk.simulator import TermiiSimulator
from tests.conftest import SIM_KEY
from tests.xvfb import (
    DeskOnDisplay,
    focused_desk,
    keys,
    running_xvfb,
    start_desk,
    type_text,
    wait_for,
)

MISSING = [tool for tool in ("Xvfb", "xdotool", "xclip", "import") if shutil.which(tool) is None]
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(bool(MISSING), reason=f"needs {' and '.join(MISSING)} (not installed)"),
]
ZONE = "Africa/Lagos"  # the desk's local time (UTC+1): a day there is not a UTC day
LAGOS = ZoneInfo(ZONE)


@pytest.fixture
def display() -> Iterator[str]:
    with running_xvfb() as number:
        yield number


class Desk(DeskOnDisplay):
    """A desk process with a history written before it started; ends it (Ctrl+Q, or killed) after the test."""

    def __init__(self, display: str, simulator: TermiiSimulator, tmp_path: Path) -> None:
        super().__init__(display, simulator, tmp_path)
        self.history_file = self.home / "data" / "history.sqlite3"

    def write_history(self, rows: list[tuple[str, str, str | None, datetime]]) -> None:
        """(digits, outcome, message id, local time) for each call, oldest first."""
        self.history_file.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        store = HistoryStore(self.history_file)
        template = HistoryRow(0, "", "agent", "0.1.0", "api.ng.termii.com", "", "••••16", "sent", 200, None,
                              "Successfully Sent", "4997.5", "NGN", 420, None)
        store.import_rows(
            replace(template, phone=phone, outcome=outcome, message_id=message_id,
                    http_status=200 if outcome == "sent" else None, balance="4997.5" if outcome == "sent" else None,
                    termii_message="Successfully Sent" if outcome == "sent" else None,
                    error=None if outcome == "sent" else "Termii did not answer; the call may have been placed.",
                    time_utc=when.astimezone(timezone.utc).isoformat(timespec="milliseconds"))
            for phone, outcome, message_id, when in rows)
        store.close()

    def start(self) -> None:
        self.process = start_desk(self.display, self.home, self.simulator.url, SIM_KEY, self.output, TZ=ZONE,
                                  HOME=str(self.tmp_path))
        focused_desk(self.display)
        wait_for(lambda: len(self.simulator.balance_requests) == 1, "the start-up balance request")
        time.sleep(0.5)  # the history panel is shown a few turns after the form (not an assertion)

    def calls(self) -> list[tuple[str, int]]:
        return [(c.json["phone_number"], c.json["code"]) for c in self.simulator.calls if isinstance(c.json, dict)]

    def rows(self) -> list[tuple[str, str, str | None]]:
        with sqlite3.connect(self.history_file) as conn:
            return conn.execute("SELECT phone, outcome, message_id FROM attempts ORDER BY id").fetchall()

    def to_table(self) -> None:
        """Ctrl+F (the filter), Down: the keyboard is on the table's current row."""
        keys(self.display, "ctrl+f", "Down")

    def export(self, name: str) -> list[dict[str, str]]:
        """Ctrl+E, the file's name typed into the save dialog, Return: the rows of the CSV written."""
        target = self.tmp_path / f"{name}.csv"
        keys(self.display, "ctrl+e")
        subprocess.run(["xdotool", "search", "--sync", "--name", "Export calls"], env={"DISPLAY": self.display},
                       capture_output=True, timeout=30, check=True)
        time.sleep(0.4)
        keys(self.display, "ctrl+a")
        type_text(self.display, str(target))
        keys(self.display, "Return")
        wait_for(target.exists, f"the export {target.name}")
        wait_for(lambda: target.read_text(encoding="utf-8-sig").count("\n") >= 1, "the export's rows")
        time.sleep(0.2)
        focused_desk(self.display)  # the dialog closed: a desktop gives the keyboard back to the window
        with target.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))

    def screenshot(self, path: Path) -> None:
        time.sleep(0.3)  # the last keystroke's repaint (not an assertion)
        subprocess.run(["import", "-window", "root", str(path)], env={"DISPLAY": self.display}, timeout=30,
                       check=False)

    def quit(self) -> None:
        assert self.process is not None
        keys(self.display, "ctrl+q")
        assert self.process.wait(timeout=30) == 0, self.output.read_text()
        assert "Traceback" not in self.output.read_text()


@pytest.fixture
def desk(display: str, simulator: TermiiSimulator, tmp_path: Path) -> Iterator[Desk]:
    running = Desk(display, simulator, tmp_path)
    yield running
    running.end()


def days_ago(days: int, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    """That day's local time in the desk's zone (``days`` before today there)."""
    day = datetime.now(LAGOS).date() - timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=LAGOS)


def test_the_menu_enter_and_ctrl_c_act_on_the_current_row(desk: Desk) -> None:
    desk.write_history([
        ("2348035500199", "sent", "m-oldest", days_ago(10)),
        ("2348059876543", "rejected", None, days_ago(3)),
        ("2347012223333", "sent", "m-7012", days_ago(2)),
        ("2348061112222", "rejected", None, days_ago(1)),
        ("2348091234567", "sent", "m-9123", days_ago(1, 14)),
    ])  # shown newest first: 091234567, 061112222, 7012223333, 059876543, 035500199
    desk.start()
    # Down to the second row, the Menu key: the menu is on THAT row; "Use this number" (n) fills it, the code next.
    desk.to_table()
    keys(desk.display, "Down", "Menu")
    time.sleep(0.5)
    keys(desk.display, "n")
    type_text(desk.display, "4829")
    keys(desk.display, "Return")
    wait_for(lambda: len(desk.calls()) == 1, "the first call")
    assert desk.calls() == [("2348061112222", 4829)], desk.output.read_text()
    wait_for(lambda: len(desk.rows()) == 6 and desk.rows()[-1][1] == "sent", "its answer")
    # The last row, Shift+F10: the menu opens there too.
    desk.to_table()
    keys(desk.display, "End", "shift+F10")
    time.sleep(0.5)
    keys(desk.display, "n")
    type_text(desk.display, "5512")
    keys(desk.display, "Return")
    wait_for(lambda: len(desk.calls()) == 2, "the second call")
    assert desk.calls()[1] == ("2348035500199", 5512)
    wait_for(lambda: len(desk.rows()) == 7 and desk.rows()[-1][1] == "sent", "its answer")
    # Now newest first: 035500199 (just now), 061112222 (just now), 091234567, 061112222, 7012223333, ...
    # Enter on a row: "Use this number", and the keyboard is in the code field.
    desk.to_table()
    keys(desk.display, "Home", "Down", "Down", "Down", "Down", "Return")
    type_text(desk.display, "7713")
    keys(desk.display, "Return")
    wait_for(lambda: len(desk.calls()) == 3, "the third call")
    assert desk.calls()[2] == ("2347012223333", 7713)
    wait_for(lambda: len(desk.rows()) == 8 and desk.rows()[-1][1] == "sent", "its answer")
    # Ctrl+C on a row copies its number; in the message id column, its message id.
    desk.to_table()
    assert desk.copied("Home", "Down", "Down", "Down", "ctrl+c") == "+2348091234567"
    assert desk.copied("Right", "Right", "Right", "Right", "ctrl+c") == "m-9123"
    assert desk.copied("Down", "ctrl+c") == "+2348061112222"  # no message id (refused): the number
    desk.quit()


def test_esc_in_the_filter_clears_the_filter_and_nothing_else(desk: Desk, screenshot_dir: Path) -> None:
    desk.write_history([("2347012223333", "sent", "m-7012", days_ago(2))])
    desk.start()
    type_text(desk.display, "0803 123 4567")
    keys(desk.display, "Tab")
    type_text(desk.display, "482913")
    keys(desk.display, "Return")
    wait_for(lambda: [r[1] for r in desk.rows()] == ["sent", "sent"], "the call's answer")
    message_id = desk.rows()[-1][2]
    assert message_id
    # The next customer, typed; then the filter, and Esc in it.
    keys(desk.display, "alt+p")
    type_text(desk.display, "0805 555 0199")
    keys(desk.display, "Tab")
    type_text(desk.display, "7712")
    keys(desk.display, "ctrl+f")
    type_text(desk.display, "0803")
    time.sleep(0.6)  # the filter applies after a pause in typing (not an assertion)
    keys(desk.display, "Escape")
    time.sleep(0.6)
    # The filter is empty: the oldest call, to a number without 234803, is in the table again.
    desk.to_table()
    assert desk.copied("End", "ctrl+c") == "+2347012223333"
    # The next customer's number and code, and the last outcome (its message id, Alt+O copies it), stay.
    assert desk.copied("alt+p", "ctrl+c") == "0805 555 0199"
    assert desk.copied("alt+c", "ctrl+c") == "7712"
    assert desk.copied("alt+o") == message_id
    desk.quit()


def test_the_filter_reads_a_national_number_and_narrows_by_keyboard(desk: Desk, screenshot_dir: Path) -> None:
    number = "2348035500199"
    desk.write_history([
        (number, "sent", "m-10-days", days_ago(10)),
        ("2348031234567", "sent", "m-other", days_ago(8)),
        (number, "unknown", None, days_ago(7, 0, 0, 0)),  # the first second of a day
        (number, "sent", "m-2-days", days_ago(2, 23, 59, 59)),
        (number, "unknown", None, days_ago(1, 23, 59, 59)),  # yesterday's last second
        (number, "sent", "m-today", days_ago(0, 0, 0, 0)),  # today's first
        ("2348059876543", "unknown", None, days_ago(0, 0, 0, 0)),
    ])
    desk.start()

    def shown(name: str) -> list[tuple[str, str, str]]:
        return [(row["phone"], row["outcome"], row["time"][:19]) for row in desk.export(name)]

    def local(when: datetime) -> str:
        return when.isoformat()[:19]

    keys(desk.display, "ctrl+f")
    type_text(desk.display, "08035500199")  # as the phone field takes it
    time.sleep(0.6)
    keys(desk.display, "Down")
    assert desk.copied("ctrl+c") == "+" + number
    phone = f'="{number}"'
    assert shown("number") == [(phone, "sent", local(days_ago(0, 0, 0, 0))),
                               (phone, "unknown", local(days_ago(1, 23, 59, 59))),
                               (phone, "sent", local(days_ago(2, 23, 59, 59))),
                               (phone, "unknown", local(days_ago(7, 0, 0, 0))),
                               (phone, "sent", local(days_ago(10)))]
    keys(desk.display, "alt+n")  # Needs checking
    time.sleep(0.6)
    assert shown("needs-checking") == [(phone, "unknown", local(days_ago(1, 23, 59, 59))),
                                       (phone, "unknown", local(days_ago(7, 0, 0, 0)))]
    desk.screenshot(screenshot_dir / "e2e-history-needs-checking.png")
    keys(desk.display, "alt+n", "alt+t", "Down")  # every outcome again; Dates: All dates -> Today
    time.sleep(0.6)
    assert shown("today") == [(phone, "sent", local(days_ago(0, 0, 0, 0)))]
    # A custom range: its first day one earlier than offered (a week back), its last day yesterday.
    keys(desk.display, "alt+t", "c", "alt+m", "Down")  # Custom range; From (its day): one day earlier
    first = desk.copied("ctrl+a", "ctrl+c")
    keys(desk.display, "alt+u", "Down")  # until (its day): one day earlier
    last = desk.copied("ctrl+a", "ctrl+c")
    first_day = datetime.strptime(first, "%d %b %Y").date()
    last_day = datetime.strptime(last, "%d %b %Y").date()
    today = datetime.now(LAGOS).date()
    assert first_day <= today - timedelta(days=6) and last_day <= today
    keys(desk.display, "alt+n")
    time.sleep(0.6)
    desk.screenshot(screenshot_dir / "e2e-history-date-range.png")
    expected = [(phone, "unknown", local(when)) for when in (days_ago(1, 23, 59, 59), days_ago(7, 0, 0, 0))
                if first_day <= when.date() <= last_day]
    assert shown("range") == expected, (first, last)
    if (first_day, last_day) == (today - timedelta(days=7), today - timedelta(days=1)):
        assert len(expected) == 2  # both ends of the range are in it: 00:00:00 on the first, 23:59:59 on the last
    desk.quit()


