"""NoticeBar: start-up sentences shown once, each dismissable; the bar hides when empty."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QToolButton

from termii_desk.ui.notices import NoticeBar
from tests.ui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


def test_notices_are_shown_once_and_dismissed(qtbot: Any) -> None:
    bar = NoticeBar()
    qtbot.addWidget(bar)
    assert bar.isHidden()
    bar.add("The history file was damaged; it was moved aside.")
    bar.add("The history file was damaged; it was moved aside.")
    bar.add("Ignored TERMII_BASE_URL: not a web address.")
    assert not bar.isHidden() and len(bar.texts()) == 2
    for button in bar.findChildren(QToolButton):
        button.click()
    qtbot.waitUntil(lambda: bar.texts() == [])
    assert bar.isHidden()
