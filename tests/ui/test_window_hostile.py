"""The window against the hostile raw-socket server: real worker threads, real sockets.

A trickled answer ends at the deadline and the form is free again; a server echoing the key (JSON-escaped)
and control characters in the account name never gets them into the strip, the title or the outcome.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from termii_desk.core.bootstrap import DeskServices
from termii_desk.ui.main_window import MainWindow
from tests.conftest import SIM_KEY
from tests.hostile_server import HostileServer, ReadRequest, Send, Trickle, json_answer, json_escaped, raw_answer
from tests.ui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)

BODY = b'{"code": "ok", "message_id": "3017694584737030299856628", "balance": 5}'


def test_a_trickled_answer_frees_the_form_at_the_deadline(
    qtbot: Any, make_services: Callable[..., DeskServices], open_window: Callable[..., MainWindow],
    screenshot_dir: Path,
) -> None:
    with HostileServer() as server:
        server.answer(json_answer({"user": "Acme", "balance": 50, "currency": "NGN"}))
        services = make_services(server.url, read_timeout=1.0, connect_timeout=1.0, cooldown_seconds=0)
        window = open_window(services)
        server.script(ReadRequest(), Send(raw_answer(200, BODY)[: -len(BODY)]), Trickle(BODY, every=0.5))
        window.form.phone.set_text("0803 123 4567")
        window.form.code.set_text("482913")
        started = time.monotonic()
        with qtbot.waitSignal(window.call_finished, timeout=10_000) as finished:
            qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
        assert time.monotonic() - started < 2.0 + 1.5  # the deadline is 2 s
        assert finished.args[0].outcome.value == "unknown"
        assert "did not finish within 2 seconds" in window.outcome.text
        assert not window.form.busy
        window.grab().save(str(screenshot_dir / "window-trickled-answer.png"))


def test_echoed_key_and_control_characters_never_reach_the_window(
    qtbot: Any, make_services: Callable[..., DeskServices], open_window: Callable[..., MainWindow],
    screenshot_dir: Path,
) -> None:
    user = f"{SIM_KEY} Acme\x1b]0;owned\x07\u202e" + "W" * 400
    with HostileServer() as server:
        server.answer(json_answer('{"user": ' + json_escaped(user) + ', "balance": '
                                  + json_escaped("7\x1b[2J7.5") + ', "currency": "NGN"}'))
        services = make_services(server.url, cooldown_seconds=0)
        window = open_window(services)
        server.answer(json_answer('{"code": "ok", "message_id": ' + json_escaped("482913")
                                  + ', "message": ' + json_escaped(f"Sent {SIM_KEY}") + ', "user": '
                                  + json_escaped(user) + "}"))
        window.form.phone.set_text("0803 123 4567")
        window.form.code.set_text("482913")
        with qtbot.waitSignal(window.call_finished, timeout=10_000):
            qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
        window.grab().save(str(screenshot_dir / "window-hostile-echo.png"))
        texts = [window.windowTitle(), window.account.account_label.text(), window.account.account_label.toolTip(),
                 window.account.balance_text, window.outcome.text]
        for text in texts:
            assert SIM_KEY not in text and "482913" not in text, text
            assert not any(unicodedata.category(ch) in ("Cc", "Cf") and ch != "\n" for ch in text), repr(text)
        assert len(window.windowTitle()) < 80
