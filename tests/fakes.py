"""Keyring backends for tests: one that keeps passwords in memory, one that behaves like no keyring at all."""

from __future__ import annotations

from collections.abc import Callable

import keyring.errors

from termii_desk.ui.worker import Deliver, Executor


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


class HeldExecutor(Executor):
    """Keeps every op until the test runs it, in the order the test chooses (a thread pool, made predictable)."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[tuple[Callable[[], object], Deliver]] = []

    def submit(self, op: Callable[[], object], deliver: Deliver) -> None:
        self.held.append((op, deliver))

    def pending(self) -> int:
        return len(self.held)

    def run(self, index: int = 0) -> None:
        op, deliver = self.held.pop(index)
        try:
            result, error = op(), None
        except Exception as exc:
            result, error = None, exc
        deliver(result, error)

    def run_all(self) -> None:
        while self.held:
            self.run()
