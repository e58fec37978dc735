"""A base URL override that cannot be used: a notice, a disabled form, nothing sent, until it is fixed in Settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from termii_desk.app import CoreLoader
from termii_desk.core.desk import CallAttempt
from termii_desk.core.paths import AppPaths
from termii_desk.simulator import TermiiSimulator
from termii_desk.ui.main_window import MainWindow
from termii_desk.ui.worker import ThreadExecutor
from tests.conftest import SIM_KEY
from tests.ui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


def _loader(desk_home: Path, simulator: TermiiSimulator, **options: Any) -> CoreLoader:
    # The host the desk would fall back to: the settings file's base URL (the simulator), so a call or a balance
    # check that went there "instead" would be seen.
    paths = AppPaths.from_environment()
    paths.settings_file.parent.mkdir(parents=True, exist_ok=True)
    paths.settings_file.write_text(json.dumps({"base_url": simulator.url, "cooldown_seconds": 0}), encoding="utf-8")
    return CoreLoader(paths, **options)


@pytest.mark.parametrize(
    ("how", "url"),
    [("env", "http://127.0.0.1:1\t.evil.com"), ("env", "https://api.ng.termii.com。evil.com"),
     ("option", "https://api.ng.termii.com%2eevil.com"), ("option", "http://example.com")],
)
def test_a_refused_override_disables_the_form_until_fixed_in_settings(
    qtbot: Any, simulator: TermiiSimulator, desk_home: Path, monkeypatch: pytest.MonkeyPatch, screenshot_dir: Path,
    how: str, url: str,
) -> None:
    monkeypatch.setenv("TERMII_API_KEY", SIM_KEY)
    if how == "env":
        monkeypatch.setenv("TERMII_BASE_URL", url)
        loader, origin = _loader(desk_home, simulator), "TERMII_BASE_URL"
    else:
        loader, origin = _loader(desk_home, simulator, base_url=url), "--base-url"
    window = MainWindow(ThreadExecutor())
    qtbot.addWidget(window)
    window.resize(900, 720)
    window.show()
    qtbot.waitExposed(window)
    try:
        services = loader.load()
        window.attach(services)
        panel = window.history_panel
        assert panel is not None
        qtbot.waitUntil(lambda: panel.isVisibleTo(window), timeout=10_000)
        qtbot.waitUntil(lambda: not window.balance_check_pending, timeout=10_000)
        assert not window.form.isEnabled()
        [notice] = [text for text in window.notices.texts() if "cannot be used" in text]
        assert f"{origin} cannot be used" in notice and "nothing is sent" in notice and "Settings" in notice
        assert "Nothing can be sent" in window.outcome.text and "Settings" in window.outcome.text
        window.refresh_requested.emit()  # Refresh (F5) asks nothing either
        qtbot.wait(200)
        assert simulator.received == []  # not even a balance check went anywhere
        if how == "env" and "\t" in url:
            window.grab().save(str(screenshot_dir / "base-url-refused.png"))

        window.on_settings_requested()
        dialog = window.settings_dialog
        assert dialog is not None
        field = dialog.editor("base_url")
        assert isinstance(field, QLineEdit) and field.text() == url  # the refused text, to correct; not the default
        assert "Will use" not in dialog.base_url_status.text()
        with qtbot.assertNotEmitted(dialog.saved):
            dialog.on_save_clicked()  # still refused: the dialog will not take it
        assert not window.form.isEnabled()
        field.setText(simulator.url)
        with qtbot.waitSignal(window.balance_finished, timeout=10_000):
            dialog.on_save_clicked()
        assert window.form.isEnabled() and "Ready" in window.outcome.text
        assert window.account.balance_text and len(simulator.balance_requests) == 1

        window.form.phone.set_text("0803 123 4567")
        window.form.code.set_text("482913")
        with qtbot.waitSignal(window.call_finished, timeout=15_000) as blocker:
            qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
        attempt = blocker.args[0]
        assert isinstance(attempt, CallAttempt) and attempt.outcome.value == "sent"
        assert len(simulator.calls) == 1
    finally:
        window.close()
        loader.close()


def test_an_enter_before_ready_is_not_sent_to_a_refused_base_url(
    qtbot: Any, simulator: TermiiSimulator, desk_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERMII_API_KEY", SIM_KEY)
    loader = _loader(desk_home, simulator, base_url="http://example.com")
    window = MainWindow(ThreadExecutor(), staged=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        window.build_content()
        window.form.phone.set_text("0803 123 4567")
        window.form.code.set_text("482913")
        qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)  # before the core is there
        assert window.form.send_pending
        with qtbot.waitSignal(window.ready, timeout=10_000):
            window.attach(loader.load())
        assert not window.form.send_pending
        assert "Nothing can be sent" in window.outcome.text
        qtbot.wait(200)
        assert simulator.received == []
    finally:
        window.close()
        loader.close()
