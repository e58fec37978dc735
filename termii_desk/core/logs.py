"""Logging to a rotating file in the platform's log folder, with the key and codes redacted."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from termii_desk.core.paths import PRIVATE_FILE_MODE, close_to_others_fd, private_folder
from termii_desk.core.scrub import redact_secrets

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
MAX_LOG_BYTES = 1_000_000
LOG_BACKUPS = 3


def register_secret(value: str | None) -> None:
    """From now on, ``value`` (an API key, a code) is replaced by ``[redacted]`` in every log line."""
    if value and len(value) >= 4:
        with _secrets_lock:
            _secrets.add(value)


def redact_text(text: str) -> str:
    """``text`` without the registered secrets, however they are written (see ``scrub.redact_secrets``)."""
    with _secrets_lock:
        secrets = list(_secrets)
    return redact_secrets(text, secrets)


class RedactingFilter(logging.Filter):
    """Rewrites each record's final text with secrets removed, including exception tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info:
            kind, error = record.exc_info[0], record.exc_info[1]
            if record.levelno < logging.ERROR and not record.name.startswith("termii_desk") and kind is not None:
                # A library's warning about what a server sent (urllib3's "Failed to parse headers"): its
                # exception in one line, not a traceback of the library's insides.
                message += f" ({kind.__name__}: {error})"
            else:
                message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        if record.stack_info:
            message += "\n" + record.stack_info
            record.stack_info = None
        record.msg = redact_text(message)
        record.args = None
        return True


class PrivateLogHandler(logging.FileHandler):
    """The rotating log file, created 0600 in a 0700 folder whatever the umask.

    A record that would take the file past ``MAX_LOG_BYTES`` first moves it to ``.1`` (``.1`` to ``.2``..., the
    oldest of ``LOG_BACKUPS`` dropped), as logging's RotatingFileHandler does; written here on a plain
    FileHandler because ``logging.handlers`` imports socket, pickle and queue, ~5 ms of the desk's start-up.

    A record that cannot be written (a full disk, a folder turned read-only, a rotation that fails) never prints
    logging's "--- Logging error ---" traceback: the first failure is said once to the problem listeners, and
    the handler stops writing for the session. The desk goes on.
    """

    def __init__(self, log_file: Path) -> None:
        private_folder(log_file.parent)
        self.max_bytes = MAX_LOG_BYTES
        self.backups = LOG_BACKUPS
        super().__init__(log_file, encoding="utf-8")
        self.failed = False

    def should_roll_over(self, record: logging.LogRecord) -> bool:
        if self.stream is None:
            self.stream = self._open()
        if self.max_bytes <= 0 or not os.path.isfile(self.baseFilename):
            return False  # a device or a pipe given as the log file is never renamed
        self.stream.seek(0, os.SEEK_END)
        return bool(self.stream.tell() + len(self.format(record)) + 1 >= self.max_bytes)

    def doRollover(self) -> None:  # RotatingFileHandler's name
        """Move the file to ``.1`` (and the older ones one further), then start a new one."""
        if self.stream is not None:
            self.stream.close()
            self.stream = None
        base = self.baseFilename
        for n in range(self.backups, 0, -1):  # .2 -> .3, .1 -> .2, the file -> .1 (the oldest replaced)
            older = f"{base}.{n - 1}" if n > 1 else base
            if os.path.exists(older):
                os.replace(older, f"{base}.{n}")
        self.stream = self._open()

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE)
        try:
            close_to_others_fd(fd)
            return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)
        except BaseException:
            os.close(fd)
            raise

    def emit(self, record: logging.LogRecord) -> None:
        if self.failed:
            return
        try:
            if self.should_roll_over(record):
                self.doRollover()
        except Exception:
            self.handleError(record)
            return
        super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        if self.failed:
            return
        self.failed = True
        error = sys.exc_info()[1]
        reason = (error.strerror if isinstance(error, OSError) else None) or type(error).__name__
        with contextlib.suppress(Exception):  # a stream that cannot even be closed is let go
            if self.stream is not None:
                self.stream.close()
        self.stream = None
        _report(f"The log file can no longer be written ({reason}); logging is off for this session. "
                "Calls and history are not affected.")


_problem: str | None = None
_listeners: list[Callable[[str], None]] = []


def on_problem(listener: Callable[[str], None]) -> None:
    """Call ``listener(sentence)`` once logging fails (at once if it already has), on the thread that logged."""
    _listeners.append(listener)
    if _problem is not None:
        listener(_problem)


def _report(sentence: str) -> None:
    global _problem
    if _problem is not None:
        return
    _problem = sentence
    for listener in list(_listeners):
        with contextlib.suppress(Exception):  # a listener's failure must not become a logging error again
            listener(sentence)


def setup_logging(log_file: Path, level: int = logging.INFO) -> str | None:
    """Log to ``log_file`` (rotating, private). Returns a sentence when the log cannot be written, else None."""
    global _problem
    root = logging.getLogger()
    root.setLevel(level)
    for old in list(root.handlers):
        if getattr(old, "_termii_desk", False):
            root.removeHandler(old)
            old.close()
    _problem = None
    _listeners.clear()  # the faces listening to the previous log file
    try:
        handler: logging.Handler = PrivateLogHandler(log_file)  # opened now: a read-only folder is said here
        problem = None
    except OSError as exc:
        handler = logging.NullHandler()
        problem = f"The log file cannot be written ({exc.strerror or exc.__class__.__name__}); logging is off."
        _problem = problem  # said by the caller; listeners added later are told too
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    handler._termii_desk = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    return problem
