"""The Termii client against canned answers (``responses``): request shape, every status and body shape."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests
import responses
from urllib3.exceptions import NameResolutionError, NewConnectionError, ProtocolError

from termii_desk import __version__
from termii_desk.core.client import (
    BALANCE_PATH,
    CALL_PATH,
    MAX_BODY_BYTES,
    TermiiClient,
    normalise_base_url,
    redact,
)
from termii_desk.core.errors import (
    BadResponseError,
    ConfigError,
    KeyRejectedError,
    NetworkError,
    Outcome,
    RateLimitedError,
    RequestRejectedError,
    RequestTimeoutError,
    ServerError,
    TermiiError,
)
from termii_desk.core.validation import validate_code, validate_phone

BASE = "https://api.ng.termii.com"
KEY = "TLtestKEY1234567890abcdef"
CALL_URL = BASE + CALL_PATH
BALANCE_URL = BASE + BALANCE_PATH
OK = {"code": "ok", "message_id": "3017694584737030299856628", "pinId": "29ae67c2-c8e1-4165-8a51-8d3d7c298081",
      "message": "Successfully Sent", "balance": 77.5, "user": "Termii Test"}


@pytest.fixture
def client() -> TermiiClient:
    return TermiiClient(BASE, KEY, session=requests.Session(), connect_timeout=2, read_timeout=3)


def _call(client: TermiiClient):  # type: ignore[no-untyped-def]
    return client.send_voice_call(validate_phone("+2348031234567"), validate_code("482916"))


@responses.activate
def test_call_posts_the_documented_body_and_headers(client: TermiiClient) -> None:
    responses.post(CALL_URL, json=OK)
    result = _call(client)
    sent = responses.calls[0].request
    assert json.loads(sent.body) == {"api_key": KEY, "phone_number": "2348031234567", "code": 482916}
    assert isinstance(json.loads(sent.body)["code"], int)
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["User-Agent"] == f"TermiiDesk/{__version__}"
    assert result.message_id == "3017694584737030299856628"
    assert result.pin_id == OK["pinId"]
    assert result.balance is not None and result.balance.amount == Decimal("77.5")
    assert result.user == "Termii Test"
    assert result.http_status == 200


@responses.activate
def test_long_message_id_stays_exact_even_as_a_json_number(client: TermiiClient) -> None:
    responses.post(CALL_URL, body='{"code": "ok", "message_id": 3017694584737030299856628}',
                   content_type="application/json")
    assert _call(client).message_id == "3017694584737030299856628"


@responses.activate
def test_pin_id_spelling_variant_and_missing_optional_fields(client: TermiiClient) -> None:
    responses.post(CALL_URL, json={"code": "ok", "pin_id": "abc"})
    result = _call(client)
    assert result.pin_id == "abc"
    assert result.message_id is None and result.balance is None and result.user is None


@responses.activate
def test_balance_gets_with_key_in_query_and_no_content_type(client: TermiiClient) -> None:
    responses.get(BALANCE_URL, json={"user": "Tayo Joel", "balance": 0, "currency": "NGN"})
    result = client.get_balance()
    sent = responses.calls[0].request
    assert "Content-Type" not in sent.headers
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["User-Agent"].startswith("TermiiDesk/")
    assert sent.url == f"{BALANCE_URL}?api_key={KEY}"
    assert result.balance is not None and result.balance.amount == Decimal("0")
    assert (result.user, result.currency) == ("Tayo Joel", "NGN")


@pytest.mark.parametrize(
    ("value", "raw", "amount"),
    [(77.5, "77.5", Decimal("77.5")), ("77.50", "77.50", Decimal("77.50")), ("unlimited", "unlimited", None),
     (4662.3, "4662.3", Decimal("4662.3"))],
)
@responses.activate
def test_balance_shapes(client: TermiiClient, value: object, raw: str, amount: Decimal | None) -> None:
    responses.get(BALANCE_URL, json={"balance": value, "currency": "NGN"})
    result = client.get_balance()
    assert result.balance is not None
    assert (result.balance.raw, result.balance.amount) == (raw, amount)


@responses.activate
def test_balance_null_is_an_unreadable_answer(client: TermiiClient) -> None:
    responses.get(BALANCE_URL, json={"balance": None, "currency": "NGN"})
    with pytest.raises(BadResponseError, match="did not include a balance"):
        client.get_balance()


# status, body, content type, error class, outcome of a call, words the sentence must contain
STATUS_CASES = [
    (401, {"message": "No valid API key provided"}, None, KeyRejectedError, Outcome.REJECTED,
     "rejected the API key (HTTP 401: No valid API key provided)"),
    (403, {"message": "You are not set up on this route"}, None, KeyRejectedError, Outcome.REJECTED,
     "You are not set up on this route"),
    (400, {"message": "Your account is not active"}, None, RequestRejectedError, Outcome.REJECTED,
     "refused the request (HTTP 400: Your account is not active)"),
    (422, {"message": [{"issue": "phone_number is invalid"}]}, None, RequestRejectedError, Outcome.REJECTED,
     "HTTP 422: phone_number is invalid"),
    (404, {"code": 404, "message": "ApplicationSenderId not found for applicationId: 66189 and senderName: RALD"},
     None, RequestRejectedError, Outcome.REJECTED, "ApplicationSenderId not found"),
    (429, {"message": "Too Many Requests"}, None, RateLimitedError, Outcome.REJECTED, "Wait a minute"),
    (500, {"message": "Internal Server Error"}, None, ServerError, Outcome.UNKNOWN, "HTTP 500: Internal Server Error"),
    (502, "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>",
     "text/html", ServerError, Outcome.UNKNOWN, "error page titled “502 Bad Gateway”"),
    (503, "", "text/plain", ServerError, Outcome.FAILED, "HTTP 503). Try again in a few minutes"),
    (504, "<html><title>Gateway Time-out</title></html>", "text/html", ServerError, Outcome.UNKNOWN,
     "may have been placed"),
    (200, "", "application/json", BadResponseError, Outcome.UNKNOWN, "an empty answer"),
    (200, "OK", "text/plain", BadResponseError, Outcome.UNKNOWN, "not JSON"),
    (200, {"status": "received"}, None, BadResponseError, Outcome.UNKNOWN, "without confirming the call"),
    (200, ["ok"], None, BadResponseError, Outcome.UNKNOWN, "not an object"),
    (302, "", "text/html", TermiiError, Outcome.FAILED, "redirect"),
]


@pytest.mark.parametrize(("status", "body", "content_type", "error", "outcome", "words"), STATUS_CASES)
@responses.activate
def test_every_status_and_body_becomes_a_sentence(
    client: TermiiClient, status: int, body: object, content_type: str | None, error: type, outcome: Outcome,
    words: str,
) -> None:
    if isinstance(body, str):
        responses.post(CALL_URL, status=status, body=body, content_type=content_type or "text/plain")
    else:
        responses.post(CALL_URL, status=status, json=body)
    with pytest.raises(error) as caught:
        _call(client)
    text = str(caught.value)
    assert words in text
    assert caught.value.outcome == outcome
    assert "<" not in text and "None" not in text and KEY not in text
    if status >= 400:
        assert caught.value.http_status == status
    if outcome == Outcome.UNKNOWN:
        assert "may have been placed" in text
    assert len(responses.calls) == 1


@responses.activate
def test_429_honours_retry_after(client: TermiiClient) -> None:
    responses.post(CALL_URL, status=429, json={"message": "Too Many Requests"}, headers={"Retry-After": "30"})
    with pytest.raises(RateLimitedError) as caught:
        _call(client)
    assert caught.value.retry_after == 30
    assert "Wait 30 seconds" in str(caught.value)


@responses.activate
def test_redirect_is_not_followed_and_names_the_host(client: TermiiClient) -> None:
    responses.post(CALL_URL, status=301, headers={"Location": "https://evil.example/api/sms/otp/call"})
    responses.post("https://evil.example/api/sms/otp/call", json=OK)
    with pytest.raises(TermiiError, match=r"evil\.example"):
        _call(client)
    assert len(responses.calls) == 1


@responses.activate
def test_body_larger_than_the_cap_is_not_read_whole(client: TermiiClient) -> None:
    responses.post(CALL_URL, status=200, body=b"x" * (MAX_BODY_BYTES * 5), content_type="application/json")
    with pytest.raises(BadResponseError, match="larger than 1 MB") as caught:
        _call(client)
    assert caught.value.outcome == Outcome.UNKNOWN


@responses.activate
def test_key_echoed_by_the_server_is_redacted(client: TermiiClient) -> None:
    responses.get(BALANCE_URL, status=400, json={"message": f"bad key {KEY}"})
    with pytest.raises(RequestRejectedError) as caught:
        client.get_balance()
    assert KEY not in str(caught.value)
    assert "[redacted]" in str(caught.value)


@pytest.mark.parametrize(
    ("raised", "error", "call_outcome", "words"),
    [
        (requests.exceptions.ConnectionError(NameResolutionError("api.ng.termii.com", None, "no such host")),
         NetworkError, Outcome.FAILED, "Could not find api.ng.termii.com"),
        (requests.exceptions.ConnectionError(NewConnectionError(None, "Connection refused")),
         NetworkError, Outcome.FAILED, "connection was refused"),
        (requests.exceptions.SSLError("certificate verify failed"), NetworkError, Outcome.FAILED,
         "certificate could not be verified"),
        (requests.exceptions.ConnectTimeout("connect timed out"), RequestTimeoutError, Outcome.FAILED,
         "Could not connect"),
        (requests.exceptions.ReadTimeout("read timed out"), RequestTimeoutError, Outcome.UNKNOWN,
         "did not answer within 3 seconds"),
        (requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError(104))),
         NetworkError, Outcome.UNKNOWN, "cut before Termii answered"),
    ],
)
@responses.activate
def test_transport_failures(
    client: TermiiClient, raised: Exception, error: type, call_outcome: Outcome, words: str
) -> None:
    responses.post(CALL_URL, body=raised)
    responses.get(BALANCE_URL, body=raised)
    with pytest.raises(error) as on_call:
        _call(client)
    assert words in str(on_call.value)
    assert on_call.value.outcome == call_outcome
    with pytest.raises(error) as on_balance:
        client.get_balance()
    assert on_balance.value.outcome == Outcome.FAILED  # a balance check never places a call
    assert KEY not in str(on_balance.value) and KEY not in str(on_call.value)


def test_exception_texts_from_requests_never_carry_the_key() -> None:
    client = TermiiClient("http://127.0.0.1:1", KEY, session=requests.Session(), connect_timeout=1)
    with pytest.raises(NetworkError) as caught:
        client.get_balance()
    assert KEY not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert KEY not in repr(client)


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("https://api.ng.termii.com/", BASE),
        ("https://api.ng.termii.com/api", BASE),
        ("https://api.ng.termii.com/api/", BASE),
        ("  HTTPS://API.NG.TERMII.COM  ", BASE),
        ("api.ng.termii.com", BASE),
        ("https://v3.api.termii.com", "https://v3.api.termii.com"),
        ("http://127.0.0.1:8731", "http://127.0.0.1:8731"),
        ("http://127.5.6.7:80/api", "http://127.5.6.7:80"),
        ("http://localhost:9000/", "http://localhost:9000"),
        ("http://[::1]:9000", "http://[::1]:9000"),
    ],
)
def test_base_url_normalised(typed: str, normal: str) -> None:
    assert normalise_base_url(typed) == normal


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("", "Set the Termii base URL"),
        ("http://api.ng.termii.com", "must start with https://"),
        ("http://10.0.0.5", "must start with https://"),
        ("ftp://api.ng.termii.com", "not a valid web address"),
        ("https://", "not a valid web address"),
        ("https://api.ng.termii.com:99999", "not a valid web address"),
        ("https://user:pw@api.ng.termii.com", "just the address"),
        ("https://api.ng.termii.com?api_key=x", "just the address"),
    ],
)
def test_bad_base_urls_are_refused_before_any_request(typed: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words.replace("?", r"\?")):
        TermiiClient(typed, KEY, session=requests.Session())


def test_missing_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="No Termii API key"):
        TermiiClient(BASE, "  ", session=requests.Session())


def test_redact_removes_query_keys_and_known_secrets() -> None:
    text = f"GET https://x/api/get-balance?api_key={KEY}&a=1 failed for {KEY}"
    cleaned = redact(text, KEY)
    assert KEY not in cleaned
    assert "api_key=[redacted]&a=1" in cleaned


@pytest.mark.parametrize(
    "body",
    [
        {"code": 401, "message": f"api key {KEY} is not active"},
        {"status": f"received {KEY}"},
        {"code": "ok", "message_id": "1", "message": f"Sent with {KEY}", "user": KEY},
    ],
)
@responses.activate
def test_key_in_a_200_body_is_redacted_everywhere(client: TermiiClient, body: dict[str, object]) -> None:
    responses.post(CALL_URL, json=body)
    try:
        result = _call(client)
    except TermiiError as exc:
        assert KEY not in str(exc) and KEY not in (exc.termii_message or "")
    else:
        assert KEY not in repr(result)


@responses.activate
def test_error_code_inside_a_200_is_a_refusal_with_the_right_words(client: TermiiClient) -> None:
    responses.post(CALL_URL, json={"code": 401, "message": "Your account is not active"})
    with pytest.raises(KeyRejectedError) as caught:
        _call(client)
    assert "error code 401" in str(caught.value) and "HTTP 401" not in str(caught.value)
    assert caught.value.http_status == 200 and caught.value.outcome == Outcome.REJECTED


@responses.activate
def test_403_route_message_does_not_blame_the_key(client: TermiiClient) -> None:
    responses.post(CALL_URL, status=403, json={"message": "You are not set up on this route"})
    with pytest.raises(KeyRejectedError) as caught:
        _call(client)
    assert "does not allow this for the account" in str(caught.value)
    assert "rejected the API key" not in str(caught.value)


@responses.activate
def test_tls_failure_that_is_not_about_the_certificate_is_unknown_for_a_call(client: TermiiClient) -> None:
    import ssl

    responses.post(CALL_URL, body=requests.exceptions.SSLError(ssl.SSLError(1, "bad record mac")))
    with pytest.raises(NetworkError) as caught:
        _call(client)
    assert caught.value.outcome == Outcome.UNKNOWN and "may have been placed" in str(caught.value)
    assert "not trusted" not in str(caught.value)


def test_trickled_body_is_cut_at_the_overall_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    import termii_desk.core.client as client_module

    client = TermiiClient(BASE, KEY, session=requests.Session(), connect_timeout=0.1, read_timeout=0.1)

    def trickle(response: object) -> object:
        for _ in range(100):
            time.sleep(0.01)
            yield b" "

    monkeypatch.setattr(client_module, "_iter_body", trickle)
    with responses.RequestsMock() as mocked:
        mocked.post(CALL_URL, body=b"")
        with pytest.raises(RequestTimeoutError, match=r"did not finish within 0\.2 seconds") as caught:
            _call(client)
    assert caught.value.outcome == Outcome.UNKNOWN


@pytest.mark.parametrize("url", ["https://api..termii.com", "https://" + "a" * 64 + ".com", "https://-bad.com",
                                 "http://evil.localhost:8000"])
def test_malformed_or_disguised_hosts_are_refused(url: str) -> None:
    with pytest.raises(ConfigError):
        normalise_base_url(url)
