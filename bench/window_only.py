"""The desk's full ``MainWindow`` alone, built before it is shown, with nothing else of the desk.

No command line, no logging, no core loader, no worker: only the window's own modules and widgets, shown and
timed on its first paint like bench/empty_window.py. This is what a first paint with every widget in it costs
(the floor for that), and why the desk's first frame is only the form's line edits and buttons, the rest built
after it; bench/startup.py reports it next to the empty window.
"""

import sys

from PySide6.QtWidgets import QApplication

from bench.empty_window import show_and_probe
from termii_desk.ui.main_window import MainWindow
from termii_desk.ui.worker import InlineExecutor


def main() -> int:
    app = QApplication(sys.argv[:1])
    return show_and_probe(app, MainWindow(InlineExecutor()))


if __name__ == "__main__":
    raise SystemExit(main())
