"""A Termii-compatible HTTP server on loopback, for tests, demo mode and benchmarks.

It answers the two endpoints the desk uses (the voice call and the balance) the way Termii does, keeps a
log of every request it reads, and can be told at runtime to misbehave in the ways real Termii hosts and
the proxies in front of them do (``FAULT_MODES``). Standard library only; every connection is served on
a daemon thread and ``stop()`` closes them all.
"""

from __future__ import annotations

import contextlib
import io
import json
import select
import socket
import socketserver
import ssl
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from secrets import randbelow
from types import TracebackType
from typing import Any, Literal, cast
from urllib.parse import parse_qsl, urlsplit

from termii_desk.core.client import redact
from termii_desk.core.endpoints import BALANCE_PATH, CALL_PATH, VOICE_TOKEN_PATH

Target = Literal["both", "call", "balance"]

FAULT_MODES: dict[str, str] = {
    "401": 'HTTP 401 {"message": "No valid API key provided"}',
    "403": 'HTTP 403 {"message": "You are not set up on this route"}',
    "400": 'HTTP 400 {"message": "Your account is not active"}',
    "422": 'HTTP 422 {"message": "phone_number is invalid"}',
    "422-list": 'HTTP 422 {"message": [{"issue": "phone_number is invalid"}]}',
    "429": 'HTTP 429 {"message": "Too Many Requests"} with Retry-After: 30',
    "429-no-retry-after": "HTTP 429 without a Retry-After header",
    "500": 'HTTP 500 {"message": "Internal Server Error"}',
    "502-html": "HTTP 502 with an nginx HTML error page",
    "503-empty": "HTTP 503 with an empty body",
    "504-html": "HTTP 504 with an nginx HTML error page",
    "200-empty": "HTTP 200 with an empty body",
    "200-not-json": 'HTTP 200 text/plain "OK"',
    "200-missing-fields": 'HTTP 200 {"status": "received"}',
    "balance-string": 'normal success, balance as a numeric string ("4997.50")',
    "balance-unlimited": 'normal success, balance "unlimited"',
    "balance-null": "normal success, balance null",
    "slow": "normal answer after the delay (3 s unless set)",
    "no-answer": "read the request, then hold the connection without answering",
    "reset-before": "reset the connection (TCP RST) before reading the request",
    "reset": "read the request, then reset the connection (TCP RST) without answering",
    "oversized": "HTTP 200 with a 5 MB body",
    "redirect": "HTTP 302 to http://other-host.invalid/api/sms/otp/call",
}

DEFAULT_API_KEY = "sim-test-key"
SLOW_DEFAULT_DELAY = 3.0
OVERSIZED_BYTES = 5 * 1024 * 1024
MAX_REQUEST_BYTES = 1_000_000
_TARGETS = ("both", "call", "balance")
_NGINX_PAGE = (
    "<html>\r\n<head><title>{0}</title></head>\r\n<body>\r\n<center><h1>{0}</h1></center>\r\n"
    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the simulator read it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: object | None
    body: bytes


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes = b""
    content_type: str | None = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    padded_size: int | None = None  # send a JSON object padded to this many bytes instead of ``body``


def _json_answer(status: int, payload: object, *headers: tuple[str, str]) -> _Answer:
    return _Answer(status, json.dumps(payload).encode(), "application/json", headers)


def _html_answer(status: int, title: str) -> _Answer:
    return _Answer(status, _NGINX_PAGE.format(title).encode(), "text/html")


_KEY_REJECTED = _json_answer(401, {"message": "No valid API key provided"})

# The canned answers of the fault modes that do not depend on the request.
_CANNED: dict[str, _Answer] = {
    "401": _KEY_REJECTED,
    "403": _json_answer(403, {"message": "You are not set up on this route"}),
    "400": _json_answer(400, {"message": "Your account is not active"}),
    "422": _json_answer(422, {"message": "phone_number is invalid"}),
    "422-list": _json_answer(422, {"message": [{"issue": "phone_number is invalid"}]}),
    "429": _json_answer(429, {"message": "Too Many Requests"}, ("Retry-After", "30")),
    "429-no-retry-after": _json_answer(429, {"message": "Too Many Requests"}),
    "500": _json_answer(500, {"message": "Internal Server Error"}),
    "502-html": _html_answer(502, "502 Bad Gateway"),
    "503-empty": _Answer(503, content_type=None),
    "504-html": _html_answer(504, "504 Gateway Time-out"),
    "200-empty": _Answer(200),
    "200-not-json": _Answer(200, b"OK", "text/plain"),
    "200-missing-fields": _json_answer(200, {"status": "received"}),
    "oversized": _Answer(200, padded_size=OVERSIZED_BYTES),
    "redirect": _Answer(
        302, b"<html><body>Moved</body></html>", "text/html", (("Location", "http://other-host.invalid" + CALL_PATH),)
    ),
}

# The success-shaped fault modes: a normal answer whose ``balance`` field takes another shape.
_BALANCE_SHAPES: dict[str, Callable[[Decimal], object]] = {
    "balance-string": lambda balance: f"{balance:.2f}",
    "balance-unlimited": lambda balance: "unlimited",
    "balance-null": lambda balance: None,
}


@dataclass(frozen=True)
class _Fault:
    mode: str | None = None
    on: str = "both"
    delay: float = 0.0

    def applies(self, endpoint: str | None) -> bool:
        return endpoint is not None and self.on in ("both", endpoint)

    def wait_seconds(self) -> float:
        return SLOW_DEFAULT_DELAY if self.mode == "slow" and self.delay <= 0 else self.delay


def _endpoint(method: str, path: str) -> str | None:
    """``"call"`` or ``"balance"`` for the desk's two Termii operations, ``"voice-token"`` for the Voice Token
    API, ``None`` for anything else."""
    if method == "POST" and path == CALL_PATH:
        return "call"
    if method == "GET" and path == BALANCE_PATH:
        return "balance"
    if method == "POST" and path == VOICE_TOKEN_PATH:
        return "voice-token"
    return None


_ALLOWED = {CALL_PATH: "POST", BALANCE_PATH: "GET", VOICE_TOKEN_PATH: "POST"}
# The Voice Token API's own fields, with the values the simulator uses when a lenient request leaves them out.
_TOKEN_FIELDS = {"pin_attempts": (1, 10, 3), "pin_time_to_live": (0, 60, 5), "pin_length": (4, 8, 4)}


@dataclass(frozen=True)
class HeardCall:
    """What the customer would hear: the digits read out on a call to ``phone_number``, and which API placed it."""

    phone_number: str
    digits: str
    endpoint: str  # "call" (the caller's code) or "voice-token" (a PIN Termii made up)
    pin_id: str


def _header(headers: dict[str, str], name: str) -> str:
    return next((value for key, value in headers.items() if key.lower() == name.lower()), "")


class TermiiSimulator:
    """A Termii look-alike on a loopback port: ``start()`` it (or use ``with``) and point a client at ``url``.

    Faults apply to the call and balance endpoints selected by ``on``; other paths always answer normally.
    ``delay`` is slept before every answer on those endpoints.

    By default it is lenient, as Termii plausibly is with what real clients send: a ``+`` before the phone
    digits, the code as a numeric string, a Voice Token request without its ``pin_*`` fields. ``strict``
    keeps the documented rules only (digits without ``+``, the code a JSON number, every Voice Token field).
    ``heard`` says what each customer would hear: the caller's code, or the PIN the Voice Token API made up.
    """

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        *,
        balance: Decimal = Decimal("5000.00"),
        currency: str = "NGN",
        user: str = "Termii Desk Demo",
        call_cost: Decimal = Decimal("2.50"),
        fault: str | None = None,
        fault_on: Target = "both",
        delay: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        strict: bool = False,
    ) -> None:
        self.api_key = api_key
        self.strict = strict
        self.currency = currency
        self.user = user
        self.call_cost = Decimal(call_cost)
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.log_line: Callable[[str], None] | None = None  # called with one redacted line per request
        self._lock = threading.Lock()
        self._balance = Decimal(balance)
        self._received: list[ReceivedRequest] = []
        self._heard: list[HeardCall] = []
        self._fault = _Fault()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.set_fault(fault, on=fault_on, delay=delay)

    def __repr__(self) -> str:
        return f"TermiiSimulator(port={self.port}, fault={self._fault.mode!r})"

    # -- lifecycle --------------------------------------------------------------------------------------

    def start(self) -> TermiiSimulator:
        """Bind the port and serve on a daemon thread."""
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        self._stopping = threading.Event()
        self._server = _Server(self, (self.host, self.port))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="termii-simulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop serving and close every connection, including ones held open by ``no-answer``."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._server = self._thread = None
        self._stopping.set()
        server.shutdown()
        server.server_close()
        server.close_connections(timeout)
        thread.join(timeout)

    def __enter__(self) -> TermiiSimulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL to give a client, such as ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise RuntimeError("the simulator is not running; call start() first")
        host, port = self._server.socket.getsockname()[:2]
        host = f"[{host}]" if ":" in host else host
        return f"{'https' if self.ssl_context else 'http'}://{host}:{port}"

    # -- state ------------------------------------------------------------------------------------------

    @property
    def balance(self) -> Decimal:
        with self._lock:
            return self._balance

    @property
    def fault(self) -> str | None:
        return self._fault.mode

    @property
    def received(self) -> list[ReceivedRequest]:
        """Every request read so far, oldest first (a copy)."""
        with self._lock:
            return list(self._received)

    @property
    def calls(self) -> list[ReceivedRequest]:
        return [r for r in self.received if _endpoint(r.method, r.path) == "call"]

    @property
    def balance_requests(self) -> list[ReceivedRequest]:
        return [r for r in self.received if _endpoint(r.method, r.path) == "balance"]

    @property
    def voice_token_requests(self) -> list[ReceivedRequest]:
        return [r for r in self.received if _endpoint(r.method, r.path) == "voice-token"]

    @property
    def heard(self) -> list[HeardCall]:
        """Every call placed so far, oldest first, with the digits the customer heard (a copy)."""
        with self._lock:
            return list(self._heard)

    def reset_log(self) -> None:
        with self._lock:
            self._received.clear()
            self._heard.clear()

    def set_fault(self, mode: str | None, on: Target = "both", delay: float | None = None) -> None:
        """Misbehave as ``mode`` (a ``FAULT_MODES`` name, or ``None``) on the ``on`` endpoint(s).

        ``delay`` seconds are slept before every answer there; ``None`` keeps the current delay.
        """
        if mode is not None and mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}; choose one of: {', '.join(FAULT_MODES)}")
        if on not in _TARGETS:
            raise ValueError(f"on must be one of {_TARGETS}, not {on!r}")
        if delay is not None and not delay >= 0:
            raise ValueError("delay must be zero or more seconds")
        with self._lock:
            self._fault = _Fault(mode, on, self._fault.delay if delay is None else float(delay))

    def clear_fault(self) -> None:
        """Back to normal behaviour: no fault and no delay."""
        with self._lock:
            self._fault = _Fault()

    # -- used by the request handler ----------------------------------------------------------------------

    def _fault_state(self) -> _Fault:
        with self._lock:
            return self._fault

    def _record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self._received.append(request)

    def _log(self, method: str, target: str, outcome: str) -> None:
        if self.log_line is not None:
            self.log_line(redact(f"{time.strftime('%H:%M:%S')} {method} {target} -> {outcome}", self.api_key))

    def _answer(self, request: ReceivedRequest, shape: Callable[[Decimal], object] | None) -> _Answer:
        """What Termii would answer when nothing goes wrong."""
        if request.path not in _ALLOWED:
            return _json_answer(404, {"message": "Not found"})
        endpoint = _endpoint(request.method, request.path)
        if endpoint is None:
            return _json_answer(405, {"message": "Method Not Allowed"}, ("Allow", _ALLOWED[request.path]))
        if endpoint == "balance":
            if "application/json" in _header(request.headers, "Content-Type").lower():
                # The quirk of newer Termii hosts, as recorded from one: HTTP 200, no body, no Content-Type.
                return _Answer(200, content_type=None, headers=(("Via", "1.1 google"),))
            if request.query.get("api_key") != self.api_key:
                return _KEY_REJECTED
            balance = self.balance
            payload: dict[str, object] = {"user": self.user, "balance": balance, "currency": self.currency}
            payload["balance"] = shape(balance) if shape else float(balance)  # a JSON number, like 4997.5
            return _json_answer(200, payload)
        body = request.json
        if not isinstance(body, dict):
            return _json_answer(400, {"message": "The request body must be a JSON object"})
        if body.get("api_key") != self.api_key:
            return _KEY_REJECTED
        phone = self._phone(body.get("phone_number"))
        if phone is None:
            return _json_answer(422, {"message": [{"issue": "phone_number is invalid"}]})
        if endpoint == "call":
            code = self._code(body.get("code"))
            if code is None:
                return _json_answer(422, {"message": [{"issue": "code must be numeric, 4 to 8 digits"}]})
            digits = code
        else:
            pin_length = self._token_fields(body)
            if pin_length is None:
                issue = "pin_attempts, pin_time_to_live and pin_length are required numbers"
                return _json_answer(422, {"message": [{"issue": issue}]})
            # Termii makes up the PIN: whatever "code" a client sent here is not what the customer hears.
            digits = str(randbelow(9) + 1) + "".join(str(randbelow(10)) for _ in range(pin_length - 1))
        pin_id = str(uuid.uuid4())
        with self._lock:
            if self._balance < self.call_cost:
                return _json_answer(400, {"message": "Insufficient balance"})
            self._balance -= self.call_cost
            balance = self._balance
            self._heard.append(HeardCall(phone, digits, endpoint, pin_id))
        payload = {
            "code": "ok",
            "message_id": str(10**24 + randbelow(9 * 10**24)),
            "pinId": pin_id,
            "message": "Successfully Sent",
            "balance": shape(balance) if shape else float(balance),
            "user": self.user,
        }
        return _json_answer(200, payload)

    def _phone(self, value: object) -> str | None:
        """The phone digits, or None if refused; lenient mode takes a ``+`` before them (and spaces around)."""
        if not isinstance(value, str):
            return None
        text = value if self.strict else value.strip().removeprefix("+")
        if 10 <= len(text) <= 15 and text.isascii() and text.isdigit():
            return text
        return None

    def _code(self, value: object) -> str | None:
        """The code's digits, or None if refused: a JSON number, or (lenient) a string of 4 to 8 digits."""
        if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 99_999_999:
            return str(value)
        if not self.strict and isinstance(value, str):
            text = value.strip()
            if 4 <= len(text) <= 8 and text.isascii() and text.isdigit():
                return text
        return None

    def _token_fields(self, body: dict[str, Any]) -> int | None:
        """The Voice Token request's PIN length, or None if its fields are refused. Lenient: missing ones take
        defaults and numeric strings count; strict: each is required, a JSON number in its documented range."""
        values: dict[str, int] = {}
        for name, (low, high, default) in _TOKEN_FIELDS.items():
            value = body.get(name)
            if value is None and not self.strict:
                value = default
            if not self.strict and isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
                value = int(value.strip())
            if not (isinstance(value, int) and not isinstance(value, bool) and low <= value <= high):
                return None
            values[name] = value
        return values["pin_length"]


class _Server(ThreadingHTTPServer):
    """Tracks its connections and worker threads so ``stop()`` can close them all."""

    daemon_threads = True

    def __init__(self, simulator: TermiiSimulator, address: tuple[str, int]) -> None:
        self.simulator = simulator
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self._tracked_lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._workers: set[threading.Thread] = set()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn), which can stall for seconds.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        context = self.simulator.ssl_context
        if context is not None:  # the handshake happens on the worker thread, not on the accepting one
            sock = context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def process_request(self, request: Any, client_address: Any) -> None:
        worker = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), name="termii-simulator-connection",
            daemon=True,
        )
        with self._tracked_lock:
            self._connections.add(request)
            self._workers.add(worker)
        worker.start()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._tracked_lock:
                self._workers.discard(threading.current_thread())

    def shutdown_request(self, request: Any) -> None:
        with self._tracked_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that vanish mid-answer are part of the job; nothing to report

    def close_connections(self, timeout: float) -> None:
        """Wake every worker blocked on its connection, then wait for the workers to finish."""
        with self._tracked_lock:
            connections, workers = list(self._connections), list(self._workers)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))


class _Handler(BaseHTTPRequestHandler):
    """Reads one request at a time from a kept-alive connection and answers it like Termii."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle on, the body waits for the client's delayed
    # ACK (40 ms on Linux), which would make every simulated answer slower than Termii's.
    disable_nagle_algorithm = True
    server: _Server

    def version_string(self) -> str:
        return "nginx"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the simulator's own log is TermiiSimulator.log_line

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()

    def handle_one_request(self) -> None:
        head = self._peek()  # wait for the next request without consuming it
        if not head:
            self.close_connection = True
            return
        sim = self.server.simulator
        fault = sim._fault_state()
        if fault.mode == "reset-before":
            words = head.split(b"\r\n", 1)[0].decode("latin-1").split()
            method, target = (words[0], words[1]) if len(words) > 1 else ("?", "?")
            if fault.applies(_endpoint(method, urlsplit(target).path)):
                sim._log(method, target, "reset before reading")
                self._reset()
                return
        super().handle_one_request()

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self) -> None:
        sim = self.server.simulator
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self._send(_json_answer(400, {"message": "The request body could not be read"}))
            return
        parts = urlsplit(self.path)
        try:
            parsed: object | None = json.loads(body) if body.strip() else None
        except (ValueError, RecursionError):
            parsed = None
        request = ReceivedRequest(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=dict(self.headers.items()),
            json=parsed,
            body=body,
        )
        sim._record(request)
        fault = sim._fault_state()
        if not fault.applies(_endpoint(request.method, request.path)):
            fault = _Fault()
        if fault.mode in ("no-answer", "reset"):
            sim._log(self.command, self.path, "held without an answer" if fault.mode == "no-answer" else "reset")
            if fault.mode == "no-answer":
                self._hold()
            self._reset()
            return
        answer = _CANNED.get(fault.mode or "") or sim._answer(request, _BALANCE_SHAPES.get(fault.mode or ""))
        sim._log(self.command, self.path, f"{answer.status}" + (f" (fault {fault.mode})" if fault.mode else ""))
        if fault.wait_seconds() > 0 and sim._stopping.wait(fault.wait_seconds()):
            self._reset()  # stopped while waiting
            return
        self._send(answer)

    def _read_body(self) -> bytes | None:
        """The request body, or ``None`` when it cannot be read (bad length, too large, broken chunks)."""
        try:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                chunks: list[bytes] = []
                while size := int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16):
                    if size + sum(map(len, chunks)) > MAX_REQUEST_BYTES:
                        return None
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline(1024)
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return b"".join(chunks)
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        return self.rfile.read(length) if 0 <= length <= MAX_REQUEST_BYTES else None

    def _send(self, answer: _Answer) -> None:
        try:
            self.send_response(answer.status)
            if answer.content_type:
                self.send_header("Content-Type", answer.content_type)
            size = len(answer.body) if answer.padded_size is None else answer.padded_size
            self.send_header("Content-Length", str(size))
            for name, value in answer.headers:
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if answer.padded_size is None:
                self.wfile.write(answer.body)
            else:
                self._write_padded(answer.padded_size)
        except OSError:
            self.close_connection = True

    def _write_padded(self, size: int) -> None:
        head, tail, chunk = b'{"code": "ok", "padding": "', b'"}', b"x" * 65536
        self.wfile.write(head)
        remaining = size - len(head) - len(tail)
        while remaining > 0:
            self.wfile.write(chunk[:remaining])
            remaining -= len(chunk)
        self.wfile.write(tail)

    def _hold(self) -> None:
        """Keep the connection open, unanswered, until the simulator stops or the client goes away."""
        while not self.server.simulator._stopping.wait(0.05):
            try:
                if select.select([self.connection], [], [], 0)[0] and not self._peek():
                    return
            except (OSError, ValueError):
                return

    def _peek(self) -> bytes:
        """Wait until the client sends something or goes away; ``b""`` means gone."""
        try:
            return cast(io.BufferedReader, self.rfile).peek(1)
        except OSError:
            return b""

    def _reset(self) -> None:
        """Close with SO_LINGER (1, 0), so the client gets a TCP RST instead of an orderly close."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()  # the RST goes out once finish() has closed the reader too
        except OSError:
            pass


def serve(
    host: str = "127.0.0.1",
    port: int = 8731,
    *,
    fault: str | None = None,
    delay: float = 0.0,
    api_key: str = DEFAULT_API_KEY,
    balance: Decimal = Decimal("5000.00"),
    strict: bool = False,
) -> int:
    """Run the simulator in the foreground (``termii-desk simulator``) until Ctrl+C; one line per request."""
    sim = TermiiSimulator(api_key, balance=balance, fault=fault, delay=delay, host=host, port=port, strict=strict)
    sim.log_line = lambda line: print(line, flush=True)
    try:
        sim.start()
    except OSError as exc:
        print(f"Could not start the Termii simulator on {host}:{port}: {exc.strerror or exc}", flush=True)
        return 1
    try:
        mode = "strict: documented rules only" if strict else "lenient: + before the number, the code as text"
        print(f"Termii simulator on {sim.url} (API key: {api_key}; {mode}) — Ctrl+C to stop", flush=True)
        if fault:
            print(f"Fault: {fault}: {FAULT_MODES[fault]}", flush=True)
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    print("Termii simulator stopped.", flush=True)
    return 0
