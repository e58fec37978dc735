"""termii_desk.ui's import-time guard against PySide6 6.12 taking a reference from True on every emit()."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

import termii_desk.ui  # noqa: F401 (the guard runs on import)


class _Sender(QObject):
    ping = Signal()
    flag = Signal(bool)


def test_many_python_emits_do_not_free_true_or_false() -> None:
    sender = _Sender()
    received: list[bool] = []
    sender.flag.connect(received.append)
    for _ in range(20_000):
        sender.ping.emit()
    for value in (True, False) * 5_000:
        sender.flag.emit(value)
    assert len(received) == 10_000
    # Without the guard (or an interpreter with immortal booleans) these counts would have hit zero and
    # the interpreter would have aborted with "bool_dealloc".
    assert sys.getrefcount(True) > 10_000 and sys.getrefcount(False) > 10_000
