"""Every state an agent sees, as screenshots (screenshots/screen-*.png), with the layout rules they must keep.

The window's default size fits a 1366x768 laptop with a taskbar; at its minimum size every field and button is
full height and nothing is cut off.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton

from termii_desk.core.bootstrap import DeskServices
from termii_desk.simulator import TermiiSimulator
from termii_desk.ui.main_window import DEFAULT_SIZE, MainWindow
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
    call(qtbot, window)
    shot(window, screenshot_dir, "success-1")
    call(qtbot, window, "0805 555 0199", "771234")
    shot(window, screenshot_dir, "success-2")
    simulator.set_fault("reset", on="call")
    call(qtbot, window, "0803 123 4567", "552211")
    shot(window, screenshot_dir, "unknown")
    simulator.set_fault("401", on="call")
    call(qtbot, window, "0803 123 4567", "552212")
    shot(window, screenshot_dir, "refused")
    simulator.set_fault("429", on="call")
    call(qtbot, window, "0803 123 4567", "552213")
    shot(window, screenshot_dir, "rate-limited")
    simulator.set_fault("502-html", on="balance")
    with qtbot.waitSignal(window.balance_finished, timeout=WAIT_MS):
        window.refresh_requested.emit()
    assert window.account.stale
    shot(window, screenshot_dir, "stale-balance")


def test_first_run(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    screenshot_dir: Path
) -> None:
    window = open_window(make_services(simulator.url, key=None), size=DEFAULT_SIZE)
    shot(window, screenshot_dir, "first-run")


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


SCALED = '''
import sys
from decimal import Decimal
from datetime import datetime, timezone
from PySide6.QtWidgets import QApplication
app = QApplication([])
from termii_desk.core.desk import CallAttempt
from termii_desk.core.errors import Outcome
from termii_desk.core.results import Balance, VoiceCallResult
from termii_desk.core.validation import validate_phone
from termii_desk.ui.main_window import DEFAULT_SIZE, MainWindow
from termii_desk.ui.worker import InlineExecutor
window = MainWindow(InlineExecutor())
window.resize(*DEFAULT_SIZE)
window.show()
window.form.phone.set_text("0803 123 4567")
result = VoiceCallResult("3017694584737030299856628", None, "Successfully Sent", Balance("77.5", Decimal("77.5")),
                         "Acme", 200)
window.outcome.show_attempt(CallAttempt(Outcome.SENT, validate_phone("+2348031234567"), "••••13", result, None, 1,
                                        None, 420, datetime.now(timezone.utc)), "77.50 NGN", "482913")
for _ in range(5):
    app.processEvents()
image = window.grab()
print(image.devicePixelRatio(), window.outcome.height(), window.outcome.sizeHint().height())
image.save(sys.argv[1])
'''


def test_at_one_and_a_half_scale(screenshot_dir: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    target = screenshot_dir / "screen-scale-1.5.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": "1.5"}
    done = subprocess.run([sys.executable, "-c", SCALED, str(target)], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    ratio, height, wanted = done.stdout.split()
    assert float(ratio) == 1.5 and int(height) >= int(wanted)  # the banner is not squeezed at 1.5x
