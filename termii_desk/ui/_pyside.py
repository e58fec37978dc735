"""PySide6's import hook, taken out: imported by app.py before any of the desk's other modules.

Once QtCore is loaded, PySide6 replaces ``__import__`` for its opt-in ``from __feature__ import snake_case``:
every import statement from then on runs Python code of PySide's before and after the import, and after every
new module PySide6 decides whether it "uses PySide" by reading the module's whole source with
``inspect.getsource`` and searching it for "PySide6". At start-up that is every module of requests, urllib3,
keyring, phonenumbers (megabytes of data modules) and the desk itself, on whichever thread imports them,
holding the interpreter for much of it. The desk never selects a ``__feature__``, and a module PySide6 has not
looked at behaves as one without features, so this puts back the import PySide6 wrapped (its own lazy import
of Qt's classes stays). Where PySide6 changes this, nothing is replaced.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

import PySide6.QtCore  # noqa: F401 (installs the hook this takes out)

if TYPE_CHECKING:
    from PySide6.QtWidgets import QAbstractScrollArea, QWidget


def drop_feature_import() -> bool:
    """Put back the ``__import__`` that PySide6's ``__feature__`` hook wraps; False when there is none to drop."""
    hook = getattr(builtins, "__feature_import__", None)
    wrapped = getattr(builtins, "__orig_import__", None)
    if hook is None or wrapped is None or builtins.__import__ is not hook:
        return False
    builtins.__import__ = wrapped
    return True


drop_feature_import()


def own_viewport(area: QAbstractScrollArea) -> QWidget:
    """Give ``area`` a viewport made here, and return it (keep it: ``area.viewport()`` is then this one).

    The first time PySide6 meets a widget that Qt made, typed as a plain ``QWidget`` (a scroll area's own
    viewport, as ``viewport()`` returns it), it looks for the most derived class it could be, and so first builds
    every widget class of QtWidgets with their enums: 10 to 25 ms at start-up for one ``viewport()``. A viewport
    made in Python is known already.
    """
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QWidget

    viewport = QWidget()
    # As Qt makes its own: the name style sheets look for, the Base background, touch events for scrolling.
    viewport.setObjectName("qt_scrollarea_viewport")
    viewport.setBackgroundRole(QPalette.ColorRole.Base)
    viewport.setAutoFillBackground(True)
    viewport.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
    area.setViewport(viewport)
    return viewport
