"""Smoke test of what ships: builds the one-folder bundle once, then runs the built executable, not Python."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

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
    assert "SecretService" not in done.stdout  # the library's name for it: the agent reads the system's
    assert "Key ending …9876 is stored in GNOME Keyring (your login keyring)." in done.stdout


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
    # shiboken6's support code, compiled at build time where the bundle's start looks for it (ui/_shiboken.py)
    support = f"_shiboken_support.{sys.implementation.cache_tag}.pyc"
    assert (internal / "termii_desk" / "ui" / "__pycache__" / support).is_file()
    # and the methods of the dataclasses a start makes and its patterns' programs (core/code_cache.py)
    from termii_desk.core import code_cache

    methods = code_cache.read(str(internal / "termii_desk" / "__pycache__" /
                                  f"{code_cache.DATACLASS_CACHE_NAME}.{sys.implementation.cache_tag}.pyc"))
    assert len(methods) > 100
    assert any("(message_id={self.message_id!r}, pin_id=" in source for source, _optimize in methods)
    patterns = code_cache.read(str(internal / "termii_desk" / "__pycache__" /
                                   f"{code_cache.REGEX_CACHE_NAME}.{sys.implementation.cache_tag}.pyc"))
    assert len(patterns) > 50 and patterns[""][0] == "_sre"


# Runs in a separate Python with the bundle's ICU folder and version: ICU's init (converter aliases), an English
# collator and a time-zone name must come out of the trimmed data. Prints the zone's name.
ICU_PROBE = """
import ctypes, sys
folder, version = sys.argv[1:]
uc, i18n = ctypes.CDLL(f"{folder}/libicuuc.so.{version}"), ctypes.CDLL(f"{folder}/libicui18n.so.{version}")
status, name = ctypes.c_int(0), ctypes.create_string_buffer(128)
getattr(uc, f"u_init_{version}")(ctypes.byref(status))
ucol_open, ucal_open = getattr(i18n, f"ucol_open_{version}"), getattr(i18n, f"ucal_open_{version}")
ucol_open.restype = ucal_open.restype = ctypes.c_void_p
assert ucol_open(b"en_GB", ctypes.byref(status)) and status.value <= 0, status.value
calendar = ucal_open("Africa/Lagos".encode("utf-16-le") + bytes(2), -1, b"en_GB", 0, ctypes.byref(status))
length = getattr(i18n, f"ucal_getTimeZoneDisplayName_{version}")(
    ctypes.c_void_p(calendar), 0, b"en_GB", name, 64, ctypes.byref(status))  # 0: UCAL_STANDARD
assert status.value <= 0, status.value
print(name.raw[:2 * length].decode("utf-16-le"))
"""


def test_icu_data_is_trimmed_and_still_serves_english(exe: Path, desk_home: Path) -> None:
    missing = [tool for tool in ("nm", "readelf", "icupkg", "genccode", "gcc") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"build.py keeps ICU's full data without {', '.join(missing)} (icu-devtools, gcc, binutils)")
    data, = (p for p in (exe.parent / "_internal").rglob("libicudata.so.*") if not p.is_symlink())
    assert data.stat().st_size < 8_000_000, "packaging/icu.py keeps only root and English (about 3.6 MiB)"
    probe = run([sys.executable, "-c", ICU_PROBE, data.parent, data.name.rsplit(".", 1)[1]], clean_env())
    assert probe.returncode == 0
    assert probe.stdout.strip() == "West Africa Standard Time"
    done = run([exe, "--self-test"], clean_env(QT_QPA_PLATFORM="offscreen", TERMII_DESK_HOME=str(desk_home)))
    assert done.returncode == 0
    assert "self-test ok" in done.stdout
    assert "ICU" not in done.stderr and "libicu" not in done.stderr


def test_the_bundle_writes_to_a_team_history(exe: Path, desk_home: Path, simulator: TermiiSimulator,
                                             team: Any) -> None:
    """psycopg and its own libpq are inside the bundle: a call is recorded on a real PostgreSQL, as alice."""
    from tests.postgres_server import AGENT_PASSWORDS

    env = clean_env(TERMII_API_KEY=SIM_KEY, TERMII_BASE_URL=simulator.url, TERMII_DESK_HOME=str(desk_home),
                    TERMII_DESK_HISTORY_URL=team.url("alice"), PGPASSWORD=AGENT_PASSWORDS["alice"])
    status = run([exe, "team", "status"], env)
    assert status.returncode == 0 and "Agent: alice" in status.stdout
    done = run([exe, "call", "+2348031234567", "123456"], env)
    assert done.returncode == 0 and done.stderr == ""
    assert [(r[1], r[2], r[3]) for r in team.rows()] == [("alice", "2348031234567", "sent")]


def test_bundle_size_stays_under_120_mb(exe: Path) -> None:
    size = sum(p.stat().st_size for p in exe.parent.rglob("*") if p.is_file() and not p.is_symlink())
    print(f"bundle: {size / 2**20:.1f} MiB")
    assert size < 120 * 10**6


def _loads_qt(stderr: str) -> bool:
    """Whether the dynamic loader's trace (LD_DEBUG=libs) shows Qt's core library being loaded."""
    return any("libQt6Core" in line and "calling init" in line for line in stderr.splitlines())


def test_the_command_line_starts_without_qt(exe: Path, desk_home: Path) -> None:
    # PyInstaller's PySide6 runtime hook imported QtCore before the desk's first line; it now runs with PySide6.
    env = clean_env(TERMII_DESK_HOME=str(desk_home), LD_DEBUG="libs")
    for command in (["--version"], ["history"]):
        done = run([exe, *command], env)
        assert done.returncode == 0 and not _loads_qt(done.stderr), command
    shown = run([exe, "--self-test"], clean_env(QT_QPA_PLATFORM="offscreen", TERMII_DESK_HOME=str(desk_home),
                                                LD_DEBUG="libs"))
    assert shown.returncode == 0 and _loads_qt(shown.stderr)  # the trace does show Qt when it is loaded


def test_a_second_start_of_the_bundle_hands_over_without_qt(exe: Path, desk_home: Path, tmp_path: Path) -> None:
    import tempfile
    import time

    runtime = Path(tempfile.mkdtemp(prefix="rt-", dir="/tmp"))
    env = clean_env(QT_QPA_PLATFORM="offscreen", TERMII_DESK_HOME=str(desk_home), XDG_RUNTIME_DIR=str(runtime),
                    TERMII_API_KEY="bundle-key", TERMII_BASE_URL="http://127.0.0.1:9")
    first = subprocess.Popen([str(exe)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)  # it takes the lock before anything else; from then on a start hands over or waits
        deadline = time.monotonic() + 60
        while True:
            second = run([exe], {**env, "LD_DEBUG": "libs"}, timeout=30)
            if first.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the first desk ended ({first.poll()}) or never answered")
            if second.returncode == 0 and not second.stdout:
                break  # handed over (the window takes requests once painted)
            time.sleep(0.2)
        assert not _loads_qt(second.stderr) and first.poll() is None
        # The running desk answers the start from its listener's thread, then raises its window on the GUI
        # thread, which logs it: possibly after the second start has ended.
        log_file = desk_home / "logs" / "termii-desk.log"
        _wait_for(lambda: "brought to the front" in log_file.read_text(), "the running desk raising its window",
                  timeout=10, output=log_file)
    finally:
        first.terminate()
        first.wait(timeout=30)
        shutil.rmtree(runtime, ignore_errors=True)


def _demo_answers(env: dict[str, str]) -> bool:
    """Whether a demo desk for ``env``'s home and runtime folder listens and answers a start."""
    from termii_desk.core import instance

    path = instance.socket_path(env, demo=True)
    request = {"protocol": instance.PROTOCOL, "argv": ["--demo"], "activation": {}}
    return path is not None and os.path.exists(path) and instance._hand_over(path, request) is not None


def _wait_for(condition: Any, what: str, timeout: float = 60, *, output: Path | None = None) -> None:
    """Poll ``condition`` until it holds; fail naming ``what``, with the tail of ``output`` (a process's log)."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            tail = output.read_text(errors="replace")[-2000:] if output is not None and output.exists() else ""
            raise AssertionError(f"gave up waiting for {what}" + (f"; its output:\n{tail}" if tail else ""))
        time.sleep(0.2)


def test_the_bundle_starts_its_demo_as_the_button_does(exe: Path, desk_home: Path) -> None:
    """The first-run button's command in the packaged app is the executable itself with --demo, started as a
    fresh run of it; that demo comes up, and a second start brings it forward instead of opening another."""
    import tempfile

    from termii_desk.core.demo_launch import PYINSTALLER_RESET_ENV, demo_command, demo_environment, start_demo

    command = demo_command(str(exe), frozen=True)
    assert command == [str(exe), "--demo"]
    assert demo_command(str(exe), frozen=False)[1:] == ["-m", "termii_desk", "--demo"]  # from Python, not here
    runtime = Path(tempfile.mkdtemp(prefix="rt-", dir="/tmp"))
    env = clean_env(QT_QPA_PLATFORM="offscreen", TERMII_DESK_HOME=str(desk_home), XDG_RUNTIME_DIR=str(runtime),
                    TERMII_API_KEY="agent-key-not-for-the-demo")
    # What the running bundle has: its bootloader put its own library folder on LD_LIBRARY_PATH.
    inside = demo_environment({**env, "LD_LIBRARY_PATH": str(exe.parent / "_internal")}, frozen=True)
    assert inside[PYINSTALLER_RESET_ENV] == "1" and "LD_LIBRARY_PATH" not in inside
    first = start_demo(command, inside)
    try:
        _wait_for(lambda: first.poll() is not None or _demo_answers(env), "the bundle's demo to answer")
        assert first.poll() is None, first.problem()
        assert b"agent-key-not-for-the-demo" not in Path(f"/proc/{first.pid}/environ").read_bytes()
        second = start_demo(command, env)
        assert second.process.wait(timeout=60) == 0, second.problem()  # handed over to the open demo
        second.close()
        assert first.poll() is None
        log = desk_home / "logs" / "termii-desk.log"
        _wait_for(lambda: log.exists() and "starting (demo)" in log.read_text(), "the demo's core")  # after paint
        assert "Traceback" not in log.read_text()
    finally:
        first.process.terminate()
        first.process.wait(timeout=30)
        first.close()
        shutil.rmtree(runtime, ignore_errors=True)


def test_the_bundles_first_run_button_opens_the_bundles_demo(exe: Path, desk_home: Path) -> None:
    """As an agent does it: the packaged app without a key shows the first-run page; Alt+E ("Try the demo") opens
    the packaged demo in a process of its own, on a real X display."""
    import signal
    import tempfile

    missing = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {' and '.join(missing)}")
    from termii_desk.core import instance
    from tests.xvfb import running_xvfb

    runtime = Path(tempfile.mkdtemp(prefix="rt-", dir="/tmp"))
    with running_xvfb() as display:
        env = {k: v for k, v in clean_env(DISPLAY=display, QT_QPA_PLATFORM="xcb", TERMII_DESK_HOME=str(desk_home),
                                          XDG_RUNTIME_DIR=str(runtime),
                                          PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring").items()
               if not k.startswith("DBUS_")}
        output = runtime.parent / f"{runtime.name}.out"  # beside the runtime folder, which must stay private
        with output.open("wb") as sink:
            desk = subprocess.Popen([str(exe)], env=env, stdout=sink, stderr=subprocess.STDOUT)
        demo_pid = 0

        def xdotool(*args: str) -> str:
            done = subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display}, capture_output=True,
                                  text=True, timeout=30, check=False)
            return done.stdout.strip()

        def demo_pids() -> list[int]:
            found = []
            for proc in Path("/proc").iterdir():
                try:
                    argv = (proc / "cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue
                if argv[:2] == [str(exe).encode(), b"--demo"]:
                    found.append(int(proc.name))
            return found

        try:
            _wait_for(lambda: desk.poll() is not None or bool(xdotool("search", "--name", "Termii Desk")),
                      "the packaged desk's window", output=output)
            assert desk.poll() is None, f"the packaged desk ended ({desk.returncode}): " + output.read_text(
                errors="replace")[-2000:]
            window = xdotool("search", "--name", "Termii Desk").split()[0]
            for _ in range(60):  # the page is built just after the first frame; the shortcut works from then on
                xdotool("windowfocus", "--sync", window)
                xdotool("key", "alt+e")
                if demo_pids():
                    break
                import time

                time.sleep(0.5)
            _wait_for(lambda: _demo_answers(env), "the packaged demo to answer")
            pids = demo_pids()
            assert len(pids) == 1 and pids[0] != desk.pid
            demo_pid = pids[0]
            assert os.getsid(demo_pid) == demo_pid and desk.poll() is None
            assert instance.socket_path(env) != instance.socket_path(env, demo=True)
        finally:
            if demo_pid:
                os.kill(demo_pid, signal.SIGTERM)
            desk.terminate()
            desk.wait(timeout=30)
            shutil.rmtree(runtime, ignore_errors=True)
            output.unlink(missing_ok=True)
