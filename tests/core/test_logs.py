"""Logging: a rotating file with the key and codes redacted, tracebacks included."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from termii_desk.core.logs import redact_text, register_secret, setup_logging


def test_log_file_redacts_registered_secrets_query_keys_and_tracebacks(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "termii-desk.log"
    assert setup_logging(log_file) is None
    register_secret("sk_live_LOGCANARY42")
    register_secret("736251")
    log = logging.getLogger("termii_desk.test")
    log.warning("GET /api/get-balance?api_key=%s failed", "sk_live_LOGCANARY42")
    log.info("code %s sent", "736251")
    try:
        raise ValueError("boom with sk_live_LOGCANARY42")
    except ValueError:
        log.exception("unexpected")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text()
    assert "sk_live_LOGCANARY42" not in text
    assert "736251" not in text
    assert "api_key=[redacted]" in text
    assert "Traceback" in text and "ValueError" in text


def test_redact_text_handles_json_style_keys() -> None:
    assert "abcdef" not in redact_text('{"api_key": "abcdef", "x": 1}')


def test_unwritable_log_folder_is_reported_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    problem = setup_logging(blocker / "logs" / "termii-desk.log")
    assert problem is not None and "logging is off" in problem
    logging.getLogger("termii_desk").warning("still fine")


def _full_disk_log(tmp_path: Path) -> Path:
    """A log file on which every write fails with ENOSPC, as on a full disk."""
    log_file = tmp_path / "logs" / "termii-desk.log"
    log_file.parent.mkdir(parents=True)
    log_file.symlink_to("/dev/full")
    return log_file


def test_a_full_disk_is_said_once_never_as_a_logging_traceback(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from termii_desk.core.logs import on_problem

    assert setup_logging(_full_disk_log(tmp_path)) is None  # opening works; writing does not
    told: list[str] = []
    on_problem(told.append)
    for i in range(50):
        logging.getLogger("termii_desk").warning("a line the disk has no room for %d", i)
    assert len(told) == 1 and "can no longer be written" in told[0] and "No space left" in told[0]
    late: list[str] = []
    on_problem(late.append)  # a face that starts listening afterwards is told too
    assert late == told
    captured = capfd.readouterr()
    assert "Logging error" not in captured.err and "Traceback" not in captured.err
    assert os.stat("/dev/full").st_mode & 0o777 == 0o666  # a device behind the log is never chmodded
    setup_logging(tmp_path / "ok.log")


# Root ignores folder permissions: the command line then runs without the capabilities that let it, as a user's.
AS_A_USER = (["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]
             if hasattr(os, "geteuid") and os.geteuid() == 0 else [])


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_read_only_log_folder_and_full_disk_in_the_command_line(simulator: object, tmp_path: Path) -> None:
    """Real processes: a log folder the user cannot write, and a log on a full disk. One warning line, no
    traceback, the call placed and recorded."""
    import subprocess
    import sys

    from tests.conftest import SIM_KEY

    root = Path(__file__).resolve().parents[2]
    for case in ("read-only", "full"):
        home = tmp_path / case
        (home / "logs").mkdir(parents=True)
        if case == "full":
            (home / "logs" / "termii-desk.log").symlink_to("/dev/full")
        else:
            (home / "logs").chmod(0o555)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TERMII_")}
        env.update(TERMII_API_KEY=SIM_KEY, TERMII_BASE_URL=simulator.url,  # type: ignore[attr-defined]
                   TERMII_DESK_HOME=str(home), DBUS_SESSION_BUS_ADDRESS="disabled:", PYTHONPATH=str(root))
        result = subprocess.run([*AS_A_USER, sys.executable, "-m", "termii_desk", "call", "+2348031234567", "482916"],
                                env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, (case, result.stderr)
        assert "Logging error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
        warnings = [line for line in result.stderr.splitlines() if "log file" in line]
        assert len(warnings) == 1, (case, result.stderr)
        assert result.stdout.startswith("Sent: ")
        assert (home / "data" / "history.sqlite3").exists()


def test_the_log_rotates_keeping_the_newest_lines_and_three_older_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from termii_desk.core import logs

    monkeypatch.setattr(logs, "MAX_LOG_BYTES", 1_000)
    log_file = tmp_path / "logs" / "termii-desk.log"
    assert setup_logging(log_file) is None
    log = logging.getLogger("termii_desk.test")
    for i in range(200):
        log.info("line %03d of the log", i)
    for handler in logging.getLogger().handlers:
        handler.flush()
    names = sorted(p.name for p in log_file.parent.iterdir())
    assert names == ["termii-desk.log", "termii-desk.log.1", "termii-desk.log.2", "termii-desk.log.3"]
    files = [log_file, *(log_file.with_name(f"termii-desk.log.{n}") for n in (1, 2, 3))]
    assert all(0 < p.stat().st_size <= 1_000 for p in files)
    lines = [line for p in reversed(files) for line in p.read_text().splitlines()]
    numbers = [int(line.rsplit("line ", 1)[1].split()[0]) for line in lines]
    assert numbers == list(range(numbers[0], 200))  # oldest to newest, none missing, the newest last
    assert numbers[0] > 0  # the oldest lines were dropped with the fourth file
