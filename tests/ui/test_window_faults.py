"""The fault matrix through the window: real worker threads, the simulator over real sockets.

For every row: the balance check at start and the call each end with the right outcome and a sentence
shown inline, the history row is completed, the server saw exactly the requests it should, and the window
goes on working.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from termii_desk.core.bootstrap import DeskServices
from termii_desk.core.desk import CallAttempt
from termii_desk.ui.main_window import MainWindow
from tests.conftest import SIM_KEY
from tests.fault_matrix import MATRIX, TIMEOUT, Fault, serving
from tests.ui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


@pytest.mark.parametrize("fault", MATRIX, ids=str)
def test_fault_in_the_window(
    fault: Fault,
    qtbot: Any,
    make_services: Callable[..., DeskServices],
    open_window: Callable[..., MainWindow],
    self_signed: tuple[Path, Path],
) -> None:
    with serving(fault, SIM_KEY, self_signed) as (url, sim):
        services = make_services(url, read_timeout=TIMEOUT, connect_timeout=2.0, cooldown_seconds=0)
        window = open_window(services)  # returns once the start-up balance check has ended

        # The balance, checked at start.
        strip = window.account
        # A failure is one line in the strip (cut to fit); the whole sentence is its tooltip and description.
        balance_shown = strip.balance_text if fault.balance_exit == 0 else strip.updated_label.toolTip()
        assert fault.balance_exit == 0 or strip.updated_label.accessibleDescription() == balance_shown
        assert fault.balance_says in balance_shown
        assert SIM_KEY not in balance_shown and "<html" not in balance_shown.lower()
        assert "may have been placed" not in balance_shown
        assert len(sim.balance_requests) == min(fault.received, 1)

        # The call.
        window.form.phone.set_text("0803 123 4567")
        window.form.code.set_text("482913")
        with qtbot.waitSignal(window.call_finished, timeout=15_000) as finished:
            qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
        attempt = finished.args[0]
        assert isinstance(attempt, CallAttempt)
        assert attempt.outcome.value == fault.call
        assert len(sim.calls) == fault.received
        shown = window.outcome.text
        assert fault.call_says in shown
        assert SIM_KEY not in shown and "<html" not in shown.lower() and "None" not in shown
        assert "Traceback" not in shown
        assert ("may have been placed" in shown) == (fault.call == "unknown")

        row = services.history.get(attempt.history_id or 0)
        assert row is not None and row.completed and row.outcome == fault.call

        # Still working: the form validates and accepts the next number at once.
        window.form.phone.set_text("+233 24 123 4567")
        assert "Ghana" in window.form.phone.status.text()
        assert not window.form.busy
