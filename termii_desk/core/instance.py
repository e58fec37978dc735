"""One desk window per user and home folder: a second start hands its arguments to the running desk and exits.

Checked before Qt is imported, with the standard library alone, so a second start costs little more than the
interpreter's own start. The running desk (the "primary") holds an exclusive ``flock`` on a lock file and
listens on a Unix socket next to it, both in a folder of the user's runtime directory (``$XDG_RUNTIME_DIR``,
else a ``termii-desk-<uid>`` folder in the temporary directory) that only the user can enter (0700; the socket
0600). Their names are derived from ``TERMII_DESK_HOME`` (or, when it is unset, the user's own folders), so two
homes are two desks.

A start that finds the socket answering sends one JSON line (its arguments and the desktop's activation token)
and waits for the primary's acknowledgement, given at once by the primary's listener thread, even while its
window is still being built. A socket left by a desk that was killed answers nobody: its lock is free (the
kernel releases a dead process's ``flock``), so the new start takes the lock, replaces the socket and is the
primary. A start that finds the lock held but no answer retries for a moment (the primary is between taking
the lock and listening), then gives up with a sentence.

A demo (``--demo``) is a desk of its own, under its own name: it never hands over to, nor replaces, the agent's
desk, and a second demo start brings the running demo to the front.

Where Unix sockets or ``flock`` do not exist (Windows), every start is its own desk.
"""

from __future__ import annotations

import _socket  # the C module: socket.py would bring selectors, enum classes and array (~3 ms of every start)
import _thread  # threading's own layer: ~1 ms
import contextlib
import os
import stat
import sys
import time
import zlib
from collections.abc import Callable, Mapping
from typing import Any

HOME_ENV = "TERMII_DESK_HOME"  # core.paths.HOME_ENV (not imported: pathlib and dataclasses cost ~5 ms here)
PROTOCOL = "termii-desk/1"
MAX_MESSAGE = 64 * 1024
CONNECT_TIMEOUT_S = 2.0  # an acknowledgement comes from a thread that does nothing else: milliseconds
LOCKED_RETRY_S = 2.0  # how long to look for the socket of a primary that holds the lock but is not listening
# Passed on so that the window manager lets the running desk take the focus (X11 startup notification, Wayland).
ACTIVATION_ENV = ("DESKTOP_STARTUP_ID", "XDG_ACTIVATION_TOKEN")

Request = dict[str, Any]
_Socket = _socket.socket


class InstanceError(Exception):
    """A desk is running but did not answer: the sentence says what to do."""


class Primary:
    """This process is the desk for its user and home: it holds the lock and listens on the socket.

    ``on_request(handler)`` sets what is called, on the listener thread, with each request from a later start
    (requests that came before are delivered then, in order). ``close()`` stops listening and frees the lock.
    """

    def __init__(self, server: _Socket, lock_fd: int, path: str, lock_path: str, argv: list[str]) -> None:
        self.path = path
        self.lock_path = lock_path
        self.argv = list(argv)  # what this desk was started with
        self._server = server
        self._lock_fd = lock_fd
        self._inode = os.stat(path).st_ino
        self._handler: Callable[[Request], None] | None = None
        self._pending: list[Request] = []
        self._guard = _thread.allocate_lock()
        self._closed = False
        self._serving: Any = None  # held by the listener thread while it runs

    def on_request(self, handler: Callable[[Request], None] | None) -> None:
        """Set the handler; the first one starts the listener thread. Until then, later starts wait in the
        socket's backlog (the window sets it once it has been painted, so start-up pays no thread)."""
        with self._guard:
            self._handler = handler
            pending, self._pending = self._pending, []
            start = handler is not None and self._serving is None and not self._closed
            if start:
                self._serving = _thread.allocate_lock()
        if start:
            started = _thread.allocate_lock()
            started.acquire()
            _thread.start_new_thread(self._serve, (started,))
            started.acquire()  # the thread holds _serving from now on
        if handler is not None:
            for request in pending:
                handler(request)

    def close(self) -> None:
        """Stop answering later starts (they then start their own desk) and release the lock."""
        with self._guard:
            if self._closed:
                return
            self._closed = True
            self._handler = None
        try:
            if os.stat(self.path).st_ino == self._inode:  # still ours, not a newer desk's
                os.unlink(self.path)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            self._server.shutdown(_socket.SHUT_RDWR)  # wakes the listener thread from accept()
        self._server.close()
        if self._serving is not None and self._serving.acquire(timeout=1.0):  # the thread has returned
            self._serving.release()
        # Removed while still locked: a start that opened this file meanwhile sees it is gone once it holds the
        # lock, and opens the path anew (see _try_primary).
        with contextlib.suppress(OSError):
            os.unlink(self.lock_path)
        os.close(self._lock_fd)  # and with it the flock

    def _serve(self, started: Any) -> None:
        with self._serving:
            started.release()
            while True:
                try:
                    fd, _ = self._server._accept()  # type: ignore[attr-defined]
                except OSError:
                    return  # closed
                connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM, 0, fd)
                try:
                    self._answer(connection)
                finally:
                    connection.close()

    def _answer(self, connection: _Socket) -> None:
        import json

        try:
            request = self._receive(connection)
        except (OSError, ValueError):
            return  # not a desk, or it went away: nothing to do
        request["note"] = self.note(request["argv"])
        with self._guard:
            if self._closed:
                return
            handler = self._handler
            if handler is None:
                self._pending.append(request)
        answer = {"protocol": PROTOCOL, "ok": True, "note": request["note"]}
        with contextlib.suppress(OSError):
            connection.sendall(json.dumps(answer).encode() + b"\n")
        if handler is not None:
            handler(request)

    def note(self, argv: list[str]) -> str:
        """What the agent is told when a later start asked for other options than this desk runs with."""
        if not argv or argv == self.argv:
            return ""
        given = " ".join(argv)
        desk = "The Termii Desk demo was" if "--demo" in self.argv else "Termii Desk was"
        return (f"{desk} already open, so it was brought to the front as it is: \"{given}\" was not "
                "applied. To use it, close this window and start Termii Desk again with it.")

    @staticmethod
    def _receive(connection: _Socket) -> Request:
        import json

        connection.settimeout(CONNECT_TIMEOUT_S)
        if sys.platform.startswith("linux"):  # the folder is private already; this says so to the letter
            creds = connection.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)
            if int.from_bytes(creds[4:8], sys.byteorder) != os.getuid():
                raise ValueError("another user")
        data = b""
        while not data.endswith(b"\n"):
            chunk = connection.recv(4096)
            if not chunk:
                break
            data += chunk
            if len(data) > MAX_MESSAGE:
                raise ValueError("too long")
        request = json.loads(data)
        if not isinstance(request, dict) or request.get("protocol") != PROTOCOL:
            raise ValueError("not a request")
        argv = request.get("argv")
        if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
            raise ValueError("bad arguments")
        return request


def supported() -> bool:
    return hasattr(_socket, "AF_UNIX") and hasattr(os, "getuid")


def runtime_folder(environ: Mapping[str, str] | None = None) -> str | None:
    """The private folder the lock and socket live in, created if needed; ``None`` when none is safe to use."""
    env = os.environ if environ is None else environ
    uid = os.getuid()
    runtime = env.get("XDG_RUNTIME_DIR", "").strip()
    if runtime and os.path.isabs(runtime) and _fits(runtime) and _private_folder(runtime, uid, create=False):
        folder = os.path.join(runtime, "termii-desk")
    else:
        folder = os.path.join(env.get("TMPDIR", "").strip() or "/tmp", f"termii-desk-{uid}")
    return folder if _fits(folder) and _private_folder(folder, uid, create=True) else None


def _fits(folder: str) -> bool:
    """Whether a socket in ``folder`` has a path short enough for a Unix socket (108 bytes on Linux, 104 on BSD)."""
    return len(os.fsencode(folder)) + len("/termii-desk/desk-0123456789abcdef.sock") < 100


def _private_folder(folder: str, uid: int, *, create: bool) -> bool:
    """Whether ``folder`` is a real directory of ``uid`` that nobody else can enter (made so when ``create``)."""
    if create:
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        except OSError:
            return False
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid:
        return False  # a symlink or someone else's folder: never follow or share it
    if info.st_mode & 0o077:
        if not create:
            return False
        try:
            os.chmod(folder, 0o700)
        except OSError:
            return False
    return True


def instance_name(environ: Mapping[str, str] | None = None, *, demo: bool = False) -> str:
    """The socket's and lock's name: the same for every start with the same home folder, whatever its spelling
    (``demo``: the demo desk's, another name for the same home)."""
    env = os.environ if environ is None else environ
    home = env.get(HOME_ENV, "").strip()
    if home:
        key = "home:" + os.path.realpath(os.path.expanduser(home))
    else:  # the user's own folders (core.paths via platformdirs), which these variables move
        key = "user:" + "|".join(env.get(name, "") for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME"))
    data = key.encode("utf-8", "surrogateescape")
    return f"{'demo' if demo else 'desk'}-{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def socket_path(environ: Mapping[str, str] | None = None, *, demo: bool = False) -> str | None:
    """Where the desk (or the demo) for this user and home listens, or ``None`` where there is no such place."""
    env = os.environ if environ is None else environ
    if not supported():
        return None
    folder = runtime_folder(env)
    return None if folder is None else os.path.join(folder, instance_name(env, demo=demo)) + ".sock"


def claim(argv: list[str], environ: Mapping[str, str] | None = None, *,
          demo: bool = False) -> tuple[Request | None, Primary | None]:
    """Become the desk for this user and home, or hand ``argv`` to the one running (``demo``: the demo desk,
    which is another one than the agent's).

    Returns ``(answer, None)`` when the running desk took the arguments (this start is done: exit 0; the
    answer's ``note`` is a sentence for the agent, or ""), ``(None, primary)`` when this process is the desk
    now, and ``(None, None)`` when single-instance is not
    available here (no Unix sockets, no private runtime folder): this process is a desk of its own.
    Raises ``InstanceError`` when a desk holds the lock but does not answer.
    """
    env = os.environ if environ is None else environ
    path = socket_path(env, demo=demo)
    if path is None:
        return None, None
    lock_path = path.removesuffix(".sock") + ".lock"
    activation = {name: env[name] for name in ACTIVATION_ENV if name in env}
    message = {"protocol": PROTOCOL, "argv": list(argv), "activation": activation}
    deadline = time.monotonic() + LOCKED_RETRY_S
    while True:
        answer = _hand_over(path, message)
        if answer is not None:
            return answer, None
        try:
            primary = _try_primary(path, lock_path, argv)
        except _CannotListen:
            return None, None
        if primary is not None:
            return None, primary
        if time.monotonic() > deadline:
            raise InstanceError(
                f"{'The Termii Desk demo' if demo else 'Termii Desk'} is already open but does not answer. "
                "Close it (or end it in the system monitor), "
                "then start it again."
            )
        time.sleep(0.02)


def _hand_over(path: str, message: Request) -> Request | None:
    client = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        client.settimeout(CONNECT_TIMEOUT_S)
        try:
            client.connect(path)
        except (FileNotFoundError, ConnectionRefusedError):
            return None  # nobody listens: none running, or one that was killed and left its socket
        except OSError:
            return None
        import json  # only now: a desk is listening

        try:
            client.sendall(json.dumps(message).encode("utf-8", "surrogateescape") + b"\n")
            reply = b""
            while not reply.endswith(b"\n"):
                chunk = client.recv(4096)
                if not chunk:
                    break
                reply += chunk
        except OSError:
            return None
        try:
            answer = json.loads(reply)
        except ValueError:
            return None
        if not isinstance(answer, dict) or answer.get("ok") is not True:
            return None
        if not isinstance(answer.get("note"), str):
            answer["note"] = ""
        return answer
    finally:
        client.close()


def _try_primary(path: str, lock_path: str, argv: list[str]) -> Primary | None:
    import fcntl

    try:
        lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(lock_fd)
        return None  # another start holds it: it is the desk, or about to be
    try:
        if os.fstat(lock_fd).st_ino != os.stat(lock_path).st_ino:
            raise FileNotFoundError(lock_path)  # the desk that held it removed it as it closed: try anew
    except OSError:
        os.close(lock_fd)
        return None
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # a killed desk's socket: nobody holds its lock, so nobody listens on it
        server = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        previous = os.umask(0o177)
        try:
            server.bind(path)
        finally:
            os.umask(previous)
        os.chmod(path, 0o600)
        server.listen(8)
        return Primary(server, lock_fd, path, lock_path, argv)
    except OSError as exc:
        os.close(lock_fd)
        raise _CannotListen from exc  # nobody else can either: this start is a desk of its own


class _CannotListen(Exception):
    pass
