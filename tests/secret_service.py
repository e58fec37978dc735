"""A private Secret Service for tests and benchmarks: its own D-Bus session with an unlocked gnome-keyring."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

PROGRAMS = ("dbus-daemon", "gnome-keyring-daemon")


@contextlib.contextmanager
def running_secret_service(home: Path) -> Iterator[dict[str, str]]:
    """Starts both daemons with ``home`` as their home; yields the variables that reach them, stops them after."""
    home.mkdir(parents=True, exist_ok=True)
    env = {"HOME": str(home), "XDG_RUNTIME_DIR": str(home), "XDG_DATA_HOME": str(home / "data"),
           "XDG_CONFIG_HOME": str(home / "config")}
    daemon = subprocess.run(["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
                            env={**os.environ, **env}, capture_output=True, text=True, check=True, timeout=20)
    address, pid = daemon.stdout.split()[:2]
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    keyring_daemon = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **env},
        text=True,
    )
    try:
        assert keyring_daemon.stdin is not None
        keyring_daemon.stdin.write("test-password\n")  # the keyring's password: it starts unlocked
        keyring_daemon.stdin.close()
        _wait_for_bus_name(address, "org.freedesktop.secrets")
        yield env
    finally:
        keyring_daemon.terminate()
        keyring_daemon.wait(timeout=10)
        os.kill(int(pid), 15)


def _wait_for_bus_name(address: str, name: str, timeout: float = 10.0) -> None:
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
    raise RuntimeError(f"{name} did not appear on the private D-Bus session")
