"""Keyring backends for tests: one that keeps passwords in memory, one that behaves like no keyring at all."""

from __future__ import annotations

import keyring.errors


class MemoryKeyring:
    """A keyring backend that keeps passwords in a dict (what a working Secret Service does, minus D-Bus)."""

    name = "Test keyring"
    priority = 1

    def __init__(self) -> None:
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("no such password")


class BrokenKeyring:
    """A backend like keyring's when no Secret Service runs: every call raises ``NoKeyringError``."""

    name = "Broken keyring"
    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.NoKeyringError("No recommended backend was available.")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.NoKeyringError("No recommended backend was available.")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.NoKeyringError("No recommended backend was available.")
