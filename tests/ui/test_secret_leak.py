"""A whole scripted day with a distinctive key, then a scan for it everywhere the desk writes or shows text.

Settings saved, key typed and tested, calls sent through every fault, the balance refreshed, history
exported, an unexpected exception, the log rotated. Afterwards the key occurs zero times in every file under
TERMII_DESK_HOME (settings, history, logs, the export), in captured output, in every label and message shown
and in every error text; no whole code occurs in stored data; and the key went to the configured host only.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit, QMessageBox

from termii_desk.core.bootstrap import DeskServices
from termii_desk.core.desk import CallAttempt, Desk
from termii_desk.core.history import HistoryStore, rows_to_csv
from termii_desk.core.keystore import KeyStore
from termii_desk.core.logs import setup_logging
from termii_desk.core.paths import AppPaths
from termii_desk.core.settings import SettingsStore
from termii_desk.simulator import FAULT_MODES, TermiiSimulator
from termii_desk.ui.error_hook import ExceptionHook
from termii_desk.ui.main_window import MainWindow
from termii_desk.ui.worker import ThreadExecutor
from tests.test_cli import run
from tests.ui.conftest import OFFSCREEN_NOISE, MemoryKeyring

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)

KEY = "sk_live_LEAKCANARY" + secrets.token_hex(8)
WAIT_MS = 15_000


def _texts_on_screen() -> list[str]:
    texts: list[str] = []
    for top in QApplication.topLevelWidgets():
        for widget in [top, *top.findChildren(QLabel), *top.findChildren(QAbstractButton)]:
            texts.append(widget.text() if hasattr(widget, "text") else "")
            texts.append(widget.toolTip())
        for edit in top.findChildren(QLineEdit):
            texts.append(edit.text())
        texts.append(top.windowTitle())
    return texts


def test_a_day_at_the_desk_leaks_neither_key_nor_codes(
    qtbot: Any, desk_home: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = AppPaths.from_environment()
    assert setup_logging(paths.log_file) is None
    shown: list[str] = []
    errors: list[str] = []
    codes = [f"{7_000_0000 + i * 7919}" for i in range(len(FAULT_MODES) + 2)]  # 8 digits: no chance matches

    with TermiiSimulator(api_key=KEY) as sim:
        keystore = KeyStore(backend=MemoryKeyring(), environ={})
        settings_store = SettingsStore(paths.settings_file)
        settings = settings_store.load().updated(base_url=sim.url, read_timeout=1.0, cooldown_seconds=0)
        history = HistoryStore(paths.history_file())
        desk = Desk(settings, keystore, history)
        services = DeskServices(desk=desk, keystore=keystore, history=history, key_status=keystore.status(),
                                settings_store=settings_store)
        executor = ThreadExecutor()
        window = MainWindow(executor)
        qtbot.addWidget(window)
        window.show()
        window.attach(services)  # no key yet: the first-run page

        # Settings: type the key, test it, save.
        window.on_settings_requested()
        dialog = window.settings_dialog
        assert dialog is not None
        dialog.key_edit.setText(KEY)
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "The key works" in dialog.test_result.text(), timeout=WAIT_MS)
        shown.append(dialog.test_result.text())
        with qtbot.waitSignal(window.balance_finished, timeout=WAIT_MS):
            qtbot.mouseClick(dialog.findChild(QAbstractButton, "save_button") or _save_button(dialog),
                             Qt.MouseButton.LeftButton)
        assert paths.settings_file.exists()

        # Calls through every fault the simulator has, and a balance refresh after each.
        for code, mode in zip(codes, [None, *FAULT_MODES], strict=False):
            sim.set_fault(mode) if mode else sim.clear_fault()
            window.form.phone.set_text("0803 123 4567")
            window.form.code.set_text(code)
            window.form.release_hold()  # after the 429 fault Send counts down; this day does not wait
            with qtbot.waitSignal(window.call_finished, timeout=WAIT_MS) as finished:
                qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
            attempt = finished.args[0]
            assert isinstance(attempt, CallAttempt)
            if attempt.error is not None:
                errors.append(str(attempt.error))
            shown.extend(_texts_on_screen())
            with qtbot.waitSignal(window.balance_finished, timeout=WAIT_MS) as balance:
                window.refresh_requested.emit()
            if isinstance(balance.args[0], BaseException):
                errors.append(str(balance.args[0]))
            shown.extend(_texts_on_screen())
        sim.clear_fault()

        # An unexpected exception through the hook: logged, and a dialog shown.
        hook = ExceptionHook(lambda: window)
        try:
            raise RuntimeError(f"unexpected while holding {KEY} and code {codes[0]}")
        except RuntimeError as exc:
            hook(type(exc), exc, exc.__traceback__)
        boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
        assert boxes, "the hook shows a dialog"
        shown.extend(f"{b.text()} {b.informativeText()}" for b in boxes)
        for box in boxes:
            box.close()

        # The command line on the same day: a call, the balance, the history export.
        env = {"TERMII_API_KEY": KEY, "TERMII_BASE_URL": sim.url, "TERMII_DESK_HOME": str(desk_home)}
        outputs = [run("call", "+2348031234567", codes[-1], env=env), run("balance", "--json", env=env),
                   run("history", "--csv", env=env)]
        (desk_home / "export.csv").write_text(rows_to_csv(history.page(10_000)))
        window.close()
        assert sim.received
        hosts = {r.headers.get("Host") for r in sim.received}
        assert hosts == {sim.url.removeprefix("http://")}  # the key went to the configured host only

    # The log, rotated.
    for handler in logging.getLogger().handlers:
        if hasattr(handler, "doRollover"):
            logging.getLogger("termii_desk.test").warning("rotating with %s in the message", KEY)
            handler.doRollover()
    history.close()

    captured = capfd.readouterr()
    streams = [captured.out, captured.err, *(o.stdout + o.stderr for o in outputs)]
    files = [p for p in desk_home.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".log.1") for p in files), "the log was rotated"
    assert any(p.suffix == ".sqlite3" for p in files) and (desk_home / "export.csv") in files
    for path in files:
        data = path.read_bytes()
        assert KEY.encode() not in data, path
        for code in codes:
            assert code.encode() not in data, (path, code)
    for text in [*streams, *shown, *errors]:
        assert KEY not in text
    assert len(errors) > 20  # the faults really happened


def _save_button(dialog: Any) -> QAbstractButton:
    for button in dialog.findChildren(QAbstractButton):
        if button.text().replace("&", "") == "Save":
            return button
    raise AssertionError("no Save button")
