"""An agent's database password, in the operating system's keyring (one entry per role, server and database).

Optional: without one, libpq finds the password its own ways (PGPASSWORD, ~/.pgpass) or needs none (peer,
trust, certificate). Never written to settings, logs or history.
"""

from __future__ import annotations

from typing import Any

from termii_desk.core.errors import KeyringUnavailableError
from termii_desk.core.keystore import SERVICE, KeyStore
from termii_desk.core.logs import register_secret
from termii_desk.core.team import HistoryTarget


class TeamPasswords:
    """get / set of the shared history's password, through the same keyring rules as the API key."""

    def __init__(self, backend: Any = None) -> None:
        self._store = KeyStore(backend=backend, environ={})

    def get(self, target: HistoryTarget) -> str | None:
        """The stored password, or None (none stored, or no keyring: libpq's own ways may still work)."""
        try:
            password = self._store._call("get_password", SERVICE, target.keyring_username)
        except KeyringUnavailableError:
            return None
        if password:
            register_secret(password)
        return str(password) if password else None

    def set(self, target: HistoryTarget, password: str) -> str:
        """Store it; returns the keyring's name. Raises ``KeyringUnavailableError``."""
        register_secret(password)
        self._store._call("set_password", SERVICE, target.keyring_username, password)
        return self._store.backend_name()

    def delete(self, target: HistoryTarget) -> None:
        import contextlib

        import keyring.errors

        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            self._store._call("delete_password", SERVICE, target.keyring_username)
