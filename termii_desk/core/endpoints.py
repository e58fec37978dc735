"""Where the desk sends its requests: the endpoint paths, the default base URL and the one judge of a base URL.

Apart from the client (core/client.py) so that the settings can judge a base URL without loading the HTTP stack
(requests and urllib3, ~60 ms of start-up): only a host the stack might read differently (an IPv6 address)
is checked by building the request with requests, which then loads.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from termii_desk.core.errors import ConfigError

CALL_PATH = "/api/sms/otp/call"
BALANCE_PATH = "/api/get-balance"
# Termii's Voice *Token* API: Termii makes up the PIN the customer hears. Never used by the desk (its code would
# not be the one read out); named here, with the others, because the simulator models it.
VOICE_TOKEN_PATH = "/api/sms/otp/send/voice"
DEFAULT_BASE_URL = "https://api.ng.termii.com"
MAX_BASE_URL_LENGTH = 1000


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
    if len(value) > MAX_BASE_URL_LENGTH:
        raise ConfigError(f"The base URL is longer than {MAX_BASE_URL_LENGTH} characters; type just the address.")
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


# A host of lower-case letters, digits, hyphens and dots (what _valid_host lets through, IPv4 addresses included):
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
