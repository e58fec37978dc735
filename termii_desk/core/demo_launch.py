"""Starting the demo desk from the window: a process of its own, which never touches the agent's desk or key.

The command is this program's own. In the packaged app (PyInstaller sets ``sys.frozen``) ``sys.executable`` is
the app itself: it is run with ``--demo``. From Python, this interpreter runs ``-m termii_desk --demo``. The demo
claims the demo's single instance (``core.instance``, ``demo=True``), never the agent's: when a demo is open
already, the new start brings it to the front and ends at once.

The process is started detached (its own session), so it outlives the window that started it, and with this
process's environment minus what the demo must never see: the API key, a database password, and the one-use
activation token of this desk's own start. What it writes to standard error is kept in an unnamed temporary file,
so that a start that fails at once can be told in its own sentence.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from typing import IO

from termii_desk.core.keystore import KEY_ENV

DEMO_OPTION = "--demo"
# Never passed on to the demo: secrets it has no use for, and tokens that belong to this desk's own start.
WITHHELD_ENV = (KEY_ENV, "PGPASSWORD", "DESKTOP_STARTUP_ID", "XDG_ACTIVATION_TOKEN", "TERMII_DESK_BENCH_PROBE")
# PyInstaller's bootloader treats a child that is the app itself as part of this run unless told otherwise
# (a one-file app would share this process's unpacked folder, gone when the agent closes the desk).
PYINSTALLER_RESET_ENV = "PYINSTALLER_RESET_ENVIRONMENT"
# Linux bundles put their own library folder first on LD_LIBRARY_PATH and keep the agent's value in *_ORIG.
LIBRARY_PATH_ENV = "LD_LIBRARY_PATH"
MAX_OUTPUT = 64 * 1024
CLI_PREFIX = "termii-desk: "


class DemoStartError(Exception):
    """The demo could not be started: the sentence says what to do."""


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def demo_command(executable: str | None = None, *, frozen: bool | None = None) -> list[str]:
    """The demo's command line: ``[app, "--demo"]`` in the packaged app, ``[python, "-m", "termii_desk",
    "--demo"]`` otherwise."""
    program = executable if executable is not None else sys.executable
    if frozen if frozen is not None else is_frozen():
        return [program, DEMO_OPTION]
    return [program, "-m", "termii_desk", DEMO_OPTION]


def demo_environment(environ: Mapping[str, str] | None = None, *, frozen: bool | None = None) -> dict[str, str]:
    """This environment for the demo: without ``WITHHELD_ENV``; from the packaged app, as a fresh start of it."""
    env = {name: value for name, value in (os.environ if environ is None else environ).items()
           if name not in WITHHELD_ENV}
    if frozen if frozen is not None else is_frozen():
        env[PYINSTALLER_RESET_ENV] = "1"
        original = env.pop(LIBRARY_PATH_ENV + "_ORIG", None)
        if original is not None:
            env[LIBRARY_PATH_ENV] = original
        else:
            env.pop(LIBRARY_PATH_ENV, None)
    return env


class DemoProcess:
    """A demo start: ``poll()`` is None while it runs, its exit code once it ended (0: it opened, or it brought
    the demo already open to the front); ``problem()`` is then the sentence for an exit that was not 0."""

    def __init__(self, process: subprocess.Popen[bytes], output: IO[bytes]) -> None:
        self.process = process
        self._output: IO[bytes] | None = output

    @property
    def pid(self) -> int:
        return self.process.pid

    def poll(self) -> int | None:
        return self.process.poll()

    def problem(self) -> str:
        code = self.poll()
        if code is None or code == 0:
            return ""
        said = ""
        if self._output is not None:
            self._output.seek(0)
            lines = self._output.read(MAX_OUTPUT).decode("utf-8", "replace").splitlines()
            # Only a sentence the desk wrote for the agent; anything else (a crash's trace) is for the log.
            said = next((line[len(CLI_PREFIX):].strip() for line in reversed(lines)
                         if line.startswith(CLI_PREFIX) and "warning:" not in line), "")
        if said:
            return f"The demo did not open: {said}"
        return (f"The demo stopped as it started (exit code {code}). Try `termii-desk --demo` in a terminal to "
                "see why; the desk's log file may say more.")

    def close(self) -> None:
        """Stop keeping its output (the demo goes on running)."""
        if self._output is not None:
            self._output.close()
            self._output = None


def start_demo(command: list[str] | None = None, environ: Mapping[str, str] | None = None) -> DemoProcess:
    """Start the demo desk detached; raises ``DemoStartError`` when the program cannot be run at all."""
    command = command if command is not None else demo_command()
    env = demo_environment(environ)
    output = tempfile.TemporaryFile()  # noqa: SIM115 (closed by DemoProcess.close)
    options: dict[str, object] = {}
    if sys.platform == "win32":
        options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.DETACHED_PROCESS
    else:
        options["start_new_session"] = True  # not ended with this desk, nor by its terminal's hang-up
    try:
        process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=output, close_fds=True, **options)  # type: ignore[call-overload]
    except (OSError, ValueError) as exc:
        output.close()
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise DemoStartError(
            f"The demo could not be started ({reason}). Start it from a terminal with `termii-desk --demo`, "
            "or install Termii Desk again."
        ) from None
    return DemoProcess(process, output)
