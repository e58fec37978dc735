"""History's phone index and its schema migration: a file made by the previous schema upgrades without losing
a row, the index answers exactly what a scan of the table answers, and SQLite without FTS5 still works."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from termii_desk.core import history
from termii_desk.core.errors import Outcome
from termii_desk.core.history import PHONE_INDEX, SCHEMA_VERSION, HistoryStore
from termii_desk.core.validation import validate_code

# Written by the desk at schema 1 (before the phone index): six attempts, one of them interrupted.
SCHEMA_1_FILE = Path(__file__).resolve().parent.parent / "data" / "history-schema-1.sqlite3"
CODE = validate_code("482916")


def _raw_rows(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT * FROM attempts ORDER BY id").fetchall()
    finally:
        conn.close()


def _version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def _scan(store: HistoryStore, digits: str) -> list[int]:
    """What a filter must return, newest first: every row whose number contains ``digits``."""
    rows = store._conn.execute("SELECT id, phone FROM attempts ORDER BY id DESC").fetchall()
    return [row_id for row_id, phone in rows if digits in phone]


def test_a_schema_1_file_upgrades_keeping_every_row(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    shutil.copy(SCHEMA_1_FILE, path)
    assert _version(path) == 1
    before = _raw_rows(path)
    assert len(before) == 6

    store = HistoryStore(path)
    assert store.notice is None
    assert store.count() == 6
    assert store.count("803 123 4567") == 2 and store._indexed("8031234567")
    assert [r.phone for r in store.page(10, phone_filter="4477")] == ["447700900123"]
    interrupted = store.page(10, phone_filter="447700900123")[0]
    assert interrupted.outcome == "unknown" and interrupted.error == history.INTERRUPTED_TEXT
    store.close()

    assert _version(path) == SCHEMA_VERSION
    after = _raw_rows(path)
    assert [row[:len(before[0])] for row in after] == before  # every column of every row, unchanged
    assert {row[len(before[0]):] for row in after} == {("default", "")}  # the audit columns of later schemas
    again = HistoryStore(path)  # and it opens again, already upgraded
    row_id = again.start_attempt("2348031234567", CODE, "api.ng.termii.com")
    assert again.count("8031234567") == 3 and again.page(1, phone_filter="8031234567")[0].id == row_id
    again.close()


def test_a_failed_upgrade_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "history.sqlite3"
    shutil.copy(SCHEMA_1_FILE, path)
    before = _raw_rows(path)
    # Its last statement fails on a file with rows (integer overflow), after the others have run.
    broken = (*history._MIGRATIONS[2], "SELECT abs(-9223372036854775807 - 1) WHERE EXISTS (SELECT 1 FROM attempts)")
    monkeypatch.setitem(history._MIGRATIONS, 2, broken)
    store = HistoryStore(path)
    assert store.notice is not None and "memory only" in store.notice
    store.close()
    assert _version(path) == 1 and _raw_rows(path) == before
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = ?", (PHONE_INDEX,)).fetchone()[0] == 0
    conn.close()
    monkeypatch.undo()
    assert HistoryStore(path).count("803") == 2  # the next start upgrades it


def test_without_fts5_the_schema_still_upgrades_and_the_filter_scans(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "history.sqlite3"
    shutil.copy(SCHEMA_1_FILE, path)
    steps = history._MIGRATIONS[2]
    monkeypatch.setitem(history._MIGRATIONS, 2, (steps[0].replace("'trigram'", "'no_such_tokenizer'"), *steps[1:]))
    store = HistoryStore(path)
    assert store.notice is None and not store._phone_index
    assert store.count("803 123") == 2
    assert [r.phone for r in store.page(10, phone_filter="4477")] == ["447700900123"]
    _ = store.start_attempt("2348031234567", CODE, "api.ng.termii.com")  # writes work without the index
    assert store.count("8031234567") == 3
    store.close()
    assert _version(path) == SCHEMA_VERSION


def test_the_filter_reads_the_index_not_the_table(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    statements: list[str] = []
    store._reader.set_trace_callback(statements.append)
    store.count("+234 803")
    store.page(50, phone_filter="803", before_id=10)
    store._reader.set_trace_callback(None)
    statements = [sql for sql in statements if "FROM attempts" in sql]  # not FTS5's own reads of its tables
    assert len(statements) == 2
    for sql in statements:
        plan = [row[3] for row in store._conn.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()]
        assert any(f"{PHONE_INDEX} VIRTUAL TABLE INDEX" in step for step in plan), plan
        assert not [step for step in plan if re.fullmatch(r"SCAN attempts\b.*", step)], plan  # no table scan
    assert store._indexed("803") and not store._indexed("80")  # too short for a trigram: a scan, still right


PHONES = st.text(alphabet="0123456789", min_size=6, max_size=15)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(phones=st.lists(PHONES, min_size=1, max_size=30),
       filters=st.lists(st.text(alphabet="0123456789 +-", max_size=8), min_size=1, max_size=6),
       purge=st.booleans(), renumber=st.booleans(), page_size=st.integers(1, 7))
def test_the_index_answers_what_a_scan_answers(tmp_path: Path, phones: list[str], filters: list[str], purge: bool,
                                               renumber: bool, page_size: int) -> None:
    store = HistoryStore(None if len(phones) % 2 else tmp_path / f"h{len(list(tmp_path.iterdir()))}.sqlite3")
    ids = []
    for phone in phones:
        row_id = store.start_attempt(phone, CODE, "api.ng.termii.com")
        store.complete_attempt(row_id, outcome=Outcome.SENT, duration_ms=1)
        ids.append(row_id)
    if purge:  # deletes go through the index's trigger too
        store._conn.execute("DELETE FROM attempts WHERE id % 3 = 0")
    if renumber:  # as do changed numbers (an import fixing a row)
        store._conn.execute("UPDATE attempts SET phone = '9' || phone WHERE id % 2 = 0")
    for text in [*filters, phones[0], phones[-1][2:]]:
        digits = "".join(ch for ch in text if ch.isdigit())
        expected = _scan(store, digits)
        assert store.count(text) == len(expected), text
        got: list[int] = []
        while True:
            page = store.page(page_size, before_id=got[-1] if got else None, phone_filter=text)
            got += [r.id for r in page]
            if len(page) < page_size:
                break
        assert got == expected, text
    store.close()
