"""The history's narrowing filters and its focus ring, on a real HistoryStore in a real panel.

"Needs checking" (unknown outcomes only) and a range of local days combine with the phone filter; their counts
never move the filter; a range that ends before it starts says so. The table's current row is outlined while
it has the keyboard, in light and dark palettes, selected or not.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QDate, QPoint, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from termii_desk.core.errors import Outcome
from termii_desk.core.history import HistoryStore
from termii_desk.ui.history_model import HistoryModel
from termii_desk.ui.history_panel import CUSTOM_RANGE, DATE_PRESETS, FOCUS_RING_WIDTH, HistoryPanel
from tests.ui.conftest import record

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints\(\)|raise\(\)|grabbing the keyboard)$"
)
LAGOS = ZoneInfo("Africa/Lagos")


@pytest.fixture
def lagos() -> Iterator[None]:
    """This computer's local time is Lagos (UTC+1) for the test."""
    import os

    before = os.environ.get("TZ")
    os.environ["TZ"] = "Africa/Lagos"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


_HOSTS: list[QWidget] = []  # the windows the panels sit in, kept until the test ends


@pytest.fixture(autouse=True)
def _hosts() -> Iterator[None]:
    yield
    _HOSTS.clear()


def shown(qtbot, panel: HistoryPanel, size: tuple[int, int] = (900, 460)) -> HistoryPanel:
    host = QWidget()
    _HOSTS.append(host)
    QVBoxLayout(host).addWidget(panel)
    qtbot.addWidget(host)
    host.resize(*size)
    host.show()
    qtbot.waitExposed(host)
    panel.model.set_default_region("NG")  # as the window does from the settings: 0803... is +234 803...
    return panel


def phones(panel: HistoryPanel) -> list[str]:
    return [panel.model.row_at(r).phone for r in range(panel.model.rowCount())]


def at(store: HistoryStore, row_id: int, when: datetime) -> None:
    assert store.path is not None
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE attempts SET time_utc = ? WHERE id = ?",
                     (when.astimezone(timezone.utc).isoformat(timespec="milliseconds"), row_id))


def a_morning(store: HistoryStore) -> None:
    record(store, "2348031234567", outcome=Outcome.SENT, message_id="m-1")
    record(store, "2348035500199", outcome=Outcome.UNKNOWN, error="No answer from Termii.")
    record(store, "2348059876543", outcome=Outcome.REJECTED)
    record(store, "2348035500199", outcome=Outcome.SENT, message_id="m-2")
    record(store, "2347012223333", outcome=Outcome.UNKNOWN, error="No answer from Termii.")


def test_needs_checking_shows_the_unknown_outcomes_and_combines_with_the_phone_filter(
    qtbot, store, screenshot_dir
) -> None:
    a_morning(store)
    panel = shown(qtbot, HistoryPanel(store))
    box = panel.needs_checking_box
    assert box.text() == "&Needs checking (2)" and not box.isChecked()
    assert box.accessibleName() == "Needs checking: 2 calls with an unknown outcome"
    box.setFocus()  # by keyboard (its Alt+N is pressed in the end-to-end test, on a real X display)
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert box.isChecked()
    qtbot.waitUntil(lambda: phones(panel) == ["2347012223333", "2348035500199"])
    assert panel.count_label.text() == "2 of 5 match"
    assert panel.window().grab().save(str(screenshot_dir / "screen-history-needs-checking.png"))
    panel.filter_edit.setText("0803 550 0199")  # the phone field's way of writing it
    qtbot.waitUntil(lambda: phones(panel) == ["2348035500199"])
    assert panel.model.row_at(0).outcome == "unknown"
    assert box.text() == "&Needs checking (1)" and panel.count_label.text() == "1 of 5 matches"
    box.setChecked(False)
    qtbot.waitUntil(lambda: phones(panel) == ["2348035500199", "2348035500199"])
    assert box.text() == "&Needs checking (1)"  # still that number's count
    panel.filter_edit.setText("0805 987 6543")
    qtbot.waitUntil(lambda: phones(panel) == ["2348059876543"])
    box.setChecked(True)
    qtbot.waitUntil(lambda: panel._stack.currentWidget() is panel.empty_label)
    assert panel.empty_label.text() == "No calls need checking to numbers containing 2348059876543."


def test_the_count_leaves_out_a_call_still_waiting_for_termii_and_follows_its_answer(qtbot, store) -> None:
    a_morning(store)
    panel = shown(qtbot, HistoryPanel(store))
    row_id = record(store, "2348031234567", outcome=None)  # recorded as unknown before the request goes out
    panel.on_attempt_started(row_id)
    qtbot.waitUntil(lambda: panel.model.row_of(row_id) == 0)
    assert panel.needs_checking_box.text() == "&Needs checking (2)"  # "Sending…", not yet to check
    store.complete_attempt(row_id, outcome=Outcome.UNKNOWN, duration_ms=10_000, error="No answer from Termii.")

    class Finished:
        history_id = row_id

    panel.on_attempt_finished(Finished())  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: panel.needs_checking_box.text() == "&Needs checking (3)")
    # The next one is answered: sent. It is not to check, and no count was read again for it.
    row_id = record(store, "2348031234567", outcome=None)
    panel.on_attempt_started(row_id)
    qtbot.waitUntil(lambda: panel.model.row_of(row_id) == 0)
    assert panel.needs_checking_box.text() == "&Needs checking (3)"
    store.complete_attempt(row_id, outcome=Outcome.SENT, duration_ms=900, http_status=200, message_id="m-9")
    Finished.history_id = row_id
    panel.on_attempt_finished(Finished())  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: panel.model.row_at(0).outcome == "sent")
    assert panel.needs_checking_box.text() == "&Needs checking (3)"
    panel.refresh()  # what the store says agrees
    qtbot.waitUntil(lambda: panel.model.needing_check() == 3 and not panel.model.loading)
    assert panel.needs_checking_box.text() == "&Needs checking (3)"


def test_days_are_whole_local_days_at_their_boundaries(qtbot, store, lagos, screenshot_dir) -> None:
    today = date.today()
    midnight = datetime(today.year, today.month, today.day, tzinfo=LAGOS)
    late = record(store, "2348035500199", outcome=Outcome.UNKNOWN)
    at(store, late, midnight - timedelta(seconds=1))  # yesterday, 23:59:59
    first = record(store, "2348035500199", outcome=Outcome.SENT)
    at(store, first, midnight)  # today, 00:00:00
    old = record(store, "2348031234567", outcome=Outcome.SENT)
    at(store, old, midnight - timedelta(days=8))
    panel = shown(qtbot, HistoryPanel(store))
    words = [words for words, _ in DATE_PRESETS]
    panel.dates_combo.setCurrentIndex(words.index("Today"))
    qtbot.waitUntil(lambda: [r.id for r in map(panel.model.row_at, range(panel.model.rowCount()))] == [first])
    assert panel.count_label.text() == "1 of 3 matches"
    panel.dates_combo.setCurrentIndex(words.index("Last 7 days"))
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2)
    assert panel.needs_checking_box.text() == "&Needs checking (1)"
    panel.choose_days(today - timedelta(days=1), today - timedelta(days=1))  # yesterday alone
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1 and panel.model.row_at(0).id == late)
    assert not panel._custom_dates.isHidden()
    assert panel.window().grab().save(str(screenshot_dir / "screen-history-date-range.png"))
    panel.filter_edit.setText("0803 123 4567")
    qtbot.waitUntil(lambda: panel._stack.currentWidget() is panel.empty_label)
    assert panel.empty_label.text() == (
        f"No calls to numbers containing 2348031234567 on {(today - timedelta(days=1)).day} "
        f"{today - timedelta(days=1):%b %Y}.")
    panel.dates_combo.setCurrentIndex(0)  # All dates
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1 and panel.model.row_at(0).id == old)
    assert panel._custom_dates.isHidden()


def test_a_range_that_ends_before_it_starts_says_so_and_loses_nothing(qtbot, store) -> None:
    a_morning(store)
    panel = shown(qtbot, HistoryPanel(store))
    panel.filter_edit.setText("0803")
    panel.dates_combo.setCurrentIndex(CUSTOM_RANGE)
    panel.from_edit.setDate(QDate(2026, 12, 3))
    panel.to_edit.setDate(QDate(2026, 12, 1))
    qtbot.waitUntil(lambda: panel._stack.currentWidget() is panel.empty_label)
    assert panel.empty_label.text() == ("No day is in that range: it starts on 3 Dec 2026, after it ends "
                                        "(1 Dec 2026). Change the first or the last day.")
    assert panel.filter_edit.text() == "0803" and not panel.model.problem
    panel.to_edit.setDate(QDate(2099, 12, 31))  # the last day the editor offers: no overflow anywhere
    panel.from_edit.setDate(QDate(2000, 1, 1))
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3)


def test_at_the_windows_minimum_width_every_filter_fits(qtbot, store, screenshot_dir) -> None:
    from termii_desk.ui.main_window import MINIMUM_SIZE

    a_morning(store)
    width = MINIMUM_SIZE[0] - 24  # the window's margins
    panel = shown(qtbot, HistoryPanel(store), (width, 420))
    panel.needs_checking_box.setChecked(True)
    panel.choose_days(date.today() - timedelta(days=6), date.today())
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2)
    QApplication.processEvents()
    assert panel.minimumSizeHint().width() <= width
    for widget in (panel.filter_edit, panel.needs_checking_box, panel.dates_combo, panel.from_edit, panel.to_edit,
                   panel.count_label, panel.export_button):
        assert widget.visibleRegion().boundingRect().size() == widget.size(), widget  # nothing cut off
        assert widget.width() >= widget.minimumSizeHint().width(), widget
    assert panel.window().grab().save(str(screenshot_dir / "screen-history-filters-minimum-width.png"))


def test_the_filter_keeps_its_width_whatever_the_counts_say(qtbot, store) -> None:
    panel = shown(qtbot, HistoryPanel(store), (700, 420))
    width = panel.filter_edit.width()
    for _ in range(3):
        record(store, outcome=Outcome.UNKNOWN)
    store.import_rows([store.get(1)] * 12_345)  # type: ignore[list-item]
    panel.refresh()
    qtbot.waitUntil(lambda: panel.count_label.text() == "12,348 calls")
    assert panel.needs_checking_box.text() == "&Needs checking (12,348)"
    QApplication.processEvents()
    assert panel.filter_edit.width() == width
    panel.filter_edit.setText("2348031234567")
    panel.needs_checking_box.setChecked(True)
    qtbot.waitUntil(lambda: panel.count_label.text() == "12,348 of 12,348 match")
    QApplication.processEvents()
    assert panel.filter_edit.width() == width


def test_down_in_the_filter_goes_to_the_table(qtbot, store) -> None:
    a_morning(store)
    panel = shown(qtbot, HistoryPanel(store))
    panel.activateWindow()
    panel.filter_edit.setFocus()
    qtbot.waitUntil(panel.filter_edit.hasFocus)
    qtbot.keyClick(panel.filter_edit, Qt.Key.Key_Down)
    assert panel.table.hasFocus() and panel.table.currentIndex().row() == 0
    assert panel.selected_row() == panel.model.row_at(0)


def edge_and_background(panel: HistoryPanel, row: int) -> tuple[QColor, QColor]:
    """The colour at the left edge of ``row`` (where its ring is drawn, if it is) and of the row's background
    (the empty end of its last column)."""
    rect = panel.table.visualRect(panel.model.index(row, HistoryModel.PHONE))
    image = panel.table.viewport().grab().toImage()
    ratio = image.devicePixelRatio()
    y = int((rect.top() + rect.height() // 2) * ratio)
    edge = image.pixelColor(QPoint(int(FOCUS_RING_WIDTH / 2 * ratio), y))
    background = image.pixelColor(QPoint(int((panel.table.viewport().width() - 20) * ratio), y))
    return edge, background


def ringed(panel: HistoryPanel, row: int) -> QColor | None:
    """The ring's colour around ``row``; None when it has none."""
    edge, background = edge_and_background(panel, row)
    return None if edge == background else edge


@pytest.mark.parametrize("palette", ["light", "dark"])
def test_the_current_row_is_outlined_while_the_table_has_the_keyboard(
    qtbot, store, palette: str, request: pytest.FixtureRequest, screenshot_dir: Path
) -> None:
    if palette == "dark":
        request.getfixturevalue("dark_app")
    a_morning(store)
    panel = shown(qtbot, HistoryPanel(store))
    colours = panel.table.palette()
    text, highlight = colours.color(QPalette.ColorRole.Text), colours.color(QPalette.ColorRole.Highlight)
    assert text != highlight
    panel.table.selectRow(1)
    QApplication.processEvents()
    assert ringed(panel, 1) is None  # the keyboard is elsewhere: no ring
    panel.activateWindow()
    panel.table.setFocus()
    qtbot.waitUntil(panel.table.hasFocus)
    # Selected: the ring takes the text's colour, which stands out from the selection's.
    qtbot.waitUntil(lambda: ringed(panel, 1) == text)
    assert panel.selected_row() == panel.model.row_at(1)
    assert panel.window().grab().save(str(screenshot_dir / f"screen-history-focus-{palette}.png"))
    # Current but not selected (as when Tab brings the keyboard to a table with no selection): the ring in the
    # selection's colour, on the row Enter and the Menu key act on.
    panel.table.selectionModel().clearSelection()
    assert panel.table.currentIndex().row() == 1 and panel.selected_row() is None
    qtbot.waitUntil(lambda: ringed(panel, 1) == highlight)
    assert panel.window().grab().save(str(screenshot_dir / f"screen-history-focus-unselected-{palette}.png"))
    qtbot.keyClick(panel.table, Qt.Key.Key_Down)  # the ring follows the current row
    assert panel.table.currentIndex().row() == 2
    qtbot.waitUntil(lambda: ringed(panel, 2) == text)
    assert ringed(panel, 1) is None  # the old ring is gone
    panel.filter_edit.setFocus()
    qtbot.waitUntil(lambda: not panel.table.hasFocus())
    qtbot.waitUntil(lambda: ringed(panel, 2) is None)


def test_today_after_midnight_is_the_new_day(qtbot, store, monkeypatch: pytest.MonkeyPatch) -> None:
    from termii_desk.ui import history_panel

    class Clock(date):
        day = date(2026, 12, 1)

        @classmethod
        def today(cls) -> date:  # type: ignore[override]
            return cls.day

    monkeypatch.setattr(history_panel, "date", Clock)
    panel = shown(qtbot, HistoryPanel(store))
    panel.dates_combo.setCurrentIndex([words for words, _ in DATE_PRESETS].index("Today"))
    assert panel.model.days == (date(2026, 12, 1), date(2026, 12, 1))
    Clock.day = date(2026, 12, 2)
    panel.refresh()  # a call, another desk's row: the panel reloads, and "Today" is read again
    assert panel.model.days == (date(2026, 12, 2), date(2026, 12, 2))
