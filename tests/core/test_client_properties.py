"""Properties over answer shapes (hypothesis), through the real client and desk over real loopback sockets.

Whatever the status line, headers and body (JSON with the key and the code echoed in any escaping, numbers of
any size, long and control-laden strings, or bytes that are not JSON at all):
- no exception escapes: every failure is a ``TermiiError`` with a sentence;
- the outcome is one of the four;
- "sent" only by the stated success rule (checked here against an independent reading of the answer);
- the key and the full code appear in no result, error, history row or CSV export, and no stored or shown
  text carries control or bidi characters or runs past the cap.
"""

from __future__ import annotations

import base64
import json
import unicodedata
from collections.abc import Iterator
from dataclasses import fields
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from termii_desk.core.client import make_session
from termii_desk.core.desk import Desk
from termii_desk.core.errors import Outcome, TermiiError
from termii_desk.core.history import HistoryStore, rows_to_csv
from termii_desk.core.keystore import KeyStore
from termii_desk.core.scrub import TEXT_LIMIT, clean_text, redact_secrets
from termii_desk.core.settings import Settings
from termii_desk.core.validation import validate_code, validate_phone
from tests.hostile_server import HostileServer, raw_answer

KEY = "TLpropKEYa1b2c3d4e5f6g7h8"
CODE = "739164"
PHONE = validate_phone("+2348031234567")
FIELDS = ["code", "message_id", "pinId", "pin_id", "message", "balance", "user", "currency", "error", "errors",
          "detail", "status", "success"]
ERROR_WORDS = {"error", "failed", "failure", "fail", "false", "invalid", "rejected", "denied", "unauthorized",
               "forbidden"}


# -- answer shapes --------------------------------------------------------------------------------------

def _escape_all(text: str) -> str:
    return "".join(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else json.dumps(ch)[1:-1] for ch in text)


ENCODINGS = {
    "plain": lambda s: json.dumps(s)[1:-1],
    "plain, not ASCII-escaped": lambda s: json.dumps(s, ensure_ascii=False)[1:-1],
    "all escaped": _escape_all,
    "upper-case hex escapes": lambda s: _escape_all(s).replace("\\u00", "\\u00").upper().replace("\\U", "\\u"),
    "percent": lambda s: "".join(f"%{ord(c):02X}" if c.isascii() else c for c in s).replace('"', '\\"'),
    "percent twice": lambda s: quote(quote(s, safe=""), safe=""),
    "html": lambda s: "".join(f"&#{ord(c)};" for c in s),
    "base64": lambda s: base64.b64encode(s.encode("utf-8", "surrogatepass")).decode(),
    "hex": lambda s: s.encode("utf-8", "surrogatepass").hex(),
    "lower": lambda s: json.dumps(s.lower())[1:-1],
    "zero-width split": lambda s: _escape_all("\u200b".join(s)),
}

nasty_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from("\x1b\x07\r\n\t\x08\x00\u202e\u202d\u2066\u2067\u2069\u200e\u200f\u2028\u2029\ufeff"),
    ),
    max_size=40,
)
secret_strings = st.builds(
    lambda before, secret, after: before + secret + after, nasty_text, st.sampled_from([KEY, CODE]), nasty_text
)
leaf_strings = st.one_of(
    st.sampled_from(["ok", "OK", " ok ", "error", "Error", "401", "403", "404", "500", "200", "false", "0", "",
                     "null", "pending", "Successfully Sent", "3017694584737030299856628", "unlimited",
                     "Country Inactive. Contact Administrator to activate country."]),
    nasty_text,
    secret_strings,
    st.builds(lambda n: "x" * n, st.integers(250, 20_000)),
)
json_numbers = st.one_of(
    st.integers().map(str),
    st.sampled_from(["0", "-0", "1e400", "-1e400", "1E-400", "1234567890123456789.123456789", "NaN",
                     "Infinity", "-Infinity", "4.9e-324", "1e30", CODE, "9" * 5000, "7." + "3" * 300]),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)


@st.composite
def json_text(draw: st.DrawFn, depth: int = 0) -> str:
    """A JSON value as text, every string written in an encoding drawn for it."""
    kinds = ["string", "number", "literal"] + (["list", "object"] if depth < 3 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "string":
        encode = ENCODINGS[draw(st.sampled_from(sorted(ENCODINGS)))]
        return '"' + encode(draw(leaf_strings)) + '"'
    if kind == "number":
        return draw(json_numbers)
    if kind == "literal":
        return draw(st.sampled_from(["true", "false", "null"]))
    if kind == "list":
        return "[" + ", ".join(draw(st.lists(json_text(depth + 1), max_size=4))) + "]"
    return json_object(draw, depth + 1)


def json_object(draw: st.DrawFn, depth: int = 0, *, success_like: bool = False) -> str:
    names = draw(st.lists(st.one_of(st.sampled_from(FIELDS), leaf_strings), max_size=8))
    members = []
    if success_like:  # what Termii sends when a call is placed, echoes and odd values then added at random
        code = draw(st.sampled_from(['"ok"', '"OK"', '"\\u006f\\u006b"', None]))
        if code is not None:
            members.append('"code": ' + code)
        members.append('"message_id": ' + draw(st.sampled_from(
            ['"3017694584737030299856628"', "3017694584737030299856628", f'"{CODE}"', f'"id-{KEY}"', '"0"', "false",
             '"174749423"'])))
    for name in names:
        encode = ENCODINGS[draw(st.sampled_from(["plain", "all escaped", "plain"]))]
        members.append('"' + encode(name) + '": ' + draw(json_text(depth)))
    return "{" + ", ".join(members) + "}"


@st.composite
def answers(draw: st.DrawFn) -> tuple[int, bytes]:
    common = [200, 200, 200, 200, 200, 201, 204, 302, 400, 401, 403, 404, 422, 429, 500, 502, 503]
    status = draw(st.one_of(st.sampled_from(common), st.integers(100, 999)))
    headers = draw(st.lists(st.one_of(
        st.tuples(st.just("Retry-After"), st.one_of(st.integers().map(str), st.just("9" * 3000),
                                                    st.just("Wed, 21 Oct 2015 07:28:00 GMT"),
                                                    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255),
                                                            max_size=30))),
        st.tuples(st.just("Location"), st.sampled_from([f"https://{KEY}.evil.example/", f"https://{KEY.lower()}.x/",
                                                        f"https://e.x/{CODE}", "https://[broken", "\x1b[2J",
                                                        f"https://{CODE}.example/"])),
        st.tuples(st.just("Content-Type"), st.sampled_from(["application/json", "text/html", "text/plain", ""])),
    ), max_size=3))
    body_kind = draw(st.sampled_from(["success", "success", "object", "object", "value", "bytes", "html"]))
    if body_kind in ("object", "success"):
        body = json_object(draw, success_like=body_kind == "success").encode("utf-8", "surrogatepass")
    elif body_kind == "value":
        body = draw(json_text()).encode("utf-8", "surrogatepass")
    elif body_kind == "html":
        body = f"<html><title>{ENCODINGS['html'](draw(leaf_strings))}</title></html>".encode("utf-8", "surrogatepass")
    else:
        body = draw(st.binary(max_size=200))
    return status, raw_answer(status, body, headers, content_length=True)


# -- an independent reading of an answer, for the "sent only by the rule" property ----------------------------

def _decoded(raw: bytes) -> Any:
    body = raw.partition(b"\r\n\r\n")[2]
    try:
        return json.loads(body.decode("utf-8-sig"), parse_float=str, parse_int=str, parse_constant=str)
    except (ValueError, RecursionError):
        return None


def _is_error_code(value: object) -> bool:
    if not isinstance(value, str):
        return False
    text = value.strip().lower()
    return text in ERROR_WORDS or (text.isdigit() and len(text) == 3 and text.startswith("4"))


def _failure_flag(payload: dict[str, Any]) -> bool:
    """``success`` false or a ``status`` that is an error, beside a ``code`` that is "ok" or absent."""
    success = payload.get("success")
    return success is False or (isinstance(success, str) and success.strip().lower() == "false") or _is_error_code(
        payload.get("status"))


def _may_be_sent(status: int, payload: Any) -> bool:
    if not (200 <= status < 300) or not isinstance(payload, dict) or _failure_flag(payload):
        return False
    code = payload.get("code")
    if isinstance(code, str) and code.strip().lower() == "ok":
        return True
    return code is None and isinstance(payload.get("message_id"), str)


def _must_be_refused(status: int, payload: Any) -> bool:
    """A 2xx answer whose ``code`` says error, or a 4xx other than 429: refused, never sent or unknown."""
    if 400 <= status < 500:
        return True
    if not (200 <= status < 300) or not isinstance(payload, dict):
        return False
    code = payload.get("code")
    if _is_error_code(code):
        return True
    ok_or_absent = code is None or (isinstance(code, str) and code.strip().lower() == "ok")
    return ok_or_absent and _failure_flag(payload)


def _assert_clean(text: str, *, where: str, lines: bool = False) -> None:
    assert KEY.lower() not in text.lower(), where
    assert CODE not in text, where
    allowed = "\r\n" if lines else ""
    bad = [ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") and ch not in allowed]
    assert not bad, (where, bad)


# -- the properties ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


@pytest.fixture(scope="module")
def desk(hostile: HostileServer) -> Iterator[Desk]:
    settings_ = Settings().updated(base_url=hostile.url, connect_timeout=2.0, read_timeout=3.0)
    desk = Desk(settings_, KeyStore(environ={"TERMII_API_KEY": KEY}), HistoryStore(None), session=make_session())
    yield desk
    desk.close()


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(answer=answers())
def test_any_answer_to_a_call(hostile: HostileServer, desk: Desk, answer: tuple[int, bytes]) -> None:
    status, raw = answer
    hostile.answer(raw)
    attempt = desk.place_call(PHONE, validate_code(CODE))
    assert attempt.outcome in set(Outcome)
    event(attempt.outcome.value)
    payload = _decoded(raw)
    if attempt.outcome is Outcome.SENT:
        assert attempt.error is None and attempt.result is not None
        assert _may_be_sent(status, payload), (status, raw[-300:])
    else:
        assert isinstance(attempt.error, TermiiError), attempt.error
        assert str(attempt.error).strip()
    if _must_be_refused(status, payload) and status != 429:
        assert attempt.outcome is Outcome.REJECTED, (status, raw[-300:], attempt.error)
    shown = [attempt.message, repr(attempt.result), str(attempt.error or ""),
             getattr(attempt.error, "termii_message", None) or ""]
    for text in shown:
        _assert_clean(text, where="shown")
    result = attempt.result
    if result is not None:
        for value in (result.message_id, result.pin_id, result.message, result.user,
                      result.balance.raw if result.balance else None):
            assert value is None or (len(value) <= TEXT_LIMIT and value.isprintable()), value
        if result.balance is not None:
            assert result.balance.display("NGN")
    [row] = desk.history.page(1)
    assert row.id == attempt.history_id and row.outcome == attempt.outcome.value
    _assert_clean(" ".join(str(getattr(row, field.name)) for field in fields(row)), where="history")
    _assert_clean(rows_to_csv([row]), where="csv", lines=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(answer=answers())
def test_any_answer_to_a_balance_check(hostile: HostileServer, desk: Desk, answer: tuple[int, bytes]) -> None:
    hostile.answer(answer[1])
    try:
        result = desk.check_balance()
    except TermiiError as exc:
        assert exc.outcome in set(Outcome) and str(exc).strip()
        _assert_clean(f"{exc} {exc.termii_message or ''}", where="error")
        return
    assert 200 <= answer[0] < 300
    text = repr(result)
    assert KEY.lower() not in text.lower()
    for value in (result.user, result.currency, result.balance.raw if result.balance else None):
        assert value is None or (len(value) <= TEXT_LIMIT and value.isprintable()), value
    assert result.balance is not None and result.balance.display(result.currency or "")


# -- the cleaner on its own, thousands of times -------------------------------------------------------

@settings(max_examples=3000)
@given(before=nasty_text, after=nasty_text, secret=st.sampled_from([KEY, CODE]),
       encoding=st.sampled_from(sorted(ENCODINGS)), limit=st.integers(10, 400))
def test_clean_text_never_lets_a_secret_or_a_control_character_through(
    before: str, after: str, secret: str, encoding: str, limit: int
) -> None:
    written = ENCODINGS[encoding](before + secret + after)
    decoded = json.loads('"' + written + '"') if encoding not in ("percent",) else written.replace('\\"', '"')
    cleaned = clean_text(decoded, limit=limit, secrets=[KEY, CODE])
    assert len(cleaned) <= limit
    assert cleaned == "" or cleaned.isprintable()
    assert KEY.lower() not in cleaned.lower() and CODE not in cleaned


@settings(max_examples=1000)
@given(text=st.text(max_size=200))
def test_redaction_leaves_text_without_secrets_alone(text: str) -> None:
    if KEY.lower() in text.lower() or CODE in text or "api_key" in text.lower():
        return
    assert redact_secrets(text, [KEY, CODE]) == text


@settings(max_examples=500)
@given(number=json_numbers)
def test_any_json_number_reaches_the_balance_exactly(number: str) -> None:
    from termii_desk.core.client import _answer_values
    from termii_desk.core.results import Balance

    values = _answer_values(f'{{"balance": {number}}}'.encode(), (KEY,))
    balance = Balance.from_json(values["balance"])
    assert balance is not None
    assert balance.raw == (number if len(number) <= TEXT_LIMIT else balance.raw)
    assert len(balance.raw) <= TEXT_LIMIT
    assert balance.display("NGN")


@settings(max_examples=2000)
@given(value=st.one_of(st.text(max_size=80), st.integers().map(str), st.from_regex(r"[+-]?\d{0,6000}", fullmatch=True),
                       st.datetimes().map(lambda d: d.strftime("%a, %d %b %Y %H:%M:%S GMT"))))
def test_retry_after_of_any_shape_is_a_capped_wait_or_none(value: str) -> None:
    from termii_desk.core.client import RETRY_AFTER_CAP, retry_after_seconds

    seconds = retry_after_seconds(value)
    assert seconds is None or 0.0 <= seconds <= RETRY_AFTER_CAP


BYTE_ENCODINGS = {
    "base64": lambda b: base64.b64encode(b).decode(),
    "base64 url-safe": lambda b: base64.urlsafe_b64encode(b).decode().rstrip("="),
    "base32": lambda b: base64.b32encode(b).decode(),
    "base32 lower-case": lambda b: base64.b32encode(b).decode().lower(),
    "hex": lambda b: b.hex(),
    "hex upper-case": lambda b: b.hex().upper(),
}


@settings(max_examples=2000)
@given(before=nasty_text, after=nasty_text, secret=st.sampled_from([KEY, CODE]),
       charset=st.sampled_from(["utf-8", "utf-16-be", "utf-16-le", "utf-16"]),
       encoding=st.sampled_from(sorted(BYTE_ENCODINGS)), lead=st.binary(max_size=4))
def test_clean_text_removes_a_secret_encoded_from_any_of_its_byte_forms(
    before: str, after: str, secret: str, charset: str, encoding: str, lead: bytes
) -> None:
    written = BYTE_ENCODINGS[encoding](lead + secret.encode(charset))
    cleaned = clean_text(f"{before} {written} {after}", limit=TEXT_LIMIT, secrets=[KEY, CODE])
    assert written.lower() not in cleaned.lower()


DIGIT_ZEROS = [0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0x1040, 0xFF10, 0x1D7CE]  # Arabic-Indic ... fullwidth, math


@settings(max_examples=1000)
@given(before=nasty_text, after=nasty_text, zero=st.sampled_from(DIGIT_ZEROS), separator=st.sampled_from(["", " "]))
def test_clean_text_removes_the_code_written_in_digits_of_any_script(
    before: str, after: str, zero: int, separator: str
) -> None:
    written = separator.join(chr(zero + int(digit)) for digit in CODE)
    cleaned = clean_text(f"{before} {written} {after}", limit=TEXT_LIMIT, secrets=[KEY, CODE])
    as_ascii = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in cleaned)
    assert CODE not in as_ascii.replace(" ", "")
