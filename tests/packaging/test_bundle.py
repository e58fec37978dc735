"""Smoke test of what ships: builds the one-folder bundle once, then runs the built executable, not Python."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from termii_desk import __version__
from termii_desk.simulator import TermiiSimulator
from tests.conftest import SIM_KEY

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[2]
EXE = ROOT / "dist" / "termii-desk" / "termii-desk"


@pytest.fixture(scope="module")
def exe() -> Path:
    if not sys.platform.startswith("linux"):
        pytest.skip("the bundle is built and tested on Linux only (Windows and macOS: see the README)")
    build = subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py")], cwd=ROOT, timeout=1800)
    assert build.returncode == 0, "packaging/build.py failed; its output is above"
    assert EXE.is_file()
    return EXE


def run(command: list[str | Path], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(c) for c in command], env=env, capture_output=True, text=True, timeout=timeout)
    print(done.stdout, done.stderr, sep="\n")  # shown by pytest when a test fails
    return done


def clean_env(**overrides: str) -> dict[str, str]:
    """This environment without the desk's and Python's variables, plus ``overrides``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TERMII_", "PYTHON"))}
    return {**env, **overrides}


def test_version(exe: Path, desk_home: Path) -> None:
    done = run([exe, "--version"], clean_env(TERMII_DESK_HOME=str(desk_home)))
    assert done.returncode == 0
    assert done.stdout.strip() == f"termii-desk {__version__}"


def test_call_through_the_simulator_writes_history(exe: Path, desk_home: Path, simulator: TermiiSimulator) -> None:
    env = clean_env(TERMII_API_KEY=SIM_KEY, TERMII_BASE_URL=simulator.url, TERMII_DESK_HOME=str(desk_home))
    done = run([exe, "call", "+2348031234567", "123456"], env)
    assert done.returncode == 0
    assert len(simulator.calls) == 1
    history = desk_home / "data" / "history.sqlite3"
    with sqlite3.connect(history) as db:
        rows = db.execute("SELECT phone, outcome FROM attempts").fetchall()
    assert len(rows) == 1
    assert rows[0][0].endswith("8031234567")
    assert rows[0][1] == "sent"


def test_self_test_opens_the_window_and_sends(exe: Path, desk_home: Path) -> None:
    done = run([exe, "--self-test"], clean_env(QT_QPA_PLATFORM="offscreen", TERMII_DESK_HOME=str(desk_home)))
    assert done.returncode == 0
    assert "self-test ok" in done.stdout


def test_keyring_backend_is_found_under_a_real_secret_service(exe: Path, tmp_path: Path, desk_home: Path) -> None:
    missing = [p for p in ("dbus-run-session", "gnome-keyring-daemon") if shutil.which(p) is None]
    if missing:
        pytest.skip(f"needs {' and '.join(missing)} for a real Secret Service")
    script = (
        "echo pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; "
        f"echo sim-key-9876 | '{exe}' key set && '{exe}' key status"
    )
    env = {k: v for k, v in clean_env(HOME=str(tmp_path), TERMII_DESK_HOME=str(desk_home)).items()
           if not k.startswith(("DBUS_", "XDG_"))}
    done = run(["dbus-run-session", "--", "sh", "-c", script], env)
    assert done.returncode == 0
    assert "SecretService" in done.stdout
    assert "Key ending …9876 is stored in SecretService Keyring." in done.stdout


def test_bundle_holds_what_the_window_needs_and_nothing_it_does_not(exe: Path) -> None:
    internal = exe.parent / "_internal"
    plugins = internal / "PySide6" / "Qt" / "plugins"
    for needed in ("platforms/libqxcb.so", "platforms/libqwayland.so", "platforms/libqoffscreen.so",
                   "iconengines/libqsvgicon.so", "imageformats/libqsvg.so"):
        assert (plugins / needed).is_file(), needed
    for needed in ("icon.svg", "termii-desk.desktop", "icons/hicolor/256x256/apps/termii-desk.png"):
        assert (internal / "resources" / needed).is_file(), needed
    names = [path.name for path in internal.rglob("*")]
    unwanted = ("libgtk", "libQt6Quick", "libQt6Qml", "libQt6Network", "libQt6Pdf", "libqgtk3", "libqtiff")
    assert not [name for name in names if name.startswith(unwanted)]
    assert not list(internal.rglob("*.qm")), "Qt translations are left out"
