"""QueryOp and the executors: op off the GUI thread, results back on it, nothing after the parent is gone."""

from __future__ import annotations

import sys
import threading
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget

from termii_desk.ui.worker import InlineExecutor, QueryOp, ThreadExecutor
from tests.ui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


def test_op_runs_on_a_worker_and_success_on_the_gui_thread(qtbot: Any) -> None:
    executor = ThreadExecutor()
    parent = QWidget()
    qtbot.addWidget(parent)
    gui = threading.get_ident()
    seen: dict[str, Any] = {}

    def op() -> int:
        seen["op_thread"] = threading.get_ident()
        return 42

    def success(value: int) -> None:
        seen["value"], seen["success_thread"] = value, threading.get_ident()

    with qtbot.waitSignal(executor.idle, timeout=5_000):
        QueryOp(parent=parent, op=op, success=success).run_in_background(executor)
        assert executor.pending() == 1
    assert seen == {"op_thread": seen["op_thread"], "value": 42, "success_thread": gui}
    assert seen["op_thread"] != gui and executor.pending() == 0


def test_failure_gets_the_exception_on_the_gui_thread(qtbot: Any) -> None:
    executor = ThreadExecutor()
    failures: list[tuple[BaseException, int]] = []

    def op() -> None:
        raise ValueError("boom")

    with qtbot.waitSignal(executor.idle, timeout=5_000):
        QueryOp(parent=None, op=op, success=lambda _v: pytest.fail("success called")).failure(
            lambda exc: failures.append((exc, threading.get_ident()))
        ).run_in_background(executor)
    assert len(failures) == 1 and str(failures[0][0]) == "boom" and failures[0][1] == threading.get_ident()


def test_nothing_is_delivered_to_a_deleted_parent(qtbot: Any) -> None:
    executor = ThreadExecutor()
    parent = QWidget()
    gate = threading.Event()
    called: list[object] = []
    QueryOp(parent=parent, op=gate.wait, success=called.append).failure(called.append).run_in_background(executor)
    parent.deleteLater()
    qtbot.waitUntil(lambda: not _alive(parent), timeout=5_000)
    with qtbot.waitSignal(executor.idle, timeout=5_000):
        gate.set()
    assert called == []


def _alive(widget: QWidget) -> bool:
    import shiboken6

    return shiboken6.isValid(widget)


def test_wait_blocks_until_ops_return_and_discard_drops_results(qtbot: Any) -> None:
    executor = ThreadExecutor()
    delivered: list[object] = []
    QueryOp(parent=None, op=lambda: "done", success=delivered.append).run_in_background(executor)
    assert executor.wait(5.0)
    executor.discard_deliveries()
    qtbot.wait(10)  # let the queued result arrive, if it were going to be delivered
    assert delivered == [] and executor.pending() == 0


def test_inline_executor_delivers_before_returning() -> None:
    executor = InlineExecutor()
    out: list[object] = []
    QueryOp(parent=None, op=lambda: 7, success=out.append).run_in_background(executor)
    QueryOp(parent=None, op=lambda: 1 / 0, success=out.append).failure(out.append).run_in_background(executor)
    assert out[0] == 7 and isinstance(out[1], ZeroDivisionError)


def test_without_a_failure_handler_the_error_goes_to_the_excepthook(monkeypatch: pytest.MonkeyPatch) -> None:
    hooked: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda _kind, error, _tb: hooked.append(error))
    QueryOp(parent=None, op=lambda: 1 / 0, success=lambda _v: None).run_in_background(InlineExecutor())
    assert len(hooked) == 1 and isinstance(hooked[0], ZeroDivisionError)


class _Tracked:
    """Notes, as "what:thread", on which thread its last reference was let go."""

    def __init__(self, what: str, gone: list[str]) -> None:
        self.what, self.gone = what, gone

    def __del__(self) -> None:
        self.gone.append(f"{self.what}:{threading.current_thread().name}")


class _TrackedError(_Tracked, Exception):
    pass


class _Op(_Tracked):
    def __init__(self, gone: list[str], *, fail: bool) -> None:
        super().__init__("op", gone)
        self.fail = fail

    def __call__(self) -> _Tracked:
        if self.fail:
            raise _TrackedError("error", self.gone)
        return _Tracked("result", self.gone)


@pytest.mark.parametrize("fail", [False, True], ids=["result", "error"])
def test_the_op_and_what_it_returned_or_raised_are_let_go_on_the_gui_thread(qtbot: Any, fail: bool) -> None:
    """A worker never holds the last reference to what an op holds or made: dropped there, a Qt object among
    them (the window a lambda holds) would be destroyed on the worker."""
    executor = ThreadExecutor()
    gone: list[str] = []
    with qtbot.waitSignal(executor.idle, timeout=5_000):
        executor.submit(_Op(gone, fail=fail), lambda _result, _error: None)  # QueryOp would hold the op itself
    main = threading.main_thread().name
    assert sorted(gone) == sorted([f"op:{main}", f"{'error' if fail else 'result'}:{main}"])


def test_discarding_lets_go_of_what_returned_on_the_gui_thread_when_no_event_loop_delivers_it() -> None:
    """At exit the event loop is over: an op that returned meanwhile is never delivered, and what it holds or made
    is let go where the executor is discarded (the GUI thread), not by the worker, nor left for later."""
    executor = ThreadExecutor()
    gone: list[str] = []
    executor.submit(_Op(gone, fail=False), lambda _result, _error: None)
    assert executor.wait(5.0)  # returned, its delivery queued for an event loop that never runs
    assert gone == []
    executor.discard_deliveries()
    main = threading.main_thread().name
    assert sorted(gone) == [f"op:{main}", f"result:{main}"]
