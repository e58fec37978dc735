"""The start-to-window baseline: an empty ``QMainWindow``, shown, timed on its first paint like the desk.

Run by bench/startup.py as ``python bench/empty_window.py``: it prints the same line as the desk's benchmark
probe (``termii-desk-probe painted TIME VmHWM VmRSS``) once its first paint is drawn, then quits.
"""

import sys

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

from termii_desk.bench_probe import bench_probe_line  # standard library only: the baseline stays empty


class Probe(QObject):
    done = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.done and event.type() == QEvent.Type.Paint:
            self.done = True
            QTimer.singleShot(0, self.report)
        return False

    def report(self) -> None:
        print(bench_probe_line("painted"), flush=True)
        QApplication.quit()


def show_and_probe(app: QApplication, window: QWidget) -> int:
    """Show ``window``, print the probe line on its first paint, quit; the event loop's exit code."""
    probe = Probe(window)
    window.installEventFilter(probe)
    window.show()
    QTimer.singleShot(10_000, app.quit)  # never hang a benchmark run
    return app.exec()


def main() -> int:
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("Empty window")
    window.resize(900, 720)
    return show_and_probe(app, window)


if __name__ == "__main__":
    raise SystemExit(main())
