"""A package deferred by ``core.deferred``: its submodules without its ``__init__``, which runs once, on the first
name asked of the package; a failing ``__init__`` says so at every ask until it runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from termii_desk.core.deferred import DeferredPackage, defer_package


def _package(root: Path, name: str, init: str) -> None:
    (root / name).mkdir()
    (root / name / "__init__.py").write_text(init)
    (root / name / "part.py").write_text("VALUE = 7\n")


def test_submodules_load_without_init_which_runs_on_the_first_name(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _package(tmp_path, "deferred_sample", "import sys\nsys.deferred_sample_runs += 1\nfrom .part import VALUE\n"
                                          "DOUBLE = VALUE * 2\n__all__ = ['DOUBLE']\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "deferred_sample_runs", 0, raising=False)
    try:
        package = defer_package("deferred_sample")
        assert isinstance(package, DeferredPackage)
        import deferred_sample.part

        assert deferred_sample.part.VALUE == 7 and sys.deferred_sample_runs == 0  # type: ignore[attr-defined]
        assert package.__all__ == ["DOUBLE"] and package.DOUBLE == 14
        assert sys.deferred_sample_runs == 1  # type: ignore[attr-defined]
        assert package.DOUBLE == 14 and sys.deferred_sample_runs == 1  # once
        with pytest.raises(AttributeError, match="no attribute 'missing'"):
            _ = package.missing
        assert defer_package("deferred_sample") is package  # imported: left as it is
    finally:
        for name in ("deferred_sample", "deferred_sample.part"):
            sys.modules.pop(name, None)


def test_a_failing_init_raises_its_error_at_each_ask_until_it_runs(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _package(tmp_path, "deferred_failing", "import sys\nif not sys.deferred_failing_fixed:\n"
                                           "    raise RuntimeError('not yet')\nREADY = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "deferred_failing_fixed", False, raising=False)
    try:
        package = defer_package("deferred_failing")
        assert package is not None
        for _ in range(2):
            with pytest.raises(RuntimeError, match="not yet"):
                _ = package.READY
        monkeypatch.setattr(sys, "deferred_failing_fixed", True, raising=False)
        assert package.READY is True
    finally:
        sys.modules.pop("deferred_failing", None)


def test_a_package_that_is_not_there_is_not_deferred() -> None:
    assert defer_package("no_such_package_here") is None
    assert "no_such_package_here" not in sys.modules
