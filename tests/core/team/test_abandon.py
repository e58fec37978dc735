"""Closing the window without waiting for Termii, on a team's shared history (a real PostgreSQL).

The attempt's pre-write row ends as "unknown, the window was closed before Termii answered" exactly once:
through one conditional UPDATE (the one change the server's row rules let an agent make) when the server can
be reached, through the outbox when it cannot (sent at the next start). The first completion wins: an answer
recorded before stands, one arriving after leaves the unknown as it is.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest

from termii_desk.core.errors import Outcome
from termii_desk.core.history import INTERRUPTED_TEXT
from termii_desk.core.team.postgres import TeamHistory
from termii_desk.core.validation import validate_code
from termii_desk.core.words import CLOSED_BEFORE_ANSWER
from tests.postgres_server import AGENT_PASSWORDS, Team

CODE = validate_code("482916")
HOST = "api.ng.termii.com"
PHONE = "2348031234567"


def _server_rows(team: Team) -> list[tuple[Any, ...]]:
    return team.owner().execute(
        "SELECT uuid, agent, outcome, error, duration_ms, http_status, message_id, completed_at IS NOT NULL"
        " FROM termii_desk.attempts ORDER BY id").fetchall()


def _restart(team: Team, history: TeamHistory, **options: Any) -> TeamHistory:
    """The same desk started again: its outbox file, its agent."""
    again = TeamHistory(team.url("alice"), outbox_path=history.path, password=AGENT_PASSWORDS["alice"], **options)
    team.opened.append(again)
    return again


def _sent_later(history: TeamHistory, row_id: int) -> None:
    """Termii's answer reaching the desk after the agent closed the window (before the process ended)."""
    history.complete_attempt(row_id, outcome=Outcome.SENT, duration_ms=900, http_status=200, message_id="late")


def test_server_up_one_update_the_reason_and_a_late_answer_changes_nothing(team: Team) -> None:
    alice = team.history("alice")
    row_id = alice.start_attempt(PHONE, CODE, HOST)
    assert row_id > 0 and _server_rows(team)[0][2:5] == ("unknown", INTERRUPTED_TEXT, None)  # the pre-write
    assert alice.abandon_attempt(row_id, duration_ms=4200, error=CLOSED_BEFORE_ANSWER) is True
    [row] = _server_rows(team)
    assert row[1:] == ("alice", "unknown", CLOSED_BEFORE_ANSWER, 4200, None, None, True)
    assert alice.outbox.count() == 0  # the server took it: nothing left for the next start
    _sent_later(alice, row_id)  # the answer came after the close: the unknown stays, nothing raised
    assert alice.abandon_attempt(row_id, duration_ms=5000, error=CLOSED_BEFORE_ANSWER) is False  # once
    assert _server_rows(team) == [row] and alice.outbox.count() == 0
    alice.close()
    restarted = _restart(team, alice)
    [shown] = restarted.page(10)
    assert (shown.outcome, shown.error) == ("unknown", CLOSED_BEFORE_ANSWER)  # never "the desk stopped"
    assert restarted.sync().sent == 0 and _server_rows(team) == [row]


def test_an_answer_recorded_before_the_close_stands(team: Team) -> None:
    alice = team.history("alice")
    row_id = alice.start_attempt(PHONE, CODE, HOST)
    _sent_later(alice, row_id)
    assert alice.abandon_attempt(row_id, duration_ms=4200, error=CLOSED_BEFORE_ANSWER) is False
    [row] = _server_rows(team)
    assert row[2:7] == ("sent", None, 900, 200, "late") and alice.outbox.count() == 0


@pytest.mark.parametrize("desk_knows", [True, False], ids=["desk-saw-it-go", "desk-still-thinks-online"])
def test_server_stopped_at_close_the_outbox_keeps_it_and_the_next_start_sends_it_once(
    team: Team, desk_knows: bool, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    alice = team.history("alice")
    row_id = alice.start_attempt(PHONE, CODE, HOST)  # the pre-write reached the server; the call went out
    team.server.stop()
    try:
        if desk_knows:
            assert alice.reconnect() is False
        started = time.monotonic()
        assert alice.abandon_attempt(row_id, duration_ms=4200, error=CLOSED_BEFORE_ANSWER) is True
        assert time.monotonic() - started < 10  # bounded: the close never waits long for a dead server
        assert not alice.online
        [entry] = alice.outbox.entries()
        assert (entry.kind, entry.row["outcome"], entry.row["error"]) == ("complete", "unknown", CLOSED_BEFORE_ANSWER)
        _sent_later(alice, row_id)  # a late answer neither replaces the entry nor adds one
        assert [e.row for e in alice.outbox.entries()] == [entry.row]
        alice.close()
    finally:
        team.server.start()
    [before] = _server_rows(team)
    assert before[2:5] == ("unknown", INTERRUPTED_TEXT, None)  # on the server, still in flight until a start
    restarted = _restart(team, alice)  # the next start: connecting sends the outbox
    assert restarted.online and restarted.outbox.count() == 0
    assert (restarted.last_sync.sent, restarted.last_sync.already) == (1, 0)
    [row] = _server_rows(team)
    assert row[0] == before[0] and row[1:] == ("alice", "unknown", CLOSED_BEFORE_ANSWER, 4200, None, None, True)
    [shown] = restarted.page(10)
    assert shown.error == CLOSED_BEFORE_ANSWER
    assert restarted.sync().sent == 0 and len(_server_rows(team)) == 1
    assert "shared history offline" in caplog.text  # the path that logs was taken, and logged no password
    assert AGENT_PASSWORDS["alice"] not in caplog.text
    outbox_bytes = b"".join(p.read_bytes() for p in restarted.path.parent.glob(restarted.path.name + "*"))
    assert AGENT_PASSWORDS["alice"].encode() not in outbox_bytes


def test_an_attempt_written_to_the_outbox_is_sent_once_with_its_reason(team: Team) -> None:
    alice = team.history("alice")
    team.server.stop()
    try:
        row_id = alice.start_attempt(PHONE, CODE, HOST)  # offline at Send: the pre-write waits on this desk
        assert row_id < 0
        assert alice.abandon_attempt(row_id, duration_ms=4200, error=CLOSED_BEFORE_ANSWER) is True
        _sent_later(alice, row_id)
        [entry] = alice.outbox.entries()
        assert entry.kind == "insert" and (entry.row["outcome"], entry.row["error"]) == ("unknown",
                                                                                         CLOSED_BEFORE_ANSWER)
        shown = alice.get(row_id)
        assert shown is not None and shown.error == CLOSED_BEFORE_ANSWER
        alice.close()
    finally:
        team.server.start()
    restarted = _restart(team, alice)
    assert restarted.outbox.count() == 0
    [row] = _server_rows(team)
    assert row[1:5] == ("alice", "unknown", CLOSED_BEFORE_ANSWER, 4200)
    assert restarted.sync().sent == 0 and len(_server_rows(team)) == 1


def test_a_close_between_the_servers_commit_and_the_outbox_cleanup_still_counts_once(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = team.history("alice")
    row_id = alice.start_attempt(PHONE, CODE, HOST)
    monkeypatch.setattr(alice.outbox, "remove", lambda _entry: False)  # the process ended right after the commit
    assert alice.abandon_attempt(row_id, duration_ms=4200, error=CLOSED_BEFORE_ANSWER) is True
    assert alice.outbox.count() == 1
    [row] = _server_rows(team)
    assert row[2:4] == ("unknown", CLOSED_BEFORE_ANSWER)
    alice.close()
    restarted = _restart(team, alice)
    assert (restarted.last_sync.sent, restarted.last_sync.already, restarted.outbox.count()) == (0, 1, 0)
    assert _server_rows(team) == [row]


def test_the_answer_and_the_close_racing_always_leave_one_consistent_row(team: Team) -> None:
    alice = team.history("alice")
    results: list[tuple[bool, int]] = []
    for n in range(20):
        row_id = alice.start_attempt(f"23480312300{n:02d}", CODE, HOST)
        gate = threading.Barrier(2)
        recorded: list[bool] = []

        def answer(row_id: int = row_id, gate: threading.Barrier = gate) -> None:
            gate.wait()
            _sent_later(alice, row_id)

        def close(row_id: int = row_id, gate: threading.Barrier = gate, recorded: list[bool] = recorded) -> None:
            gate.wait()
            recorded.append(alice.abandon_attempt(row_id, duration_ms=4200, error=CLOSED_BEFORE_ANSWER))

        threads = [threading.Thread(target=answer), threading.Thread(target=close)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        results.append((recorded[0], row_id))
    rows = {r[0]: r for r in _server_rows(team)}
    assert len(rows) == 20 and alice.outbox.count() == 0
    by_id = {r.id: r for r in alice.page(50)}
    for closed_first, row_id in results:
        row = by_id[row_id]
        if closed_first:
            assert (row.outcome, row.error, row.message_id, row.duration_ms) == ("unknown", CLOSED_BEFORE_ANSWER,
                                                                                  None, 4200)
        else:
            assert (row.outcome, row.error, row.message_id, row.duration_ms) == ("sent", None, "late", 900)


def test_the_abandonment_is_an_agents_change_the_server_allows_once(team: Team) -> None:
    """What the desk sends is the in-flight completion of the row rules; sent again, the server refuses it."""
    alice = team.history("alice")
    row_id = alice.start_attempt(PHONE, CODE, HOST)
    assert alice.abandon_attempt(row_id, duration_ms=4200, error=CLOSED_BEFORE_ANSWER)
    conn = psycopg.connect(team.url("alice"), password=AGENT_PASSWORDS["alice"], autocommit=True)
    team.opened.append(conn)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("UPDATE termii_desk.attempts SET outcome = 'sent', error = NULL WHERE id = %s", (row_id,))
    assert _server_rows(team)[0][2:4] == ("unknown", CLOSED_BEFORE_ANSWER)


def test_an_outbox_attempt_of_a_desk_back_online_reaches_the_server_at_close(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = team.history("alice")
    team.server.stop()
    try:
        row_id = alice.start_attempt(PHONE, CODE, HOST)
    finally:
        team.server.start()
    sync = alice.sync
    monkeypatch.setattr(alice, "sync", lambda: alice.last_sync)  # back online, the outbox not sent yet
    assert alice.reconnect() and alice.outbox.count() == 1 and _server_rows(team) == []
    monkeypatch.setattr(alice, "sync", sync)
    assert alice.abandon_attempt(row_id, duration_ms=4200, error=CLOSED_BEFORE_ANSWER) is True
    [row] = _server_rows(team)  # sent with its completion as the window closed, not at the next start
    assert row[1:5] == ("alice", "unknown", CLOSED_BEFORE_ANSWER, 4200) and alice.outbox.count() == 0
