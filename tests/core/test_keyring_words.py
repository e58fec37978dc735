"""The keyring named as the agent's system calls it, from keyring's backend names."""

from __future__ import annotations

import pytest

from termii_desk.core.words import SYSTEM_KEYRING, keyring_words


@pytest.mark.parametrize(("backend", "desktop", "words"), [
    ("SecretService Keyring", "GNOME", "GNOME Keyring (your login keyring)"),
    ("SecretService Keyring", "", "GNOME Keyring (your login keyring)"),
    ("libsecret Keyring", "ubuntu:GNOME", "GNOME Keyring (your login keyring)"),
    ("SecretService Keyring", "KDE", "KDE Wallet (your login keyring)"),
    ("kwallet DBusKeyring", "KDE", "KDE Wallet"),
    ("macOS Keyring", "", "macOS Keychain"),
    ("Windows WinVaultKeyring", "", "Windows Credential Manager"),
    ("Some Other Keyring", "", "Some Other Keyring"),
    ("", "", SYSTEM_KEYRING),
])
def test_keyring_words(backend: str, desktop: str, words: str) -> None:
    assert keyring_words(backend, desktop) == words


def test_every_backend_the_desk_can_meet_has_words() -> None:
    """The names keyring gives its own backends are the ones mapped (a renamed backend would fall back)."""
    import keyring.backends.kwallet
    import keyring.backends.libsecret
    import keyring.backends.macOS
    import keyring.backends.SecretService
    import keyring.backends.Windows

    for backend in (keyring.backends.SecretService.Keyring, keyring.backends.libsecret.Keyring,
                    keyring.backends.macOS.Keyring, keyring.backends.Windows.WinVaultKeyring,
                    keyring.backends.kwallet.DBusKeyring):
        assert keyring_words(backend.name) != backend.name, backend.name
