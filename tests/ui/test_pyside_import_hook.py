"""PySide6 reads the whole source of every module imported after it (its ``__feature__`` hook); the desk's
app module replaces that scan by a look at the module's globals, before any of the desk's other modules load."""

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


def test_modules_that_use_pyside_are_still_told_apart() -> None:
    import colorsys

    from termii_desk.ui import _pyside, main_window

    assert _pyside._uses_pyside(main_window) and not _pyside._uses_pyside(colorsys)
    feature = sys.modules["PySide6.support.feature"]
    assert feature._mod_uses_pyside is _pyside._uses_pyside
