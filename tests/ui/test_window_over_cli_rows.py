"""The window over a history the command line filled from hostile answers: odd numbers, echoed secrets in other
encodings, control characters. It starts, shows every row, and nothing it shows holds the key or the code."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from termii_desk.app import CoreLoader
from termii_desk.core.paths import AppPaths
from termii_desk.ui.main_window import MainWindow
from tests.hostile_server import HostileServer, json_answer, json_escaped
from tests.ui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)

KEY = "TLwindowRowsKEY5q4r3s2t1"
CODE = "629417"
ANSWERS = [
    '{"code": "ok", "message_id": "4531665328024598321", "balance": 1e30, "user": "u"}',
    '{"code": "ok", "message_id": "4531665328024598322", "balance": 1e400}',
    '{"code": "ok", "message_id": "4531665328024598323", "balance": 1234567890123456789.123456789}',
    '{"code": "ok", "message_id": "4531665328024598324", "balance": "' + "9" * 200_000 + '"}',
    '{"code": "ok", "message_id": ' + json_escaped(base64.b32encode(CODE.encode()).decode())
    + ', "balance": ' + json_escaped("5\x1b[2J\u202e") + ', "message": '
    + json_escaped(KEY.encode("utf-16-be").hex()) + '}',
]


def test_the_window_shows_rows_the_command_line_stored_from_hostile_answers(
    qtbot: Any, desk_home: Path, monkeypatch: pytest.MonkeyPatch,
    open_window: Callable[..., MainWindow], screenshot_dir: Path,
) -> None:
    with HostileServer() as server:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("TERMII")},
               "TERMII_API_KEY": KEY, "TERMII_BASE_URL": server.url, "TERMII_DESK_HOME": str(desk_home),
               "DBUS_SESSION_BUS_ADDRESS": "disabled:"}
        for answer in ANSWERS:
            server.answer(json_answer(answer))
            result = subprocess.run([sys.executable, "-m", "termii_desk", "call", "+2348031234567", CODE,
                                     "--force"], env=env, capture_output=True, text=True, timeout=60)
            assert result.returncode == 0, result.stderr
        server.answer(json_answer('{"user": "u", "balance": 1e400, "currency": "NGN"}'))
        monkeypatch.setenv("TERMII_API_KEY", KEY)
        monkeypatch.setenv("TERMII_BASE_URL", server.url)
        loader = CoreLoader(AppPaths.from_environment())
        try:
            window = open_window(loader.load())
            panel = window.history_panel
            assert panel is not None and panel.isVisibleTo(window)
            assert panel.model.rowCount() == len(ANSWERS)
            shown = [window.windowTitle(), window.account.balance_text]
            for row in range(panel.model.rowCount()):
                for column in range(panel.model.columnCount()):
                    index = panel.model.index(row, column)
                    for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                        value = panel.model.data(index, role)
                        shown.append("" if value is None else str(value))
            text = " ".join(shown)
            assert "1234567890123456789.123456789" in text.replace(",", "")
            assert "e+18" not in text and "inf" not in text.lower().replace("info", "")
            for secret in (KEY, CODE):
                for form in (secret, secret.encode("utf-16-be").hex(), base64.b32encode(secret.encode()).decode()):
                    assert form.lower() not in text.lower(), form
            assert not [ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf") and ch != "\n"]
            assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
            assert window.grab().save(str(screenshot_dir / "window-over-cli-rows.png"))
        finally:
            loader.close()
