"""What Termii answered, as values: a placed call and a balance."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from termii_desk.core.formatting import format_balance


@dataclass(frozen=True)
class Balance:
    """A balance as Termii gave it: ``raw`` for display, ``amount`` when it is a number."""

    raw: str
    amount: Decimal | None

    @classmethod
    def from_json(cls, value: object) -> Balance | None:
        """``77.5``, ``"77.50"``, ``"unlimited"``; ``None`` when Termii sent nothing usable."""
        if value is None or isinstance(value, bool | dict | list):
            return None
        if isinstance(value, int | float):
            # json gives floats; str() keeps what Termii wrote (77.5, not 77.5000000001).
            raw = str(value)
        else:
            raw = str(value).strip()
            if not raw:
                return None
        try:
            parsed = Decimal(raw)
            amount = parsed if parsed.is_finite() else None
        except InvalidOperation:
            amount = None
        return cls(raw=raw, amount=amount)

    def display(self, currency: str = "") -> str:
        """``4,662.30 NGN``; text such as ``unlimited`` is shown as Termii sent it (see ``format_balance``)."""
        return format_balance(self.raw, currency)


@dataclass(frozen=True)
class VoiceCallResult:
    """Termii accepted the voice call."""

    message_id: str | None
    pin_id: str | None
    message: str | None  # Termii's own words, e.g. "Successfully Sent"
    balance: Balance | None
    user: str | None
    http_status: int


@dataclass(frozen=True)
class BalanceResult:
    """The account's remaining balance."""

    balance: Balance | None
    currency: str | None
    user: str | None
