"""History under stress: killed mid-write, two processes at once, a full disk."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from termii_desk.core.desk import Desk
from termii_desk.core.errors import Outcome
from termii_desk.core.history import HistoryError, HistoryStore
from termii_desk.core.keystore import KeyStore
from termii_desk.core.settings import Settings
from termii_desk.core.validation import validate_code, validate_phone
from termii_desk.simulator import TermiiSimulator
from tests.conftest import SIM_KEY

WRITER = """
import sys
from pathlib import Path
from termii_desk.core.errors import Outcome
from termii_desk.core.history import HistoryStore
from termii_desk.core.validation import validate_code
store = HistoryStore(Path(sys.argv[1]))
code = validate_code("482916")
for i in range(int(sys.argv[2])):
    row = store.start_attempt(sys.argv[3], code, "host")
    store.complete_attempt(row, outcome=Outcome.SENT, duration_ms=i)
    print(row, flush=True)
"""


def _writer(path: Path, rows: int, phone: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(rows), phone],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_kill_9_while_writing_loses_no_committed_row(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    proc = _writer(path, 1000, "2348031234567")
    assert proc.stdout is not None
    committed = [int(proc.stdout.readline()) for _ in range(200)]
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    store = HistoryStore(path)
    assert store.notice is None
    ids = {row.id for row in store.page(2000)}
    assert set(committed) <= ids
    assert store.count() >= 200


def test_two_instances_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    HistoryStore(path).close()  # schema created once, as the first window would
    first, second = _writer(path, 300, "2348031234567"), _writer(path, 300, "233244123456")
    out1, err1 = first.communicate(timeout=120)
    out2, err2 = second.communicate(timeout=120)
    assert first.returncode == 0 and second.returncode == 0, err1 + err2
    ids = [int(x) for x in out1.split()] + [int(x) for x in out2.split()]
    assert len(ids) == len(set(ids)) == 600
    store = HistoryStore(path)
    assert store.count() == 600
    assert store.count("233244123456") == 300


def test_full_disk_is_told_and_calls_still_go_out(simulator: TermiiSimulator, tmp_path: Path) -> None:
    history = HistoryStore(tmp_path / "history.sqlite3")
    page_count = history._conn.execute("PRAGMA page_count").fetchone()[0]
    history._conn.execute(f"PRAGMA max_page_count = {page_count}")  # SQLite's own "disk full" path
    with pytest.raises(HistoryError, match="disk is full"):
        for _ in range(500):
            history.start_attempt("2348031234567", validate_code("482916"), "host")
    settings = Settings().updated(base_url=simulator.url)
    desk = Desk(settings, KeyStore(environ={"TERMII_API_KEY": SIM_KEY}), history)
    attempt = desk.place_call(validate_phone("+2348031234567"), validate_code("482916"))
    assert attempt.outcome == Outcome.SENT
    assert attempt.history_problem is not None and "disk is full" in attempt.history_problem
    assert len(simulator.calls) == 1
