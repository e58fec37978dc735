"""The display check before Qt: real listening sockets for X11 (abstract Unix socket, TCP) and Wayland, and
the places where nothing listens; then the desk itself, started on a display nobody answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from termii_desk.core.display import NO_DISPLAY, X11_TCP_BASE_PORT, display_problem

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check runs on Linux only")
FREE_X_NUMBER = 4871  # no X server on this machine uses it (checked below)


def listening_unix(address: str) -> socket.socket:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(address)
    server.listen(64)  # connections are never accepted here: room for all of them
    return server


@pytest.fixture
def x_server() -> Iterator[int]:
    """Something listening where X display N's abstract socket is, as an X server does; yields N."""
    number = FREE_X_NUMBER + 1
    server = listening_unix(f"\0/tmp/.X11-unix/X{number}")
    yield number
    server.close()


def test_nothing_set_is_no_display() -> None:
    assert display_problem({}, platform="linux") == NO_DISPLAY
    assert display_problem({"QT_QPA_PLATFORM": "xcb"}, platform="linux") == NO_DISPLAY  # Qt would abort too


def test_a_local_display_with_a_server_is_fine(x_server: int) -> None:
    assert display_problem({"DISPLAY": f":{x_server}"}, platform="linux") is None
    assert display_problem({"DISPLAY": f":{x_server}.0", "QT_QPA_PLATFORM": "xcb"}, platform="linux") is None
    assert display_problem({"DISPLAY": f"unix:{x_server}"}, platform="linux") is None


def test_a_local_display_nobody_answers_says_which_and_what_to_do() -> None:
    assert not Path(f"/tmp/.X11-unix/X{FREE_X_NUMBER}").exists()
    problem = display_problem({"DISPLAY": f":{FREE_X_NUMBER}"}, platform="linux")
    assert problem is not None
    assert f"cannot reach the display (DISPLAY=:{FREE_X_NUMBER})" in problem
    assert "desktop session" in problem and "termii-desk --help" in problem
    assert "plugin" not in problem and "reinstall" not in problem.lower()


def test_a_display_over_tcp_as_ssh_forwards_it() -> None:
    with socket.socket() as probe:  # a free port above 6000 stands for display N = port - 6000
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    if port <= X11_TCP_BASE_PORT:
        pytest.skip("the free port the system gave is below 6000")
    env = {"DISPLAY": f"127.0.0.1:{port - X11_TCP_BASE_PORT}.0"}
    assert display_problem(env, platform="linux") is not None  # nothing listens yet
    with socket.create_server(("127.0.0.1", port)):
        assert display_problem(env, platform="linux") is None
    assert display_problem({"DISPLAY": "no-such-host.invalid:10.0"}, platform="linux") is not None


def test_wayland_is_looked_for_in_the_runtime_folder(tmp_path: Path) -> None:
    env = {"WAYLAND_DISPLAY": "wayland-7", "XDG_RUNTIME_DIR": str(tmp_path)}
    problem = display_problem(env, platform="linux")
    assert problem is not None and "WAYLAND_DISPLAY=wayland-7" in problem
    server = listening_unix(str(tmp_path / "wayland-7"))
    try:
        assert display_problem(env, platform="linux") is None
        assert display_problem({"WAYLAND_DISPLAY": str(tmp_path / "wayland-7")}, platform="linux") is None
        assert display_problem({"WAYLAND_DISPLAY": "wayland-7"}, platform="linux") is not None  # no runtime dir
        # Qt told to use X11 only: a Wayland compositor does not help.
        assert display_problem({**env, "QT_QPA_PLATFORM": "xcb"}, platform="linux") == NO_DISPLAY
    finally:
        server.close()


def test_either_display_answering_is_enough(x_server: int, tmp_path: Path) -> None:
    env = {"DISPLAY": f":{x_server}", "WAYLAND_DISPLAY": "gone", "XDG_RUNTIME_DIR": str(tmp_path)}
    assert display_problem(env, platform="linux") is None
    both_gone = display_problem({**env, "DISPLAY": f":{FREE_X_NUMBER}"}, platform="linux")
    assert both_gone is not None and f"DISPLAY=:{FREE_X_NUMBER} or WAYLAND_DISPLAY=gone" in both_gone


def test_what_cannot_be_told_here_is_left_to_qt() -> None:
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, platform="linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "vnc", "DISPLAY": f":{FREE_X_NUMBER}"}, platform="linux") is None
    assert display_problem({"DISPLAY": "/private/tmp/launchd/org.xquartz:0"}, platform="linux") is None
    assert display_problem({}, platform="darwin") is None and display_problem({}, platform="win32") is None


def test_an_odd_display_value_is_shown_printable() -> None:
    problem = display_problem({"DISPLAY": f"\x1b[31m:{FREE_X_NUMBER}"}, platform="linux")
    assert problem is not None and "\x1b" not in problem


@pytest.mark.parametrize("args", [[], ["--demo"]], ids=["plain", "demo"])
def test_the_desk_on_a_display_nobody_answers_says_so_and_exits(args: list[str], tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "WAYLAND_", "TERMII_"))}
    env.update(DISPLAY=f":{FREE_X_NUMBER}", TERMII_DESK_HOME=str(tmp_path / "home"))
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "termii_desk", *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 3, done.stderr  # a sentence and an exit code, not Qt's abort (-6)
    assert done.stderr.startswith("termii-desk: cannot reach the display") and done.stdout == ""
    assert "plugin" not in done.stderr and "Traceback" not in done.stderr
    assert time.monotonic() - started < 30  # returns, rather than hanging on the display


def test_the_self_test_runs_without_the_display(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "WAYLAND_", "TERMII_"))}
    env.update(DISPLAY=f":{FREE_X_NUMBER}", TERMII_DESK_HOME=str(tmp_path / "home"))
    done = subprocess.run([sys.executable, "-m", "termii_desk", "--self-test"], env=env, capture_output=True,
                          text=True, timeout=90, check=False)
    assert done.returncode == 0 and "self-test ok" in done.stdout, done.stderr
