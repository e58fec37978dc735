"""The command line's input: the code off the command line (``call PHONE -``), and a number that could be
in two countries. Real subprocesses: a pipe on standard input, and a pseudo-terminal for the hidden prompt."""

from __future__ import annotations

import json
import os
import select
import sys
import time
from pathlib import Path

import pytest

from termii_desk.simulator import TermiiSimulator
from tests.conftest import SIM_KEY
from tests.test_cli import _history_rows, run

CODE = "482916"


@pytest.fixture
def sim_env(simulator: TermiiSimulator, desk_home: Path) -> dict[str, str]:
    return {"TERMII_API_KEY": SIM_KEY, "TERMII_BASE_URL": simulator.url, "TERMII_DESK_HOME": str(desk_home),
            "DBUS_SESSION_BUS_ADDRESS": "disabled:"}


@pytest.mark.parametrize("how", [("-",), ("--code-stdin",), ("-", "--code-stdin")])
@pytest.mark.parametrize("typed", [CODE + "\n", CODE, f"  {CODE} \r\n"])
def test_the_code_is_read_from_standard_input(
    simulator: TermiiSimulator, sim_env: dict[str, str], desk_home: Path, how: tuple[str, ...], typed: str
) -> None:
    result = run("call", "08031234567", *how, env=sim_env, stdin=typed)
    assert result.returncode == 0, result.stderr
    assert [call.json["code"] for call in simulator.calls] == [int(CODE)]  # type: ignore[index]
    assert CODE not in result.stdout + result.stderr
    [row] = _history_rows(desk_home)
    assert row["code_masked"] == "••••16"


@pytest.mark.parametrize(
    ("args", "stdin", "words"),
    [
        (("-",), "", "Enter the code"),
        (("-",), "0123\n", "cannot start with 0"),
        (("-",), "12ab34\n", "digits only"),
        ((), None, "or - to type it at a hidden prompt"),
        (("482916", "--code-stdin"), "482916\n", "not both"),
    ],
)
def test_a_code_that_cannot_be_read_is_input_rejected_and_nothing_is_sent(
    simulator: TermiiSimulator, sim_env: dict[str, str], args: tuple[str, ...], stdin: str | None, words: str
) -> None:
    result = run("call", "08031234567", *args, env=sim_env, stdin=stdin)
    assert result.returncode == 2, result.stderr
    assert words in result.stderr and "nothing sent" in result.stderr and "Traceback" not in result.stderr
    assert simulator.calls == []


def test_binary_garbage_on_standard_input_is_refused(simulator: TermiiSimulator, sim_env: dict[str, str]) -> None:
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("TERMII_API_KEY", "TERMII_BASE_URL")} | sim_env
    result = subprocess.run([sys.executable, "-m", "termii_desk", "call", "08031234567", "-"], env=env,
                            input=b"\xff\xfe\x00\x01\n", capture_output=True, timeout=60)
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    assert simulator.calls == []


def _read_until(fd: int, wanted: bytes, seconds: float = 30) -> bytes:
    seen = b""
    deadline = time.monotonic() + seconds
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    return seen


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a pseudo-terminal test")
def test_on_a_terminal_the_code_is_asked_at_a_hidden_prompt(
    simulator: TermiiSimulator, sim_env: dict[str, str], desk_home: Path
) -> None:
    import pty

    env = {k: v for k, v in os.environ.items() if k not in ("TERMII_API_KEY", "TERMII_BASE_URL")} | sim_env
    pid, fd = pty.fork()
    if pid == 0:  # the child: the terminal is its controlling terminal, as in a shell
        os.execve(sys.executable, [sys.executable, "-m", "termii_desk", "call", "08031234567", "-"], env)
    try:
        before = _read_until(fd, b"(input hidden): ")
        assert b"Code to read out (input hidden): " in before
        os.write(fd, CODE.encode() + b"\n")
        after = _read_until(fd, b"NGN.")
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, after
    assert CODE.encode() not in before + after  # not echoed by the terminal
    assert b"Sent: Termii accepted the call to +234 803 123 4567." in after
    assert [call.json["code"] for call in simulator.calls] == [int(CODE)]  # type: ignore[index]


def test_a_number_in_two_countries_is_refused_naming_both(
    simulator: TermiiSimulator, sim_env: dict[str, str], desk_home: Path
) -> None:
    result = run("call", "81234567890", CODE, "--region", "ID", "--json", env=sim_env)
    assert result.returncode == 2, result.stderr
    assert "input rejected, nothing sent" in result.stderr
    assert "+62 812-3456-7890 (Indonesia)" in result.stderr and "+81 234-56-7890 (Japan)" in result.stderr
    data = json.loads(result.stdout)
    assert data["outcome"] == "rejected" and [c["phone_number"] for c in data["choices"]] == [
        "6281234567890", "81234567890"]
    assert simulator.calls == []
    assert not (desk_home / "data" / "history.sqlite3").exists() or _history_rows(desk_home) == []
    chosen = run("call", "+62 812 3456 7890", CODE, "--region", "ID", env=sim_env)
    assert chosen.returncode == 0, chosen.stderr
    assert [call.json["phone_number"] for call in simulator.calls] == ["6281234567890"]  # type: ignore[index]
