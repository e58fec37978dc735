"""The window's widgets, item models and dialogs; they talk to core through plain calls and Qt signals.

Importing this package also works around a reference-counting bug in PySide6 6.12 on Python < 3.12 (see
``_pin_booleans``), before any widget emits a signal.
"""

from __future__ import annotations

import sys


def _emit_loses_a_reference() -> bool:
    """PySide6 6.12's ``SignalInstance.emit()`` (and ``disconnect()``) return ``True`` without a new reference.

    Each call from Python then takes one reference from ``True``; after a few hundred signals the
    interpreter aborts with "bool_dealloc: deallocating True or False". Python 3.12+ makes ``True``
    immortal, so only older interpreters are hurt.
    """
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        probe = Signal()

    sender = _Probe()
    before = sys.getrefcount(True)
    for _ in range(4):
        sender.probe.emit()
    return sys.getrefcount(True) < before


def _pin_booleans() -> None:
    """Give ``True`` and ``False`` so many references that the lost ones can never free them.

    This is what Python 3.12 does for every interpreter (immortal objects); ``ob_refcnt`` is the first
    field of every CPython object.
    """
    import ctypes

    for value in (True, False):
        ctypes.c_ssize_t.from_address(id(value)).value += 1 << 40


if sys.version_info < (3, 12) and sys.implementation.name == "cpython" and _emit_loses_a_reference():
    _pin_booleans()
