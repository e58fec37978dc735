"""Damage inside a real history file, and SQLite errors sorted by their result code, not their text."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

from termii_desk.core.errors import Outcome
from termii_desk.core.history import HistoryError, HistoryStore, UnexpectedHistoryError
from termii_desk.core.validation import validate_code
from tests.hostile_rows import damage_pages

CODE = validate_code("482916")


def _add(store: HistoryStore, i: int = 0) -> int:
    row_id = store.start_attempt(f"23480{i:08d}", CODE, "api.ng.termii.com")
    store.complete_attempt(row_id, outcome=Outcome.SENT, duration_ms=5, termii_message="Successfully Sent " * 5)
    return row_id


def filled(path: Path, rows: int = 3000) -> Path:
    """A real history of ``rows`` attempts, checkpointed so that every page is in the main file."""
    store = HistoryStore(path)
    store.import_rows([store.get(_add(store))] * (rows - 1))  # type: ignore[list-item]
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def _aside(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if ".damaged-" in p.name and not p.name.endswith(("-wal", "-shm")))


def test_damage_past_the_header_is_found_at_open_moved_aside_once_and_history_goes_on(tmp_path: Path) -> None:
    path = filled(tmp_path / "history.sqlite3")
    assert damage_pages(path) > 10
    damaged = path.read_bytes()
    assert damaged[:16] == b"SQLite format 3\x00"  # the header is intact: only quick_check can tell

    store = HistoryStore(path)
    assert store.notice is not None and "moved aside" in store.notice and "new history started" in store.notice
    [moved] = _aside(tmp_path)
    assert moved.read_bytes() == damaged and moved.name in store.notice
    assert store.count() == 0
    _add(store)
    assert store.count() == 1
    store.close()

    again = HistoryStore(path)  # the new file is sound: nothing moved a second time
    assert again.notice is None and again.count() == 1 and len(_aside(tmp_path)) == 1
    again.close()


def test_damage_found_mid_session_moves_the_file_once_and_the_open_attempt_is_still_completed(
    tmp_path: Path,
) -> None:
    path = filled(tmp_path / "history.sqlite3")
    store = HistoryStore(path)
    assert store.notice is None
    told: list[str] = []
    store.on_notice = told.append
    waiting = store.start_attempt("2348031234567", CODE, "api.ng.termii.com")  # its call is on its way

    damage_pages(path)
    assert store.count() == 1  # the read met SQLITE_CORRUPT: a new file, with the attempt still open in it
    assert len(told) == 1 and "moved aside" in told[0] and store.notice == told[0]
    store.complete_attempt(waiting, outcome=Outcome.SENT, duration_ms=900, message_id="3017")
    row = store.get(waiting)
    assert row is not None and (row.outcome, row.message_id, row.phone) == ("sent", "3017", "2348031234567")
    _add(store, 1)
    assert store.count() == 2 and len(_aside(tmp_path)) == 1

    # The new file damaged too: said, not moved again in this session (no endless moving aside).
    store.import_rows([store.get(waiting)] * 3000)  # type: ignore[list-item]
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    damage_pages(path)
    with pytest.raises(HistoryError, match="the history file is damaged"):
        store.page(5000)
    assert len(told) == 1 and len(_aside(tmp_path)) == 1
    store.close()


# -- errors by code ----------------------------------------------------------------------------------------


def test_read_only_file_is_said_as_read_only(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    store._conn.close()
    store._conn = sqlite3.connect(f"file:{tmp_path / 'history.sqlite3'}?mode=ro", uri=True, check_same_thread=False)
    with pytest.raises(HistoryError) as caught:
        _add(store)
    assert type(caught.value) is HistoryError
    assert str(caught.value) == "History could not be saved: its file or folder is read-only. Calls still work."


def test_full_disk_is_said_as_full(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(HistoryError, match="the disk is full"):
        for i in range(500):
            _add(store, i)


def test_busy_is_said_as_busy(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    store._conn.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(tmp_path / "history.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(HistoryError, match="busy in another Termii Desk window"):
            store.start_attempt("2348031234567", CODE, "api.ng.termii.com")
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_message_that_reads_like_a_full_disk_is_still_a_bug_when_its_code_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    store._conn.execute("CREATE TRIGGER lies BEFORE INSERT ON attempts BEGIN "
                        "SELECT RAISE(ABORT, 'database or disk is full; database is locked; read-only'); END")
    with pytest.raises(UnexpectedHistoryError) as caught:
        _add(store)
    text = str(caught.value)
    assert text.startswith("Something unexpected went wrong with history (SQLITE_CONSTRAINT")
    assert "full" not in text and "busy" not in text and "could not be saved" not in text
    assert "Traceback" in caplog.text or "RAISE" in caplog.text or "database or disk is full" in caplog.text


def test_a_bug_at_open_is_unexpected_and_history_goes_on_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE attempts (x)")  # a schema-1 file whose table is not ours: migrating fails
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    store = HistoryStore(path)
    assert store.notice is not None and "unexpected" in store.notice and "memory only" in store.notice
    _add(store)
    assert store.count() == 1


def test_the_windows_background_check_finds_damage_and_tells_whoever_listens(tmp_path: Path) -> None:
    import time

    path = filled(tmp_path / "history.sqlite3")
    damage_pages(path)
    store = HistoryStore(path, check_now=False)  # returns before the check: the window's start-up
    deadline = time.monotonic() + 10
    while not _aside(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(_aside(tmp_path)) == 1
    told: list[str] = []
    store.on_notice = told.append  # the window listens once it is attached: it is told what it missed
    # Found by the check on its thread (told now), or already while opening (in ``notice``, shown at attach).
    said = told or [store.notice]
    assert len(said) == 1 and said[0] is not None and "moved aside" in said[0]
    _add(store)
    assert store.count() == 1
    store.close()


def test_a_sound_file_checked_in_the_background_is_left_alone(tmp_path: Path) -> None:
    import threading

    path = filled(tmp_path / "history.sqlite3", rows=500)
    store = HistoryStore(path, check_now=False)
    for thread in threading.enumerate():
        if thread.name == "history-check":
            thread.join(10)
    told: list[str] = []
    store.on_notice = told.append
    assert told == [] and store.notice is None and store.count() == 500 and _aside(tmp_path) == []
    store.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own nice value is Linux's")
def test_the_background_check_runs_at_a_lower_priority_than_the_window(tmp_path: Path, monkeypatch) -> None:
    """The check's SQLite work must leave the processor to the window's threads while the desk starts."""
    import os
    import threading

    from termii_desk.core import history

    seen: list[tuple[int, int]] = []
    check = history._check_integrity

    def watched(conn: object) -> None:
        me = threading.get_native_id()
        seen.append((os.getpriority(os.PRIO_PROCESS, me), os.getpriority(os.PRIO_PROCESS, os.getpid())))
        check(conn)  # type: ignore[arg-type]

    path = filled(tmp_path / "history.sqlite3", rows=50)
    monkeypatch.setattr(history, "_check_integrity", watched)
    store = HistoryStore(path, check_now=False)
    for thread in threading.enumerate():
        if thread.name == "history-check":
            thread.join(10)
    assert len(seen) == 1
    thread_nice, process_nice = seen[0]
    assert thread_nice == min(process_nice + history.BACKGROUND_NICE, 19)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == process_nice  # this thread untouched
    store.close()
