"""The shared history on PostgreSQL: the same interface as the SQLite file, with an outbox for when it is down.

The only module that imports the PostgreSQL driver (psycopg 3), and only when a shared history is configured.

- Writes: an attempt is inserted before its request goes out and completed after; the cooldown check and
  that insert are one transaction under a per-number advisory lock, so of many desks pressing Send for one
  number at once exactly one gets a row. Times are the server's (``now()``).
- Offline: when the server cannot be reached (or its schema does not fit), attempts go to the local outbox
  (``outbox.py``) and are sent, exactly once by UUID, when it can be reached again.
- Live: ``start_listening`` runs a worker thread that LISTENs for other desks' rows and reconnects (and syncs
  the outbox) when the server comes back. Nothing here ever runs on the GUI thread.
"""

from __future__ import annotations

import functools
import getpass
import logging
import platform
import threading
import uuid as uuidlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import psycopg
from psycopg import sql

from termii_desk import __version__
from termii_desk.core.errors import Outcome
from termii_desk.core.history import INTERRUPTED_TEXT, HistoryError, HistoryRow
from termii_desk.core.history_backend import HistoryQuery, PriorCall, RecentlyCalled, RowListener
from termii_desk.core.logs import register_secret
from termii_desk.core.team import HistoryTarget, parse_history_url, url_password
from termii_desk.core.team.outbox import Outbox, Waiting
from termii_desk.core.team.schema import (
    AGENT_GROUP,
    COMPLETE_COLUMNS,
    ERASED_MARK,
    LOCK_SPACE,
    NOTIFY_CHANNEL,
    SCHEMA,
    SCHEMA_VERSION,
    init_statements,
    team_door,
)
from termii_desk.core.validation import Code

log = logging.getLogger(__name__)

TABLE = f"{SCHEMA}.attempts"
CONNECT_TIMEOUT_SECONDS = 3
# How long a statement may take before the desk gives up on the server (and keeps the attempt in the outbox).
STATEMENT_TIMEOUT_MS = 5000
RECONNECT_SECONDS = 1.0
RECONNECT_MAX_SECONDS = 10.0
LISTEN_WAKE_SECONDS = 0.25
# Closing: how long the window's close waits for the server to take an abandoned call's completion (it is in
# the outbox already, so the next start sends it otherwise), and for completions and the listener to finish.
ABANDON_WAIT_SECONDS = 3.0
CLOSE_WAIT_SECONDS = 3.0
OFFLINE_COOLDOWN = "Meanwhile the cooldown looks at this desk's calls only."
_ROW_COLUMNS = ("id", "called_at", "os_user", "app_version", "base_host", "phone", "code_masked", "outcome",
                "http_status", "message_id", "termii_message", "balance", "currency", "duration_ms", "error",
                "agent", "machine", "profile", "via_outbox")
_SELECT = f"SELECT {', '.join(_ROW_COLUMNS)} FROM {TABLE}"


@dataclass(frozen=True)
class TeamRow(HistoryRow):
    """A shared-history row: who (the database role that wrote it), from which machine and profile."""

    agent: str = ""
    machine: str = ""
    profile: str = ""
    via_outbox: bool = False  # written on the desk while the server was unreachable, sent later


@dataclass(frozen=True)
class SyncReport:
    sent: int  # attempts (and completions) the server now has
    already: int  # the server had them already (a sync that had been interrupted, or run twice)
    left: int  # still waiting

    def sentence(self) -> str:
        text = f"{self.sent} call{'s' if self.sent != 1 else ''} sent to the shared history"
        if self.already:
            text += f" ({self.already} it already had)"
        return text + (f"; {self.left} still waiting." if self.left else "; none waiting.")


@dataclass(frozen=True)
class TeamStatus:
    server: str  # the URL without its password
    agent: str  # the database role, as the server knows it ("" when not connected)
    schema_version: int | None
    waiting: int
    problem: str | None


def explain(exc: BaseException, target: HistoryTarget, *, owner: bool = False) -> str:
    """One sentence for a driver error, naming the server without its password; never the driver's text.

    ``owner``: the connection was the team owner's (``team init``, ``add-agent``, ``purge``, ``erase-number``),
    so the sentence names the owner and what the owner can do, not an agent and "ask the team's owner".
    """
    text = str(exc).lower()
    where = f"the shared history at {target.place}"
    head = where[0].upper() + where[1:]  # the same words at the start of a sentence
    who = target.user or getpass.getuser()
    role = f'the owner "{who}"' if owner else f'agent "{who}"'
    # The owner's commands take their URL with --url: a password stored for it is stored with the same --url.
    set_it = ("`termii-desk team password set --url` and this command's URL" if owner
              else "`termii-desk team password set`")
    if "no password supplied" in text:
        return (f"{head} asks {role} for a password, and this desk has none: set it with {set_it} "
                "(or PGPASSWORD, ~/.pgpass).")
    if "password authentication failed" in text:
        if owner:
            return (f"{head} refused the password of {role}. Check it, then set it again with {set_it} "
                    "(or PGPASSWORD, ~/.pgpass).")
        return (f"{head} refused the password of {role}. Set it again with {set_it}, or ask the team's owner.")
    if "server does not support ssl" in text:
        return (f"{head} does not offer TLS, but the URL asks for it (sslmode). "
                + ("Turn TLS on at the server" if owner else "Ask the team's owner to turn TLS on")
                + ", or change sslmode in the URL.")
    if "role" in text and "does not exist" in text:
        if owner:
            return (f"{head} has no role \"{who}\": the owner's commands connect as the database's owner; "
                    "check the user name in the URL.")
        return f"{head} has no agent \"{who}\": ask the team's owner to run `termii-desk team add-agent`."
    if "database" in text and "does not exist" in text:
        return f"The database {target.database!r} does not exist on {target.host}:{target.port}."
    if "permission denied" in text or isinstance(exc, psycopg.errors.InsufficientPrivilege):
        if owner:
            return (f"\"{who}\" may not connect to {where}: the owner's commands connect as the database's "
                    "owner; check the user name in the URL.")
        return (f"Agent \"{who}\" may not use {where}: ask the team's owner to run "
                "`termii-desk team add-agent` (or `team init` after an update).")
    if "timeout" in text or "timed out" in text or isinstance(exc, psycopg.errors.QueryCanceled):
        return f"{head} did not answer in time."
    if "could not translate host name" in text or "name or service not known" in text:
        return f"The shared history's host {target.host!r} is not known (DNS)."
    if isinstance(exc, psycopg.OperationalError):
        return f"{head} cannot be reached."
    return f"{head} failed ({type(exc).__name__})."


def connect(target: HistoryTarget, password: str | None, *, autocommit: bool = True,
            timeout: int = CONNECT_TIMEOUT_SECONDS) -> psycopg.Connection[Any]:
    """A connection with the desk's limits; the password comes from the keyring or libpq's own ways."""
    extra: dict[str, Any] = {"connect_timeout": timeout, "application_name": "termii-desk",
                             "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
                             "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
                             "keepalives_count": 2}
    if password:
        extra["password"] = password
    try:
        return psycopg.connect(target.url, autocommit=autocommit, **extra)
    except psycopg.ProgrammingError:  # an unreadable URL: the driver's message may quote it, password and all
        raise psycopg.OperationalError("invalid connection URL") from None


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """0 when the database holds no desk schema yet."""
    found = conn.execute(f"SELECT to_regclass('{SCHEMA}.meta') IS NOT NULL").fetchone()
    if not found or not found[0]:
        return 0
    row = conn.execute(f"SELECT value FROM {SCHEMA}.meta WHERE name = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def schema_problem(version: int) -> str | None:
    if version > SCHEMA_VERSION:
        return (f"The shared history was set up by a newer Termii Desk (schema {version}; this desk knows "
                f"{SCHEMA_VERSION}). Update Termii Desk; until then calls are kept on this desk.")
    if version == 0:
        return "The shared history is not set up yet: ask the team's owner to run `termii-desk team init`."
    if version < SCHEMA_VERSION:
        return (f"The shared history's schema is older (schema {version}): ask the team's owner to run "
                "`termii-desk team init`. Until then calls are kept on this desk.")
    return None


def _machine() -> str:
    return platform.node()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers, services)
        return ""


def _utc_text(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _now_text() -> str:
    return _utc_text(datetime.now(timezone.utc))


def _team_row(values: dict[str, Any]) -> TeamRow:
    known = {f.name for f in fields(TeamRow)}
    data = {name: value for name, value in values.items() if name in known}
    when = data.get("time_utc") or values.get("called_at")
    data["time_utc"] = _utc_text(when) if isinstance(when, datetime) else str(when)
    for f in fields(TeamRow):  # columns a newer HistoryRow may have that this backend does not fill
        if f.name not in data:
            data[f.name] = values.get(f.name, "" if f.type in ("str", str) else None)
    return TeamRow(**data)


def _close(conn: psycopg.Connection[Any] | None) -> None:
    if conn is not None:
        try:
            conn.close()
        except Exception:
            log.debug("closing a shared-history connection failed", exc_info=True)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _settled_reads(read: Callable[Concatenate[TeamHistory, _P], _R]) -> Callable[Concatenate[TeamHistory, _P], _R]:
    """A read of both the outbox and the server never runs while a sync moves attempts from one to the other."""

    @functools.wraps(read)
    def settled(self: TeamHistory, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with self._sync_lock:
            return read(self, *args, **kwargs)

    return settled


class TeamHistory:
    """The shared history of one desk: a PostgreSQL database, and this desk's outbox for when it is down.

    ``remote``: every read may wait on the network, so a window never reads it on its GUI thread.
    Safe to use from several threads. ``connect_now``: try the server in the constructor (the command line);
    the window passes False and lets ``start_listening``'s thread connect, so nothing waits on the network.
    """

    remote = True

    def __init__(self, url: str, *, outbox_path: Path | None, password: str | None = None,
                 profile: str = "default", connect_now: bool = True) -> None:
        self.target = parse_history_url(url)
        self.path = outbox_path
        self.profile = profile
        self.notice: str | None = None
        self._password = password or None
        register_secret(self._password)
        register_secret(url_password(url))
        self.outbox = Outbox(outbox_path)
        self.outbox_notice = self.outbox.notice  # the outbox was damaged and moved aside: said once
        self.notice = self.outbox_notice
        self._lock = threading.RLock()  # the connection (writes and reads) and the online state
        self._sync_lock = threading.RLock()  # a sync, and the reads that must not see one half done
        self._write: psycopg.Connection[Any] | None = None
        self._online = False
        self._tried = False
        self.problem: str | None = "Connecting to the shared history…"
        self.agent = ""
        self.server_schema: int | None = None
        self._uuids: dict[int, str] = {}  # row id (or -outbox seq) -> uuid, for this process's attempts
        # This process's attempts still waiting for their completion: whoever takes one from here (the answer,
        # or the agent closing without waiting for it) completes it; the other finds it gone. First one wins.
        self._open: set[int] = set()
        self._open_lock = threading.Lock()
        self._abandoned: set[int] = set()  # attempts recorded as unknown because the window closed first
        self._completing = 0  # completions under way (close waits a moment for them: never lost to a close)
        self._settled = threading.Condition()
        self._row_listeners: list[RowListener] = []
        self._state_listeners: list[Callable[[str | None], None]] = []
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None
        self.last_sync = SyncReport(0, 0, 0)
        self._closed = False
        if connect_now:
            self.reconnect()

    # -- connection state ------------------------------------------------------------------------

    @property
    def online(self) -> bool:
        return self._online

    def state_text(self) -> str | None:
        """None when all is well; else the line the window and the command line show."""
        if self._online:
            return None
        waiting = self.outbox.count()
        head = f"Shared history unreachable: {waiting} call{'s' if waiting != 1 else ''} waiting."
        text = f"{head} {self.problem}" if self.problem else head
        return text + " " + OFFLINE_COOLDOWN

    def on_state_changed(self, listener: Callable[[str | None], None]) -> None:
        """``listener(state_text())`` is called (on a worker thread) whenever the server goes or comes back."""
        self._state_listeners.append(listener)

    def on_row(self, listener: RowListener) -> None:
        """``listener(row_id)`` is called (on the listening thread) for each row any desk writes or completes."""
        self._row_listeners.append(listener)

    def reconnect(self) -> bool:
        """Open the connections, check the schema, send the outbox. True when the shared history is usable."""
        with self._lock:
            self._tried = True
            self._drop_connections()
        conn: psycopg.Connection[Any] | None = None
        try:  # outside the locks: a server slow to answer never holds a read of the outbox meanwhile
            conn = connect(self.target, self._password)
            version = schema_version(conn)
            agent = conn.execute("SELECT current_user").fetchone()
        except psycopg.Error as exc:
            _close(conn)
            with self._lock:
                self._set_offline(explain(exc, self.target))
            return False
        problem = schema_problem(version)
        if problem is not None:
            conn.close()
            with self._lock:
                self.server_schema = version
                self.agent = str(agent[0]) if agent else ""
                self._set_offline(problem)
            return False
        # Reads wait for this (``_settled_reads``): none sees the server's rows before the outbox is on them (an
        # attempt would read as both waiting and sent, or as "the desk stopped" while its completion waits here).
        with self._sync_lock:
            with self._lock:
                self._drop_connections()
                self.server_schema = version
                self.agent = str(agent[0]) if agent else ""
                self._write = conn
                came_back = self._set_online(announce=False)
            self.sync()
        if came_back:
            self._announce()  # after the sync: "back" means the waiting calls are on the server
        return self._online

    def _set_offline(self, problem: str) -> None:
        changed = self._online or self.problem != problem
        self._online = False
        self.problem = problem
        self._drop_connections()
        if changed:
            log.warning("shared history offline: %s", problem)
            self._announce()

    def _set_online(self, *, announce: bool = True) -> bool:
        """True when it was not online before."""
        changed = not self._online
        self._online = True
        self.problem = None
        if changed:
            log.info("shared history online at %s", self.target.place)
            if announce:
                self._announce()
        return changed

    def _announce(self) -> None:
        state = self.state_text()
        self.notice = state
        for listener in list(self._state_listeners):
            try:
                listener(state)
            except Exception:
                log.exception("state listener failed")

    def _drop_connections(self) -> None:
        write, self._write = self._write, None
        _close(write)

    @contextmanager
    def _writer(self) -> Iterator[psycopg.Connection[Any]]:
        """The write connection, under the lock; a driver error takes the desk offline and re-raises."""
        with self._lock:
            if not self._online or self._write is None:
                raise psycopg.OperationalError(self.problem or "offline")
            try:
                yield self._write
            except psycopg.Error as exc:
                self._set_offline(explain(exc, self.target))
                raise

    def close(self) -> None:
        """Stop listening and close the connections and the outbox. Bounded: a completion under way gets a
        moment to reach the server or the outbox first; a server that hangs never holds the close."""
        self._closed = True
        self._stop.set()
        with self._settled:
            self._settled.wait_for(lambda: self._completing == 0, timeout=CLOSE_WAIT_SECONDS)
        if self._listener is not None:
            self._listener.join(timeout=CLOSE_WAIT_SECONDS)
        if self._lock.acquire(timeout=CLOSE_WAIT_SECONDS):
            try:
                self._drop_connections()
            finally:
                self._lock.release()
        self.outbox.close()

    # -- writing ---------------------------------------------------------------------------------

    def _new_row(self, phone_digits: str, code: Code, base_host: str) -> dict[str, Any]:
        return {"uuid": str(uuidlib.uuid4()), "os_user": _os_user(), "machine": _machine(),
                "app_version": __version__, "profile": self.profile, "base_host": base_host,
                "phone": phone_digits, "code_masked": code.masked, "outcome": Outcome.UNKNOWN.value,
                "error": INTERRUPTED_TEXT}

    def start_attempt(self, phone_digits: str, code: Code, base_host: str) -> int:
        return self._start(self._new_row(phone_digits, code, base_host), cooldown_seconds=0)

    def reserve_attempt(self, phone_digits: str, code: Code, base_host: str, *, cooldown_seconds: int) -> int:
        return self._start(self._new_row(phone_digits, code, base_host), cooldown_seconds=cooldown_seconds)

    def _start(self, row: dict[str, Any], *, cooldown_seconds: int) -> int:
        if not self._tried and self._listener is None:  # with a listener, its thread connects: never a call
            self.reconnect()
        if cooldown_seconds > 0:
            local = self._local_prior(row["phone"], cooldown_seconds)
            if local is not None:  # this desk's own waiting call: no need to ask the server
                raise RecentlyCalled.by(local, cooldown_seconds, row["phone"])
        if self._online:
            try:
                with self._writer() as conn, conn.transaction():
                    if cooldown_seconds > 0:
                        conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (LOCK_SPACE, row["phone"]))
                        found = conn.execute(
                            f"SELECT called_at, agent, outcome FROM {TABLE} WHERE phone = %s"
                            " AND outcome IN ('sent', 'unknown') AND called_at > now() - make_interval(secs => %s)"
                            " ORDER BY called_at DESC LIMIT 1",
                            (row["phone"], cooldown_seconds),
                        ).fetchone()
                        if found is not None:
                            raise RecentlyCalled.by(PriorCall(found[0], str(found[1]), str(found[2])),
                                                    cooldown_seconds, row["phone"])
                    names = list(row)
                    inserted = conn.execute(
                        sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING id").format(
                            sql.SQL(TABLE), sql.SQL(", ").join(map(sql.Identifier, names)),
                            sql.SQL(", ").join(sql.Placeholder() * len(names))),
                        [row[n] for n in names],
                    ).fetchone()
                assert inserted is not None
                row_id = int(inserted[0])
                self._opened(row_id, row["uuid"])
                return row_id
            except psycopg.Error:
                pass  # offline now (the insert may or may not have committed: the UUID makes that harmless)
        row = {**row, "called_at": _now_text(), "via_outbox": True}
        try:
            seq = self.outbox.add(row["uuid"], "insert", row)
        except Exception as exc:
            raise HistoryError(f"The attempt could not be kept on this desk either ({type(exc).__name__}).") from None
        self._opened(-seq, row["uuid"])
        self._announce()  # one more call waiting
        return -seq

    def _opened(self, row_id: int, uuid: str) -> None:
        self._uuids[row_id] = uuid
        with self._open_lock:
            self._open.add(row_id)

    def _claim(self, row_id: int) -> str | None:
        """The attempt's UUID if this caller is the one to complete it; None if it was completed already (or
        is not this process's attempt)."""
        with self._open_lock:
            if row_id not in self._open:
                return None
            self._open.discard(row_id)
        return self._uuids.get(row_id)

    @contextmanager
    def _completion(self) -> Iterator[None]:
        with self._settled:
            self._completing += 1
        try:
            yield
        finally:
            with self._settled:
                self._completing -= 1
                self._settled.notify_all()

    def _local_prior(self, phone_digits: str, cooldown_seconds: int) -> PriorCall | None:
        cutoff = datetime.now(timezone.utc) - timedelta(seconds=cooldown_seconds)
        best: PriorCall | None = None
        for entry in self.outbox.entries():
            row = entry.row
            if entry.kind != "insert" or row.get("phone") != phone_digits:
                continue
            if row.get("outcome") not in ("sent", "unknown"):
                continue
            when = datetime.fromisoformat(str(row["called_at"]))
            if when > cutoff and (best is None or when > best.when):
                best = PriorCall(when, "this desk", str(row["outcome"]), local_only=not self._online)
        return best

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
        changes = {"outcome": outcome.value, "http_status": http_status, "message_id": message_id,
                   "termii_message": termii_message, "balance": balance, "currency": currency,
                   "duration_ms": duration_ms, "error": error}
        with self._completion():
            uuid = self._claim(row_id)
            if uuid is None:
                if row_id in self._abandoned:  # the agent closed the window without waiting: recorded first
                    log.info("an answer (%s) came after the window was closed; the attempt stays unknown",
                             outcome.value)
                    return
                raise HistoryError("That attempt is not this desk's to complete.")
            if row_id < 0 and self.outbox.complete(-row_id, changes):
                return
            if self._online:
                try:
                    with self._writer() as conn:
                        self._apply_completion(conn, uuid, changes)
                    return
                except psycopg.Error:
                    pass
            self.outbox.add(uuid, "complete", changes)
        self._announce()

    def abandon_attempt(self, row_id: int, *, duration_ms: int, error: str) -> bool:
        """Complete this desk's attempt still waiting for its answer as unknown, ``error`` saying why (the agent
        closed the window without waiting). True when recorded; False when its answer was recorded first (that
        answer stands) or it is not this desk's attempt. An answer arriving after this keeps the unknown.

        Exactly once, whether the server can be reached or not: the completion is kept in the outbox first (a
        local transaction), then sent to the server as one conditional UPDATE of a row still in flight (the
        one change the row rules let an agent make), and only then removed from the outbox. If the server
        cannot take it within ``ABANDON_WAIT_SECONDS`` it waits in the outbox and the next start sends it: a
        completion the server already has changes nothing the second time.
        """
        changes: dict[str, Any] = {name: None for name in COMPLETE_COLUMNS}
        changes.update(outcome=Outcome.UNKNOWN.value, duration_ms=duration_ms, error=error)
        with self._completion():
            uuid = self._claim(row_id)
            if uuid is None:
                return False
            self._abandoned.add(row_id)
            # Never reached the server: its entry here takes the completion, and both go with the next sync.
            if not (row_id < 0 and self.outbox.complete(-row_id, changes)):
                self.outbox.add(uuid, "complete", changes)
        done = threading.Event()

        def send() -> None:
            try:
                if not self._online and not self._closed:
                    self.reconnect()  # sends the outbox when the server is back
                else:
                    self.sync()
            except Exception:  # the desk closed meanwhile (its outbox with it): the entry waits for next start
                log.info("an abandoned call's completion waits in the outbox", exc_info=True)
            finally:
                done.set()

        threading.Thread(target=send, name="team-history-abandon", daemon=True).start()
        done.wait(ABANDON_WAIT_SECONDS)
        return True

    @staticmethod
    def _apply_completion(conn: psycopg.Connection[Any], uuid: str, changes: dict[str, Any]) -> int:
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(name), sql.Placeholder()) for name in COMPLETE_COLUMNS
        )
        return conn.execute(
            sql.SQL("UPDATE {} SET {} WHERE uuid = %s AND duration_ms IS NULL").format(sql.SQL(TABLE), assignments),
            [*(changes.get(name) for name in COMPLETE_COLUMNS), uuid],
        ).rowcount

    def purge_older_than(self, days: int) -> int:
        """A desk never purges the shared history: that is the owner's ``team purge``."""
        return 0

    # -- the outbox --------------------------------------------------------------------------------

    def sync(self) -> SyncReport:
        """Send every waiting attempt (and completion) once. Safe to interrupt and to run again, anywhere."""
        sent = already = 0
        with self._sync_lock:
            for listed in self.outbox.entries():
                entry = self.outbox.get(listed.seq)  # as it is now: an erasure may have masked it meanwhile
                if entry is None:
                    continue
                try:
                    with self._writer() as conn, conn.transaction():
                        new = self._send(conn, entry)
                except psycopg.Error:
                    break
                self.outbox.remove(entry)
                if new:
                    sent += 1
                else:
                    already += 1
        left = self.outbox.count()
        if sent or already:
            log.info("outbox: %d sent, %d already there, %d left", sent, already, left)
        if sent or already:
            self._announce()  # fewer waiting
        self.last_sync = SyncReport(sent, already, left)
        return self.last_sync

    def _send(self, conn: psycopg.Connection[Any], entry: Waiting) -> bool:
        row = entry.row
        if entry.kind == "complete":
            return self._apply_completion(conn, entry.uuid, row) > 0
        names = [n for n in row if n not in COMPLETE_COLUMNS or n in ("outcome", "error")]
        inserted = conn.execute(
            sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (uuid) DO NOTHING").format(
                sql.SQL(TABLE), sql.SQL(", ").join(map(sql.Identifier, names)),
                sql.SQL(", ").join(sql.Placeholder() * len(names))),
            [row[n] for n in names],
        ).rowcount
        completed = 0
        if row.get("duration_ms") is not None:
            completed = self._apply_completion(conn, entry.uuid, row)
        return inserted > 0 or completed > 0

    # -- reading ---------------------------------------------------------------------------------

    def _query(self, query: str, params: list[Any]) -> list[tuple[Any, ...]] | None:
        """Rows from the server, or None when it cannot answer (the desk is offline then).

        Reads share the write connection: a window holds two connections to the server (this one and its
        listener's), so 50 desks stay within PostgreSQL's default of 100. A read is a few ms to tens of ms.
        """
        if self._closed:  # a read queued on a worker before the desk closed
            raise HistoryError("History is closed.")
        if not self._online:
            return None
        try:
            with self._writer() as conn:
                return conn.execute(query, params).fetchall()
        except psycopg.Error:
            return None  # offline now, with the reason in ``problem``

    def _waiting_rows(self, query: HistoryQuery, profile: str | None = None) -> list[TeamRow]:
        if self._closed:  # a read queued on a worker before the desk closed
            raise HistoryError("History is closed.")
        rows = []
        for entry in reversed(self.outbox.entries()):
            if entry.kind != "insert" or query.digits not in str(entry.row.get("phone", "")):
                continue
            row = _team_row({**entry.row, "id": -entry.seq, "agent": self.agent or self.target.user})
            if query.matches(row) and (profile is None or row.profile == profile):
                rows.append(row)
        return rows

    @staticmethod
    def _where(query: HistoryQuery, profile: str | None) -> tuple[list[str], list[Any]]:
        """The conditions of ``query`` and ``profile`` (the phone's served by the trigram index)."""
        where: list[str] = []
        params: list[Any] = []
        if profile is not None:
            where.append("profile = %s")
            params.append(profile)
        if query.digits:
            where.append("phone LIKE %s")
            params.append(f"%{query.digits}%")
        if query.outcomes:
            where.append("outcome = ANY(%s)")
            params.append(sorted(query.outcomes))
        if query.since is not None:
            where.append("called_at >= %s")
            params.append(query.since)
        if query.until is not None:
            where.append("called_at < %s")
            params.append(query.until)
        return where, params

    @_settled_reads
    def page(
        self, limit: int = 100, *, before_id: int | None = None, phone_filter: str = "", profile: str | None = None,
        query: HistoryQuery | None = None,
    ) -> list[HistoryRow]:
        q = HistoryQuery.of(phone_filter, query)
        waiting: list[HistoryRow] = []
        if before_id is None or before_id < 0:
            waiting = [row for row in self._waiting_rows(q, profile) if before_id is None or row.id < before_id]
        where, params = self._where(q, profile)
        if before_id is not None and before_id > 0:
            where.append("id < %s")
            params.append(before_id)
        statement = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC LIMIT %s"
        found = self._query(statement, [*params, max(0, limit)])
        shared: list[HistoryRow] = [_team_row(dict(zip(_ROW_COLUMNS, r, strict=True))) for r in found or []]
        return (waiting + shared)[: max(0, limit)]

    @_settled_reads
    def count(self, phone_filter: str = "", *, profile: str | None = None, query: HistoryQuery | None = None
              ) -> int:
        q = HistoryQuery.of(phone_filter, query)
        where, params = self._where(q, profile)
        found = self._query(f"SELECT count(*) FROM {TABLE}" + (" WHERE " + " AND ".join(where) if where else ""),
                            params)
        return (int(found[0][0]) if found else 0) + len(self._waiting_rows(q, profile))

    @_settled_reads
    def get(self, row_id: int) -> TeamRow | None:
        if self._closed:
            raise HistoryError("History is closed.")
        if row_id < 0:
            entry = self.outbox.get(-row_id)
            if entry is not None:
                return _team_row({**entry.row, "id": row_id, "agent": self.agent or self.target.user})
            uuid = self._uuids.get(row_id)
            if uuid is None:
                return None
            found = self._query(_SELECT + " WHERE uuid = %s", [uuid])
        else:
            found = self._query(_SELECT + " WHERE id = %s", [row_id])
        return _team_row(dict(zip(_ROW_COLUMNS, found[0], strict=True))) if found else None

    @_settled_reads
    def prior_call(self, phone_digits: str) -> PriorCall | None:
        found = self._query(
            f"SELECT called_at, agent, outcome FROM {TABLE} WHERE phone = %s AND outcome IN ('sent', 'unknown')"
            " ORDER BY called_at DESC LIMIT 1", [phone_digits])
        shared = PriorCall(found[0][0], str(found[0][1]), str(found[0][2])) if found else None
        local = self._local_prior(phone_digits, 10 * 365 * 86400)
        if local is not None and (shared is None or local.when > shared.when):
            return local
        if shared is None and found is None and not self._online:
            return None
        return shared

    def last_sent_to(self, phone_digits: str) -> datetime | None:
        prior = self.prior_call(phone_digits)
        return prior.when if prior else None

    def last_call_to(self, phone_digits: str) -> tuple[datetime, str] | None:
        prior = self.prior_call(phone_digits)
        return (prior.when, prior.outcome) if prior else None

    def status(self) -> TeamStatus:
        return TeamStatus(self.target.shown, self.agent, self.server_schema, self.outbox.count(),
                          None if self._online else self.problem)

    # -- live --------------------------------------------------------------------------------------

    def start_listening(self) -> None:
        """A worker thread that hears other desks' rows and brings the desk back online when it can."""
        if self._listener is None:
            self._listener = threading.Thread(target=self._listen, name="team-history-listener", daemon=True)
            self._listener.start()

    def _listen(self) -> None:
        try:
            self._listen_until_stopped()
        except HistoryError:
            if not self._stop.is_set():
                raise
            # the desk closed (its outbox with it) while this thread was syncing: nothing left to do

    def _listen_until_stopped(self) -> None:
        pause = RECONNECT_SECONDS
        while not self._stop.is_set():
            if not self._online and not self.reconnect():
                # Asked again less and less often (1, 2, 4, 8, then every 10 s): a refused password or a newer
                # schema does not go away by itself, and a server that is down must not be knocked on 50 times
                # a second by a team's desks when it comes back.
                self._stop.wait(pause)
                pause = min(pause * 2, RECONNECT_MAX_SECONDS)
                continue
            pause = RECONNECT_SECONDS
            try:
                conn = connect(self.target, self._password)
            except psycopg.Error as exc:
                with self._lock:
                    self._set_offline(explain(exc, self.target))
                continue
            try:
                conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                if self.outbox.count():
                    self.sync()
                while not self._stop.is_set() and self._online:
                    for note in conn.notifies(timeout=LISTEN_WAKE_SECONDS):
                        self._heard(note.payload)
            except psycopg.Error as exc:
                with self._lock:
                    self._set_offline(explain(exc, self.target))
            finally:
                conn.close()

    def _heard(self, payload: str) -> None:
        try:
            row_id = int(payload)
        except ValueError:
            return
        for listener in list(self._row_listeners):
            try:
                listener(row_id)
            except Exception:
                log.exception("row listener failed")


# -- the owner's commands ------------------------------------------------------------------------------


def init_schema(conn: psycopg.Connection[Any]) -> tuple[int, int]:
    """Create or migrate the schema, the agent group, its grants and row rules. Returns (before, after)."""
    with conn.transaction():
        before = schema_version(conn)
        if before > SCHEMA_VERSION:
            raise HistoryError(
                f"This database holds a newer schema ({before}) than this Termii Desk knows ({SCHEMA_VERSION}); "
                "nothing was changed. Update Termii Desk."
            )
        conn.execute(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{AGENT_GROUP}') THEN "
            f"CREATE ROLE {AGENT_GROUP} NOLOGIN; END IF; END $$"
        )
        for statement in init_statements(before):
            conn.execute(statement)
        _close_the_database_to_other_teams(conn, set_up_before=before > 0)
    return before, SCHEMA_VERSION


def _close_the_database_to_other_teams(conn: psycopg.Connection[Any], *, set_up_before: bool) -> None:
    """Only this team's door role (and the owner) may connect: not PUBLIC, not the server-wide agents' group.

    Made the first time on a database set up by an older release: its agents then are given the door, so
    nobody already at work is locked out (``REVOKE door FROM agent`` takes a role of another team back out).
    """
    database, door = sql.Identifier(conn.info.dbname), team_door(conn.info.dbname)
    new = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (door,)).fetchone() is None
    if new:
        conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(door)))
        if set_up_before:  # by an older release: its agents keep working
            for (member,) in conn.execute(
                    "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
                    " JOIN pg_roles r ON r.oid = m.member WHERE g.rolname = %s", (AGENT_GROUP,)).fetchall():
                conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(door), sql.Identifier(member)))
    conn.execute(sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(database))
    conn.execute(sql.SQL("REVOKE CONNECT ON DATABASE {} FROM {}").format(database, sql.Identifier(AGENT_GROUP)))
    conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, sql.Identifier(door)))


def agent_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an agent's login, or None."""
    if not name or len(name) > 63 or not all(ch.isalnum() or ch in "_.-@" for ch in name):
        return "An agent's name is 1 to 63 letters, digits, '_', '.', '-' or '@'."
    return None


def add_agent(conn: psycopg.Connection[Any], name: str, password: str) -> bool:
    """A login role in the agent group (created, or its password replaced). True when it was created.

    The password is hashed here (SCRAM) before it is sent: the server and its logs never see it in clear.
    """
    problem = agent_name_problem(name)
    if problem is not None:
        raise HistoryError(problem)
    register_secret(password)
    with conn.transaction():
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is not None
        if exists and conn.execute(
            "SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member"
            " WHERE g.rolname = %s AND r.rolname = %s", (AGENT_GROUP, name)).fetchone() is None:
            # Never another role's password (the owner's, a superuser's, the agents' group itself).
            raise HistoryError(f"Nothing changed: {name!r} is a database role that is not one of the team's "
                               "agents. Choose another name for the agent.")
        role = sql.Identifier(name)
        if not exists:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
        if password:
            hashed = conn.pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256").decode()
            conn.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(role, sql.Literal(hashed)))
        else:
            conn.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD NULL").format(role))
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(AGENT_GROUP), role))
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(team_door(conn.info.dbname)), role))
    return not exists


def purge(conn: psycopg.Connection[Any], days: int) -> int:
    """Delete attempts older than ``days`` days (by the server's clock); recorded in owner_actions."""
    with conn.transaction():
        removed = conn.execute(f"DELETE FROM {TABLE} WHERE called_at < now() - make_interval(days => %s)",
                               (days,)).rowcount
        conn.execute(f"INSERT INTO {SCHEMA}.owner_actions (action, detail, rows_changed) VALUES (%s, %s, %s)",
                     ("purge", f"older than {days} days", removed))
    return removed


def is_owner(conn: psycopg.Connection[Any]) -> bool:
    """Whether this connection may change every row (the attempts table's owner, or a member of its role):
    what the server checks before purge and erasure (``stamp_completion``'s rule)."""
    found = conn.execute(
        f"SELECT to_regclass('{TABLE}') IS NOT NULL AND pg_has_role(current_user,"
        f" (SELECT relowner FROM pg_class WHERE oid = to_regclass('{TABLE}')), 'USAGE')").fetchone()
    return bool(found and found[0])


def erase_number(conn: psycopg.Connection[Any], phone_digits: str) -> int:
    """Replace a number with a redaction mark in every row (its attempts stay, as attempts to nobody known).

    What is recorded is that an erasure was done, by whom and when, and how many rows: never the number.
    """
    with conn.transaction():
        changed = conn.execute(
            f"UPDATE {TABLE} SET phone = %s, termii_message = replace(termii_message, %s, %s),"
            " error = replace(error, %s, %s) WHERE phone = %s",
            (ERASED_MARK, phone_digits, ERASED_MARK, phone_digits, ERASED_MARK, phone_digits),
        ).rowcount
        conn.execute(f"INSERT INTO {SCHEMA}.owner_actions (action, detail, rows_changed) VALUES (%s, %s, %s)",
                     ("erase-number", "a customer's number, on request", changed))
    return changed
