"""Status colours that follow the palette: dark shades on light windows, light shades on dark ones."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QWidget

from termii_desk.ui.tones import Tone, ToneLabel, is_dark, tone_color
from tests.ui.conftest import OFFSCREEN_NOISE, dark_palette

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)


def test_each_tone_is_readable_on_light_and_dark_palettes() -> None:
    light, dark = QPalette(), dark_palette()
    light.setColor(QPalette.ColorRole.Window, "#f0f0f0")
    assert not is_dark(light) and is_dark(dark)
    for tone in (Tone.GOOD, Tone.WARNING, Tone.BAD):
        assert tone_color(light, tone).lightness() < 110
        assert tone_color(dark, tone).lightness() > 140
    assert tone_color(dark, Tone.PLAIN) == dark.color(QPalette.ColorRole.WindowText)


def test_label_recolours_when_the_palette_changes(qtbot: Any) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    light = QPalette()
    light.setColor(QPalette.ColorRole.Window, "#f0f0f0")
    parent.setPalette(light)
    label = ToneLabel("✕ bad", parent, tone=Tone.BAD)
    before = label.palette().color(QPalette.ColorRole.WindowText)
    parent.setPalette(dark_palette())
    after = label.palette().color(QPalette.ColorRole.WindowText)
    assert before.lightness() < 110 < 140 < after.lightness()
    label.set_tone(Tone.GOOD)
    assert label.palette().color(QPalette.ColorRole.WindowText) == tone_color(dark_palette(), Tone.GOOD)


def test_colours_picked_while_the_window_is_in_the_background_are_the_active_ones(qapp: Any) -> None:
    from PySide6.QtGui import QColor

    palette = QPalette()
    palette.setColor(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText, QColor("#e8eaed"))
    palette.setColor(QPalette.ColorGroup.Inactive, QPalette.ColorRole.WindowText, QColor("#5f6368"))
    palette.setColor(QPalette.ColorGroup.Active, QPalette.ColorRole.PlaceholderText, QColor("#9aa0a6"))
    palette.setColor(QPalette.ColorGroup.Inactive, QPalette.ColorRole.PlaceholderText, QColor("#3c4043"))
    palette.setCurrentColorGroup(QPalette.ColorGroup.Inactive)  # as while the window is in the background
    assert tone_color(palette, Tone.PLAIN).name() == "#e8eaed"
    assert tone_color(palette, Tone.NEUTRAL).name() == "#9aa0a6"
