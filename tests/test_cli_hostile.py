"""The command line against the hostile raw-socket server: real subprocesses, everything they print and store.

`termii-desk call ... --json`, `balance` (and `--json`), `history` (and `--json`, `--csv`) after answers that
echo the key and the code JSON-escaped, carry control characters and huge balances, trickle their bytes,
put an error inside a 200, or send a Retry-After of any shape.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile_server import HostileServer, ReadRequest, Send, Trickle, json_answer, json_escaped, raw_answer
from tests.test_cli import run

KEY = "TLcliHostileKEY0a9b8c7d6e"
CODE = "573829"
PHONE = "+2348031234567"


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as hostile:
        yield hostile


def _env(server: HostileServer, home: Path) -> dict[str, str]:
    return {"TERMII_API_KEY": KEY, "TERMII_BASE_URL": server.url, "TERMII_DESK_HOME": str(home),
            "DBUS_SESSION_BUS_ADDRESS": "disabled:"}


def _assert_clean(text: str, *, lines: bool = True, code: bool = True) -> None:
    assert KEY not in text and KEY.lower() not in text.lower(), text
    assert not code or CODE not in text, text
    allowed = "\n" if lines else ""
    bad = [ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf", "Cs") and ch not in allowed]
    assert not bad, (bad, text)


def _stored(home: Path) -> str:
    conn = sqlite3.connect(home / "data" / "history.sqlite3")
    rows = conn.execute("SELECT * FROM attempts").fetchall()
    conn.close()
    return " ".join(str(value) for row in rows for value in row)


def _everything_after(server: HostileServer, home: Path) -> str:
    """What `history` (plain, --json, --csv) shows, and what the history file holds."""
    env = _env(server, home)
    shown = [run("history", env=env), run("history", "--json", env=env), run("history", "--csv", env=env)]
    for result in shown:
        assert result.returncode == 0, result.stderr
    # The CSV starts with a byte order mark for spreadsheets: the one format character expected.
    return "\n".join(r.stdout.removeprefix("\ufeff") + r.stderr for r in shown) + "\n" + _stored(home)


ECHO = (
    '{"code": "ok", "message_id": ' + json_escaped(CODE) + ', "pinId": ' + json_escaped("pin-" + CODE)
    + ', "message": ' + json_escaped(f"Sent with {KEY} \x1b[2J\x07\u202eevil") + ', "user": ' + json_escaped(KEY)
    + ', "balance": ' + json_escaped("77.5\x1b]0;title\x07") + '}'
)


def test_call_with_everything_echoed_and_escaped(server: HostileServer, desk_home: Path) -> None:
    server.answer(json_answer(ECHO))
    result = run("call", PHONE, CODE, "--json", env=_env(server, desk_home))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["outcome"] == "sent" and data["message_id"] == "[redacted]"
    _assert_clean(result.stdout + result.stderr)
    human = run("call", PHONE, CODE, "--force", env=_env(server, desk_home))
    assert human.returncode == 0 and human.stdout.startswith("Sent: ")
    _assert_clean(human.stdout + human.stderr)
    _assert_clean(_everything_after(server, desk_home))


def test_balance_with_the_key_escaped_and_control_characters(server: HostileServer, desk_home: Path) -> None:
    body = ('{"user": ' + json_escaped(f"{KEY}\x1b[31m") + ', "balance": ' + json_escaped("12\r\x08\u202e34")
            + ', "currency": ' + json_escaped(KEY.lower()) + '}')
    server.answer(json_answer(body))
    for args in (("balance",), ("balance", "--json")):
        result = run(*args, env=_env(server, desk_home))
        assert result.returncode == 0, result.stderr
        _assert_clean(result.stdout + result.stderr)


@pytest.mark.parametrize("status", [200, 400, 401, 429, 500])
def test_errors_echoing_the_key_and_code(server: HostileServer, desk_home: Path, status: int) -> None:
    body = '{"code": "error", "message": ' + json_escaped(f"bad {KEY} for {CODE}\x1b[2K") + '}'
    server.answer(json_answer(body, status=status))
    call = run("call", PHONE, CODE, "--json", env=_env(server, desk_home))
    assert call.returncode in (4, 5)
    _assert_clean(call.stdout + call.stderr)
    balance = run("balance", "--json", env=_env(server, desk_home))
    assert balance.returncode in (4, 5)
    # A balance check in a new process cannot know which code the server saw (history keeps it masked);
    # within one process every code sent stays a secret (tests/core/test_client_hostile.py).
    _assert_clean(balance.stdout + balance.stderr, code=False)
    _assert_clean(_everything_after(server, desk_home))


def test_a_redirect_to_a_host_made_of_the_key(server: HostileServer, desk_home: Path) -> None:
    server.answer(raw_answer(302, b"", [("Location", f"https://{KEY}\x1b[2J.evil.example/api")]))
    result = run("call", PHONE, CODE, "--json", env=_env(server, desk_home))
    assert result.returncode == 5 and json.loads(result.stdout)["outcome"] == "failed"
    assert "redirect (HTTP 302)" in result.stderr
    _assert_clean(result.stdout + result.stderr)
    _assert_clean(_everything_after(server, desk_home))


@pytest.mark.parametrize("size", [200_000, 900_000])
def test_a_huge_balance_is_cheap_and_capped_everywhere(server: HostileServer, desk_home: Path, size: int) -> None:
    server.answer(json_answer('{"code": "ok", "message_id": "3017694584737030299856628", "balance": "'
                              + "9" * size + '"}'))
    started = time.monotonic()
    result = run("call", PHONE, CODE, "--json", env=_env(server, desk_home))
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["balance"]) <= 300
    everything = _everything_after(server, desk_home)
    assert time.monotonic() - started < 30
    assert len(everything) < 5_000


def test_numbers_are_printed_as_termii_wrote_them(server: HostileServer, desk_home: Path) -> None:
    server.answer(json_answer('{"user": "x", "balance": 1234567890123456789.123456789, "currency": "NGN"}'))
    data = json.loads(run("balance", "--json", env=_env(server, desk_home)).stdout)
    assert data["balance"] == "1234567890123456789.123456789"
    server.answer(json_answer('{"user": "x", "balance": 1e400, "currency": "NGN"}'))
    human = run("balance", env=_env(server, desk_home))
    assert human.returncode == 0 and "inf" not in human.stdout.lower() and "1e400" in human.stdout


def test_timeout_2_holds_against_a_trickled_body(server: HostileServer, desk_home: Path) -> None:
    body = b'{"code": "ok", "message_id": "3017694584737030299856628"}'
    server.script(ReadRequest(), Send(raw_answer(200, body)[: -len(body)]), Trickle(body, every=1.0))
    started = time.monotonic()
    result = run("call", PHONE, CODE, "--json", "--timeout", "2", env=_env(server, desk_home))
    elapsed = time.monotonic() - started
    assert elapsed < 4 + 3.5, elapsed  # about 4 s promised (connect + answer), plus the interpreter's start
    assert result.returncode == 5
    data = json.loads(result.stdout)
    assert data["outcome"] == "unknown" and "may have been placed" in data["error"]
    conn = sqlite3.connect(desk_home / "data" / "history.sqlite3")
    [(outcome,)] = conn.execute("SELECT outcome FROM attempts").fetchall()
    conn.close()
    assert outcome == "unknown"


def test_timeout_2_holds_against_trickled_headers(server: HostileServer, desk_home: Path) -> None:
    server.script(ReadRequest(), Trickle(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100, every=0.5))
    started = time.monotonic()
    result = run("balance", "--timeout", "2", env=_env(server, desk_home))
    assert time.monotonic() - started < 4 + 3.5
    assert result.returncode == 5 and "did not finish within 4 seconds" in result.stderr


@pytest.mark.parametrize(
    "body",
    ['{"message_id": "false", "code": "error", "message": "Invalid sender ID"}', '{"code": "401"}',
     '{"code": "error"}'],
)
def test_an_error_inside_a_200_is_never_call_placed(server: HostileServer, desk_home: Path, body: str) -> None:
    server.answer(json_answer(body))
    result = run("call", PHONE, CODE, "--json", env=_env(server, desk_home))
    assert result.returncode == 4
    data = json.loads(result.stdout)
    assert data["outcome"] == "rejected" and "not placed" in data["error"]
    assert "placed." not in result.stdout.replace("not placed.", "")


@pytest.mark.parametrize("body", ['{"message_id": 0}', '{"message_id": "false"}', '{"code": "ok", "message_id": 0}'])
def test_a_200_outside_the_rule_is_unknown(server: HostileServer, desk_home: Path, body: str) -> None:
    server.answer(json_answer(body))
    result = run("call", PHONE, CODE, "--json", env=_env(server, desk_home))
    assert result.returncode == 5 and json.loads(result.stdout)["outcome"] == "unknown"


def test_balance_shows_termii_words_on_a_200_error(server: HostileServer, desk_home: Path) -> None:
    server.answer(json_answer({"message": "Country Inactive. Contact Administrator to activate country."}))
    result = run("balance", env=_env(server, desk_home))
    assert result.returncode == 4
    assert "Country Inactive. Contact Administrator to activate country." in result.stderr


@pytest.mark.parametrize("value", ["9" * 5000, "-30", "Wed, 21 Oct 2015 07:28:00 GMT", "soon!", "1e400"])
def test_retry_after_of_any_shape_is_a_rate_limit(server: HostileServer, desk_home: Path, value: str) -> None:
    server.answer(json_answer({"message": "Too Many Requests"}, status=429, headers=[("Retry-After", value)]))
    result = run("call", PHONE, CODE, "--json", env=_env(server, desk_home))
    assert result.returncode == 4, result.stderr
    assert "limiting requests" in result.stderr and "Wait " in result.stderr
    assert "unexpected" not in result.stderr and "ValueError" not in result.stderr


def _utf16_and_base32(secret: str) -> list[str]:
    raw = secret.encode()
    return [secret.encode("utf-16-be").hex(), secret.encode("utf-16-le").hex().upper(),
            base64.b64encode(secret.encode("utf-16-le")).decode(),
            base64.b64encode(secret.encode("utf-16-be")).decode(),
            base64.b32encode(raw).decode(), base64.b32encode(b"x" + raw).decode().lower()]


@pytest.mark.parametrize("field", ["message", "message_id", "currency", "balance"])
def test_the_key_and_code_in_utf16_or_base32_never_come_through(server: HostileServer, desk_home: Path,
                                                                 field: str) -> None:
    forms = _utf16_and_base32(KEY) + _utf16_and_base32(CODE)
    env = _env(server, desk_home)
    for index, form in enumerate(forms):
        server.answer(json_answer({"code": "ok", "message_id": "4531665328024598321", "balance": 10,
                                   field: f"echo {form} end"}))
        result = run("call", PHONE, CODE, "--json", "--force", env=env)
        assert result.returncode == 0, result.stderr
        assert form.lower() not in (result.stdout + result.stderr).lower(), (index, result.stdout)
    shown = _everything_after(server, desk_home).lower()
    assert not [form for form in forms if form.lower() in shown]


@pytest.mark.parametrize(
    "body",
    ['{"success": false, "message_id": "123456789012"}', '{"code": "ok", "success": "false", "message_id": "12345678"}',
     '{"status": "error", "message_id": "123456789012", "message": "Insufficient balance"}',
     '{"status": 403, "message_id": "123456789012"}'],
)
def test_an_explicit_failure_flag_beside_the_id_is_never_sent(server: HostileServer, desk_home: Path,
                                                             body: str) -> None:
    server.answer(json_answer(body))
    result = run("call", PHONE, CODE, "--json", env=_env(server, desk_home))
    assert result.returncode == 4, result.stdout
    assert json.loads(result.stdout)["outcome"] == "rejected"


def test_balance_keeps_termii_words_beside_a_failed_status(server: HostileServer, desk_home: Path) -> None:
    server.answer(json_answer({"status": "failed", "balance": 5, "message": "Route closed for this account"}))
    result = run("balance", env=_env(server, desk_home))
    assert result.returncode == 4 and "Route closed for this account" in result.stderr


def test_a_header_urllib3_cannot_parse_leaves_no_traceback_in_the_log(server: HostileServer, desk_home: Path) -> None:
    server.answer(raw_answer(307, b"", [("Location", "https://x.example/\x1b]0;pwn\x07\x08\r")]))
    result = run("call", PHONE, CODE, env=_env(server, desk_home))
    assert result.returncode == 5 and "redirect (HTTP 307)" in result.stderr
    log = (desk_home / "logs" / "termii-desk.log").read_text()
    assert "Failed to parse headers" in log  # the library's warning is kept, in one line
    assert "Traceback" not in log and "\x1b" not in log and "\x07" not in log
