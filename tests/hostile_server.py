"""A hostile HTTP server on loopback for tests: it answers every connection with scripted raw bytes.

Unlike the simulator, it speaks no HTTP of its own: a test gives the exact bytes (any status line, any
headers, bodies that do not match their Content-Length), how fast they go (trickled a byte at a time),
and how the connection ends (closed, reset, held open). Reusable by any test::

    with HostileServer() as server:
        server.script(ReadRequest(), Send(raw_answer(200, b'{"code": "ok"}')))
        client = TermiiClient(server.url, KEY, ...)
        ...
        assert server.requests[0].startswith(b"POST /api/sms/otp/call ")

or as the ``hostile_server`` pytest fixture (tests/conftest.py). With ``tls=(cert, key)`` the connections
are TLS (``server.url`` is then https://); ``raw_tls=True`` leaves TLS to the script, to misbehave during
the handshake itself.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

CRLF = b"\r\n"


# -- what a script can do, one step at a time ------------------------------------------------------------

@dataclass(frozen=True)
class ReadRequest:
    """Read one HTTP request (headers, then a body of its Content-Length) and record it raw."""

    timeout: float = 5.0


@dataclass(frozen=True)
class Send:
    """Send these bytes at once."""

    data: bytes


@dataclass(frozen=True)
class Trickle:
    """Send these bytes ``size`` at a time, ``every`` seconds apart (stops quietly when the client leaves)."""

    data: bytes
    every: float = 0.2
    size: int = 1


@dataclass(frozen=True)
class Pause:
    seconds: float


@dataclass(frozen=True)
class Reset:
    """End the connection with a TCP RST."""


@dataclass(frozen=True)
class Hold:
    """Keep the connection open without a word until the client leaves or the server stops."""


Step = ReadRequest | Send | Trickle | Pause | Reset | Hold


# -- building raw answers --------------------------------------------------------------------------------

def raw_answer(
    status: int | str,
    body: bytes | str = b"",
    headers: Iterable[tuple[str, str]] | None = None,
    *,
    reason: str = "Whatever",
    content_length: bool | int = True,
) -> bytes:
    """The bytes of an HTTP/1.1 answer. ``status`` may be any text (``"HTTP/1.1 abc"`` is sent as it is when
    it starts with ``HTTP/``); ``content_length`` True writes the real length, an int writes that number."""
    data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    first = status if isinstance(status, str) and status.startswith("HTTP/") else f"HTTP/1.1 {status} {reason}"
    lines = [first.encode("latin-1", "replace")]
    for name, value in headers or ():
        lines.append(f"{name}: {value}".encode("latin-1", "replace"))
    if content_length is True:
        lines.append(f"Content-Length: {len(data)}".encode())
    elif content_length is not False:
        lines.append(f"Content-Length: {content_length}".encode())
    lines.append(b"Connection: close")
    return CRLF.join(lines) + CRLF + CRLF + data


def json_answer(payload: object, status: int = 200, headers: Iterable[tuple[str, str]] = ()) -> bytes:
    """A JSON answer; ``payload`` as a str is sent as written (for hand-made escapes and numbers)."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return raw_answer(status, body, [("Content-Type", "application/json"), *headers])


def json_escaped(text: str) -> str:
    """``text`` as a JSON string literal with every character written as a ``\\uXXXX`` escape."""
    out = []
    for ch in text:
        code = ord(ch)
        if code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    return '"' + "".join(out) + '"'


# -- the server ------------------------------------------------------------------------------------------

class HostileServer:
    """Listens on 127.0.0.1 on a free port; serves each connection with the current script on its own thread."""

    def __init__(self, *, tls: tuple[Path, Path] | None = None, raw_tls: bool = False) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port: int = self._listener.getsockname()[1]
        self._tls: ssl.SSLContext | None = None
        if tls is not None and not raw_tls:
            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._tls.load_cert_chain(*tls)
        self._https = tls is not None or raw_tls
        self._steps: tuple[Step, ...] = (ReadRequest(), Send(json_answer({"code": "ok", "message_id": "1"})))
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self.requests: list[bytes] = []  # every request read, raw (headers and body)
        self.connections = 0
        self._acceptor = threading.Thread(target=self._accept, name="hostile-accept", daemon=True)
        self._acceptor.start()

    @property
    def url(self) -> str:
        return f"{'https' if self._https else 'http'}://127.0.0.1:{self.port}"

    def script(self, *steps: Step) -> HostileServer:
        """What every following connection gets, step by step."""
        with self._lock:
            self._steps = steps
        return self

    def answer(self, raw: bytes) -> HostileServer:
        """Read the request, then send ``raw`` and close."""
        return self.script(ReadRequest(), Send(raw))

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() under way
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()
        self._acceptor.join(2)
        for thread in list(self._threads):
            thread.join(2)

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    # -- serving ---------------------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                steps = self._steps
                self._connections.append(conn)
                self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn, steps), name="hostile-conn", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket, steps: Sequence[Step]) -> None:
        sock: socket.socket = conn
        try:
            if self._tls is not None:
                conn.settimeout(5)
                sock = self._tls.wrap_socket(conn, server_side=True)
            for step in steps:
                if self._stopping.is_set():
                    return
                if not self._run(sock, step):
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            with contextlib.suppress(OSError):
                sock.close()

    def _run(self, sock: socket.socket, step: Step) -> bool:
        """One step; False when the connection is over."""
        if isinstance(step, ReadRequest):
            request = _read_request(sock, step.timeout)
            with self._lock:
                self.requests.append(request)
            return bool(request)
        if isinstance(step, Send):
            sock.sendall(step.data)
            return True
        if isinstance(step, Trickle):
            for start in range(0, len(step.data), step.size):
                if self._stopping.wait(step.every):
                    return False
                sock.sendall(step.data[start:start + step.size])
            return True
        if isinstance(step, Pause):
            return not self._stopping.wait(step.seconds)
        if isinstance(step, Reset):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            return False
        # Hold: until the client closes (recv returns b"") or the server stops.
        sock.settimeout(0.1)
        while not self._stopping.is_set():
            try:
                if not sock.recv(65536):
                    return False
            except TimeoutError:
                continue
        return False


def _read_request(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    try:
        while b"\r\n\r\n" not in data and time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(CRLF)[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip() or 0)
        while len(body) < length and time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body
    except (TimeoutError, ValueError):
        return data
    finally:
        sock.settimeout(None)
