"""Every state an agent sees, as screenshots (screenshots/screen-*.png), with the layout rules they must keep.

The window's default size fits a 1366x768 laptop with a taskbar; at its minimum size every field and button is
full height and nothing is cut off.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton

from termii_desk.core.bootstrap import DeskServices
from termii_desk.core.desk import CallAttempt
from termii_desk.core.errors import Outcome
from termii_desk.core.results import Balance, VoiceCallResult
from termii_desk.core.validation import validate_phone
from termii_desk.simulator import TermiiSimulator
from termii_desk.ui.main_window import DEFAULT_SIZE, MINIMUM_SIZE, MainWindow
from tests.ui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)

OpenWindow = Callable[..., MainWindow]
MakeServices = Callable[..., DeskServices]
WAIT_MS = 15_000


def shot(window: MainWindow, screenshot_dir: Path, name: str) -> None:
    QApplication.processEvents()
    assert window.grab().save(str(screenshot_dir / f"screen-{name}.png"))


def call(qtbot: Any, window: MainWindow, phone: str = "0803 123 4567", code: str = "482913") -> Any:
    window.form.phone.set_text(phone)
    window.form.code.set_text(code)
    panel = window.history_panel
    assert panel is not None
    before = panel.model.total(unfiltered=True) or 0
    with qtbot.waitSignal(window.call_finished, timeout=WAIT_MS) as finished:
        qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: (panel.model.total(unfiltered=True) or 0) == before + 1 and not panel.model.in_flight,
                    timeout=WAIT_MS)  # the picture shows the row too
    return finished.args[0]


def test_default_size_fits_a_1366x768_laptop_with_a_taskbar() -> None:
    width, height = DEFAULT_SIZE
    assert width <= 1366 and height <= 768 - 48 - 32  # a taskbar and the title bar


def test_every_state(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    screenshot_dir: Path
) -> None:
    window = open_window(make_services(simulator.url, cooldown_seconds=0), size=DEFAULT_SIZE)
    shot(window, screenshot_dir, "ready")
    heights = {"ready": window.outcome.height()}
    call(qtbot, window)
    shot(window, screenshot_dir, "success-1")
    first = window.outcome.grab().toImage()
    call(qtbot, window, "0803 123 4567", "771234")  # the same customer again: the banner still changes
    shot(window, screenshot_dir, "success-2")
    assert window.outcome.grab().toImage() != first and window.outcome.when_label.text().startswith("Call 2 ")
    simulator.set_fault("reset", on="call")
    call(qtbot, window, "0803 123 4567", "552211")
    shot(window, screenshot_dir, "unknown")
    heights["unknown"] = window.outcome.height()
    simulator.set_fault("401", on="call")
    call(qtbot, window, "0803 123 4567", "552212")
    shot(window, screenshot_dir, "refused")
    heights["refused"] = window.outcome.height()
    simulator.set_fault("429", on="call")
    call(qtbot, window, "0803 123 4567", "552213")
    shot(window, screenshot_dir, "rate-limited")
    heights["rate-limited"] = window.outcome.height()
    simulator.set_fault("502-html", on="balance")
    with qtbot.waitSignal(window.balance_finished, timeout=WAIT_MS):
        window.refresh_requested.emit()
    assert window.account.stale
    shot(window, screenshot_dir, "stale-balance")
    assert set(heights.values()) == {window.outcome.height()}, heights  # nothing below the banner ever moves


def test_first_run(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    screenshot_dir: Path
) -> None:
    window = open_window(make_services(simulator.url, key=None), size=DEFAULT_SIZE)
    shot(window, screenshot_dir, "first-run")


@pytest.mark.parametrize("size", ["default", "minimum"])
def test_a_window_that_could_not_be_built_says_so_above_the_form(
    qtbot: Any, screenshot_dir: Path, size: str
) -> None:
    from termii_desk.ui.worker import ThreadExecutor

    window = MainWindow(ThreadExecutor(), staged=True)
    qtbot.addWidget(window)
    window.resize(*(DEFAULT_SIZE if size == "default" else window.minimumSize().toTuple()))
    window.show()
    qtbot.waitExposed(window)
    window.form.phone.edit.insert("0803 123")
    window.build_content_step()  # the live lines, then a module the next step needs is missing
    window.show_build_failure(ImportError("No module named 'termii_desk.ui.account_strip'"))
    shot(window, screenshot_dir, f"build-failure-{size}")
    banner = window.build_failure
    assert banner is not None and banner.isVisible()
    assert banner.visibleRegion().boundingRect().size() == banner.size()  # whole, wrapped, not cut off
    assert banner.y() < window.form.mapTo(window.centralWidget(), window.form.rect().topLeft()).y()
    assert window.form.phone.text() == "0803 123" and window.form.phone.edit.hasFocus()
    assert window.form.phone.status.text() == "Not checked: the desk could not start."
    qtbot.keyClicks(window.form.phone.edit, "4")
    assert window.form.phone.status.text() == "Not checked: the desk could not start."


def test_dark(
    qtbot: Any, dark_app: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    screenshot_dir: Path
) -> None:
    window = open_window(make_services(simulator.url, cooldown_seconds=0), size=DEFAULT_SIZE)
    call(qtbot, window)
    shot(window, screenshot_dir, "dark-success")
    simulator.set_fault("reset", on="call")
    call(qtbot, window, code="552211")
    shot(window, screenshot_dir, "dark-unknown")


def test_minimum_size_keeps_every_field_and_button_whole(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    screenshot_dir: Path
) -> None:
    window = open_window(make_services(simulator.url))
    call(qtbot, window)
    minimum = window.minimumSize()
    window.resize(minimum)
    qtbot.waitUntil(lambda: window.size() == minimum, timeout=3000)
    QApplication.processEvents()
    shot(window, screenshot_dir, "minimum-size")
    for widget in [*window.form.findChildren(QLineEdit), *window.form.findChildren(QPushButton)]:
        if widget.isVisible():
            assert widget.height() >= widget.sizeHint().height(), widget.objectName() or widget.text()
    for widget in (window.form.phone.edit, window.form.code.edit, window.form.send_button,
                   window.outcome.number_label, window.outcome.headline):
        assert widget.visibleRegion().boundingRect().size() == widget.size(), widget  # nothing cut off


# Real Termii ids are 9 to 27 digits (the longest seen: 101974010419581212300029568); a UUID-like id is the
# longest plausible form; anything longer is a hostile or broken server's.
LONGEST_REAL_ID = "101974010419581212300029568"
PLAUSIBLE_IDS = ("174749423", "3017694584737030299856628", LONGEST_REAL_ID, "fad4f438-655d-399a-a50a-b93e11b41323")


def attempt_with_id(message_id: str, message: str = "Successfully Sent") -> CallAttempt:
    result = VoiceCallResult(message_id, None, message, Balance("4995", Decimal("4995")), "Acme", 200)
    return CallAttempt(Outcome.SENT, validate_phone("+2348031234567"), "••••13", result, None, 1, None, 420,
                       datetime.now(timezone.utc))


def at_minimum_size(qtbot: Any, window: MainWindow) -> None:
    window.resize(window.minimumSize())
    qtbot.waitUntil(lambda: window.size() == window.minimumSize(), timeout=3000)


def fits(label: QLabel) -> bool:
    return (label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width()
            and label.visibleRegion().boundingRect().size() == label.size())


def test_the_message_id_is_never_clipped_at_the_minimum_size(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    screenshot_dir: Path
) -> None:
    window = open_window(make_services(simulator.url))
    call(qtbot, window)
    at_minimum_size(qtbot, window)
    outcome, label = window.outcome, window.outcome.message_id_label
    for message_id in PLAUSIBLE_IDS:  # every real or plausible id is whole on screen
        outcome.show_attempt(attempt_with_id(message_id), "4,995.00 NGN", "482913")
        QApplication.processEvents()
        assert label.text() == message_id and fits(label), message_id
        if message_id == LONGEST_REAL_ID:
            shot(window, screenshot_dir, "minimum-size-longest-id")
    # A server's id of any length: shortened in the middle to fit, and whole wherever the agent takes it from.
    hostile = "7" * 40 + "-" + "x" * 300 + "-end"
    outcome.show_attempt(attempt_with_id(hostile), "4,995.00 NGN", "482913")
    QApplication.processEvents()
    shot(window, screenshot_dir, "minimum-size-hostile-id")
    assert fits(label) and label.text() != hostile and "…" in label.text()
    assert label.text().startswith("7777") and label.text().endswith("-end")
    assert label.toolTip() == hostile and hostile in label.accessibleName() and hostile in outcome.text
    clipboard = QApplication.clipboard()
    clipboard.setText("")
    outcome.copy_button.click()
    assert clipboard.text() == hostile
    clipboard.setText("")
    label.setFocus()
    qtbot.keyClick(label, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(label, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard.text() == hostile
    # The longest headline with a three-digit call number fits beside it.
    from termii_desk.core.errors import NetworkError

    outcome._calls = 998
    error = NetworkError("The connection was cut before Termii answered.", outcome=Outcome.UNKNOWN)
    outcome.show_attempt(CallAttempt(Outcome.UNKNOWN, validate_phone("+2348031234567"), "••••13", None, error, 1,
                                     None, 420, datetime.now(timezone.utc)), None)
    QApplication.processEvents()
    assert outcome.when_label.text().startswith("Call 999 · ")
    assert fits(outcome.headline) and fits(outcome.when_label), (outcome.headline.width(), outcome.when_label.width())
    # Wider again, a plausible id is whole again (the label follows its width both ways).
    window.resize(DEFAULT_SIZE[0], DEFAULT_SIZE[1])
    outcome.show_attempt(attempt_with_id(LONGEST_REAL_ID), "4,995.00 NGN")
    at_minimum_size(qtbot, window)
    assert label.text() == LONGEST_REAL_ID and fits(label) and not label.toolTip()


def test_a_long_termii_message_wraps_in_the_banner_and_never_moves_the_history_at_the_minimum_size(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    screenshot_dir: Path
) -> None:
    window = open_window(make_services(simulator.url))
    call(qtbot, window)
    at_minimum_size(qtbot, window)
    QApplication.processEvents()
    panel = window.history_panel
    assert panel is not None
    before, banner = panel.geometry(), window.outcome.geometry()
    message = "Successfully Sent. " + "Termii says a great deal more about this call than fits here. " * 12
    window.outcome.show_attempt(attempt_with_id(LONGEST_REAL_ID, message), "4,995.00 NGN", "482913")
    QApplication.processEvents()
    shot(window, screenshot_dir, "minimum-size-long-message")
    assert panel.geometry() == before and window.outcome.geometry() == banner
    assert message.strip() in window.outcome.details.toPlainText()  # all of it, scrolled inside the banner


def scaled_window(screenshot_dir: Path, name: str, size: tuple[int, int], scale: str = "1.5") -> dict[str, Any]:
    """The window in a process of its own at QT_SCALE_FACTOR ``scale`` (tests/ui/scaled_window.py)."""
    import json
    import os
    import subprocess
    import sys

    target = screenshot_dir / f"screen-{name}.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": scale}
    done = subprocess.run([sys.executable, "-m", "tests.ui.scaled_window", str(target), str(size[0]), str(size[1]),
                           LONGEST_REAL_ID], env=env, capture_output=True, text=True, timeout=120, check=False,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


@pytest.mark.parametrize(("name", "size"), [("scale-1.5", DEFAULT_SIZE), ("minimum-size-1.5", MINIMUM_SIZE)])
def test_at_one_and_a_half_scale(screenshot_dir: Path, name: str, size: tuple[int, int]) -> None:
    report = scaled_window(screenshot_dir, name, size)
    assert report["ratio"] == 1.5
    assert report["banner_height"] >= report["banner_wanted"]  # the banner is not squeezed
    assert report["id_whole"] and report["id_fits"] and report["id_visible"], report  # the longest real id
    assert not report["panel_moved"] and not report["banner_grew"] and report["message_whole"], report
