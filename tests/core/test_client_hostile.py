"""The client against a hostile Termii look-alike over real loopback sockets (tests/hostile_server.py).

One section per class of hostile answer: secrets echoed in any encoding, numbers of any size, control
characters and huge strings, trickled answers against the one deadline, explicit failures inside a 2xx,
and Retry-After of any shape.
"""

from __future__ import annotations

import base64
import time
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import quote

import pytest

from termii_desk.core.client import RETRY_AFTER_CAP, TermiiClient, is_placed, make_session, retry_after_seconds
from termii_desk.core.errors import (
    BadResponseError,
    KeyRejectedError,
    Outcome,
    RateLimitedError,
    RequestRejectedError,
    RequestTimeoutError,
    TermiiError,
)
from termii_desk.core.logs import RedactingFilter, register_secret
from termii_desk.core.results import VoiceCallResult
from termii_desk.core.scrub import TEXT_LIMIT, clean_text
from termii_desk.core.validation import validate_code, validate_phone
from tests.hostile_server import (
    Hold,
    HostileServer,
    Pause,
    ReadRequest,
    Reset,
    Send,
    Trickle,
    json_answer,
    json_escaped,
    raw_answer,
)

KEY = "TLhostileKEY9f8e7d6c5b4a"
CODE = "482916"


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as hostile:
        yield hostile


def _client(server: HostileServer, connect: float = 2.0, read: float = 3.0) -> TermiiClient:
    return TermiiClient(server.url, KEY, session=make_session(), connect_timeout=connect, read_timeout=read)


def _call(client: TermiiClient) -> VoiceCallResult:
    return client.send_voice_call(validate_phone("+2348031234567"), validate_code(CODE))


def _everything_shown(value: object) -> str:
    """Every text a result or an error carries, as one string."""
    if isinstance(value, TermiiError):
        return f"{value} {value.termii_message or ''} {value!r}"
    return repr(value)


def _assert_clean(text: str) -> None:
    assert KEY not in text and KEY.lower() not in text.lower()
    assert CODE not in text
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in text), repr(text)


def _outcome_of(client: TermiiClient) -> tuple[object, str]:
    try:
        result = _call(client)
    except TermiiError as exc:
        return exc, _everything_shown(exc)
    return result, _everything_shown(result)


# -- class 1: secrets in any encoding ------------------------------------------------------------------

ENCODINGS = {
    "json \\u escapes": lambda s: json_escaped(s),
    "json escapes, upper-case hex": lambda s: json_escaped(s).upper().replace("\\U", "\\u"),
    "percent-encoded": lambda s: '"' + "".join(f"%{ord(c):02X}" for c in s) + '"',
    "percent-encoded twice": lambda s: '"' + quote(quote(s, safe=""), safe="") + '"',
    "html entities": lambda s: '"' + "".join(f"&#{ord(c)};" for c in s) + '"',
    "base64": lambda s: '"' + base64.b64encode(s.encode()).decode() + '"',
    "hex": lambda s: '"' + s.encode().hex() + '"',
    "lower case": lambda s: '"' + s.lower() + '"',
    "split by zero-width spaces": lambda s: json_escaped("\u200b".join(s)),
    "inside words": lambda s: '"abc' + s + 'xyz"',
    "fullwidth": lambda s: json_escaped("".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)),
}


@pytest.mark.parametrize("encode", ENCODINGS.values(), ids=ENCODINGS.keys())
def test_key_and_code_echoed_in_any_encoding_never_reach_a_result(server: HostileServer, encode) -> None:  # type: ignore[no-untyped-def]
    key, code = encode(KEY), encode(CODE)
    body = (f'{{"code": "ok", "message_id": {code}, "pinId": {code}, "message": {key}, "user": {key}, '
            f'"balance": {key}, "currency": {code}}}')
    server.answer(json_answer(body))
    result = _call(_client(server))
    shown = _everything_shown(result)
    _assert_clean(shown)
    assert result.message_id is not None and "[redacted]" in result.message_id  # echoed code: masked, still sent


@pytest.mark.parametrize("encode", ENCODINGS.values(), ids=ENCODINGS.keys())
@pytest.mark.parametrize("status", [200, 400, 401, 403, 422, 429, 500, 503])
def test_echoed_secrets_never_reach_an_error(server: HostileServer, encode, status: int) -> None:  # type: ignore[no-untyped-def]
    body = f'{{"code": "error", "message": {encode("key " + KEY + " code " + CODE)}}}'
    server.answer(json_answer(body, status=status))
    error, shown = _outcome_of(_client(server))
    assert isinstance(error, TermiiError)
    _assert_clean(shown)


@pytest.mark.parametrize("encode", ENCODINGS.values(), ids=ENCODINGS.keys())
def test_echoed_key_never_reaches_a_balance(server: HostileServer, encode) -> None:  # type: ignore[no-untyped-def]
    server.answer(json_answer(f'{{"user": {encode(KEY)}, "balance": {encode(KEY)}, "currency": {encode(KEY)}}}'))
    shown = repr(_client(server).get_balance())
    assert KEY not in shown and KEY.lower() not in shown.lower()


@pytest.mark.parametrize(
    "location",
    [f"https://{KEY}.evil.example/x", f"https://{KEY.lower()}.evil.example/", f"https://u:{KEY}@evil.example/",
     "https://" + "".join(f"%{ord(c):02x}" for c in KEY) + ".evil.example/",
     f"https://evil.example\x1b[2J\u202e{CODE}/", "https://[::1/broken", "http://\x00\x07/"],
)
def test_redirect_location_is_cleaned_before_it_is_named(server: HostileServer, location: str) -> None:
    server.answer(raw_answer(302, b"", [("Location", location)]))
    error, shown = _outcome_of(_client(server))
    assert isinstance(error, TermiiError) and error.outcome is Outcome.FAILED
    assert "redirect (HTTP 302)" in str(error)
    _assert_clean(shown)


def test_not_json_body_with_the_key_escaped_in_html(server: HostileServer) -> None:
    title = "".join(f"&#x{ord(c):x};" for c in KEY)
    server.answer(raw_answer(502, f"<html><title>{title}</title></html>", [("Content-Type", "text/html")]))
    error, shown = _outcome_of(_client(server))
    assert isinstance(error, TermiiError) and "error page titled" in str(error)
    _assert_clean(shown)


def test_log_lines_lose_the_key_and_code_in_any_encoding() -> None:
    import logging

    register_secret(KEY)
    register_secret(CODE)
    for encode in ENCODINGS.values():
        record = logging.LogRecord("t", logging.INFO, __file__, 1, "answer %s / %s", (encode(KEY), encode(CODE)),
                                   None)
        RedactingFilter().filter(record)
        text = record.getMessage()
        assert KEY not in text and KEY.lower() not in text.lower() and CODE not in text, text


# -- class 2: numbers of any size and shape -------------------------------------------------------------

@pytest.mark.parametrize(
    ("written", "raw", "amount"),
    [
        ("1234567890123456789.123456789", "1234567890123456789.123456789", Decimal("1234567890123456789.123456789")),
        ("1e400", "1e400", Decimal("1e400")),
        ("1E30", "1E30", Decimal("1E30")),
        ("-0.0", "-0.0", Decimal("-0.0")),
        ("77.50", "77.50", Decimal("77.50")),
        ('"4997.50"', "4997.50", Decimal("4997.50")),
        ("NaN", "NaN", None),
        ("-Infinity", "-Infinity", None),
    ],
)
def test_balance_numbers_are_kept_exactly_as_written(server: HostileServer, written: str, raw: str,
                                                     amount: Decimal | None) -> None:
    server.answer(json_answer(f'{{"user": "x", "balance": {written}, "currency": "NGN"}}'))
    result = _client(server).get_balance()
    assert result.balance is not None
    assert result.balance.raw == raw
    assert result.balance.amount == amount if amount is not None else result.balance.amount is None


def test_numbers_too_long_for_int_or_float_are_text_capped(server: HostileServer) -> None:
    digits = "9" * 50_000  # past int()'s 4300-digit limit
    server.answer(json_answer(f'{{"code": "ok", "message_id": {digits}, "balance": {digits}.5e99999999}}'))
    result = _call(_client(server))
    assert result.message_id is not None and len(result.message_id) <= TEXT_LIMIT
    assert result.balance is not None and len(result.balance.raw) <= TEXT_LIMIT
    assert result.message_id.startswith("9999")


def test_message_id_as_a_long_number_stays_exact(server: HostileServer) -> None:
    server.answer(json_answer('{"code": "ok", "message_id": 3017694584737030299856628, "balance": 9}'))
    result = _call(_client(server))
    assert result.message_id == "3017694584737030299856628"
    assert result.balance is not None and result.balance.raw == "9"


# -- class 3: every string cleaned and capped -----------------------------------------------------------

NASTY = "\x1b[2J\x1b]0;owned\x07A\rB\x08C\u202eD\u2066E\u200fF\u2028G\x00H\ud800I"


@pytest.mark.parametrize("field", ["balance", "user", "currency", "message", "message_id", "pinId"])
def test_control_and_bidi_characters_never_survive(server: HostileServer, field: str) -> None:
    body = {"code": "ok", "message_id": "1234567", "balance": 10, "user": "u", "currency": "NGN", "message": "m"}
    body[field] = NASTY
    import json

    server.answer(json_answer(json.dumps(body)))
    client = _client(server)
    result = _call(client)
    shown = repr((result.message_id, result.pin_id, result.message, result.user,
                  result.balance.raw if result.balance else None))
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in shown.encode().decode("unicode_escape"))
    balance = client.get_balance()
    for text in (balance.user, balance.currency, balance.balance.raw if balance.balance else None):
        assert text is None or text.isprintable(), repr(text)


@pytest.mark.parametrize("size", [200_000, 900_000])
def test_a_huge_balance_is_capped_quickly(server: HostileServer, size: int) -> None:
    server.answer(json_answer('{"user": "x", "balance": "' + "9" * size + '", "currency": "' + "N" * 50_000 + '"}'))
    started = time.monotonic()
    result = _client(server).get_balance()
    assert time.monotonic() - started < 2.0
    assert result.balance is not None and len(result.balance.raw) <= TEXT_LIMIT
    assert result.currency is not None and len(result.currency) <= TEXT_LIMIT
    assert result.balance.display(result.currency or "")  # cheap to show, never raises


def test_clean_text_is_cheap_for_megabytes_of_control_characters() -> None:
    started = time.monotonic()
    assert clean_text("\x1b\x07" * 1_000_000 + KEY, secrets=[KEY]) == ""
    assert time.monotonic() - started < 0.5


# -- class 4: one deadline over the whole request ------------------------------------------------------

OK_BODY = b'{"code": "ok", "message_id": "3017694584737030299856628", "balance": 5}'
TRICKLES = {
    "body trickled with a Content-Length": (ReadRequest(), Send(raw_answer(200, OK_BODY)[:-len(OK_BODY)]),
                                            Trickle(OK_BODY, every=0.25)),
    "headers trickled": (ReadRequest(), Trickle(raw_answer(200, OK_BODY), every=0.25)),
    "status line trickled": (ReadRequest(), Trickle(b"HTTP/1.1 200 OK\r\n", every=0.3)),
    "headers then silence": (ReadRequest(), Send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"),
                             Trickle(b" " * 100, every=0.3)),
    "chunked body trickled": (ReadRequest(), Send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
                              Trickle(b"1\r\n \r\n" * 50, every=0.05, size=1)),
}


@pytest.mark.parametrize("steps", TRICKLES.values(), ids=TRICKLES.keys())
def test_trickled_answers_end_at_the_deadline(server: HostileServer, steps: tuple[object, ...]) -> None:
    server.script(*steps)  # type: ignore[arg-type]
    client = _client(server, connect=0.5, read=0.7)  # the promise: 1.2 s in all
    started = time.monotonic()
    with pytest.raises(RequestTimeoutError) as caught:
        _call(client)
    elapsed = time.monotonic() - started
    assert 1.1 < elapsed < 2.2, elapsed
    assert caught.value.outcome is Outcome.UNKNOWN  # the request was sent: the call may have been placed
    assert "did not finish within 1.2 seconds" in str(caught.value)
    started = time.monotonic()
    with pytest.raises(RequestTimeoutError) as on_balance:
        client.get_balance()
    assert time.monotonic() - started < 2.2
    assert on_balance.value.outcome is Outcome.FAILED


def test_a_trickled_tls_handshake_ends_at_the_deadline_and_sends_nothing() -> None:
    with HostileServer(raw_tls=True) as server:
        # A TLS record header, then the rest of a "ServerHello" a byte at a time: each byte resets the
        # per-read timeout, never the deadline.
        server.script(Trickle(b"\x16\x03\x03\x40\x00" + b"\x02" * 2000, every=0.2))
        client = TermiiClient(server.url, KEY, session=make_session(), connect_timeout=0.6, read_timeout=0.6)
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError) as caught:
            _call(client)
        assert time.monotonic() - started < 2.2
        assert caught.value.outcome is Outcome.FAILED  # the connection never completed: nothing was sent
        assert "Could not connect" in str(caught.value)
        assert server.requests == []


def test_a_silent_server_still_ends_at_the_read_timeout(server: HostileServer) -> None:
    server.script(ReadRequest(), Hold())
    started = time.monotonic()
    with pytest.raises(RequestTimeoutError) as caught:
        _call(_client(server, connect=0.5, read=0.5))
    assert time.monotonic() - started < 1.6
    assert caught.value.outcome is Outcome.UNKNOWN


def test_a_prompt_answer_after_a_slow_one_on_the_same_client(server: HostileServer) -> None:
    client = _client(server, connect=0.5, read=0.5)
    server.script(ReadRequest(), Trickle(raw_answer(200, OK_BODY), every=0.3))
    with pytest.raises(RequestTimeoutError):
        _call(client)
    server.answer(json_answer(OK_BODY.decode()))
    assert _call(client).message_id == "3017694584737030299856628"


@pytest.mark.parametrize(
    "steps",
    [(ReadRequest(), Reset()), (ReadRequest(), Send(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{"), Reset()),
     (ReadRequest(), Send(b"garbage\r\n\r\n")), (ReadRequest(), Send(b"HTTP/1.1 2000 OK\r\n\r\n")),
     (ReadRequest(), Send(b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 200 + b"\r\n")),
     (ReadRequest(), Send(b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70_000 + b"\r\n\r\n"))],
    ids=["reset", "reset mid-body", "no status line", "status 2000", "200 headers", "70 KB header"],
)
def test_broken_answers_are_unknown_for_a_call(server: HostileServer, steps: tuple[object, ...]) -> None:
    server.script(*steps)  # type: ignore[arg-type]
    with pytest.raises(TermiiError) as caught:
        _call(_client(server))
    assert caught.value.outcome is Outcome.UNKNOWN and "may have been placed" in str(caught.value)


def test_a_final_1xx_status_is_not_a_success(server: HostileServer) -> None:
    server.answer(raw_answer(102, b"", content_length=False))
    with pytest.raises(TermiiError) as caught:
        _call(_client(server, connect=0.5, read=0.5))
    assert caught.value.outcome is Outcome.UNKNOWN


# -- class 5: explicit failures are never "sent" --------------------------------------------------------

REFUSED = [
    '{"message_id": "false", "code": "error", "message": "Invalid sender ID"}',
    '{"code": "error", "message": "Insufficient balance"}',
    '{"code": "401", "message": "Your account is not active"}',
    '{"code": 401, "message": "Your account is not active"}',
    '{"code": "404.0", "message": "ApplicationSenderId not found"}',
    '{"code": "FAILED", "message_id": "3017694584737030299856628"}',
    '{"code": " Error "}',
]
UNKNOWN = [
    '{"message_id": 0}',
    '{"message_id": "0"}',
    '{"message_id": "false"}',
    '{"message_id": false}',
    '{"message_id": -5}',
    '{"message_id": "null", "message": "Successfully Sent"}',
    '{"message_id": "not an id"}',
    '{"code": "ok", "message_id": "false"}',
    '{"code": "ok", "message_id": 0}',
    '{"code": "pending", "message_id": "3017694584737030299856628"}',
    '{"code": 500, "message_id": "3017694584737030299856628"}',
    '{"code": true, "message_id": "1"}',
    '{"code": "200"}',
    '{}',
]
SENT = [
    '{"code": "ok", "message_id": "3017694584737030299856628"}',
    '{"code": "OK"}',
    '{"code": "ok", "pin_id": "abc"}',
    '{"message_id": "9122821270554876574", "message": "Successfully Sent"}',
    '{"message_id": 174749423}',
]


@pytest.mark.parametrize("body", REFUSED)
@pytest.mark.parametrize("status", [200, 201])
def test_an_error_inside_a_2xx_is_refused_with_termii_words(server: HostileServer, body: str, status: int) -> None:
    server.answer(json_answer(body, status=status))
    with pytest.raises((RequestRejectedError, KeyRejectedError)) as caught:
        _call(_client(server))
    assert caught.value.outcome is Outcome.REJECTED and "The call was not placed" in str(caught.value)
    if '"message":' in body:
        assert caught.value.termii_message and caught.value.termii_message in str(caught.value)
    if '"401"' in body or ": 401" in body:
        assert isinstance(caught.value, KeyRejectedError)


@pytest.mark.parametrize("body", UNKNOWN)
def test_a_2xx_that_does_not_meet_the_rule_is_unknown(server: HostileServer, body: str) -> None:
    server.answer(json_answer(body))
    with pytest.raises(BadResponseError) as caught:
        _call(_client(server))
    assert caught.value.outcome is Outcome.UNKNOWN and "may have been placed" in str(caught.value)


@pytest.mark.parametrize("body", SENT)
def test_only_the_rule_makes_a_call_sent(server: HostileServer, body: str) -> None:
    import json

    server.answer(json_answer(body))
    assert isinstance(_call(_client(server)), VoiceCallResult)
    assert is_placed(json.loads(body, parse_int=str, parse_float=str))


@pytest.mark.parametrize(
    ("body", "words"),
    [('{"message": "Country Inactive. Contact Administrator to activate country."}',
      "Country Inactive. Contact Administrator to activate country."),
     ('{"code": "error", "message": "Country Inactive. Contact Administrator to activate country.", "balance": 5}',
      "Country Inactive"),
     ('{"code": 403, "message": "You are not set up on this route"}', "not set up on this route")],
)
def test_balance_keeps_termii_words_on_a_2xx_error(server: HostileServer, body: str, words: str) -> None:
    server.answer(json_answer(body))
    with pytest.raises((RequestRejectedError, KeyRejectedError)) as caught:
        _client(server).get_balance()
    assert words in str(caught.value) and caught.value.http_status == 200


# -- class 6: Retry-After of any shape --------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "low", "high"),
    [("30", 30, 30), ("9" * 5000, RETRY_AFTER_CAP, RETRY_AFTER_CAP), ("-5", 0, 0), ("1.5", 1.5, 1.5),
     ("Wed, 21 Oct 2015 07:28:00 GMT", 0, 0), ("Fri, 31 Dec 9999 23:59:59 GMT", RETRY_AFTER_CAP, RETRY_AFTER_CAP),
     ("soon", None, None), ("", None, None), ("1e999", None, None), ("nan", None, None), ("30, 40", None, None),
     ("\x00\xff", None, None), ("Mon, 99 Foo 99999999999 99:99:99 GMT", None, None)],
)
def test_retry_after_of_any_shape(value: str, low: float | None, high: float | None) -> None:
    seconds = retry_after_seconds(value)
    if low is None:
        assert seconds is None
    else:
        assert seconds is not None and low <= seconds <= (high or 0)


@pytest.mark.parametrize("value", ["9" * 5000, "-1", "Fri, 31 Dec 9999 23:59:59 GMT", "garbage", "1e400", "\t"])
def test_429_with_any_retry_after_is_a_rate_limit_with_a_capped_wait(server: HostileServer, value: str) -> None:
    server.answer(json_answer({"message": "Too Many Requests"}, status=429, headers=[("Retry-After", value)]))
    with pytest.raises(RateLimitedError) as caught:
        _call(_client(server))
    assert "Wait " in str(caught.value) and caught.value.outcome is Outcome.REJECTED
    assert caught.value.retry_after is None or 0 <= caught.value.retry_after <= RETRY_AFTER_CAP
    assert "ValueError" not in str(caught.value)


def test_server_saw_the_documented_requests(server: HostileServer) -> None:
    server.answer(json_answer({"code": "ok", "message_id": "1234567"}))
    _call(_client(server))
    request = server.requests[0]
    assert request.startswith(b"POST /api/sms/otp/call HTTP/1.1\r\n")
    assert b'"code": 482916' in request


def test_pause_then_answer_within_the_timeout_is_fine(server: HostileServer) -> None:
    server.script(ReadRequest(), Pause(0.3), Send(json_answer({"code": "ok", "message_id": "1234567"})))
    assert _call(_client(server, connect=0.5, read=1.0)).message_id == "1234567"


def test_a_code_sent_earlier_is_redacted_from_a_later_balance_answer(server: HostileServer) -> None:
    client = _client(server)
    server.answer(json_answer({"code": "ok", "message_id": "1234567"}))
    _call(client)
    server.answer(json_answer('{"user": ' + json_escaped("code " + CODE) + ', "balance": 5, "message": "x"}'))
    result = client.get_balance()
    assert result.user == "code [redacted]"


def test_a_body_that_stops_longer_than_the_read_timeout_says_so(server: HostileServer) -> None:
    server.script(ReadRequest(), Send(raw_answer(200, OK_BODY)[:-len(OK_BODY)]), Trickle(OK_BODY, every=1.0))
    with pytest.raises(RequestTimeoutError) as caught:
        _call(_client(server, connect=2.0, read=0.4))
    assert "stopped for more than 0.4 seconds" in str(caught.value)
    assert caught.value.outcome is Outcome.UNKNOWN


def test_a_name_lookup_that_hangs_ends_at_the_connect_timeout(
    server: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    real = socket.getaddrinfo

    def hanging(host: object, *args: object, **kwargs: object) -> object:
        if host == "localhost":
            time.sleep(3)
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    server.answer(json_answer({"code": "ok", "message_id": "1234567"}))
    client = TermiiClient(f"http://localhost:{server.port}", KEY, session=make_session(), connect_timeout=0.5,
                          read_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(RequestTimeoutError) as caught:
        _call(client)
    assert time.monotonic() - started < 1.5
    assert caught.value.outcome is Outcome.FAILED and "Could not connect to localhost" in str(caught.value)
    assert server.requests == []


@pytest.mark.parametrize("spelled", ["4 8 2 9 1 6", "48-29-16", "482 916", "4.8.2.9.1.6", "4, 8, 2, 9, 1, 6"])
def test_a_code_spelled_out_digit_by_digit_is_redacted(server: HostileServer, spelled: str) -> None:
    server.answer(json_answer({"code": "ok", "message_id": "1234567", "message": f"We will read {spelled} to them"}))
    result = _call(_client(server))
    assert result.message == "We will read [redacted] to them"
