"""Notices never squeeze the form, the banner or the history, and never pile up.

Every kind of notice the window can show, several times each, at the minimum and the default size: the fields,
their live lines, Send and the banner keep their own height, Send is whole inside the window, the history shows
whole rows, the form does not move, and the notice bar stays a few lines (one notice per kind, at most
``SHOWN`` at once, the rest behind "N more"). A notice never takes the focus and is announced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QAccessibleEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QToolButton, QWidget

import termii_desk.ui.notices as notices_module
from termii_desk.core.bootstrap import DeskServices
from termii_desk.simulator import TermiiSimulator
from termii_desk.ui.error_hook import ExceptionHook
from termii_desk.ui.history_model import HistoryModel
from termii_desk.ui.instance_bridge import InstanceBridge
from termii_desk.ui.main_window import DEFAULT_SIZE, MINIMUM_SIZE, MainWindow
from termii_desk.ui.notices import SHOWN, NoticeBar
from termii_desk.ui.tones import Tone
from tests.ui.conftest import OFFSCREEN_NOISE, record

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)

OpenWindow = Callable[..., MainWindow]
MakeServices = Callable[..., DeskServices]

# Whole history rows always in view with every notice shown: at the minimum size, and at the default size.
ROWS_AT = {MINIMUM_SIZE: 2, DEFAULT_SIZE: 3}

# What the controller says as a notice (core's start-up sentences, the history, the log, settings, retention).
CONTROLLER_NOTICES = (
    "Ignored the setting cooldown_seconds (must not be negative); using the default.",
    "TERMII_BASE_URL applies to this run only, so changes in Settings last until you close the window.",
    "The history file was damaged; it was moved aside to history.sqlite3.damaged-1 and a new history started.",
    "The log file cannot be written (No space left on device); the desk goes on without it.",
    "3 attempts older than 365 days removed from history.",
    "The answer could not be saved (disk full); you will be asked again.",
    "The settings could not be saved: the disk is full.",
)


def rect_in(window: QWidget, widget: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def raise_every_notice(qtbot: Any, window: MainWindow, rounds: int = 3) -> None:
    """Every notice the window can show, ``rounds`` times, through the paths that show them."""
    hook = ExceptionHook(lambda: window, notify=window.add_notice)
    bridge = InstanceBridge(window, SimpleNamespace(on_request=lambda _listener: None))  # type: ignore[arg-type]
    for round_ in range(rounds):
        window.on_retention_question(365)
        for sentence in CONTROLLER_NOTICES:
            window.controller.notice.emit(sentence)
        window.on_export_finished(f"{round_ + 2} attempts exported to export-{round_}.csv.")
        window.on_export_finished(f"The export could not be written (disk full {round_}).")
        window.on_export_finished(f"1 attempt exported to today-{round_}.csv.")
        window.on_profile_switch_refused(f"The profile ng-{round_} cannot be opened: its settings are damaged.")
        bridge.on_requested({"note": f"--base-url https://example-{round_}.test was not applied."})
        try:
            raise RuntimeError("a bug")
        except RuntimeError as exc:
            hook(type(exc), exc, exc.__traceback__)
    QApplication.processEvents()


@pytest.mark.parametrize("size", [MINIMUM_SIZE, DEFAULT_SIZE], ids=["minimum", "default"])
def test_every_notice_at_once_leaves_the_form_banner_and_history_whole(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    history: Any, screenshot_dir: Path, size: tuple[int, int]
) -> None:
    for n in range(12):
        record(history, phone=f"2348031234{n:03d}")
    window = open_window(make_services(simulator.url), size=size)
    form = window.form
    form.phone.edit.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is form.phone.edit)
    form_at = rect_in(window, form)
    raise_every_notice(qtbot, window)
    qtbot.waitUntil(lambda: not window.notices.isHidden())
    QApplication.processEvents()
    assert window.size().width() == size[0] and window.size().height() == size[1]
    assert window.grab().save(str(screenshot_dir / f"screen-notices-{'x'.join(map(str, size))}.png"))

    # The form where it was, every field, live line and button at its own height, whole on screen.
    assert rect_in(window, form) == form_at
    for widget in [*form.findChildren(QLineEdit), *form.findChildren(QPushButton)]:
        if widget.isVisible():
            assert widget.height() >= widget.sizeHint().height(), (widget.objectName() or widget.text())
            assert widget.visibleRegion().boundingRect().size() == widget.size(), widget.objectName()
    for line in (form.phone.status, form.code.status):
        assert line.height() >= max(line.minimumHeight(), line.heightForWidth(line.width())), line.text()
        assert line.visibleRegion().boundingRect().size() == line.size(), line.text()
    send = rect_in(window, form.send_button)
    assert window.rect().contains(send) and form.send_button.height() >= form.send_button.sizeHint().height()
    outcome = window.outcome
    assert outcome.height() >= max(outcome.sizeHint().height(), outcome.minimumHeight())
    assert window.rect().contains(rect_in(window, outcome))

    # Whole rows of history in view, inside the window.
    panel = window.history_panel
    assert panel is not None
    table = panel.table
    viewport = table.viewport()
    assert viewport.height() // table.verticalHeader().defaultSectionSize() >= ROWS_AT[size]
    assert window.rect().contains(rect_in(window, table)) and panel.model.rowCount() >= ROWS_AT[size]

    # The notices: one per kind, a few at a time, the focus left where the agent was.
    bar = window.notices
    texts = bar.texts()
    exports = [text for text in texts if "export" in text]
    assert exports == ["✓ 1 attempt exported to today-2.csv."]  # the latest export replaced the others
    assert len([t for t in texts if "was not applied" in t]) == 1 and "example-2" in texts[0] + " ".join(texts)
    assert len([t for t in texts if "ng-" in t]) == 1 and any("ng-2" in t for t in texts)
    assert len([t for t in texts if "unexpected error" in t]) == 1
    for sentence in CONTROLLER_NOTICES:  # different sentences stay, each once
        assert texts.count("⚠ " + sentence) == 1, sentence
    assert len(bar.shown_texts()) <= SHOWN and bar.hidden_count == len(texts) - (SHOWN - 1)
    assert bar.more_button.isVisible() and bar.more_button.accessibleName() == (
        f"Show {bar.hidden_count} more notices")
    assert QApplication.focusWidget() is form.phone.edit

    # All of them shown: the bar scrolls within its room; the form and the rows stay whole.
    bar.more_button.click()
    QApplication.processEvents()
    assert len(bar.shown_texts()) == len(texts) + 1  # and the question
    assert rect_in(window, form) == form_at and form.phone.edit.height() >= form.phone.edit.sizeHint().height()
    assert viewport.height() // table.verticalHeader().defaultSectionSize() >= ROWS_AT[size]
    assert window.size().height() == size[1]
    assert window.grab().save(str(screenshot_dir / f"screen-notices-all-{'x'.join(map(str, size))}.png"))


def test_the_window_never_squeezes_its_content_even_when_it_cannot_fit(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow, history: Any
) -> None:
    """A state that needs more than the minimum height (a custom range's row and notices): the window grows
    to what it needs instead of squeezing the form; back to its minimum when that is gone."""
    for n in range(6):
        record(history, phone=f"2348031234{n:03d}")
    window = open_window(make_services(simulator.url), size=MINIMUM_SIZE)
    panel = window.history_panel
    assert panel is not None
    raise_every_notice(qtbot, window, rounds=1)
    panel.dates_combo.setCurrentIndex(panel.dates_combo.count() - 1)  # the custom range: a row more
    panel.on_model_problem_changed("History could not be read just now (disk I/O error). " * 2)
    qtbot.waitUntil(lambda: window.height() > MINIMUM_SIZE[1], timeout=3000)
    QApplication.processEvents()
    form = window.form
    for widget in (form.phone.edit, form.code.edit, form.send_button):
        assert widget.height() >= widget.sizeHint().height()
    assert window.outcome.height() >= window.outcome.sizeHint().height()
    table = panel.table
    assert table.viewport().height() // table.verticalHeader().defaultSectionSize() >= ROWS_AT[MINIMUM_SIZE]
    panel.on_model_problem_changed("")
    panel.dates_combo.setCurrentIndex(0)
    qtbot.waitUntil(lambda: window.minimumHeight() == MINIMUM_SIZE[1], timeout=3000)


# -- the bar on its own ---------------------------------------------------------------------------------


@pytest.fixture
def bar(qtbot: Any) -> Iterator[NoticeBar]:
    host = QWidget()
    qtbot.addWidget(host)
    bar = NoticeBar(host)
    host.resize(700, 400)
    bar.setGeometry(0, 200, 700, 200)  # away from where the pointer may be (a pointer over it pauses the timers)
    host.show()
    qtbot.waitExposed(host)
    yield bar  # the host lives as long as the test


def test_a_kind_replaces_its_notice_and_different_sentences_stay(bar: NoticeBar) -> None:
    bar.add("5 attempts exported to a.csv.", Tone.GOOD, kind="export")
    bar.add("2 attempts exported to b.csv.", Tone.GOOD, kind="export")
    assert bar.texts() == ["✓ 2 attempts exported to b.csv."]
    bar.add("The history file was damaged.")
    bar.add("The history file was damaged.")  # the same sentence: once
    bar.add("The log file cannot be written.")
    assert bar.texts() == ["⚠ The log file cannot be written.", "⚠ The history file was damaged.",
                           "✓ 2 attempts exported to b.csv."]  # newest first
    bar.add("The export could not be written (disk full).", Tone.BAD, kind="export")
    assert bar.texts()[0] == "✕ The export could not be written (disk full)." and len(bar.texts()) == 3


def dismiss_buttons(bar: NoticeBar) -> list[QToolButton]:
    """The close buttons on screen, top to bottom."""
    shown = [b for b in bar.findChildren(QToolButton) if b.accessibleName() == "Dismiss notice" and b.isVisible()]
    return sorted(shown, key=lambda b: b.mapTo(bar, QPoint(0, 0)).y())


def test_at_most_a_few_are_shown_and_more_shows_the_rest(qtbot: Any, bar: NoticeBar) -> None:
    for n in range(5):
        bar.add(f"Sentence {n}.")
    assert bar.shown_texts() == ["⚠ Sentence 4.", "⚠ Sentence 3."][:SHOWN] and bar.hidden_count == 5 - SHOWN
    more = bar.more_button
    assert more.isVisible() and more.text() == f"{5 - SHOWN} more…"
    assert more.accessibleName() == f"Show {5 - SHOWN} more notices"
    assert more.focusPolicy() == Qt.FocusPolicy.TabFocus  # reached by Tab, never by a click
    more.click()
    assert len(bar.shown_texts()) == 5 and more.accessibleName() == "Show fewer notices"
    more.click()
    assert len(bar.shown_texts()) == SHOWN
    dismiss_buttons(bar)[0].click()  # the top one: the newest
    qtbot.waitUntil(lambda: len(bar.texts()) == 4)
    assert bar.shown_texts() == ["⚠ Sentence 3.", "⚠ Sentence 2."][:SHOWN]
    for _ in range(4):
        dismiss_buttons(bar)[0].click()
        QApplication.processEvents()
    qtbot.waitUntil(lambda: bar.texts() == [])
    assert bar.isHidden() and not more.isVisible()


def test_a_confirmation_goes_by_itself_unless_the_agent_is_at_it(
    qtbot: Any, bar: NoticeBar, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notices_module, "TRANSIENT_MS", 300)
    bar.add("The history file was damaged.")  # stays
    bar.add("5 attempts exported to a.csv.", Tone.GOOD, kind="export", transient=True)
    qtbot.waitUntil(lambda: bar.texts() == ["⚠ The history file was damaged."], timeout=5000)
    bar.add("6 attempts exported to a.csv.", Tone.GOOD, kind="export", transient=True)
    close = dismiss_buttons(bar)[0]
    bar.window().activateWindow()
    close.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is close)
    qtbot.wait(900)  # three times its time: it waits while the keyboard is at the bar
    assert "✓ 6 attempts exported to a.csv." in bar.texts()
    close.clearFocus()
    qtbot.waitUntil(lambda: len(bar.texts()) == 1, timeout=5000)


def test_each_notice_is_announced_and_keeps_its_text(bar: NoticeBar, monkeypatch: pytest.MonkeyPatch) -> None:
    said: list[str] = []
    original = QAccessible.updateAccessibility

    def hear(event: QAccessibleEvent) -> None:
        if isinstance(event, QAccessibleAnnouncementEvent):
            said.append(event.message())
        original(event)

    monkeypatch.setattr(QAccessible, "updateAccessibility", staticmethod(hear))
    bar.add("2 attempts exported to b.csv.", Tone.GOOD, kind="export")
    bar.add("The history file was damaged.")
    assert said == ["✓ 2 attempts exported to b.csv.", "⚠ The history file was damaged."]
    labels = [w for w in bar.findChildren(QWidget) if getattr(w, "text", None) and w.isVisible()
              and hasattr(w, "tone")]
    assert {label.text() for label in labels} >= set(said)  # what screen readers read: the label's text


# -- Tab into the history table -------------------------------------------------------------------------


def test_tab_into_the_history_makes_the_newest_call_current_and_shows_it(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow, history: Any,
    screenshot_dir: Path
) -> None:
    for n in range(30):
        record(history, phone=f"2348031234{n:03d}", termii_message=f"Successfully Sent {n}")
    window = open_window(make_services(simulator.url), size=DEFAULT_SIZE)
    panel = window.history_panel
    assert panel is not None
    table = panel.table
    qtbot.waitUntil(lambda: panel.model.rowCount() > 0)
    assert not table.currentIndex().isValid() and not panel.selected_row()
    panel.dates_combo.setFocus(Qt.FocusReason.TabFocusReason)  # the filter's last control before the table
    qtbot.waitUntil(lambda: QApplication.focusWidget() is panel.dates_combo)
    qtbot.keyClick(panel.dates_combo, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is table
    newest = panel.model.row_at(0)
    assert table.currentIndex().row() == 0 and panel.selected_row() == newest
    assert "Successfully Sent 29" in panel.details_label.text()  # the newest call's details, no arrow key
    QApplication.processEvents()
    assert window.grab().save(str(screenshot_dir / "screen-history-tab-in.png"))
    with qtbot.waitSignal(panel.use_number_requested) as used:
        qtbot.keyClick(table, Qt.Key.Key_Return)  # Enter acts on it
    assert used.args == ["+" + newest.phone]

    # A row already current stays current, and the view stays where it is.
    table.setFocus(Qt.FocusReason.TabFocusReason)
    for _ in range(20):
        qtbot.keyClick(table, Qt.Key.Key_Down)
    assert table.currentIndex().row() == 20
    scrolled = table.verticalScrollBar().value()
    panel.dates_combo.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(panel.dates_combo, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is table and table.currentIndex().row() == 20
    assert table.verticalScrollBar().value() == scrolled
    assert f"Successfully Sent {29 - 20}" in panel.details_label.text()


def test_tab_into_a_scrolled_history_takes_the_top_row_in_view(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow, history: Any
) -> None:
    for n in range(30):
        record(history, phone=f"2348031234{n:03d}")
    window = open_window(make_services(simulator.url), size=DEFAULT_SIZE)
    panel = window.history_panel
    assert panel is not None
    table = panel.table
    qtbot.waitUntil(lambda: panel.model.rowCount() >= 30)
    table.verticalScrollBar().setValue(table.verticalScrollBar().maximum())  # the agent scrolled with the wheel
    scrolled = table.verticalScrollBar().value()
    top = table.rowAt(0) + (1 if table.rowViewportPosition(table.rowAt(0)) < 0 else 0)  # the first whole row
    assert top > 0
    panel.dates_combo.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is panel.dates_combo)
    qtbot.keyClick(panel.dates_combo, Qt.Key.Key_Tab)
    assert table.currentIndex().row() == top and table.verticalScrollBar().value() == scrolled
    assert panel.selected_row() == panel.model.row_at(top)
    assert table.currentIndex().column() == HistoryModel.TIME
