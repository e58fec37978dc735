"""Shared fixtures: every app folder under tmp_path, Qt offscreen, a simulator on a free loopback port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Before any Qt import: tests never need a display (the e2e tests start their own Xvfb).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("TERMII_API_KEY", None)
os.environ.pop("TERMII_BASE_URL", None)

SIM_KEY = "sim-test-key"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"


@pytest.fixture(autouse=True)
def desk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """TERMII_DESK_HOME in a temporary folder: no test touches the real settings, history or logs."""
    home = tmp_path / "desk-home"
    monkeypatch.setenv("TERMII_DESK_HOME", str(home))
    monkeypatch.delenv("TERMII_API_KEY", raising=False)
    monkeypatch.delenv("TERMII_BASE_URL", raising=False)
    return home


@pytest.fixture
def simulator() -> Iterator[object]:
    """The project's own Termii simulator, on a free loopback port, stopped after the test."""
    from termii_desk.simulator import TermiiSimulator

    with TermiiSimulator(api_key=SIM_KEY) as sim:
        yield sim


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def secret_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Secret Service: a private D-Bus session with an unlocked gnome-keyring. Yields the bus address.

    Skipped where the programs are missing, except in CI, where a missing keyring must fail loudly.
    """
    import shutil
    import subprocess

    missing = [p for p in ("dbus-daemon", "gnome-keyring-daemon") if shutil.which(p) is None]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide a Secret Service; missing: {', '.join(missing)}")
        pytest.skip(f"no Secret Service here (missing {', '.join(missing)})")
    home = tmp_path_factory.mktemp("keyring-home")
    env = {**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(home), "XDG_DATA_HOME": str(home / "data")}
    daemon = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
        env=env, capture_output=True, text=True, check=True, timeout=20,
    )
    address, pid = daemon.stdout.split()[:2]
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    keyring_daemon = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, text=True,
    )
    try:
        assert keyring_daemon.stdin is not None
        keyring_daemon.stdin.write("test-password\n")
        keyring_daemon.stdin.close()
        _wait_for_bus_name(address, "org.freedesktop.secrets")
        yield address
    finally:
        keyring_daemon.terminate()
        keyring_daemon.wait(timeout=10)
        os.kill(int(pid), 15)


def _wait_for_bus_name(address: str, name: str, timeout: float = 10.0) -> None:
    import subprocess
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        names = subprocess.run(
            ["dbus-send", f"--bus={address}", "--print-reply", "--dest=org.freedesktop.DBus",
             "/org/freedesktop/DBus", "org.freedesktop.DBus.ListNames"],
            capture_output=True, text=True, check=False,
        ).stdout
        if f'"{name}"' in names:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not appear on the test D-Bus session")


@pytest.fixture(scope="session")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no trust store knows, and its key: (cert.pem, key.pem)."""
    import shutil

    from tests.fault_matrix import make_certificate

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    return make_certificate(tmp_path_factory.mktemp("tls"))
