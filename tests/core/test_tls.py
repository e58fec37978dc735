"""TLS: a certificate the system does not trust is refused with a sentence; the CA bundle setting fixes it."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from termii_desk.core.client import TermiiClient, make_session
from termii_desk.core.errors import ConfigError, NetworkError, Outcome
from termii_desk.core.validation import validate_code, validate_phone
from termii_desk.simulator import TermiiSimulator
from tests.conftest import SIM_KEY


@pytest.fixture
def https_simulator(self_signed: tuple[Path, Path]) -> Iterator[TermiiSimulator]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed)
    with TermiiSimulator(api_key=SIM_KEY, ssl_context=context) as sim:
        yield sim


def test_untrusted_certificate_is_refused_and_points_at_the_ca_setting(https_simulator: TermiiSimulator) -> None:
    assert https_simulator.url.startswith("https://127.0.0.1:")
    client = TermiiClient(https_simulator.url, SIM_KEY, session=make_session(), connect_timeout=3)
    with pytest.raises(NetworkError) as caught:
        client.send_voice_call(validate_phone("+2348031234567"), validate_code("482916"))
    assert "not trusted" in str(caught.value) and "CA bundle" in str(caught.value)
    assert caught.value.outcome == Outcome.FAILED  # the handshake failed: nothing was sent
    assert https_simulator.calls == []
    with pytest.raises(NetworkError, match="not trusted"):
        client.get_balance()


def test_ca_bundle_setting_makes_it_trusted(https_simulator: TermiiSimulator, self_signed: tuple[Path, Path]) -> None:
    client = TermiiClient(https_simulator.url, SIM_KEY, session=make_session(str(self_signed[0])))
    assert client.get_balance().currency == "NGN"
    client.send_voice_call(validate_phone("+2348031234567"), validate_code("482916"))
    assert len(https_simulator.calls) == 1


def test_unreadable_ca_bundle_is_a_configuration_error(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-cert.pem"
    bad.write_text("hello")
    with pytest.raises(ConfigError, match="could not be read as certificates"):
        make_session(str(bad))
