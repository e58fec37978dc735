"""PySide6 wraps every import after it (its ``__feature__`` hook) and reads the whole source of every new module;
the desk's app module takes that hook out, before any of the desk's other modules load."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# colorsys: a standard module nothing here imports, with a source file; shown is whether its lines were read.
PROBE = """
import linecache, sys
{setup}
import colorsys
print(colorsys.__file__ in linecache.cache)
"""


def _source_read_after(setup: str) -> bool:
    done = subprocess.run([sys.executable, "-c", PROBE.format(setup=textwrap.dedent(setup))], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=True,
                          env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    return done.stdout.strip().splitlines()[-1] == "True"


def test_importing_a_module_after_the_desk_loaded_reads_no_source() -> None:
    assert _source_read_after("import PySide6.QtCore")  # what PySide6 does on its own
    assert not _source_read_after("import termii_desk.app")


AFTER_THE_HOOK = """
import builtins, sys
import termii_desk.app
print(builtins.__import__ is getattr(builtins, "__feature_import__", None))
from PySide6.QtWidgets import QApplication, QLineEdit
app = QApplication([])
edit = QLineEdit()
edit.setPlaceholderText("typed")  # a module imported after the hook went: Qt's own names, as everywhere
print(edit.placeholderText(), hasattr(edit, "placeholder_text"))
"""


def test_the_hook_is_gone_and_qt_keeps_its_names() -> None:
    done = subprocess.run([sys.executable, "-c", AFTER_THE_HOOK], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=True, env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert done.stdout.split() == ["False", "typed", "False"]
