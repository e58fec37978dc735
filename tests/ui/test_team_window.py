"""The window on a team's shared history (a real PostgreSQL): other desks' calls live, the server down, races."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from termii_desk.core.bootstrap import DeskServices
from termii_desk.core.client import make_session
from termii_desk.core.desk import Desk
from termii_desk.core.errors import Outcome
from termii_desk.core.keystore import KeyStore
from termii_desk.core.settings import Settings
from termii_desk.core.validation import Code
from termii_desk.simulator import TermiiSimulator
from termii_desk.ui.dialogs import CooldownDialog
from termii_desk.ui.main_window import MainWindow
from tests.conftest import SIM_KEY
from tests.postgres_server import Team, free_port
from tests.ui.conftest import OFFSCREEN_NOISE, MemoryKeyring
from tests.ui.test_main_window import fill, send

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)
WAIT_MS = 15_000


@pytest.fixture
def team_services(simulator: TermiiSimulator) -> Callable[..., DeskServices]:
    sessions: list[Any] = []

    def build(history: Any) -> DeskServices:
        keystore = KeyStore(backend=MemoryKeyring(), environ={})
        keystore.set(SIM_KEY)
        session = make_session()
        sessions.append(session)
        settings = Settings().updated(base_url=simulator.url, read_timeout=5.0, connect_timeout=2.0)
        desk = Desk(settings, keystore, history, session=session)
        return DeskServices(desk=desk, keystore=keystore, history=history, key_status=keystore.status())

    yield build  # type: ignore[misc]
    for session in sessions:
        session.close()


def _shot(window: MainWindow, screenshot_dir: Path, name: str) -> None:
    QApplication.processEvents()
    assert window.grab().save(str(screenshot_dir / f"{name}.png"))


def test_another_agents_call_shows_within_about_a_second(
    team: Team, qtbot: Any, team_services: Callable[..., DeskServices], open_window: Callable[..., MainWindow],
    screenshot_dir: Path
) -> None:
    bob = team.history("bob", connect_now=False)  # as the window opens it: its listener thread connects
    window = open_window(team_services(bob))
    qtbot.waitUntil(lambda: bob.online, timeout=WAIT_MS)
    time.sleep(0.3)  # the listener's LISTEN follows its connection
    panel = window.history_panel
    assert panel is not None
    alice = team.history("alice")
    started = time.monotonic()
    row_id = alice.start_attempt("2348031234567", Code("482916"), "api.ng.termii.com")
    alice.complete_attempt(row_id, outcome=Outcome.SENT, duration_ms=300, http_status=200, message_id="m-alice")
    qtbot.waitUntil(lambda: panel.model.row_of(row_id) is not None, timeout=5_000)
    assert time.monotonic() - started < 1.5
    row = panel.model.row_at(panel.model.row_of(row_id) or 0)
    assert row.phone == "2348031234567" and getattr(row, "agent", "") == "alice"
    assert not window.team_status.isVisible()
    panel.table.selectRow(panel.model.row_of(row_id) or 0)
    qtbot.waitUntil(lambda: "Agent:" in panel.details_label.text(), timeout=WAIT_MS)
    assert "alice" in panel.details_label.text()
    _shot(window, screenshot_dir, "team-live-row")


def test_server_unreachable_the_call_goes_out_and_the_window_says_how_many_wait(
    team: Team, qtbot: Any, simulator: TermiiSimulator, team_services: Callable[..., DeskServices],
    open_window: Callable[..., MainWindow], screenshot_dir: Path
) -> None:
    url = f"postgresql://alice@127.0.0.1:{free_port()}/{team.database}"
    history = team.history("alice", url=url, connect_now=False)
    window = open_window(team_services(history))
    qtbot.waitUntil(lambda: window.team_status.isVisible(), timeout=WAIT_MS)
    assert window.team_status.text().startswith("Shared history unreachable: 0 calls waiting.")
    fill(window)
    attempt = send(qtbot, window)
    assert getattr(attempt, "outcome", None) is Outcome.SENT
    assert len(simulator.calls) == 1
    qtbot.waitUntil(lambda: "1 call waiting" in window.team_status.text(), timeout=WAIT_MS)
    panel = window.history_panel
    assert panel is not None
    # Reads of a shared history run on the worker: the row's final outcome arrives a moment after the call's.
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1 and panel.model.row_at(0).outcome == "sent",
                    timeout=WAIT_MS)
    panel.table.selectRow(0)
    qtbot.waitUntil(lambda: "waiting on this desk" in panel.details_label.text(), timeout=WAIT_MS)
    _shot(window, screenshot_dir, "team-unreachable")


def test_a_call_from_another_desk_meanwhile_brings_the_cooldown_question(
    team: Team, qtbot: Any, simulator: TermiiSimulator, team_services: Callable[..., DeskServices],
    open_window: Callable[..., MainWindow], monkeypatch: pytest.MonkeyPatch
) -> None:
    bob = team.history("bob")
    services = team_services(bob)
    window = open_window(services)
    # Bob's desk looked (nobody had called), then Alice's desk called before Bob's attempt was recorded.
    monkeypatch.setattr(services.desk, "recently_called", lambda _phone: None)
    alice = team.history("alice")
    row_id = alice.start_attempt("2348031234567", Code("482916"), "api.ng.termii.com")
    alice.complete_attempt(row_id, outcome=Outcome.SENT, duration_ms=300, http_status=200)
    asked: list[tuple[str, datetime]] = []

    def ask(_cls: Any, _parent: Any, phone_display: str, last: datetime) -> bool:
        asked.append((phone_display, last))
        return len(asked) > 1  # "Don't send" first, "Call again" the second time

    monkeypatch.setattr(CooldownDialog, "ask", classmethod(ask))
    fill(window)
    qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(asked) == 1 and not window.form.busy, timeout=WAIT_MS)
    assert simulator.calls == [] and len(team.rows()) == 1  # nothing sent, nothing recorded for bob
    assert "not called again" in window.outcome.text
    fill(window)
    attempt = send(qtbot, window)
    assert len(asked) == 2 and getattr(attempt, "outcome", None) is Outcome.SENT
    assert len(simulator.calls) == 1
    assert [r[1] for r in team.rows()] == ["alice", "bob"]


def test_server_stopped_then_back_the_window_sends_the_waiting_call_once(
    team: Team, qtbot: Any, simulator: TermiiSimulator, team_services: Callable[..., DeskServices],
    open_window: Callable[..., MainWindow], screenshot_dir: Path
) -> None:
    history = team.history("alice", connect_now=False)
    window = open_window(team_services(history))
    qtbot.waitUntil(lambda: history.online, timeout=WAIT_MS)
    team.server.stop()
    try:
        fill(window)
        attempt = send(qtbot, window)
        assert getattr(attempt, "outcome", None) is Outcome.SENT and len(simulator.calls) == 1
        qtbot.waitUntil(lambda: "1 call waiting" in window.team_status.text(), timeout=WAIT_MS)
        _shot(window, screenshot_dir, "team-server-down")
    finally:
        team.server.start()
    # The window's listener finds the server again on its own, sends the outbox, and the line goes away.
    qtbot.waitUntil(lambda: not window.team_status.isVisible(), timeout=WAIT_MS)
    assert [(r[1], r[3]) for r in team.rows()] == [("alice", "sent")]
    panel = window.history_panel
    assert panel is not None
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1 and panel.model.row_at(0).id > 0, timeout=WAIT_MS)


def test_a_server_that_never_answers_never_holds_the_window_or_a_call(
    team: Team, qtbot: Any, simulator: TermiiSimulator, team_services: Callable[..., DeskServices],
    open_window: Callable[..., MainWindow]
) -> None:
    import socket

    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # accepts connections, never says a word
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        url = f"postgresql://alice@127.0.0.1:{silent.getsockname()[1]}/{team.database}"
        history = team.history("alice", url=url, connect_now=False)
        started = time.monotonic()
        window = open_window(team_services(history))
        fill(window)
        attempt = send(qtbot, window)  # while the history's own thread still waits for the server
        assert time.monotonic() - started < 2.5  # the connect timeout is 3 s: nobody waited for it
        assert getattr(attempt, "outcome", None) is Outcome.SENT and len(simulator.calls) == 1
        qtbot.waitUntil(lambda: window.team_status.isVisible(), timeout=WAIT_MS)
        assert "1 call waiting" in window.team_status.text()
    finally:
        silent.close()


# -- closing during a call ("Close anyway") on the shared history ------------------------------------------


def _close_anyway_during_a_call(qtbot: Any, window: MainWindow, simulator: TermiiSimulator,
                                monkeypatch: pytest.MonkeyPatch,
                                before_close: Callable[[], None] = lambda: None) -> list[int]:
    """Send into a Termii that never answers, then close the window and choose "Close anyway"."""
    from termii_desk.ui.dialogs import CloseDuringCallDialog

    asked: list[int] = []
    monkeypatch.setattr(CloseDuringCallDialog, "ask",
                        classmethod(lambda _cls, _parent, calls: asked.append(calls) is None))
    simulator.set_fault("no-answer", on="call")
    fill(window)
    with qtbot.waitSignal(window.controller.attempt_started, timeout=WAIT_MS):  # pre-written, request going out
        qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(simulator.calls) == 1, timeout=WAIT_MS)
    before_close()
    started = time.monotonic()
    assert window.close()
    assert time.monotonic() - started < 10  # hidden at once; a dead server is given a few seconds at most
    assert not window.isVisible() and window.closed_without_waiting
    return asked


def _reopened_details(qtbot: Any, team: Team, outbox: Path | None, team_services: Callable[..., DeskServices],
                      open_window: Callable[..., MainWindow]) -> str:
    """The desk started again on the same outbox: what its history says about the call."""
    from termii_desk.core.team.postgres import TeamHistory
    from tests.postgres_server import AGENT_PASSWORDS

    again = TeamHistory(team.url("alice"), outbox_path=outbox, password=AGENT_PASSWORDS["alice"],
                        connect_now=False)
    team.opened.append(again)
    window = open_window(team_services(again))
    panel = window.history_panel
    assert panel is not None
    qtbot.waitUntil(lambda: again.online and again.outbox.count() == 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1 and panel.model.row_at(0).id > 0
                    and panel.model.row_at(0).completed, timeout=WAIT_MS)
    panel.table.selectRow(0)
    qtbot.waitUntil(lambda: "Error" in panel.details_label.text(), timeout=WAIT_MS)
    return panel.details_label.text()


def test_closing_anyway_during_a_call_records_the_reason_on_the_server_once(
    team: Team, qtbot: Any, simulator: TermiiSimulator, team_services: Callable[..., DeskServices],
    open_window: Callable[..., MainWindow], monkeypatch: pytest.MonkeyPatch
) -> None:
    from termii_desk.core.history import INTERRUPTED_TEXT
    from termii_desk.core.words import CLOSED_BEFORE_ANSWER

    history = team.history("alice", connect_now=False)
    window = open_window(team_services(history))
    qtbot.waitUntil(lambda: history.online, timeout=WAIT_MS)
    asked = _close_anyway_during_a_call(qtbot, window, simulator, monkeypatch)
    assert asked == [1]  # "1 call is waiting for Termii's answer"
    rows = team.rows()
    assert [(r[1], r[3]) for r in rows] == [("alice", "unknown")] and rows[0][4] is not None
    [error] = team.owner().execute("SELECT error FROM termii_desk.attempts").fetchone()
    assert error == CLOSED_BEFORE_ANSWER and history.outbox.count() == 0
    simulator.clear_fault()
    details = _reopened_details(qtbot, team, history.path, team_services, open_window)
    assert "The window was closed before Termii answered" in details
    assert INTERRUPTED_TEXT.split(";")[0] not in details  # never "The desk stopped before Termii answered"
    assert len(team.rows()) == 1


def test_closing_anyway_with_the_server_just_stopped_is_sent_once_at_the_next_start(
    team: Team, qtbot: Any, simulator: TermiiSimulator, team_services: Callable[..., DeskServices],
    open_window: Callable[..., MainWindow], monkeypatch: pytest.MonkeyPatch
) -> None:
    from termii_desk.core.history import INTERRUPTED_TEXT
    from termii_desk.core.words import CLOSED_BEFORE_ANSWER

    history = team.history("alice", connect_now=False)
    window = open_window(team_services(history))
    qtbot.waitUntil(lambda: history.online, timeout=WAIT_MS)
    try:
        # The server stops after the pre-write; the window has not noticed yet when the agent closes it.
        asked = _close_anyway_during_a_call(qtbot, window, simulator, monkeypatch, before_close=team.server.stop)
        assert asked == [1]
        [entry] = history.outbox.entries()
        assert (entry.kind, entry.row["outcome"], entry.row["error"]) == ("complete", "unknown", CLOSED_BEFORE_ANSWER)
    finally:
        team.server.start()
    simulator.clear_fault()
    [(_, _, _, outcome, duration)] = team.rows()
    assert (outcome, duration) == ("unknown", None)  # the server still holds the pre-write, in flight
    details = _reopened_details(qtbot, team, history.path, team_services, open_window)
    assert "The window was closed before Termii answered" in details
    assert INTERRUPTED_TEXT.split(";")[0] not in details
    [(_, agent, _, outcome, duration)] = team.rows()
    assert (agent, outcome) == ("alice", "unknown") and duration is not None


def test_a_damaged_outbox_is_named_in_the_window_and_calls_still_go_out(
    team: Team, qtbot: Any, simulator: TermiiSimulator, team_services: Callable[..., DeskServices],
    open_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    from termii_desk.core.team.postgres import TeamHistory
    from tests.postgres_server import AGENT_PASSWORDS

    outbox = tmp_path / "team-outbox-damaged.sqlite3"
    outbox.write_bytes(b"not a database " * 500)
    history = TeamHistory(team.url("alice"), outbox_path=outbox, password=AGENT_PASSWORDS["alice"],
                          connect_now=False)
    team.opened.append(history)
    window = open_window(team_services(history))
    qtbot.waitUntil(lambda: any("outbox (calls waiting for the shared history) was damaged" in text
                                for text in window.notices.texts()), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: history.online, timeout=WAIT_MS)
    fill(window)
    attempt = send(qtbot, window)
    assert getattr(attempt, "outcome", None) is Outcome.SENT and [r[3] for r in team.rows()] == ["sent"]


def test_closing_anyway_while_the_attempt_is_still_being_recorded_records_why(
    team: Team, qtbot: Any, simulator: TermiiSimulator, team_services: Callable[..., DeskServices],
    open_window: Callable[..., MainWindow], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow server: the agent closes anyway before the attempt's pre-write has returned to the window."""
    import threading

    from termii_desk.core.words import CLOSED_BEFORE_ANSWER
    from termii_desk.ui.dialogs import CloseDuringCallDialog

    history = team.history("alice", connect_now=False)
    window = open_window(team_services(history))
    qtbot.waitUntil(lambda: history.online, timeout=WAIT_MS)
    gate, writing = threading.Event(), threading.Event()
    reserve = history.reserve_attempt

    def slow_reserve(*args: Any, **kwargs: Any) -> int:
        writing.set()
        assert gate.wait(WAIT_MS / 1000)
        return reserve(*args, **kwargs)

    monkeypatch.setattr(history, "reserve_attempt", slow_reserve)
    asked: list[int] = []
    monkeypatch.setattr(CloseDuringCallDialog, "ask",
                        classmethod(lambda _cls, _parent, calls: asked.append(calls) is None))
    simulator.set_fault("no-answer", on="call")
    fill(window)
    qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(writing.is_set, timeout=WAIT_MS)
    # The server answers the pre-write a moment after the agent chose "Close anyway": the hidden window waits
    # for it (a few seconds at most), so the attempt records itself as abandoned before the process could end.
    threading.Timer(0.5, gate.set).start()
    assert team.rows() == []
    assert window.close() and asked == [1]
    assert [(r[3], r[4] is not None) for r in team.rows()] == [("unknown", True)]
    [(error,)] = team.owner().execute("SELECT error FROM termii_desk.attempts").fetchall()
    assert error == CLOSED_BEFORE_ANSWER
    simulator.clear_fault()
