# Runtime hook of the bundle (packaging/termii-desk.spec): runs PyInstaller's own runtime hooks for PySide6,
# inspect and pkgutil when their module is first imported, not before the desk's first line.
#
# PyInstaller runs every runtime hook at start, and the PySide6 one imports QtCore (to check for an embedded
# qt.conf), ~0.1 s before any of the desk's code: the command line (`termii-desk --version`, `call`, ...) and a
# second start that hands over to the running desk (no Qt at all) paid it on every run. The spec leaves those
# hooks out of the start and ships their files in _deferred_rthooks/; this one runs each of them right after its
# module has been imported (so still before anything uses it), with the same code PyInstaller would have run.
import os
import sys


def _install() -> None:
    folder = os.path.join(sys._MEIPASS, "_deferred_rthooks")  # type: ignore[attr-defined]
    # The module each hook belongs to (PyInstaller's rthooks.dat): the hook runs once it is imported.
    pending = {"PySide6": "pyi_rth_pyside6", "inspect": "pyi_rth_inspect", "pkgutil": "pyi_rth_pkgutil"}
    pending = {module: os.path.join(folder, name + ".py") for module, name in pending.items()
               if os.path.exists(os.path.join(folder, name + ".py"))}
    for module in [m for m in pending if m in sys.modules]:  # already imported (by PyInstaller itself): now
        _run(pending.pop(module))
    if not pending:
        return

    class AfterImport:
        """A finder that finds nothing itself: it wraps the real loader of a watched module."""

        def find_spec(self, name, path=None, target=None):
            hook = pending.get(name)
            if hook is None:
                return None
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    break
            else:
                return None
            loader = spec.loader
            if loader is None or not hasattr(loader, "exec_module"):
                return spec
            pending.pop(name)
            if not pending:
                sys.meta_path.remove(self)
            exec_module = loader.exec_module

            def exec_then_hook(module):
                exec_module(module)
                _run(hook)

            loader.exec_module = exec_then_hook  # this module's loader only: one loader per module
            return spec

    sys.meta_path.insert(0, AfterImport())


def _run(path: str) -> None:
    with open(path, encoding="utf-8") as file:
        code = compile(file.read(), path, "exec")
    exec(code, {"__name__": "__main__", "__file__": path, "__builtins__": __builtins__})


_install()
del _install
