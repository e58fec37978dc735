"""Desks on one shared history: the whole call path (Desk, simulator, a real PostgreSQL)."""

from __future__ import annotations

import threading

from termii_desk.core.desk import Desk
from termii_desk.core.errors import Outcome
from termii_desk.core.history_backend import RecentlyCalled
from termii_desk.core.keystore import KeyStore
from termii_desk.core.settings import Settings
from termii_desk.core.validation import validate_code, validate_phone
from termii_desk.simulator import TermiiSimulator
from tests.conftest import SIM_KEY
from tests.postgres_server import Team

PHONE = validate_phone("+2348031234567")


def _desks(team: Team, simulator: TermiiSimulator, count: int) -> list[Desk]:
    settings = Settings().updated(base_url=simulator.url, read_timeout=10)
    return [Desk(settings, KeyStore(environ={"TERMII_API_KEY": SIM_KEY}),
                 team.history(("alice", "bob", "carol")[n % 3], name=f"desk{n}")) for n in range(count)]


def test_a_dozen_desks_press_send_for_one_number_and_one_request_reaches_termii(
    team: Team, simulator: TermiiSimulator
) -> None:
    desks = _desks(team, simulator, 12)
    for desk in desks:
        desk.client()  # each desk ready, as a window is once open
    barrier = threading.Barrier(len(desks))
    outcomes: list[str] = []

    def press_send(desk: Desk, n: int) -> None:
        barrier.wait()
        try:
            attempt = desk.place_call(PHONE, validate_code(str(482910 + n)),
                                      check_cooldown=True)
            outcomes.append(attempt.outcome.value)
        except RecentlyCalled as refused:
            outcomes.append("refused" if "+234 803 123 4567 was called by" in str(refused) else str(refused))

    threads = [threading.Thread(target=press_send, args=(d, n)) for n, d in enumerate(desks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["refused"] * 11 + [Outcome.SENT.value]
    assert len(simulator.calls) == 1
    rows = team.rows()
    assert len(rows) == 1 and rows[0][3] == "sent"
    for desk in desks:
        desk.close()


def test_two_desks_see_each_others_calls_and_force_still_calls(team: Team, simulator: TermiiSimulator) -> None:
    alice, bob = _desks(team, simulator, 2)
    first = alice.place_call(PHONE, validate_code("482916"), check_cooldown=True)
    assert first.outcome is Outcome.SENT and first.history_id
    recent = bob.recent_call(PHONE)
    assert recent is not None and recent.who == "alice"
    seen = bob.history.get(first.history_id)
    assert seen is not None and seen.outcome == "sent" and seen.message_id == first.result.message_id  # type: ignore[union-attr]
    forced = bob.place_call(PHONE, validate_code("551177"))
    assert forced.outcome is Outcome.SENT and len(simulator.calls) == 2
    assert [r.agent for r in alice.history.page(10)] == ["bob", "alice"]  # type: ignore[attr-defined]
