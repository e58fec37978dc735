"""Making text from outside safe to keep and show: secrets out in any encoding, control characters out, capped.

``redact_secrets`` is shared by the client (every string Termii sends) and the log filter (every line);
``clean_text`` is the client's one cleaner for server strings. Pure functions, no I/O.
"""

from __future__ import annotations

import base64
import functools
import html
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from urllib.parse import unquote

from termii_desk.core.code_cache import compile_unkept

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
    spaces become one. Cheap for any length: only the first few thousand characters are read. The answers
    of the last texts are kept: the same names and words ("code", "message_id", "Successfully Sent") come
    in every answer.
    """
    return _clean_text(text, limit, secrets if isinstance(secrets, tuple) else tuple(secrets))


@functools.lru_cache(maxsize=512)
def _clean_text(text: str, limit: int, secrets: tuple[str | None, ...]) -> str:
    prepared = _prepare(secrets)
    cut = len(text) > _SCAN_LIMIT
    if cut:
        text = text[:_SCAN_LIMIT]
    text = _printable(text)
    redacted = _redact(text, prepared)
    if redacted != text:  # shown decoded where the encoded form held a secret: clean what the decoding revealed
        text = _printable(redacted)
    if cut:
        text = _drop_partial_secret(text, prepared.plain)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def redact_secrets(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret replaced by ``[redacted]``: written plainly (in any letter case), percent-,
    HTML-, ``\\u``-, base64- or hex-encoded, or split by invisible characters. ``api_key=...`` values go too.
    """
    return _redact(text, _prepare(tuple(secrets)))


class _Prepared:
    """The secrets, longest first (so a code inside a key leaves nothing of the key), with their encoded forms."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        self.plain = sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
        self.folded = [s.casefold() for s in self.plain]
        # What base64 (standard or URL-safe) and hex make of each secret wherever it starts in the encoded
        # bytes: the characters that depend on the secret alone. A token holding one holds the secret.
        # The same for base32, and for the secret's UTF-16 bytes (either byte order) in each of these.
        self.encoded: list[str] = []
        for secret in self.plain:
            for raw in (secret.encode("utf-8", "replace"), secret.encode("utf-16-be", "replace"),
                        secret.encode("utf-16-le", "replace")):
                for offset in range(3):
                    full = base64.b64encode(bytes(offset) + raw).decode()
                    core = full[(8 * offset + 5) // 6: (8 * (offset + len(raw))) // 6]
                    self.encoded += [core, core.replace("+", "-").replace("/", "_")]
                for offset in range(5):
                    full = base64.b32encode(bytes(offset) + raw).decode()
                    self.encoded.append(full[(8 * offset + 4) // 5: (8 * (offset + len(raw))) // 5])
                self.encoded.append(raw.hex())
        self.encoded = sorted({e for e in self.encoded if len(e) >= 5}, key=len, reverse=True)
        # Hex and base32 are read in either letter case; base64 is not (its case is part of its meaning).
        self.caseless = [e.lower() for e in self.encoded if re.fullmatch(r"[0-9a-f]+|[A-Z2-7]+", e)]
        self.encoded_folded = [e.casefold() for e in self.encoded]
        # A code spelled out digit by digit ("4 8 2-9 1 6"), as it would be read to a customer.
        self._spelled_parts = [_SPELLED_GAP.join(s) for s in self.plain if s.isascii() and s.isdigit()]
        # The quick first look at ASCII text (nearly every string of every answer and log line): its cost must
        # not grow with the number of secrets (the key and up to 50 codes sent, each in ~27 encoded forms):
        # the first 4 characters, lower-cased, of every form a secret can take. A text holding a form holds
        # its first 4 characters; one holding none of them needs no work. Spelled codes are looked for with
        # the separators a spelling may put between digits taken out. The regular expressions below are built
        # only when a text needs them.
        self._forms = [*self.plain, *self.encoded, "api_key"]  # every form that needs work where it is found
        self.grams = {form.translate(_ASCII_FOLDS).casefold()[:GRAM] for form in self._forms}
        self.spelled_grams = {s[:GRAM] for s in self.plain if s.isascii() and s.isdigit()}

    @functools.cached_property
    def spelled(self) -> re.Pattern[str] | None:
        return compile_unkept("|".join(self._spelled_parts)) if self._spelled_parts else None

    @functools.cached_property
    def trigger(self) -> re.Pattern[str]:
        """Anything that could need work, in text that is not ASCII (as IGNORECASE compares letters)."""
        forms = [re.escape(form) for form in self._forms]
        return compile_unkept("|".join([*forms, *self._spelled_parts, f"[%&\\\\{_INVISIBLE}]"]), re.IGNORECASE)

    def needs_work(self, text: str) -> bool:
        """Whether ``text`` may hold a secret, an ``api_key`` or an escape (never False when it does)."""
        if not text.isascii():
            return self.trigger.search(text) is not None
        if "%" in text or "&" in text or "\\" in text:
            return True
        low = text.lower()
        if not self.grams.isdisjoint(_grams(low)):
            return True
        return bool(self.spelled_grams) and not self.spelled_grams.isdisjoint(
            _grams(low.translate(_DROP_SPELLING_GAPS)))


GRAM = MIN_SECRET_LENGTH  # every form a secret takes is at least this long
_GRAM_SLICES = [slice(i, i + GRAM) for i in range(_SCAN_LIMIT)]


def _grams(text: str) -> Iterator[str]:
    """Every run of ``GRAM`` characters in ``text``, made in C for texts up to ``_SCAN_LIMIT`` long (a log line
    may be longer: then in Python, past that)."""
    count = max(0, len(text) - GRAM + 1)
    grams = map(text.__getitem__, itertools.islice(_GRAM_SLICES, count))
    if count <= len(_GRAM_SLICES):
        return grams
    return itertools.chain(grams, (text[i:i + GRAM] for i in range(len(_GRAM_SLICES), count)))


_GAP_CHARACTERS = "\\s.,:;_/·•-"  # what may stand between a spelled code's digits (a character class)
_SPELLED_GAP = f"[{_GAP_CHARACTERS}]{{0,3}}"
# The same characters among ASCII ones (\s as the regular expression has it), for the first look.
_DROP_SPELLING_GAPS = {i: None for i in range(128) if re.fullmatch(f"[{_GAP_CHARACTERS}]", chr(i))}
# Letters IGNORECASE takes for ASCII ones that casefold() does not turn into them (dotted and dotless I).
_ASCII_FOLDS = {0x130: "i", 0x131: "i"}


@functools.lru_cache(maxsize=32)
def _prepare(secrets: tuple[str | None, ...]) -> _Prepared:
    return _Prepared(tuple(s for s in secrets if s))


def _redact(text: str, prepared: _Prepared) -> str:
    if not text.isascii() and prepared.plain:
        # Fullwidth and other compatibility forms (ＴＬ…) read as the secret: compared as NFKC makes them, and
        # digits of any script (Arabic-Indic ٨٦٤, Devanagari ८६४) as the ASCII digits they are.
        normal = _ascii_digits(unicodedata.normalize("NFKC", text))
        folded = normal.casefold()
        if normal != text and (any(secret in folded for secret in prepared.folded)
                               or (prepared.spelled is not None and prepared.spelled.search(normal))):
            text = normal
    if not prepared.needs_work(text):
        return text
    if "api_key" in text.casefold():
        text = _KEY_IN_QUERY.sub(r"\1" + REDACTED, text)
    if not prepared.plain:
        return text
    text = _replace(text, prepared)
    if "%" in text or "&" in text or "\\" in text:
        decoded = _decoded_view(text)
        folded = decoded.casefold()
        if decoded != text and any(secret in folded for secret in prepared.folded):
            # Shown decoded: the encoded form cannot be shown without the secret.
            text = _replace(decoded, prepared)
    folded = text.casefold()
    if any(form in folded for form in prepared.encoded_folded):
        text = _ENCODED_TOKEN.sub(lambda match: _redact_encoded(match.group(0), prepared), text)
    if prepared.spelled is not None:
        text = prepared.spelled.sub(REDACTED, text)
    return text


def _ascii_digits(text: str) -> str:
    if text.isascii() or not any(ch.isdecimal() and not ch.isascii() for ch in text):
        return text
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in text)


def _replace(text: str, prepared: _Prepared) -> str:
    folded = text.casefold()
    for secret, folded_secret in zip(prepared.plain, prepared.folded, strict=True):
        if folded_secret in folded:  # in any letter case: a host name, for one, arrives lower-cased
            text = _pattern(secret).sub(REDACTED, text)
            folded = text.casefold()
    if _INVISIBLE_CHARACTER.search(text):
        joined = text.translate(_DROP_INVISIBLE)
        if any(secret in joined.casefold() for secret in prepared.folded):
            text = _replace(joined, prepared)
    return text


@functools.lru_cache(maxsize=64)
def _pattern(secret: str) -> re.Pattern[str]:
    return compile_unkept(re.escape(secret), re.IGNORECASE)


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
_INVISIBLE_CHARACTER = re.compile(f"[{_INVISIBLE}]")


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


def _redact_encoded(token: str, prepared: _Prepared) -> str:
    """A base64 or hex token holding a secret's encoded form becomes ``[redacted]``."""
    if any(form in token for form in prepared.encoded) or any(form in token.lower() for form in prepared.caseless):
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
