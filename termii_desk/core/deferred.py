"""Packages whose ``__init__`` runs on first use: their submodules load without it meanwhile.

Two libraries' packages import, in their ``__init__``, much that the desk does not use on its way to ready or
to the first call: libphonenumber's matcher, as-you-type formatter and short-number tables (~4 ms; the desk
reads and checks numbers with ``phonenumbers.phonenumberutil``), and charset_normalizer's detection tables
(~8 ms, which requests imports to guess the encoding of an answer without a charset, ``Response.text``: the
desk reads the bytes and decodes them itself). ``defer_package()`` puts such a package in ``sys.modules``
before its ``__init__`` has run: importing its submodules works as usual, and the first name asked of the
package itself that it does not have yet (``phonenumbers.parse`` from other code, requests' guess) runs the
real ``__init__`` in it, once and under a lock; from then on it is the package as imported.
"""

from __future__ import annotations

import sys
import threading
from importlib.machinery import ModuleSpec
from importlib.util import find_spec
from types import ModuleType
from typing import Any

_INSTALL_LOCK = threading.Lock()


class DeferredPackage(ModuleType):
    """A package imported without its ``__init__`` so far (see the module's text)."""

    _deferred_spec: ModuleSpec | None
    _deferred_lock: threading.RLock

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name != "__all__":  # the import system's questions, answered as they are
            raise AttributeError(name)
        namespace = vars(self)
        with namespace["_deferred_lock"]:
            spec = namespace.pop("_deferred_spec", None)
            if spec is not None and spec.loader is not None:
                try:
                    spec.loader.exec_module(self)
                except BaseException:
                    namespace["_deferred_spec"] = spec  # the next question tries again, and says what failed
                    raise
        try:
            return namespace[name]
        except KeyError:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}") from None


def defer_package(name: str) -> ModuleType | None:
    """``name`` as a ``DeferredPackage`` in ``sys.modules``, unless it is imported already (then that module)
    or cannot be found (then None)."""
    with _INSTALL_LOCK:
        if name in sys.modules:
            return sys.modules[name]
        spec = find_spec(name)
        if spec is None or spec.loader is None or spec.submodule_search_locations is None:
            return None
        package = DeferredPackage(spec.name)
        package.__spec__, package.__loader__, package.__file__ = spec, spec.loader, spec.origin
        package.__path__, package.__package__ = list(spec.submodule_search_locations), spec.name
        package._deferred_lock = threading.RLock()
        package._deferred_spec = spec
        sys.modules[spec.name] = package
        return package


def defer_charset_detection() -> None:
    """charset_normalizer deferred before requests imports it (client.py): requests reads its version at import,
    which comes from the package's own small module."""
    package = defer_package("charset_normalizer")
    if package is not None and "__version__" not in vars(package):
        import charset_normalizer.version

        package.__version__ = charset_normalizer.version.__version__  # type: ignore[attr-defined]
