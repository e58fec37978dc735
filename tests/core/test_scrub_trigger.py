"""The redaction's quick first look (could this text hold anything to remove?) must never say no where the
full work would have changed the text; and its cost must not grow with the number of secrets."""

from __future__ import annotations

import base64
import random
import string
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from termii_desk.core.scrub import REDACTED, _prepare, _Prepared, _redact, clean_text

ASCII = st.text(alphabet=string.printable, max_size=60)
SECRET = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=4, max_size=24)
ANY_TEXT = st.text(max_size=40)


def flip_case(text: str, pattern: list[bool]) -> str:
    return "".join(ch.upper() if pattern[i % len(pattern)] else ch.lower() for i, ch in enumerate(text))


def full_work(text: str, prepared: _Prepared) -> str:
    """What the redaction makes of ``text`` when the first look lets everything through."""
    with mock.patch.object(_Prepared, "needs_work", lambda self, text: True):
        return _redact(text, prepared)


def spelled(code: str, gaps: list[str]) -> str:
    return "".join(digit + (gaps[i % len(gaps)] if i < len(code) - 1 else "") for i, digit in enumerate(code))


@settings(max_examples=400, deadline=None)
@given(key=SECRET, code=st.from_regex(r"[1-9][0-9]{3,7}", fullmatch=True), before=ASCII, after=ASCII,
       case=st.lists(st.booleans(), min_size=1, max_size=8),
       form=st.sampled_from(["plain", "b64", "b32", "hex", "utf16", "spelled", "api_key", "none"]),
       gaps=st.lists(st.sampled_from(["", " ", "-", ". ", "\t", "\x1c", "/ :"]), min_size=1, max_size=4))
def test_the_first_look_never_hides_what_the_full_work_would_remove(
    key: str, code: str, before: str, after: str, case: list[bool], form: str, gaps: list[str]
) -> None:
    prepared = _prepare((key, code))
    inner = {"plain": flip_case(key, case), "b64": base64.b64encode(key.encode()).decode(),
             "b32": flip_case(base64.b32encode(code.encode()).decode(), case),
             "hex": flip_case(key.encode().hex(), case),
             "utf16": base64.b64encode(key.encode("utf-16-le")).decode(), "spelled": spelled(code, gaps),
             "api_key": flip_case("api_key", case) + "=abc", "none": ""}[form]
    text = before + inner + after
    assert _redact(text, prepared) == full_work(text, prepared)
    if form in ("plain", "spelled"):
        assert REDACTED in clean_text(text, limit=1000, secrets=(key, code))


@settings(max_examples=300, deadline=None)
@given(text=ANY_TEXT, key=SECRET)
def test_the_first_look_at_any_text_agrees_with_the_full_work(text: str, key: str) -> None:
    prepared = _prepare((key, "482916", "ſecret-ıd-İ"))  # letters IGNORECASE reads as ASCII ones
    for candidate in (text, text + key.upper(), "ſECRET-ID-I " + text, text + "4 8 2 9 1 6"):
        assert _redact(candidate, prepared) == full_work(candidate, prepared)


def test_answers_with_nothing_to_redact_are_left_as_they_are() -> None:
    secrets = ("a-real-looking-key-0042", "482916")
    for value in ("ok", "Successfully Sent", "3017694584737012345678", "NGN", "999995.5", "Voice call"):
        assert clean_text(value, secrets=secrets) == value
    assert clean_text("code 482916 sent", secrets=secrets) == f"code {REDACTED} sent"
    assert clean_text("your code is 4 8 2, 9 1 6.", secrets=secrets) == f"your code is {REDACTED}."
    assert clean_text("API_KEY=whatever&x=1", secrets=secrets) == f"API_KEY={REDACTED}&x=1"


def test_fifty_codes_sent_cost_the_first_look_no_more_than_one() -> None:
    """A desk keeps the last 50 codes it sent among its secrets: every answer's strings are looked at with all
    of them. Counted in work, not time: the first look builds no expression of every form (that took 100+ ms
    for each new code)."""
    rng = random.Random(7)
    key = "TL" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(40))
    many = _Prepared((key, *(str(rng.randint(100000, 999999)) for _ in range(50))))
    for value in ("ok", "Successfully Sent", "NGN", "Termii Voice", "message_id"):
        assert not many.needs_work(value)
    assert "trigger" not in vars(many) and "spelled" not in vars(many)  # never compiled for ASCII text


def test_a_secret_far_into_a_long_log_line_is_still_found() -> None:
    from termii_desk.core.scrub import redact_secrets

    key = "a-real-looking-key-0042"
    for at in (0, 4090, 4094, 5000, 20_000):
        line = "x" * at + key.upper() + " y"
        assert key.upper() not in redact_secrets(line, (key, "482916")), at
        assert "482916" not in redact_secrets("z" * at + "4 8 2 9 1 6", (key, "482916")), at
