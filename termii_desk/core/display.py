"""Whether the window has a display to open on, asked before Qt is loaded.

Qt ends the process with SIGABRT when it cannot connect to any display, after a message about platform plugins
and "reinstalling the application", which is neither true nor something an agent can act on. On Linux this
looks first: with no ``DISPLAY`` or ``WAYLAND_DISPLAY`` at all, or when nothing listens where they point (a
desktop session that has ended, a display number from another session, an SSH login without X forwarding),
the desk says so in a sentence and exits instead.

Looking is one connect() to the X server's or the Wayland compositor's socket, closed at once, without the X
connection set-up (so the X server never counts it as a client), before Qt makes its own connection. Where the
answer cannot be known from here (another Qt platform, a ``DISPLAY`` of a form not read here), Qt decides.
"""

from __future__ import annotations

import _socket  # the C module, as in core.instance: no selectors, enums or array at start-up
import os
import sys
from collections.abc import Mapping
from typing import Any

# Qt platform plugins that need a desktop's display, and the kind of display each connects to.
_DESKTOP_PLATFORMS = {"xcb": "x11", "wayland": "wayland", "wayland-egl": "wayland"}
X11_TCP_BASE_PORT = 6000  # display N of a remote host listens on TCP port 6000 + N (SSH forwarding: 6010...)
CONNECT_TIMEOUT_S = 2.0
COMMAND_LINE = "the command line works without one: termii-desk --help."
NO_DISPLAY = ("no display to open the window on (DISPLAY and WAYLAND_DISPLAY are not set). Run it in a desktop "
              f"session; {COMMAND_LINE}")


def display_problem(environ: Mapping[str, str] | None = None, *, platform: str | None = None) -> str | None:
    """A sentence when the window cannot open for want of a display, else ``None`` (also whenever it cannot be
    told from here: other systems, other Qt platforms such as ``offscreen``)."""
    env = os.environ if environ is None else environ
    if not (platform or sys.platform).startswith("linux"):
        return None
    requested = [name.split(":", 1)[0].strip().lower() for name in env.get("QT_QPA_PLATFORM", "").split(";")
                 if name.strip()]
    if any(name not in _DESKTOP_PLATFORMS for name in requested):
        return None  # offscreen, vnc, eglfs...: no desktop display needed, or not one this can look for
    kinds = {_DESKTOP_PLATFORMS[name] for name in requested} or {"x11", "wayland"}
    x11, wayland = env.get("DISPLAY", "").strip(), env.get("WAYLAND_DISPLAY", "").strip()
    unreachable = []
    if "x11" in kinds and x11:
        if _x11_answers(x11):
            return None
        unreachable.append(f"DISPLAY={x11}")
    if "wayland" in kinds and wayland:
        if _wayland_answers(wayland, env.get("XDG_RUNTIME_DIR", "").strip()):
            return None
        unreachable.append(f"WAYLAND_DISPLAY={wayland}")
    if not unreachable:
        return NO_DISPLAY
    from termii_desk.core.formatting import display_text  # only for the sentence: decimal is a few ms

    shown = " or ".join(display_text(name, 80) for name in unreachable)
    return (f"cannot reach the display ({shown}): no desktop session answers there. Start Termii Desk from "
            f"within the desktop session, or set the variable to its display; {COMMAND_LINE}")


def _x11_answers(display: str) -> bool:
    """Whether an X server listens for ``display`` (``:0``, ``:1.0``, ``unix:0``, ``host:10.0``); True for a form
    not read here, so that Qt decides."""
    host, colon, rest = display.rpartition(":")
    number = rest.split(".", 1)[0]
    if not colon or not number.isdigit() or host.startswith("/"):
        return True
    if host in ("", "unix"):
        socket_name = f"/tmp/.X11-unix/X{int(number)}"
        # Linux X servers listen on an abstract socket and on the file; a server in another mount namespace
        # (a container, a sandbox) may have only one of them reachable.
        return any(_unix_answers(address) for address in ("\0" + socket_name, socket_name))
    return _tcp_answers(host.strip("[]"), X11_TCP_BASE_PORT + int(number))


def _wayland_answers(name: str, runtime: str) -> bool:
    path = name if os.path.isabs(name) else os.path.join(runtime, name) if runtime else ""
    return bool(path) and _unix_answers(path)


def _unix_answers(address: str) -> bool:
    return _connects(_socket.AF_UNIX, address)


def _tcp_answers(host: str, port: int) -> bool:
    try:
        addresses = _socket.getaddrinfo(host, port, 0, _socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return False
    return any(_connects(family, address) for family, _kind, _protocol, _name, address in addresses)


def _connects(family: int, address: str | tuple[Any, ...]) -> bool:
    """Whether something accepts a connection at ``address``; the socket is closed at once."""
    client = _socket.socket(family, _socket.SOCK_STREAM)
    try:
        client.settimeout(CONNECT_TIMEOUT_S)
        client.connect(address)
    except OSError:
        return False
    finally:
        client.close()
    return True
