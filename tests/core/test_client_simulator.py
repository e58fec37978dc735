"""The real client over real sockets against the project's simulator, for every fault mode it offers."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from termii_desk.core.client import TermiiClient, make_session
from termii_desk.core.errors import Outcome, TermiiError
from termii_desk.core.validation import validate_code, validate_phone
from termii_desk.simulator import FAULT_MODES, TermiiSimulator
from tests.conftest import SIM_KEY

PHONE = validate_phone("+2348031234567")
CODE = validate_code("482916")

# fault mode -> (outcome of a call, words in the sentence). One line per fault.
CALL_FAULTS: dict[str, tuple[Outcome, str]] = {
    "401": (Outcome.REJECTED, "rejected the API key (HTTP 401: No valid API key provided)"),
    "403": (Outcome.REJECTED, "You are not set up on this route"),
    "400": (Outcome.REJECTED, "Your account is not active"),
    "422": (Outcome.REJECTED, "HTTP 422: phone_number is invalid"),
    "422-list": (Outcome.REJECTED, "HTTP 422: phone_number is invalid"),
    "429": (Outcome.REJECTED, "Wait 30 seconds"),
    "429-no-retry-after": (Outcome.REJECTED, "Wait a minute"),
    "500": (Outcome.UNKNOWN, "HTTP 500: Internal Server Error"),
    "502-html": (Outcome.UNKNOWN, "error page titled “502 Bad Gateway”"),
    "503-empty": (Outcome.FAILED, "HTTP 503"),
    "504-html": (Outcome.UNKNOWN, "may have been placed"),
    "200-empty": (Outcome.UNKNOWN, "an empty answer"),
    "200-not-json": (Outcome.UNKNOWN, "not JSON"),
    "200-missing-fields": (Outcome.UNKNOWN, "without confirming the call"),
    "no-answer": (Outcome.UNKNOWN, "did not answer within 1 second"),
    "reset": (Outcome.UNKNOWN, "cut before Termii answered"),
    "reset-before": (Outcome.UNKNOWN, "may have been placed"),
    "oversized": (Outcome.UNKNOWN, "larger than 1 MB"),
    "redirect": (Outcome.FAILED, "redirect (HTTP 302) to other-host.invalid"),
}
SUCCESS_SHAPED = {"balance-string": "4997.50", "balance-unlimited": "unlimited", "balance-null": None,
                  "slow": "4997.5"}


def test_every_simulator_fault_is_covered_here() -> None:
    assert set(FAULT_MODES) == set(CALL_FAULTS) | set(SUCCESS_SHAPED)


@pytest.fixture
def client(simulator: TermiiSimulator) -> TermiiClient:
    return TermiiClient(simulator.url, SIM_KEY, session=make_session(), connect_timeout=2, read_timeout=1)


def test_call_and_balance_against_the_simulator(simulator: TermiiSimulator, client: TermiiClient) -> None:
    before = client.get_balance()
    result = client.send_voice_call(PHONE, CODE)
    after = client.get_balance()
    assert result.message_id and len(result.message_id) == 25
    assert before.balance and after.balance and before.balance.amount and after.balance.amount
    assert before.balance.amount - after.balance.amount == Decimal("2.50")
    assert after.currency == "NGN"
    [call] = simulator.calls
    assert call.json == {"api_key": SIM_KEY, "phone_number": "2348031234567", "code": 482916}
    assert "content-type" not in {k.lower() for k in simulator.balance_requests[0].headers}


def test_connection_is_reused_across_calls(simulator: TermiiSimulator, client: TermiiClient) -> None:
    for _ in range(3):
        client.send_voice_call(PHONE, CODE)
    assert len(simulator.calls) == 3


@pytest.mark.parametrize("mode", sorted(CALL_FAULTS))
def test_call_faults(simulator: TermiiSimulator, client: TermiiClient, mode: str) -> None:
    outcome, words = CALL_FAULTS[mode]
    simulator.set_fault(mode, on="call")
    with pytest.raises(TermiiError) as caught:
        client.send_voice_call(PHONE, CODE)
    text = str(caught.value)
    assert words in text
    assert caught.value.outcome == outcome
    assert SIM_KEY not in text and "<" not in text and "None" not in text
    expected_requests = 0 if mode == "reset-before" else 1
    assert len(simulator.calls) == expected_requests
    simulator.clear_fault()
    assert client.get_balance().balance is not None  # the client is still usable afterwards


@pytest.mark.parametrize("mode", sorted(CALL_FAULTS))
def test_balance_faults_never_claim_a_call(simulator: TermiiSimulator, client: TermiiClient, mode: str) -> None:
    simulator.set_fault(mode, on="balance")
    with pytest.raises(TermiiError) as caught:
        client.get_balance()
    assert caught.value.outcome in (Outcome.REJECTED, Outcome.FAILED)
    assert "may have been placed" not in str(caught.value)
    assert SIM_KEY not in str(caught.value)


@pytest.mark.parametrize("mode", sorted(SUCCESS_SHAPED))
def test_success_shaped_modes(simulator: TermiiSimulator, mode: str) -> None:
    simulator.set_fault(mode, on="call", delay=1.2 if mode == "slow" else None)
    client = TermiiClient(simulator.url, SIM_KEY, session=make_session(), read_timeout=5)
    result = client.send_voice_call(PHONE, CODE)
    raw = result.balance.raw if result.balance else None
    assert raw == SUCCESS_SHAPED[mode]


def test_slow_answer_past_the_timeout_is_unknown(simulator: TermiiSimulator, client: TermiiClient) -> None:
    simulator.set_fault("slow", on="call", delay=2.5)
    with pytest.raises(TermiiError) as caught:
        client.send_voice_call(PHONE, CODE)
    assert caught.value.outcome == Outcome.UNKNOWN
    assert "may have been placed" in str(caught.value)


def test_connection_refused_is_failed_not_unknown() -> None:
    with TermiiSimulator(api_key=SIM_KEY) as sim:
        url = sim.url
    client = TermiiClient(url, SIM_KEY, session=make_session(), connect_timeout=2)
    with pytest.raises(TermiiError) as caught:
        client.send_voice_call(PHONE, CODE)
    assert caught.value.outcome == Outcome.FAILED
    assert "refused" in str(caught.value)


def test_content_type_on_a_balance_get_would_get_an_empty_answer(simulator: TermiiSimulator) -> None:
    # The quirk the client avoids by sending no Content-Type on GET: proven against the simulator.
    import requests

    answer = requests.get(simulator.url + "/api/get-balance", params={"api_key": SIM_KEY},
                          headers={"Content-Type": "application/json"}, timeout=5)
    assert answer.status_code == 200 and answer.content == b""
    assert json.loads(requests.get(simulator.url + "/api/get-balance", params={"api_key": SIM_KEY},
                                   timeout=5).content)["currency"] == "NGN"


@pytest.mark.parametrize("own_session", [False, True])
def test_no_password_from_the_agents_netrc_goes_to_the_host(
    simulator: TermiiSimulator, tmp_path: object, monkeypatch: pytest.MonkeyPatch, own_session: bool
) -> None:
    """requests would send the password ~/.netrc keeps for the host as Basic auth (the desk's session, and a
    session built elsewhere and handed to the client); the call and the balance check carry no Authorization."""
    import os
    from pathlib import Path

    import requests

    home = Path(str(tmp_path))
    (home / ".netrc").write_text("machine 127.0.0.1 login agent password netrc-secret-9\n"
                                 "default login anyone password netrc-default-7\n")
    os.chmod(home / ".netrc", 0o600)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NETRC", str(home / ".netrc"))
    client = TermiiClient(simulator.url, SIM_KEY, session=requests.Session() if own_session else make_session())
    client.send_voice_call(PHONE, CODE)
    client.get_balance()
    received = [*simulator.calls, *simulator.balance_requests]
    assert len(received) == 2
    for request in received:
        assert not {name.lower() for name in request.headers} & {"authorization", "proxy-authorization"}
        assert "netrc" not in repr(request)
