"""Code objects kept from one start to the next, where Python keeps the desk's own bytecode, under its rules.

Two things compile source at every start that never changes between starts: shiboken6's support code
(ui/_shiboken.py) and the methods ``dataclasses`` writes for each dataclass (``__init__``, ``__eq__``,
``__repr__``, ...: ~160 small functions to the window's ready, ~8 ms of compiling, the desk's own and its
libraries'). Their code objects are kept in files beside the desk's bytecode: the same place, the same rules
(``sys.pycache_prefix``, ``sys.dont_write_bytecode``), and each is used only under the same Python (its bytecode
magic number in the file's header) for exactly the same source; anything else is compiled as before. A file that
cannot be read or written costs nothing but the compile.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import marshal
import os
import sys
import threading
from importlib._bootstrap_external import MAGIC_NUMBER, cache_from_source
from types import CodeType
from typing import Any, TypeVar

K = TypeVar("K")

HEADER = MAGIC_NUMBER.ljust(16, b"\0")
PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATACLASS_CACHE_NAME = "_dataclass_code"
# Kept entries beyond this are dropped at the next write (sources of older versions of the desk or its libraries).
MAX_DATACLASS_SOURCES = 2000


def cache_file(directory: str, name: str) -> str:
    """The file kept for ``name`` in ``directory`` (a folder of the desk's modules), where its bytecode would be."""
    return str(cache_from_source(os.path.join(directory, f"{name}.py")))


def read(path: str) -> dict[Any, CodeType]:
    """The code objects kept in ``path``; nothing when it is missing, damaged or from another Python."""
    try:
        with open(path, "rb") as file:
            if file.read(len(HEADER)) != HEADER:
                return {}
            codes = marshal.load(file)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return codes if isinstance(codes, dict) else {}


def write(path: str, codes: dict[K, CodeType]) -> None:
    """Keep ``codes`` in ``path`` (whole or not at all), unless Python writes no bytecode in this run."""
    if sys.dont_write_bytecode:
        return
    partial = f"{path}.{os.getpid()}.{threading.get_ident()}"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(partial, "wb") as file:
            file.write(HEADER)
            marshal.dump(codes, file)
        os.replace(partial, path)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            os.unlink(partial)


class DataclassCode:
    """``dataclasses``' ``exec``: the functions it writes, compiled once and kept (see the module's text)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.kept: dict[tuple[str, int], CodeType] | None = None  # read on first use
        self.used: dict[tuple[str, int], CodeType] = {}
        self.compiled = 0
        self._lock = threading.Lock()

    def exec(self, source: object, globals: dict[str, Any] | None = None, locals: Any = None, /) -> None:
        if globals is None:  # as the built-in: the caller's namespaces
            caller = sys._getframe(1)
            globals = caller.f_globals
            if locals is None:
                locals = caller.f_locals
        if type(source) is str:
            # As dataclasses' own exec would compile it: its module has no __future__ imports to pass on.
            key = (source, sys.flags.optimize)
            code = self._kept().get(key)
            if code is None:
                code = builtins.compile(source, "<string>", "exec", dont_inherit=True)
                self.compiled += 1
            self.used[key] = code
            builtins.exec(code, globals, locals)
        else:
            builtins.exec(source, globals, locals)  # type: ignore[arg-type]

    def _kept(self) -> dict[tuple[str, int], CodeType]:
        kept = self.kept
        if kept is None:
            with self._lock:
                if self.kept is None:
                    self.kept = read(self.path)
                kept = self.kept
        return kept

    def save(self) -> None:
        """Write the file again when this run compiled something it did not have (once, at exit)."""
        if not self.compiled:
            return
        codes = dict(self.used)
        kept = self._kept()
        if len(kept) + len(codes) <= MAX_DATACLASS_SOURCES:
            codes = {**kept, **codes}  # the window's and the command line's: one file for both
        write(self.path, codes)
        self.compiled = 0


_dataclass_code: DataclassCode | None = None


def keep_dataclass_code(path: str | None = None) -> DataclassCode:
    """From now on the methods of new dataclasses come from the kept file (written at exit); once a process."""
    global _dataclass_code
    if _dataclass_code is None:
        import dataclasses

        _dataclass_code = DataclassCode(path or cache_file(PACKAGE_DIR, DATACLASS_CACHE_NAME))
        # dataclasses calls exec by its name: a module global of that name is found before the built-in.
        dataclasses.exec = _dataclass_code.exec  # type: ignore[attr-defined]
        atexit.register(_dataclass_code.save)
    return _dataclass_code
