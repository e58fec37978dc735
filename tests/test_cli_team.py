"""`termii-desk team …` and calls to a team history: real subprocesses, a real PostgreSQL, the simulator."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import psycopg
import pytest

from termii_desk.simulator import TermiiSimulator
from tests.conftest import SIM_KEY
from tests.postgres_server import AGENT_PASSWORDS, PostgresServer, Team, free_port
from tests.test_cli import run

PHONE, CODE = "+2348031234567", "482916"
DAVE_PASSWORD = "dave-Secret-4471"


def _desk_env(team: Team, simulator: TermiiSimulator, home: Path, agent: str = "alice",
              url: str | None = None) -> dict[str, str]:
    return {"TERMII_API_KEY": SIM_KEY, "TERMII_BASE_URL": simulator.url, "TERMII_DESK_HOME": str(home),
            "DBUS_SESSION_BUS_ADDRESS": "disabled:", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "TERMII_DESK_HISTORY_URL": url or team.url(agent),
            "PGPASSWORD": AGENT_PASSWORDS.get(agent, DAVE_PASSWORD)}


def _leaks(root: Path, secret: str) -> list[str]:
    forms = [secret.encode(), secret.encode("utf-16-le"), base64.b64encode(secret.encode()),
             secret.encode().hex().encode()]
    return [str(p) for p in root.rglob("*") if p.is_file() and any(f in p.read_bytes() for f in forms)]


def test_owner_sets_up_a_team_and_an_agent_uses_it(postgres: PostgresServer, tmp_path: Path,
                                                   simulator: TermiiSimulator) -> None:
    database = f"cli_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres.owner_url(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {database}")
    owner = {"TERMII_DESK_HOME": str(tmp_path / "owner"), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    owner_url = postgres.owner_url(database)
    created = run("team", "init", "--url", owner_url, env=owner)
    assert created.returncode == 0, created.stderr
    assert "schema 1 created" in created.stdout
    from termii_desk.core.team.schema import team_door

    assert f"only this team's door role {team_door(database)} may connect" in created.stdout
    again = run("team", "init", "--url", owner_url, env=owner)
    assert again.returncode == 0 and "already set up" in again.stdout
    added = run("team", "add-agent", "dave", "--url", owner_url, env=owner, stdin=DAVE_PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert "Agent dave created with a password" in added.stdout and DAVE_PASSWORD not in added.stdout

    agent_url = postgres.url("dave", database)
    home = tmp_path / "dave"
    env = {"TERMII_API_KEY": SIM_KEY, "TERMII_BASE_URL": simulator.url, "TERMII_DESK_HOME": str(home),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring", "TERMII_DESK_HISTORY_URL": agent_url,
           "PGPASSWORD": DAVE_PASSWORD}
    status = run("team", "status", env=env)
    assert status.returncode == 0, status.stderr
    assert status.stdout.splitlines() == [f"Server: {agent_url}", "Agent: dave", "Schema: 1",
                                          "Calls waiting on this desk: 0"]
    sent = run("call", PHONE, CODE, env=env)
    assert sent.returncode == 0 and sent.stderr == "", sent.stderr
    with psycopg.connect(owner_url) as conn:
        assert conn.execute("SELECT agent, phone, outcome FROM termii_desk.attempts").fetchall() == [
            ("dave", "2348031234567", "sent")]
    listed = run("history", env=env)
    assert "2348031234567" in listed.stdout
    [row] = json.loads(run("history", "--json", env=env).stdout)
    assert (row["agent"], row["phone_number"], row["outcome"]) == ("dave", "2348031234567", "sent")
    refused = run("team", "purge", "--older-than", "30", env=env)
    assert refused.returncode == 3 and "Only the team's owner can purge" in refused.stderr
    refused = run("team", "erase-number", PHONE, env=env)
    assert refused.returncode == 3 and "Only the team's owner" in refused.stderr
    erased = run("team", "erase-number", PHONE, "--url", owner_url, env=owner)
    assert erased.returncode == 0 and "erased from 1 attempt" in erased.stdout, erased.stderr
    purged = run("team", "purge", "--older-than", "30", "--url", owner_url, env=owner)
    assert purged.returncode == 0 and "0 attempts older than 30 days removed" in purged.stdout
    assert _leaks(tmp_path, DAVE_PASSWORD) == []
    with psycopg.connect(postgres.owner_url(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {database} WITH (FORCE)")


def test_another_agents_call_holds_the_cooldown_naming_them(team: Team, simulator: TermiiSimulator,
                                                            tmp_path: Path) -> None:
    alice = _desk_env(team, simulator, tmp_path / "alice", "alice")
    bob = _desk_env(team, simulator, tmp_path / "bob", "bob")
    assert run("call", PHONE, CODE, env=alice).returncode == 0
    refused = run("call", PHONE, CODE, env=bob)
    assert refused.returncode == 6, refused.stderr
    assert "was called by alice" in refused.stderr and "--force" in refused.stderr
    assert len(simulator.calls) == 1
    forced = run("call", PHONE, CODE, "--force", env=bob)
    assert forced.returncode == 0, forced.stderr
    assert len(simulator.calls) == 2
    assert [r[1] for r in team.rows()] == ["alice", "bob"]


def test_server_down_the_call_goes_out_with_a_warning_then_syncs_once(team: Team, simulator: TermiiSimulator,
                                                                       tmp_path: Path) -> None:
    env = _desk_env(team, simulator, tmp_path / "alice")
    team.server.stop()
    try:
        result = run("call", PHONE, CODE, env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("Sent: Termii accepted the call")
        [warning] = result.stderr.strip().splitlines()
        assert warning.startswith("termii-desk: warning: Shared history unreachable: 1 call waiting.")
        refused = run("call", PHONE, CODE, env=env)  # offline, this desk's own outbox holds the cooldown
        assert refused.returncode == 6 and "only this desk's calls were checked" in refused.stderr
        status = run("team", "status", env=env)
        assert status.returncode == 5 and "Calls waiting on this desk: 1" in status.stdout
        assert status.stderr == ""
        offline_sync = run("team", "sync", env=env)
        assert offline_sync.returncode == 5
        [said] = offline_sync.stderr.strip().splitlines()  # one sentence, no log line of the driver's state
        assert said.startswith("termii-desk: The shared history at ") and "1 call still waiting" in said
        assert len(simulator.calls) == 1
    finally:
        team.server.start()
    synced = run("team", "sync", env=env)
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout.strip() == "1 call sent to the shared history; none waiting."
    assert run("team", "sync", env=env).stdout.strip() == "0 calls sent to the shared history; none waiting."
    rows = team.rows()
    assert [(r[1], r[2], r[3]) for r in rows] == [("alice", "2348031234567", "sent")]


@pytest.mark.parametrize(("case", "expected"), [
    ("wrong password", 'refused the password of agent "alice"'),
    ("unreachable", "cannot be reached"),
    ("tls required", "does not offer TLS"),
])
def test_connection_problems_are_one_sentence_and_the_call_still_goes_out(
    team: Team, simulator: TermiiSimulator, tmp_path: Path, case: str, expected: str
) -> None:
    env = _desk_env(team, simulator, tmp_path / "alice")
    if case == "wrong password":
        env["PGPASSWORD"] = "wrong-Password-993"
    elif case == "unreachable":
        env["TERMII_DESK_HISTORY_URL"] = f"postgresql://alice@127.0.0.1:{free_port()}/{team.database}"
    else:
        env["TERMII_DESK_HISTORY_URL"] = team.url("alice", sslmode="require")
    status = run("team", "status", env=env)
    assert status.returncode == 5
    assert expected in status.stdout
    assert status.stderr == ""  # the problem once, on its line of the status; no log line beside it
    result = run("call", PHONE, CODE, env=env)
    assert result.returncode == 0
    [warning] = result.stderr.strip().splitlines()
    assert "Shared history unreachable: 1 call waiting." in warning and expected in warning
    assert "wrong-Password-993" not in result.stderr + status.stdout + status.stderr
    assert _leaks(tmp_path, "wrong-Password-993") == []
    assert _leaks(tmp_path, AGENT_PASSWORDS["alice"]) == []


def test_a_url_with_a_password_is_refused_in_settings_and_never_shown(team: Team, simulator: TermiiSimulator,
                                                                      tmp_path: Path) -> None:
    secret = AGENT_PASSWORDS["alice"]
    env = _desk_env(team, simulator, tmp_path / "alice", url=team.url("alice").replace("alice@",
                                                                                       f"alice:{secret}@"))
    del env["PGPASSWORD"]
    status = run("team", "status", env=env)  # the environment may carry one: used, shown as ***
    assert status.returncode == 0, status.stdout + status.stderr
    assert "alice:***@" in status.stdout and secret not in status.stdout + status.stderr
    assert run("call", PHONE, CODE, env=env).returncode == 0
    home = tmp_path / "alice"
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "settings.json").write_text(
        '{"history_url": "' + team.url("alice").replace("alice@", f"alice:{secret}@") + '"}')
    env.pop("TERMII_DESK_HISTORY_URL")
    listed = run("history", env=env)
    assert "Ignored the setting history_url (the URL holds a password" in listed.stderr
    assert secret not in listed.stderr + listed.stdout
    assert _leaks(home / "logs", secret) == [] and _leaks(home / "data", secret) == []


@pytest.mark.keyring
def test_password_set_keeps_it_in_the_keyring(team: Team, simulator: TermiiSimulator, tmp_path: Path,
                                              secret_service: str) -> None:
    env = _desk_env(team, simulator, tmp_path / "bob", "bob")
    del env["PGPASSWORD"], env["PYTHON_KEYRING_BACKEND"]
    env["DBUS_SESSION_BUS_ADDRESS"] = secret_service
    before = run("team", "status", env=env)  # no password anywhere yet
    assert before.returncode == 5 and 'asks agent "bob" for a password, and this desk has none' in before.stdout
    stored = run("team", "password", "set", env=env, stdin=AGENT_PASSWORDS["bob"] + "\n")
    assert stored.returncode == 0, stored.stderr
    assert "is stored in" in stored.stdout and AGENT_PASSWORDS["bob"] not in stored.stdout
    status = run("team", "status", env=env)
    assert status.returncode == 0 and "Agent: bob" in status.stdout, status.stdout
    assert run("call", PHONE, CODE, env=env).returncode == 0
    assert [r[1] for r in team.rows()] == ["bob"]
    assert _leaks(tmp_path, AGENT_PASSWORDS["bob"]) == []


def test_rows_name_the_profile_they_were_sent_from(team: Team, simulator: TermiiSimulator, tmp_path: Path) -> None:
    env = _desk_env(team, simulator, tmp_path / "alice")
    added = run("profile", "add", "ghana", "--base-url", simulator.url, "--region", "GH", env=env)
    assert added.returncode == 0, added.stderr
    assert run("call", PHONE, CODE, env=env).returncode == 0
    assert run("call", "+233201234567", CODE, "--profile", "ghana", env=env).returncode == 0
    with psycopg.connect(team.owner_url) as conn:
        rows = conn.execute("SELECT phone, profile, agent FROM termii_desk.attempts ORDER BY id").fetchall()
    assert rows == [("2348031234567", "default", "alice"), ("233201234567", "ghana", "alice")]
    status = run("team", "status", "--profile", "ghana", env=env)
    assert status.returncode == 0 and "Agent: alice" in status.stdout


def test_a_dozen_command_lines_calling_one_number_at_once_send_one(team: Team, simulator: TermiiSimulator,
                                                                    tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    procs = []
    for n in range(12):
        agent = ("alice", "bob", "carol")[n % 3]
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("TERMII_")},
               **_desk_env(team, simulator, tmp_path / f"desk{n}", agent)}
        procs.append(subprocess.Popen([sys.executable, "-m", "termii_desk", "call", PHONE, str(482910 + n)],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = []
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        results.append((proc.returncode, err))
    codes = sorted(code for code, _ in results)
    assert codes == [0] + [6] * 11, results
    assert all("was called by" in err for code, err in results if code == 6)
    assert len(simulator.calls) == 1
    assert len(team.rows()) == 1


def _outbox_bytes(home: Path) -> bytes:
    """Every byte of the desk's outbox files (the database, its write-ahead log, its shared memory)."""
    return b"".join(p.read_bytes() for p in sorted((home / "data").glob("team-outbox-*")) if p.is_file())


def test_erase_number_reaches_the_calls_waiting_in_this_desks_outbox(team: Team, simulator: TermiiSimulator,
                                                                     tmp_path: Path) -> None:
    home = tmp_path / "alice"
    env = _desk_env(team, simulator, home)
    other = "+2348039876543"
    team.server.stop()
    try:
        assert run("call", PHONE, CODE, env=env).returncode == 0  # waits in this desk's outbox
        assert run("call", other, CODE, env=env).returncode == 0
    finally:
        team.server.start()
    assert b"2348031234567" in _outbox_bytes(home) and team.rows() == []
    from tests.postgres_server import OWNER, OWNER_PASSWORD

    # The owner over TCP, with a password: it must reach no file, output or log of the desk.
    owner = {"TERMII_DESK_HOME": str(home), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
             "PGPASSWORD": OWNER_PASSWORD}
    owner_url = team.server.url(OWNER, team.database)
    refused = run("team", "erase-number", PHONE, env=env)  # an agent: refused, and its outbox left as it was
    assert refused.returncode == 3 and "Only the team's owner can erase a number" in refused.stderr
    assert '"alice"' in refused.stderr and "--url" in refused.stderr
    assert b"2348031234567" in _outbox_bytes(home)
    erased = run("team", "erase-number", PHONE, "--url", owner_url, env=owner)
    assert erased.returncode == 0, erased.stderr
    assert "erased from 0 attempts on the shared history and from 1 call waiting on this desk" in erased.stdout
    assert "other desks' outboxes" in erased.stdout and "run this command again" in erased.stdout
    assert b"2348031234567" not in _outbox_bytes(home)  # not in the file, nor in its write-ahead log
    assert b"2348039876543" in _outbox_bytes(home)  # the other customer's call still waits, untouched
    synced = run("team", "sync", env=env)
    assert synced.returncode == 0 and "2 calls sent" in synced.stdout, synced.stdout + synced.stderr
    rows = team.rows()
    assert sorted(r[2] for r in rows) == ["2348039876543", "[erased]"] and all(r[3] == "sent" for r in rows)
    [(action, changed)] = team.owner().execute(
        "SELECT action, rows_changed FROM termii_desk.owner_actions").fetchall()
    assert (action, changed) == ("erase-number", 0)
    again = run("team", "erase-number", PHONE, "--url", owner_url, "--json", env=owner)
    assert json.loads(again.stdout) == {"rows_changed": 0, "waiting_changed": 0}
    said = erased.stdout + erased.stderr + again.stdout + again.stderr
    assert OWNER_PASSWORD not in said and _leaks(tmp_path, OWNER_PASSWORD) == []


def test_the_owners_connection_problems_name_the_owner(team: Team, tmp_path: Path) -> None:
    from tests.postgres_server import OWNER

    owner_tcp = team.server.url(OWNER, team.database)  # over TCP the server asks for the owner's password
    env = {"TERMII_DESK_HOME": str(tmp_path / "owner"), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
           "PGPASSWORD": "wrong-Owner-Pw-618"}
    wrong = run("team", "purge", "--older-than", "30", "--url", owner_tcp, env=env)
    assert wrong.returncode == 5 and wrong.stdout == ""
    [said] = wrong.stderr.strip().splitlines()
    assert f'refused the password of the owner "{OWNER}"' in said and "agent" not in said
    assert "team password set --url" in said and "ask the team's owner" not in said
    del env["PGPASSWORD"]
    missing = run("team", "init", "--url", owner_tcp, env=env)
    assert missing.returncode == 5 and f'asks the owner "{OWNER}" for a password' in missing.stderr
    assert "agent" not in missing.stderr
    nobody = run("team", "add-agent", "dave", "--url", team.server.url("nobody_here", team.database), env=env,
                 stdin="x\n")
    assert nobody.returncode == 5 and "agent" not in nobody.stderr.replace("add-agent", "")
    assert "Traceback" not in wrong.stderr + missing.stderr + nobody.stderr
    assert _leaks(tmp_path, "wrong-Owner-Pw-618") == []
    # An agent's own commands still speak of the agent.
    agent_env = {**env, "PGPASSWORD": "wrong-Password-993", "TERMII_DESK_HISTORY_URL": team.url("alice")}
    status = run("team", "status", env=agent_env)
    assert status.returncode == 5 and 'refused the password of agent "alice"' in status.stdout


def test_add_agent_never_takes_over_a_role_that_is_not_an_agent(team: Team, tmp_path: Path) -> None:
    from tests.postgres_server import OWNER, OWNER_PASSWORD

    env = {"TERMII_DESK_HOME": str(tmp_path / "owner"), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    for name in (OWNER, "termii_desk_agent"):  # the owner's own login, the agents' group
        taken = run("team", "add-agent", name, "--url", team.owner_url, env=env, stdin="hijacked-Pw-1\n")
        assert taken.returncode == 3, taken.stdout + taken.stderr
        assert f"Nothing changed: '{name}' is a database role that is not one of the team's agents" in taken.stderr
    with psycopg.connect(team.server.url(OWNER, team.database), password=OWNER_PASSWORD) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (OWNER,)  # its password is as it was
    bad = run("team", "add-agent", "two words", "--url", team.owner_url, env=env, stdin="")
    assert bad.returncode == 2 and bad.stderr.startswith("termii-desk: input rejected, nothing changed: An agent's")
    again = run("team", "add-agent", "alice", "--url", team.owner_url, env=env, stdin=AGENT_PASSWORDS["alice"] + "\n")
    assert again.returncode == 0 and "Agent alice updated with a password" in again.stdout


def test_a_damaged_outbox_never_stops_a_call(team: Team, simulator: TermiiSimulator, tmp_path: Path) -> None:
    home = tmp_path / "alice"
    env = _desk_env(team, simulator, home)
    assert run("team", "status", env=env).returncode == 0  # the desk's outbox file exists now
    [outbox] = (home / "data").glob("team-outbox-*.sqlite3")
    outbox.write_bytes(b"not a database " * 500)
    result = run("call", PHONE, CODE, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Sent: Termii accepted the call") and len(simulator.calls) == 1
    [warning] = result.stderr.strip().splitlines()
    assert "outbox (calls waiting for the shared history) was damaged; it was moved aside" in warning
    assert "Traceback" not in result.stderr and [r[3] for r in team.rows()] == ["sent"]
    status = run("team", "status", env=env)  # said once: the new outbox is sound
    assert status.returncode == 0 and status.stderr == ""
    owner = {"TERMII_DESK_HOME": str(home), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    erased = run("team", "erase-number", PHONE, "--url", team.owner_url, env=owner)
    assert erased.returncode == 0 and "erased from 1 attempt" in erased.stdout, erased.stderr
    [warning] = erased.stderr.strip().splitlines()  # the damaged file could not be read: said, not hidden
    assert "A damaged outbox was moved aside earlier as team-outbox-" in warning
    assert "may still hold the number: delete it once its calls are not needed" in warning


def test_password_set_without_a_keyring_speaks_of_the_password(team: Team, tmp_path: Path) -> None:
    env = {"TERMII_DESK_HOME": str(tmp_path / "bob"), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
           "TERMII_DESK_HISTORY_URL": team.url("bob")}
    refused = run("team", "password", "set", env=env, stdin=AGENT_PASSWORDS["bob"] + "\n")
    assert refused.returncode == 3 and refused.stdout == ""
    [said] = refused.stderr.strip().splitlines()
    assert "keep the password" in said and "PGPASSWORD or ~/.pgpass" in said
    assert "The password is never written to a file." in said
    assert "key" not in said.lower().replace("keyring", "").replace("gnome", "")
    assert AGENT_PASSWORDS["bob"] not in refused.stderr and _leaks(tmp_path, AGENT_PASSWORDS["bob"]) == []


def test_a_database_owner_without_createrole_is_told_what_it_lacks(postgres: PostgresServer, tmp_path: Path) -> None:
    name = f"lead_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(postgres.owner_url(), autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {name} LOGIN")  # owns the database, may not create roles
        admin.execute(f"CREATE DATABASE {name} OWNER {name}")
        admin.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'termii_desk_agent') THEN "
                      "CREATE ROLE termii_desk_agent NOLOGIN; END IF; END $$")  # as another team made it
    url = f"postgresql://{name}@/{name}?host={postgres.socket_dir}&port={postgres.port}"
    env = {"TERMII_DESK_HOME": str(tmp_path / "lead"), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    try:
        # Even with the agents' group made by another team, init needs to create this team's own door role.
        for command, what in ((("team", "init"), "set up the team history"),
                              (("team", "add-agent", "zed"), "add agents")):
            refused = run(*command, "--url", url, env=env, stdin="zed-Pw-5519\n")
            assert refused.returncode == 3 and refused.stdout == ""
            [said] = refused.stderr.strip().splitlines()
            assert f'"{name}" owns the database, but the server refused to let it {what}' in said
            assert f'ALTER ROLE "{name}" CREATEROLE' in said and "Only the team's owner" not in said
        with psycopg.connect(postgres.owner_url(name)) as conn:  # nothing was left half made
            assert conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'zed'").fetchone() is None
            assert conn.execute("SELECT to_regclass('termii_desk.attempts')").fetchone() == (None,)
        agent = run("team", "purge", "--older-than", "3", "--url", postgres.url("alice", name), env={
            **env, "PGPASSWORD": AGENT_PASSWORDS["alice"]})
        assert agent.returncode in (3, 5) and "owns the database" not in agent.stderr
    finally:
        with psycopg.connect(postgres.owner_url(), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"DROP ROLE IF EXISTS {name}")
