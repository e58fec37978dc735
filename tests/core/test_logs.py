"""Logging: a rotating file with the key and codes redacted, tracebacks included."""

from __future__ import annotations

import logging
from pathlib import Path

from termii_desk.core.logs import redact_text, register_secret, setup_logging


def test_log_file_redacts_registered_secrets_query_keys_and_tracebacks(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "termii-desk.log"
    assert setup_logging(log_file) is None
    register_secret("sk_live_LOGCANARY42")
    register_secret("736251")
    log = logging.getLogger("termii_desk.test")
    log.warning("GET /api/get-balance?api_key=%s failed", "sk_live_LOGCANARY42")
    log.info("code %s sent", "736251")
    try:
        raise ValueError("boom with sk_live_LOGCANARY42")
    except ValueError:
        log.exception("unexpected")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text()
    assert "sk_live_LOGCANARY42" not in text
    assert "736251" not in text
    assert "api_key=[redacted]" in text
    assert "Traceback" in text and "ValueError" in text


def test_redact_text_handles_json_style_keys() -> None:
    assert "abcdef" not in redact_text('{"api_key": "abcdef", "x": 1}')


def test_unwritable_log_folder_is_reported_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    problem = setup_logging(blocker / "logs" / "termii-desk.log")
    assert problem is not None and "logging is off" in problem
    logging.getLogger("termii_desk").warning("still fine")
