"""Garbage collection on the GUI thread only, while the window runs.

Python's collector runs on whichever thread passes its allocation threshold. A worker that collects a reference
cycle holding a Qt object (a window a dialog left behind, an object without a parent) destroys that object on the
worker, which Qt does not allow: a timer, a widget or a thread pool destroyed there can crash the process. So
the automatic collector stays off while the window runs, and a timer on the GUI thread collects what is due, as
the automatic collector would have (calibre, Anki and GitFourchette do the same).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

# Often enough that garbage never piles up for long, rarely enough that the check costs nothing (a full
# collection comes at most once in 100 ticks, as the default thresholds have it).
COLLECT_INTERVAL_MS = 500


def collect_due() -> int | None:
    """Collect as the automatic collector would now: nothing while generation 0 is under its threshold, else the
    oldest generation whose threshold is passed. Returns the generation collected, or None."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    if counts[0] <= thresholds[0]:
        return None
    generation = next(g for g in (2, 1, 0) if counts[g] > thresholds[g])
    gc.collect(generation)
    return generation


def collect_on_gui_thread(parent: QObject) -> QTimer:
    """Turn the automatic collector off and collect from a timer of ``parent``'s thread (the GUI thread's) until
    ``parent`` is deleted. The collector stays off afterwards: the interpreter's exit collects on its own thread."""
    gc.disable()
    timer = QTimer(parent)
    timer.setInterval(COLLECT_INTERVAL_MS)
    timer.timeout.connect(collect_due)
    timer.start()
    return timer
