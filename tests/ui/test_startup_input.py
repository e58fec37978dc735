"""Typing at start: the window takes keystrokes from its first frame, before its core is attached.

The agent types as soon as the window shows. These tests feed key events to whatever widget has the focus, the
way the display delivers them, in three phases: the first frame (``MainWindow(staged=True)``, before
``build_content()``), the built window before ``attach()``, and after it. Nothing is timed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from termii_desk.core.bootstrap import DeskServices
from termii_desk.core.desk import CallAttempt
from termii_desk.core.errors import Outcome
from termii_desk.simulator import TermiiSimulator
from termii_desk.ui.error_hook import ExceptionHook
from termii_desk.ui.fields import CHECKING_TEXT
from termii_desk.ui.main_window import SEND_DEFERRED_HEADLINE, MainWindow
from termii_desk.ui.worker import ThreadExecutor
from tests.ui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)

MakeServices = Callable[..., DeskServices]
WAIT_MS = 15_000
KEYS = {"\t": Qt.Key.Key_Tab, "\b": Qt.Key.Key_Backspace, "\r": Qt.Key.Key_Return, "\x1b": Qt.Key.Key_Escape}


def type_keys(qtbot: Any, text: str) -> None:
    """Each character as a key press to the focused widget (Tab, Backspace, Return and Esc as their keys)."""
    for char in text:
        target = QApplication.focusWidget()
        assert target is not None, f"no widget has the focus for {char!r}"
        if char in KEYS:
            qtbot.keyClick(target, KEYS[char])
        else:
            qtbot.keyClicks(target, char)


def type_around_build(qtbot: Any, window: MainWindow, before: str, after: str = "") -> None:
    """``before`` typed in the first frame, the rest of the window built around the form (as app.py does while
    the core loads), then ``after`` typed: the focus must stay where the keys put it."""
    type_keys(qtbot, before)
    focused = QApplication.focusWidget()
    window.build_content()
    assert QApplication.focusWidget() is focused, "building the rest of the window must not move the focus"
    type_keys(qtbot, after)


def assert_nothing_sent(qtbot: Any, simulator: TermiiSimulator) -> None:
    qtbot.wait(200)  # a call would have reached the simulator by now
    assert simulator.calls == []


@pytest.fixture
def first_frame(qtbot: Any) -> MainWindow:
    """The window as app.py shows it at start: the first frame only, nothing attached."""
    window = MainWindow(ThreadExecutor(), staged=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.form.phone.edit)
    return window


def attach(qtbot: Any, window: MainWindow, services: DeskServices) -> None:
    with qtbot.waitSignal(window.ready, timeout=WAIT_MS):
        window.attach(services)


def test_first_frame_takes_keys_and_every_key_lands_in_order(
    qtbot: Any, first_frame: MainWindow, simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    window = first_frame
    assert not window.built and window.form.phone.edit.hasFocus()
    # In the first frame, before the rest of the window exists; then a typo and its Backspace, Tab to the code
    # field, half the code.
    type_around_build(qtbot, window, "0803 123 45", "6x\b7\t48")
    assert window.form.phone.text() == "0803 123 4567"
    assert window.form.code.edit.hasFocus()
    attach(qtbot, window, make_services(simulator.url))
    assert window.form.code.edit.hasFocus(), "attach() must leave the focus where the agent put it"
    type_keys(qtbot, "2913")
    assert (window.form.phone.text(), window.form.code.text()) == ("0803 123 4567", "482913")
    with qtbot.waitSignal(window.call_finished, timeout=WAIT_MS) as finished:
        type_keys(qtbot, "\r")
    attempt = finished.args[0]
    assert isinstance(attempt, CallAttempt) and attempt.outcome is Outcome.SENT
    assert len(simulator.calls) == 1
    body = simulator.calls[0].json
    assert isinstance(body, dict)
    assert (body["phone_number"], body["code"]) == ("2348031234567", 482913)


def test_phone_says_checking_until_attached_never_an_error(
    qtbot: Any, first_frame: MainWindow, simulator: TermiiSimulator, make_services: MakeServices,
    screenshot_dir: Path
) -> None:
    window = first_frame
    type_around_build(qtbot, window, "0803 12")
    phone = window.form.phone
    assert phone.checking and phone.value is None and phone.problem == ""
    assert phone.status.text() == CHECKING_TEXT
    type_keys(qtbot, "\t")  # leaving the field reveals a problem once checked; not while checking
    qtbot.wait(50)
    phone.reveal_problem()  # what the pause timer does
    assert phone.status.text() == CHECKING_TEXT
    QApplication.processEvents()
    assert window.grab().save(str(screenshot_dir / "startup-checking.png"))
    attach(qtbot, window, make_services(simulator.url))
    assert not phone.checking and "too short" in phone.status.text()  # shown at once: the field was left
    assert window.form.code.edit.hasFocus()


def test_the_network_is_named_once_its_tables_are_loaded(
    qtbot: Any, first_frame: MainWindow, simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    window = first_frame
    type_keys(qtbot, "0803 123 4567")
    attach(qtbot, window, make_services(simulator.url))
    assert window.form.phone.status.text() == "✓ +234 803 123 4567 · Nigeria"  # carrier tables: after ready
    window.carrier_names_loaded()
    assert window.form.phone.status.text() == "✓ +234 803 123 4567 · Nigeria · MTN"
    assert window.form.phone.edit.hasFocus() and window.form.phone.text() == "0803 123 4567"


def test_enter_before_ready_sends_exactly_once_when_ready(
    qtbot: Any, first_frame: MainWindow, simulator: TermiiSimulator, make_services: MakeServices,
    screenshot_dir: Path
) -> None:
    window = first_frame
    type_around_build(qtbot, window, "+234 803 123 4567\t482913\r", "\r\r")  # Enter in the first frame, again after
    assert window.form.send_pending
    assert window.outcome.text.startswith(SEND_DEFERRED_HEADLINE)
    QApplication.processEvents()
    assert window.grab().save(str(screenshot_dir / "startup-send-pending.png"))
    assert simulator.calls == []
    with qtbot.waitSignal(window.call_finished, timeout=WAIT_MS) as finished:
        window.attach(make_services(simulator.url))
    attempt = finished.args[0]
    assert isinstance(attempt, CallAttempt) and attempt.outcome is Outcome.SENT
    qtbot.wait(200)  # a second send would have been asked for by now
    assert len(simulator.calls) == 1 and not window.form.send_pending
    body = simulator.calls[0].json
    assert isinstance(body, dict) and (body["phone_number"], body["code"]) == ("2348031234567", 482913)
    assert window.outcome.text.startswith("Sent: Termii accepted the call")


class _FirstPaint(QObject):
    """What the form had done when the history panel was first painted."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window = window
        self.seen: tuple[bool, bool, int] | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.seen is None:
            form = self.window.form
            self.seen = (form.send_pending, form.ready, self.window.controller.calls_in_flight)
        return False


def test_an_early_enter_sends_once_the_history_is_shown_not_beside_its_first_paint(
    qtbot: Any, first_frame: MainWindow, simulator: TermiiSimulator, make_services: MakeServices,
    screenshot_dir: Path
) -> None:
    """The call's worker loads the network stack: beside the history's first paint, each would hold up the
    other. Sent right after that paint, once; the window was ready (its history shown) first."""
    window = first_frame
    type_around_build(qtbot, window, "0803 123 4567\t482913\r")
    assert window.form.send_pending
    with qtbot.waitSignal(window.call_finished, timeout=WAIT_MS):
        window.attach(make_services(simulator.url))
        panel = window.history_panel
        assert panel is not None
        paints = _FirstPaint(window)
        panel.installEventFilter(paints)
        assert window.form.send_pending and simulator.calls == []  # attached: kept for the paint
    assert paints.seen == (True, False, 0)
    qtbot.wait(200)  # a second call would have been asked for by now
    assert len(simulator.calls) == 1 and not window.form.send_pending and window.form.ready
    assert window.outcome.text.startswith("Sent: Termii accepted the call")
    assert window.grab().save(str(screenshot_dir / "startup-early-enter-sent.png"))


def test_enter_before_ready_with_an_invalid_number_says_why_at_ready(
    qtbot: Any, first_frame: MainWindow, simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    window = first_frame
    type_around_build(qtbot, window, "", "0803 12\t482913\r")
    assert window.outcome.text.startswith(SEND_DEFERRED_HEADLINE)
    attach(qtbot, window, make_services(simulator.url))
    assert not window.form.send_pending
    assert "Not sent" in window.outcome.text and "too short" in window.outcome.text
    assert "too short" in window.form.phone.status.text()
    assert window.form.code.edit.hasFocus(), "saying why must not move the focus under the agent's fingers"
    assert_nothing_sent(qtbot, simulator)
    type_keys(qtbot, "\r")  # once ready, Enter with the number still wrong: the reason, no call
    assert simulator.calls == [] and window.form.phone.edit.hasFocus()


def test_esc_cancels_an_enter_pressed_before_ready(
    qtbot: Any, first_frame: MainWindow, simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    window = first_frame
    type_around_build(qtbot, window, "", "0803 123 4567\t482913\r")
    assert window.form.send_pending
    window.clear_action.trigger()  # Esc
    assert not window.form.send_pending
    attach(qtbot, window, make_services(simulator.url))
    assert_nothing_sent(qtbot, simulator)


def test_start_up_notices_and_errors_never_take_the_focus_or_a_key(
    qtbot: Any, first_frame: MainWindow, simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    window = first_frame
    hook = ExceptionHook(lambda: window, notify=window.add_notice)
    try:
        raise RuntimeError("broken at start")
    except RuntimeError as exc:
        hook(type(exc), exc, exc.__traceback__)  # before the notice bar exists
    type_around_build(qtbot, window, "0803")
    services = make_services(simulator.url)
    services.notices.append("Ignored the setting cooldown_seconds (must not be negative); using the default.")
    type_keys(qtbot, " 123 4567\t4829")
    attach(qtbot, window, services)
    type_keys(qtbot, "13")
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert any("unexpected error" in text for text in window.notices.texts())
    assert any("cooldown_seconds" in text for text in window.notices.texts())
    assert window.form.code.edit.hasFocus()
    assert (window.form.phone.text(), window.form.code.text()) == ("0803 123 4567", "482913")


def test_without_a_key_an_early_enter_is_dropped_with_the_first_run_page(
    qtbot: Any, first_frame: MainWindow, simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    window = first_frame
    type_around_build(qtbot, window, "", "0803 123 4567\t482913\r")
    attach(qtbot, window, make_services(simulator.url, key=None))
    assert window.pages.currentWidget() is window.first_run and not window.form.send_pending
    assert_nothing_sent(qtbot, simulator)
    assert (window.form.phone.text(), window.form.code.text()) == ("0803 123 4567", "482913")  # kept for later


def test_an_early_enter_is_sent_when_the_history_was_shown_before_attach(
    qtbot: Any, first_frame: MainWindow, simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    """Ctrl+F between the panel's build and attach() shows the history at once: its paint has come and gone,
    and the Enter is sent at attach()."""
    window = first_frame
    type_around_build(qtbot, window, "0803 123 4567\t482913\r")
    services = make_services(simulator.url)
    window.prepare_history(services.history)
    window.on_filter_requested()
    panel = window.history_panel
    assert panel is not None
    qtbot.waitUntil(lambda: panel.isVisible(), timeout=WAIT_MS)
    qtbot.wait(200)  # painted
    with qtbot.waitSignal(window.call_finished, timeout=WAIT_MS):
        window.attach(services)
    assert len(simulator.calls) == 1 and window.form.ready and not window.form.send_pending


def test_an_early_enter_is_sent_when_the_history_panel_is_replaced_before_its_paint(
    qtbot: Any, first_frame: MainWindow, simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    """The panel whose first paint the Enter waits for is replaced before it is shown (as a profile switch
    does): the Enter is still sent, once (by the new panel's paint, else the window's own timer)."""
    window = first_frame
    type_around_build(qtbot, window, "0803 123 4567\t482913\r")
    with qtbot.waitSignal(window.call_finished, timeout=WAIT_MS):
        window.attach(make_services(simulator.url))
        window._replace_history_panel(make_services(simulator.url).history)
    qtbot.wait(1200)  # past the window's timer: a second send would have been asked for by now
    assert len(simulator.calls) == 1 and window.form.ready and not window.form.send_pending
