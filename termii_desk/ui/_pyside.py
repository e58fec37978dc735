"""PySide6's import hook, made cheap: imported by app.py before any of the desk's other modules.

Once QtCore is loaded, PySide6 replaces ``__import__`` and, after every import, decides whether the new
module "uses PySide" (for its opt-in ``from __feature__ import snake_case``) by reading the module's whole
source with ``inspect.getsource`` and searching it for "PySide6". At start-up that is every module of
requests, urllib3, keyring, phonenumbers (megabytes of data modules) and the desk itself: their sources are
read, decoded, split and kept in ``linecache``, on whichever thread imports them, holding the interpreter for
much of it. The desk never uses ``__feature__``, so the answer only selects between two defaults that behave
the same for it; this asks the module's globals instead (a PySide6 module, class or function among them),
which costs nothing. Where PySide6 changes this internal function, nothing is replaced.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import TYPE_CHECKING

import PySide6.QtCore  # noqa: F401 (loads the hook this replaces the source scan of)

if TYPE_CHECKING:
    from PySide6.QtWidgets import QAbstractScrollArea, QWidget

_PYSIDE = ("PySide6", "shiboken6")


def _uses_pyside(module: ModuleType) -> bool:
    for value in list(vars(module).values()):
        try:
            name = value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", None)
        except Exception:  # an object with a __getattr__ of its own: not PySide's
            continue
        if isinstance(name, str) and name.startswith(_PYSIDE):
            return True
    return False


def skip_source_scan() -> bool:
    """Replace PySide6's source scan of imported modules; False when this PySide6 has none to replace."""
    feature = sys.modules.get("PySide6.support.feature")
    if feature is None or not callable(getattr(feature, "_mod_uses_pyside", None)):
        return False
    feature._mod_uses_pyside = _uses_pyside  # type: ignore[attr-defined]
    return True


skip_source_scan()


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
