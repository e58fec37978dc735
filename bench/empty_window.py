"""The start-to-window baseline: an empty ``QMainWindow``, shown, timed on its first paint like the desk.

Run by bench/startup.py as ``python bench/empty_window.py``: it prints the same line as the desk's benchmark
probe (``termii-desk-probe painted TIME VmHWM VmRSS``) once its first paint is drawn, then quits.
"""

import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow


def probe_line() -> str:
    memory = {"VmHWM": "0", "VmRSS": "0"}
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in memory:
                    memory[name] = value.split()[0]
    except OSError:
        pass
    return f"termii-desk-probe painted {time.time():.6f} {memory['VmHWM']} {memory['VmRSS']}"


class Probe(QObject):
    done = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.done and event.type() == QEvent.Type.Paint:
            self.done = True
            QTimer.singleShot(0, self.report)
        return False

    def report(self) -> None:
        print(probe_line(), flush=True)
        QApplication.quit()


def main() -> int:
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("Empty window")
    window.resize(900, 720)
    probe = Probe(window)
    window.installEventFilter(probe)
    window.show()
    QTimer.singleShot(10_000, app.quit)  # never hang a benchmark run
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
