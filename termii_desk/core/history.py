"""History of every call attempt, in SQLite: written before the request goes out, completed after.

A crash between the two leaves a visible ``unknown`` row. Codes are stored masked, never whole.
"""

from __future__ import annotations

import contextlib
import csv
import getpass
import io
import logging
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from termii_desk import __version__
from termii_desk.core.errors import DeskError, Outcome
from termii_desk.core.formatting import display_text
from termii_desk.core.history_backend import HistoryQuery
from termii_desk.core.paths import close_to_others, private_file
from termii_desk.core.validation import Code

if TYPE_CHECKING:
    from termii_desk.core.history_backend import PriorCall

log = logging.getLogger(__name__)
_T = TypeVar("_T")

SCHEMA_VERSION = 5
INTERRUPTED_TEXT = (
    "The desk stopped before Termii answered; the call may have been placed. Check before sending again."
)
# The phone filter's index: every 3-digit run of each number (SQLite's FTS5 trigram tokenizer), kept in step
# with ``attempts`` by triggers, so "contains these digits" reads the matching rows instead of the table.
PHONE_INDEX = "attempts_phone_text"
# How much nicer than the window the background integrity check runs: its ~50 ms of SQLite (at 100,000 rows)
# run when the window's threads leave a processor free, not in their place while the desk starts.
BACKGROUND_NICE = 10
# Schema migrations, applied in order inside one transaction each; ``PRAGMA user_version`` is the last applied.
# A new schema change is the next number here (and SCHEMA_VERSION), never an edit of an applied step.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            time_utc TEXT NOT NULL,
            os_user TEXT NOT NULL,
            app_version TEXT NOT NULL,
            base_host TEXT NOT NULL,
            phone TEXT NOT NULL,
            code_masked TEXT NOT NULL,
            outcome TEXT NOT NULL,
            http_status INTEGER,
            message_id TEXT,
            termii_message TEXT,
            balance TEXT,
            currency TEXT,
            duration_ms INTEGER,
            error TEXT
        )""",
        "CREATE INDEX attempts_phone ON attempts (phone)",
        "CREATE INDEX attempts_time ON attempts (time_utc)",
    ),
    2: (
        f"CREATE VIRTUAL TABLE {PHONE_INDEX} USING fts5(phone, content='attempts', content_rowid='id',"
        " tokenize='trigram')",
        f"INSERT INTO {PHONE_INDEX}({PHONE_INDEX}) VALUES ('rebuild')",  # the rows already there
        f"""CREATE TRIGGER attempts_phone_text_insert AFTER INSERT ON attempts BEGIN
            INSERT INTO {PHONE_INDEX}(rowid, phone) VALUES (new.id, new.phone);
        END""",
        f"""CREATE TRIGGER attempts_phone_text_delete AFTER DELETE ON attempts BEGIN
            INSERT INTO {PHONE_INDEX}({PHONE_INDEX}, rowid, phone) VALUES ('delete', old.id, old.phone);
        END""",
        f"""CREATE TRIGGER attempts_phone_text_update AFTER UPDATE OF phone ON attempts BEGIN
            INSERT INTO {PHONE_INDEX}({PHONE_INDEX}, rowid, phone) VALUES ('delete', old.id, old.phone);
            INSERT INTO {PHONE_INDEX}(rowid, phone) VALUES (new.id, new.phone);
        END""",
    ),
    # Profiles and the audit: which account placed the call, and from which computer. Rows from before
    # belong to the profile ``default`` (the settings and key from before profiles became it).
    3: (
        "ALTER TABLE attempts ADD COLUMN profile TEXT NOT NULL DEFAULT 'default'",
        "ALTER TABLE attempts ADD COLUMN machine TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX attempts_profile ON attempts (profile, id)",
    ),
    # "Needs checking": the unknown outcomes, few among many, read (and counted) without reading the others.
    4: ("CREATE INDEX attempts_unknown ON attempts (profile, id) WHERE outcome = 'unknown'",
        "CREATE INDEX attempts_unknown_any_profile ON attempts (id) WHERE outcome = 'unknown'"),
    # A range of days counted within one profile (the panel's default view) without reading the profile's rows.
    5: ("CREATE INDEX attempts_profile_time ON attempts (profile, time_utc)",),
}
# Migrations SQLite may not be able to run: without FTS5's trigram tokenizer (SQLite < 3.34, or built without
# FTS5) step 2 is recorded as done without its index, and the filter scans the table as before.
_OPTIONAL_MIGRATIONS = {2}
_OUTCOME_VALUES = frozenset(outcome.value for outcome in Outcome)


class HistoryError(DeskError):
    """History could not be read or written. Calls still work; the agent is told what is wrong."""


class UnexpectedHistoryError(HistoryError):
    """SQLite failed in a way no condition explains (a bug): logged with its traceback, said as unexpected."""


@dataclass(frozen=True)
class HistoryRow:
    id: int
    time_utc: str
    os_user: str
    app_version: str
    base_host: str
    phone: str
    code_masked: str
    outcome: str
    http_status: int | None
    message_id: str | None
    termii_message: str | None
    balance: str | None
    currency: str | None
    duration_ms: int | None
    error: str | None
    profile: str = "default"
    machine: str = ""

    @property
    def time(self) -> datetime:
        return datetime.fromisoformat(self.time_utc)

    @property
    def completed(self) -> bool:
        return self.duration_ms is not None


# Read back whatever a row holds (an older version's 200 KB balance, a number or bytes where text belongs, a
# hand-edited file): text columns come back as text of at most STORED_TEXT_LIMIT characters, whole-number
# columns as int or None, so nothing that reads a HistoryRow meets a type or a size it did not expect.
STORED_TEXT_LIMIT = 1000
_INT_FIELDS = frozenset(f.name for f in fields(HistoryRow) if str(f.type).startswith("int"))
_OPTIONAL_FIELDS = frozenset(f.name for f in fields(HistoryRow) if "None" in str(f.type))
_COLUMNS = ", ".join(
    f.name if f.name in _INT_FIELDS else f"substr({f.name}, 1, {STORED_TEXT_LIMIT})" for f in fields(HistoryRow)
)
_FIELD_NAMES = tuple(f.name for f in fields(HistoryRow))


def _row(values: tuple[Any, ...]) -> HistoryRow:
    clean: list[Any] = []
    for name, value in zip(_FIELD_NAMES, values, strict=True):
        if name in _INT_FIELDS:
            value = value if type(value) is int else None
            if value is None and name not in _OPTIONAL_FIELDS:
                value = 0
        elif isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        elif value is None and name not in _OPTIONAL_FIELDS:
            value = ""
        elif value is not None and not isinstance(value, str):
            value = str(value)
        clean.append(value)
    return HistoryRow(*clean)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers, services)
        return ""


_INSERT_ATTEMPT = (
    "INSERT INTO attempts (time_utc, os_user, app_version, base_host, phone, code_masked, outcome, error, profile,"
    " machine) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _machine() -> str:
    """This computer's name, as the network knows it (``platform.node()``); "" when it has none."""
    import platform

    return platform.node()[:255]


# SQLite's result codes (the primary code, ``sqlite_errorcode & 0xFF``) sorted into the conditions the desk
# expects and says in a sentence. Any other code (a missing table, a constraint, a misuse) is a bug.
_BUSY, _FULL, _READ_ONLY, _DAMAGED, _DISK = "busy", "full", "read-only", "damaged", "disk"
_KINDS = {
    sqlite3.SQLITE_BUSY: _BUSY, sqlite3.SQLITE_LOCKED: _BUSY, sqlite3.SQLITE_PROTOCOL: _BUSY,
    sqlite3.SQLITE_FULL: _FULL,
    sqlite3.SQLITE_READONLY: _READ_ONLY, sqlite3.SQLITE_PERM: _READ_ONLY,
    sqlite3.SQLITE_CORRUPT: _DAMAGED, sqlite3.SQLITE_NOTADB: _DAMAGED,
    sqlite3.SQLITE_IOERR: _DISK, sqlite3.SQLITE_CANTOPEN: _DISK, sqlite3.SQLITE_NOLFS: _DISK,
}
_SENTENCES = {  # (writing, reading)
    _BUSY: ("History is busy in another Termii Desk window; the attempt could not be saved.",
            "History is busy in another Termii Desk window; try again in a moment."),
    _FULL: ("History could not be saved: the disk is full. Free some space; calls still work.",
            "History could not be read: the disk is full. Free some space; calls still work."),
    _READ_ONLY: ("History could not be saved: its file or folder is read-only. Calls still work.",
                 "History could not be read: its file or folder is read-only. Calls still work."),
    _DAMAGED: ("History could not be saved: the history file is damaged. Calls still work.",
               "History could not be read: the history file is damaged. Calls still work."),
    _DISK: ("History could not be saved: the disk could not be read or written. Calls still work.",
            "History could not be read: the disk could not be read. Calls still work."),
}


def _kind(exc: BaseException) -> str | None:
    """The expected condition behind a SQLite error, from its result code (never its text); None for a bug."""
    code = getattr(exc, "sqlite_errorcode", None)
    return _KINDS.get(code & 0xFF) if isinstance(code, int) else None


def _code_name(exc: BaseException) -> str:
    return str(getattr(exc, "sqlite_errorname", None) or type(exc).__name__)


def _history_error(exc: sqlite3.Error, *, writing: bool) -> HistoryError:
    """The sentence for a SQLite error: an expected condition's, or "unexpected" (logged with its traceback)."""
    kind = _kind(exc)
    if kind is None:
        log.error("history: unexpected SQLite error %s", _code_name(exc), exc_info=exc)
        return UnexpectedHistoryError(
            f"Something unexpected went wrong with history ({_code_name(exc)}); details are in the log file. "
            "Calls still work."
        )
    log.warning("history %s failed: %s", "write" if writing else "read", _code_name(exc))
    return HistoryError(_SENTENCES[kind][0 if writing else 1])


class _NewerFile(Exception):
    """The history file has a newer schema than this version knows: left untouched."""


class _Damaged(Exception):
    """``PRAGMA quick_check`` found damage inside the history file."""


def move_aside(path: Path) -> Path:
    """Rename a damaged SQLite file (with its -wal and -shm) to ``NAME.damaged-STAMP``; returns the new path."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    number = 1
    while target.exists():  # never over an earlier damaged file
        number += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{number}")
    for suffix in ("", "-wal", "-shm"):
        source = Path(str(path) + suffix)
        if source.exists():
            source.replace(Path(str(target) + suffix))
    return target


class HistoryStore:
    """One SQLite file (or memory). Safe to use from the GUI thread and worker threads.

    Writes and reads use separate connections: with WAL, a read never waits for a write (this process's or
    another window's), so the GUI thread never sits in SQLite's busy timeout.
    ``notice`` holds a sentence for the agent when the file had to be moved aside or could not be used;
    ``on_notice`` (if set) is called with it when that happens later, on the thread that found the damage.

    Damage inside the file is found at open (``PRAGMA quick_check``) or by the first ``SQLITE_CORRUPT``: the file
    is moved aside once a session, a new one started, and the attempts still waiting for Termii are written into
    it, so their answers are still recorded.
    """

    def __init__(self, path: Path | None = None, *, profile: str = "default", check_now: bool = True) -> None:
        """``profile``: the account this desk's attempts are recorded under (every profile reads the file).

        ``check_now``: the integrity check runs here (the command line); False runs it on a thread of its own
        (the window: about 35 ms at 100,000 rows that the start-up does not wait for).
        """
        self.path = path
        self.profile = profile
        self.notice: str | None = None
        self._on_notice: Callable[[str], None] | None = None
        self._untold: str | None = None  # a notice from the background check before anyone listened
        self._lock = threading.Lock()
        self._generation = 0  # counts new files started after damage: an error from before is not retried twice
        self._moved_aside = False
        self._closed = False
        self._open_attempts: dict[int, tuple[object, ...]] = {}  # started, not completed: re-recorded after damage
        self._abandoned: set[int] = set()  # recorded as unknown when the window closed first: an answer after keeps it
        self._conn = self._open(path, check=check_now)
        self._reader, self._read_lock = self._open_reader()
        self._phone_index = self._has_table(PHONE_INDEX)
        if not check_now and path is not None and not self._moved_aside and self.notice is None:
            threading.Thread(target=self._check_in_background, name="history-check", daemon=True).start()

    @property
    def on_notice(self) -> Callable[[str], None] | None:
        """Called with the sentence when the file is moved aside after opening (on the thread that found it)."""
        return self._on_notice

    @on_notice.setter
    def on_notice(self, listener: Callable[[str], None] | None) -> None:
        self._on_notice = listener
        untold, self._untold = self._untold, None
        if listener is not None and untold is not None:
            listener(untold)

    def _check_in_background(self) -> None:
        assert self.path is not None
        _yield_the_processor()
        generation = self._generation
        try:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5.0, isolation_level=None)
            _check_integrity(conn)
            conn.close()
        except _Damaged as exc:
            log.warning("history file damaged (found by the check after opening): %s", exc)
            self._recover(generation)
        except sqlite3.Error as exc:
            if _kind(exc) == _DAMAGED:
                self._recover(generation)
            else:
                log.warning("history integrity check could not run: %s", _code_name(exc))

    def _open_reader(self) -> tuple[sqlite3.Connection, threading.Lock]:
        file = self._conn.execute("PRAGMA database_list").fetchone()[2]
        if not file:  # in memory: one connection is the only way to see the same data
            return self._conn, self._lock
        try:
            reader = sqlite3.connect(file, check_same_thread=False, timeout=1.0, isolation_level=None)
            reader.execute("PRAGMA query_only = 1")
        except sqlite3.Error:
            return self._conn, self._lock
        return reader, threading.Lock()

    def _has_table(self, name: str) -> bool:
        try:
            return bool(self._read("SELECT 1 FROM sqlite_master WHERE name = ?", [name]))
        except HistoryError:
            return False

    # -- opening ------------------------------------------------------------------------------------

    def _open(self, path: Path | None, *, check: bool) -> sqlite3.Connection:
        if path is None:
            return self._connect(":memory:")
        try:
            conn = self._connect(str(path))
            if check:
                _check_integrity(conn)
            return conn
        except _NewerFile as exc:
            self.notice = str(exc)
        except (sqlite3.DatabaseError, _Damaged) as exc:
            if isinstance(exc, _Damaged) or _kind(exc) == _DAMAGED:
                log.warning("history file damaged at open: %s", exc if isinstance(exc, _Damaged) else _code_name(exc))
                self._moved_aside = True
                conn_or_notice = self._start_anew(path)
                if isinstance(conn_or_notice, sqlite3.Connection):
                    return conn_or_notice
                self.notice = conn_or_notice
            else:
                self.notice = str(_history_error(exc, writing=True)).replace("could not be saved", "cannot be opened")
        except OSError as exc:
            self.notice = f"History cannot be opened ({exc.strerror or exc.__class__.__name__}). Calls still work."
        self.notice = (self.notice or "History is unavailable.") + " This session's attempts are kept in memory only."
        log.warning("%s", self.notice)
        return self._connect(":memory:")

    def _start_anew(self, path: Path) -> sqlite3.Connection | str:
        """Move a damaged file aside and open a new one: the connection (``notice`` says so), or why not."""
        try:
            moved = self._move_aside(path)
        except OSError as move_error:
            return ("The history file is damaged and could not be moved aside "
                    f"({move_error.strerror or move_error.__class__.__name__}).")
        self.notice = (f"The history file was damaged; it was moved aside to {moved.name} and a new history "
                       "started. Calls go on being recorded.")
        try:
            return self._connect(str(path))
        except sqlite3.Error as again:
            return f"{self.notice} {_history_error(again, writing=True)}"

    @staticmethod
    def _connect(target: str) -> sqlite3.Connection:
        if target != ":memory:":
            # Made 0600 before SQLite opens it: SQLite gives its -wal and -shm the database file's mode.
            private_file(Path(target))
            for suffix in ("-wal", "-shm"):
                close_to_others(Path(target + suffix))  # left open to others by an older version
        conn = sqlite3.connect(target, check_same_thread=False, timeout=5.0, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 5000")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise _NewerFile(
                    f"The history file was written by a newer Termii Desk (schema {version}); update Termii Desk "
                    "to see it. It was left untouched."
                )
            if target != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            for step in range(version + 1, SCHEMA_VERSION + 1):
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _MIGRATIONS[step]:
                        conn.execute(statement)
                except sqlite3.OperationalError as exc:
                    if step not in _OPTIONAL_MIGRATIONS or not _unsupported(exc):
                        raise
                    log.warning("history schema step %d skipped: %s", step, exc)
                    conn.execute("ROLLBACK")
                    conn.execute("BEGIN IMMEDIATE")
                conn.execute(f"PRAGMA user_version = {step}")
                conn.execute("COMMIT")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _move_aside(path: Path) -> Path:
        return move_aside(path)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._reader is not self._conn:
                self._reader.close()
            self._conn.close()

    def _recover(self, generation: int) -> bool:
        """After ``SQLITE_CORRUPT``: move the file aside (once a session) and go on in a new one.

        True when the failed operation should be tried again: in the new file, or because another thread
        already started one since ``generation``. False when the file was already moved aside once.
        """
        if self.path is None:
            return False
        with self._lock:
            if self._closed:
                return False
            if generation != self._generation:
                return True
            if self._moved_aside:
                return False
            self._moved_aside = True
            with self._read_lock if self._read_lock is not self._lock else contextlib.nullcontext():
                if self._reader is not self._conn:
                    self._reader.close()
                self._conn.close()
                conn_or_notice = self._start_anew(self.path)
                if isinstance(conn_or_notice, sqlite3.Connection):
                    self._conn = conn_or_notice
                else:
                    self.notice = conn_or_notice + " This session's attempts are kept in memory only."
                    self._conn = self._connect(":memory:")
                self._reader = self._open_reader()[0]
                self._phone_index = self._read_index_flag()
            self._rerecord_open_attempts()
            self._generation += 1
            notice = self.notice or ""
        log.warning("history file damaged during the session: %s", notice)
        callback = self._on_notice
        if callback is not None:
            callback(notice)
        else:
            self._untold = notice
        return True

    def _read_index_flag(self) -> bool:
        try:
            return bool(self._reader.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [PHONE_INDEX]).fetchall())
        except sqlite3.Error:
            return False

    def _rerecord_open_attempts(self) -> None:
        """Attempts started in the damaged file and still waiting for Termii: written again, with their ids."""
        for row_id, values in self._open_attempts.items():
            try:
                self._conn.execute(
                    "INSERT INTO attempts (id, time_utc, os_user, app_version, base_host, phone, code_masked, outcome,"
                    " error, profile, machine) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (row_id, *values))
            except sqlite3.Error as exc:
                log.warning("history: an open attempt could not be written again: %s", _code_name(exc))

    # -- writing ------------------------------------------------------------------------------------

    def start_attempt(self, phone_digits: str, code: Code, base_host: str) -> int:
        """Record an attempt before its request goes out. Returns the row id; raises ``HistoryError``.

        The row names who placed it for an audit: the OS user, this computer, the app version and the profile.
        """
        values = self._new_row(phone_digits, code, base_host)
        row_id = self._write(_INSERT_ATTEMPT, values)
        self._open_attempts[row_id] = values
        return row_id

    def _new_row(self, phone_digits: str, code: Code, base_host: str) -> tuple[object, ...]:
        return (_now(), _os_user(), __version__, base_host, phone_digits, code.masked, Outcome.UNKNOWN.value,
                INTERRUPTED_TEXT, self.profile, _machine())

    def reserve_attempt(self, phone_digits: str, code: Code, base_host: str, *, cooldown_seconds: int) -> int:
        """``start_attempt`` unless the number was called within the cooldown (``RecentlyCalled``), in one
        write transaction: another window or process doing the same for this number waits for it."""
        from termii_desk.core.history_backend import PriorCall, RecentlyCalled

        try:
            since = datetime.now(timezone.utc) - timedelta(seconds=cooldown_seconds)
        except OverflowError:  # a cooldown reaching back before year 1: every call counts
            since = datetime.min.replace(tzinfo=timezone.utc)
        cutoff = since.isoformat(timespec="milliseconds")
        values = self._new_row(phone_digits, code, base_host)

        def work(conn: sqlite3.Connection) -> int:
            conn.execute("BEGIN IMMEDIATE")
            try:
                found = conn.execute(
                    "SELECT time_utc, os_user, outcome FROM attempts WHERE phone = ? AND outcome IN ('sent', 'unknown')"
                    " AND time_utc > ? ORDER BY id DESC LIMIT 20", (phone_digits, cutoff)).fetchall()
                for value, os_user, outcome in found:
                    when = _aware_time(value)
                    if when is not None and when > since:  # a time that is not a time is passed over
                        raise RecentlyCalled.by(PriorCall(when, str(os_user), str(outcome)), cooldown_seconds,
                                                phone_digits)
                row_id = int(conn.execute(_INSERT_ATTEMPT, values).lastrowid or 0)
                conn.execute("COMMIT")
                return row_id
            except BaseException:
                _roll_back(conn)
                raise

        row_id = self._writing(work)
        self._open_attempts[row_id] = values
        return row_id

    def complete_attempt(
        self,
        row_id: int,
        *,
        outcome: Outcome,
        duration_ms: int,
        http_status: int | None = None,
        message_id: str | None = None,
        termii_message: str | None = None,
        balance: str | None = None,
        currency: str | None = None,
        error: str | None = None,
    ) -> None:
        # Repeatable, and it carries what Termii answered: worth a second and third try when another window
        # holds the write lock past the busy timeout.
        sql = ("UPDATE attempts SET outcome = ?, duration_ms = ?, http_status = ?, message_id = ?,"
               " termii_message = ?, balance = ?, currency = ?, error = ? WHERE id = ?")
        params = (outcome.value, duration_ms, http_status, message_id, termii_message, balance, currency, error,
                  row_id)

        def work(conn: sqlite3.Connection) -> None:
            if row_id in self._abandoned:  # checked under the write lock: the agent's close came first
                log.info("an answer (%s) came after the window was closed; the attempt stays unknown", outcome.value)
                return
            conn.execute(sql, params)

        try:
            self._writing(work, tries=3)
        finally:
            self._open_attempts.pop(row_id, None)

    def last_currency(self) -> str | None:
        """The currency of this profile's last recorded balance (Termii's call answers carry none)."""
        rows = self._read("SELECT currency FROM attempts WHERE currency IS NOT NULL AND currency != '' AND profile = ?"
                          " ORDER BY id DESC LIMIT 1", [self.profile])
        return str(rows[0][0]) if rows else None

    def abandon_attempt(self, row_id: int, *, duration_ms: int, error: str) -> bool:
        """Complete an attempt still waiting for its answer as unknown, with ``error`` as the reason (the agent
        stopped waiting). True when the row was changed. The first completion wins: an attempt already
        completed keeps its outcome, and an answer that arrives after this leaves the unknown as it is."""
        sql = "UPDATE attempts SET outcome = ?, duration_ms = ?, error = ? WHERE id = ? AND duration_ms IS NULL"
        params = (Outcome.UNKNOWN.value, duration_ms, error, row_id)

        def work(conn: sqlite3.Connection) -> bool:
            changed = conn.execute(sql, params).rowcount == 1
            if changed:
                self._abandoned.add(row_id)
            return changed

        return self._writing(work)

    def import_rows(self, rows: Iterable[HistoryRow]) -> int:
        """Append finished rows in one transaction (ids are assigned anew). For imports, tests and benchmarks."""
        names = [f.name for f in fields(HistoryRow) if f.name != "id"]
        sql = f"INSERT INTO attempts ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
        values = [[getattr(r, n) for n in names] for r in rows]

        def work(conn: sqlite3.Connection) -> int:
            conn.execute("BEGIN")
            cursor = conn.executemany(sql, values)
            conn.execute("COMMIT")
            return cursor.rowcount

        return self._writing(work)

    def purge_older_than(self, days: int) -> int:
        """Delete attempts older than ``days`` days; returns how many."""
        try:
            cutoff = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat(timespec="milliseconds")
        except (OverflowError, ValueError, TypeError):  # before year 1: nothing is that old
            return 0
        return self._writing(lambda conn: conn.execute("DELETE FROM attempts WHERE time_utc < ?", (cutoff,)).rowcount)

    def _write(self, sql: str, params: tuple[object, ...], tries: int = 1) -> int:
        return self._writing(lambda conn: int(conn.execute(sql, params).lastrowid or 0), tries=tries)

    def _writing(self, work: Callable[[sqlite3.Connection], _T], *, tries: int = 1) -> _T:
        """Run ``work`` on the writing connection; a SQLite error becomes the ``HistoryError`` its code calls for.

        Busy: tried again, up to ``tries`` times. Damaged: the file is moved aside and ``work`` runs in the new one.
        """
        attempt = 0
        while True:
            attempt += 1
            with self._lock:
                generation = self._generation
                try:
                    return work(self._conn)
                except sqlite3.Error as exc:
                    failure = exc
                    _roll_back(self._conn)
            kind = _kind(failure)
            if kind == _DAMAGED and self._recover(generation):
                continue
            if kind == _BUSY and attempt < tries:
                continue
            raise _history_error(failure, writing=True) from None

    # -- reading ------------------------------------------------------------------------------------

    def page(
        self, limit: int = 100, *, before_id: int | None = None, phone_filter: str = "", profile: str | None = None,
        query: HistoryQuery | None = None,
    ) -> list[HistoryRow]:
        """Newest first. Pass the last row's id as ``before_id`` for the next page.

        ``phone_filter``: only numbers containing its digits (its other characters are ignored).
        ``profile``: only that profile's rows (None: every profile's).
        ``query``: only those attempts (digits, outcomes, a time range: ``HistoryQuery``).
        """
        q = HistoryQuery.of(phone_filter, query)
        limit = max(0, limit)
        indexed = self._indexed(q.digits)
        where, params = self._where(q, profile, like=not indexed, paging=True)
        if indexed:
            # The index gives the page's ids, newest first, without reading the rows it skips.
            sql = f"SELECT rowid FROM {PHONE_INDEX} WHERE {PHONE_INDEX} MATCH ?"
            match: list[object] = [_phrase(q.digits)]
            if before_id is not None:
                sql += " AND rowid < ?"
                match.append(before_id)
            if where:
                sql = (f"SELECT {_COLUMNS} FROM attempts WHERE id IN ({sql}) AND {' AND '.join(where)}"
                       " ORDER BY id DESC LIMIT ?")
                return [_row(r) for r in self._read(sql, [*match, *params, limit])]
            sql = (f"SELECT {_COLUMNS} FROM attempts WHERE id IN ({sql} ORDER BY rowid DESC LIMIT ?)"
                   " ORDER BY id DESC")
            return [_row(r) for r in self._read(sql, [*match, limit])]
        if before_id is not None:
            where.append("id < ?")
            params.append(before_id)
        sql = f"SELECT {_COLUMNS} FROM attempts"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(limit)
        return [_row(r) for r in self._read(sql, params)]

    def count(self, phone_filter: str = "", *, profile: str | None = None, query: HistoryQuery | None = None
              ) -> int:
        q = HistoryQuery.of(phone_filter, query)
        indexed = self._indexed(q.digits)
        where, params = self._where(q, profile, like=not indexed)
        if indexed:
            sql = f"SELECT count(*) FROM {PHONE_INDEX} WHERE {PHONE_INDEX} MATCH ?"
            if where:
                sql = (f"SELECT count(*) FROM attempts WHERE id IN (SELECT rowid FROM {PHONE_INDEX} WHERE"
                       f" {PHONE_INDEX} MATCH ?) AND {' AND '.join(where)}")
            return int(self._read(sql, [_phrase(q.digits), *params])[0][0])
        sql = "SELECT count(*) FROM attempts" + (" WHERE " + " AND ".join(where) if where else "")
        return int(self._read(sql, params)[0][0])

    def _indexed(self, digits: str) -> bool:
        """Whether the phone index serves a filter by ``digits``: it has runs of 3, so it needs at least 3."""
        return len(digits) >= 3 and self._phone_index

    def get(self, row_id: int) -> HistoryRow | None:
        rows = self._read(f"SELECT {_COLUMNS} FROM attempts WHERE id = ?", [row_id])
        return _row(rows[0]) if rows else None

    def last_sent_to(self, phone_digits: str) -> datetime | None:
        """When this number was last called successfully (or possibly), for the cooldown question."""
        last = self.last_call_to(phone_digits)
        return last[0] if last else None

    def last_call_to(self, phone_digits: str) -> tuple[datetime, str] | None:
        """When this number was last called (sent, or possibly: ``unknown``) and that attempt's outcome."""
        rows = self._read(
            "SELECT time_utc, outcome FROM attempts WHERE phone = ? AND outcome IN ('sent', 'unknown')"
            " ORDER BY id DESC LIMIT 20",
            [phone_digits],
        )
        # The newest time that reads as one: a row whose time is not a time (a hand-edited file) is passed over.
        return next(((when, str(outcome)) for value, outcome in rows if (when := _aware_time(value)) is not None),
                    None)

    def profiles(self) -> list[str]:
        """Every profile that has rows, by name."""
        return [str(name) for (name,) in self._read("SELECT DISTINCT profile FROM attempts ORDER BY profile", [])]

    def recent_numbers(self, profile: str | None, limit: int = 50) -> list[str]:
        """The numbers this profile called most recently (digits, newest first, each once): for completions."""
        where, params = ("WHERE profile = ?", [profile]) if profile is not None else ("", [])
        rows = self._read(
            f"SELECT phone FROM attempts {where} GROUP BY phone ORDER BY max(id) DESC LIMIT ?", [*params, limit]
        )
        return [str(phone) for (phone,) in rows if isinstance(phone, str) and phone.isdigit()]

    def prior_call(self, phone_digits: str) -> PriorCall | None:
        """The last call (sent or unknown) to this number, and the OS user who made it."""
        from termii_desk.core.history_backend import PriorCall

        rows = self._read(
            "SELECT time_utc, os_user, outcome FROM attempts WHERE phone = ? AND outcome IN ('sent', 'unknown')"
            " ORDER BY id DESC LIMIT 20", [phone_digits])
        # The newest time that reads as one: a row whose time is not a time (a hand-edited file) is passed over.
        return next((PriorCall(when, str(user), str(outcome)) for value, user, outcome in rows
                     if (when := _aware_time(value)) is not None), None)

    @staticmethod
    def _where(q: HistoryQuery, profile: str | None = None, *, like: bool = True, paging: bool = False
               ) -> tuple[list[str], list[object]]:
        """The conditions of ``q`` and ``profile``; the digits' too when ``like`` (else the phone index reads them);
        ``paging``: for a page (newest first, limited), not a count."""
        where: list[str] = []
        params: list[object] = []
        if q.digits and like:
            where.append("phone LIKE ?")
            params.append(f"%{q.digits}%")
        if profile is not None:
            where.append("profile = ?")
            params.append(profile)
        if q.outcomes:
            # Known outcomes are written into the statement: SQLite uses the partial index of unknown outcomes
            # only for a literal ``outcome = 'unknown'`` (a bound parameter could be anything).
            known = sorted(q.outcomes & _OUTCOME_VALUES)
            others = sorted(q.outcomes - _OUTCOME_VALUES)
            terms = [f"'{value}'" for value in known] + ["?" for _ in others]
            where.append(f"outcome = {terms[0]}" if len(terms) == 1 else f"outcome IN ({', '.join(terms)})")
            params.extend(others)
        # The time index serves a count over a range; a page reads newest first by id and stops at its limit (the
        # time index would read and sort every row of a long range first), as does "needs checking" (its own
        # partial index holds few rows): there ``+time_utc`` keeps the time index out.
        when = "+time_utc" if paging or q.outcomes else "time_utc"
        if q.since is not None:
            where.append(f"{when} >= ?")
            params.append(q.since_text())
        if q.until is not None:
            where.append(f"{when} < ?")
            params.append(q.until_text())
        return where, params

    def _read(self, sql: str, params: list[object]) -> list[tuple[Any, ...]]:
        retried = False
        while True:
            with self._read_lock:
                generation = self._generation
                try:
                    return self._reader.execute(sql, params).fetchall()
                except sqlite3.Error as exc:
                    failure = exc
            if not retried and _kind(failure) == _DAMAGED and self._recover(generation):
                retried = True
                continue
            raise _history_error(failure, writing=False) from None


def _roll_back(conn: sqlite3.Connection) -> None:
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error:
        pass  # the error being reported is the one that matters


def _check_integrity(conn: sqlite3.Connection) -> None:
    """``PRAGMA quick_check``: every page and index of the file readable (about 35 ms at 100,000 rows).

    Raises ``_Damaged`` (closing ``conn``) when it finds damage.
    """
    try:
        found = conn.execute("PRAGMA quick_check(1)").fetchall()
    except sqlite3.Error as exc:
        if _kind(exc) != _DAMAGED:
            conn.close()
            raise
        found = [(_code_name(exc),)]
    if found != [("ok",)]:
        conn.close()
        raise _Damaged(display_text(found[0][0] if found else "no answer", 200))


def _aware_time(value: object) -> datetime | None:
    """A stored time as an aware datetime (UTC when it has no zone); None when it is not a time at all."""
    try:
        when = datetime.fromisoformat(str(value))
    except (ValueError, TypeError, OverflowError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def _digits(phone_filter: str) -> str:
    return "".join(ch for ch in phone_filter if ch in "0123456789")


def _phrase(digits: str) -> str:
    """An FTS5 phrase: the trigrams of ``digits`` in a row, i.e. numbers that contain them."""
    return f'"{digits}"'


def _unsupported(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "no such module" in text or "no such tokenizer" in text


# The columns of an export, in order; ``time`` is the attempt's local time in ISO 8601 with its UTC offset.
CSV_FIELDS = ("time", "profile", "phone", "code_masked", "outcome", "http_status", "message_id", "termii_message",
              "balance", "currency", "duration_ms", "error", "base_host", "os_user", "machine", "app_version")
CSV_BOM = "\ufeff"  # spreadsheets read the file as UTF-8 only with it (names, the mask's dots)
# A cell starting with one of these is run as a formula by spreadsheets (CSV injection): it gets a leading '.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def export_csv(rows: Iterable[HistoryRow]) -> str:
    """The file an export writes: a UTF-8 BOM, then ``rows_to_csv``."""
    return CSV_BOM + rows_to_csv(rows)


def every_row(store: Any, *, phone_filter: str = "", profile: str | None = None, query: HistoryQuery | None = None,
              page_size: int = 1000) -> list[HistoryRow]:
    """Every attempt ``store`` has for this filter (or query) and profile, newest first, read page by page."""
    rows: list[HistoryRow] = []
    before: int | None = None
    q = HistoryQuery.of(phone_filter, query)
    while True:
        page = store.page(page_size, before_id=before, profile=profile, query=q)
        rows.extend(page)
        if len(page) < page_size:
            break
        before = page[-1].id
    return rows


def write_export(store: Any, path: Path, *, phone_filter: str = "", profile: str | None = None,
                 query: HistoryQuery | None = None, page_size: int = 1000) -> int:
    """Write every attempt ``store`` has for this filter and profile (what the window's table shows, not only the
    loaded rows) to ``path`` as ``export_csv``, replacing it atomically. Returns how many. Raises ``OSError``,
    ``HistoryError``."""
    import tempfile

    rows = every_row(store, phone_filter=phone_filter, profile=profile, query=query, page_size=page_size)
    fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=".csv", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(export_csv(rows))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(rows)


def rows_to_csv(rows: Iterable[HistoryRow]) -> str:
    """CSV for a spreadsheet: a header row, then one row per attempt (RFC 4180 quoting, CRLF line ends).

    Codes are masked as stored; the key is never in history, so never here. The phone number is written as
    ``="2348031234567"``, which spreadsheets show as that text (a bare number of 13 digits becomes
    2.34803E+12 and loses its last digits); every other cell that would start a formula gets a leading '.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for row in rows:
        writer.writerow([_csv_cell(row, name) for name in CSV_FIELDS])
    return out.getvalue()


def csv_phone(cell: str) -> str:
    """The number back from an export's phone cell (for whoever reads the file with a program)."""
    return cell[2:-1] if cell.startswith('="') and cell.endswith('"') else cell.lstrip("'")


def _csv_cell(row: HistoryRow, name: str) -> str:
    if name == "time":
        when = _aware_time(row.time_utc)
        try:
            text = when.astimezone().isoformat(timespec="seconds") if when else display_text(row.time_utc, 64)
        except (OverflowError, ValueError):  # year 1 in a zone west of UTC: before any date there is
            text = display_text(row.time_utc, 64)
    else:
        value = getattr(row, name)
        text = display_text(value, STORED_TEXT_LIMIT)  # no control characters reach a terminal or sheet
    if name == "phone" and text.isdigit() and text.isascii():
        return f'="{text}"'
    if text.lstrip(" ")[:1] in _FORMULA_STARTS:
        text = "'" + text
    return text


def elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _yield_the_processor() -> None:
    """Lower the calling thread's scheduling priority (Linux gives each thread its own nice value); elsewhere,
    or when refused, nothing changes."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            thread = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + BACKGROUND_NICE))
