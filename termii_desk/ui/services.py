"""What the window is given to work with (``DeskServices``), and the core calls its dialogs run on a worker.

Everything here runs core code; nothing here touches a widget. Core modules that import ``requests`` are
imported inside the functions, so importing the window does not load the network stack before it shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from termii_desk.core.desk import Desk
    from termii_desk.core.history import HistoryStore
    from termii_desk.core.keystore import KeyStatus, KeyStore
    from termii_desk.core.results import BalanceResult
    from termii_desk.core.settings import Settings, SettingsStore


@dataclass
class DeskServices:
    """The core objects the window uses, built by ``app.py`` (or by a test).

    ``settings_store`` is None when settings changes must last for this session only (demo mode).
    ``notices`` are sentences to show the agent once (ignored settings, a history file moved aside).
    """

    desk: Desk
    keystore: KeyStore
    history: HistoryStore
    key_status: KeyStatus
    settings_store: SettingsStore | None = None
    notices: list[str] = field(default_factory=list)
    demo: bool = False

    @property
    def settings(self) -> Settings:
        return self.desk.settings


def check_key(settings: Settings, key: str | None, keystore: KeyStore) -> BalanceResult:
    """"Test key": ask the balance endpoint with ``key`` (or the stored key) and ``settings``.

    Uses a throwaway client and in-memory history, so neither the desk's client nor its history changes.
    Raises the core's errors (``ConfigError``, ``KeyRejectedError``, ``NetworkError``...).
    """
    from termii_desk.core.client import make_session
    from termii_desk.core.desk import Desk
    from termii_desk.core.errors import ConfigError
    from termii_desk.core.history import HistoryStore
    from termii_desk.core.keystore import KeyStore

    candidate = (key or "").strip() or keystore.get()
    if not candidate:
        raise ConfigError("Type the API key first; there is none stored yet.")
    probe = KeyStore(environ={})
    probe.use_for_session(candidate)
    session = make_session(settings.ca_bundle)
    history = HistoryStore(None)
    try:
        return Desk(settings, probe, history, session=session).check_balance()
    finally:
        session.close()
        history.close()


def store_key(keystore: KeyStore, key: str) -> KeyStatus:
    """Save the key in the keyring; returns the new status. Raises ``KeyringUnavailableError``."""
    keystore.set(key)
    keystore.use_for_session("")  # a key kept for the session would otherwise hide the stored one
    return keystore.status()


def save_settings(services: DeskServices, settings: Settings) -> None:
    """Apply new settings to the desk and write them (unless this session's settings are not kept)."""
    services.desk.update_settings(settings)
    if services.settings_store is not None:
        services.settings_store.save(settings)
