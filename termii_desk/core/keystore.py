"""The Termii API key: kept in the operating system's keyring, never in a file.

``TERMII_API_KEY`` in the environment takes precedence and is never stored.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from termii_desk.core.errors import KeyringUnavailableError
from termii_desk.core.words import keyring_words

SERVICE = "termii-desk"
# The one entry before profiles; each profile now has its own username (core.profiles.keyring_username), and
# the profile ``default`` takes this one's key over the first time it looks (``legacy_username``).
USERNAME = "api-key"
KEY_ENV = "TERMII_API_KEY"

NO_KEYRING_MESSAGE = (
    "No system keyring is available to keep the API key. On Linux, install and unlock a Secret Service "
    "(GNOME Keyring or KWallet); or set TERMII_API_KEY for this session. The key is never written to a file."
)


@dataclass(frozen=True)
class KeyStatus:
    """Where the key comes from, shown without the key itself."""

    source: str  # "environment", "keyring", "session" (memory only) or "none"
    backend: str  # the keyring backend's name, or "" when none works
    last4: str  # the key's last four characters, or ""
    problem: str  # why the keyring cannot be used, or ""

    @property
    def has_key(self) -> bool:
        return self.source != "none"

    def describe(self, profile: str | None = None) -> str:
        """``profile``: the profile this key belongs to, named in the command that stores one."""
        if self.source == "environment":
            return f"Using the key from {KEY_ENV} (ending …{self.last4}); it is not stored."
        if self.source == "session":
            return f"Using a key kept in memory for this session only (ending …{self.last4})."
        if self.source == "keyring":
            return f"Key ending …{self.last4} is stored in {self.keyring_words}."
        if self.problem:
            return self.problem
        return (f"No API key is stored in {self.keyring_words}. Add it in Settings or with "
                f"{key_set_command(profile)}.")

    @property
    def keyring_words(self) -> str:
        """The keyring as the agent's system calls it ("GNOME Keyring (your login keyring)", "macOS Keychain")."""
        return keyring_words(self.backend, os.environ.get("XDG_CURRENT_DESKTOP", ""))


def key_set_command(profile: str | None = None) -> str:
    """The command that stores ``profile``'s key: it names the profile unless it is ``default`` (or None), so that
    following the advice never stores the key under another profile."""
    if profile is None or profile == "default":
        return "`termii-desk key set`"
    return f"`termii-desk --profile {profile} key set`"


def _skip_macos_backend_elsewhere() -> None:
    """Off macOS, mark keyring's macOS API module as absent before keyring looks for its backends.

    keyring imports every backend it knows to ask which one fits. Its macOS backend's API module calls
    ``ctypes.util.find_library`` three times at import, which on Linux runs ``ldconfig`` and ``gcc`` (about
    100 ms of the start, and forks that hold the interpreter, so the window stalls) only to find nothing; the
    backend then says "macOS required". A ``None`` in ``sys.modules`` makes that import fail at once, which
    the backend already handles (it is then unavailable, as it would be anyway).
    """
    if sys.platform != "darwin":
        sys.modules.setdefault("keyring.backends.macOS.api", None)  # type: ignore[arg-type]


class KeyStore:
    """get / set / delete / status of the API key.

    ``backend`` is a keyring backend; by default the one ``keyring`` picks for this system. The ``keyring``
    package is imported on first use, not at start, because its backend discovery is slow.
    """

    def __init__(
        self,
        backend: Any = None,
        environ: Mapping[str, str] | None = None,
        *,
        username: str = USERNAME,
        legacy_username: str | None = None,
    ) -> None:
        """``username`` is the entry under the service ``termii-desk`` (one per profile). A key found under
        ``legacy_username`` while ``username`` has none is moved there (the key stored before profiles)."""
        self._backend = backend
        self._environ = os.environ if environ is None else environ
        self._session_key: str | None = None
        self.username = username
        self._legacy = legacy_username if legacy_username != username else None

    def _keyring(self) -> Any:
        if self._backend is None:
            _skip_macos_backend_elsewhere()
            import keyring

            self._backend = keyring.get_keyring()
        backend = self._backend
        module = type(backend).__module__
        # Refuse backends that keep secrets in plain files or nowhere: the key must not land on disk.
        if module.startswith(("keyring.backends.fail", "keyrings.alt", "keyring.backends.null")):
            raise KeyringUnavailableError(NO_KEYRING_MESSAGE)
        return backend

    def backend_name(self) -> str:
        try:
            backend = self._keyring()
        except KeyringUnavailableError:
            return ""
        return str(getattr(backend, "name", type(backend).__name__))

    def use_for_session(self, key: str) -> None:
        """Keep a key in memory only, for when no keyring works. Never written anywhere."""
        self._session_key = key.strip() or None

    def get(self) -> str | None:
        env_key = self._environ.get(KEY_ENV, "").strip()
        if env_key:
            return env_key
        if self._session_key:
            return self._session_key
        return self._stored()

    def _stored(self) -> str | None:
        stored = self._call("get_password", SERVICE, self.username)
        if stored or self._legacy is None:
            return stored or None
        legacy = self._call("get_password", SERVICE, self._legacy)
        if not legacy:
            return None
        # The key from before profiles: it moves to this profile's entry, so it is kept in one place only.
        self._call("set_password", SERVICE, self.username, legacy)
        self._delete(self._legacy)
        return str(legacy)

    def set(self, key: str) -> None:
        key = key.strip()
        if not key:
            raise ValueError("empty key")
        self._call("set_password", SERVICE, self.username, key)

    def delete(self) -> None:
        """Remove the stored key (and one left from before profiles); nothing to delete is not an error."""
        self._delete(self.username)
        if self._legacy is not None:
            self._delete(self._legacy)
        self._session_key = None

    def _delete(self, username: str) -> None:
        import keyring.errors

        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            self._call("delete_password", SERVICE, username)

    def status(self) -> KeyStatus:
        env_key = self._environ.get(KEY_ENV, "").strip()
        if env_key:
            return KeyStatus("environment", "", env_key[-4:], "")
        try:
            backend_name = self.backend_name() or "no keyring"
            stored = self._stored()
        except KeyringUnavailableError as exc:
            if self._session_key:
                return KeyStatus("session", "", self._session_key[-4:], str(exc))
            return KeyStatus("none", "", "", str(exc))
        if stored:
            return KeyStatus("keyring", backend_name, stored[-4:], "")
        if self._session_key:
            return KeyStatus("session", backend_name, self._session_key[-4:], "")
        return KeyStatus("none", backend_name, "", "")

    def _call(self, method: str, *args: str) -> Any:
        import keyring.errors

        backend = self._keyring()
        try:
            return getattr(backend, method)(*args)
        except keyring.errors.PasswordDeleteError:
            raise
        except keyring.errors.NoKeyringError:
            raise KeyringUnavailableError(NO_KEYRING_MESSAGE) from None
        except keyring.errors.KeyringLocked:
            raise KeyringUnavailableError(
                "The system keyring is locked. Unlock it (log in to the desktop session) and try again."
            ) from None
        except Exception as exc:  # D-Bus and backend errors come in many classes; none may leak the key
            raise KeyringUnavailableError(
                f"The system keyring did not answer ({type(exc).__name__}). Check that it is running and "
                "unlocked, or set TERMII_API_KEY for this session."
            ) from None
