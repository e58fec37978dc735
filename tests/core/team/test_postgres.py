"""The shared history on a real PostgreSQL: the server's rules, live rows, offline outbox, schema versions."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import psycopg
import pytest

from termii_desk.core.errors import Outcome
from termii_desk.core.history_backend import HistoryQuery, RecentlyCalled
from termii_desk.core.team.postgres import (
    ERASED_MARK,
    TeamHistory,
    add_agent,
    erase_number,
    init_schema,
    purge,
)
from termii_desk.core.team.schema import SCHEMA_VERSION
from termii_desk.core.validation import validate_code
from tests.postgres_server import AGENT_PASSWORDS, Team, free_port

CODE = validate_code("482916")
HOST = "api.ng.termii.com"
PHONE = "2348031234567"


def _sent(history: TeamHistory, phone: str = PHONE) -> int:
    row_id = history.start_attempt(phone, CODE, HOST)
    history.complete_attempt(row_id, outcome=Outcome.SENT, duration_ms=90, http_status=200, message_id="m")
    return row_id


def _as_agent(team: Team, agent: str) -> psycopg.Connection[Any]:
    conn = psycopg.connect(team.url(agent), password=AGENT_PASSWORDS[agent], autocommit=True)
    team.opened.append(conn)
    return conn


# -- the database does the guarding ------------------------------------------------------------------


def test_each_row_names_the_agent_by_its_database_role(team: Team) -> None:
    alice, bob = team.history("alice"), team.history("bob")
    a, b = _sent(alice), _sent(bob, "2348039999999")
    rows = {r.id: r for r in alice.page(10)}
    assert rows[a].agent == "alice" and rows[b].agent == "bob"
    assert rows[a].machine and rows[a].os_user and rows[a].profile == "default" and rows[a].app_version


@pytest.mark.parametrize(("statement", "params"), [
    ("UPDATE termii_desk.attempts SET outcome = 'failed' WHERE agent = 'bob'", ()),
    ("UPDATE termii_desk.attempts SET error = 'changed' WHERE agent = 'alice'", ()),  # completed: final
    ("UPDATE termii_desk.attempts SET phone = '1' WHERE agent = 'alice'", ()),
    ("DELETE FROM termii_desk.attempts", ()),
    ("DELETE FROM termii_desk.attempts WHERE agent = 'alice'", ()),
    ("TRUNCATE termii_desk.attempts", ()),
    ("TRUNCATE termii_desk.owner_actions", ()),
    ("DELETE FROM termii_desk.meta", ()),
    ("UPDATE termii_desk.meta SET value = '0'", ()),
    ("INSERT INTO termii_desk.attempts (uuid, agent, base_host, phone, code_masked, outcome)"
     " VALUES (gen_random_uuid(), 'bob', 'h', '1', 'x', 'sent')", ()),
    ("INSERT INTO termii_desk.attempts (uuid, recorded_at, base_host, phone, code_masked, outcome)"
     " VALUES (gen_random_uuid(), now() - interval '1 year', 'h', '1', 'x', 'sent')", ()),
    ("INSERT INTO termii_desk.owner_actions (action, detail, rows_changed) VALUES ('x', 'y', 0)", ()),
    ("ALTER TABLE termii_desk.attempts DISABLE ROW LEVEL SECURITY", ()),
    ("DROP TABLE termii_desk.attempts", ()),
    ("DROP TRIGGER attempts_stamp_completion ON termii_desk.attempts", ()),
])
def test_the_server_refuses_an_agents_tampering(team: Team, statement: str, params: tuple[Any, ...]) -> None:
    _sent(team.history("alice"))
    _sent(team.history("bob"), "2348039999999")
    before = team.rows()
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as_agent(team, "alice").execute(statement, params)
    assert team.rows() == before


def test_an_agent_completes_its_own_in_flight_attempt_once(team: Team) -> None:
    alice = team.history("alice")
    row_id = alice.start_attempt(PHONE, CODE, HOST)
    bob = _as_agent(team, "bob")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # bob may not complete alice's attempt
        bob.execute("UPDATE termii_desk.attempts SET outcome = 'failed', duration_ms = 1 WHERE id = %s", (row_id,))
    conn = _as_agent(team, "alice")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # an update that does not complete it
        conn.execute("UPDATE termii_desk.attempts SET outcome = 'failed' WHERE id = %s", (row_id,))
    conn.execute("UPDATE termii_desk.attempts SET outcome = 'sent', duration_ms = 5 WHERE id = %s", (row_id,))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("UPDATE termii_desk.attempts SET outcome = 'failed', duration_ms = 6 WHERE id = %s",
                     (row_id,))
    done = team.owner().execute("SELECT outcome, duration_ms, completed_at IS NOT NULL FROM termii_desk.attempts"
                                " WHERE id = %s", (row_id,)).fetchone()
    assert done == ("sent", 5, True)


def test_init_is_idempotent_and_agents_keep_working(team: Team) -> None:
    alice = team.history("alice")
    _sent(alice)
    owner = team.owner()
    assert init_schema(owner) == (SCHEMA_VERSION, SCHEMA_VERSION)
    assert not add_agent(owner, "alice", AGENT_PASSWORDS["alice"])  # exists: password set again, not created
    again = team.history("alice")
    _sent(again, "2348039999999")
    assert again.count() == 2


def test_purge_and_erasure_are_the_owners_and_recorded(team: Team) -> None:
    alice = team.history("alice")
    _sent(alice)
    _sent(alice)
    _sent(alice, "2348039999999")
    owner = team.owner()
    owner.execute("UPDATE termii_desk.attempts SET called_at = now() - interval '40 days'"
                  " WHERE phone = '2348039999999'")
    assert purge(owner, 30) == 1
    assert erase_number(owner, PHONE) == 2
    phones = {r[2] for r in team.rows()}
    assert phones == {ERASED_MARK}
    actions = owner.execute("SELECT action, done_by, rows_changed, done_at IS NOT NULL, detail"
                            " FROM termii_desk.owner_actions ORDER BY id").fetchall()
    assert [(a[0], a[1], a[2], a[3]) for a in actions] == [("purge", "desk_owner", 1, True),
                                                           ("erase-number", "desk_owner", 2, True)]
    assert all(PHONE not in str(a) for a in actions)
    seen = _as_agent(team, "bob").execute("SELECT action FROM termii_desk.owner_actions").fetchall()
    assert len(seen) == 2  # agents can see that an erasure happened


# -- cross-desk cooldown ---------------------------------------------------------------------------------


def test_the_cooldown_names_who_called_by_the_servers_clock(team: Team) -> None:
    _sent(team.history("alice"))
    with pytest.raises(RecentlyCalled) as refused:
        team.history("bob").reserve_attempt(PHONE, CODE, HOST, cooldown_seconds=60)
    assert "by alice" in str(refused.value) and refused.value.exit_code == 6
    assert not refused.value.recent.local_only
    # The server's clock decides: the same row, 2 minutes older by the server, no longer holds the cooldown.
    team.owner().execute("UPDATE termii_desk.attempts SET called_at = now() - interval '2 minutes'")
    assert team.history("bob").reserve_attempt(PHONE, CODE, HOST, cooldown_seconds=60) > 0


def test_a_dozen_desks_pressing_send_at_once_one_proceeds(team: Team) -> None:
    desks = [team.history(("alice", "bob", "carol")[n % 3], name=f"desk{n}") for n in range(12)]
    barrier = threading.Barrier(len(desks))
    outcomes: list[str] = []

    def press(desk: TeamHistory) -> None:
        barrier.wait()
        try:
            desk.reserve_attempt(PHONE, CODE, HOST, cooldown_seconds=60)
            outcomes.append("proceeds")
        except RecentlyCalled as exc:
            outcomes.append("refused" if "was called by" in str(exc) else str(exc))

    threads = [threading.Thread(target=press, args=(d,)) for d in desks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["proceeds"] + ["refused"] * 11
    assert len(team.rows()) == 1


def test_load_twenty_desks_twenty_five_calls_each(team: Team) -> None:
    desks = [team.history(("alice", "bob", "carol")[n % 3], name=f"load{n}") for n in range(20)]
    errors: list[BaseException] = []

    def work(n: int, desk: TeamHistory) -> None:
        try:
            for k in range(25):
                row_id = desk.reserve_attempt(f"23480{n:03d}{k:05d}", CODE, HOST, cooldown_seconds=60)
                desk.complete_attempt(row_id, outcome=Outcome.SENT, duration_ms=k, http_status=200)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n, d)) for n, d in enumerate(desks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    rows = team.rows()
    assert len(rows) == 500
    assert len({r[2] for r in rows}) == 500 and len({r[0] for r in rows}) == 500
    assert all(r[3] == "sent" and r[4] is not None for r in rows)
    assert all(d.outbox.count() == 0 for d in desks)


# -- live ------------------------------------------------------------------------------------------------


def test_another_desks_call_reaches_a_listening_desk_within_a_second(team: Team) -> None:
    bob = team.history("bob", connect_now=False)
    heard: list[int] = []
    arrived = threading.Event()

    def on_row(row_id: int) -> None:
        heard.append(row_id)
        arrived.set()

    bob.on_row(on_row)
    bob.start_listening()
    deadline = time.monotonic() + 10
    while not bob.online and time.monotonic() < deadline:
        time.sleep(0.05)
    assert bob.online, bob.problem
    time.sleep(0.3)  # the listener's LISTEN is issued right after it connects
    started = time.monotonic()
    row_id = team.history("alice").start_attempt(PHONE, CODE, HOST)
    assert arrived.wait(5)
    assert time.monotonic() - started < 1.0
    assert heard[0] == row_id
    row = bob.get(row_id)
    assert row is not None and row.agent == "alice"


# -- offline and the outbox ------------------------------------------------------------------------------


def test_unreachable_server_keeps_calls_in_the_outbox_with_a_sentence(team: Team) -> None:
    url = f"postgresql://alice@127.0.0.1:{free_port()}/{team.database}"
    history = team.history("alice", url=url)
    assert not history.online
    assert history.state_text() == "Shared history unreachable: 0 calls waiting. " + (
        f"The shared history at 127.0.0.1:{url.rsplit(':', 1)[1].split('/')[0]}/{team.database} cannot be "
        "reached. Meanwhile the cooldown looks at this desk's calls only.")
    row_id = history.reserve_attempt(PHONE, CODE, HOST, cooldown_seconds=60)
    assert row_id < 0
    history.complete_attempt(row_id, outcome=Outcome.SENT, duration_ms=50, http_status=200, message_id="m1")
    row = history.get(row_id)
    assert row is not None and row.outcome == "sent" and row.via_outbox
    assert [r.id for r in history.page(10)] == [row_id] and history.count() == 1
    assert history.state_text() is not None
    assert history.state_text().startswith("Shared history unreachable: 1 call waiting.")  # type: ignore[union-attr]
    with pytest.raises(RecentlyCalled) as refused:  # offline: this desk's own calls still hold the cooldown
        history.reserve_attempt(PHONE, CODE, HOST, cooldown_seconds=60)
    assert refused.value.recent.local_only
    assert "only this desk's calls were checked" in str(refused.value)


def test_calls_waiting_in_the_outbox_follow_the_history_query(team: Team) -> None:
    from datetime import datetime, timedelta, timezone

    history = team.history("alice", url=f"postgresql://alice@127.0.0.1:{free_port()}/{team.database}")
    sent = history.start_attempt(PHONE, CODE, HOST)
    history.complete_attempt(sent, outcome=Outcome.SENT, duration_ms=50, http_status=200, message_id="m1")
    unknown = history.start_attempt("2348035500199", CODE, HOST)
    history.complete_attempt(unknown, outcome=Outcome.UNKNOWN, duration_ms=50, error="no answer")
    checking = HistoryQuery().needing_check()
    assert [r.id for r in history.page(10, query=checking)] == [unknown] and history.count(query=checking) == 1
    assert history.count(query=HistoryQuery("0199").needing_check()) == 1
    assert history.count(query=HistoryQuery("4567").needing_check()) == 0
    now = datetime.now(timezone.utc)
    assert history.count(query=HistoryQuery(since=now - timedelta(hours=1), until=now + timedelta(hours=1))) == 2
    assert history.page(10, query=HistoryQuery(until=now - timedelta(hours=1))) == []


def test_server_stopped_calls_go_on_then_synced_exactly_once(team: Team) -> None:
    alice = team.history("alice")
    _sent(alice, "2348030000001")
    in_flight = alice.start_attempt("2348030000002", CODE, HOST)  # started online, completed offline
    team.server.stop()
    try:
        alice.complete_attempt(in_flight, outcome=Outcome.SENT, duration_ms=70, http_status=200, message_id="m2")
        offline = [alice.start_attempt(f"234803000001{n}", CODE, HOST) for n in range(3)]
        for row_id in offline:
            alice.complete_attempt(row_id, outcome=Outcome.SENT, duration_ms=60, http_status=200)
        assert all(row_id < 0 for row_id in offline)
        assert not alice.online and alice.outbox.count() == 4
        assert alice.reconnect() is False
    finally:
        team.server.start()
    assert alice.reconnect() is True
    assert alice.outbox.count() == 0
    rows = team.rows()
    assert sorted(r[2] for r in rows) == ["2348030000001", "2348030000002", "2348030000010", "2348030000011",
                                          "2348030000012"]
    assert all(r[3] == "sent" and r[4] is not None for r in rows)
    assert alice.sync().sent == 0  # run twice: nothing more
    assert len(team.rows()) == 5


def test_an_interrupted_sync_sends_each_attempt_once(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"postgresql://alice@127.0.0.1:{free_port()}/{team.database}"
    offline = team.history("alice", url=url)
    for n in range(3):
        row_id = offline.start_attempt(f"23480300000{n}", CODE, HOST)
        offline.complete_attempt(row_id, outcome=Outcome.SENT, duration_ms=60, http_status=200)
    # The same outbox file, now with the server reachable; the first sync dies after the server committed
    # two entries but before this desk forgot the second.
    online = TeamHistory(team.url("alice"), outbox_path=offline.path, password=AGENT_PASSWORDS["alice"],
                         connect_now=False)
    team.opened.append(online)
    real_remove = online.outbox.remove
    calls = {"n": 0}

    def remove_then_die(entry: Any) -> bool:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real_remove(entry)

    monkeypatch.setattr(online.outbox, "remove", remove_then_die)
    with pytest.raises(KeyboardInterrupt):
        online.reconnect()
    assert len(team.rows()) == 2 and online.outbox.count() == 2
    monkeypatch.setattr(online.outbox, "remove", real_remove)
    report = online.sync()
    assert (report.sent, report.already, report.left) == (1, 1, 0)
    second = team.history("alice", url=team.url("alice"))  # another process syncing the same entries again
    assert second.sync().sent == 0
    rows = team.rows()
    assert len(rows) == 3 and len({r[0] for r in rows}) == 3


# -- schema versions and connection problems -------------------------------------------------------------


def test_a_newer_schema_is_named_and_calls_stay_in_the_outbox(team: Team) -> None:
    team.owner().execute("UPDATE termii_desk.meta SET value = '99' WHERE name = 'schema_version'")
    history = team.history("alice")
    assert not history.online
    assert "newer Termii Desk (schema 99" in (history.problem or "")
    assert history.start_attempt(PHONE, CODE, HOST) < 0
    assert team.rows() == []
    with pytest.raises(Exception, match="newer schema"):
        init_schema(team.owner())  # team init of an older desk refuses too, changing nothing


def test_an_older_or_missing_schema_asks_for_team_init(team: Team) -> None:
    team.owner().execute("DELETE FROM termii_desk.meta")
    history = team.history("alice")
    assert not history.online and "team init" in (history.problem or "")
    assert history.start_attempt(PHONE, CODE, HOST) < 0
    init_schema(team.owner())
    assert history.reconnect() and team.rows() != []


def test_wrong_password_is_a_sentence_without_the_password(team: Team) -> None:
    history = team.history("alice", password="not-the-password-81")
    assert not history.online
    text = history.state_text() or ""
    assert 'refused the password of agent "alice"' in text and "team password set" in text
    assert "not-the-password-81" not in text


def test_no_password_at_all_says_how_to_set_one(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", "/nonexistent/pgpass")
    history = team.history("alice", password="")
    assert not history.online
    assert history.problem == (f"The shared history at {history.target.place} asks agent \"alice\" for a password, "
                               "and this desk has none: set it with `termii-desk team password set` "
                               "(or PGPASSWORD, ~/.pgpass).")


def test_tls_required_against_a_server_without_tls_is_a_sentence(team: Team) -> None:
    history = team.history("alice", url=team.url("alice", sslmode="require"))
    assert not history.online
    assert "does not offer TLS" in (history.problem or "")


def test_unknown_host_is_a_sentence(team: Team) -> None:
    history = team.history("alice", url="postgresql://alice@no-such-host.invalid:5432/team")
    assert not history.online
    assert "no-such-host.invalid" in (history.problem or "") and "not known" in (history.problem or "")


def test_an_owner_without_superuser_sets_up_the_team(postgres: Any, tmp_path: Any) -> None:
    """The owner needs only to own the database and CREATEROLE; its purge and erasure work, its agents too."""
    name = f"own_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(postgres.owner_url(), autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {name} LOGIN CREATEROLE")
        admin.execute(f"CREATE DATABASE {name} OWNER {name}")
    url = f"postgresql://{name}@/{name}?host={postgres.socket_dir}&port={postgres.port}"
    try:
        with psycopg.connect(url, autocommit=True) as owner:
            assert owner.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == (False,)
            init_schema(owner)
            add_agent(owner, f"{name}_agent", "agent-pw-1")
        agent = TeamHistory(postgres.url(f"{name}_agent", name), outbox_path=tmp_path / "o.sqlite3",
                            password="agent-pw-1")
        try:
            assert agent.online, agent.problem
            _sent(agent)
        finally:
            agent.close()
        with psycopg.connect(url, autocommit=True) as owner:
            assert erase_number(owner, PHONE) == 1
            assert purge(owner, 1) == 0
    finally:
        with psycopg.connect(postgres.owner_url(), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_sync_under_way_when_a_number_is_erased_sends_it_masked(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    from termii_desk.core.team.outbox import Outbox

    url = f"postgresql://alice@127.0.0.1:{free_port()}/{team.database}"
    offline = team.history("alice", url=url)
    for phone in (PHONE, "2348039876543"):
        _sent(offline, phone)
    assert offline.path is not None
    online = TeamHistory(team.url("alice"), outbox_path=offline.path, password=AGENT_PASSWORDS["alice"],
                         connect_now=False)
    team.opened.append(online)
    listed = online.outbox.entries

    def listed_then_erased() -> Any:
        entries = listed()  # the sync has read what waits; the owner's erase-number runs on this desk now
        other_process = Outbox(offline.path)
        assert other_process.erase_number(PHONE) == 1
        other_process.close()
        return entries

    monkeypatch.setattr(online.outbox, "entries", listed_then_erased)
    assert online.reconnect()
    assert sorted(r[2] for r in team.rows()) == ["2348039876543", ERASED_MARK]


def test_a_read_never_sees_a_sync_half_done(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    """Back online, the outbox moves to the server; a read meanwhile waits, so no attempt shows twice (or as
    still in flight on the server while its completion waits on the desk)."""
    url = f"postgresql://alice@127.0.0.1:{free_port()}/{team.database}"
    offline = team.history("alice", url=url)
    for n in range(2):
        _sent(offline, f"23480300000{n}")
    online = TeamHistory(team.url("alice"), outbox_path=offline.path, password=AGENT_PASSWORDS["alice"],
                         connect_now=False)
    team.opened.append(online)
    half, go = threading.Event(), threading.Event()
    send = online._send

    def send_then_pause(conn: Any, entry: Any) -> bool:
        sent = send(conn, entry)
        if not half.is_set():
            half.set()  # the first attempt is on the server and still in the outbox
            assert go.wait(10)
        return sent

    monkeypatch.setattr(online, "_send", send_then_pause)
    syncing = threading.Thread(target=online.reconnect)
    syncing.start()
    assert half.wait(10)
    seen: list[list[int]] = []
    reader = threading.Thread(target=lambda: seen.append([row.id for row in online.page(10)]))
    reader.start()
    reader.join(0.5)
    assert reader.is_alive() and seen == []  # waiting for the sync
    go.set()
    syncing.join(10)
    reader.join(10)
    [ids] = seen
    assert len(ids) == 2 and all(row_id > 0 for row_id in ids) and online.outbox.count() == 0


# -- one team's agents stay out of another team's database on the same server -----------------------------


def test_an_agent_of_another_team_on_the_same_server_cannot_connect(team: Team) -> None:
    from termii_desk.core.team.schema import team_door

    _sent(team.history("alice"))
    other = f"team_{uuid.uuid4().hex[:10]}"
    owner_of_server = psycopg.connect(team.server.owner_url(), autocommit=True)
    team.opened.append(owner_of_server)
    owner_of_server.execute(f"CREATE DATABASE {other}")
    try:
        with psycopg.connect(team.server.owner_url(other), autocommit=True) as owner:
            init_schema(owner)
            add_agent(owner, "zara", "zara-pw-Lq58")  # zara works for the other team only
        with pytest.raises(psycopg.OperationalError) as refused:
            psycopg.connect(team.url("zara"), password="zara-pw-Lq58").close()
        assert "permission denied" in str(refused.value) and team.rows()  # alice's row is there, unread by zara
        nobody = f"nobody_{uuid.uuid4().hex[:6]}"  # a plain login role of the server: not even CONNECT
        owner_of_server.execute(f"CREATE ROLE {nobody} LOGIN PASSWORD 'nobody-pw-Hx31'")
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(team.url(nobody), password="nobody-pw-Hx31").close()
        with psycopg.connect(team.server.url("zara", other), password="zara-pw-Lq58") as zara:
            assert zara.execute("SELECT count(*) FROM termii_desk.attempts").fetchone() == (0,)  # its own team
        assert team_door(team.database) != team_door(other)
        owner_of_server.execute(f"DROP ROLE {nobody}")
    finally:
        owner_of_server.execute(f"DROP DATABASE IF EXISTS {other} WITH (FORCE)")


def test_a_team_set_up_by_an_older_release_keeps_its_agents_after_init(team: Team) -> None:
    from psycopg import sql

    from termii_desk.core.team.schema import AGENT_GROUP, team_door

    owner = team.owner()
    door = team_door(team.database)
    database = sql.Identifier(team.database)
    # As the older release left it: CONNECT for PUBLIC and the agents' group, no door role.
    owner.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO PUBLIC, {}").format(database, sql.Identifier(AGENT_GROUP)))
    owner.execute(sql.SQL("REVOKE CONNECT ON DATABASE {} FROM {}").format(database, sql.Identifier(door)))
    owner.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(door)))
    assert init_schema(owner) == (SCHEMA_VERSION, SCHEMA_VERSION)
    for agent in AGENT_PASSWORDS:  # still at work
        _as_agent(team, agent).execute("SELECT count(*) FROM termii_desk.attempts").fetchone()
    assert owner.execute("SELECT has_database_privilege('public', current_database(), 'CONNECT')").fetchone() == (
        False,)
