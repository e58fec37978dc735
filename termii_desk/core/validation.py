"""Validation of what an agent types: the customer's phone number and the code to read out.

Pure functions, no Qt. The code rules live here and nowhere else.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from termii_desk.core.errors import InputError

if TYPE_CHECKING:
    import phonenumbers

CODE_MIN_LENGTH = 4
CODE_MAX_LENGTH = 8
DEFAULT_CODE_LENGTH = 6
# Longest paste worth parsing: anything longer is not a phone number or a code, and parsing it would
# only cost time on the GUI thread.
MAX_INPUT_LENGTH = 64

_ASCII_DIGITS = frozenset("0123456789")
# What agents paste around a phone number: spaces (incl. no-break), dots, dashes, slashes, brackets.
_PHONE_PUNCTUATION = frozenset(" \t\u00a0.-/()")


@dataclass(frozen=True)
class PhoneNumber:
    """A validated phone number in the forms the desk needs."""

    digits: str  # what Termii wants: international format, digits only, no '+'
    display: str  # "+234 803 123 4567"
    country: str  # "Nigeria" ("" when libphonenumber has no name)
    region: str  # "NG"
    carrier: str  # "MTN" ("" when unknown)

    @property
    def summary(self) -> str:
        """One line for the agent: ``+234 803 123 4567 · Nigeria · MTN``."""
        return " · ".join(part for part in (self.display, self.country, self.carrier) if part)


@dataclass(frozen=True)
class Code:
    """A validated one-time code: 4 to 8 ASCII digits, not starting with 0."""

    digits: str

    @property
    def number(self) -> int:
        """The value Termii receives as a JSON number; equal to ``digits`` because there is no leading 0."""
        return int(self.digits)

    @property
    def masked(self) -> str:
        return mask_code(self.digits)

    def __repr__(self) -> str:
        return f"Code({self.masked!r})"


class AmbiguousNumberError(InputError):
    """Typed without ``+``, the digits are a valid number in the default country and a different valid
    international number (``81234567890`` with Indonesia: +62 812-3456-7890, or Japan's +81 234-56-7890; or,
    after ``00``, the number as dialled from the default country and the number after ``00`` as international).

    Nothing is chosen for the agent: ``choices`` holds both readings, the default country's first; either one's
    ``display`` (which starts with ``+``) reads back as exactly that number.
    """

    def __init__(self, national: PhoneNumber, international: PhoneNumber) -> None:
        self.choices = (national, international)
        super().__init__(
            f"Which number? {_named(national)} or {_named(international)}. Type it with + and the country code "
            "to choose."
        )


def _named(phone: PhoneNumber) -> str:
    return f"{phone.display} ({phone.country})" if phone.country else phone.display


def validate_phone(text: str, default_region: str = "NG", *, with_carrier: bool = True) -> PhoneNumber:
    """Parse what an agent typed or pasted into a phone number Termii accepts.

    With ``+`` the number is international. Without, the digits are read both ways, in the default
    country (national) and as an international number written without ``+`` (the form Termii itself uses,
    ``2348031234567``): the reading that is a valid number wins; when both are, and are different numbers,
    ``AmbiguousNumberError`` names both, so that no call goes to a country the agent did not mean. Digits after
    ``00`` are the international reading, the digits as dialled in the default country (with its own prefix
    for abroad, 009 in Nigeria) the other.
    Raises ``InputError`` with the specific reason. ``with_carrier=False`` leaves ``carrier`` empty and does not
    load the carrier tables (~20 ms the first time; the window loads them once it is ready).
    """
    stripped = text.strip()
    if not stripped:
        raise InputError("Enter the customer's phone number.")
    if len(stripped) > MAX_INPUT_LENGTH:
        raise InputError("That is too long to be a phone number.")
    if any(ch.isalpha() for ch in stripped):
        raise InputError("A phone number has only digits; remove the letters.")
    body = stripped
    plus = body.startswith("+")
    if plus:
        body = body[1:].lstrip()
    bad = [ch for ch in body if ch not in _ASCII_DIGITS and ch not in _PHONE_PUNCTUATION]
    if bad:
        if any(ch.isdigit() for ch in bad):
            raise InputError("Use the digits 0-9 only; the number contains digits of another script.")
        raise InputError(f"A phone number cannot contain {bad[0]!r}.")
    digits = "".join(ch for ch in body if ch in _ASCII_DIGITS)
    if not digits:
        raise InputError("Enter the customer's phone number.")
    region = default_region.upper() or "NG"
    if plus:
        return _read("+" + digits, region, with_carrier)
    candidates = (digits, "+" + digits)
    if digits.startswith("00"):
        # 00 is read as "international" the world over, but it is not every country's own prefix for calling
        # abroad (Nigeria's is 009, Indonesia's also 008): the digits as dialled in the default country are the
        # other reading, and when both are valid different numbers the agent is asked, as below.
        candidates = (digits, "+" + digits[2:])
    readings: list[PhoneNumber | InputError] = []
    for candidate in candidates:
        try:
            readings.append(_read(candidate, region, with_carrier))
        except InputError as exc:
            readings.append(exc)
    national, international = readings
    if isinstance(national, PhoneNumber) and isinstance(international, PhoneNumber):
        if national.digits != international.digits:
            raise AmbiguousNumberError(national, international)
        return national
    if isinstance(national, PhoneNumber):
        return national
    if isinstance(international, PhoneNumber):
        return international
    # Neither is a number yet (often: still being typed). Say what is wrong with the likelier reading: a
    # national number starts with 0 or is short; longer digits are usually international without '+' (or 00).
    if digits.startswith("00"):
        raise international
    raise national if digits.startswith("0") or len(digits) <= 10 else international


def phone_library() -> ModuleType:
    """libphonenumber's reading, checking and formatting (``phonenumbers.phonenumberutil``), with the metadata;
    the one way this package loads it: without the package's ``__init__`` (core/deferred.py), which also loads
    its as-you-type formatter, number matcher and short-number tables, ~4 ms of start-up nothing here uses."""
    loaded = sys.modules.get("phonenumbers.phonenumberutil")
    if loaded is not None:
        return loaded
    from termii_desk.core.deferred import defer_package

    defer_package("phonenumbers")
    import phonenumbers.phonenumberutil as library

    return library


def _read(candidate: str, region: str, with_carrier: bool = True) -> PhoneNumber:
    """``candidate`` (digits, or ``+`` and digits) as a valid number, read in ``region``; or ``InputError``."""
    phonenumbers = phone_library()  # deferred: its metadata takes a noticeable time to load
    PhoneNumberFormat, ValidationResult = phonenumbers.PhoneNumberFormat, phonenumbers.ValidationResult

    from termii_desk.core.countries import REGION_NAMES

    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            raise InputError("Unknown country code; start the number with + and a valid country code.") from None
        if exc.error_type == phonenumbers.NumberParseException.TOO_SHORT_NSN:
            raise InputError("The number is too short.") from None
        if exc.error_type == phonenumbers.NumberParseException.TOO_LONG:
            raise InputError("The number is too long.") from None
        raise InputError("This is not a valid phone number.") from None
    number_region = phonenumbers.region_code_for_number(number)
    country = REGION_NAMES.get(number_region or "", "")
    where = f"for {country}" if country else "for that country"
    if number_region in (None, "ZZ") and not phonenumbers.is_valid_number(number):
        raise InputError(f"Unknown country code +{number.country_code}.")
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == ValidationResult.INVALID_COUNTRY_CODE:
        raise InputError(f"Unknown country code +{number.country_code}.")
    if reason == ValidationResult.TOO_SHORT:
        raise InputError(f"The number is too short {where}.")
    if reason in (ValidationResult.TOO_LONG, ValidationResult.INVALID_LENGTH):
        raise InputError(f"The number is too long {where}." if reason == ValidationResult.TOO_LONG
                         else f"The number has the wrong length {where}.")
    if not phonenumbers.is_valid_number(number):
        # Half-typed numbers are often "possible" (local-only, or a shorter number type): compare with a
        # typical number of that country to say "too short" rather than "not valid" while the agent types.
        example = phonenumbers.example_number(number_region) if number_region else None
        typical = len(str(example.national_number)) if example else 0
        if len(str(number.national_number)) < typical:
            raise InputError(f"The number is too short {where}.")
        raise InputError(f"This is not a valid phone number {where}.")
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return PhoneNumber(
        digits=e164.lstrip("+"),
        display=phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
        country=country,
        region=number_region or "",
        carrier=_carrier_name(number) if with_carrier else "",
    )


def _carrier_name(number: phonenumbers.PhoneNumber) -> str:
    from phonenumbers import carrier

    return str(carrier.name_for_number(number, "en"))


def load_carrier_names() -> None:
    """Load the carrier tables now (``validate_phone`` otherwise does on its first call with a carrier)."""
    import phonenumbers.carrier  # noqa: F401


def validate_code(text: str) -> Code:
    """Check a one-time code. Never changes it: either the exact digits typed, or an ``InputError``."""
    if len(text) > MAX_INPUT_LENGTH:
        raise InputError(f"A code has {CODE_MIN_LENGTH} to {CODE_MAX_LENGTH} digits; that is far too long.")
    # Only plain spaces between groups ("123 456") and surrounding whitespace are ignored.
    compact = text.strip().replace(" ", "")
    if not compact:
        raise InputError("Enter the code to read out.")
    bad = [ch for ch in compact if ch not in _ASCII_DIGITS]
    if bad:
        if any(ch.isdigit() for ch in bad):
            raise InputError("Use the digits 0-9 only; the code contains digits of another script.")
        raise InputError("A code has digits only.")
    if len(compact) < CODE_MIN_LENGTH:
        raise InputError(f"A code has at least {CODE_MIN_LENGTH} digits.")
    if len(compact) > CODE_MAX_LENGTH:
        raise InputError(f"A code has at most {CODE_MAX_LENGTH} digits.")
    if compact.startswith("0"):
        raise InputError(
            "A code cannot start with 0: Termii takes the code as a number, so 0123 would arrive as 123."
        )
    return Code(compact)


def generate_code(length: int = DEFAULT_CODE_LENGTH) -> str:
    """A cryptographically random code of ``length`` digits that never starts with 0."""
    if not CODE_MIN_LENGTH <= length <= CODE_MAX_LENGTH:
        raise ValueError(f"length must be {CODE_MIN_LENGTH} to {CODE_MAX_LENGTH}")
    import secrets  # not at import: it loads hashlib and OpenSSL (~4 ms), before the window's first paint

    first = str(secrets.randbelow(9) + 1)
    return first + "".join(str(secrets.randbelow(10)) for _ in range(length - 1))


def mask_code(code: str) -> str:
    """``••••56``: the last two digits only, so history can tell attempts apart without storing the code."""
    if len(code) <= 2:
        return "•" * len(code)
    return "•" * (len(code) - 2) + code[-2:]


def phone_filter_digits(text: str, region: str | None = None) -> str:
    """The digits of a history filter ("+234 803" -> "234803"), read like the phone field reads a number.

    With the default ``region``, a national form becomes international, as history stores numbers:
    "0803 550 0199" in NG -> "2348035500199" (its trunk prefix replaced by the country code); "00 234 803..."
    -> "234803..."; "+..." is taken as it is. Digits without a prefix ("550 0199") stay a plain "contains".
    """
    digits = re.sub(r"\D", "", text.translate(_NON_ASCII_DIGIT_GUARD))
    if not region or not digits or text.strip().startswith("+"):
        return digits
    if digits.startswith("00") and len(digits) > 2:
        return digits[2:]
    metadata = phone_library().PhoneMetadata.metadata_for_region(region.upper())
    prefix = metadata.national_prefix if metadata is not None else None
    if prefix and digits.startswith(prefix) and len(digits) > len(prefix):
        return f"{metadata.country_code}{digits[len(prefix):]}"
    return digits


# Filters keep ASCII digits only; other scripts' digits are dropped instead of matched loosely.
_NON_ASCII_DIGIT_GUARD = {ord(ch): None for ch in "٠١٢٣٤٥٦٧٨٩０１２３４５６７８９"}
