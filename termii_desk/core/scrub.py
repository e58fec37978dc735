"""Making text from outside safe to keep and show: secrets out in any encoding, control characters out, capped.

``redact_secrets`` is shared by the client (every string Termii sends) and the log filter (every line);
``clean_text`` is the client's one cleaner for server strings. Pure functions, no I/O.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import html
import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import unquote

REDACTED = "[redacted]"
TEXT_LIMIT = 300  # the longest server text the desk keeps or shows, in characters
MIN_SECRET_LENGTH = 4  # shorter values are not secrets worth hunting (and would match everywhere)
_SCAN_LIMIT = 4096  # characters of a longer string that are read at all: the rest could never be shown
_KEY_IN_QUERY = re.compile(r"(api_key[=\"':\s]+)[^&\s'\",}]+", re.IGNORECASE)
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})|&#x([0-9a-fA-F]{1,6});?|&#([0-9]{1,7});?")
_ENCODED_TOKEN = re.compile(r"[A-Za-z0-9+/_=-]{8,}")
_SPACES = re.compile(r"\s+")


def clean_text(text: str, limit: int = TEXT_LIMIT, secrets: Iterable[str | None] = ()) -> str:
    """One line of plain text, at most ``limit`` characters, with ``secrets`` removed however they were written.

    Format characters (zero-width marks, bidi overrides such as U+202E) are dropped; other characters that
    are not printable (ESC, BEL, CR, backspace, line separators, lone surrogates) become spaces; runs of
    spaces become one. Cheap for any length: only the first few thousand characters are read.
    """
    secret_list = _secrets(secrets)
    cut = len(text) > _SCAN_LIMIT
    if cut:
        text = text[:_SCAN_LIMIT]
    text = _printable(text)
    redacted = redact_secrets(text, secret_list)
    if redacted != text:  # shown decoded where the encoded form held a secret: clean what the decoding revealed
        text = _printable(redacted)
    if cut:
        text = _drop_partial_secret(text, secret_list)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def redact_secrets(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret replaced by ``[redacted]``: written plainly, percent-, HTML-, ``\\u``-,
    base64- or hex-encoded, or split by invisible characters. ``api_key=...`` values go too.
    """
    secret_list = _secrets(secrets)
    text = _KEY_IN_QUERY.sub(r"\1" + REDACTED, text)
    if not secret_list:
        return text
    text = _replace(text, secret_list)
    decoded = _decoded_view(text)
    if decoded != text and any(secret in decoded for secret in secret_list):
        # Shown decoded: the encoded form cannot be shown without the secret.
        text = _replace(decoded, secret_list)
    if _ENCODED_TOKEN.search(text):
        text = _ENCODED_TOKEN.sub(lambda match: _redact_encoded(match.group(0), secret_list), text)
    return text


def _secrets(secrets: Iterable[str | None]) -> list[str]:
    # Longest first, so a code inside a key does not leave the key's remainder behind.
    return sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)


def _replace(text: str, secrets: list[str]) -> str:
    folded = text.casefold()
    for secret in secrets:
        if secret.casefold() in folded:  # in any letter case: a host name, for one, arrives lower-cased
            text = _pattern(secret).sub(REDACTED, text)
            folded = text.casefold()
    if any(ch in text for ch in _INVISIBLE):
        joined = text.translate(_DROP_INVISIBLE)
        if any(secret in joined for secret in secrets):
            text = _replace(joined, secrets)
    return text


@functools.lru_cache(maxsize=64)
def _pattern(secret: str) -> re.Pattern[str]:
    return re.compile(re.escape(secret), re.IGNORECASE)


def _printable(text: str) -> str:
    if text.isprintable():
        return _SPACES.sub(" ", text).strip() if "  " in text else text.strip()
    kept = []
    for ch in text:
        if ch.isprintable():
            kept.append(ch)
        elif not _is_format(ch):
            kept.append(" ")
    return _SPACES.sub(" ", "".join(kept)).strip()


def _is_format(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf"


# Characters that render as nothing: a secret split by them still reads as the secret.
_INVISIBLE = "\u00ad\u034f\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
_DROP_INVISIBLE = {ord(ch): None for ch in _INVISIBLE}


def _decoded_view(text: str) -> str:
    """``text`` with percent-, HTML- and backslash-escapes decoded, up to three layers deep."""
    for _ in range(3):
        before = text
        if "%" in text:
            text = unquote(text, errors="replace")
        if "&" in text:
            text = html.unescape(text)
        if "\\" in text or "&#" in text:
            text = _ESCAPE.sub(_unescape, text)
        if text == before:
            break
    return text


def _unescape(match: re.Match[str]) -> str:
    hex_u, hex_x, html_hex, html_dec = match.groups()
    try:
        value = int(hex_u or hex_x or html_hex, 16) if (hex_u or hex_x or html_hex) else int(html_dec)
        return chr(value)
    except (ValueError, OverflowError):
        return match.group(0)


def _redact_encoded(token: str, secrets: list[str]) -> str:
    """A base64 or hex token that decodes to something holding a secret becomes ``[redacted]``."""
    candidates: list[bytes] = []
    stripped = token.rstrip("=")
    padded = stripped + "=" * (-len(stripped) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        with contextlib.suppress(binascii.Error, ValueError):
            candidates.append(decode(padded))
    if len(token) % 2 == 0 and all(ch in "0123456789abcdefABCDEF" for ch in token):
        candidates.append(bytes.fromhex(token))
    for raw in candidates:
        for secret in secrets:
            if secret.encode("utf-8", "replace") in raw:
                return REDACTED
    return token


def _drop_partial_secret(text: str, secrets: list[str]) -> str:
    """Where ``text`` was cut, a secret's first characters may remain at its end: they go too."""
    for secret in secrets:
        for length in range(len(secret) - 1, MIN_SECRET_LENGTH - 1, -1):
            if text.endswith(secret[:length]):
                return text[:-length].rstrip()
    return text


LABEL_LIMIT = 40  # characters of a server text in a one-line label or the window title


def elide(text: str, limit: int = LABEL_LIMIT) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, for labels (the whole text goes in a tooltip)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
