"""The command line end to end: real subprocesses against the simulator, checking exit codes, output, history."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from termii_desk import __version__
from termii_desk.simulator import TermiiSimulator
from tests.conftest import SIM_KEY


def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("TERMII_API_KEY", "TERMII_BASE_URL")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "termii_desk", *args], env=full_env, input=stdin,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def sim_env(simulator: TermiiSimulator, desk_home: Path) -> dict[str, str]:
    return {"TERMII_API_KEY": SIM_KEY, "TERMII_BASE_URL": simulator.url, "TERMII_DESK_HOME": str(desk_home),
            "DBUS_SESSION_BUS_ADDRESS": "disabled:"}


def _history_rows(home: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(home / "data" / "history.sqlite3")
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT * FROM attempts ORDER BY id").fetchall()
    conn.close()
    return rows


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"termii-desk {__version__}"


def test_call_sends_prints_and_records(simulator: TermiiSimulator, sim_env: dict[str, str], desk_home: Path) -> None:
    result = run("call", "+234 803 123 4567", "482916", env=sim_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Sent: Termii accepted the call to +234 803 123 4567. Message id ")
    assert "Balance 4,997.50 NGN." in result.stdout  # with its currency, which the call's answer does not carry
    assert len(simulator.calls) == 1 and simulator.calls[0].json["code"] == 482916  # type: ignore[index]
    [row] = _history_rows(desk_home)
    assert (row["outcome"], row["phone"], row["code_masked"]) == ("sent", "2348031234567", "••••16")
    assert row["currency"] == "NGN"  # so the window shows it too
    balance_checks = len(simulator.balance_requests)
    second = run("call", "+234 803 123 4568", "482917", env=sim_env)
    assert "NGN." in second.stdout and len(simulator.balance_requests) == balance_checks  # history knew it


def test_call_json(simulator: TermiiSimulator, sim_env: dict[str, str]) -> None:
    result = run("call", "08031234567", "482916", "--json", env=sim_env)
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["outcome"] == "sent" and data["phone_number"] == "2348031234567"
    assert len(data["message_id"]) == 25 and data["balance"] == "4997.5"
    assert data["http_status"] == 200 and data["error"] is None


@pytest.mark.parametrize(
    ("phone", "code", "words"),
    [("+234 803", "482916", "too short"), ("+2348031234567", "0123", "0123 would arrive as 123"),
     ("+2348031234567", "１２３４", "another script")],
)
def test_input_rejected_exit_2_nothing_sent(
    simulator: TermiiSimulator, sim_env: dict[str, str], desk_home: Path, phone: str, code: str, words: str
) -> None:
    result = run("call", phone, code, env=sim_env)
    assert result.returncode == 2
    assert words in result.stderr and "nothing sent" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert simulator.calls == []
    assert not (desk_home / "data" / "history.sqlite3").exists() or _history_rows(desk_home) == []


@pytest.mark.parametrize(
    ("fault", "exit_code", "outcome", "words"),
    [("401", 4, "rejected", "rejected the API key"), ("422-list", 4, "rejected", "phone_number is invalid"),
     ("502-html", 5, "unknown", "502 Bad Gateway"), ("503-empty", 5, "failed", "HTTP 503"),
     ("reset", 5, "unknown", "may have been placed")],
)
def test_termii_failures_exit_codes_and_history(
    simulator: TermiiSimulator, sim_env: dict[str, str], desk_home: Path, fault: str, exit_code: int,
    outcome: str, words: str,
) -> None:
    simulator.set_fault(fault)
    result = run("call", "+2348031234567", "482916", "--json", env=sim_env)
    assert result.returncode == exit_code
    assert words in result.stderr and "Traceback" not in result.stderr and "<html" not in result.stderr
    data = json.loads(result.stdout)
    assert data["outcome"] == outcome and words in data["error"]
    assert len(simulator.calls) == 1
    [row] = _history_rows(desk_home)
    assert row["outcome"] == outcome and row["duration_ms"] is not None


def test_no_key_exit_3(simulator: TermiiSimulator, desk_home: Path) -> None:
    env = {"TERMII_BASE_URL": simulator.url, "TERMII_DESK_HOME": str(desk_home),
           "DBUS_SESSION_BUS_ADDRESS": "disabled:", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    result = run("call", "+2348031234567", "482916", env=env)
    assert result.returncode == 3
    assert "keyring" in result.stderr.lower() and "TERMII_API_KEY" in result.stderr
    assert simulator.calls == []


def test_bad_base_url_exit_3(desk_home: Path) -> None:
    result = run("balance", "--base-url", "http://api.ng.termii.com", env={"TERMII_API_KEY": SIM_KEY})
    assert result.returncode == 3 and "https://" in result.stderr


def test_network_failure_exit_5(desk_home: Path) -> None:
    with TermiiSimulator(api_key=SIM_KEY) as sim:
        url = sim.url
    result = run("balance", "--base-url", url, env={"TERMII_API_KEY": SIM_KEY})
    assert result.returncode == 5 and "refused" in result.stderr and SIM_KEY not in result.stderr


def test_balance_human_and_json(simulator: TermiiSimulator, sim_env: dict[str, str]) -> None:
    human = run("balance", env=sim_env)
    assert human.returncode == 0 and human.stdout.strip() == "Balance: 5,000.00 NGN (Termii Desk Demo)"
    data = json.loads(run("--json", "balance", env=sim_env).stdout)
    assert data == {"balance": "5000.0", "currency": "NGN", "user": "Termii Desk Demo", "calls_left": None,
                    "cost_per_call": None}
    assert "content-type" not in {k.lower() for k in simulator.balance_requests[0].headers}


def test_history_lists_newest_first_json_and_csv(simulator: TermiiSimulator, sim_env: dict[str, str]) -> None:
    run("call", "+2348031234567", "482916", env=sim_env)
    run("call", "+233244123456", "5555", env=sim_env)
    rows = json.loads(run("history", "--json", env=sim_env).stdout)
    assert [r["phone_number"] for r in rows] == ["233244123456", "2348031234567"]
    assert rows[0]["code"] == "••55" and rows[1]["code"] == "••••16"
    assert {"time", "outcome", "message_id", "balance", "http_status", "error"} <= rows[0].keys()
    csv_text = run("history", "--csv", "--limit", "1", env=sim_env).stdout
    assert csv_text.count("\n") == 2 and "233244123456" in csv_text and "482916" not in csv_text
    human = run("history", env=sim_env).stdout
    assert "+233244123456" in human.splitlines()[0] and " Sent " in human.splitlines()[0]


def test_history_lines_say_each_outcome_in_the_windows_words(sim_env: dict[str, str], desk_home: Path) -> None:
    from datetime import datetime, timezone

    from termii_desk.core.history import HistoryRow, HistoryStore

    when = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    stored = ["sent", "rejected", "failed", "unknown", "in_flight"]  # the last: an attempt with no answer yet
    store = HistoryStore(desk_home / "data" / "history.sqlite3")
    store.import_rows([HistoryRow(0, when, "a", "1", "h", f"23480312345{n:02d}", "••", outcome, 200, None, None,
                                  None, None, 1, None) for n, outcome in enumerate(stored)])
    store.close()
    lines = run("history", env=sim_env).stdout.splitlines()
    words = {line.split("+", 1)[1].split()[0]: line.split("+", 1)[1].split()[2] for line in lines}
    assert words == {"2348031234500": "Sent", "2348031234501": "Refused", "2348031234502": "Failed",
                     "2348031234503": "Unknown", "2348031234504": "Unknown"}
    assert [r["outcome"] for r in json.loads(run("history", "--json", env=sim_env).stdout)][::-1][:4] == stored[:4]


def test_unknown_fault_for_simulator_command() -> None:
    result = run("simulator", "--fault", "nonsense")
    assert result.returncode == 2 and "unknown fault" in result.stderr


def test_simulator_command_serves(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "termii_desk", "simulator", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in first
        result = run("balance", "--base-url", f"http://127.0.0.1:{port}", env={"TERMII_API_KEY": SIM_KEY})
        assert result.returncode == 0 and "NGN" in result.stdout
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


@pytest.mark.keyring
def test_key_set_status_clear_with_a_real_secret_service(
    secret_service: str, simulator: TermiiSimulator, desk_home: Path
) -> None:
    env = {"DBUS_SESSION_BUS_ADDRESS": secret_service, "TERMII_BASE_URL": simulator.url,
           "XDG_CURRENT_DESKTOP": "GNOME"}
    stored = run("key", "set", env=env, stdin=SIM_KEY + "\n")
    assert stored.returncode == 0, stored.stderr
    assert SIM_KEY not in stored.stdout and SIM_KEY[-4:] in stored.stdout
    status = run("key", "status", env=env)
    assert status.returncode == 0 and SIM_KEY not in status.stdout
    assert "stored in GNOME Keyring (your login keyring)" in status.stdout  # as the desktop calls it
    assert run("call", "+2348031234567", "482916", env=env).returncode == 0  # the stored key is used
    assert run("key", "clear", env=env).returncode == 0
    assert "No API key is stored" in run("key", "status", env=env).stdout
    for path in desk_home.rglob("*"):
        if path.is_file():
            assert SIM_KEY.encode() not in path.read_bytes(), path


def test_key_status_without_keyring_exit_3() -> None:
    result = run("key", "status", env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert result.returncode == 3 and "No system keyring" in result.stderr


@pytest.mark.parametrize("home_kind", ["a file", "a missing parent"])
def test_unusable_home_folder_still_sends_and_says_why(
    simulator: TermiiSimulator, tmp_path: Path, home_kind: str
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    home = blocker if home_kind == "a file" else blocker / "below" / "home"
    env = {"TERMII_API_KEY": SIM_KEY, "TERMII_BASE_URL": simulator.url, "TERMII_DESK_HOME": str(home)}
    result = run("call", "+2348031234567", "482916", env=env)
    assert result.returncode == 0 and result.stdout.startswith("Sent: Termii accepted the call")
    assert "logging is off" in result.stderr and "kept in memory only" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(simulator.calls) == 1


def test_garbage_environment_and_settings_are_ignored_with_a_word(simulator: TermiiSimulator, desk_home: Path) -> None:
    (desk_home / "config").mkdir(parents=True)
    (desk_home / "config" / "settings.json").write_text('{"read_timeout": "soon", "base_url": 7}')
    env = {"TERMII_API_KEY": SIM_KEY, "TERMII_BASE_URL": "garbage://x", "TERMII_DESK_HOME": str(desk_home)}
    result = run("balance", "--base-url", simulator.url, env=env)
    assert result.returncode == 0
    # --base-url replaces both refused base URLs for this run, so neither stops it; other garbage falls back.
    assert "Ignored the setting read_timeout" in result.stderr and "cannot be used" not in result.stderr
    assert len(simulator.balance_requests) == 1


def test_call_json_on_a_configuration_error_has_every_field(desk_home: Path) -> None:
    result = run("call", "+2348031234567", "482916", "--json", "--base-url", "http://api.ng.termii.com",
                 env={"TERMII_API_KEY": SIM_KEY})
    assert result.returncode == 3
    data = json.loads(result.stdout)
    assert {"outcome", "phone_number", "message_id", "balance", "http_status", "error"} <= data.keys()
    assert "https://" in data["error"] and data["outcome"] == "failed"
    no_key = run("call", "+2348031234567", "482916", "--json",
                 env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert no_key.returncode == 3
    data = json.loads(no_key.stdout)
    assert data["phone_number"] == "2348031234567" and "keyring" in data["error"].lower()


def test_simulator_refuses_to_listen_beyond_this_computer() -> None:
    result = run("simulator", "--host", "0.0.0.0")
    assert result.returncode == 2 and "this computer only" in result.stderr


@pytest.mark.parametrize("args", [["--demo"], []], ids=["demo", "no-arguments"])
def test_window_without_a_display_says_so(args: list[str]) -> None:
    # Without arguments the window opens without building the parser: the same check must still run.
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-m", "termii_desk", *args], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 3 and "no display" in result.stderr and "Traceback" not in result.stderr


def test_history_shows_rows_no_version_would_write_cleanly(sim_env: dict[str, str], desk_home: Path) -> None:
    from termii_desk.core.history import HistoryStore
    from tests.hostile_rows import insert_hostile_rows

    path = desk_home / "data" / "history.sqlite3"
    HistoryStore(path).close()
    (desk_home / "config").mkdir(parents=True)
    (desk_home / "config" / "settings.json").write_text('{"history_retention_days": 0}')  # keep year-1 rows
    added = insert_hostile_rows(path)
    human = run("history", "--limit", "100", env=sim_env)
    assert human.returncode == 0, human.stderr
    lines = human.stdout.splitlines()
    assert len(lines) == added and len(human.stdout) < added * 800
    assert all(ch.isprintable() for line in lines for ch in line)
    assert any(line.endswith("1234567890123456789.123456789") for line in lines)
    assert any("not a time" in line for line in lines)
    as_json = run("--json", "history", "--limit", "100", env=sim_env)
    assert as_json.returncode == 0 and len(json.loads(as_json.stdout)) == added
    as_csv = run("history", "--csv", "--limit", "100", env=sim_env)
    assert as_csv.returncode == 0 and not any(ch in as_csv.stdout for ch in "\x1b\x07\x00\x08")


def test_call_with_a_history_damaged_inside_moves_it_aside_once_and_records(
    simulator: TermiiSimulator, sim_env: dict[str, str], desk_home: Path
) -> None:
    from tests.core.test_history_damage import filled
    from tests.hostile_rows import damage_pages

    path = desk_home / "data" / "history.sqlite3"
    path.parent.mkdir(parents=True)
    damage_pages(filled(path))
    first = run("call", "+234 803 123 4567", "482916", env=sim_env)
    assert first.returncode == 0, first.stderr
    assert "warning: The history file was damaged; it was moved aside to history.sqlite3.damaged-" in first.stderr
    assert "Traceback" not in first.stderr
    [row] = _history_rows(desk_home)
    assert row["outcome"] == "sent"
    second = run("call", "+234 803 123 9999", "482916", env=sim_env)
    assert second.returncode == 0 and "damaged" not in second.stderr
    assert len(_history_rows(desk_home)) == 2
    assert len([p for p in path.parent.iterdir() if ".damaged-" in p.name and p.name[-1].isdigit()]) == 1


def test_balance_estimates_calls_left_after_three_drops(simulator: TermiiSimulator, sim_env: dict[str, str]) -> None:
    for n in range(3):
        assert run("call", f"+23480312345{n:02d}", "482916", env=sim_env).returncode == 0
    data = json.loads(run("balance", "--json", env=sim_env).stdout)
    assert data["calls_left"] is None and data["cost_per_call"] is None  # two drops so far: not enough
    assert run("call", "+2348031234599", "482916", env=sim_env).returncode == 0
    data = json.loads(run("balance", "--json", env=sim_env).stdout)
    assert data["cost_per_call"] == "2.5" and data["calls_left"] == 1996  # 4,990.00 / 2.50
    human = run("balance", env=sim_env).stdout
    assert "≈ 1,996 calls left" in human


def test_history_csv_is_utf8_with_a_bom_and_a_profile_column(simulator: TermiiSimulator, sim_env: dict[str, str]
                                                            ) -> None:
    assert run("call", "+2348031234567", "482916", env=sim_env).returncode == 0
    raw = subprocess.run([sys.executable, "-m", "termii_desk", "history", "--csv"], capture_output=True,
                         env={**{k: v for k, v in os.environ.items() if not k.startswith("TERMII_")}, **sim_env,
                              "LC_ALL": "C", "PYTHONIOENCODING": "ascii"}, timeout=60).stdout
    assert raw.startswith(b"\xef\xbb\xbftime,profile,phone,") and b"\r\n" in raw
    text = raw.decode("utf-8")
    assert '"=""2348031234567"""' in text and "\u2022\u2022\u2022\u202216" in text and "482916" not in text
    assert SIM_KEY not in text


def test_the_command_line_purges_old_history_only_once_the_window_has_asked(
    simulator: TermiiSimulator, sim_env: dict[str, str], desk_home: Path
) -> None:
    from datetime import datetime, timedelta, timezone

    from termii_desk.core.history import HistoryRow, HistoryStore
    from termii_desk.core.profiles import ProfileStore

    old = (datetime.now(timezone.utc) - timedelta(days=40)).isoformat(timespec="milliseconds")
    store = HistoryStore(desk_home / "data" / "history.sqlite3")
    store.import_rows([HistoryRow(0, old, "a", "1", "h", "2348031234567", "••", "sent", 200, None, None, None, None,
                                  1, None)])
    store.close()
    profiles = ProfileStore(desk_home / "config" / "settings.json").load()
    profiles.save_settings("default", profiles.settings_for(profiles.default).updated(history_retention_days=30))
    assert run("history", "--json", env=sim_env).returncode == 0
    assert len(json.loads(run("history", "--json", env=sim_env).stdout)) == 1  # not asked yet: nothing deleted
    profiles.mark_retention_asked()
    assert json.loads(run("history", "--json", env=sim_env).stdout) == []  # asked: older than 30 days goes


def test_history_csv_exports_every_attempt_and_a_limit_below_one_is_rejected(sim_env: dict[str, str],
                                                                             desk_home: Path) -> None:
    from datetime import datetime, timezone

    from termii_desk.core.history import HistoryRow, HistoryStore

    when = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    store = HistoryStore(desk_home / "data" / "history.sqlite3")
    store.import_rows([HistoryRow(0, when, "a", "1", "h", f"23480312345{n:02d}", "••", "sent", 200, None, None,
                                  None, None, 1, None) for n in range(25)])
    store.close()
    assert len(json.loads(run("history", "--json", env=sim_env).stdout)) == 20  # a screenful by default
    exported = run("history", "--csv", env=sim_env)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.count("\n") == 26  # the header and all 25: an export for an audit is never cut short
    assert run("history", "--csv", "--limit", "3", env=sim_env).stdout.count("\n") == 4
    for limit in ("0", "-1"):
        refused = run("history", "--limit", limit, env=sim_env)
        assert refused.returncode == 2 and refused.stdout == ""
        assert refused.stderr.strip() == "termii-desk: input rejected: --limit takes a number of attempts, 1 or more."


@pytest.mark.parametrize(("core", "cli"), [
    ("No Termii API key is set: add it in Settings (or `termii-desk key set`).",
     "No Termii API key is set: store it with `termii-desk key set`."),
    ("Could not find x.invalid: check the base URL in Settings and the network connection.",
     "Could not find x.invalid: check the base URL (--base-url, TERMII_BASE_URL, or `termii-desk profile add`) and "
     "the network connection."),
    ("The CA bundle file 'x' could not be read as certificates; fix or clear it in Settings.",
     "The CA bundle file 'x' could not be read as certificates; fix or clear it in the settings file."),
])
def test_the_command_line_never_sends_the_agent_to_settings(core: str, cli: str) -> None:
    from termii_desk.cli import for_the_command_line

    assert for_the_command_line(core) == cli and "Settings" not in for_the_command_line(core)


def test_no_key_on_the_command_line_names_the_command(sim_env: dict[str, str]) -> None:
    env = {k: v for k, v in sim_env.items() if k != "TERMII_API_KEY"}
    result = run("balance", env=env)
    assert result.returncode != 0 and "Settings" not in result.stderr and result.stderr.startswith("termii-desk: ")


CRASH = """
import ctypes, sys
from termii_desk import cli
cli.report_crashes()
def where_it_crashed():
    ctypes.string_at(0)
where_it_crashed()
"""


@pytest.mark.skipif(sys.platform == "win32", reason="Windows names the fault differently")
def test_a_crash_writes_where_it_happened_to_standard_error() -> None:
    """A native crash (as a fault in Qt would be) ends with each thread's Python stack on standard error."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONFAULTHANDLER"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    done = subprocess.run([sys.executable, "-c", CRASH], env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode != 0
    assert "Fatal Python error: Segmentation fault" in done.stderr
    assert "in where_it_crashed" in done.stderr


def _crash_env(home: Path) -> dict[str, str]:
    """A start's environment, without a fault handler the test run passes on, with its home in ``home``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONFAULTHANDLER"}
    env.update(PYTHONPATH=str(Path(__file__).resolve().parents[1]), TERMII_DESK_HOME=str(home))
    return env


WINDOWED_CRASH = """
import ctypes, io, sys
if sys.argv[2] == "mac-bundle":  # its standard error is the null device
    sys.frozen, sys.platform = True, "darwin"
else:  # no console, or one without a descriptor
    sys.stderr = None if sys.argv[2] == "none" else io.StringIO()
from termii_desk import cli
cli.report_crashes()
if sys.argv[1] == "crash":
    def where_it_crashed():
        ctypes.string_at(0)
    where_it_crashed()
"""


@pytest.mark.skipif(sys.platform == "win32", reason="Windows names the fault differently")
@pytest.mark.parametrize("stderr", ["none", "no-descriptor", "mac-bundle"])
@pytest.mark.parametrize("crash", [True, False], ids=["crash", "no-crash"])
def test_a_windowed_start_writes_a_crash_to_the_crash_file_in_the_log_folder(tmp_path: Path, crash: bool,
                                                                              stderr: str) -> None:
    """No standard error, one without a descriptor, or macOS' app bundle (windowed bundles): the stacks go to a
    private file beside the log."""
    from termii_desk.core.paths import AppPaths

    env = _crash_env(tmp_path / "home")
    done = subprocess.run([sys.executable, "-c", WINDOWED_CRASH, "crash" if crash else "fine", stderr], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    crash_file = AppPaths.from_environment({"TERMII_DESK_HOME": str(tmp_path / "home")}).crash_file
    text = crash_file.read_text(encoding="utf-8")
    assert (crash_file.stat().st_mode & 0o777) == 0o600
    if crash:
        assert done.returncode != 0
        assert "Fatal Python error: Segmentation fault" in text and "in where_it_crashed" in text
    else:
        assert done.returncode == 0 and text == ""


AFTER_A_CRASH = """
import ctypes, io, sys
if sys.argv[1] == "windowed":
    sys.stderr = None
from termii_desk import cli
cli.report_crashes()
print("first", cli.take_previous_crash())
print("again", cli.take_previous_crash())
if sys.argv[2] == "crash":
    def crashed_this_time():
        ctypes.string_at(0)
    crashed_this_time()
"""


@pytest.mark.skipif(sys.platform == "win32", reason="Windows names the fault differently")
def test_the_start_after_a_windowed_crash_copies_the_crash_aside_and_says_so_once(tmp_path: Path) -> None:
    """The desk that opens the window after a crash tells the agent where the crash is saved; the crash file is
    emptied, so the next start says nothing, and this desk's own crash goes to it afresh."""
    from termii_desk.core.paths import AppPaths

    paths = AppPaths.from_environment({"TERMII_DESK_HOME": str(tmp_path / "home")})
    env = _crash_env(tmp_path / "home")

    def start(kind: str, then: str) -> dict[str, str]:
        done = subprocess.run([sys.executable, "-c", AFTER_A_CRASH, kind, then], env=env, capture_output=True,
                              text=True, timeout=60, check=False)
        assert (done.returncode != 0) == (then == "crash"), done.stderr
        return dict(line.split(" ", 1) for line in done.stdout.splitlines())

    assert start("windowed", "crash") == {"first": "None", "again": "None"}  # nothing before it
    earlier = paths.crash_file.read_text(encoding="utf-8")
    assert "in crashed_this_time" in earlier
    said = start("windowed", "crash")
    assert said["again"] == "None"
    assert said["first"].startswith("Termii Desk closed unexpectedly last time.")
    assert str(paths.previous_crash_file) in said["first"]
    assert paths.previous_crash_file.read_text(encoding="utf-8") == earlier
    assert "in crashed_this_time" in paths.crash_file.read_text(encoding="utf-8")  # its own, in the fresh file
    assert (paths.crash_file.stat().st_mode & 0o777) == 0o600
    # A start with standard error prints its crashes there: it neither says nor copies anything.
    assert start("console", "fine") == {"first": "None", "again": "None"}
    assert "in crashed_this_time" in paths.crash_file.read_text(encoding="utf-8")
