"""Logging to a rotating file in the platform's log folder, with the key and codes redacted."""

from __future__ import annotations

import logging
import logging.handlers
import threading
from pathlib import Path

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
            formatter = logging.Formatter()
            message += "\n" + formatter.formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        if record.stack_info:
            message += "\n" + record.stack_info
            record.stack_info = None
        record.msg = redact_text(message)
        record.args = None
        return True


def setup_logging(log_file: Path, level: int = logging.INFO) -> str | None:
    """Log to ``log_file`` (rotating). Returns a sentence when the log cannot be written, else None."""
    root = logging.getLogger()
    root.setLevel(level)
    for old in list(root.handlers):
        if getattr(old, "_termii_desk", False):
            root.removeHandler(old)
            old.close()
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=MAX_LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8", delay=True
        )
        problem = None
    except OSError as exc:
        handler = logging.NullHandler()
        problem = f"The log file cannot be written ({exc.strerror or exc.__class__.__name__}); logging is off."
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    handler._termii_desk = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    return problem
