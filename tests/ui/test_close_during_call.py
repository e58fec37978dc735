"""Closing the window while a call is in flight, again and again: the question, no crash, every row completed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from termii_desk.core.bootstrap import DeskServices
from termii_desk.core.history import HistoryStore
from termii_desk.core.words import CLOSED_BEFORE_ANSWER
from termii_desk.simulator import TermiiSimulator
from termii_desk.ui.dialogs import CloseDuringCallDialog
from termii_desk.ui.main_window import MainWindow


def test_closing_during_a_call_asks_and_closing_anyway_records_unknown_twenty_times(
    qtbot: Any, simulator: TermiiSimulator, make_services: Callable[..., DeskServices],
    open_window: Callable[..., MainWindow], history: HistoryStore, monkeypatch: pytest.MonkeyPatch,
) -> None:
    services = make_services(simulator.url, read_timeout=2.0, cooldown_seconds=0)
    asked: list[int] = []
    answers: list[bool] = []

    def ask(_cls: Any, _parent: Any, calls: int) -> bool:
        asked.append(calls)
        return answers.pop(0)

    monkeypatch.setattr(CloseDuringCallDialog, "ask", classmethod(ask))
    # Held until the test ends: a closed window left to the garbage collector could be collected on a worker
    # thread still running its abandoned call, and Qt objects must be deleted on the GUI thread.
    windows: list[MainWindow] = []
    for round_ in range(20):
        # An answer that comes while the window is open, and one that never comes (ends at the timeout).
        simulator.set_fault("slow" if round_ % 2 == 0 else "no-answer", on="call", delay=1.5)
        window = open_window(services)
        windows.append(window)
        window.form.phone.set_text("0803 123 4567")
        window.form.code.set_text(f"{482913 + round_}")
        with qtbot.waitSignal(window.controller.attempt_started, timeout=10_000):  # recorded, request going out
            qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
        if round_ % 2 == 0:
            answers.append(False)  # Wait: the window stays and shows the answer
            assert not window.close() and window.isVisible()
            with qtbot.waitSignal(window.call_finished, timeout=10_000):
                pass
            assert window.close()  # nothing in flight: no question
            assert history.page(1)[0].outcome == "sent"
        else:
            answers.append(True)  # Close anyway: at once, and the row says why
            assert window.close()
            assert not window.isVisible() and window.closed_without_waiting
            row = history.page(1)[0]
            assert row.completed and row.outcome == "unknown" and row.error == CLOSED_BEFORE_ANSWER
    assert asked == [1] * 20
    rows = history.page(100)
    assert len(rows) == 20 and all(row.completed for row in rows)
