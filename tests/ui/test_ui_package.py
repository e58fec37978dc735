"""Guards against a PySide6 defect that once shipped: emit() taking a reference from True on every call.

PySide6-Essentials 6.12.0 does this on Python < 3.12; after a few hundred signals the interpreter aborts
with "bool_dealloc". pyproject.toml excludes that release; this test fails if a release with the defect
comes back. It runs in a child process because the defect kills the interpreter rather than raising.
"""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal

class Sender(QObject):
    ping = Signal()
    flag = Signal(bool)

app = QCoreApplication([])
sender = Sender()
received = [0]
sender.flag.connect(lambda value: received.__setitem__(0, received[0] + 1))
before = sys.getrefcount(True), sys.getrefcount(False)
for _ in range(20_000):
    sender.ping.emit()
for value in (True, False) * 5_000:
    sender.flag.emit(value)
after = sys.getrefcount(True), sys.getrefcount(False)
assert received[0] == 10_000, received
assert abs(after[0] - before[0]) < 100 and abs(after[1] - before[1]) < 100, (before, after)
print("ok")
"""


def test_many_python_emits_leave_true_and_false_alone() -> None:
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]
