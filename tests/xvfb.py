"""A private Xvfb for the end-to-end tests and the benchmarks, on a display number it picks itself."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def running_xvfb(screen: str = "1280x900x24") -> Iterator[str]:
    """Starts Xvfb with ``-displayfd`` (so parallel runs never clash); yields ``":N"``, stops it after.

    ``-noreset``: by default an X server resets itself each time its last client disconnects, and drops the
    connections that arrive meanwhile (about 1 in 30 of back-to-back connections here). A test that polls the
    display with ``xwininfo`` while a desk starts would now and then see the desk die with Qt's "could not
    connect to display", before it had shown anything. The other side of it: what one desk leaves in the server
    stays for the next, a key held down too, so keys are always released (see bench/typing_at_start.py)."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", screen, "-nolisten", "tcp", "-noreset"],
        pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        end_process(server)


def end_process(process: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """Asks ``process`` to end (SIGTERM) and waits; kills it when it has not ended after ``timeout`` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# -- driving a desk on the display as a person does: keys into the focused window -----------------------------


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Polls ``condition`` until it holds; fails naming ``what`` after ``timeout`` seconds (a generous bound)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {timeout:g} s")
        time.sleep(0.05)


def xdotool(display: str, *args: str, timeout: float = 30.0) -> str:
    done = subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display}, capture_output=True,
                          text=True, timeout=timeout, check=True)
    return done.stdout.strip()


def type_text(display: str, text: str) -> None:
    """Types ``text`` into the focused window, 40 ms a key, as a person types."""
    xdotool(display, "type", "--delay", "40", text)


def keys(display: str, *names: str, pause: float = 0.15) -> None:
    """Presses each key (xdotool names: "ctrl+f", "Down", "Menu", "shift+F10"), with a person's pause after it."""
    for name in names:
        xdotool(display, "key", name)
        time.sleep(pause)


def type_call(display: str, phone: str, code: str, *, send: bool = True) -> None:
    """What an agent types for one call: the number, Tab, the code and (with ``send``) Return."""
    type_text(display, phone)
    keys(display, "Tab")
    type_text(display, code)
    if send:
        keys(display, "Return")


def clipboard(display: str) -> str:
    """The X clipboard's text (what Ctrl+C put there), read with xclip; "" when it holds none."""
    done = subprocess.run(["xclip", "-o", "-selection", "clipboard"], env={**os.environ, "DISPLAY": display},
                          capture_output=True, text=True, timeout=10, check=False)
    return done.stdout if done.returncode == 0 else ""


def set_clipboard(display: str, text: str) -> None:
    """Puts ``text`` on the X clipboard (xclip serves it in the background until another owner takes it)."""
    subprocess.run(["xclip", "-i", "-selection", "clipboard"], input=text, env={**os.environ, "DISPLAY": display},
                   text=True, timeout=10, check=True)


def start_desk(display: str, home: Path, base_url: str, key: str, output: Path, *,
               command: list[str] | None = None, **env: str) -> subprocess.Popen[bytes]:
    """``termii-desk`` as its own process on ``display``, its folders under ``home``, talking to ``base_url``;
    what it prints goes to ``output``. ``command`` (default: this Python's ``-m termii_desk``) is how it is
    started (the virtualenv's script, the bundle); ``env`` adds variables (TZ, HOME, XDG_RUNTIME_DIR...)."""
    import sys

    root = Path(__file__).resolve().parents[1]
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TERMII_", "QT_"))}
    environ.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", TERMII_API_KEY=key, TERMII_BASE_URL=base_url,
                   TERMII_DESK_HOME=str(home), PYTHONPATH=str(root))
    environ.update(env)
    with output.open("w") as out:
        return subprocess.Popen(command or [sys.executable, "-m", "termii_desk"], env=environ, stdout=out,
                                stderr=subprocess.STDOUT, cwd=output.parent)


def focused_desk(display: str) -> str:
    """Waits for the desk's window and gives it the keyboard, as a desktop does for a window that opens."""
    window = xdotool(display, "search", "--sync", "--name", "Termii Desk").split()[0]
    xdotool(display, "windowfocus", "--sync", window)
    return window


NOTHING_COPIED = "-nothing copied-"


class DeskOnDisplay:
    """A desk process on ``display``, its home and output under ``tmp_path``, talking to ``simulator``; the
    keys an agent presses and what they copy. ``end()`` kills the desk if it is still running."""

    def __init__(self, display: str, simulator: Any, tmp_path: Path) -> None:
        self.display = display
        self.simulator = simulator
        self.tmp_path = tmp_path
        self.home = tmp_path / "desk-home"
        self.output = tmp_path / "app-output.txt"
        self.process: subprocess.Popen[bytes] | None = None

    def copied(self, *key_names: str) -> str:
        """What the keys (ending with a copy) put on the clipboard: waited for, from a marker put there first."""
        set_clipboard(self.display, NOTHING_COPIED)
        keys(self.display, *key_names)
        wait_for(lambda: clipboard(self.display) != NOTHING_COPIED, f"the clipboard after {key_names}", 10)
        return clipboard(self.display)

    def end(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
