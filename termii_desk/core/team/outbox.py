"""Calls waiting for the shared history: a local SQLite file, one row per attempt, each with its UUID.

When the server cannot be reached, an attempt is written here instead (and completed here). When it can be
again, each waiting attempt is inserted with ``ON CONFLICT (uuid) DO NOTHING`` and only then removed from
here: a sync that is interrupted, or run twice, or by two processes at once, sends every attempt once.
An attempt started on the server whose completion could not reach it waits here as a completion (``kind``
``complete``), applied only to a row still in flight.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from termii_desk.core.history import HistoryError, move_aside
from termii_desk.core.paths import private_file
from termii_desk.core.team import OUTBOX_NAME
from termii_desk.core.team.schema import ERASED_MARK

log = logging.getLogger(__name__)

OUTBOX_GLOB = OUTBOX_NAME.format("*")
# Texts of an entry a number may appear in (besides ``phone``): Termii's message and the desk's sentence.
_TEXT_FIELDS = ("termii_message", "error")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS waiting (
    seq INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('insert', 'complete')),
    row TEXT NOT NULL,
    UNIQUE (uuid, kind)
)
"""


@dataclass(frozen=True)
class Waiting:
    """One entry: ``row`` holds the attempt's columns (for ``insert``) or its completion (for ``complete``)."""

    seq: int
    uuid: str
    kind: str
    row: dict[str, Any]
    text: str  # the row as stored: removal after a sync checks that it did not change meanwhile


class OutboxClosed(HistoryError):
    """The outbox was closed (its desk closed) before a read or write queued on a worker reached it."""

    def __init__(self) -> None:
        super().__init__("History is closed.")


class Outbox:
    """The waiting attempts of one desk. Thread-safe; each change is its own transaction.

    Once closed, every method raises ``OutboxClosed`` (a ``HistoryError``): a read still queued on a worker
    when its window closed ends in that answer, never in SQLite's error about a closed database.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.notice: str | None = None  # a sentence for the agent when the file had to be moved aside
        self._lock = threading.Lock()
        self._closed = False
        try:
            self._conn = self._connect(path)
        except sqlite3.DatabaseError as exc:  # not a database, or damaged: calls must still go out
            if path is None:
                raise
            moved = move_aside(path)
            log.warning("team outbox damaged at open (%s): moved aside to %s", type(exc).__name__, moved.name)
            self.notice = (f"This desk's outbox (calls waiting for the shared history) was damaged; it was moved "
                           f"aside to {moved.name} and a new one started. Calls it held may be missing from the "
                           "shared history.")
            self._conn = self._connect(path)

    @staticmethod
    def _connect(path: Path | None) -> sqlite3.Connection:
        if path is not None:
            private_file(path)  # 0600 in a 0700 folder: it holds customers' numbers (its -wal, -shm follow)
        conn = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False, timeout=5.0,
                               isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 5000")
            if path is not None:
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(_SCHEMA)
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._conn.close()

    @contextmanager
    def _open(self) -> Iterator[sqlite3.Connection]:
        """The connection, under the lock; ``OutboxClosed`` once closed."""
        with self._lock:
            if self._closed:
                raise OutboxClosed()
            yield self._conn

    def add(self, uuid: str, kind: str, row: dict[str, Any]) -> int:
        """Keep an attempt (or a completion); returns its local sequence number."""
        with self._open() as conn:
            cursor = conn.execute(
                "INSERT INTO waiting (uuid, kind, row) VALUES (?, ?, ?)"
                " ON CONFLICT (uuid, kind) DO UPDATE SET row = excluded.row",
                (uuid, kind, json.dumps(row, default=str)),
            )
            seq = cursor.lastrowid
            if not seq:
                seq = conn.execute("SELECT seq FROM waiting WHERE uuid = ? AND kind = ?",
                                         (uuid, kind)).fetchone()[0]
            return int(seq)

    def complete(self, seq: int, changes: dict[str, Any]) -> bool:
        """An attempt that waits here finished: its completion goes into the same entry. False: not here."""
        with self._open() as conn:
            found = conn.execute("SELECT row FROM waiting WHERE seq = ?", (seq,)).fetchone()
            if found is None:
                return False
            row = {**json.loads(found[0]), **changes}
            conn.execute("UPDATE waiting SET row = ? WHERE seq = ?", (json.dumps(row, default=str), seq))
            return True

    def get(self, seq: int) -> Waiting | None:
        with self._open() as conn:
            found = conn.execute("SELECT seq, uuid, kind, row FROM waiting WHERE seq = ?",
                                       (seq,)).fetchone()
        return _waiting(found) if found else None

    def remove(self, entry: Waiting) -> bool:
        """Forget an entry the server now has, unless it changed since it was read (completed meanwhile)."""
        with self._open() as conn:
            return conn.execute("DELETE FROM waiting WHERE seq = ? AND row = ?",
                                      (entry.seq, entry.text)).rowcount == 1

    def entries(self) -> list[Waiting]:
        """Oldest first."""
        with self._open() as conn:
            found = conn.execute("SELECT seq, uuid, kind, row FROM waiting ORDER BY seq").fetchall()
        return [_waiting(row) for row in found]

    def __iter__(self) -> Iterator[Waiting]:
        return iter(self.entries())

    def erase_number(self, phone_digits: str) -> int:
        """Replace a customer's number with the redaction mark in every waiting entry (its ``phone``, and
        wherever Termii's message or the desk's sentence quotes it), in one transaction. Returns how many
        entries changed. A sync re-reads each entry just before sending it, so it sends them masked."""
        if not phone_digits:
            return 0
        changed = 0
        with self._open() as conn:
            conn.execute("PRAGMA secure_delete = ON")  # the old text is overwritten in the file, not just freed
            conn.execute("BEGIN IMMEDIATE")
            try:
                for seq, text in conn.execute("SELECT seq, row FROM waiting").fetchall():
                    row = json.loads(text)
                    masked = _masked(row, phone_digits)
                    if masked != row:
                        conn.execute("UPDATE waiting SET row = ? WHERE seq = ?", (json.dumps(masked, default=str),
                                                                                  seq))
                        changed += 1
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            if changed and self.path is not None:
                # Nor left in the write-ahead log: its frames are copied into the file and the log emptied.
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return changed

    def count(self) -> int:
        """Attempts waiting (a completion of an attempt already on the server counts as one too)."""
        with self._open() as conn:
            return int(conn.execute("SELECT count(*) FROM waiting").fetchone()[0])


def _masked(row: dict[str, Any], phone_digits: str) -> dict[str, Any]:
    masked = dict(row)
    if str(masked.get("phone", "")) == phone_digits:
        masked["phone"] = ERASED_MARK
    for name in _TEXT_FIELDS:
        value = masked.get(name)
        if isinstance(value, str) and phone_digits in value:
            masked[name] = value.replace(phone_digits, ERASED_MARK)
    return masked


def erase_from_outboxes(data_dir: Path, phone_digits: str) -> tuple[int, list[str]]:
    """``team erase-number`` on this computer: the number masked in every team outbox of this desk (every
    profile's and server's: an erasure is about the customer). Returns how many waiting entries changed, and
    the sentences of outboxes found damaged (moved aside unread: they may still hold the number)."""
    changed = 0
    damaged = [f"A damaged outbox was moved aside earlier as {path.name}." for path in
               sorted(data_dir.glob(OUTBOX_GLOB + ".damaged-*")) if not path.name.endswith(("-wal", "-shm"))]
    for path in sorted(data_dir.glob(OUTBOX_GLOB)):
        outbox = Outbox(path)
        try:
            if outbox.notice:
                damaged.append(outbox.notice)
            changed += outbox.erase_number(phone_digits)
        finally:
            outbox.close()
    return changed, damaged


def _waiting(found: tuple[Any, ...]) -> Waiting:
    return Waiting(int(found[0]), str(found[1]), str(found[2]), json.loads(found[3]), str(found[3]))
