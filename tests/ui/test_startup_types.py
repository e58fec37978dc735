"""Start-up builds only the Qt classes the window uses: PySide6 makes each on first use, with its enums, and
asking it for a widget that Qt made (a scroll area's own viewport) makes every widget class of QtWidgets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Runs the desk to ready (the start-up benchmark's moment: the history panel painted) and prints which of these
# QtWidgets classes exist then. None is on the window at start; each came with a viewport() or a date range, and
# QStyle (~700 enum members) with a widget's style(), asked for the history's icon size.
PROBE = """
import sys
import PySide6.QtWidgets
import termii_desk.bench_probe as probe

NEVER_AT_START = ("QTabWidget", "QMdiArea", "QLCDNumber", "QTextEdit", "QDateEdit", "QCalendarWidget",
                 "QStyle")
line = probe.bench_probe_line

def at_ready(mode):
    made = vars(PySide6.QtWidgets)
    print("made", ",".join(name for name in NEVER_AT_START if name in made) or "none", flush=True)
    return line(mode)

probe.bench_probe_line = at_ready
from termii_desk.cli import main
sys.argv = ["termii-desk"]
raise SystemExit(main())
"""


def test_ready_makes_no_widget_class_the_window_does_not_show(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TERMII_")}
    env.update(QT_QPA_PLATFORM="offscreen", TERMII_DESK_HOME=str(tmp_path), PYTHONPATH=str(ROOT),
               TERMII_API_KEY="start-types-key", TERMII_BASE_URL="http://127.0.0.1:9",
               TERMII_DESK_BENCH_PROBE="ready")
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    made = [line for line in done.stdout.splitlines() if line.startswith("made ")]
    assert made == ["made none"], done.stdout + done.stderr


def test_a_viewport_made_in_python_is_set_up_as_qt_sets_up_its_own(qapp: object) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QTableView

    from termii_desk.ui._pyside import own_viewport

    def looks(view: QTableView) -> tuple[object, ...]:
        viewport = view.viewport()
        return (viewport.objectName(), viewport.backgroundRole(), viewport.autoFillBackground(),
                viewport.testAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents), viewport.focusProxy() is view,
                viewport.parent() is view)

    theirs, ours = QTableView(), QTableView()
    made = own_viewport(ours)
    assert ours.viewport() is made
    assert looks(ours) == looks(theirs)
