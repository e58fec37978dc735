"""shiboken6 imported without compiling its support code at every start: imported by cli.py before Qt.

shiboken6 keeps its Python support code (the signature loader, its parser and layout, ``__feature__``, a stub
generator) as source in a zip inside its extension module, and compiles all of it, ~3,600 lines, on every
import: ~10 ms before the first frame, in any PySide6 program. ``import_shiboken()`` imports it with the code
objects of the last start, kept in one file where Python keeps the desk's own bytecode (the same place, the
same rules: ``sys.pycache_prefix``, ``sys.dont_write_bytecode``), each found again only for the same file name
and the same source bytes (length and CRC-32), under the same Python (its bytecode magic number); anything
else is compiled as before. The stub generator (``pyi_generator``, which tools run to write .pyi files and
nothing at run time uses) is defined at once but runs on first use: ~8 ms more, most of it the modules it
imports (argparse, textwrap). A cache that cannot be read or written costs nothing but the compile.
"""

from __future__ import annotations

import builtins
import os
import sys
import zlib
from collections.abc import Callable
from types import CodeType
from typing import Any

from termii_desk.core import code_cache

# The source files of shiboken's embedded zip (their names, as it compiles them).
_SUPPORT_PREFIX = "shibokensupport/"
# Run on first use instead of at import: nothing but stub generation reaches into it. (Modules that shiboken's
# own C code reads functions out of, such as the mapping or the error handler, must stay as they are.)
_DEFERRED = frozenset({"shibokensupport/signature/lib/pyi_generator.py"})
# Defines the deferred module's __getattr__: the module's code runs, in its own namespace, once something
# asks for a name it does not have yet. The code object itself waits in ``deferred``, under the module's name.
_DEFER_SOURCE = """
import sys as _sys
_code = _sys.modules["termii_desk.ui._shiboken"].deferred.pop(__name__)
del _sys
def __getattr__(name):
    namespace = globals()
    code = namespace.pop("_code", None)
    if code is not None:
        del namespace["__getattr__"]
        exec(code, namespace)
    try:
        return namespace[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
"""

Key = tuple[str, int, int]
deferred: dict[str, CodeType] = {}


def cache_file() -> str:
    """Where the compiled support code is kept: beside this module's own bytecode."""
    return code_cache.cache_file(os.path.dirname(os.path.abspath(__file__)), "_shiboken_support")


def import_shiboken() -> dict[str, int]:
    """Import shiboken6 (and so its support code) as described above; a no-op once it is imported.

    Returns how many of its support files came from the cache and how many were compiled (for the tests)."""
    counts = {"cached": 0, "compiled": 0}
    if "shiboken6" in sys.modules:
        return counts
    path = cache_file()
    kept: dict[Key, CodeType] = code_cache.read(path)
    used: dict[Key, CodeType] = {}
    compile_source: Callable[..., Any] = builtins.compile

    def compile_support(source: Any, filename: Any, mode: str, flags: int = 0, dont_inherit: bool = False,
                        optimize: int = -1, **options: Any) -> Any:
        plain = not flags and not dont_inherit and optimize == -1 and not options
        if not (plain and mode == "exec" and isinstance(source, bytes) and isinstance(filename, str)
                and filename.startswith(_SUPPORT_PREFIX)):
            return compile_source(source, filename, mode, flags, dont_inherit, optimize, **options)
        key = (filename, len(source), zlib.crc32(source))
        code = kept.get(key)
        counts["cached" if code is not None else "compiled"] += 1
        if code is None:
            code = compile_source(source, filename, mode)
        used[key] = code
        if filename in _DEFERRED:
            deferred[filename[: -len(".py")].replace("/", ".")] = code
            return compile_source(_DEFER_SOURCE, filename, mode)
        return code

    builtins.compile = compile_support
    try:
        import shiboken6  # noqa: F401
    finally:
        builtins.compile = compile_source
    if used and used.keys() != kept.keys():
        code_cache.write(path, used)
    return counts
