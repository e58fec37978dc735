"""Shared fixtures: every app folder under tmp_path, Qt offscreen, a simulator on a free loopback port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Before any Qt import: tests never need a display (the e2e tests start their own Xvfb).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("TERMII_API_KEY", None)
os.environ.pop("TERMII_BASE_URL", None)

SIM_KEY = "sim-test-key"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"


@pytest.fixture(autouse=True)
def desk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """TERMII_DESK_HOME in a temporary folder: no test touches the real settings, history or logs."""
    home = tmp_path / "desk-home"
    monkeypatch.setenv("TERMII_DESK_HOME", str(home))
    monkeypatch.delenv("TERMII_API_KEY", raising=False)
    monkeypatch.delenv("TERMII_BASE_URL", raising=False)
    return home


@pytest.fixture
def simulator() -> Iterator[object]:
    """The project's own Termii simulator, on a free loopback port, stopped after the test."""
    from termii_desk.simulator import TermiiSimulator

    with TermiiSimulator(api_key=SIM_KEY) as sim:
        yield sim


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
