"""The API key in the keyring: a real Secret Service, the environment override, and no backend at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from termii_desk.core.errors import KeyringUnavailableError
from termii_desk.core.keystore import SERVICE, USERNAME, KeyStore
from tests.fakes import BrokenKeyring as NoBackend

KEY = "sk_live_KEYSTORETEST9876"


class BrokenBackend(NoBackend):
    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError(f"D-Bus exploded while reading {username}")


@pytest.fixture
def real_store(secret_service: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[KeyStore]:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service)
    from keyring.backends.SecretService import Keyring

    store = KeyStore(backend=Keyring(), environ={})
    yield store
    store.delete()


@pytest.mark.keyring
def test_set_get_delete_with_a_real_secret_service(real_store: KeyStore, secret_service: str) -> None:
    assert real_store.get() is None
    real_store.set(KEY)
    assert real_store.get() == KEY
    from keyring.backends.SecretService import Keyring

    assert Keyring().get_password(SERVICE, USERNAME) == KEY  # really in the Secret Service
    status = real_store.status()
    assert (status.source, status.last4) == ("keyring", "9876")
    assert "SecretService" in status.backend
    assert KEY not in status.describe()
    real_store.delete()
    assert real_store.get() is None
    real_store.delete()  # deleting twice is not an error


@pytest.mark.keyring
def test_key_is_not_written_to_any_project_file(real_store: KeyStore, desk_home: Path) -> None:
    real_store.set(KEY)
    for path in desk_home.rglob("*") if desk_home.exists() else []:
        if path.is_file():
            assert KEY.encode() not in path.read_bytes()


def test_environment_key_wins_and_is_never_stored() -> None:
    backend = NoBackend()
    store = KeyStore(backend=backend, environ={"TERMII_API_KEY": " envkey1234 "})
    assert store.get() == "envkey1234"
    status = store.status()
    assert status.source == "environment" and status.last4 == "1234"
    assert "not stored" in status.describe()


def test_no_backend_says_so_plainly() -> None:
    store = KeyStore(backend=NoBackend(), environ={})
    with pytest.raises(KeyringUnavailableError) as caught:
        store.get()
    assert "No system keyring" in str(caught.value) and "TERMII_API_KEY" in str(caught.value)
    with pytest.raises(KeyringUnavailableError):
        store.set(KEY)
    status = store.status()
    assert status.source == "none" and "No system keyring" in status.describe()


def test_default_fail_backend_is_refused_not_used() -> None:
    from keyring.backends.fail import Keyring as FailKeyring

    store = KeyStore(backend=FailKeyring(), environ={})
    with pytest.raises(KeyringUnavailableError, match="No system keyring"):
        store.get()


def test_backend_errors_become_a_sentence_without_details() -> None:
    store = KeyStore(backend=BrokenBackend(), environ={})
    with pytest.raises(KeyringUnavailableError, match="did not answer") as caught:
        store.get()
    assert "exploded" not in str(caught.value)


def test_session_only_key_when_no_keyring() -> None:
    store = KeyStore(backend=NoBackend(), environ={})
    store.use_for_session("sessionkey5555")
    assert store.get() == "sessionkey5555"
    assert store.status().source == "session"


def test_finding_the_backend_off_macos_runs_no_library_search() -> None:
    # keyring's macOS backend looks for the Security framework at import: ldconfig and gcc, ~100 ms on Linux.
    import subprocess
    import sys

    if sys.platform == "darwin":
        pytest.skip("on macOS the macOS backend is the one to use")
    probe = (
        "import ctypes.util, sys\n"
        "calls = []\n"
        "ctypes.util.find_library = lambda name: calls.append(name)\n"
        "from termii_desk.core.keystore import KeyStore\n"
        "KeyStore(environ={}).backend_name()\n"
        "print(calls, 'keyring.backends.macOS' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True,
                          env={"PATH": "/usr/bin:/bin", "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"})
    assert done.stdout.split() == ["[]", "True"]  # the backend was looked at, without a library search
