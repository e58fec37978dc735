"""``termii-desk team …``: set up and use a team's shared history on PostgreSQL.

The owner's commands (``init``, ``add-agent``, ``purge``, ``erase-number``) connect as the database's owner;
the agent's (``status``, ``sync``, ``password set``) as the agent. The URL is shown without its password, and
passwords are read from standard input (or a hidden prompt), never from the command line.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

    from termii_desk.cli import _Output
    from termii_desk.core.settings import Settings
    from termii_desk.core.team import HistoryTarget

EXIT_OK, EXIT_INPUT, EXIT_CONFIG, EXIT_NOT_COMPLETED = 0, 2, 3, 5
NOT_CONFIGURED = ("No team history is configured: set history_url in the settings, or TERMII_DESK_HISTORY_URL "
                  "(postgresql://AGENT@HOST:PORT/DATABASE), or pass --url.")


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """The ``team`` command group, under the main parser's subcommands."""
    url = _url_option()
    team = sub.add_parser("team", parents=[common], help="a team's shared history on PostgreSQL")
    commands = team.add_subparsers(dest="team_command", metavar="TEAM_COMMAND", required=True)
    commands.add_parser("init", parents=[common, url],
                        help="(owner) create or update the schema, the agents' group, grants and rules")
    agent = commands.add_parser("add-agent", parents=[common, url],
                                help="(owner) a login for an agent; its password from standard input "
                                     "(empty for peer, trust or certificate sign-in)")
    agent.add_argument("name", metavar="NAME")
    purge = commands.add_parser("purge", parents=[common, url], help="(owner) delete attempts older than DAYS")
    purge.add_argument("--older-than", type=int, required=True, metavar="DAYS")
    erase = commands.add_parser("erase-number", parents=[common, url],
                                help="(owner) replace a customer's number with a redaction mark in every row")
    erase.add_argument("phone", metavar="PHONE")
    commands.add_parser("status", parents=[common, url],
                        help="server, agent, schema version, calls waiting on this desk")
    commands.add_parser("sync", parents=[common, url], help="send the calls waiting on this desk")
    password = commands.add_parser("password", parents=[common, url],
                                   help="the agent's database password in the system keyring")
    password.add_argument("action", choices=("set", "clear"), help="set reads it from standard input")


def _url_option() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--url", default=None, metavar="URL",
                        help="the shared history for this command (default: the configured one)")
    return parser


def run(args: argparse.Namespace, out: _Output) -> int:
    from termii_desk.core.logs import on_problem, setup_logging
    from termii_desk.core.paths import AppPaths
    from termii_desk.core.team import parse_history_url

    # The desk's log file, as for every other command: without it, Python would print the team history's log
    # lines (a server going offline...) on standard error beside the command's own sentence.
    problem = setup_logging(AppPaths.from_environment().log_file)
    if problem:
        out.warn(problem)
    else:
        on_problem(out.warn)
    url = _configured(args)
    if not url:
        out.fail(NOT_CONFIGURED)
        return EXIT_CONFIG
    try:
        target = parse_history_url(url)
    except ValueError as exc:
        out.fail(f"{exc}.")
        return EXIT_CONFIG
    if args.team_command == "password":
        return _password(args, out, target)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        out.fail("The PostgreSQL driver is not installed: pip install 'termii-desk[team]'.")
        return EXIT_CONFIG
    handlers = {"init": _init, "add-agent": _add_agent, "purge": _purge, "erase-number": _erase,
                "status": _status, "sync": _sync}
    return handlers[args.team_command](args, out, target)


def _profile_settings(args: argparse.Namespace) -> tuple[Settings, str]:
    """The selected profile's settings (``--profile``, ``TERMII_DESK_PROFILE`` or the default) and its name."""
    import os

    from termii_desk.core.paths import AppPaths
    from termii_desk.core.profiles import ProfileStore

    profiles = ProfileStore(AppPaths.from_environment().settings_file).load()
    profile = profiles.select(getattr(args, "profile", None), os.environ)
    settings, _problem = profiles.resolve(profile, os.environ)
    return settings, profile.name


def _configured(args: argparse.Namespace) -> str:
    from termii_desk.core.team import configured_url

    if args.url:
        return str(args.url)
    return configured_url(_profile_settings(args)[0].history_url)


def _owner(out: _Output, target: HistoryTarget) -> Any:
    """A connection as whoever the URL names (the owner, for the owner's commands), or None after a sentence."""
    import psycopg

    from termii_desk.core.team.credentials import TeamPasswords
    from termii_desk.core.team.postgres import connect, explain

    try:
        return connect(target, TeamPasswords().get(target))
    except psycopg.Error as exc:
        out.fail(explain(exc, target, owner=True))
        return None


def _owner_only(out: _Output, target: HistoryTarget, what: str, command: Any) -> int:
    import psycopg

    from termii_desk.core.history import HistoryError
    from termii_desk.core.team.postgres import explain

    conn = _owner(out, target)
    if conn is None:
        return EXIT_NOT_COMPLETED
    try:
        with conn:
            try:
                return int(command(conn))
            except psycopg.errors.InsufficientPrivilege:
                if not _owns_database(conn):
                    return _not_owner(out, target, what)
                user = target.user or "this user"
                out.fail(f"\"{user}\" owns the database, but the server refused to let it {what}: it needs the "
                         f"CREATEROLE attribute (a superuser runs ALTER ROLE \"{user}\" CREATEROLE). Then run the "
                         "command again.")
                return EXIT_CONFIG
    except HistoryError as exc:
        out.fail(str(exc))
        return EXIT_CONFIG
    except psycopg.Error as exc:
        out.fail(explain(exc, target, owner=True))
        return EXIT_NOT_COMPLETED


def _owns_database(conn: Any) -> bool:
    """Whether the connection's role owns the database it is connected to (or is a member of its owner)."""
    import psycopg

    try:
        found = conn.execute("SELECT pg_has_role(current_user, datdba, 'USAGE') FROM pg_database"
                             " WHERE datname = current_database()").fetchone()
    except psycopg.Error:
        return False
    return bool(found and found[0])


def _not_owner(out: _Output, target: HistoryTarget, what: str) -> int:
    who = f'"{target.user}"' if target.user else "your own user name"
    out.fail(f"Only the team's owner can {what}: this command connected as {who}. Run it with --url naming "
             "the database's owner (postgresql://OWNER@HOST:PORT/DATABASE).")
    return EXIT_CONFIG


def _init(args: argparse.Namespace, out: _Output, target: HistoryTarget) -> int:
    from termii_desk.core.team.postgres import init_schema
    from termii_desk.core.team.schema import AGENT_GROUP, team_door

    def init(conn: Any) -> int:
        before, after = init_schema(conn)
        door = team_door(conn.info.dbname)
        done = ("created" if before == 0 else f"updated from schema {before}") if before != after else "already set up"
        out.result(f"Team history at {target.place}: schema {after} {done}; the agents' group {AGENT_GROUP}, its "
                   f"grants and row rules are in place, and only this team's door role {door} may connect. Add "
                   "agents with `termii-desk team add-agent NAME`.",
                   {"server": target.shown, "schema_version": after, "previous_version": before,
                    "door_role": door})
        return EXIT_OK

    return _owner_only(out, target, "set up the team history", init)


def _add_agent(args: argparse.Namespace, out: _Output, target: HistoryTarget) -> int:
    from termii_desk.core.team.postgres import add_agent, agent_name_problem

    problem = agent_name_problem(args.name)
    if problem is not None:  # before asking for a password
        out.fail(f"input rejected, nothing changed: {problem}")
        return EXIT_INPUT
    password = _read_secret(f"Password for agent {args.name} (input hidden; empty for peer or certificate "
                            "sign-in): ")

    def add(conn: Any) -> int:
        created = add_agent(conn, args.name, password)
        how = "with a password" if password else "without a password (peer, trust or certificate sign-in)"
        verb = "created" if created else "updated"
        out.result(f"Agent {args.name} {verb} {how}, in the team at {target.place}.",
                   {"agent": args.name, "created": created, "password": bool(password)})
        return EXIT_OK

    return _owner_only(out, target, "add agents", add)


def _purge(args: argparse.Namespace, out: _Output, target: HistoryTarget) -> int:
    from termii_desk.core.team.postgres import purge

    if args.older_than < 1:
        out.fail("input rejected: --older-than takes a number of days, 1 or more.")
        return EXIT_INPUT

    def run_purge(conn: Any) -> int:
        removed = purge(conn, args.older_than)
        out.result(f"{removed} attempt{'s' if removed != 1 else ''} older than {args.older_than} days removed "
                   "(recorded in the team's owner actions).", {"removed": removed})
        return EXIT_OK

    return _owner_only(out, target, "purge the team history", run_purge)


def _erase(args: argparse.Namespace, out: _Output, target: HistoryTarget) -> int:
    """The number masked in this desk's outboxes first (so a sync running meanwhile sends it masked, or sent
    it before the server's erasure below), then in every row on the server."""
    import sqlite3

    import psycopg

    from termii_desk.core.errors import InputError
    from termii_desk.core.history import HistoryError
    from termii_desk.core.paths import AppPaths
    from termii_desk.core.team.outbox import erase_from_outboxes
    from termii_desk.core.team.postgres import erase_number, is_owner, schema_version
    from termii_desk.core.validation import validate_phone

    region = _profile_settings(args)[0].default_region
    try:
        phone = validate_phone(args.phone, region)
    except InputError as exc:
        out.fail(f"input rejected, nothing erased: {exc}")
        return EXIT_INPUT
    others = (" Calls still waiting in other desks' outboxes arrive with the number when those desks sync: "
              "run this command again once every desk's `termii-desk team status` shows none waiting.")

    def erase(conn: Any) -> int:
        if schema_version(conn) == 0:
            out.fail(f"Nothing erased: {target.place} holds no team history yet (`termii-desk team init` sets "
                     "it up).")
            return EXIT_CONFIG
        if not is_owner(conn):  # before this desk's outbox is touched: nothing changes for a refused command
            return _not_owner(out, target, "erase a number")
        # This desk's outboxes first: a sync running meanwhile then sends the entry masked, or sent it before
        # the server's erasure below reaches it.
        try:
            waiting, damaged = erase_from_outboxes(AppPaths.from_environment().data_dir, phone.digits)
        except (HistoryError, OSError, sqlite3.Error) as exc:
            out.fail(f"Nothing erased: this desk's outbox could not be changed ({type(exc).__name__}). Close "
                     "the desk's window and run the command again.")
            return EXIT_NOT_COMPLETED
        for sentence in damaged:
            out.warn(f"{sentence} That file could not be read, so it may still hold the number: delete it once "
                     "its calls are not needed.")
        try:
            changed = erase_number(conn, phone.digits)
        except psycopg.Error:
            if waiting:
                out.warn(f"{phone.display} was erased from {waiting} call{'s' if waiting != 1 else ''} waiting "
                         "on this desk, but not yet from the shared history: run the command again.")
            raise
        here = f" and from {waiting} call{'s' if waiting != 1 else ''} waiting on this desk" if waiting else ""
        out.result(f"{phone.display} erased from {changed} attempt{'s' if changed != 1 else ''} on the shared "
                   f"history{here}; the erasure is recorded (by whom and when, not the number).{others}",
                   {"rows_changed": changed, "waiting_changed": waiting})
        return EXIT_OK

    return _owner_only(out, target, "erase a number", erase)


def _agent_history(args: argparse.Namespace, target: HistoryTarget) -> Any:
    from termii_desk.core.paths import AppPaths
    from termii_desk.core.team import outbox_file
    from termii_desk.core.team.credentials import TeamPasswords
    from termii_desk.core.team.postgres import TeamHistory

    return TeamHistory(target.url, outbox_path=outbox_file(AppPaths.from_environment().data_dir, target),
                       password=TeamPasswords().get(target), profile=_profile_settings(args)[1])


def _status(args: argparse.Namespace, out: _Output, target: HistoryTarget) -> int:
    history = _agent_history(args, target)
    if history.outbox_notice:
        out.warn(history.outbox_notice)
    try:
        status = history.status()
    finally:
        history.close()
    lines = [f"Server: {status.server}",
             f"Agent: {status.agent or target.user or '(not signed in)'}",
             f"Schema: {status.schema_version if status.schema_version is not None else 'unknown'}",
             f"Calls waiting on this desk: {status.waiting}"]
    if status.problem:
        lines.append(f"Problem: {status.problem}")
    out.result("\n".join(lines), {"server": status.server, "agent": status.agent or None,
                                  "schema_version": status.schema_version, "waiting": status.waiting,
                                  "online": status.problem is None, "problem": status.problem})
    return EXIT_OK if status.problem is None else EXIT_NOT_COMPLETED


def _sync(args: argparse.Namespace, out: _Output, target: HistoryTarget) -> int:
    history = _agent_history(args, target)  # connecting sends the outbox already; sync() says what is left
    if history.outbox_notice:
        out.warn(history.outbox_notice)
    try:
        if not history.online:
            waiting = history.outbox.count()
            out.fail(f"{history.problem} {waiting} call{'s' if waiting != 1 else ''} still waiting on this desk.",
                     {"waiting": waiting})
            return EXIT_NOT_COMPLETED
        first = history.last_sync
        report = history.sync()
        sent, already = first.sent + report.sent, first.already + report.already
    finally:
        history.close()
    from termii_desk.core.team.postgres import SyncReport

    total = SyncReport(sent, already, report.left)
    out.result(total.sentence(), {"sent": total.sent, "already": total.already, "waiting": total.left})
    return EXIT_OK


def _password(args: argparse.Namespace, out: _Output, target: HistoryTarget) -> int:
    from termii_desk.core.errors import KeyringUnavailableError
    from termii_desk.core.team.credentials import TeamPasswords

    store = TeamPasswords()
    who = f"{target.user or 'you'}@{target.place}"
    try:
        if args.action == "clear":
            store.delete(target)
            out.result(f"The database password of {who} was removed from the keyring.", {"cleared": True})
            return EXIT_OK
        password = _read_secret(f"Database password of {who} (input hidden): ")
        if not password:
            out.fail("input rejected, nothing stored: the password is empty (peer or certificate sign-in "
                     "needs none).")
            return EXIT_INPUT
        backend = store.set(target, password)
    except KeyringUnavailableError as exc:
        out.fail(str(exc).replace("the API key", "the password").replace("The key", "The password")
                 .replace("set TERMII_API_KEY for this session", "use PGPASSWORD or ~/.pgpass"))
        return EXIT_CONFIG
    out.result(f"The database password of {who} is stored in {backend}.", {"stored": True})
    return EXIT_OK


def _read_secret(prompt: str) -> str:
    if sys.stdin is None:
        return ""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\r\n")
