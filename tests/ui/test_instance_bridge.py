"""The running desk's side of single-instance: a later start, through the real socket, brings the window back
(un-minimised, raised, activated) and its note about options not applied is shown as a notice."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from termii_desk.core import instance
from termii_desk.core.instance import Primary, claim
from termii_desk.ui.instance_bridge import InstanceBridge
from termii_desk.ui.main_window import MainWindow
from termii_desk.ui.worker import InlineExecutor

pytestmark = pytest.mark.skipif(not instance.supported(), reason="Unix sockets and flock only")


@pytest.fixture
def primary(monkeypatch: pytest.MonkeyPatch) -> Iterator[Primary]:
    folder = Path(tempfile.mkdtemp(prefix="rt-", dir="/tmp"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    _, desk = claim([])
    assert desk is not None
    yield desk
    desk.close()
    (folder / "termii-desk").rmdir()
    folder.rmdir()


def test_a_second_start_brings_the_window_back_and_says_what_it_did_not_apply(qtbot: Any, primary: Primary) -> None:
    window = MainWindow(InlineExecutor(), staged=True)  # as at start-up: only the first frame so far
    qtbot.addWidget(window)
    bridge = InstanceBridge(window, primary)
    window.show()
    qtbot.waitExposed(window)
    window.showMinimized()
    qtbot.waitUntil(window.isMinimized)
    calls: list[str] = []
    window.raise_ = lambda: calls.append("raise")  # type: ignore[method-assign]
    window.activateWindow = lambda: calls.append("activate")  # type: ignore[method-assign]

    answer, _ = claim(["--base-url", "https://example.test"])
    assert answer is not None and "was not applied" in answer["note"]
    qtbot.waitUntil(lambda: bridge.handled == 1)
    assert not window.isMinimized() and window.isVisible()
    assert calls == ["raise", "activate"]
    window.build_content()  # the note waits for the widgets to exist
    assert any("--base-url https://example.test" in text for text in window.notices.texts())

    claim([])  # the same start as this desk's: back to the front, and no notice
    qtbot.waitUntil(lambda: bridge.handled == 2)
    assert len(window.notices.texts()) == 1

    bridge.close()
    window.close()
