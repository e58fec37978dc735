"""Running core calls off the GUI thread: ``QueryOp`` and the executors it runs on.

The shape is Anki's ``QueryOp``::

    QueryOp(parent=self, op=lambda: desk.check_balance(), success=self.on_balance_loaded) \\
        .failure(self.on_balance_failed) \\
        .run_in_background(executor)

``op`` runs on a worker thread and never touches a widget. Its result (or the exception it raised) comes
back to the GUI thread as a queued signal, and only then are ``success`` or ``failure`` called. When
``parent`` has been deleted by then, neither is called.

``ThreadExecutor`` runs ops on its own ``QThreadPool``; ``InlineExecutor`` runs them at once on the calling
thread, for tests that need every step to have happened when the call returns.
"""

from __future__ import annotations

import itertools
import logging
import sys
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

T = TypeVar("T")
Deliver = Callable[[Any, "BaseException | None"], None]


class Executor(QObject):
    """Where ops run; results are always delivered on the GUI thread. This base runs each op inline, on the
    calling thread (see ``InlineExecutor``); ``ThreadExecutor`` runs them on a thread pool.

    Signals:
        idle(): the last pending op has been delivered; nothing is running.
    """

    idle = Signal()

    def submit(self, op: Callable[[], Any], deliver: Deliver) -> None:
        try:
            result, error = op(), None
        except Exception as exc:
            result, error = None, exc
        deliver(result, error)
        self.idle.emit()

    def pending(self) -> int:
        """How many ops were submitted and not yet delivered."""
        return 0

    def wait(self, timeout_seconds: float) -> bool:
        """Block until every running op has returned (not been delivered). True when none is left."""
        return True

    def discard_deliveries(self) -> None:
        """Forget the callbacks of ops still running: their results are dropped (used when closing)."""


class InlineExecutor(Executor):
    """Runs each op immediately on the calling thread and delivers before ``submit`` returns (for tests)."""


class ThreadExecutor(Executor):
    """Runs ops on a private ``QThreadPool``; results come back through a queued signal.

    The op, its result and its exception are held here and let go on the GUI thread, at delivery, never by the
    worker: the last reference to a Qt object (a window a lambda holds, a result's owner) dropped on a worker
    would destroy the object there, which Qt does not allow.
    """

    # Emitted from worker threads; the executor lives on the GUI thread, so delivery is queued there.
    _finished = Signal(int)

    def __init__(self, parent: QObject | None = None, *, max_threads: int = 4) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        # Threads stay once started (Qt's default ends them after 30 s idle): starting one is a few ms of the GUI
        # thread's submit(), paid again at every call an agent places minutes after the last.
        self._pool.setExpiryTimeout(-1)
        self._ids = itertools.count(1)
        self._deliveries: dict[int, Deliver] = {}
        self._ops: dict[int, Callable[[], Any]] = {}
        self._outcomes: dict[int, tuple[Any, BaseException | None]] = {}
        self._finished.connect(self._on_finished)

    def submit(self, op: Callable[[], Any], deliver: Deliver) -> None:
        task_id = next(self._ids)
        self._deliveries[task_id] = deliver
        self._ops[task_id] = op
        ops, outcomes, finished = self._ops, self._outcomes, self._finished

        def run() -> None:  # keeps no reference once it has handed the outcome over
            try:
                outcomes[task_id] = (ops[task_id](), None)
            except BaseException as exc:  # delivered to the GUI thread, which decides what to show
                outcomes[task_id] = (None, exc)
            try:
                finished.emit(task_id)
            except RuntimeError:  # the executor is gone: the app is closing and nobody waits for this
                log.debug("result of op %d dropped: executor deleted", task_id)

        self._pool.start(run)

    def pending(self) -> int:
        return len(self._deliveries)

    def wait(self, timeout_seconds: float) -> bool:
        return bool(self._pool.waitForDone(max(0, int(timeout_seconds * 1000))))

    def discard_deliveries(self) -> None:
        """Also lets go, here, of the ops that have returned and what they returned or raised: the event loop that
        would have delivered them may be over."""
        self._deliveries.clear()
        for task_id in list(self._outcomes):
            self._ops.pop(task_id, None)
            self._outcomes.pop(task_id, None)

    @Slot(int)
    def _on_finished(self, task_id: int) -> None:
        self._ops.pop(task_id, None)
        result, error = self._outcomes.pop(task_id, (None, None))
        deliver = self._deliveries.pop(task_id, None)
        if deliver is not None:
            deliver(result, error)
        if not self._deliveries:
            self.idle.emit()


class QueryOp(Generic[T]):
    """One call of core code off the GUI thread, with what to do with its result on the GUI thread.

    Without a ``failure`` handler, an exception from ``op`` goes to ``sys.excepthook`` (logged, and shown
    as the "unexpected error" dialog), so nothing fails silently.
    """

    def __init__(self, *, parent: QObject | None, op: Callable[[], T], success: Callable[[T], None]) -> None:
        self._parent = parent
        self._op = op
        self._success = success
        self._failure: Callable[[BaseException], None] | None = None

    def failure(self, handler: Callable[[BaseException], None]) -> QueryOp[T]:
        self._failure = handler
        return self

    def run_in_background(self, executor: Executor) -> None:
        executor.submit(self._op, self._deliver)

    def _deliver(self, result: Any, error: BaseException | None) -> None:
        if self._parent is not None and not shiboken6.isValid(self._parent):
            return
        if error is None:
            self._success(result)
        elif self._failure is not None:
            self._failure(error)
        else:
            sys.excepthook(type(error), error, error.__traceback__)
