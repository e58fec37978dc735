"""The fault matrix: every way Termii (or the way to it) can fail, and what the desk must make of it.

One row per fault; the command line (tests/test_cli_faults.py) and the window (tests/ui/test_window_faults.py)
both run every row, for the call and for the balance. RELIABILITY.md is this table in prose.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from termii_desk.simulator import TermiiSimulator

TIMEOUT = 1.0  # the answer timeout the matrix runs with, so "no answer" ends quickly


@dataclass(frozen=True)
class Fault:
    name: str  # what goes wrong
    mode: str | None  # simulator fault mode, or "refused", "unknown-host", "untrusted-tls"
    call: str  # outcome of a call: sent / rejected / failed / unknown
    call_says: str  # words the call's sentence (or success text) must contain
    balance_says: str  # words the balance (or its failure sentence) must contain
    call_exit: int  # the command line's exit code for `call`
    balance_exit: int  # and for `balance`
    received: int = 1  # calls the server read: 0 when nothing reached it
    delay: float | None = None

    def __str__(self) -> str:
        return self.name


MATRIX = [
    Fault("401", "401", "rejected", "rejected the API key", "rejected the API key", 4, 4),
    Fault("403", "403", "rejected", "You are not set up on this route", "not set up on this route", 4, 4),
    Fault("400 string message", "400", "rejected", "Your account is not active", "account is not active", 4, 4),
    Fault("422 string message", "422", "rejected", "phone_number is invalid", "phone_number is invalid", 4, 4),
    Fault("422 list message", "422-list", "rejected", "phone_number is invalid", "phone_number is invalid", 4, 4),
    Fault("429 with Retry-After", "429", "rejected", "Wait 30 seconds", "Wait 30 seconds", 4, 4),
    Fault("429 without Retry-After", "429-no-retry-after", "rejected", "Wait a minute", "Wait a minute", 4, 4),
    Fault("500 JSON", "500", "unknown", "HTTP 500: Internal Server Error", "HTTP 500", 5, 5),
    Fault("502 HTML page", "502-html", "unknown", "error page titled “502 Bad Gateway”", "502 Bad Gateway", 5, 5),
    Fault("503 empty body", "503-empty", "failed", "HTTP 503", "HTTP 503", 5, 5),
    Fault("504 HTML page", "504-html", "unknown", "may have been placed", "HTTP 504", 5, 5),
    Fault("200 empty body", "200-empty", "unknown", "an empty answer", "an empty answer", 5, 5),
    Fault("200 not JSON", "200-not-json", "unknown", "not JSON", "not JSON", 5, 5),
    Fault("200 JSON without the fields", "200-missing-fields", "unknown", "without confirming the call",
          "did not include a balance", 5, 5),
    Fault("balance as a number, 25-digit message id", None, "sent", "accepted the call", "5,000.00 NGN", 0, 0),
    Fault("balance as a numeric string", "balance-string", "sent", "accepted the call", "5,000.00 NGN", 0, 0),
    Fault("balance \"unlimited\"", "balance-unlimited", "sent", "accepted the call", "unlimited", 0, 0),
    Fault("balance null", "balance-null", "sent", "accepted the call", "did not include a balance", 0, 5),
    Fault("answer after the timeout", "slow", "unknown", "did not answer within 1 second",
          "did not answer within 1 second", 5, 5, delay=TIMEOUT + 1.0),
    Fault("no answer at all", "no-answer", "unknown", "did not answer within 1 second",
          "did not answer within 1 second", 5, 5),
    Fault("connection refused", "refused", "failed", "connection was refused", "connection was refused", 5, 5,
          received=0),
    Fault("reset before the request was read", "reset-before", "unknown", "cut before Termii answered",
          "cut before Termii answered", 5, 5, received=0),
    Fault("reset after the request was sent", "reset", "unknown", "cut before Termii answered",
          "cut before Termii answered", 5, 5),
    Fault("unknown host", "unknown-host", "failed", "Could not find no-such-host.invalid",
          "Could not find no-such-host.invalid", 5, 5, received=0),
    Fault("TLS certificate not trusted", "untrusted-tls", "failed", "not trusted", "not trusted", 5, 5,
          received=0),
    Fault("5 MB body", "oversized", "unknown", "larger than 1 MB", "larger than 1 MB", 5, 5),
    Fault("redirect to another host", "redirect", "failed", "redirect (HTTP 302) to other-host.invalid",
          "redirect (HTTP 302) to other-host.invalid", 5, 5),
]


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no trust store knows, and its key: (cert.pem, key.pem)."""
    import subprocess

    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


@contextlib.contextmanager
def serving(fault: Fault, key: str, cert: tuple[Path, Path] | None = None) -> Iterator[tuple[str, TermiiSimulator]]:
    """The base URL to use for ``fault`` and the simulator behind it (which sees what arrives)."""
    context = None
    if fault.mode == "untrusted-tls":
        assert cert is not None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*cert)
    with TermiiSimulator(api_key=key, ssl_context=context) as sim:
        url = sim.url
        if fault.mode == "refused":
            with TermiiSimulator(api_key=key) as gone:
                url = gone.url  # a port that was just closed: nothing listens there
        elif fault.mode == "unknown-host":
            url = "https://no-such-host.invalid"
        elif fault.mode not in (None, "untrusted-tls"):
            sim.set_fault(fault.mode, delay=fault.delay)
        yield url, sim
