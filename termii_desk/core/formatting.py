"""How values are shown to the agent: the one balance formatter, and any value as one clean, capped line.

Both take whatever is stored or received (text, numbers, bytes, None, garbage of any size) and never raise:
what cannot be formatted is shown as it is, cleaned of control characters and capped.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal

BALANCE_LIMIT = 40  # characters of a balance shown as it was sent ("unlimited", "1e+400")
CURRENCY_LIMIT = 12
ELLIPSIS = "…"
# A plain decimal number, as JSON writes it; anything else ("unlimited", "NaN", "1_000", "١٢") is shown raw.
_NUMBER = re.compile(r"-?[0-9]{1,40}(?:\.[0-9]{1,40})?(?:[eE][+-]?[0-9]{1,4})?")
_MAX_MAGNITUDE = 14  # numbers below 10**15 are grouped ("1,234,567,890.12"); larger ones are shown exactly as sent
_MAX_DECIMALS = 20  # finer digits than this are shown raw
_CENTS = Decimal("0.01")
_CONTEXT = Context(prec=80)  # enough for every number that reaches quantize: never rounds, never traps


def display_text(value: object, limit: int) -> str:
    """``value`` as one line of printable text of at most ``limit`` characters; "" for None.

    Control and format characters (ESC, BEL, CR, backspace, U+202E...) become spaces, runs of white space one
    space; a text cut short ends with "…". Costs the same for a 200 KB string as for a short one.
    """
    if value is None:
        return ""
    limit = max(1, limit)
    window = limit * 4 + 64  # cleaning can only shorten a text: more than this is never needed
    try:
        if isinstance(value, str):
            text = value[:window]
        elif isinstance(value, bytes | bytearray | memoryview):
            text = bytes(value[:window]).decode("utf-8", "replace")
        else:
            text = str(value)[:window]
    except Exception:  # an int too long for str(), an object whose __str__ fails
        text = f"({type(value).__name__})"
    cut = len(text) == window
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    if len(text) > limit or (cut and text):
        return text[: limit - 1] + ELLIPSIS
    return text


def format_balance(balance: object, currency: object = None) -> str:
    """"4,850.50 NGN": grouped, in cents unless Termii gave finer digits (kept exactly); "" without a balance.

    A number too large or too fine to group ("1e30", "1E+400", 200 KB of digits) is shown as it was sent, cleaned
    and capped, with the currency; text ("unlimited", garbage) as it was sent, without it. Never raises.
    """
    amount, numeric = _amount_text(balance)
    unit = display_text(currency, CURRENCY_LIMIT)
    return f"{amount} {unit}" if numeric and unit else amount


def balance_amount(balance: object) -> Decimal | None:
    """A stored balance as a number, when it is one the formatter groups (below 10**15, at most 20 decimals);
    None otherwise. Sums and differences of these never overflow: what counts balances uses this."""
    shown = display_text(balance, BALANCE_LIMIT)
    if not _NUMBER.fullmatch(shown):
        return None
    amount = Decimal(shown)
    exponent = amount.as_tuple().exponent
    if not isinstance(exponent, int) or amount.adjusted() > _MAX_MAGNITUDE or exponent < -_MAX_DECIMALS:
        return None
    return amount


def _amount_text(balance: object) -> tuple[str, bool]:
    """The amount's text, and whether it is a number (only a number is followed by the currency)."""
    shown = display_text(balance, BALANCE_LIMIT)
    amount = balance_amount(shown)
    if amount is None:
        return shown, bool(_NUMBER.fullmatch(shown.rstrip(ELLIPSIS)))
    if amount.as_tuple().exponent > -2:  # type: ignore[operator]  # always an int: balance_amount is finite
        amount = amount.quantize(_CENTS, context=_CONTEXT)  # money reads as 4,849.00, like 4,850.50 above it
    if amount.is_zero():
        amount = abs(amount)  # "-0" is 0.00
    return f"{amount:,f}", True
