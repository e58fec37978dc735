"""shiboken6's support code comes from the last start's bytecode (``ui._shiboken``), and behaves as compiled.

Each start is a fresh interpreter: shiboken6 can be imported once per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

START = """
import json, sys
from termii_desk.ui._shiboken import cache_file, import_shiboken
counts = import_shiboken()
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
generator = sys.modules["PySide6.support.signature.lib.pyi_generator"]
waiting = "_code" in vars(generator)
try:
    QWidget().setWindowTitle(3)
    message = ""
except TypeError as error:
    message = str(error)
print(json.dumps({**counts, "file": cache_file(), "waiting": waiting, "message": message,
                  "generator": callable(generator.generate_pyi), "ran": "_code" not in vars(generator)}))
"""


def _start(prefix: Path, **env: str) -> dict[str, object]:
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    environ.update(QT_QPA_PLATFORM="offscreen", PYTHONPYCACHEPREFIX=str(prefix), **env)
    done = subprocess.run([sys.executable, "-c", START], cwd=ROOT, env=environ, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _behaves_as_compiled(result: dict[str, object]) -> None:
    message = str(result["message"])
    assert "setWindowTitle" in message and "arg__1: str" in message  # shiboken's own error text, from its parser
    assert result["waiting"] and result["generator"] and result["ran"]  # the stub generator: there, run when used


def test_the_second_start_compiles_none_of_it(tmp_path: Path) -> None:
    first = _start(tmp_path)
    assert isinstance(first["compiled"], int) and first["compiled"] >= 5 and first["cached"] == 0
    assert Path(str(first["file"])).is_file() and str(first["file"]).startswith(str(tmp_path))
    second = _start(tmp_path)
    assert (second["cached"], second["compiled"]) == (first["compiled"], 0)
    _behaves_as_compiled(first)
    _behaves_as_compiled(second)


def test_a_damaged_or_foreign_cache_is_compiled_again_and_replaced(tmp_path: Path) -> None:
    first = _start(tmp_path)
    kept = Path(str(first["file"]))
    good = kept.read_bytes()
    for damaged in (good[: len(good) // 2], b"\0" * 16 + good[16:], b"not a cache at all"):
        kept.write_bytes(damaged)
        again = _start(tmp_path)
        assert (again["cached"], again["compiled"]) == (0, first["compiled"])
        _behaves_as_compiled(again)
        assert _start(tmp_path)["cached"] == first["compiled"]  # written anew, whole


def test_without_bytecode_writing_nothing_is_written(tmp_path: Path) -> None:
    first = _start(tmp_path, PYTHONDONTWRITEBYTECODE="1")
    assert first["compiled"] and not Path(str(first["file"])).exists()
    _behaves_as_compiled(first)
