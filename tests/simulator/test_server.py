"""The built-in Termii simulator, driven with ``requests`` over real loopback sockets."""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import json
import re
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from termii_desk.core.client import BALANCE_PATH, CALL_PATH, VOICE_TOKEN_PATH
from termii_desk.simulator import FAULT_MODES, ReceivedRequest, TermiiSimulator, serve
from termii_desk.simulator import server as server_module

KEY = "sim-test-key"
START = Decimal("5000.00")
COST = Decimal("2.50")
CALL = {"api_key": KEY, "phone_number": "2348031234567", "code": 123456}
KEY_REJECTED = {"message": "No valid API key provided"}


@pytest.fixture
def sim() -> Iterator[TermiiSimulator]:
    with TermiiSimulator() as simulator:
        yield simulator


def post_call(sim: TermiiSimulator, body: Any = None, timeout: Any = 5, **kwargs: Any) -> requests.Response:
    return requests.post(sim.url + CALL_PATH, json=CALL if body is None else body, timeout=timeout,
                         allow_redirects=False, **kwargs)


def get_balance(sim: TermiiSimulator, key: str | None = KEY, **kwargs: Any) -> requests.Response:
    params = {} if key is None else {"api_key": key}
    return requests.get(sim.url + BALANCE_PATH, params=params, timeout=5, allow_redirects=False, **kwargs)


def wait_until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


# -- normal behaviour -----------------------------------------------------------------------------------


def test_start_binds_a_free_port_and_url_needs_start() -> None:
    sim = TermiiSimulator()
    with pytest.raises(RuntimeError):
        _ = sim.url
    with sim:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sim.url)
        assert not sim.url.endswith(":0")
    with pytest.raises(RuntimeError):
        _ = sim.url


def test_call_succeeds_and_charges_the_call_cost(sim: TermiiSimulator) -> None:
    response = post_call(sim)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Length"] == str(len(response.content))
    data = response.json()
    assert data["code"] == "ok"
    assert data["message"] == "Successfully Sent"
    assert data["user"] == "Termii Desk Demo"
    assert data["balance"] == 4997.5
    assert isinstance(data["message_id"], str) and re.fullmatch(r"[1-9]\d{24}", data["message_id"])
    assert uuid.UUID(data["pinId"]).version == 4
    assert sim.balance == START - COST
    assert post_call(sim).json()["message_id"] != data["message_id"]


def test_balance_answers_current_balance(sim: TermiiSimulator) -> None:
    post_call(sim)
    response = get_balance(sim)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"user": "Termii Desk Demo", "balance": 4997.5, "currency": "NGN"}


def test_custom_account_values() -> None:
    with TermiiSimulator("other", balance=Decimal("10"), currency="GHS", user="Ama", call_cost=Decimal("4")) as sim:
        assert post_call(sim, {**CALL, "api_key": "other"}).json()["balance"] == 6
        assert get_balance(sim, "other").json() == {"user": "Ama", "balance": 6, "currency": "GHS"}


@pytest.mark.parametrize("key", ["wrong-key", "", None])
def test_wrong_or_missing_key_is_401(sim: TermiiSimulator, key: str | None) -> None:
    body = {k: v for k, v in CALL.items() if k != "api_key"} if key is None else {**CALL, "api_key": key}
    call = post_call(sim, body)
    balance = get_balance(sim, key)
    assert (call.status_code, call.json()) == (401, KEY_REJECTED)
    assert (balance.status_code, balance.json()) == (401, KEY_REJECTED)
    assert sim.balance == START


PHONE_INVALID = {"message": [{"issue": "phone_number is invalid"}]}
CODE_INVALID = {"message": [{"issue": "code must be numeric, 4 to 8 digits"}]}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"code": "123456"}, CODE_INVALID),  # a string, even of digits
        ({"code": 123}, CODE_INVALID),  # 3 digits
        ({"code": 123456789}, CODE_INVALID),  # 9 digits
        ({"code": True}, CODE_INVALID),
        ({"code": 1234.0}, CODE_INVALID),
        ({"phone_number": "23480312345ab"}, PHONE_INVALID),
        ({"phone_number": "+2348031234567"}, PHONE_INVALID),
        ({"phone_number": "123456789"}, PHONE_INVALID),  # 9 digits
        ({"phone_number": 2348031234567}, PHONE_INVALID),  # a number, not a string
    ],
)
def test_strict_field_rules_are_422(change: dict[str, object], expected: object) -> None:
    with TermiiSimulator(strict=True) as sim:
        response = post_call(sim, {**CALL, **change})
        assert (response.status_code, response.json()) == (422, expected)
        assert sim.balance == START and sim.heard == []


@pytest.mark.parametrize(
    ("change", "heard"),
    [
        ({"code": "123456"}, ("2348031234567", "123456")),  # the code as a numeric string
        ({"code": " 4821 "}, ("2348031234567", "4821")),
        ({"phone_number": "+2348031234567"}, ("2348031234567", "123456")),  # + before the digits
        ({"phone_number": "+2348031234567", "code": "87654321"}, ("2348031234567", "87654321")),
    ],
)
def test_lenient_by_default_accepts_what_real_clients_send(
    sim: TermiiSimulator, change: dict[str, object], heard: tuple[str, str]
) -> None:
    response = post_call(sim, {**CALL, **change})
    assert response.status_code == 200 and response.json()["code"] == "ok"
    [call] = sim.heard
    assert (call.phone_number, call.digits, call.endpoint) == (*heard, "call")
    assert call.pin_id == response.json()["pinId"]
    assert sim.balance == START - COST


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"code": 123}, CODE_INVALID),
        ({"code": "123"}, CODE_INVALID),
        ({"code": "12a456"}, CODE_INVALID),
        ({"code": "123456789"}, CODE_INVALID),
        ({"code": True}, CODE_INVALID),
        ({"code": 1234.0}, CODE_INVALID),
        ({"phone_number": "23480312345ab"}, PHONE_INVALID),
        ({"phone_number": "++2348031234567"}, PHONE_INVALID),
        ({"phone_number": "123456789"}, PHONE_INVALID),
        ({"phone_number": 2348031234567}, PHONE_INVALID),
    ],
)
def test_lenient_mode_still_refuses_what_termii_would(
    sim: TermiiSimulator, change: dict[str, object], expected: object
) -> None:
    response = post_call(sim, {**CALL, **change})
    assert (response.status_code, response.json()) == (422, expected)
    assert sim.balance == START and sim.heard == []


@pytest.mark.parametrize("body", [{"code": 1000}, {"code": 99_999_999}, {"phone_number": "2348031234"}])
def test_field_limits_are_accepted(sim: TermiiSimulator, body: dict[str, object]) -> None:
    assert post_call(sim, {**CALL, **body}).status_code == 200


def test_body_that_is_not_a_json_object_is_400(sim: TermiiSimulator) -> None:
    response = requests.post(sim.url + CALL_PATH, data=b"[1, 2]", timeout=5)
    assert response.status_code == 400
    assert sim.balance == START


def test_insufficient_balance_is_400_and_charges_nothing() -> None:
    with TermiiSimulator(balance=Decimal("2.00")) as sim:
        response = post_call(sim)
        assert (response.status_code, response.json()) == (400, {"message": "Insufficient balance"})
        assert sim.balance == Decimal("2.00")


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
def test_get_with_json_content_type_gets_an_empty_200_without_a_content_type(
    sim: TermiiSimulator, content_type: str
) -> None:
    # As recorded from a real host: HTTP 200, Content-Length: 0, no Content-Type header, Via: 1.1 google.
    response = get_balance(sim, headers={"Content-Type": content_type})
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Content-Length"] == "0"
    assert "Content-Type" not in response.headers
    assert response.headers["Via"] == "1.1 google"
    assert sim.balance_requests[0].headers["Content-Type"] == content_type


def test_the_voice_token_path_succeeds_but_the_customer_hears_a_pin_termii_made_up(sim: TermiiSimulator) -> None:
    """The trap the seed's samples lead into: the desk's fields posted to the Voice Token API."""
    response = requests.post(sim.url + VOICE_TOKEN_PATH, json=CALL, timeout=5)
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "ok" and body["message"] == "Successfully Sent"
    assert uuid.UUID(body["pinId"]) and body["message_id"].isdigit()
    [heard] = sim.heard
    assert heard.endpoint == "voice-token" and heard.pin_id == body["pinId"]
    assert heard.phone_number == "2348031234567"
    assert len(heard.digits) == 4 and heard.digits[0] != "0"  # the default PIN length, never the code sent
    assert sim.calls == [] and len(sim.voice_token_requests) == 1
    assert sim.balance == START - COST


def test_voice_token_fields_are_used_and_checked(sim: TermiiSimulator) -> None:
    token = {"api_key": KEY, "phone_number": "+2348031234567", "pin_attempts": 3, "pin_time_to_live": "5",
             "pin_length": 8}
    assert requests.post(sim.url + VOICE_TOKEN_PATH, json=token, timeout=5).status_code == 200
    assert len(sim.heard[0].digits) == 8
    for bad in ({"pin_length": 3}, {"pin_length": 9}, {"pin_attempts": 0}, {"pin_time_to_live": 61},
                {"pin_length": True}, {"api_key": "wrong"}, {"phone_number": "123"}):
        refused = requests.post(sim.url + VOICE_TOKEN_PATH, json={**token, **bad}, timeout=5)
        assert refused.status_code in (401, 422)
    assert len(sim.heard) == 1


def test_strict_voice_token_requires_its_documented_fields() -> None:
    with TermiiSimulator(strict=True) as sim:
        assert requests.post(sim.url + VOICE_TOKEN_PATH, json=CALL, timeout=5).status_code == 422
        token = {"api_key": KEY, "phone_number": "2348031234567", "pin_attempts": 3, "pin_time_to_live": 5,
                 "pin_length": 6}
        assert requests.post(sim.url + VOICE_TOKEN_PATH, json={**token, "pin_length": "6"}, timeout=5
                             ).status_code == 422
        assert requests.post(sim.url + VOICE_TOKEN_PATH, json=token, timeout=5).status_code == 200
        assert [len(h.digits) for h in sim.heard] == [6]


def test_unknown_path_is_404_and_wrong_method_is_405(sim: TermiiSimulator) -> None:
    missing = requests.post(sim.url + "/api/sms/otp/send", json=CALL, timeout=5)
    assert (missing.status_code, missing.json()) == (404, {"message": "Not found"})
    assert requests.get(sim.url + VOICE_TOKEN_PATH, timeout=5).headers["Allow"] == "POST"
    wrong_method = requests.get(sim.url + CALL_PATH, timeout=5)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "POST"
    assert requests.post(sim.url + BALANCE_PATH, params={"api_key": KEY}, timeout=5).status_code == 405
    assert sim.balance == START


def test_one_connection_serves_many_requests(sim: TermiiSimulator) -> None:
    def local_port(response: requests.Response) -> int:
        port = response.raw.connection.sock.getsockname()[1]  # before the body is read and the connection released
        assert response.status_code == 200 and response.json()["balance"]
        return int(port)

    with requests.Session() as session:
        ports = [
            local_port(session.post(sim.url + CALL_PATH, json=CALL, timeout=5, stream=True)),
            local_port(session.post(sim.url + CALL_PATH, json=CALL, timeout=5, stream=True)),
            local_port(session.get(sim.url + BALANCE_PATH, params={"api_key": KEY}, timeout=5, stream=True)),
        ]
    assert len(set(ports)) == 1  # the same TCP connection every time
    assert sim.balance == START - 2 * COST


def test_concurrent_calls_are_each_charged_once(sim: TermiiSimulator) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: post_call(sim).status_code, range(20)))
    assert statuses == [200] * 20
    assert sim.balance == START - 20 * COST
    assert len(sim.calls) == 20


def test_received_records_every_request(sim: TermiiSimulator) -> None:
    sent = json.dumps(CALL).encode()
    requests.post(sim.url + CALL_PATH, data=sent, headers={"Content-Type": "application/json"}, timeout=5)
    get_balance(sim)
    requests.get(sim.url + "/elsewhere", timeout=5)
    call, balance, other = sim.received
    assert (call.method, call.path, call.query, call.json, call.body) == ("POST", CALL_PATH, {}, CALL, sent)
    assert call.headers["Content-Type"] == "application/json"
    assert (balance.method, balance.path, balance.query, balance.json, balance.body) == (
        "GET", BALANCE_PATH, {"api_key": KEY}, None, b""
    )
    assert other.path == "/elsewhere"
    assert sim.calls == [call]
    assert sim.balance_requests == [balance]
    with pytest.raises(dataclasses.FrozenInstanceError):
        call.method = "GET"  # type: ignore[misc]
    sim.reset_log()
    assert sim.received == [] and sim.calls == []
    assert isinstance(call, ReceivedRequest)


# -- faults -------------------------------------------------------------------------------------------

Check = Callable[[requests.Response], bool]


def json_is(expected: object) -> Check:
    return lambda r: r.headers["Content-Type"] == "application/json" and r.json() == expected


def html_titled(title: str) -> Check:
    return lambda r: r.headers["Content-Type"] == "text/html" and f"<title>{title}</title>" in r.text


def success_with_balance(balance: object) -> Check:
    return lambda r: r.json()["code"] == "ok" and r.json()["balance"] == balance


def empty(r: requests.Response) -> bool:
    return r.content == b"" and r.headers["Content-Length"] == "0"


TOO_MANY = {"message": "Too Many Requests"}
FAULT_CASES: list[tuple[str, int | type[Exception], Check | None]] = [
    ("401", 401, json_is(KEY_REJECTED)),
    ("403", 403, json_is({"message": "You are not set up on this route"})),
    ("400", 400, json_is({"message": "Your account is not active"})),
    ("422", 422, json_is({"message": "phone_number is invalid"})),
    ("422-list", 422, json_is(PHONE_INVALID)),
    ("429", 429, lambda r: json_is(TOO_MANY)(r) and r.headers["Retry-After"] == "30"),
    ("429-no-retry-after", 429, lambda r: json_is(TOO_MANY)(r) and "Retry-After" not in r.headers),
    ("500", 500, json_is({"message": "Internal Server Error"})),
    ("502-html", 502, html_titled("502 Bad Gateway")),
    ("503-empty", 503, empty),
    ("504-html", 504, html_titled("504 Gateway Time-out")),
    ("200-empty", 200, empty),
    ("200-not-json", 200, lambda r: r.headers["Content-Type"] == "text/plain" and r.text == "OK"),
    ("200-missing-fields", 200, json_is({"status": "received"})),
    ("balance-string", 200, success_with_balance("4997.50")),
    ("balance-unlimited", 200, success_with_balance("unlimited")),
    ("balance-null", 200, success_with_balance(None)),
    ("slow", 200, lambda r: success_with_balance(4997.5)(r) and r.elapsed >= datetime.timedelta(seconds=0.3)),
    ("no-answer", requests.exceptions.ReadTimeout, None),
    ("reset-before", requests.exceptions.ConnectionError, None),
    ("reset", requests.exceptions.ConnectionError, None),
    ("oversized", 200, lambda r: len(r.content) == server_module.OVERSIZED_BYTES == int(r.headers["Content-Length"])),
    ("redirect", 302, lambda r: r.headers["Location"] == "http://other-host.invalid" + CALL_PATH),
]
SUCCESS_SHAPED = {"balance-string", "balance-unlimited", "balance-null", "slow"}


def test_fault_cases_cover_every_mode() -> None:
    assert [mode for mode, _, _ in FAULT_CASES] == list(FAULT_MODES)
    assert all(isinstance(text, str) and text for text in FAULT_MODES.values())


@pytest.mark.parametrize(("mode", "expected", "check"), FAULT_CASES, ids=[case[0] for case in FAULT_CASES])
def test_fault_mode_on_the_call(
    sim: TermiiSimulator, mode: str, expected: int | type[Exception], check: Check | None
) -> None:
    sim.set_fault(mode, delay=0.3 if mode == "slow" else None)
    assert sim.fault == mode
    if isinstance(expected, int):
        response = post_call(sim)
        assert response.status_code == expected
        assert check is not None and check(response)
    else:
        with pytest.raises(expected) as caught:
            post_call(sim, timeout=(2, 0.5))
        if mode == "reset":  # (for reset-before, urllib3 may swallow the RST while still sending the body)
            assert "ConnectionResetError" in repr(caught.value)  # a TCP RST, not an orderly close
    assert sim.balance == (START - COST if mode in SUCCESS_SHAPED else START)
    assert len(sim.calls) == (0 if mode == "reset-before" else 1)


@pytest.mark.parametrize("mode", ["reset-before", "reset"])
def test_reset_modes_send_a_tcp_rst(sim: TermiiSimulator, mode: str) -> None:
    sim.set_fault(mode)
    body = json.dumps(CALL).encode()
    request = (
        f"POST {CALL_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    host, port = sim.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(request)
        with pytest.raises(ConnectionResetError):
            while conn.recv(65536):
                pass
    assert len(sim.calls) == (1 if mode == "reset" else 0)


@pytest.mark.parametrize(("mode", "balance"), [("balance-string", "5000.00"), ("balance-unlimited", "unlimited"),
                                               ("balance-null", None)])
def test_balance_shapes_on_the_balance_endpoint(sim: TermiiSimulator, mode: str, balance: object) -> None:
    sim.set_fault(mode)
    assert get_balance(sim).json() == {"user": "Termii Desk Demo", "balance": balance, "currency": "NGN"}


def test_fault_applies_only_to_the_selected_endpoint(sim: TermiiSimulator) -> None:
    sim.set_fault("500", on="call")
    assert post_call(sim).status_code == 500
    assert get_balance(sim).status_code == 200
    assert requests.get(sim.url + "/elsewhere", timeout=5).status_code == 404
    sim.set_fault("reset-before", on="balance")
    assert post_call(sim).status_code == 200
    with pytest.raises(requests.exceptions.ConnectionError):
        get_balance(sim)
    sim.clear_fault()
    assert sim.fault is None
    assert get_balance(sim).status_code == 200


def test_fault_from_the_constructor() -> None:
    with TermiiSimulator(fault="429", fault_on="balance") as sim:
        assert get_balance(sim).status_code == 429
        assert post_call(sim).status_code == 200


def test_fault_changes_reach_a_kept_alive_connection(sim: TermiiSimulator) -> None:
    with requests.Session() as session:
        assert session.post(sim.url + CALL_PATH, json=CALL, timeout=5).status_code == 200
        sim.set_fault("403")
        assert session.post(sim.url + CALL_PATH, json=CALL, timeout=5).status_code == 403
        sim.clear_fault()
        assert session.post(sim.url + CALL_PATH, json=CALL, timeout=5).status_code == 200


def test_delay_is_slept_before_answers(sim: TermiiSimulator) -> None:
    sim.set_fault(None, delay=0.3)
    started = time.monotonic()
    assert get_balance(sim).status_code == 200
    assert time.monotonic() - started >= 0.3
    sim.clear_fault()
    started = time.monotonic()
    assert get_balance(sim).status_code == 200
    assert time.monotonic() - started < 0.3


@pytest.mark.parametrize(("args", "kwargs"), [(("nope",), {}), (("500",), {"on": "sms"}), (("slow",), {"delay": -1})])
def test_set_fault_refuses_bad_arguments(sim: TermiiSimulator, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        sim.set_fault(*args, **kwargs)
    assert sim.fault is None


def _connection_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "termii-simulator-connection"]


def test_no_answer_lets_go_when_the_client_leaves(sim: TermiiSimulator) -> None:
    sim.set_fault("no-answer")
    with pytest.raises(requests.exceptions.ReadTimeout):
        post_call(sim, timeout=(2, 0.3))
    wait_until(lambda: not _connection_threads(), timeout=2)


def _call_in_background(sim: TermiiSimulator) -> tuple[threading.Thread, list[Exception]]:
    """A voice call posted from another thread, once the simulator has it: the thread and its errors."""
    errors: list[Exception] = []

    def call() -> None:
        try:
            post_call(sim, timeout=(2, 30))
        except requests.RequestException as exc:
            errors.append(exc)

    client = threading.Thread(target=call)
    client.start()
    wait_until(lambda: sim.calls)
    return client, errors


def test_stop_is_prompt_while_a_request_is_held() -> None:
    sim = TermiiSimulator(fault="no-answer").start()
    client, errors = _call_in_background(sim)
    url = sim.url
    started = time.monotonic()
    sim.stop()
    assert time.monotonic() - started < 2
    client.join(5)
    assert not client.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], requests.exceptions.ConnectionError)
    assert not _connection_threads()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url + BALANCE_PATH, timeout=2)


def test_stop_is_prompt_while_slow_and_idle_connections_are_open(sim: TermiiSimulator) -> None:
    with requests.Session() as idle:
        assert idle.get(sim.url + BALANCE_PATH, params={"api_key": KEY}, timeout=5).status_code == 200
        sim.set_fault("slow", on="call", delay=30)
        client, errors = _call_in_background(sim)
        started = time.monotonic()
        sim.stop()
        assert time.monotonic() - started < 2
        assert not _connection_threads()  # the idle kept-alive connection was closed too
        client.join(5)
        assert not client.is_alive()
        assert len(errors) == 1 and isinstance(errors[0], requests.exceptions.ConnectionError)


# -- TLS and the command line ---------------------------------------------------------------------------


def test_https_with_an_ssl_context(tmp_path: Path) -> None:
    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    with TermiiSimulator(ssl_context=context) as sim:
        assert sim.url.startswith("https://127.0.0.1:")
        with requests.Session() as session:
            first = session.post(sim.url + CALL_PATH, json=CALL, timeout=5, verify=str(cert_file))
            second = session.get(sim.url + BALANCE_PATH, params={"api_key": KEY}, timeout=5, verify=str(cert_file))
        assert (first.status_code, second.json()["balance"]) == (200, 4997.5)


def test_serve_prints_url_and_redacted_request_lines(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    printed: list[str] = []

    def fake_sleep(seconds: float) -> None:
        printed.append(capsys.readouterr().out)
        url = re.search(r"on (http://127\.0\.0\.1:\d+) ", printed[0])
        assert url is not None
        requests.get(url.group(1) + BALANCE_PATH, params={"api_key": KEY}, timeout=5)
        requests.post(url.group(1) + CALL_PATH, json=CALL, timeout=5)
        raise KeyboardInterrupt

    capsys.readouterr()
    monkeypatch.setattr(server_module.time, "sleep", fake_sleep)
    assert serve(port=0, fault="balance-string") == 0
    first, *rest = (printed[0] + capsys.readouterr().out).splitlines()
    assert "(API key: sim-test-key; lenient" in first
    assert any(line.endswith(f"GET {BALANCE_PATH}?api_key=[redacted] -> 200 (fault balance-string)") for line in rest)
    assert any(f"POST {CALL_PATH} -> 200" in line for line in rest)
    assert KEY not in "\n".join(rest)
