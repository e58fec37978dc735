"""CooldownDialog (the question before calling a number again) and ExceptionHook (log, short dialog, go on)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from termii_desk.core.logs import register_secret, setup_logging
from termii_desk.ui.dialogs import CloseDuringCallDialog, CooldownDialog
from termii_desk.ui.error_hook import NOTICE, ExceptionHook
from tests.ui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


@pytest.fixture(autouse=True)
def real_questions(monkeypatch: pytest.MonkeyPatch) -> None:
    """The questions themselves are tested here: the folder's stand-ins for their ``ask`` are taken away."""
    monkeypatch.undo()


def _answer_when_shown(choose: str, kind: type = CooldownDialog) -> None:
    def click() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, kind):
            QTimer.singleShot(10, click)
            return
        getattr(dialog, choose).click()

    QTimer.singleShot(0, click)


@pytest.mark.parametrize(("choose", "expected"), [("close_button", True), ("wait_button", False)])
def test_closing_during_a_call_asks_wait_or_close_anyway(qtbot: Any, choose: str, expected: bool) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    seen: list[str] = []

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, CloseDuringCallDialog):
            seen.append(dialog.text())
            assert dialog.defaultButton() is dialog.wait_button and dialog.escapeButton() is dialog.wait_button
        else:
            QTimer.singleShot(10, look)

    QTimer.singleShot(0, look)
    _answer_when_shown(choose, CloseDuringCallDialog)
    assert CloseDuringCallDialog.ask(parent, 1) is expected
    assert seen == ["1 call is waiting for Termii's answer."]


@pytest.mark.parametrize(("choose", "expected"), [("call_button", True), ("cancel_button", False)])
def test_ask_returns_the_agents_choice(qtbot: Any, choose: str, expected: bool) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    _answer_when_shown(choose)
    last = datetime.now(timezone.utc) - timedelta(seconds=20)
    assert CooldownDialog.ask(parent, "+234 803 123 4567", last) is expected


def test_cooldown_dialog_says_when_and_defaults_to_not_sending(qtbot: Any) -> None:
    last = datetime.now(timezone.utc) - timedelta(seconds=125)
    dialog = CooldownDialog(None, "+234 803 123 4567", last)
    qtbot.addWidget(dialog)
    assert dialog.text() == "+234 803 123 4567 was called 2 minutes ago."
    assert dialog.defaultButton() is dialog.cancel_button and dialog.escapeButton() is dialog.cancel_button


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "logs" / "termii-desk.log"
    assert setup_logging(path) is None
    yield path
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_termii_desk", False):
            root.removeHandler(handler)
            handler.close()


def test_exception_hook_logs_redacted_shows_one_dialog_and_keeps_going(qtbot: Any, log_file: Path) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    hook = ExceptionHook(lambda: parent)
    seen: list[BaseException] = []
    hook.on_error.append(seen.append)
    register_secret("sk_live_HOOKCANARY77")
    for _ in range(2):
        try:
            raise RuntimeError("failed with sk_live_HOOKCANARY77")
        except RuntimeError as exc:
            hook(type(exc), exc, exc.__traceback__)
    assert hook.count == 2 and len(seen) == 2
    dialog = hook.dialog
    assert isinstance(dialog, QMessageBox) and dialog.isVisible()
    assert "keeps running" in dialog.text() and "HOOKCANARY" not in dialog.text() + dialog.informativeText()
    assert len([w for w in parent.findChildren(QMessageBox) if w.isVisible()]) == 1
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8")
    assert "RuntimeError" in text and "Traceback" in text and "sk_live_HOOKCANARY77" not in text
    dialog.accept()
    assert hook.dialog is None


def test_exception_hook_install_and_uninstall(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import threading

    previous, previous_thread_hook = sys.excepthook, threading.excepthook
    hook = ExceptionHook()
    hook.install()
    try:
        assert sys.excepthook is hook and threading.excepthook != previous_thread_hook
    finally:
        hook.uninstall()
    assert sys.excepthook is previous and threading.excepthook is previous_thread_hook


@pytest.mark.parametrize("how", ["python-thread", "qt-callback-on-a-worker"])
@pytest.mark.parametrize("notify", [True, False], ids=["notice", "dialog"])
def test_an_error_on_another_thread_is_logged_there_and_told_on_the_gui_thread(
    qtbot: Any, log_file: Path, how: str, notify: bool
) -> None:
    """A Python thread's uncaught exception (the default only prints it) and one a Qt callback raised on a
    worker (which PySide6 hands to sys.excepthook there): logged, then the notice, the dialog and the callbacks
    on the GUI thread, where widgets may be made."""
    import sys
    import threading

    parent = QWidget()
    qtbot.addWidget(parent)
    notices: list[tuple[str, str]] = []
    hook = ExceptionHook(lambda: parent, notify=(lambda text: notices.append((text, threading.current_thread().name)))
                         if notify else None)
    told: list[tuple[str, str]] = []
    hook.on_error.append(lambda error: told.append((str(error), threading.current_thread().name)))
    hook.install()
    try:
        def fail() -> None:
            try:
                raise LookupError("lost on a worker")
            except LookupError as exc:
                if how == "python-thread":
                    raise
                sys.excepthook(type(exc), exc, exc.__traceback__)

        worker = threading.Thread(target=fail, name="worker")
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: told != [], timeout=5_000)
    finally:
        hook.uninstall()
    main = threading.main_thread().name
    assert told == [("lost on a worker", main)] and hook.count == 1
    if notify:
        assert notices == [(NOTICE, main)] and hook.dialog is None
    else:
        dialog = hook.dialog
        assert isinstance(dialog, QMessageBox) and dialog.isVisible() and notices == []
        assert dialog.thread() is QApplication.instance().thread()
        dialog.accept()
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "LookupError: lost on a worker" in log_file.read_text(encoding="utf-8")


@pytest.mark.parametrize(("keys", "expected"), [("alt+a", True), ("alt+w", False), ("escape", False),
                                                 ("return", False)])
def test_the_close_question_answers_by_keyboard_and_waits_unless_told(qtbot: Any, keys: str, expected: bool,
                                                                       screenshot_dir: Path) -> None:
    from PySide6.QtCore import Qt

    parent = QWidget()
    qtbot.addWidget(parent)
    key = {"alt+a": (Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier),
           "alt+w": (Qt.Key.Key_W, Qt.KeyboardModifier.AltModifier),
           "escape": (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
           "return": (Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier)}[keys]
    dialog = CloseDuringCallDialog(parent, 1)
    assert [b.text() for b in (dialog.wait_button, dialog.close_button)] == ["&Wait", "Close &anyway"]

    def type_it() -> None:
        if keys == "alt+a":
            assert dialog.grab().save(str(screenshot_dir / "close-during-call-question.png"))
        qtbot.keyClick(dialog.focusWidget() or dialog, key[0], key[1])
        # Never a hang if the key did nothing: then no button was chosen, and the test fails below.
        QTimer.singleShot(2000, dialog, lambda: dialog.done(-1) if dialog.isVisible() else None)

    QTimer.singleShot(0, dialog, dialog.activateWindow)  # a key's shortcut reaches the active window only
    QTimer.singleShot(100, dialog, type_it)
    dialog.exec()
    assert dialog.clickedButton() is (dialog.close_button if expected else dialog.wait_button)
