"""Closing the window while a call is in flight, again and again: no crash, every history row completed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt

from termii_desk.core.bootstrap import DeskServices
from termii_desk.core.history import HistoryStore
from termii_desk.simulator import TermiiSimulator
from termii_desk.ui.main_window import MainWindow


def test_closing_during_a_call_twenty_times(
    qtbot: Any, simulator: TermiiSimulator, make_services: Callable[..., DeskServices],
    open_window: Callable[..., MainWindow], history: HistoryStore,
) -> None:
    services = make_services(simulator.url, read_timeout=2.0, cooldown_seconds=0)
    for round_ in range(20):
        # Alternate an answer that comes while closing and one that never comes (ends at the timeout).
        simulator.set_fault("slow" if round_ % 2 == 0 else "no-answer", on="call", delay=0.3)
        window = open_window(services)
        window.form.phone.set_text("0803 123 4567")
        window.form.code.set_text(f"{482913 + round_}")
        qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda n=round_: len(simulator.calls) == n + 1, timeout=10_000)
        assert window.close()
        assert not window.isVisible()
    rows = history.page(100)
    assert len(rows) == 20
    assert all(row.completed for row in rows)
    assert [row.outcome for row in reversed(rows)] == ["sent", "unknown"] * 10
