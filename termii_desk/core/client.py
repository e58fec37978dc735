"""The Termii HTTP client: one voice call, one balance check, every failure turned into a sentence.

The body size cap and the success rules live here and nowhere else; the endpoint paths and the base URL's judge
in core/endpoints.py (which the settings load without the HTTP stack), imported here for the client's callers.
"""

from __future__ import annotations

import collections
import contextlib
import email.utils
import heapq
import html
import ipaddress
import itertools
import json
import logging
import queue
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from termii_desk.core.deferred import defer_charset_detection

defer_charset_detection()  # before requests imports it (its imports follow: E402 is off for this file)

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError

from termii_desk import __version__
from termii_desk.core.endpoints import (  # noqa: F401 (also the client's callers' names for them)
    BALANCE_PATH,
    CALL_PATH,
    DEFAULT_BASE_URL,
    MAX_BASE_URL_LENGTH,
    VOICE_TOKEN_PATH,
    is_loopback_host,
    normalise_base_url,
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
from termii_desk.core.results import Balance, BalanceResult, VoiceCallResult
from termii_desk.core.scrub import clean_text, redact_secrets
from termii_desk.core.validation import Code, PhoneNumber, validate_code

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
USER_AGENT = f"TermiiDesk/{__version__}"
_CHECK_BEFORE_RESENDING = (
    "The call may have been placed: check the customer's phone or the Termii dashboard before sending again."
)


def redact(text: str, *secrets: str | None) -> str:
    """Remove secrets (in any encoding) and ``api_key=`` values from text that may reach a person, a log or a file."""
    return redact_secrets(text, secrets)


# -- the one wall-clock deadline ----------------------------------------------------------------------
#
# requests and urllib3 time each socket operation on its own: a server that trickles its headers or its
# body a byte at a time never trips them. Every request therefore runs under a ``_Deadline``: the request's
# sockets are recorded as they are made (by the connection classes below) and shut down when the deadline
# passes (by one watchdog thread), which ends whatever read or handshake is under way. A name lookup, which
# no socket can cut short, runs on a helper thread and is waited for no longer than the connect timeout.

_current = threading.local()


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expires = time.monotonic() + seconds
        self.phase = "starting"  # "connecting" once a connection is being made, "sending" once it is made
        self.fired = False
        self.finished = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return self.expires - time.monotonic()

    def connecting(self) -> None:
        if self.phase == "starting":
            self.phase = "connecting"

    def sending(self) -> None:
        self.phase = "sending"

    def watch(self, sock: socket.socket | None) -> None:
        """Record ``sock`` (a duplicate of it, which outlives TLS wrapping) to be shut down at the deadline."""
        if sock is None:
            return
        try:
            duplicate = socket.fromfd(sock.fileno(), sock.family, sock.type)
        except (OSError, ValueError):
            return
        with self._lock:
            if self.finished:
                duplicate.close()
                return
            self._sockets.append(duplicate)
            if self.fired:
                _shut(duplicate)

    def fire(self) -> None:
        with self._lock:
            if self.finished:
                return
            self.fired = True
            for sock in self._sockets:
                _shut(sock)

    def finish(self) -> None:
        with self._lock:
            self.finished = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            sock.close()


class _Runner:
    """Daemon threads for name lookups, kept for the next one. One is added whenever none is idle; a lookup
    abandoned at its timeout holds only its own thread, and never delays the program's exit."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._idle = 0
        self._lock = threading.Lock()

    def run(self, job: Callable[[], None]) -> None:
        with self._lock:
            start = self._idle == 0
            if not start:
                self._idle -= 1
        if start:
            threading.Thread(target=self._work, name="termii-request", daemon=True).start()
        self._jobs.put(job)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            job()  # never raises: the lookup hands every exception to its caller
            with self._lock:
                self._idle += 1


_RUNNER = _Runner()


class _Watchdog:
    """One daemon thread that fires each request's deadline when it passes (finished ones are skipped)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Deadline]] = []
        self._ids = itertools.count()
        self._wake = threading.Condition()
        self._started = False

    def watch(self, deadline: _Deadline) -> None:
        with self._wake:
            if not self._started:
                threading.Thread(target=self._run, name="termii-deadlines", daemon=True).start()
                self._started = True
            earliest = self._heap[0][0] if self._heap else None
            heapq.heappush(self._heap, (deadline.expires, next(self._ids), deadline))
            if earliest is None or deadline.expires < earliest:
                self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while True:
                while self._heap and self._heap[0][2].finished:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wake.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                heapq.heappop(self._heap)[2].fire()


_WATCHDOG = _Watchdog()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _deadline() -> _Deadline | None:
    return getattr(_current, "deadline", None)


class _WatchedConnection(HTTPConnection):
    """Tells the request's deadline about its socket, and when the request starts going out."""

    def _new_conn(self) -> socket.socket:
        deadline = _deadline()
        if deadline is not None:
            deadline.connecting()
            _bounded_lookup(self, deadline)
        sock = super()._new_conn()
        if deadline is not None:
            deadline.watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        deadline = _deadline()
        if deadline is not None:
            if self.sock is None:
                self.connect()
            deadline.watch(self.sock)  # a kept-alive connection made for an earlier request
            deadline.sending()
        super().request(*args, **kwargs)


def _bounded_lookup(conn: HTTPConnection, deadline: _Deadline) -> None:
    """Look the host up on a helper thread, waiting no longer than the connect timeout (and the deadline);
    the connection then finds the answer in the resolver's cache. An IP address needs no lookup."""
    host = conn._dns_host  # what urllib3 itself resolves
    try:
        ipaddress.ip_address(host.strip("[]"))
        return
    except ValueError:
        pass
    done = threading.Event()

    def lookup() -> None:
        try:
            socket.getaddrinfo(host, conn.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            pass  # the connection's own lookup reports it
        finally:
            done.set()

    _RUNNER.run(lookup)
    limit = conn.timeout if isinstance(conn.timeout, int | float) else deadline.seconds
    if not done.wait(max(0.0, min(float(limit), deadline.remaining()))):
        raise ConnectTimeoutError(conn, f"Looking up {conn.host} took too long.")


class _WatchedHTTPSConnection(_WatchedConnection, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _WatchedAdapter(HTTPAdapter):
    """An adapter whose connections (direct or through a proxy) are watched by the request's deadline."""

    def __init__(self) -> None:
        super().__init__(max_retries=0)  # the POST is never retried

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager


class _TrustStoreAdapter(_WatchedAdapter):
    """Verifies TLS with the operating system's trust store, so TLS-inspecting proxies work."""

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        self._ssl_context = ssl_context
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._ssl_context
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        kwargs["ssl_context"] = self._ssl_context
        return super().proxy_manager_for(proxy, **kwargs)


def make_session(ca_bundle: str = "") -> requests.Session:
    """A session that trusts the system's certificates plus ``ca_bundle``; honours HTTPS_PROXY/NO_PROXY."""
    import truststore  # deferred: not needed for the first paint of the window

    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_bundle:
        try:
            context.load_verify_locations(cafile=ca_bundle)
        except (OSError, ssl.SSLError):
            raise ConfigError(
                f"The CA bundle file {ca_bundle!r} could not be read as certificates; fix or clear it in Settings."
            ) from None
    session = requests.Session()
    session.auth = _NO_AUTH
    adapter = _TrustStoreAdapter(context)
    session.mount("https://", adapter)
    session.mount("http://", _WatchedAdapter())
    return session


class _NoAuth(requests.auth.AuthBase):
    """The session's own "authentication": none. Without one, requests looks the host up in the agent's
    ~/.netrc and sends the password it finds there to it as Basic auth: Termii's key is in the request, and
    nothing else the agent keeps for a host may go to it (nor is the file read at every request)."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


_NO_AUTH = _NoAuth()


def _watch_session(session: requests.Session) -> None:
    """A session built elsewhere with requests' own adapters gets watched ones, so its deadline holds too, and
    sends no ~/.netrc password (``_NoAuth``) unless it was given an authentication of its own."""
    if session.auth is None:
        session.auth = _NO_AUTH
    for prefix in ("https://", "http://"):
        if type(session.get_adapter(prefix + "x")) is HTTPAdapter:
            session.mount(prefix, _WatchedAdapter())


# -- the success rule -----------------------------------------------------------------------------------
#
# A voice call was placed (outcome "sent") when, and only when, Termii's answer is a 2xx whose body is a
# JSON object and either
#   * its `code` is "ok" (any case; `message_id`, if given, is not a failure marker), or
#   * it has no `code` (or null) and its `message_id` is plausible: one word with a letter or a digit, and
#     not a failure marker.
# Either way, an explicit failure flag beside it refuses: `success` false, or a `status` that is an error
# word or a 4xx code (`{"status": "error", ...}`).
# Failure markers: false, true, 0 (or any zero or negative number), "", "false", "null", "none", "nil",
# "undefined", "nan", "error", "failed", "fail", "n/a", "-".
# Everything else is not "sent", by this rule:
#   * `code` an error: a 4xx number, as a number or as text ("401"), or an error word ("error", "failed",
#     "failure", "fail", "false", "invalid", "rejected", "denied", "unauthorized", "forbidden")
#     -> refused: the call was not placed (401/403: the key was rejected). Termii's own words are kept.
#   * anything else (a 5xx code, an unknown code such as "pending", "ok" with a failure marker as the id,
#     no code and no plausible id) -> unknown: the request reached Termii and the call may have been placed.

_FAILURE_MARKERS = frozenset(
    {"", "false", "true", "null", "none", "nil", "undefined", "nan", "error", "failed", "fail", "n/a", "-"}
)
_ERROR_WORDS = frozenset(
    {"error", "failed", "failure", "fail", "false", "invalid", "rejected", "denied", "unauthorized", "forbidden"}
)
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _is_failure_marker(value: object) -> bool:
    if isinstance(value, bool):
        return True
    if not isinstance(value, str):
        return False
    text = value.strip().lower()
    if text in _FAILURE_MARKERS:
        return True
    if _NUMBER.fullmatch(text):
        try:
            return Decimal(text) <= 0
        except (InvalidOperation, ValueError):
            return False
    return False


def _plausible_id(value: object) -> bool:
    if not isinstance(value, str) or _is_failure_marker(value):
        return False
    text = value.strip()
    return bool(text) and not any(ch.isspace() for ch in text) and any(ch.isalnum() for ch in text)


def _code_verdict(code: object) -> tuple[str, int | None]:
    """Termii's ``code`` field read by the rule above: ("ok" | "absent" | "refused" | "other", 4xx number)."""
    if code is None:
        return "absent", None
    if not isinstance(code, str):
        return "other", None  # true/false, an object or a list: not a code Termii writes
    text = code.strip().lower()
    if text == "ok":
        return "ok", None
    if text in _ERROR_WORDS:
        return "refused", None
    number = re.fullmatch(r"(\d{3})(\.0*)?", text)
    if number and 400 <= int(number.group(1)) < 500:
        return "refused", int(number.group(1))
    return "other", None


def _verdict(payload: Mapping[str, Any]) -> tuple[str, int | None, str]:
    """The answer's verdict by the rule above, with the field it comes from: ``code`` first; where that is
    "ok" or absent, an explicit failure flag beside it still refuses (``success`` false, or a ``status`` that is
    an error word or a 4xx code)."""
    verdict, number = _code_verdict(payload.get("code"))
    if verdict in ("ok", "absent"):
        success = payload.get("success")
        if success is False or (isinstance(success, str) and success.strip().lower() == "false"):
            return "refused", None, "success"
        status_verdict, status_number = _code_verdict(payload.get("status"))
        if status_verdict == "refused":
            return "refused", status_number, "status"
    return verdict, number, "code"


def _field_text(value: object) -> str:
    return "false" if value is False else str(value)


def is_placed(payload: Mapping[str, Any]) -> bool:
    """The success rule for a voice call's 2xx JSON answer (already read by ``_answer_values``)."""
    verdict, _, _ = _verdict(payload)
    message_id = payload.get("message_id")
    if verdict == "ok":
        return message_id is None or not _is_failure_marker(message_id)
    return verdict == "absent" and _plausible_id(message_id)


class TermiiClient:
    """Talks to one Termii account. Never retries the call and never follows redirects.

    Every answer becomes values in one place (``_answer_values``): JSON numbers kept as the text Termii wrote,
    every string cleaned, capped and with the key and the call's code removed however they were encoded.
    Results and errors are built only from those values, so whatever keeps or shows them is clean.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        session: requests.Session | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
    ) -> None:
        if not api_key or not api_key.strip():
            raise ConfigError("No Termii API key is set: add it in Settings (or `termii-desk key set`).")
        self.base_url = normalise_base_url(base_url)
        self.host = urlsplit(self.base_url).hostname or ""
        self._api_key = api_key.strip()
        self._codes_sent: collections.deque[str] = collections.deque(maxlen=50)
        self._codes_lock = threading.Lock()
        self._session = session if session is not None else make_session()
        _watch_session(self._session)
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout

    def __repr__(self) -> str:
        return f"TermiiClient(base_url={self.base_url!r})"

    def close(self) -> None:
        self._session.close()

    # -- the two operations -------------------------------------------------------------------------

    def send_voice_call(self, phone: PhoneNumber | str, code: Code | str) -> VoiceCallResult:
        """Ask Termii to call ``phone`` and read out ``code``. Raises a ``TermiiError`` on any failure."""
        digits = phone.digits if isinstance(phone, PhoneNumber) else phone
        if not (digits.isascii() and digits.isdigit()):
            raise ValueError("phone must be a validated PhoneNumber or its digits")
        checked = code if isinstance(code, Code) else validate_code(code)
        with self._codes_lock:
            if checked.digits not in self._codes_sent:
                self._codes_sent.append(checked.digits)
        secrets = self._secrets()
        body = json.dumps({"api_key": self._api_key, "phone_number": digits, "code": checked.number})
        status, headers, data = self._request(
            "POST",
            CALL_PATH,
            is_call=True,
            data=body.encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        payload = self._check(status, headers, data, is_call=True, secrets=secrets)
        if not is_placed(payload):
            words = _termii_message(payload, secrets)
            verdict, number, field_name = _verdict(payload)
            if verdict == "refused":
                # An error inside a 2xx: Termii's own code says it refused; the HTTP status stays as sent.
                error = KeyRejectedError if number in (401, 403) else RequestRejectedError
                what = (f"error code {number}" if number is not None
                        else f"{field_name} “" + _field_text(payload[field_name]) + "”")
                raise error(
                    f"Termii refused the request ({what}{_colon(words)}). The call was not placed.",
                    http_status=status,
                    termii_message=words,
                )
            raise BadResponseError(
                "Termii answered without confirming the call" + _quoted(words) + f". {_CHECK_BEFORE_RESENDING}",
                http_status=status,
                termii_message=words,
                outcome=Outcome.UNKNOWN,
            )
        return VoiceCallResult(
            message_id=_text(payload.get("message_id")),
            pin_id=_text(payload.get("pinId", payload.get("pin_id"))),
            message=_termii_message(payload, secrets),
            balance=Balance.from_json(payload.get("balance")),
            user=_text(payload.get("user")),
            http_status=status,
        )

    def get_balance(self) -> BalanceResult:
        """The account's balance. Raises a ``TermiiError`` on any failure."""
        secrets = self._secrets()
        status, headers, data = self._request(
            "GET", BALANCE_PATH, is_call=False, params={"api_key": self._api_key},
            headers={"Accept": "application/json"},
        )
        payload = self._check(status, headers, data, is_call=False, secrets=secrets)
        words = _termii_message(payload, secrets)
        verdict, number, _ = _verdict(payload)
        if verdict == "refused":
            error = KeyRejectedError if number in (401, 403) else RequestRejectedError
            raise error(
                "Termii refused the balance check" + (f": {_quoted_text(words)}" if words else "") + _stop(words),
                http_status=status,
                termii_message=words,
            )
        balance = Balance.from_json(payload.get("balance"))
        if balance is None:
            if words:  # Termii's own reason, e.g. "Country Inactive. Contact Administrator to activate country."
                raise RequestRejectedError(
                    f"Termii did not give the balance: {_quoted_text(words)}{_stop(words)}", http_status=status,
                    termii_message=words,
                )
            raise BadResponseError(
                "Termii's balance answer did not include a balance; try again, and check the base URL "
                "in Settings if it keeps happening.",
                http_status=status,
            )
        return BalanceResult(balance=balance, currency=_text(payload.get("currency")),
                             user=_text(payload.get("user")))

    def _secrets(self) -> tuple[str, ...]:
        """What no answer may carry through: the key, and the codes this client has sent (a server may echo
        one in a later answer, a balance check's)."""
        with self._codes_lock:
            return (self._api_key, *self._codes_sent)

    # -- transport ----------------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, *, is_call: bool, **kwargs: Any
    ) -> tuple[int, Mapping[str, str], bytes]:
        """The whole exchange (connect, send, headers, body) within one deadline, whatever the server does."""
        deadline = _Deadline(self._total_seconds)
        _WATCHDOG.watch(deadline)
        _current.deadline = deadline
        try:
            return self._exchange(method, path, is_call=is_call, deadline=deadline, **kwargs)
        except TermiiError:
            if deadline.fired:  # whatever broke when the sockets were shut, the deadline is the reason
                raise self._deadline_error(deadline, is_call=is_call) from None
            raise
        finally:
            _current.deadline = None
            deadline.finish()

    def _exchange(
        self, method: str, path: str, *, is_call: bool, deadline: _Deadline, **kwargs: Any
    ) -> tuple[int, Mapping[str, str], bytes]:
        headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
        started = time.monotonic()
        answered: list[requests.Response] = []
        try:
            response = self._session.request(
                method,
                self.base_url + path,
                headers=headers,
                timeout=(self.connect_timeout, self.read_timeout),
                allow_redirects=False,
                stream=True,
                hooks={"response": lambda r, *args, **kw: answered.append(r)},
                **kwargs,
            )
        except (requests.RequestException, ValueError) as exc:
            if answered:
                # requests prepares the redirect it will not follow, and a Location it cannot parse raises
                # there: the answer itself arrived, and is read like any other.
                response = answered[-1]
            elif isinstance(exc, _UNBUILDABLE) or not isinstance(exc, requests.RequestException):
                # An address requests or urllib3 cannot build a request for (InvalidURL is also a ValueError):
                # nothing left this computer, so it is the configuration, never "the call may have been placed".
                raise ConfigError(f"The base URL {self.base_url} cannot be used; check it in Settings.") from None
            else:
                # Before the connection was made (a TLS handshake that timed out or broke), nothing was sent.
                sent = deadline.phase != "connecting"
                raise self._transport_error(exc, is_call=is_call and sent, connected=sent) from None
        try:
            data = self._read_capped(response, is_call=is_call, deadline=deadline)
        finally:
            response.close()
        # Whatever Termii (or a proxy) echoes back, the key in plain bytes goes no further than this line.
        data = data.replace(self._api_key.encode(), b"[redacted]")
        log.info("%s %s -> HTTP %s in %.0f ms", method, path, response.status_code,
                 (time.monotonic() - started) * 1000)
        return response.status_code, response.headers, data

    @property
    def _total_seconds(self) -> float:
        """The longest a whole request may take: a body trickled byte by byte never resets this clock."""
        return self.connect_timeout + self.read_timeout

    def _deadline_error(self, deadline: _Deadline, *, is_call: bool, http_status: int | None = None) -> TermiiError:
        """The sentence for a request cut at its deadline: before the connection was made, nothing was sent."""
        if deadline.phase == "connecting":
            return RequestTimeoutError(
                f"Could not connect to {self.host} within {_seconds(deadline.seconds)}; check the network "
                "connection and try again."
            )
        return RequestTimeoutError(
            f"Termii's answer did not finish within {_seconds(deadline.seconds)}."
            + (f" {_CHECK_BEFORE_RESENDING}" if is_call else " Try again."),
            http_status=http_status,
            outcome=Outcome.UNKNOWN if is_call else Outcome.FAILED,
        )

    def _read_capped(self, response: requests.Response, *, is_call: bool, deadline: _Deadline) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in _iter_body(response):
                if deadline.remaining() < 0:
                    raise self._deadline_error(deadline, is_call=is_call, http_status=response.status_code)
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise BadResponseError(
                        f"Termii's answer was larger than {MAX_BODY_BYTES // 1_000_000} MB, so the desk "
                        "stopped reading it."
                        + (f" {_CHECK_BEFORE_RESENDING}" if is_call and response.ok
                           else " Check the base URL in Settings."),
                        http_status=response.status_code,
                        outcome=Outcome.UNKNOWN if is_call and response.ok else Outcome.FAILED,
                    )
                chunks.append(chunk)
        except TermiiError:
            raise
        except Exception as exc:  # requests', urllib3's and http.client's ways of saying the answer broke off
            if deadline.fired:
                raise self._deadline_error(deadline, is_call=is_call, http_status=response.status_code) from None
            if any(isinstance(c, TimeoutError | requests.exceptions.Timeout) or "timed out" in str(c)
                   for c in _causes(exc)):
                raise RequestTimeoutError(
                    f"Termii's answer stopped for more than {_seconds(self.read_timeout)} before it was complete."
                    + (f" {_CHECK_BEFORE_RESENDING}" if is_call else " Try again."),
                    http_status=response.status_code,
                    outcome=Outcome.UNKNOWN if is_call else Outcome.FAILED,
                ) from None
            raise TermiiError(
                f"The connection to {self.host} broke while Termii was answering (HTTP "
                f"{response.status_code})."
                + (f" {_CHECK_BEFORE_RESENDING}" if is_call else " Try again."),
                http_status=response.status_code,
                outcome=Outcome.UNKNOWN if is_call else Outcome.FAILED,
            ) from None
        return b"".join(chunks)
    def _transport_error(
        self, exc: requests.RequestException, *, is_call: bool, connected: bool = True
    ) -> TermiiError:
        """Map requests' exceptions, whose texts carry the URL and so the key, to plain sentences."""
        import urllib3.exceptions as u3

        causes = list(_causes(exc))
        host = self.host
        if not connected and isinstance(exc, requests.exceptions.Timeout):
            # urllib3 reports a TLS handshake that ran out of time as a read timeout.
            return RequestTimeoutError(
                f"Could not connect to {host} within {_seconds(self.connect_timeout)}; check the network "
                "connection and try again."
            )
        if any(isinstance(c, ssl.SSLCertVerificationError) for c in causes) or (
            isinstance(exc, requests.exceptions.SSLError) and "certificate verify failed" in str(exc)
        ):
            return NetworkError(
                f"The connection to {host} is not trusted: its certificate could not be verified. If your "
                "network inspects secure traffic, set the CA bundle in Settings (or install your company's "
                "certificate in the system store).",
            )
        if isinstance(exc, requests.exceptions.SSLError) or any(isinstance(c, ssl.SSLError) for c in causes):
            if is_call:
                return NetworkError(
                    f"The secure connection to {host} failed. {_CHECK_BEFORE_RESENDING}", outcome=Outcome.UNKNOWN
                )
            return NetworkError(f"The secure connection to {host} failed; try again.")
        if isinstance(exc, requests.exceptions.ProxyError):
            return NetworkError(f"Could not reach {host} through the proxy; check HTTPS_PROXY and the network.")
        if any(isinstance(c, u3.NameResolutionError) for c in causes) or any(
            "resolve" in str(c).lower() or "name or service not known" in str(c).lower() for c in causes
        ):
            return NetworkError(
                f"Could not find {host}: check the base URL in Settings and the network connection."
            )
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return RequestTimeoutError(
                f"Could not connect to {host} within {_seconds(self.connect_timeout)}; check the network "
                "connection and try again."
            )
        if any(isinstance(c, u3.NewConnectionError | ConnectionRefusedError) for c in causes):
            return NetworkError(
                f"Could not connect to {host}: the connection was refused. Check the base URL in Settings "
                "and the network connection."
            )
        if isinstance(exc, requests.exceptions.ReadTimeout):
            if is_call:
                return RequestTimeoutError(
                    f"Termii did not answer within {_seconds(self.read_timeout)}. {_CHECK_BEFORE_RESENDING}",
                    outcome=Outcome.UNKNOWN,
                )
            return RequestTimeoutError(f"Termii did not answer within {_seconds(self.read_timeout)}; try again.")
        if is_call:
            return NetworkError(
                f"The connection to {host} was cut before Termii answered. {_CHECK_BEFORE_RESENDING}",
                outcome=Outcome.UNKNOWN,
            )
        return NetworkError(f"The connection to {host} was cut before Termii answered; try again.")

    # -- answers ------------------------------------------------------------------------------------

    def _check(
        self, status: int, headers: Mapping[str, str], data: bytes, *, is_call: bool, secrets: tuple[str, ...]
    ) -> dict[str, Any]:
        """Return the answer's values (see ``_answer_values``) for a 2xx JSON object, or raise what it means."""
        payload = _answer_values(data, secrets)
        if isinstance(payload, dict):
            message = _termii_message(payload, secrets)
        else:
            message = _summarise_text(data, headers, secrets)
        if 300 <= status < 400:
            location = _location_host(headers.get("Location", ""), secrets) or "another address"
            raise TermiiError(
                f"Termii answered with a redirect (HTTP {status}) to {location}; the desk does not follow it. "
                "Check the base URL in Settings.",
                http_status=status,
            )
        if status == 401 or (status == 403 and not message):
            raise KeyRejectedError(
                f"Termii rejected the API key (HTTP {status}{_colon(message)}). Check the key and the base URL "
                "in Settings.",
                http_status=status,
                termii_message=message,
            )
        if status == 403:
            raise KeyRejectedError(
                f"Termii does not allow this for the account (HTTP 403: {message}). Check the account on the "
                "Termii dashboard, or the key and base URL in Settings.",
                http_status=status,
                termii_message=message,
            )
        if status == 429:
            retry_after = retry_after_seconds(headers.get("Retry-After"))
            wait = (
                f"Wait {_seconds_text(retry_after)} before trying again."
                if retry_after is not None
                else "Wait a minute before trying again."
            )
            raise RateLimitedError(
                f"Termii is limiting requests (HTTP 429{_colon(message or 'Too Many Requests')}). {wait}",
                retry_after=retry_after,
                http_status=status,
                termii_message=message,
            )
        if 400 <= status < 500:
            raise RequestRejectedError(self._sentence_rejected(status, message, is_call), http_status=status,
                                       termii_message=message)
        if status >= 500:
            # Only 503 (not accepting work) says the call was not taken; after a 500, 502 or 504 the request may
            # have reached Termii's dispatcher before it failed.
            unknown = is_call and status != 503
            raise ServerError(
                f"Termii's server had a problem (HTTP {status}{_colon(message)})."
                + (f" {_CHECK_BEFORE_RESENDING}" if unknown else " Try again in a few minutes."),
                http_status=status,
                termii_message=message,
                outcome=Outcome.UNKNOWN if unknown else Outcome.FAILED,
            )
        if not (200 <= status < 300):
            # 1xx as a final answer: the request was read, so a call may have been placed.
            raise BadResponseError(
                f"Termii answered with an unexpected HTTP status {status}."
                + (f" {_CHECK_BEFORE_RESENDING}" if is_call else " Try again."),
                http_status=status,
                outcome=Outcome.UNKNOWN if is_call else Outcome.FAILED,
            )
        if not isinstance(payload, dict):
            if not data.strip():
                what = f"an empty answer (HTTP {status})"
            elif payload is _NOT_JSON:
                what = f"an answer that is not JSON (HTTP {status}{_colon(_quoted_text(message))})"
            else:
                what = f"JSON that is not an object (HTTP {status})"
            raise BadResponseError(
                f"Termii sent {what}."
                + (f" {_CHECK_BEFORE_RESENDING}" if is_call else " Try again, and check the base URL in Settings."),
                http_status=status,
                outcome=Outcome.UNKNOWN if is_call else Outcome.FAILED,
            )
        return payload

    @staticmethod
    def _sentence_rejected(status: int, message: str | None, is_call: bool) -> str:
        sentence = f"Termii refused the request (HTTP {status}{_colon(message)})."
        return sentence + (" The call was not placed." if is_call else "")


_NOT_JSON = object()
_MAX_DEPTH = 8  # deeper than any answer Termii writes; what lies below is dropped, not read
# requests' errors for a request it could not build from the URL: raised before any connection is opened.
_UNBUILDABLE: tuple[type[Exception], ...] = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
    requests.exceptions.URLRequired,
    ValueError,  # urllib3's LocationValueError and friends
)


def _iter_body(response: requests.Response) -> Iterator[bytes]:
    yield from response.iter_content(chunk_size=65536)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (requests -> urllib3 -> socket)."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen or len(seen) > 20:
            continue
        seen.add(id(current))
        yield current
        stack.extend(a for a in current.args if isinstance(a, BaseException))
        for attr in ("reason", "__cause__", "__context__"):
            inner = getattr(current, attr, None)
            if isinstance(inner, BaseException):
                stack.append(inner)


# Numbers as the text Termii wrote; one decoder for every answer (json.loads with these options makes a new one).
_DECODER = json.JSONDecoder(parse_float=str, parse_int=str, parse_constant=str)


def _answer_values(data: bytes, secrets: tuple[str, ...]) -> Any:
    """THE place an answer body becomes values: everything the desk keeps or shows comes from here.

    JSON numbers stay the text Termii wrote (never a float: ``1234567890123456789.123456789`` stays that,
    ``1e400`` never becomes ``inf``); every string, numbers included, is cleaned of control and bidi
    characters, capped at ``TEXT_LIMIT`` characters and has the secrets removed, after JSON decoding (so
    ``\\u0073\\u006b…`` escapes do not carry the key through). ``None`` for an empty body, ``_NOT_JSON``
    for a body that is not JSON.
    """
    if not data.strip():
        return None
    try:
        text = data.decode("utf-8-sig")
        decoded = _DECODER.decode(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _NOT_JSON
    return _sanitised(decoded, secrets, 0)


def _sanitised(value: Any, secrets: tuple[str, ...], depth: int) -> Any:
    if isinstance(value, str):
        return clean_text(value, secrets=secrets)
    if value is None or isinstance(value, bool):
        return value
    if depth >= _MAX_DEPTH:
        return None
    if isinstance(value, list):
        return [_sanitised(item, secrets, depth + 1) for item in value]
    if isinstance(value, dict):
        # A name that cleaning would change (control characters, a secret, past the cap) is dropped with its
        # value: it can be no field the desk reads, and kept it could pass for one ("co\u200bde").
        return {key: _sanitised(item, secrets, depth + 1) for key, item in value.items()
                if clean_text(key, secrets=secrets) == key}
    return None


def _text(value: object) -> str | None:
    """A field of ``_answer_values`` as text (numbers as written), or None."""
    return value if isinstance(value, str) and value else None


def _termii_message(payload: object, secrets: tuple[str, ...]) -> str | None:
    """Termii's ``message``, in its string form or its list form ``[{"issue": ...}]``."""
    if not isinstance(payload, dict):
        return None
    for field in ("message", "error", "errors", "detail"):
        value = payload.get(field)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, list):
            parts: list[str] = []
            for item in value:
                if isinstance(item, dict):
                    parts.extend(v for v in item.values() if isinstance(v, str) and v)
                elif isinstance(item, str) and item:
                    parts.append(item)
            if parts:
                return clean_text("; ".join(parts), secrets=secrets)
        if isinstance(value, dict):
            flat = "; ".join(f"{k}: {v}" for k, v in value.items() if isinstance(v, str) and v)
            if flat:
                return clean_text(flat, secrets=secrets)
    return None


def _summarise_text(data: bytes, headers: Mapping[str, str], secrets: tuple[str, ...]) -> str | None:
    """One short phrase for a body that is not JSON: an HTML page is named by its title, never dumped."""
    text = data[:65536].decode("utf-8", errors="replace").strip()
    if not text:
        return None
    content_type = str(headers.get("Content-Type", "")).lower()
    if "html" in content_type or re.match(r"(?is)\s*(<!doctype html|<html|<head|<body)", text):
        title = re.search(r"(?is)<title[^>]*>(.*?)</title>", text) or re.search(r"(?is)<h1[^>]*>(.*?)</h1>", text)
        if title:
            name = clean_text(html.unescape(re.sub(r"<[^>]+>", " ", title.group(1))), limit=120, secrets=secrets)
            if name:
                return f"an error page titled “{name}”"
        return "an HTML error page"
    first_line = clean_text(text.splitlines()[0], limit=120, secrets=secrets)
    return first_line or None


def _location_host(location: str, secrets: tuple[str, ...]) -> str | None:
    """The host a redirect points to, as written (before any lower-casing), cleaned: for the sentence only."""
    try:
        netloc = urlsplit(str(location).strip()).netloc
    except ValueError:
        netloc = ""
    host = netloc.rpartition("@")[2]
    host = host.partition("]")[0] + "]" if host.startswith("[") else host.partition(":")[0]
    return clean_text(host, limit=120, secrets=secrets) or None


RETRY_AFTER_CAP = 3600.0  # the longest wait the desk repeats: an hour, whatever the server asks for


def retry_after_seconds(value: object) -> float | None:
    """A Retry-After header of any shape, as seconds to wait (0 to ``RETRY_AFTER_CAP``); None when unreadable.

    Delay-seconds (of any length), an HTTP date, a negative number or garbage: never raises.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()[:200]
    if not text:
        return None
    if re.fullmatch(r"[+-]?\d+(\.\d+)?", text[:64]) and len(text) <= 64:
        try:
            seconds = float(Decimal(text))
        except (InvalidOperation, ValueError, OverflowError):
            return None
        return min(max(seconds, 0.0), RETRY_AFTER_CAP)
    if re.fullmatch(r"\+?\d+", text):  # thousands of digits: longer than any cap
        return RETRY_AFTER_CAP
    try:
        when = email.utils.parsedate_to_datetime(text)
        seconds = when.timestamp() - time.time()
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


def _seconds_text(seconds: float) -> str:
    whole = max(1, round(seconds))
    if whole < 120:
        return f"{whole} second{'s' if whole != 1 else ''}"
    return f"{round(whole / 60)} minutes"


def _seconds(value: float) -> str:
    return f"{value:g} second{'' if value == 1 else 's'}"


def _colon(message: str | None) -> str:
    return f": {message}" if message else ""


def _quoted_text(message: str | None) -> str | None:
    """Termii's own words in quotes; the desk's summaries of a page ("an error page titled …") as they are."""
    if not message or message.startswith(("an error page", "an HTML")):
        return message
    return f"“{message}”"


def _stop(words: str | None) -> str:
    """The full stop after a quotation, unless Termii's words already end a sentence."""
    return "" if words and words.rstrip("”\"'").endswith((".", "!", "?", "…")) else "."


def _quoted(message: str | None) -> str:
    return f" (“{message}”)" if message else ""
