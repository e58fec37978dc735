"""Code a start compiles kept for the next start, where Python keeps the desk's own bytecode, under its rules.

Three things compile the same source at every start: shiboken6's support code (ui/_shiboken.py), the methods
``dataclasses`` writes for each dataclass (``__init__``, ``__eq__``, ``__repr__``, ...: ~160 small functions to
the window's ready, ~8 ms) and ``re``'s compiler, which parses each pattern and writes its program in Python
(~140 patterns, ~20 ms, the desk's and its libraries'). What they compile is kept in files beside the desk's
bytecode: the same place, the same rules (``sys.pycache_prefix``, ``sys.dont_write_bytecode``), and each is used
only under the same Python (its bytecode magic number in the file's header) for exactly the same source; anything
else is compiled as before. A file that cannot be read or written costs nothing but the compile. Of the
patterns only fixed texts are kept, never one that may be made of data such as the API key (``RegexCode``).
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import marshal
import os
import re
import sys
import threading
from collections.abc import Callable
from importlib._bootstrap_external import MAGIC_NUMBER, cache_from_source
from typing import Any

HEADER = MAGIC_NUMBER.ljust(16, b"\0")
PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATACLASS_CACHE_NAME = "_dataclass_code"
REGEX_CACHE_NAME = "_regex_code"
_REGEX_FORMAT = 2  # 2: fixed texts only (files of format 1 may hold patterns made of data)
_RE_MODULES = frozenset({"re", "re._compiler"})  # the frames between a pattern's caller and the compiler
# Kept entries beyond this are dropped at the next write (sources of older versions of the desk or its libraries).
MAX_SOURCES = 2000


def cache_file(directory: str, name: str) -> str:
    """The file kept for ``name`` in ``directory`` (a folder of the desk's modules), where its bytecode would be."""
    return str(cache_from_source(os.path.join(directory, f"{name}.py")))


def read(path: str) -> dict[Any, Any]:
    """What is kept in ``path`` (code objects, or patterns' programs); nothing when it is missing, damaged or
    from another Python."""
    try:
        with open(path, "rb") as file:
            data = file.read()
        # From bytes: marshal.load() reads a file object a few bytes at a time (~15x slower on these).
        codes = marshal.loads(memoryview(data)[len(HEADER):]) if data[: len(HEADER)] == HEADER else {}
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return codes if isinstance(codes, dict) else {}


def write(path: str, codes: dict[Any, Any]) -> None:
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


class _Kept:
    """What a start compiled, kept in ``path`` for the next one: read on first use, written at exit if it grew."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.kept: dict[Any, Any] | None = None
        self.used: dict[Any, Any] = {}
        self.compiled = 0  # since the file was last read or written (for the tests)
        self._lock = threading.Lock()

    def _kept(self) -> dict[Any, Any]:
        kept = self.kept
        if kept is None:
            with self._lock:
                if self.kept is None:
                    self.kept = self._check(read(self.path))
                kept = self.kept
        return kept

    def _check(self, kept: dict[Any, Any]) -> dict[Any, Any]:
        return kept

    def save(self) -> None:
        """Write the file again when this run compiled something it did not have (once, at exit)."""
        if not self.compiled:
            return
        codes = dict(self.used)
        kept = self._kept()
        if len(kept) + len(codes) <= MAX_SOURCES:
            codes = {**kept, **codes}  # the window's and the command line's: one file for both
        write(self.path, codes)
        self.compiled = 0


class DataclassCode(_Kept):
    """``dataclasses``' ``exec``: the functions it writes, compiled once and kept (see the module's text)."""

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


class _SreRecorder:
    """``re``'s compiler's view of ``_sre``: the same, but the last program it handed to ``_sre.compile`` is kept
    (per thread) for ``RegexCode``."""

    def __init__(self, sre: Any, last: threading.local) -> None:
        self._sre = sre
        self._last = last

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sre, name)

    def compile(self, *args: Any) -> Any:
        self._last.args = args
        return self._sre.compile(*args)


class RegexCode(_Kept):
    """``re``'s compiler: the program it writes for a pattern (the parse and compile, in Python: ~20 ms of a
    start, the desk's and its libraries' patterns), kept; the pattern object is made from it by ``_sre``, as the
    compiler itself does. Kept programs are used only by the same Python with the same regular expression
    engine (``_sre.MAGIC``, checked on reading).

    Only fixed texts are kept: the patterns compiled while a module is imported (where the start-up's cost is),
    and those written out in the code that compiles them. Any other pattern may be made of data, and so may
    one compiled during an import, should it be made of data: the redaction's patterns are made of the API key,
    its encodings and the codes sent, and none of that may reach a file. scrub.py compiles them with
    ``compile_unkept()``; any other pattern that is not a fixed text compiles as always, and neither is ever
    written.
    """

    def __init__(self, path: str, compiler: Any) -> None:
        super().__init__(path)
        self._compile: Callable[..., Any] = compiler.compile
        self._last = threading.local()
        self._sre = compiler._sre
        compiler._sre = _SreRecorder(self._sre, self._last)
        self._stamp = ("_sre", self._sre.MAGIC, sys.version, _REGEX_FORMAT)
        self._debug: int = compiler.SRE_FLAG_DEBUG

    def _check(self, kept: dict[Any, Any]) -> dict[Any, Any]:
        return kept if kept.pop("", None) == self._stamp else {}

    def save(self) -> None:
        if self.compiled:
            self.used[""] = self._stamp
        super().save()

    @staticmethod
    def _fixed_text(pattern: str | bytes) -> bool:
        """Whether the pattern being compiled is a fixed text: written out in the code that compiles it (one of
        its constants), or compiled while a module is being imported (its top-level code, or what that calls)."""
        frame = sys._getframe(2)
        while frame is not None and frame.f_globals.get("__name__") in _RE_MODULES:
            frame = frame.f_back  # type: ignore[assignment]
        if frame is None:
            return False
        if any(type(constant) is type(pattern) and constant == pattern for constant in frame.f_code.co_consts):
            return True
        while frame is not None:
            if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") != "__main__":
                return True
            frame = frame.f_back  # type: ignore[assignment]
        return False

    def compile_unkept(self, pattern: Any, flags: int = 0) -> Any:
        """``pattern`` compiled as ``re`` would, never kept nor looked up (see ``compile_unkept()``)."""
        return self._compile(pattern, flags)

    def compile(self, pattern: Any, flags: int = 0) -> Any:
        if type(pattern) not in (str, bytes) or flags & self._debug or not self._fixed_text(pattern):
            return self._compile(pattern, flags)  # a parsed pattern (re.Scanner), re.DEBUG, or maybe data
        key = (type(pattern).__name__, pattern, int(flags))
        args = self._kept().get(key)
        if args is not None:
            try:
                compiled = self._sre.compile(*args)
            except Exception:  # a damaged entry: compiled again, and replaced at exit
                self._kept().pop(key, None)
            else:
                self.used[key] = args
                return compiled
        self._last.args = None
        compiled = self._compile(pattern, flags)
        args = self._last.args
        if args is not None and type(args[0]) is type(pattern) and args[0] == pattern:
            pattern, flags, code, groups, groupindex, indexgroup = args
            # Plain ints: the compiler's opcodes are an int subclass, which marshal does not write.
            self.used[key] = (pattern, int(flags), [int(c) for c in code], int(groups), dict(groupindex),
                              tuple(indexgroup))
            self.compiled += 1
        return compiled


_dataclass_code: DataclassCode | None = None
_regex_code: RegexCode | None = None


def compile_unkept(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, never kept in a file: for patterns made of secrets (core/scrub.py)."""
    if _regex_code is None:
        return re.compile(pattern, flags)
    compiled: re.Pattern[str] = _regex_code.compile_unkept(pattern, flags)
    return compiled


def keep_compiled_code() -> None:
    """From now on the methods of new dataclasses and the programs of new regular expressions come from the
    files kept by earlier starts (written at exit); once a process."""
    keep_dataclass_code()
    keep_regex_code()


def keep_dataclass_code(path: str | None = None) -> DataclassCode:
    """The methods of new dataclasses from the kept file (written at exit); once a process."""
    global _dataclass_code
    if _dataclass_code is None:
        import dataclasses

        _dataclass_code = DataclassCode(path or cache_file(PACKAGE_DIR, DATACLASS_CACHE_NAME))
        # dataclasses calls exec by its name: a module global of that name is found before the built-in.
        dataclasses.exec = _dataclass_code.exec  # type: ignore[attr-defined]
        atexit.register(_dataclass_code.save)
    return _dataclass_code


def keep_regex_code(path: str | None = None) -> RegexCode | None:
    """The programs of new regular expressions from the kept file (written at exit); once a process. None
    where ``re`` is not built as this expects (its compiler module, its call of ``_sre.compile``)."""
    global _regex_code
    if _regex_code is None:
        compiler = getattr(re, "_compiler", None)
        if compiler is None or not callable(getattr(getattr(compiler, "_sre", None), "compile", None)):
            return None
        _regex_code = RegexCode(path or cache_file(PACKAGE_DIR, REGEX_CACHE_NAME), compiler)
        compiler.compile = _regex_code.compile  # re.compile() calls it by its module's name
        atexit.register(_regex_code.save)
    return _regex_code
