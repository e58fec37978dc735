"""The desk's one operation, shared by the window and the command line: place a call and record it.

Runs on a worker thread in the window; nothing here touches Qt.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from termii_desk.core.errors import ConfigError, DeskError, Outcome, TermiiError
from termii_desk.core.history import INTERRUPTED_TEXT, HistoryError, HistoryRow
from termii_desk.core.history_backend import HistoryBackend, RecentCall, RecentlyCalled

__all__ = ["CallAttempt", "Desk", "RecentCall", "RecentlyCalled"]
from termii_desk.core.keystore import KeyStore, key_set_command
from termii_desk.core.logs import register_secret
from termii_desk.core.results import BalanceResult, VoiceCallResult
from termii_desk.core.settings import Settings
from termii_desk.core.validation import Code, PhoneNumber

if TYPE_CHECKING:  # the client and requests load with the first request (Desk.client)
    import requests

    from termii_desk.core.client import TermiiClient
    from termii_desk.core.estimate import CostEstimate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallAttempt:
    """One attempt, whatever became of it. ``message`` is the sentence to show the agent."""

    outcome: Outcome
    phone: PhoneNumber
    code_masked: str
    result: VoiceCallResult | None
    error: DeskError | None
    history_id: int | None
    history_problem: str | None
    duration_ms: int
    called_at: datetime | None = None  # when the request went out (UTC)

    @property
    def message(self) -> str:
        if self.error is not None:
            return str(self.error)
        assert self.result is not None
        parts = [f"Termii accepted the call to {self.phone.display}."]
        if self.result.message_id:
            parts.append(f"Message id {self.result.message_id}.")
        return " ".join(parts)

    @property
    def exit_code(self) -> int:
        return 0 if self.error is None else self.error.exit_code


class Desk:
    """Builds the Termii client from settings and the stored key, places calls, records them in history."""

    def __init__(
        self,
        settings: Settings,
        keystore: KeyStore,
        history: HistoryBackend,
        *,
        session: requests.Session | None = None,
        profile: str = "default",
    ) -> None:
        """``profile`` names the account in history rows; the key and base URL come from ``keystore`` and
        ``settings``, which the bootstrap builds for that one profile."""
        self.settings = settings
        self.profile = profile
        self.keystore = keystore
        self.history = history
        self._session = session
        self._client: TermiiClient | None = None
        self._client_key: str | None = None
        self._lock = threading.Lock()
        self.currency: str | None = None  # Termii's call answer has no currency: remembered from the balance
        # When each number was last called (sent or possibly sent) in this session, for the cooldown question
        # when history cannot answer it: its row could not be written, or history cannot be read.
        self._called: dict[str, tuple[datetime, str]] = {}

    def update_settings(self, settings: Settings) -> None:
        with self._lock:
            if settings.ca_bundle != self.settings.ca_bundle and self._session is not None:
                self._session.close()
                self._session = None
            self.settings = settings
            self._client = None

    def forget_client(self) -> None:
        """After the key changed: the next request builds a client with the new key."""
        with self._lock:
            self._client = None

    def client(self) -> TermiiClient:
        """The client for the current key and settings. Raises ``ConfigError`` (no key, bad URL, no keyring)."""
        key = self.keystore.get()
        if not key:
            raise ConfigError(f"No Termii API key is set: add it in Settings (or {key_set_command(self.profile)}).")
        register_secret(key)
        from termii_desk.core.client import TermiiClient, make_session

        with self._lock:
            if self._client is None or self._client_key != key:
                if self._session is None:
                    self._session = make_session(self.settings.ca_bundle)
                self._client = TermiiClient(
                    self.settings.base_url,
                    key,
                    session=self._session,
                    connect_timeout=self.settings.connect_timeout,
                    read_timeout=self.settings.read_timeout,
                )
                self._client_key = key
            return self._client

    def check_balance(self) -> BalanceResult:
        result = self.client().get_balance()
        if result.currency:
            self.currency = result.currency
        return result

    def recently_called(self, phone: PhoneNumber) -> datetime | None:
        """When this number was called within the cooldown, or None. Never raises."""
        recent = self.recent_call(phone)
        return recent.when if recent else None

    def recent_call(self, phone: PhoneNumber) -> RecentCall | None:
        """The last call to this number within the cooldown, or None. Never raises.

        History answers, and this session's own calls too: a call whose row could not be written (a full disk)
        or a history that cannot be read must not let the same number be called again without the question.
        Every profile's calls count: a customer called from another account is still a customer just called.
        """
        cooldown = self.settings.cooldown_seconds
        if cooldown <= 0:
            return None
        try:
            recorded = self.history.prior_call(phone.digits)
        except HistoryError:
            recorded = None
        candidates = [] if recorded is None else [(recorded.when, recorded.outcome, recorded.who,
                                                   recorded.local_only)]
        mine = self._called.get(phone.digits)
        if mine is not None:
            candidates.append((mine[0], mine[1], "this desk", False))
        if not candidates:
            return None
        when, outcome, who, local_only = max(candidates, key=lambda found: found[0])
        if (datetime.now(timezone.utc) - when).total_seconds() < cooldown:  # no timedelta(seconds=...) to overflow
            return RecentCall(when, outcome, cooldown, who, local_only)
        return None

    def recent_rows(self, limit: int = 200) -> list[HistoryRow]:
        """This profile's newest attempts (for the cost estimate, the trend, the phone completions). Raises
        ``HistoryError``."""
        return self.history.page(limit, profile=self.profile)

    def cost_estimate(self) -> CostEstimate | None:
        """The cost of one call from this profile's history, or None (fewer than 3 usable drops). Never raises."""
        from termii_desk.core.estimate import estimate_cost

        try:
            return estimate_cost(self.recent_rows())
        except HistoryError:
            return None

    def close(self) -> None:
        """Close the HTTP connections; the next request opens new ones."""
        with self._lock:
            if self._session is not None:
                self._session.close()
            self._client = None

    def apply_retention(self) -> int:
        days = self.settings.history_retention_days
        return self.history.purge_older_than(days) if days > 0 else 0

    def place_call(
        self, phone: PhoneNumber, code: Code, *, on_recorded: Callable[[int], None] | None = None,
        check_cooldown: bool = False,
    ) -> CallAttempt:
        """Place one voice call and record it. Never raises for anything the agent can act on.

        ``on_recorded(row_id)`` is called once the history row exists, before the request goes out (the
        window uses it to show the attempt as in flight). Raises ``ConfigError`` only when nothing was
        attempted (no key, bad base URL, no keyring).

        ``check_cooldown``: refuse (``RecentlyCalled``, nothing sent or recorded) when the number was called
        within the cooldown; the check and the history row are one step in the history store, so of several
        desks sending to one number at once exactly one proceeds.
        """
        register_secret(code.digits)
        client = self.client()
        history_problem: str | None = None
        row_id: int | None = None
        called_at = datetime.now(timezone.utc)
        cooldown = self.settings.cooldown_seconds if check_cooldown else 0
        if cooldown > 0:
            mine = self._called.get(phone.digits)
            if mine is not None and (called_at - mine[0]).total_seconds() < cooldown:
                raise RecentlyCalled(RecentCall(mine[0], mine[1], cooldown, "this desk"), phone.display)
        try:
            if cooldown > 0:
                try:
                    row_id = self.history.reserve_attempt(phone.digits, code, client.host,
                                                          cooldown_seconds=cooldown)
                except RecentlyCalled as refused:
                    raise RecentlyCalled(refused.recent, phone.display) from None
            else:
                row_id = self.history.start_attempt(phone.digits, code, client.host)
        except HistoryError as exc:
            history_problem = str(exc)
        started = time.monotonic()
        result: VoiceCallResult | None = None
        error: DeskError | None = None
        outcome = Outcome.UNKNOWN
        try:
            if row_id is not None and on_recorded is not None:
                on_recorded(row_id)
            result = client.send_voice_call(phone, code)
            outcome = Outcome.SENT
        except TermiiError as exc:
            error, outcome = exc, exc.outcome
        except ConfigError as exc:  # a request that could not be built (its URL): nothing left this computer
            error, outcome = exc, exc.outcome
        except Exception:
            log.exception("unexpected failure while placing a call")
            error = TermiiError(
                "Something unexpected went wrong while placing the call; it may have been placed. "
                "Check before sending again.",
                outcome=Outcome.UNKNOWN,
            )
        finally:
            duration_ms = int((time.monotonic() - started) * 1000)
            if outcome in (Outcome.SENT, Outcome.UNKNOWN):  # what history's cooldown counts too
                self._called[phone.digits] = (called_at, outcome.value)
            if result is not None and result.balance is not None and not self.currency:
                self._learn_currency()
            if row_id is not None:
                history_problem = self._complete(row_id, outcome, duration_ms, result, error) or history_problem
        log.info("call to …%s: %s in %d ms", phone.digits[-4:], outcome.value, duration_ms)
        return CallAttempt(outcome, phone, code.masked, result, error, row_id, history_problem, duration_ms,
                           called_at)

    def _learn_currency(self) -> None:
        """A call's answer has a balance but no currency, and none is known yet (a command-line call, a call
        before the first balance check): take the one history last recorded, else ask the balance endpoint."""
        last_currency = getattr(self.history, "last_currency", None)
        try:
            self.currency = last_currency() if last_currency is not None else None
        except HistoryError:
            self.currency = None
        if not self.currency:
            try:
                self.check_balance()
            except DeskError as exc:
                log.info("currency unknown: the balance check failed (%s)", type(exc).__name__)

    def _complete(
        self, row_id: int, outcome: Outcome, duration_ms: int, result: VoiceCallResult | None, error: DeskError | None
    ) -> str | None:
        termii_error = error if isinstance(error, TermiiError) else None
        try:
            self.history.complete_attempt(
                row_id,
                outcome=outcome,
                duration_ms=duration_ms,
                http_status=result.http_status if result else (termii_error.http_status if termii_error else None),
                message_id=result.message_id if result else None,
                termii_message=result.message if result else (termii_error.termii_message if termii_error else None),
                balance=result.balance.raw if result and result.balance else None,
                currency=self.currency if result and result.balance else None,
                error=str(error) if error else (None if result else INTERRUPTED_TEXT),
            )
        except HistoryError as exc:
            return str(exc)
        return None
