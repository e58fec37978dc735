"""`termii-desk call` keeps the window's cooldown: real subprocesses against the simulator (exit 6, --force)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from termii_desk.simulator import TermiiSimulator
from tests.conftest import SIM_KEY
from tests.test_cli import run

PHONE, CODE = "+2348031234567", "482916"


@pytest.fixture
def env(simulator: TermiiSimulator, desk_home: Path) -> dict[str, str]:
    return {"TERMII_API_KEY": SIM_KEY, "TERMII_BASE_URL": simulator.url, "TERMII_DESK_HOME": str(desk_home),
            "DBUS_SESSION_BUS_ADDRESS": "disabled:"}


def _rows(home: Path) -> list[tuple[str, str]]:
    path = home / "data" / "history.sqlite3"
    if not path.exists():
        return []
    conn = sqlite3.connect(path)
    try:
        return [(phone, outcome) for phone, outcome in conn.execute("SELECT phone, outcome FROM attempts ORDER BY id")]
    finally:
        conn.close()


def _settings(home: Path, **values: object) -> None:
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "settings.json").write_text(json.dumps(values), encoding="utf-8")


def test_the_same_number_again_within_the_cooldown_is_refused_with_exit_6(
    simulator: TermiiSimulator, env: dict[str, str], desk_home: Path
) -> None:
    assert run("call", PHONE, CODE, env=env).returncode == 0
    # The same customer written another way is the same number.
    again = run("call", "0803 123 4567", "551177", env=env)
    assert again.returncode == 6, again.stderr
    assert again.stdout == ""
    [line] = again.stderr.strip().splitlines()
    assert line.startswith("termii-desk: not sent: +234 803 123 4567 was called ")
    assert "it was sent" in line and "60 s cooldown" in line and "--force" in line
    called_at = datetime.now(timezone.utc).astimezone().strftime("%H:")
    assert f"at {called_at}" in line  # the local time of the first call
    assert len(simulator.calls) == 1  # nothing sent
    assert _rows(desk_home) == [("2348031234567", "sent")]  # nothing recorded for the refusal


def test_json_says_cooldown_with_when_and_what(simulator: TermiiSimulator, env: dict[str, str]) -> None:
    first = json.loads(run("call", PHONE, CODE, "--json", env=env).stdout)
    result = run("call", PHONE, CODE, "--json", env=env)
    assert result.returncode == 6
    data = json.loads(result.stdout)
    assert data["outcome"] == "cooldown" and data["last_outcome"] == "sent" and data["cooldown_seconds"] == 60
    assert data["message_id"] is None and data["phone_number"] == first["phone_number"]
    last = datetime.fromisoformat(data["last_called"])
    assert last.tzinfo is not None and abs((datetime.now(timezone.utc) - last).total_seconds()) < 60
    assert "was called" in data["error"]
    assert len(simulator.calls) == 1


def test_force_calls_anyway_and_records_it(simulator: TermiiSimulator, env: dict[str, str], desk_home: Path) -> None:
    assert run("call", PHONE, CODE, env=env).returncode == 0
    forced = run("call", PHONE, "551177", "--force", env=env)
    assert forced.returncode == 0 and forced.stdout.startswith("Sent: Termii accepted the call")
    assert len(simulator.calls) == 2
    assert _rows(desk_home) == [("2348031234567", "sent")] * 2


def test_a_call_that_may_have_been_placed_counts_and_says_so(
    simulator: TermiiSimulator, env: dict[str, str], desk_home: Path
) -> None:
    simulator.set_fault("reset", on="call")
    first = run("call", PHONE, CODE, env=env)
    assert first.returncode == 5
    simulator.set_fault(None)
    again = run("call", PHONE, CODE, env=env)
    assert again.returncode == 6 and "outcome unknown" in again.stderr
    assert [outcome for _phone, outcome in _rows(desk_home)] == ["unknown"]


def test_a_refused_call_reached_no_one_and_does_not_count(simulator: TermiiSimulator, env: dict[str, str]) -> None:
    simulator.set_fault("422", on="call")
    assert run("call", PHONE, CODE, env=env).returncode == 4
    simulator.set_fault(None)
    assert run("call", PHONE, CODE, env=env).returncode == 0


def test_another_number_and_a_cooldown_of_0_are_not_refused(
    simulator: TermiiSimulator, env: dict[str, str], desk_home: Path
) -> None:
    assert run("call", PHONE, CODE, env=env).returncode == 0
    assert run("call", "+2348031234568", CODE, env=env).returncode == 0
    _settings(desk_home, cooldown_seconds=0)
    assert run("call", PHONE, CODE, env=env).returncode == 0
    assert len(simulator.calls) == 3


def test_a_shorter_cooldown_lets_the_number_be_called_once_it_has_passed(
    simulator: TermiiSimulator, env: dict[str, str], desk_home: Path
) -> None:
    import time

    _settings(desk_home, cooldown_seconds=2)
    assert run("call", PHONE, CODE, env=env).returncode == 0
    assert run("call", PHONE, CODE, env=env).returncode == 6
    time.sleep(2.2)
    assert run("call", PHONE, CODE, env=env).returncode == 0
    assert len(simulator.calls) == 2


def test_input_and_configuration_errors_come_before_the_cooldown(
    simulator: TermiiSimulator, env: dict[str, str], desk_home: Path
) -> None:
    assert run("call", PHONE, CODE, env=env).returncode == 0
    bad_code = run("call", PHONE, "0123", env=env)
    assert bad_code.returncode == 2 and "input rejected" in bad_code.stderr
    bad_url = run("call", PHONE, CODE, "--base-url", "http://api.ng.termii.com", env=env)
    assert bad_url.returncode == 3
    no_key = {k: v for k, v in env.items() if k != "TERMII_API_KEY"}
    no_key["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    missing = run("call", PHONE, CODE, env=no_key)
    assert missing.returncode == 3 and "keyring" in missing.stderr.lower()
    assert len(simulator.calls) == 1 and len(_rows(desk_home)) == 1
