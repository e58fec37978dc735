"""The Termii HTTP client: one voice call, one balance check, every failure turned into a sentence.

The endpoint paths, the body size cap and the success rules live here and nowhere else.
"""

from __future__ import annotations

import html
import ipaddress
import json
import logging
import re
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

# requests (with urllib3, ~60 ms of imports), ssl and email.utils load with the first request, or a base URL that
# needs the HTTP stack to judge it: the window is ready without them, the settings' usual URLs are judged without.
if TYPE_CHECKING:
    import ssl

    import requests
    from requests.adapters import HTTPAdapter

from termii_desk import __version__
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
from termii_desk.core.validation import Code, PhoneNumber, validate_code

log = logging.getLogger(__name__)

CALL_PATH = "/api/sms/otp/call"
BALANCE_PATH = "/api/get-balance"
DEFAULT_BASE_URL = "https://api.ng.termii.com"
MAX_BODY_BYTES = 1_000_000
USER_AGENT = f"TermiiDesk/{__version__}"
_MESSAGE_LIMIT = 300
_KEY_IN_QUERY = re.compile(r"(api_key=)[^&\s'\"]+", re.IGNORECASE)
_CHECK_BEFORE_RESENDING = (
    "The call may have been placed: check the customer's phone or the Termii dashboard before sending again."
)


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: the only hosts plain http:// may be used with."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost":  # not *.localhost: resolvers may send those to DNS, off this computer
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalise_base_url(text: str) -> str:
    """Check the account's base URL and drop what users paste by habit (a trailing ``/`` or ``/api``).

    The one place a base URL is judged. What it returns is plain ASCII whose host, as requests and urllib3
    read it, is exactly the host the desk shows (``urlsplit(url).hostname``): no character the HTTP stack
    drops, maps or decodes (a tab, ``。``, a fullwidth letter, ``%2e``, a backslash, user info) is accepted.
    Raises ``ConfigError`` with the reason; no request is made with a refused URL.
    """
    value = text.strip(" ")
    if not value:
        raise ConfigError(
            "Set the Termii base URL in Settings; it is shown on your Termii dashboard "
            f"(for example {DEFAULT_BASE_URL})."
        )
    _refuse_hidden_characters(value)
    if "://" not in value:
        value = "https://" + value
    scheme, _, rest = value.partition("://")
    authority, slash, path = rest.partition("/")
    path = slash + path
    if "?" in rest or "#" in rest or "@" in authority:
        raise ConfigError(f"The base URL must be just the address, such as {DEFAULT_BASE_URL}.")
    scheme = scheme.lower()
    if scheme not in ("http", "https"):
        raise ConfigError(f"The base URL {_shown(value)} is not a valid web address; it must start with https://.")
    host, port = _split_authority(value, authority)
    if scheme == "http" and not is_loopback_host(host):
        raise ConfigError(
            "The base URL must start with https://; plain http:// is only allowed for a server on this "
            "computer (localhost)."
        )
    if not re.fullmatch(r"[A-Za-z0-9._~/-]*", path) or any(seg in (".", "..") for seg in path.split("/")):
        raise ConfigError("The base URL's path can only have letters, digits and - . _ ~ between slashes.")
    path = path.rstrip("/")
    if path.lower().endswith("/api"):
        path = path[: -len("/api")].rstrip("/")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    url = f"{scheme}://{netloc}{path}"
    _check_as_sent(url, host)
    return url


# What the HTTP stack would drop or rewrite inside a URL: a host must be written in plain ASCII.
_HIDDEN_NAMES = {"\t": "a tab", "\n": "a line break", "\r": "a line break", " ": "a space"}


def _refuse_hidden_characters(value: str) -> None:
    import unicodedata

    for ch in value:
        if ch in _HIDDEN_NAMES or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
            what = _HIDDEN_NAMES.get(ch, f"an invisible character (U+{ord(ch):04X})")
            raise ConfigError(
                f"The base URL contains {what}, which would change the address it reaches; type it again "
                f"without it, such as {DEFAULT_BASE_URL}."
            )
        if ch == "\\":
            raise ConfigError("The base URL contains a backslash (\\); web addresses use / only.")
        if not ch.isascii():
            name = unicodedata.name(ch, "").lower()
            raise ConfigError(
                f"The base URL contains “{ch}” (U+{ord(ch):04X}{' ' + name if name else ''}), which the connection "
                "would read as a different character, so the address would not be the one shown. Type it in "
                "plain letters, digits, dots and dashes (a name in another script in its xn-- form)."
            )
    if "%" in value.split("?")[0].split("#")[0]:
        raise ConfigError("The base URL contains a % encoding; type the address plainly, without %.")


def _split_authority(value: str, authority: str) -> tuple[str, int | None]:
    """The host (lower case, no brackets, no trailing dot) and the port of ``host[:port]``; raises ``ConfigError``."""
    invalid = ConfigError(f"The base URL {_shown(value)} is not a valid web address.")
    if authority.startswith("["):
        inside, bracket, after = authority[1:].partition("]")
        if not bracket or (after and not after.startswith(":")):
            raise invalid
        try:
            host = str(ipaddress.IPv6Address(inside))
        except ValueError:
            raise ConfigError(f"The base URL {_shown(value)} does not name a valid host.") from None
        port_text = after[1:] if after else None
    else:
        host, colon, port_text_found = authority.partition(":")
        port_text = port_text_found if colon else None
        if not host or ":" in port_text_found:
            raise invalid
        host = host.lower()
        if host.endswith("."):
            host = host[:-1]
        if not _valid_host(host):
            raise ConfigError(f"The base URL {_shown(value)} does not name a valid host.")
    port: int | None = None
    if port_text:
        if not (port_text.isascii() and port_text.isdigit() and len(port_text) <= 5 and 0 < int(port_text) < 65536):
            raise invalid
        port = int(port_text)
    return host, port


def _valid_host(host: str) -> bool:
    """A DNS name of letter-digit-hyphen labels, or a dotted-quad IPv4 address (``127.1`` and ``0x7f.1`` are not:
    the resolver would read them as other addresses than the text shows)."""
    labels = host.split(".")
    if re.fullmatch(r"[0-9]+|0x[0-9a-f]*", labels[-1]):
        try:
            ipaddress.IPv4Address(host)
            return True
        except ValueError:
            return False
    return 0 < len(host) <= 253 and all(
        re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", label) for label in labels
    )


# A host that is letters, digits, hyphens and dots in lower case (what _valid_host lets through, IPv4 included):
# urllib3 and requests read it exactly as written, so judging it needs no HTTP stack. Others (IPv6) still do.
_PLAIN_HOST = re.compile(r"[a-z0-9.-]+")


def _check_as_sent(url: str, host: str) -> None:
    """The URL must build a request whose host is ``host`` as urllib3 and requests read it."""
    if _PLAIN_HOST.fullmatch(host) and url.isascii():
        return
    check_with_http_stack(url, host)


def check_with_http_stack(url: str, host: str) -> None:
    """``_check_as_sent`` the long way: build the request with requests and read its host back."""
    import requests
    from urllib3.util import parse_url

    try:
        prepared = requests.PreparedRequest()
        prepared.prepare_url(url + CALL_PATH, None)
        seen = (parse_url(url).host or "").strip("[]"), urlsplit(prepared.url or "").hostname
    except (ValueError, requests.RequestException):
        seen = None
    if seen != (host, host):
        raise ConfigError(f"The base URL {_shown(url)} cannot be used; check it in Settings.")


def _shown(text: str) -> str:
    """A refused value, quoted for a sentence: its scheme and host only, never a path, port, query or user info
    (where a pasted key could be), at most 80 characters."""
    scheme, sep, rest = text.rpartition("://")
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")[2]
    host = authority if authority.startswith("[") else authority.split(":")[0]
    port = ":…" if len(authority) > len(host) and not authority.startswith("[") else ""
    text = scheme + sep + host + port
    return repr(text if len(text) <= 80 else text[:79] + "…")


def redact(text: str, *secrets: str | None) -> str:
    """Remove secrets from text that may reach a person, a log or a file."""
    text = _KEY_IN_QUERY.sub(r"\1[redacted]", text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text


def _trust_store_adapter(ssl_context: ssl.SSLContext) -> HTTPAdapter:
    """An adapter that verifies TLS with the operating system's trust store, so TLS-inspecting proxies work."""
    from requests.adapters import HTTPAdapter

    class _TrustStoreAdapter(HTTPAdapter):
        def __init__(self, ssl_context: ssl.SSLContext) -> None:
            self._ssl_context = ssl_context
            super().__init__(max_retries=0)  # the POST is never retried

        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["ssl_context"] = self._ssl_context
            super().init_poolmanager(*args, **kwargs)

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            kwargs["ssl_context"] = self._ssl_context
            return super().proxy_manager_for(proxy, **kwargs)

    return _TrustStoreAdapter(ssl_context)


def make_session(ca_bundle: str = "") -> requests.Session:
    """A session that trusts the system's certificates plus ``ca_bundle``; honours HTTPS_PROXY/NO_PROXY."""
    import ssl

    import requests
    import truststore  # deferred: not needed for the first paint of the window
    from requests.adapters import HTTPAdapter

    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_bundle:
        try:
            context.load_verify_locations(cafile=ca_bundle)
        except (OSError, ssl.SSLError):
            raise ConfigError(
                f"The CA bundle file {ca_bundle!r} could not be read as certificates; fix or clear it in Settings."
            ) from None
    session = requests.Session()
    adapter = _trust_store_adapter(context)
    session.mount("https://", adapter)
    session.mount("http://", HTTPAdapter(max_retries=0))
    return session


class TermiiClient:
    """Talks to one Termii account. Never retries the call and never follows redirects."""

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
        self._session = session if session is not None else make_session()
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
        body = json.dumps({"api_key": self._api_key, "phone_number": digits, "code": checked.number})
        status, headers, data = self._request(
            "POST",
            CALL_PATH,
            is_call=True,
            data=body.encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        payload = self._check(status, headers, data, is_call=True)
        if not (str(payload.get("code", "")).lower() == "ok" or _text(payload.get("message_id"))):
            code_field = payload.get("code")
            words = _termii_message(payload)
            if isinstance(code_field, int) and 400 <= code_field < 500:
                # An error inside a 200: Termii's own code says it refused; the HTTP status stays 200.
                error = KeyRejectedError if code_field in (401, 403) else RequestRejectedError
                raise error(
                    f"Termii refused the request (error code {code_field}{_colon(words)}). The call was not placed.",
                    http_status=status,
                    termii_message=words,
                )
            raise BadResponseError(
                "Termii answered without confirming the call"
                + _quoted(_termii_message(payload))
                + f". {_CHECK_BEFORE_RESENDING}",
                http_status=status,
                termii_message=_termii_message(payload),
                outcome=Outcome.UNKNOWN,
            )
        return VoiceCallResult(
            message_id=_text(payload.get("message_id")),
            pin_id=_text(payload.get("pinId", payload.get("pin_id"))),
            message=_termii_message(payload),
            balance=Balance.from_json(payload.get("balance")),
            user=_text(payload.get("user")),
            http_status=status,
        )

    def get_balance(self) -> BalanceResult:
        """The account's balance. Raises a ``TermiiError`` on any failure."""
        status, headers, data = self._request(
            "GET", BALANCE_PATH, is_call=False, params={"api_key": self._api_key},
            headers={"Accept": "application/json"},
        )
        payload = self._check(status, headers, data, is_call=False)
        balance = Balance.from_json(payload.get("balance"))
        if balance is None:
            raise BadResponseError(
                "Termii's balance answer did not include a balance; try again, and check the base URL "
                "in Settings if it keeps happening.",
                http_status=status,
                termii_message=_termii_message(payload),
            )
        return BalanceResult(balance=balance, currency=_text(payload.get("currency")),
                             user=_text(payload.get("user")))

    # -- transport ----------------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, *, is_call: bool, **kwargs: Any
    ) -> tuple[int, Mapping[str, str], bytes]:
        import requests

        headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
        started = time.monotonic()
        try:
            response = self._session.request(
                method,
                self.base_url + path,
                headers=headers,
                timeout=(self.connect_timeout, self.read_timeout),
                allow_redirects=False,
                stream=True,
                **kwargs,
            )
        except _unbuildable():
            # An address requests or urllib3 cannot build a request for (InvalidURL is also a ValueError):
            # nothing left this computer, so it is the configuration, never "the call may have been placed".
            raise ConfigError(f"The base URL {self.base_url} cannot be used; check it in Settings.") from None
        except requests.RequestException as exc:
            raise self._transport_error(exc, is_call=is_call) from None
        try:
            data = self._read_capped(response, is_call=is_call, deadline=started + self._total_seconds)
        finally:
            response.close()
        # Whatever Termii (or a proxy) echoes back, the key goes no further than this line.
        data = data.replace(self._api_key.encode(), b"[redacted]")
        log.info("%s %s -> HTTP %s in %.0f ms", method, path, response.status_code,
                 (time.monotonic() - started) * 1000)
        return response.status_code, response.headers, data

    @property
    def _total_seconds(self) -> float:
        """The longest a whole request may take: a body trickled byte by byte never resets this clock."""
        return self.connect_timeout + self.read_timeout

    def _read_capped(self, response: requests.Response, *, is_call: bool, deadline: float) -> bytes:
        import requests

        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in _iter_body(response):
                if time.monotonic() > deadline:
                    raise RequestTimeoutError(
                        f"Termii's answer did not finish within {_seconds(self._total_seconds)}."
                        + (f" {_CHECK_BEFORE_RESENDING}" if is_call else " Try again."),
                        http_status=response.status_code,
                        outcome=Outcome.UNKNOWN if is_call else Outcome.FAILED,
                    )
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
        except requests.RequestException:
            raise TermiiError(
                f"The connection to {self.host} broke while Termii was answering (HTTP "
                f"{response.status_code})."
                + (f" {_CHECK_BEFORE_RESENDING}" if is_call else " Try again."),
                http_status=response.status_code,
                outcome=Outcome.UNKNOWN if is_call else Outcome.FAILED,
            ) from None
        return b"".join(chunks)

    def _transport_error(self, exc: requests.RequestException, *, is_call: bool) -> TermiiError:
        """Map requests' exceptions, whose texts carry the URL and so the key, to plain sentences."""
        import ssl

        import requests
        import urllib3.exceptions as u3

        causes = list(_causes(exc))
        host = self.host
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

    def _check(self, status: int, headers: Mapping[str, str], data: bytes, *, is_call: bool) -> dict[str, Any]:
        """Return the JSON object of a 2xx answer, or raise the error the answer means."""
        payload = _parse_json(data)
        message = _termii_message(payload) if isinstance(payload, dict) else _summarise_text(data, headers)
        message = redact(message, self._api_key) if message else message
        if 300 <= status < 400:
            location = urlsplit(headers.get("Location", "")).hostname or "another address"
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
            retry_after = _retry_after(headers)
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
            raise BadResponseError(f"Termii answered with an unexpected HTTP status {status}.", http_status=status)
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
# requests' errors for a request it could not build from the URL: raised before any connection is opened.
def _unbuildable() -> tuple[type[Exception], ...]:
    import requests

    return (
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


def _parse_json(data: bytes) -> Any:
    if not data.strip():
        return None
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _NOT_JSON


def _clean(text: str) -> str:
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"


def _text(value: object) -> str | None:
    """A field as text, kept exact (a 25-digit message id must not pass through float)."""
    if value is None or isinstance(value, dict | list | bool):
        return None
    text = _clean(str(value))
    return text or None


def _termii_message(payload: object) -> str | None:
    """Termii's ``message``, in its string form or its list form ``[{"issue": ...}]``."""
    if not isinstance(payload, dict):
        return None
    for field in ("message", "error", "errors", "detail"):
        value = payload.get(field)
        if isinstance(value, str) and value.strip():
            return _clean(value)
        if isinstance(value, list):
            parts: list[str] = []
            for item in value:
                if isinstance(item, dict):
                    parts.extend(str(v) for v in item.values() if isinstance(v, str | int | float))
                elif isinstance(item, str | int | float):
                    parts.append(str(item))
            if parts:
                return _clean("; ".join(parts))
        if isinstance(value, dict):
            flat = "; ".join(f"{k}: {v}" for k, v in value.items() if isinstance(v, str | int | float))
            if flat:
                return _clean(flat)
    return None


def _summarise_text(data: bytes, headers: Mapping[str, str]) -> str | None:
    """One short phrase for a body that is not JSON: an HTML page is named by its title, never dumped."""
    text = data[:65536].decode("utf-8", errors="replace").strip()
    if not text:
        return None
    content_type = headers.get("Content-Type", "").lower()
    if "html" in content_type or re.match(r"(?is)\s*(<!doctype html|<html|<head|<body)", text):
        title = re.search(r"(?is)<title[^>]*>(.*?)</title>", text) or re.search(r"(?is)<h1[^>]*>(.*?)</h1>", text)
        if title:
            name = _clean(html.unescape(re.sub(r"<[^>]+>", " ", title.group(1))))[:120]
            if name:
                return f"an error page titled “{name}”"
        return "an HTML error page"
    first_line = _clean(text.splitlines()[0])
    return first_line[:120] if first_line else None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(min(int(value), 86400))
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, min(when.timestamp() - time.time(), 86400.0))


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


def _quoted(message: str | None) -> str:
    return f" (“{message}”)" if message else ""
