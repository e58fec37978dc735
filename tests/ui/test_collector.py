"""Garbage collection on the GUI thread only: a worker that collected a cycle holding a Qt object would destroy
that object on the worker (ui/collector.py)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer

from termii_desk.ui.collector import COLLECT_INTERVAL_MS, collect_due


class _Cycle:
    """A reference cycle holding a Qt object without a parent, as a closed dialog's leftovers can be."""

    def __init__(self, destroyed_on: list[str]) -> None:
        self.me = self
        self.timer = QTimer()  # a Qt object with a thread: the kind a worker must never destroy
        self.timer.destroyed.connect(lambda *_: destroyed_on.append(threading.current_thread().name),
                                     Qt.ConnectionType.DirectConnection)


def _make_garbage(destroyed_on: list[str]) -> None:
    _Cycle(destroyed_on)  # unreachable at once, left to the collector


def _allocate_on_a_worker(kept: list[object]) -> None:
    """Enough new containers on a worker thread to pass generation 0's threshold many times over."""
    worker = threading.Thread(target=lambda: kept.extend([] for _ in range(20 * gc.get_threshold()[0])),
                              name="worker")
    worker.start()
    worker.join()


@pytest.fixture
def automatic_collection() -> Iterator[None]:
    """The interpreter's default, for the comparison: the automatic collector on."""
    gc.collect()  # nothing else pending for the worker to collect
    gc.enable()
    try:
        yield
    finally:
        gc.disable()


def test_without_the_collector_a_worker_destroys_a_qt_object_it_collects(automatic_collection: None) -> None:
    """What the collector prevents, shown to happen: the worker's allocations trigger the collection there."""
    destroyed_on: list[str] = []
    _make_garbage(destroyed_on)
    _allocate_on_a_worker([])
    assert destroyed_on == ["worker"]


def test_with_the_collector_the_gui_thread_collects_it(qtbot: Any, collector: QTimer) -> None:
    assert not gc.isenabled() and collector.isActive() and collector.interval() == COLLECT_INTERVAL_MS
    destroyed_on: list[str] = []
    kept: list[object] = []
    _make_garbage(destroyed_on)
    _allocate_on_a_worker(kept)
    assert destroyed_on == []  # the worker passed every threshold and collected nothing
    qtbot.waitUntil(lambda: destroyed_on != [], timeout=10 * COLLECT_INTERVAL_MS)
    assert destroyed_on == [threading.main_thread().name]


@pytest.fixture
def thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    gc.collect()
    gc.set_threshold(100, 2, 2)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def test_collect_due_collects_as_the_automatic_collector_would(thresholds: None) -> None:
    kept: list[object] = []
    assert collect_due() is None  # generation 0 under its threshold: nothing
    due = []
    for _ in range(17):
        kept.extend([] for _ in range(150))  # generation 0 passed once more
        due.append(collect_due())
    # Each collection of 0 counts one for generation 1, each of 1 one for 2; the oldest one due is collected.
    assert due == [0, 0, 0, 1] * 3 + [2, 0, 0, 0, 1]
    assert gc.get_count()[1:] == (0, 1)
