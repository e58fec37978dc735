"""History store: write-before-send rows, masking, paging, filter, purge, migration, damaged files."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from termii_desk.core.errors import Outcome
from termii_desk.core.history import (
    INTERRUPTED_TEXT,
    SCHEMA_VERSION,
    HistoryStore,
    rows_to_csv,
)
from termii_desk.core.validation import validate_code

CODE = validate_code("482916")


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(tmp_path / "history.sqlite3")


def _add(store: HistoryStore, phone: str = "2348031234567", outcome: Outcome = Outcome.SENT) -> int:
    row_id = store.start_attempt(phone, CODE, "api.ng.termii.com")
    store.complete_attempt(row_id, outcome=outcome, duration_ms=120, http_status=200, message_id="m" + str(row_id),
                           termii_message="Successfully Sent", balance="77.5", currency="NGN")
    return row_id


def test_row_written_before_the_request_reads_as_unknown(store: HistoryStore) -> None:
    row_id = store.start_attempt("2348031234567", CODE, "api.ng.termii.com")
    row = store.get(row_id)
    assert row is not None
    assert row.outcome == "unknown"
    assert row.error == INTERRUPTED_TEXT
    assert not row.completed
    assert row.app_version and row.base_host == "api.ng.termii.com"
    assert row.time.tzinfo is not None


def test_completed_row_keeps_every_field(store: HistoryStore) -> None:
    row_id = _add(store)
    row = store.get(row_id)
    assert row is not None
    assert (row.outcome, row.http_status, row.message_id, row.balance, row.currency, row.duration_ms) == (
        "sent", 200, f"m{row_id}", "77.5", "NGN", 120)
    assert row.completed


def test_code_is_stored_masked_never_whole(store: HistoryStore, tmp_path: Path) -> None:
    _add(store)
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert b"482916" not in raw
    assert "••••16".encode() in raw


def test_pages_newest_first_with_keyset_paging(store: HistoryStore) -> None:
    ids = [_add(store) for _ in range(25)]
    first = store.page(10)
    assert [r.id for r in first] == ids[::-1][:10]
    second = store.page(10, before_id=first[-1].id)
    assert [r.id for r in second] == ids[::-1][10:20]
    assert store.count() == 25


def test_filter_by_phone_digits(store: HistoryStore) -> None:
    _add(store, "2348031234567")
    _add(store, "233244123456")
    _add(store, "2348031234567")
    assert store.count("+234 803") == 2
    assert {r.phone for r in store.page(10, phone_filter="244 12")} == {"233244123456"}
    assert store.count("") == 3


def test_purge_older_than(store: HistoryStore) -> None:
    old = _add(store)
    _add(store)
    ancient = (datetime.now(timezone.utc) - timedelta(days=40)).isoformat(timespec="milliseconds")
    store._conn.execute("UPDATE attempts SET time_utc = ? WHERE id = ?", (ancient, old))
    assert store.purge_older_than(30) == 1
    assert store.get(old) is None and store.count() == 1


def test_last_sent_to_for_the_cooldown(store: HistoryStore) -> None:
    assert store.last_sent_to("2348031234567") is None
    _add(store, outcome=Outcome.REJECTED)
    assert store.last_sent_to("2348031234567") is None
    _add(store, outcome=Outcome.SENT)
    last = store.last_sent_to("2348031234567")
    assert last is not None and datetime.now(timezone.utc) - last < timedelta(seconds=5)


def test_schema_versioned_and_wal(store: HistoryStore, tmp_path: Path) -> None:
    store.close()
    conn = sqlite3.connect(tmp_path / "history.sqlite3")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_reopening_keeps_rows(tmp_path: Path) -> None:
    first = HistoryStore(tmp_path / "h.sqlite3")
    _add(first)
    first.close()
    again = HistoryStore(tmp_path / "h.sqlite3")
    assert again.count() == 1 and again.notice is None


def test_damaged_file_is_moved_aside_and_a_new_history_starts(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    store = HistoryStore(path)
    assert store.notice is not None and "damaged" in store.notice and "moved aside" in store.notice
    moved = [p for p in tmp_path.iterdir() if ".damaged-" in p.name]
    assert len(moved) == 1 and moved[0].read_bytes().startswith(b"this is not a database")
    _add(store)
    assert store.count() == 1


def test_file_from_a_newer_version_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    store = HistoryStore(path)
    assert store.notice is not None and "newer Termii Desk" in store.notice and "memory only" in store.notice
    _add(store)  # still records, in memory
    assert store.count() == 1
    store.close()
    assert path.read_bytes() == before


def test_unwritable_folder_falls_back_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    store = HistoryStore(blocker / "history.sqlite3")
    assert store.notice is not None and "memory only" in store.notice
    _add(store)
    assert store.count() == 1


def test_a_write_failure_no_condition_explains_is_unexpected_not_could_not_be_saved(
    store: HistoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    from termii_desk.core.history import UnexpectedHistoryError

    store._conn.close()
    store._conn = sqlite3.connect(":memory:", check_same_thread=False)  # no table: a bug, not a full disk
    with pytest.raises(UnexpectedHistoryError) as caught:
        store.start_attempt("2348031234567", CODE, "host")
    assert "unexpected" in str(caught.value) and "SQLITE_ERROR" in str(caught.value)
    assert "could not be saved" not in str(caught.value)
    assert "no such table" in caplog.text  # the traceback is in the log


def test_csv_export_masks_codes_and_defuses_formulas(store: HistoryStore) -> None:
    row_id = _add(store)
    store.complete_attempt(row_id, outcome=Outcome.REJECTED, duration_ms=5, termii_message="=HYPERLINK(\"x\")")
    text = rows_to_csv(store.page(10))
    assert "482916" not in text and "••••16" in text
    assert "'=HYPERLINK" in text
    assert text.splitlines()[0].startswith("time,profile,phone,code_masked,outcome")


def test_import_rows_appends_in_one_go(store: HistoryStore) -> None:
    first = store.get(_add(store))
    assert first is not None
    assert store.import_rows([first] * 1000) == 1000
    assert store.count() == 1001
    newest = store.page(1)[0]
    assert newest.id == 1001 and newest.code_masked == "••••16"


def test_reads_do_not_wait_behind_a_write_stuck_on_another_windows_lock(
    store: HistoryStore, tmp_path: Path
) -> None:
    import threading

    _add(store)
    other = sqlite3.connect(tmp_path / "history.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another window holds the write lock
    writer = threading.Thread(target=lambda: _add(store, "233244123456"))  # our worker: waits on busy timeout
    writer.start()
    try:
        while not store._lock.locked():
            pass
        assert store.count() == 1  # the GUI thread's read is answered now...
        assert writer.is_alive()  # ...while our own write is still waiting for the other window
    finally:
        other.execute("COMMIT")
        other.close()
        writer.join()
    assert store.count() == 2


def test_damaged_file_that_cannot_be_moved_falls_back_to_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not a database" * 100)

    def locked(self: Path, target: Path) -> Path:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "replace", locked)
    store = HistoryStore(path)
    assert store.notice is not None and "could not be moved aside" in store.notice and "memory only" in store.notice
    _add(store)
    assert store.count() == 1


def test_values_no_version_would_write_read_back_typed_and_capped(store: HistoryStore, tmp_path: Path) -> None:
    from termii_desk.core.history import STORED_TEXT_LIMIT
    from tests.hostile_rows import insert_hostile_rows

    _add(store)
    added = insert_hostile_rows(tmp_path / "history.sqlite3")
    rows = store.page(100)
    assert len(rows) == added + 1 and store.count() == added + 1
    for row in rows:
        for name in ("time_utc", "os_user", "app_version", "base_host", "phone", "code_masked", "outcome"):
            assert isinstance(getattr(row, name), str)
        for name in ("message_id", "termii_message", "balance", "currency", "error"):
            value = getattr(row, name)
            assert value is None or (isinstance(value, str) and len(value) <= STORED_TEXT_LIMIT)
        assert row.http_status is None or type(row.http_status) is int
        assert row.duration_ms is None or type(row.duration_ms) is int
    assert store.get(rows[0].id) == rows[0]
    assert store.last_sent_to("2348031234567") is not None  # odd times never raise
    text = rows_to_csv(rows)
    assert "\x1b" not in text and "\x07" not in text and "\x00" not in text


def test_year_one_west_of_utc_exports_as_stored(store: HistoryStore, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from tests.hostile_rows import insert_hostile_rows

    insert_hostile_rows(tmp_path / "history.sqlite3")
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        text = rows_to_csv(store.page(100))  # local time of 0001-01-01 00:00 UTC is before year 1: no OverflowError
    finally:
        monkeypatch.undo()
        time.tzset()
    assert "0001-01-01T00:00:00+00:00" in text


def test_day_range_is_whole_local_days_in_the_zone_given_or_this_computers(monkeypatch: pytest.MonkeyPatch) -> None:
    import time
    from datetime import date
    from zoneinfo import ZoneInfo

    from termii_desk.core.history_backend import day_range

    lagos = ZoneInfo("Africa/Lagos")  # UTC+1
    since, until = day_range(date(2026, 12, 1), date(2026, 12, 1), lagos)
    assert since == datetime(2026, 11, 30, 23, 0, tzinfo=timezone.utc)
    assert until == datetime(2026, 12, 1, 23, 0, tzinfo=timezone.utc)
    # Without a zone: the computer's local time, with that date's own offset (daylight saving included).
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert day_range(date(2026, 7, 1), None)[0] == datetime(2026, 7, 1, 4, 0, tzinfo=timezone.utc)
        assert day_range(None, date(2026, 1, 1))[1] == datetime(2026, 1, 2, 5, 0, tzinfo=timezone.utc)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    # The ends of the calendar: no bound rather than an error.
    assert day_range(date(1, 1, 1), date(9999, 12, 31), ZoneInfo("Asia/Tokyo")) == (None, None)
    assert day_range(None, None) == (None, None)
