"""core.demo_launch: the demo's command in the packaged app and from Python, its environment, a failed start."""

from __future__ import annotations

import sys

import pytest

from termii_desk.core import demo_launch
from termii_desk.core.demo_launch import DemoStartError, demo_command, demo_environment, start_demo

AGENT_ENV = {
    "HOME": "/home/agent",
    "TERMII_DESK_HOME": "/home/agent/desk",
    "TERMII_API_KEY": "live-key-0001",
    "PGPASSWORD": "db-secret",
    "DESKTOP_STARTUP_ID": "used-token",
    "XDG_ACTIVATION_TOKEN": "used-token-2",
    "DISPLAY": ":0",
    "LD_LIBRARY_PATH": "/opt/termii-desk/_internal:/usr/local/lib",
    "LD_LIBRARY_PATH_ORIG": "/usr/local/lib",
}


def test_the_packaged_app_runs_itself_with_demo() -> None:
    assert demo_command("/opt/termii-desk/termii-desk", frozen=True) == ["/opt/termii-desk/termii-desk", "--demo"]


def test_python_runs_the_package_with_demo() -> None:
    assert demo_command("/venv/bin/python", frozen=False) == ["/venv/bin/python", "-m", "termii_desk", "--demo"]


def test_the_default_follows_sys_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    assert demo_command() == [sys.executable, "-m", "termii_desk", "--demo"]  # tests run from Python
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/Applications/Termii Desk.app/Contents/MacOS/termii-desk")
    assert demo_command() == ["/Applications/Termii Desk.app/Contents/MacOS/termii-desk", "--demo"]
    assert demo_environment({})[demo_launch.PYINSTALLER_RESET_ENV] == "1"


@pytest.mark.parametrize("frozen", [False, True])
def test_the_demo_never_gets_the_key_a_password_or_this_starts_token(frozen: bool) -> None:
    env = demo_environment(AGENT_ENV, frozen=frozen)
    for withheld in ("TERMII_API_KEY", "PGPASSWORD", "DESKTOP_STARTUP_ID", "XDG_ACTIVATION_TOKEN"):
        assert withheld not in env
    assert "live-key-0001" not in repr(env) and "db-secret" not in repr(env)
    assert env["TERMII_DESK_HOME"] == "/home/agent/desk" and env["DISPLAY"] == ":0"  # the same home and screen


def test_from_the_packaged_app_the_demo_is_a_fresh_start_of_it() -> None:
    env = demo_environment(AGENT_ENV, frozen=True)
    assert env[demo_launch.PYINSTALLER_RESET_ENV] == "1"
    assert env["LD_LIBRARY_PATH"] == "/usr/local/lib" and "LD_LIBRARY_PATH_ORIG" not in env  # the agent's own
    bare = demo_environment({"LD_LIBRARY_PATH": "/opt/termii-desk/_internal"}, frozen=True)
    assert "LD_LIBRARY_PATH" not in bare  # the bundle's own folder was all there was
    from_python = demo_environment(AGENT_ENV, frozen=False)
    assert demo_launch.PYINSTALLER_RESET_ENV not in from_python
    assert from_python["LD_LIBRARY_PATH"] == AGENT_ENV["LD_LIBRARY_PATH"]


def test_a_program_that_cannot_be_run_is_a_sentence(tmp_path: object) -> None:
    with pytest.raises(DemoStartError) as raised:
        start_demo(["/nonexistent/termii-desk", "--demo"], {})
    assert "termii-desk --demo" in str(raised.value) and "Traceback" not in str(raised.value)


def test_a_demo_that_ends_at_once_says_the_desks_own_sentence() -> None:
    script = ("import sys; print('termii-desk: warning: a warning first', file=sys.stderr); "
              "print('termii-desk: no display to open the window on.', file=sys.stderr); sys.exit(3)")
    demo = start_demo([sys.executable, "-c", script], {})
    assert demo.process.wait(timeout=30) == 3
    assert demo.problem() == "The demo did not open: no display to open the window on."
    demo.close()


def test_a_demo_that_crashes_shows_no_traceback() -> None:
    demo = start_demo([sys.executable, "-c", "raise RuntimeError('boom')"], {})
    assert demo.process.wait(timeout=30) == 1
    problem = demo.problem()
    assert "exit code 1" in problem and "Traceback" not in problem and "boom" not in problem
    demo.close()


def test_a_demo_that_opened_has_no_problem() -> None:
    demo = start_demo([sys.executable, "-c", "pass"], {})
    assert demo.process.wait(timeout=30) == 0 and demo.problem() == ""
    demo.close()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX sessions")
def test_the_demo_runs_in_a_session_of_its_own() -> None:
    import os

    demo = start_demo([sys.executable, "-c", "import time; time.sleep(30)"], {})
    try:
        assert os.getsid(demo.pid) == demo.pid != os.getsid(0)  # not ended with this desk or its terminal
        assert demo.poll() is None and demo.problem() == ""
    finally:
        demo.process.kill()
        demo.process.wait(timeout=30)
        demo.close()
