"""normalise_base_url: the host the desk shows and checks is the host the HTTP stack connects to, or it is refused.

Generated URLs mix what changes a host on its way through urllib3 and requests (tabs and line breaks, which
urlsplit drops; ideographic and fullwidth full stops and letters, which IDNA maps; percent-encodings, which
urllib3 decodes; backslashes and user info, which parsers split differently) with plain host names.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from urllib3.util import parse_url

from termii_desk.core.client import CALL_PATH, TermiiClient, is_loopback_host, normalise_base_url
from termii_desk.core.errors import ConfigError, Outcome

KEY = "hyp-test-key-0123456789"

# Characters that change a host after normalisation or parsing, and ordinary URL material around them.
_TRICKY = list("\t\n\r \x00\x7f\u0085\u00a0\u200b\u00ad\u2028。．｡ａｅＡ①ßİKﬁ\\%@[]?#:;/_~+!$&'()*,=")
_PLAIN = list("abcdefghijklmnopqrstuvwxyzAPI0123456789.-")
_PREFIXES = ["", "http://", "https://", "HTTPS://", "ftp://", "//", "http://127.0.0.1", "http://localhost",
             "https://api.ng.termii.com", "https://v3.api.termii.com", "http://[::1]"]

url_texts = st.builds(
    lambda prefix, body: prefix + body,
    st.sampled_from(_PREFIXES),
    st.text(alphabet=st.sampled_from(_PLAIN * 3 + _TRICKY), max_size=40),
)

_LABEL = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?\Z")
# A last label that is a number (``1``, ``0x1f``) makes the name an IPv4 address to a resolver: refused.
host_names = st.lists(_LABEL, min_size=1, max_size=4).map(".".join).filter(
    lambda h: not re.fullmatch(r"[0-9]+|0x[0-9a-f]*", h.split(".")[-1])
)


def _as_sent(url: str) -> tuple[str | None, str | None]:
    """The host as urllib3 parses it, and as requests prepares a request to the call endpoint."""
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url + CALL_PATH, None)
    return (parse_url(url).host or "").strip("[]"), urlsplit(prepared.url or "").hostname


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(url_texts)
@example("https://api.ng.termii.com\t.evil.com")
@example("https://api.ng.termii.com\n.evil.com")
@example("https://api.ng.termii.com。evil.com")
@example("https://api.ng.termii.com．evil.com")
@example("https://api.ng.termii.com｡evil.com")
@example("https://api.ng.termii.com%2eevil.com")
@example("https://evil.com\\@api.ng.termii.com")
@example("https://api.ng.termii.com@evil.com")
@example("https://ａpi.ng.termii.com")
@example("https://api.ng.termii.co\u212a")  # KELVIN SIGN: NFKC makes it K
@example("https://[fe80::1%25eth0]")
@example("https://0x7f000001")
def test_every_accepted_url_reaches_exactly_the_host_it_shows(text: str) -> None:
    try:
        url = normalise_base_url(text)
    except ConfigError as exc:
        assert str(exc).endswith(".")  # a sentence, whatever was typed
        assert "\t" not in str(exc) and "\n" not in str(exc)
        return
    host = urlsplit(url).hostname
    assert url.isascii() and url.isprintable() and host
    assert _as_sent(url) == (host, host)  # what the agent sees is where the key goes
    assert TermiiClient(url, KEY, session=requests.Session()).host == host
    assert normalise_base_url(url) == url
    if ":" not in host:  # a name or IPv4 address is shown as typed (lower-cased), never rewritten into another
        assert host in text.lower()
    if url.startswith("http://"):
        assert is_loopback_host(host)


@settings(max_examples=400, deadline=None)
@given(host_names, st.sampled_from(["", ":443", ":8443"]), st.sampled_from(["", "/", "/api", "/v1/", "/api/"]))
def test_plain_host_names_are_accepted_as_typed(host: str, port: str, path: str) -> None:
    if len(host) > 253:
        return
    url = normalise_base_url(f"https://{host.upper()}{port}{path}")
    assert url == f"https://{host}{port}{'/v1' if path == '/v1/' else ''}"
    assert _as_sent(url) == (host, host)


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("https://api.ng.termii.com\t.evil.com", "a tab"),
        ("https://api.ng.termii.com\n", "a line break"),
        ("\rhttps://api.ng.termii.com", "a line break"),
        ("https://api.ng.termii.com。evil.com", "U+3002"),
        ("https://api.ng.termii.com．evil.com", "U+FF0E"),
        ("https://api.ng.termii.com｡evil.com", "U+FF61"),
        ("https://api.ng.termii.com%2eevil.com", "% encoding"),
        ("https://evil.com\\@api.ng.termii.com", "backslash"),
        ("https://evil.com@api.ng.termii.com", "just the address"),
        ("https://127.1", "valid host"),
        ("https://api.ng.termii.com/a b", "a space"),
        ("https://api.ng.termii.com\u200b", "U+200B"),
    ],
)
def test_refusals_say_why(typed: str, words: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(words)):
        normalise_base_url(typed)


def test_a_pasted_key_in_a_refused_url_is_never_repeated() -> None:
    for typed in (f"https://api.ng.termii.com/api/get-balance?api_key={KEY}", f"https://{KEY}@api.ng.termii.com",
                  f"https://x.com:{KEY}", f"ftp://api.ng.termii.com/{KEY}?api_key={KEY}"):
        with pytest.raises(ConfigError) as caught:
            normalise_base_url(typed)
        assert KEY not in str(caught.value)


class _Unbuildable(requests.Session):
    """A session whose request cannot be built from its URL, as requests says before it connects."""

    def request(self, *args: object, **kwargs: object) -> requests.Response:  # type: ignore[override]
        raise requests.exceptions.InvalidURL("Failed to parse: https://x/api/sms/otp/call")


def test_a_url_requests_cannot_build_is_a_configuration_error_never_may_have_been_placed() -> None:
    from termii_desk.core.validation import validate_code, validate_phone

    client = TermiiClient("https://api.ng.termii.com", KEY, session=_Unbuildable())
    with pytest.raises(ConfigError) as caught:
        client.send_voice_call(validate_phone("+2348031234567"), validate_code("482916"))
    assert caught.value.exit_code == 3 and caught.value.outcome is not Outcome.UNKNOWN
    assert "may have been placed" not in str(caught.value) and KEY not in str(caught.value)
    with pytest.raises(ConfigError):
        client.get_balance()


def test_a_call_whose_request_cannot_be_built_is_recorded_as_failed_not_maybe_placed() -> None:
    from termii_desk.core.desk import Desk
    from termii_desk.core.history import HistoryStore
    from termii_desk.core.keystore import KeyStore
    from termii_desk.core.settings import Settings
    from termii_desk.core.validation import validate_code, validate_phone

    history = HistoryStore(None)
    desk = Desk(Settings(), KeyStore(environ={"TERMII_API_KEY": KEY}), history, session=_Unbuildable())
    try:
        attempt = desk.place_call(validate_phone("+2348031234567"), validate_code("482916"))
        assert attempt.outcome is Outcome.FAILED and attempt.exit_code == 3
        assert "cannot be used" in attempt.message and "may have been placed" not in attempt.message
        assert attempt.history_id is not None
        row = history.get(attempt.history_id)
        assert row is not None and row.outcome == "failed"
    finally:
        history.close()
