"""Private files: history (with -wal and -shm), logs, settings and the team outbox are 0600 in 0700 folders,
whatever the umask; what an older version left open to others is closed on first use."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from termii_desk.core import logs
from termii_desk.core.bootstrap import build_desk
from termii_desk.core.errors import Outcome
from termii_desk.core.history import HistoryStore
from termii_desk.core.paths import AppPaths
from termii_desk.core.settings import Settings, SettingsStore
from termii_desk.core.validation import validate_code
from termii_desk.simulator import TermiiSimulator
from tests.conftest import SIM_KEY

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def everything_under(home: Path) -> tuple[dict[str, int], dict[str, int]]:
    """(files, folders) under ``home`` (itself included) with their modes, by path relative to ``home``."""
    files, folders = {}, {".": mode(home)}
    for path in home.rglob("*"):
        (folders if path.is_dir() else files)[str(path.relative_to(home))] = mode(path)
    return files, folders


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0)  # anything created with the default mode would be world-writable
    try:
        yield
    finally:
        os.umask(previous)


def test_everything_the_desk_writes_is_private_under_a_permissive_umask(
    tmp_path: Path, permissive_umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    paths = AppPaths.from_environment({"TERMII_DESK_HOME": str(home)})
    monkeypatch.setattr(logs, "MAX_LOG_BYTES", 2_000)  # rotate a few times
    assert logs.setup_logging(paths.log_file) is None
    for i in range(200):
        logging.getLogger("termii_desk.test").info("line %d of the log, long enough to rotate soon", i)
    SettingsStore(paths.settings_file).save(Settings())
    history = HistoryStore(paths.history_file())
    row_id = history.start_attempt("2348031234567", validate_code("482916"), "api.ng.termii.com")
    history.complete_attempt(row_id, outcome=Outcome.SENT, duration_ms=5)
    demo = HistoryStore(paths.history_file(demo=True))
    demo.count()
    from termii_desk.core.team.outbox import Outbox

    outbox = Outbox(paths.data_dir / "team-outbox.sqlite3")
    outbox.add("u-1", "insert", {"phone": "2348031234567"})

    files, folders = everything_under(home)
    assert {"data/history.sqlite3", "data/history.sqlite3-wal", "data/history.sqlite3-shm",
            "data/demo-history.sqlite3", "config/settings.json", "logs/termii-desk.log",
            "logs/termii-desk.log.1", "data/team-outbox.sqlite3-wal"} <= files.keys()
    assert {name: m for name, m in files.items() if m != 0o600} == {}
    assert {name: m for name, m in folders.items() if m != 0o700} == {}
    history.close()
    demo.close()
    outbox.close()
    logs.setup_logging(tmp_path / "other.log")  # the next test's log, not this folder's


def test_files_and_folders_an_older_version_left_open_are_closed_on_first_use(
    tmp_path: Path, permissive_umask: None
) -> None:
    home = tmp_path / "home"
    paths = AppPaths.from_environment({"TERMII_DESK_HOME": str(home)})
    old = HistoryStore(paths.history_file())
    old.start_attempt("2348031234567", validate_code("482916"), "api.ng.termii.com")
    SettingsStore(paths.settings_file).save(Settings())
    for path in home.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # as the previous version made them
    home.chmod(0o755)

    services = build_desk(paths, environ={"TERMII_API_KEY": SIM_KEY})
    services.history.count()
    files, folders = everything_under(home)
    assert {name: m for name, m in files.items() if m != 0o600} == {}
    assert {name: m for name, m in folders.items() if m != 0o700 and name != "."} == {}
    assert mode(home) == 0o755  # TERMII_DESK_HOME itself is the user's folder, not the desk's
    services.close()
    old.close()


def test_a_folder_that_is_not_the_desks_is_never_changed(tmp_path: Path, permissive_umask: None) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    store = HistoryStore(shared / "history.sqlite3")
    store.count()
    assert mode(shared) == 0o777 and mode(shared / "history.sqlite3") == 0o600
    store.close()


def test_command_line_call_writes_only_private_files_under_umask_0(
    simulator: TermiiSimulator, desk_home: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TERMII_")}
    env.update(TERMII_API_KEY=SIM_KEY, TERMII_BASE_URL=simulator.url, TERMII_DESK_HOME=str(desk_home),
               DBUS_SESSION_BUS_ADDRESS="disabled:", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "termii_desk", "call", "+2348031234567", "482916"], env=env,
                            capture_output=True, text=True, timeout=60, preexec_fn=lambda: os.umask(0))
    assert result.returncode == 0, result.stderr
    files, folders = everything_under(desk_home)
    assert "data/history.sqlite3" in files and "logs/termii-desk.log" in files
    assert {name: m for name, m in files.items() if m != 0o600} == {}
    assert {name: m for name, m in folders.items() if m != 0o700} == {}


def test_an_export_is_private_under_a_permissive_umask(tmp_path: Path, permissive_umask: None) -> None:
    from termii_desk.core.history import write_export

    store = HistoryStore(tmp_path / "history.sqlite3")
    store.start_attempt("2348031234567", validate_code("482916"), "api.ng.termii.com")
    target = tmp_path / "export.csv"
    assert write_export(store, target) == 1
    assert mode(target) == 0o600
    store.close()
