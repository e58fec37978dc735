"""A base URL override that cannot be used stops the run: exit 3, its sentence, and not one byte sent anywhere.

Over real sockets: the host the desk would have fallen back to (the settings file's base URL) is a local listener
that counts every connection it accepts, so a request that went there "instead" cannot go unseen.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SIM_KEY
from tests.test_cli import run

REFUSED = [
    "https://api.ng.termii.com\t.evil.com",
    "https://api.ng.termii.com\n.evil.com",
    "https://api.ng.termii.com\r.evil.com",
    "https://api.ng.termii.com。evil.com",
    "https://api.ng.termii.com．evil.com",
    "https://api.ng.termii.com｡evil.com",
    "https://ａpi.ng.termii.com",
    "https://api.ng.termii.com%2eevil.com",
    "https://evil.com\\@api.ng.termii.com",
    "https://user:pass@api.ng.termii.com",
    "http://api.ng.termii.com",
    "https://127.1",
    "garbage://x",
    "https://api.ng.termii.com:99999",
]


class CountingListener:
    """A TCP listener on loopback that accepts and counts connections, reads what comes, and answers nothing."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.received = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            with conn:
                conn.settimeout(0.5)
                with contextlib.suppress(OSError):
                    self.received += conn.recv(65536)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def fallback(desk_home: Path) -> Iterator[CountingListener]:
    """The settings file's base URL: what a refused override used to be replaced by."""
    listener = CountingListener()
    (desk_home / "config").mkdir(parents=True, exist_ok=True)
    (desk_home / "config" / "settings.json").write_text(json.dumps({"base_url": listener.url}))
    yield listener
    listener.close()


def _env(desk_home: Path, **extra: str) -> dict[str, str]:
    return {"TERMII_API_KEY": SIM_KEY, "TERMII_DESK_HOME": str(desk_home), "DBUS_SESSION_BUS_ADDRESS": "disabled:",
            **extra}


@pytest.mark.parametrize("url", REFUSED)
@pytest.mark.parametrize("command", [("call", "08031234567", "482916"), ("balance",)])
def test_a_refused_environment_base_url_exits_3_and_sends_nothing(
    fallback: CountingListener, desk_home: Path, url: str, command: tuple[str, ...]
) -> None:
    result = run(*command, "--json", env=_env(desk_home, TERMII_BASE_URL=url))
    assert result.returncode == 3, result.stderr
    assert "TERMII_BASE_URL cannot be used, so nothing is sent" in result.stderr
    assert "Ignored" not in result.stderr and "may have been placed" not in result.stderr
    assert "Traceback" not in result.stderr and SIM_KEY not in result.stderr + result.stdout
    assert json.loads(result.stdout)["error"].startswith("TERMII_BASE_URL cannot be used")
    assert fallback.accepted == 0 and fallback.received == b""


@pytest.mark.parametrize("url", REFUSED[::3])
def test_a_refused_base_url_option_exits_3_and_sends_nothing(
    fallback: CountingListener, desk_home: Path, url: str
) -> None:
    for command in (("call", "+2348031234567", "482916"), ("balance",)):
        result = run(*command, "--base-url", url, env=_env(desk_home))
        assert result.returncode == 3, result.stderr
        assert "--base-url cannot be used, so nothing is sent" in result.stderr
    assert fallback.accepted == 0


def test_history_still_opens_with_a_warning(fallback: CountingListener, desk_home: Path) -> None:
    result = run("history", env=_env(desk_home, TERMII_BASE_URL="https://a。b.com"))
    assert result.returncode == 0 and "No attempts yet." in result.stdout
    assert "warning: TERMII_BASE_URL cannot be used" in result.stderr


def test_a_usable_override_still_reaches_its_host(fallback: CountingListener, desk_home: Path) -> None:
    """The control: the same listener as the override is reached (it does not answer: a timeout, exit 5)."""
    result = run("balance", "--timeout", "1", env=_env(desk_home, TERMII_BASE_URL=fallback.url + "/api/"))
    assert result.returncode == 5, result.stderr
    assert fallback.accepted == 1 and fallback.received.startswith(b"GET /api/get-balance?api_key=")
