"""The fault matrix through the command line: exit code, one sentence, the history row, requests received."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import SIM_KEY
from tests.fault_matrix import MATRIX, TIMEOUT, Fault, serving
from tests.test_cli import run


def _env(url: str, home: Path) -> dict[str, str]:
    return {"TERMII_API_KEY": SIM_KEY, "TERMII_BASE_URL": url, "TERMII_DESK_HOME": str(home)}


def _clean(text: str) -> None:
    assert "Traceback" not in text and "<html" not in text.lower() and "None" not in text
    assert SIM_KEY not in text


@pytest.mark.parametrize("fault", MATRIX, ids=str)
def test_call(fault: Fault, desk_home: Path, self_signed: tuple[Path, Path]) -> None:
    with serving(fault, SIM_KEY, self_signed) as (url, sim):
        result = run("call", "+2348031234567", "482916", "--json", "--timeout", str(TIMEOUT),
                     env=_env(url, desk_home))
        assert len(sim.calls) == fault.received
    assert result.returncode == fault.call_exit, result.stderr
    data = json.loads(result.stdout)
    assert data["outcome"] == fault.call
    if fault.call == "sent":
        assert len(data["message_id"]) == 25 and data["error"] is None and result.stderr == ""
    else:
        [line] = result.stderr.strip().splitlines()
        assert fault.call_says in line
        _clean(line)
        assert ("may have been placed" in line) == (fault.call == "unknown")
    conn = sqlite3.connect(desk_home / "data" / "history.sqlite3")
    [(outcome, duration)] = conn.execute("SELECT outcome, duration_ms FROM attempts").fetchall()
    conn.close()
    assert outcome == fault.call and duration is not None  # completed, never left half-written


@pytest.mark.parametrize("fault", MATRIX, ids=str)
def test_balance(fault: Fault, desk_home: Path, self_signed: tuple[Path, Path]) -> None:
    with serving(fault, SIM_KEY, self_signed) as (url, sim):
        result = run("balance", "--timeout", str(TIMEOUT), env=_env(url, desk_home))
        assert len(sim.balance_requests) == min(fault.received, 1)
        assert sim.calls == []
    assert result.returncode == fault.balance_exit, result.stderr
    shown = result.stdout if fault.balance_exit == 0 else result.stderr
    assert fault.balance_says in shown
    assert len(shown.strip().splitlines()) == 1
    _clean(shown)
    assert "may have been placed" not in shown
