"""The command line: the same core as the window, for scripts and for agents who prefer a terminal.

Exit codes: 0 done; 2 input rejected, nothing sent; 3 configuration (no key, bad base URL, no keyring,
no display for the window); 4 Termii refused the request; 5 not completed (network, timeout, 5xx, unreadable
answer); 6 not sent: the number was called within the cooldown (``--force`` calls it anyway).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from termii_desk import __version__

if TYPE_CHECKING:
    import argparse
    from typing import IO

    from termii_desk.core.bootstrap import DeskServices
    from termii_desk.core.desk import Desk
    from termii_desk.core.history import HistoryRow
    from termii_desk.core.instance import Primary

EXIT_OK, EXIT_INPUT, EXIT_CONFIG, EXIT_REFUSED, EXIT_NOT_COMPLETED, EXIT_COOLDOWN = 0, 2, 3, 4, 5, 6
EXIT_UNEXPECTED = 1

EPILOG = """\
environment: TERMII_API_KEY (used instead of the keyring, never stored), TERMII_BASE_URL, TERMII_DESK_HOME,
             TERMII_DESK_PROFILE (like --profile),
             TERMII_DESK_HISTORY_URL (a team's shared history: postgresql://AGENT@HOST:PORT/DATABASE)
exit codes: 0 done; 2 input rejected, nothing sent; 3 configuration, nothing sent (no key, a base URL that
            cannot be used, no keyring; for the window, no display that answers);
            4 Termii refused the request (4xx); 5 not completed (network, timeout, 5xx, unreadable answer);
            6 not sent: the number was called within the cooldown (call --force calls it anyway)
"""


def _common_options() -> argparse.ArgumentParser:
    import argparse  # not at import: opening the window without options never builds the parser

    # SUPPRESS defaults let the options stand before or after the subcommand.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print one JSON object")
    common.add_argument("--base-url", default=argparse.SUPPRESS, metavar="URL", help="Termii base URL for this run")
    common.add_argument("--region", default=argparse.SUPPRESS, metavar="CC",
                        help="country for numbers written without + (e.g. NG)")
    common.add_argument("--timeout", type=float, default=argparse.SUPPRESS, metavar="SECONDS",
                        help="how long to wait for Termii's answer")
    common.add_argument("--profile", default=argparse.SUPPRESS, metavar="NAME",
                        help="the Termii account to use (default: TERMII_DESK_PROFILE, else the default profile)")
    return common


def build_parser() -> argparse.ArgumentParser:
    import argparse

    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="termii-desk",
        description="Send a one-time code as a Termii voice call, and check the balance. "
        "Without a command, opens the window.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"termii-desk {__version__}")
    parser.add_argument("--demo", action="store_true", help="open the window against the built-in simulator")
    parser.add_argument("--self-test", action="store_true",
                        help="open the window, send one call to the built-in simulator, exit 0 if all works")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    call = sub.add_parser("call", parents=[common], help="place a voice call and print the outcome")
    call.add_argument("phone", metavar="PHONE", help="the customer's number, e.g. +2348031234567")
    call.add_argument("code", metavar="CODE", nargs="?", default=None,
                      help="4 to 8 digits, not starting with 0; - (or --code-stdin) reads it from standard input, "
                      "or from a hidden prompt on a terminal, so it is not on the command line")
    call.add_argument("--code-stdin", action="store_true", help="read the code as CODE - does")
    call.add_argument("--force", action="store_true",
                      help="call even if this number was called within the cooldown (exit 6 otherwise)")

    sub.add_parser("balance", parents=[common], help="print the balance")

    history = sub.add_parser("history", parents=[common],
                             help="recent attempts, newest first (every profile's, unless one is chosen)")
    history.add_argument("--limit", type=int, default=None, metavar="N",
                         help="how many attempts (default 20; with --csv, every attempt)")
    history.add_argument("--csv", action="store_true", help="print CSV (for a spreadsheet)")

    key = sub.add_parser("key", parents=[common], help="the API key in the system keyring")
    key.add_argument("action", choices=("set", "clear", "status"),
                     help="set reads the key from standard input or a hidden prompt")

    profile = sub.add_parser("profile", parents=[common], help="the Termii accounts this desk knows")
    actions = profile.add_subparsers(dest="profile_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", parents=[common], help="add a profile: profile add NAME --base-url URL")
    add.add_argument("name", metavar="NAME")
    actions.add_parser("list", parents=[common], help="every profile; * marks the default")
    default = actions.add_parser("default", parents=[common], help="make NAME the default profile")
    default.add_argument("name", metavar="NAME")
    remove = actions.add_parser("remove", parents=[common], help="remove NAME and its key from the keyring")
    remove.add_argument("name", metavar="NAME")
    remove.add_argument("--yes", action="store_true", help="do not ask")

    from termii_desk import cli_team

    cli_team.add_parser(sub, common)

    simulator = sub.add_parser("simulator", parents=[common], help="run the Termii simulator in the foreground")
    simulator.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    simulator.add_argument("--port", type=int, default=8731)
    simulator.add_argument("--fault", default=None, metavar="MODE",
                           help="answer every request with this fault (`--fault help` lists them)")
    simulator.add_argument("--delay", type=float, default=0.0, metavar="S", help="wait before every answer")
    simulator.add_argument("--api-key", default=None, help="the key the simulator accepts")
    simulator.add_argument("--strict", action="store_true",
                           help="accept only the documented request forms (no + before the number, the code a "
                           "JSON number, every Voice Token field)")
    return parser


# The core's sentences name the window's Settings; on the command line each names what to type instead.
_IN_SETTINGS = (
    (re.compile(r"add it in Settings \(or (`[^`]+`)\)"), r"store it with \1"),
    (re.compile(r"Add it in Settings or with "), "Add it with "),
    (re.compile(r"(base URL[^.;]*?) in Settings"), r"\1 (--base-url, TERMII_BASE_URL, or `termii-desk profile add`)"),
    (re.compile(r"check it in Settings"), "check it (--base-url, TERMII_BASE_URL, or `termii-desk profile add`)"),
    (re.compile(r"in Settings"), "in the settings file"),
)


def for_the_command_line(sentence: str) -> str:
    """A core sentence with "in Settings" replaced by the command-line way to do it."""
    for pattern, replacement in _IN_SETTINGS:
        sentence = pattern.sub(replacement, sentence)
    return sentence


class _Output:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def result(self, human: str, data: dict[str, Any] | list[Any]) -> None:
        if self.as_json:
            import json  # not at import: the window, which imports this module first, never needs it

            print(json.dumps(data, ensure_ascii=False))
        else:
            print(human)

    def fail(self, message: str, data: dict[str, Any] | None = None) -> None:
        """One line on stderr; with --json also the object on stdout."""
        message = for_the_command_line(message)
        print(f"termii-desk: {message}", file=sys.stderr)
        if self.as_json:
            import json

            print(json.dumps({**(data or {}), "error": message}, ensure_ascii=False))

    @staticmethod
    def warn(message: str) -> None:
        print(f"termii-desk: warning: {for_the_command_line(message)}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    report_crashes()
    arguments = sys.argv[1:] if argv is None else list(argv)
    if not arguments:
        # The usual start, from a desktop launcher: the window, without building the parser first (argparse
        # looks up its translations on every message it prepares, a few ms of the time to the first paint).
        return _guarded(_Output(False), lambda out: _window(out, arguments=[]))
    args = build_parser().parse_args(arguments)
    out = _Output(getattr(args, "json", False))
    if args.command is None:
        # A self-test runs on its own; a demo is the one demo desk (never the agent's: core.instance).
        return _guarded(out, lambda out: _window(out, demo=args.demo, base_url=getattr(args, "base_url", None),
                                                 region=getattr(args, "region", None),
                                                 timeout=getattr(args, "timeout", None), self_test=args.self_test,
                                                 profile=getattr(args, "profile", None),
                                                 arguments=None if args.self_test else arguments))
    from termii_desk.core.code_cache import keep_compiled_code

    keep_compiled_code()  # a command builds the core's dataclasses and patterns too
    if args.command == "simulator":
        return _guarded(out, lambda _out: _simulator(args))
    return _guarded(out, lambda out: _COMMANDS[args.command](args, out))


def _guarded(out: _Output, command: Callable[[_Output], int]) -> int:
    """Runs ``command``; what it raises becomes a sentence and an exit code, never a traceback."""
    try:
        return command(out)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from termii_desk.core.errors import DeskError

        if isinstance(exc, DeskError):
            out.fail(str(exc), {"outcome": exc.outcome.value})
            return exc.exit_code
        import logging

        logging.getLogger("termii_desk").exception("unexpected error")
        out.fail(f"unexpected error ({type(exc).__name__}); details are in the log file.")
        return EXIT_UNEXPECTED


_CRASH_FILE: list[IO[str]] = []  # the open crash file of a windowed start, kept for the process's life


def report_crashes() -> None:
    """Should the process crash (a fault in Qt or PySide6), each thread's Python stack is written to standard error
    first: where in the desk it happened (file names, lines and function names, never a value). A windowed start
    appends it to the crash file in the log folder instead: no standard error (Windows' bundle), a standard error
    without a descriptor, or macOS' app bundle (its standard error is the null device)."""
    import contextlib
    import faulthandler

    if faulthandler.is_enabled():  # already on (pytest)
        return
    windowed_mac_bundle = getattr(sys, "frozen", False) and sys.platform == "darwin"
    if sys.stderr is not None and not windowed_mac_bundle:
        with contextlib.suppress(AttributeError, OSError, RuntimeError, ValueError):  # no descriptor: the file
            faulthandler.enable()
            return
    with contextlib.suppress(AttributeError, OSError, RuntimeError, ValueError):
        from termii_desk.core.paths import AppPaths, private_file

        crash_file = open(private_file(AppPaths.from_environment().crash_file), "a", encoding="utf-8")  # noqa: SIM115
        _CRASH_FILE.append(crash_file)
        faulthandler.enable(crash_file)


def take_previous_crash() -> str | None:
    """In the desk that opens the window (never a start that hands over to it), once its notices are shown: when a
    windowed start's crash file holds a crash (not this desk's: it is running), that crash is copied aside for the
    agent to send on and the crash file emptied (not renamed: Windows renames no open file, and other starts may
    have it open), and the notice that says so is returned; None otherwise (no crash, or a start with standard
    error, which printed it)."""
    if not _CRASH_FILE:
        return None
    import contextlib

    from termii_desk.core.paths import AppPaths, private_file
    from termii_desk.core.words import previous_crash

    paths = AppPaths.from_environment()
    try:
        crashed = paths.crash_file.read_bytes()
        if not crashed:
            return None
        with open(private_file(paths.previous_crash_file), "wb") as previous:
            previous.write(crashed)
    except OSError:
        return None  # said at a later start
    with contextlib.suppress(OSError):  # else said again at the next start
        _CRASH_FILE[0].truncate(0)  # appends (this desk's own crash, should it come) go on at its new end
    return previous_crash(str(paths.previous_crash_file))


def _window(out: _Output, *, demo: bool = False, base_url: str | None = None, region: str | None = None,
            timeout: float | None = None, self_test: bool = False, profile: str | None = None,
            arguments: list[str] | None = None) -> int:
    """Open the window. With ``arguments`` (not a self-test), first hand them to the desk already running for this
    user and home (with ``demo``, to the demo desk), if there is one: it comes to the front, and this start ends."""
    from termii_desk.core.display import display_problem  # before Qt, which would abort without a display

    problem = display_problem()
    if problem and self_test:
        import os

        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # the self-test checks the desk itself, not a display
    elif problem:
        out.fail(problem)
        return EXIT_CONFIG
    primary: Primary | None = None
    if arguments is not None:
        from termii_desk.core.instance import InstanceError, claim  # before Qt: a second start stays this cheap

        try:
            answer, primary = claim(arguments, demo=demo)
        except InstanceError as exc:
            out.fail(str(exc))
            return EXIT_UNEXPECTED
        if answer is not None:
            if answer["note"]:
                out.warn(answer["note"])
            return EXIT_OK
    import gc

    from termii_desk.core.code_cache import keep_compiled_code

    keep_compiled_code()  # dataclass methods and regular expressions compiled at an earlier start, not again
    # No garbage collection from here until the window is ready (then only on the GUI thread: run_window()): what
    # the imports of Qt and the window build lives on, and ~30 collections of it cost several ms before the first
    # frame.
    gc.disable()
    try:
        from termii_desk.ui._shiboken import import_shiboken

        import_shiboken()  # its support code from the last start's bytecode, not compiled again
        from termii_desk.app import run_window
    except BaseException:
        gc.enable()
        raise

    notices = [] if self_test or demo else [take_previous_crash]
    try:
        return run_window(demo=demo, base_url=base_url, region=region, timeout=timeout, self_test=self_test,
                          instance=primary, profile=profile, notices=notices)
    finally:
        if primary is not None:
            primary.close()


def _services(args: argparse.Namespace, out: _Output, *, contacts_termii: bool = True) -> DeskServices:
    """The desk from the core's one bootstrap, with this run's options; its notices become warning lines.

    A base URL that cannot be used stops a command that would contact Termii (``ConfigError``, exit 3) before
    anything is sent, never the default host in its place; the others go on with a warning.
    """
    from termii_desk.core.bootstrap import RunOptions, build_desk
    from termii_desk.core.errors import ConfigError
    from termii_desk.core.logs import on_problem, setup_logging
    from termii_desk.core.paths import AppPaths

    paths = AppPaths.from_environment()
    problem = setup_logging(paths.log_file)
    if problem:
        out.warn(problem)
    else:
        on_problem(out.warn)  # the log failing later in the run (a full disk): one line, never a traceback
    options = RunOptions(base_url=getattr(args, "base_url", None), region=getattr(args, "region", None),
                         timeout=getattr(args, "timeout", None), profile=getattr(args, "profile", None))
    services = build_desk(paths, options, strict=True)
    for notice in services.notices:
        out.warn(notice)
    if services.base_url_problem:
        if contacts_termii:
            services.close()
            raise ConfigError(services.base_url_problem)
        out.warn(services.base_url_problem)
    team_call = args.command == "call" and hasattr(services.history, "state_text")
    if services.history.notice and not team_call:  # a call to a team history says it once, after the call
        out.warn(services.history.notice)
    if team_call and getattr(services.history, "outbox_notice", None):  # its outbox was damaged: said now
        out.warn(services.history.outbox_notice)  # type: ignore[attr-defined]
    services.history.on_notice = out.warn  # a file found damaged later in this run
    return services


def _desk(args: argparse.Namespace, out: _Output, *, contacts_termii: bool = True) -> Desk:
    return _services(args, out, contacts_termii=contacts_termii).desk


def _call(args: argparse.Namespace, out: _Output) -> int:
    from termii_desk.core.errors import DeskError, InputError, Outcome
    from termii_desk.core.validation import validate_code, validate_phone
    from termii_desk.core.words import outcome_words

    record: dict[str, Any] = {"outcome": Outcome.REJECTED.value, "phone_number": None, "message_id": None,
                              "balance": None, "http_status": None}
    try:
        desk = _desk(args, out)
        record["profile"] = desk.profile
    except DeskError as exc:  # a bad --base-url, --region or --profile: nothing attempted
        record["outcome"] = exc.outcome.value
        out.fail(str(exc), record)
        return exc.exit_code
    try:
        phone = validate_phone(args.phone, desk.settings.default_region)
        record["phone_number"] = phone.digits
        code = validate_code(_code_text(args))
    except InputError as exc:
        choices = getattr(exc, "choices", ())  # a number in two countries: both readings, for a script to pick
        if choices:
            record["choices"] = [{"phone_number": c.digits, "display": c.display, "country": c.country}
                                 for c in choices]
        out.fail(f"input rejected, nothing sent: {exc}", record)
        return EXIT_INPUT
    try:
        desk.client()  # configuration problems (no key, no keyring) come before the cooldown
    except DeskError as exc:
        record["outcome"] = exc.outcome.value
        out.fail(str(exc), record)
        return exc.exit_code
    from termii_desk.core.history_backend import RecentCall, RecentlyCalled

    def refuse(recent: RecentCall) -> int:
        record.update(outcome="cooldown", last_called=recent.when.isoformat(timespec="seconds"),
                      last_outcome=recent.outcome, cooldown_seconds=recent.cooldown_seconds,
                      last_called_by=recent.who or None)
        out.fail(f"not sent: {recent.sentence(phone.display)} Use --force to call again.", record)
        return EXIT_COOLDOWN

    recent = None if args.force else desk.recent_call(phone)
    if recent is not None:
        return refuse(recent)
    try:
        # The history store checks the cooldown again in the same step as it records the attempt: another
        # desk may have called this number since the look above (a shared history, another window).
        attempt = desk.place_call(phone, code, check_cooldown=not args.force)
    except RecentlyCalled as exc:
        return refuse(exc.recent)
    except DeskError as exc:  # nothing attempted: no key, no keyring, a bad base URL
        record["outcome"] = exc.outcome.value
        out.fail(str(exc), record)
        return exc.exit_code
    result = attempt.result
    record.update(
        outcome=attempt.outcome.value,
        message_id=result.message_id if result else None,
        balance=result.balance.raw if result and result.balance else None,
        http_status=result.http_status if result else getattr(attempt.error, "http_status", None),
        termii_message=result.message if result else getattr(attempt.error, "termii_message", None),
        code=attempt.code_masked,
        duration_ms=attempt.duration_ms,
        history_id=attempt.history_id,
    )
    if attempt.history_problem:
        out.warn(attempt.history_problem)
    words = outcome_words(attempt.outcome)
    team_state = getattr(desk.history, "state_text", None)  # a team history: unreachable, N calls waiting
    if callable(team_state) and (line := team_state()):
        out.warn(line)
    if attempt.error is not None:
        out.fail(f"{words.headline}. {attempt.error}", record)
        return attempt.exit_code
    balance = f" Balance {result.balance.display(desk.currency or '')}." if result and result.balance else ""
    out.result(f"{words.word}: {attempt.message}{balance}", {**record, "error": None})
    return EXIT_OK


def _balance(args: argparse.Namespace, out: _Output) -> int:
    desk = _desk(args, out)
    result = desk.check_balance()
    shown = result.balance.display(result.currency or "") if result.balance else "not given"
    who = f" ({result.user})" if result.user else ""
    estimate = desk.cost_estimate()
    left = estimate.calls_left(result.balance.amount if result.balance else None) if estimate else None
    calls = f" ≈ {left:,} calls left." if left is not None else ""
    out.result(
        f"Balance: {shown}{who}{calls}",
        {"balance": result.balance.raw if result.balance else None, "currency": result.currency,
         "user": result.user, "calls_left": left,
         "cost_per_call": estimate.cost_text if estimate else None},
    )
    return EXIT_OK


def _history(args: argparse.Namespace, out: _Output) -> int:
    import os

    from termii_desk.core.history import every_row, export_csv
    from termii_desk.core.profiles import PROFILE_ENV

    if args.limit is not None and args.limit < 1:
        out.fail("input rejected: --limit takes a number of attempts, 1 or more.")
        return EXIT_INPUT
    desk = _desk(args, out, contacts_termii=False)
    chosen = getattr(args, "profile", None) or os.environ.get(PROFILE_ENV, "").strip()
    profile = desk.profile if chosen else None
    if args.csv and args.limit is None:  # an export for an audit: all of it, not the last screenful
        rows = every_row(desk.history, profile=profile)
    else:
        rows = desk.history.page(args.limit or 20, profile=profile)
    if args.csv:
        _write_text(export_csv(rows))
        return EXIT_OK
    if out.as_json:
        out.result("", [_history_json(row) for row in rows])
        return EXIT_OK
    if not rows:
        print("No attempts yet.")
        return EXIT_OK
    for row in rows:
        print(_history_line(row))
    return EXIT_OK


def _write_text(text: str) -> None:
    """Exactly ``text`` on standard output as UTF-8 (a CSV's BOM and CRLF line ends kept), whatever the locale."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
    else:
        buffer.write(text.encode("utf-8"))
        buffer.flush()


def _history_line(row: HistoryRow) -> str:
    """One attempt on one line, its outcome in the window's words; every stored value cleaned of control
    characters and capped (``--json`` and ``--csv`` keep the stored values: sent, rejected, failed, unknown)."""
    from termii_desk.core.formatting import display_text, format_balance
    from termii_desk.core.words import outcome_words

    try:
        local = row.time.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except (ValueError, TypeError, OverflowError):
        local = display_text(row.time_utc, 32)
    profile, phone, code = (display_text(value, 32) for value in (row.profile, row.phone, row.code_masked))
    outcome = outcome_words(row.outcome).word  # the window's history column's word: Sent, Refused, ...
    detail = display_text(row.message_id or row.error, 300)
    balance = format_balance(row.balance, row.currency)
    return f"{local}  {profile:<12} +{phone:<15} {code:<9} {outcome:<8} {detail}  {balance}".rstrip()


def _history_json(row: HistoryRow) -> dict[str, Any]:
    return {"time": row.time_utc, "phone_number": row.phone, "code": row.code_masked, "outcome": row.outcome,
            "message_id": row.message_id, "balance": row.balance, "currency": row.currency,
            "http_status": row.http_status, "termii_message": row.termii_message, "error": row.error,
            "profile": row.profile, "os_user": row.os_user, "machine": row.machine, "app_version": row.app_version,
            **({"agent": row.agent} if hasattr(row, "agent") else {})}  # a team history: who called


def _key(args: argparse.Namespace, out: _Output) -> int:
    import os

    from termii_desk.core.bootstrap import open_profiles, profile_keystore
    from termii_desk.core.paths import AppPaths
    from termii_desk.core.words import keyring_words

    def keyring_name(backend: str) -> str:
        return keyring_words(backend, os.environ.get("XDG_CURRENT_DESKTOP", ""))

    profiles = open_profiles(AppPaths.from_environment())
    for warning in profiles.warnings:
        out.warn(warning)
    profile, store = profile_keystore(profiles, getattr(args, "profile", None))
    who = f"Profile {profile.name}: "
    if args.action == "status":
        status = store.status()
        if status.source == "none" and status.problem:
            out.fail(who + status.problem, {"source": "none", "backend": "", "profile": profile.name})
            return EXIT_CONFIG
        out.result(who + status.describe(profile.name), {"source": status.source, "backend": status.backend,
                                             "last4": status.last4, "profile": profile.name})
        return EXIT_OK
    if args.action == "clear":
        store.delete()
        out.result(f"{who}the API key was removed from {keyring_name(store.backend_name())}.",
                   {"cleared": True, "profile": profile.name})
        return EXIT_OK
    key = _read_key()
    if not key:
        out.fail("input rejected, nothing stored: the key is empty.")
        return EXIT_INPUT
    store.set(key)
    out.result(f"{who}key ending …{key[-4:]} stored in {keyring_name(store.backend_name())}.",
               {"stored": True, "last4": key[-4:], "profile": profile.name})
    return EXIT_OK


def _profile(args: argparse.Namespace, out: _Output) -> int:
    from termii_desk.core.bootstrap import open_profiles, profile_keystore
    from termii_desk.core.paths import AppPaths

    profiles = open_profiles(AppPaths.from_environment())
    for warning in profiles.warnings:
        out.warn(warning)
    action = args.profile_action
    if action == "list":
        return _profile_list(profiles, out)
    if action == "add":
        if not getattr(args, "base_url", None):
            out.fail("input rejected, nothing stored: give the profile's Termii address with --base-url URL.")
            return EXIT_INPUT
        added = profiles.add(args.name, args.base_url, getattr(args, "region", None))
        out.result(f"Profile {added.name} added ({added.base_url}, {added.region}). Store its key with "
                   f"`termii-desk --profile {added.name} key set`.", _profile_json(profiles, added.name))
        return EXIT_OK
    if action == "default":
        chosen = profiles.set_default(args.name)
        out.result(f"{chosen.name} is now the default profile.", _profile_json(profiles, chosen.name))
        return EXIT_OK
    # remove: the key first, so a keyring that cannot be reached leaves the profile (and a way to retry) in place
    profile = profiles.get(args.name)
    if profile.name == profiles.default_name:
        profiles.remove(profile.name)  # refuses, naming what to do instead
    if not args.yes and not _confirm(f"Remove the profile {profile.name} and its API key from the keyring?"):
        out.fail(f"not removed: {profile.name} is kept (answer y, or pass --yes).")
        return EXIT_INPUT
    _same, keystore = profile_keystore(profiles, profile.name, environ={})
    keystore.delete()
    profiles.remove(profile.name)
    out.result(f"Profile {profile.name} and its key were removed.", {"removed": profile.name})
    return EXIT_OK


def _profile_list(profiles: Any, out: _Output) -> int:
    rows = [_profile_json(profiles, name) for name in profiles.names()]
    if out.as_json:
        out.result("", rows)
        return EXIT_OK
    width = max(len(name) for name in profiles.names())
    for row in rows:
        mark = "*" if row["default"] else " "
        print(f"{mark} {row['name']:<{width}}  {row['region']}  {row['base_url']}")
    return EXIT_OK


def _profile_json(profiles: Any, name: str) -> dict[str, Any]:
    profile = profiles.get(name)
    return {"name": profile.name, "base_url": profile.base_url, "region": profile.region,
            "colour": profile.colour, "default": profile.name == profiles.default_name,
            "settings": dict(profile.overrides)}


def _confirm(question: str) -> bool:
    """Ask on the terminal; without one (a script) the answer is no: scripts pass --yes."""
    if sys.stdin is None or not sys.stdin.isatty():
        return False
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _read_key() -> str:
    return _read_hidden("Termii API key (input hidden): ").strip()


def _code_text(args: argparse.Namespace) -> str:
    """The code as given: on the command line, or (``-``, ``--code-stdin``) from standard input or a hidden
    prompt, so that it is in neither the process list (``/proc/PID/cmdline``) nor the shell's history."""
    from termii_desk.core.errors import InputError

    from_stdin = args.code_stdin or args.code == "-"
    if args.code_stdin and args.code not in (None, "-"):
        raise InputError("Give the code either on the command line or with --code-stdin, not both.")
    if args.code is None and not from_stdin:
        raise InputError("Give the code to read out, or - to type it at a hidden prompt (or pipe it in).")
    return _read_hidden("Code to read out (input hidden): ") if from_stdin else str(args.code)


def _read_hidden(prompt: str) -> str:
    """One line: from a hidden prompt on a terminal, else from standard input (a pipe or a file)."""
    if sys.stdin is None:
        return ""
    try:
        if sys.stdin.isatty():
            import getpass

            return getpass.getpass(prompt)
        return sys.stdin.readline(4096).rstrip("\r\n")
    except EOFError:
        return ""
    except UnicodeDecodeError:
        return "\ufffd"  # not text: refused by the validator as not digits


def _simulator(args: argparse.Namespace) -> int:
    from termii_desk.core.endpoints import is_loopback_host
    from termii_desk.simulator import FAULT_MODES, serve

    if not is_loopback_host(args.host):
        print(f"termii-desk: the simulator listens on this computer only (127.0.0.1, ::1); not {args.host!r}.",
              file=sys.stderr)
        return EXIT_INPUT
    if args.fault == "help":
        for name, description in FAULT_MODES.items():
            print(f"{name:<20} {description}")
        return EXIT_OK
    if args.fault is not None and args.fault not in FAULT_MODES:
        print(f"termii-desk: unknown fault {args.fault!r}; choose one of: {', '.join(FAULT_MODES)}",
              file=sys.stderr)
        return EXIT_INPUT
    options: dict[str, Any] = {"fault": args.fault, "delay": args.delay, "strict": args.strict}
    if args.api_key:
        options["api_key"] = args.api_key
    return serve(args.host, args.port, **options)


def _team(args: argparse.Namespace, out: _Output) -> int:
    from termii_desk import cli_team

    return cli_team.run(args, out)


_COMMANDS = {"call": _call, "balance": _balance, "history": _history, "key": _key, "team": _team, "profile": _profile}
