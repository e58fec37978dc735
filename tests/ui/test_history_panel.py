"""HistoryPanel: filter, table, count, details and context menu over a real HistoryStore."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from termii_desk.core.errors import Outcome
from termii_desk.core.history import HistoryError, HistoryRow, HistoryStore
from termii_desk.ui.history_model import PAGE_SIZE, HistoryModel
from termii_desk.ui.history_panel import EMPTY_TEXT, FILTER_DELAY_MS, NO_SELECTION_TEXT, HistoryPanel
from tests.ui.conftest import record

SIZE = (900, 400)
# The offscreen platform has no window manager: it warns that it cannot pass on size hints, raise a window
# or grab the keyboard for a popup menu.
pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (propagateSizeHints\(\)|raise\(\)|grabbing the keyboard)$"
)


def record_mixed(store: HistoryStore) -> dict[str, int]:
    """A morning's work: every outcome, with what Termii said."""
    return {
        "sent": record(store, "2348031234567", "482913", Outcome.SENT, http_status=200, duration_ms=842,
                       message_id="3017544054459493160", termii_message="Successfully Sent", balance="4850.5",
                       currency="NGN"),
        "rejected": record(store, "2348059876543", "7391", Outcome.REJECTED, http_status=400, duration_ms=311,
                           termii_message="Phone number is invalid",
                           error="Termii refused the request: Phone number is invalid."),
        "failed": record(store, "447911123456", "550621", Outcome.FAILED, duration_ms=10004,
                         error="Termii did not answer within 10 seconds; nothing was sent."),
        "unknown": record(store, "2348090001111", "912345", outcome=None),
        "sent2": record(store, "2348031234567", "66101", Outcome.SENT, http_status=200, duration_ms=1270,
                        message_id="3017544054459499999", termii_message="Successfully Sent", balance="4849",
                        currency="NGN"),
        "sending": record(store, "2347012223333", "804411", outcome=None),
    }


@pytest.fixture
def window(qtbot) -> QWidget:
    """Where the panel sits, as in the main window: in a layout with the style's margins (it has none of its own)."""
    host = QWidget()
    QVBoxLayout(host)
    qtbot.addWidget(host)
    host.resize(*SIZE)
    return host


def show(qtbot, window: QWidget, panel: HistoryPanel) -> HistoryPanel:
    window.layout().addWidget(panel)
    window.show()
    qtbot.waitExposed(window)
    return panel


def screenshot(panel: HistoryPanel, path: Path) -> None:
    assert panel.window().grab().save(str(path))


def texts(panel: HistoryPanel, column: int) -> list[str]:
    model = panel.model
    return [model.data(model.index(r, column)) for r in range(model.rowCount())]


def select(panel: HistoryPanel, row: int) -> HistoryRow:
    panel.table.selectRow(row)
    selected = panel.selected_row()
    assert selected is not None
    return selected


def test_empty_history_shows_the_empty_state(qtbot, window, store, screenshot_dir) -> None:
    panel = show(qtbot, window, HistoryPanel(store))

    assert panel.empty_label.isVisible()
    assert not panel.table.isVisible()
    assert panel.empty_label.text() == EMPTY_TEXT
    assert panel.count_label.text() == "0 calls"
    assert panel.filter_edit.placeholderText() == "Filter by phone number"
    assert panel.filter_edit.isClearButtonEnabled()
    assert panel.filter_edit.accessibleName()
    assert not panel.use_number_action.isEnabled()
    screenshot(panel, screenshot_dir / "history-panel-empty.png")


def test_mixed_outcomes_show_newest_first_with_masked_codes(qtbot, window, store, screenshot_dir) -> None:
    ids = record_mixed(store)
    panel = show(qtbot, window, HistoryPanel(store))
    panel.set_in_flight(ids["sending"], True)
    select(panel, panel.model.row_of(ids["failed"]))

    assert panel.table.isVisible()
    assert panel.count_label.text() == "6 calls"
    assert texts(panel, HistoryModel.OUTCOME) == ["Sending…", "Sent", "Unknown", "Failed", "Refused", "Sent"]
    assert texts(panel, HistoryModel.CODE) == ["••••11", "•••01", "••••45", "••••21", "••91", "••••13"]
    assert texts(panel, HistoryModel.PHONE)[3] == "+44 7911 123456"
    assert not any("482913" in text for text in texts(panel, HistoryModel.CODE))
    assert panel.table.verticalHeader().isHidden()
    assert panel.table.horizontalHeader().stretchLastSection()
    assert panel.table.editTriggers() == panel.table.EditTrigger.NoEditTriggers
    screenshot(panel, screenshot_dir / "history-panel-mixed.png")


def test_details_show_what_termii_said_and_where_the_call_went(qtbot, window, store) -> None:
    ids = record_mixed(store)
    panel = show(qtbot, window, HistoryPanel(store))
    assert panel.details_label.text() == NO_SELECTION_TEXT

    selected = select(panel, panel.model.row_of(ids["sent"]))
    details = panel.details_label.text()

    assert selected.id == ids["sent"]
    for expected in ("Successfully Sent", "HTTP status:", "200", "842 ms", "api.ng.termii.com",
                     selected.os_user, selected.app_version, "+234 803 123 4567", "••••13",
                     "Profile:</b>&nbsp;default", "Machine:</b>", "OS user:</b>"):
        assert expected in details
    assert selected.machine and selected.machine in details  # the audit: which computer placed it
    assert "482913" not in details
    assert panel.details_label.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse

    select(panel, panel.model.row_of(ids["failed"]))
    details = panel.details_label.text()
    assert "Termii did not answer within 10 seconds; nothing was sent." in details
    assert "10.0 s" in details


def test_details_escape_what_termii_sent(qtbot, window, store) -> None:
    record(store, termii_message="<b>bold</b> & <img src=x>", http_status=200)
    panel = show(qtbot, window, HistoryPanel(store))
    select(panel, 0)

    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;img src=x&gt;" in panel.details_label.text()


def test_filter_waits_for_a_pause_then_narrows_by_digits(qtbot, window, store, screenshot_dir) -> None:
    record_mixed(store)
    panel = show(qtbot, window, HistoryPanel(store))

    panel.filter_edit.setText("+234 803")
    assert panel.model.rowCount() == 6, "no query on every keystroke"
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=FILTER_DELAY_MS * 10)

    assert set(texts(panel, HistoryModel.PHONE)) == {"+234 803 123 4567"}
    assert panel.count_label.text() == "2 of 6 match"
    select(panel, 0)
    screenshot(panel, screenshot_dir / "history-panel-filtered.png")

    panel.filter_edit.setText("7911")
    panel.on_filter_return_pressed()  # Enter does not wait
    assert texts(panel, HistoryModel.PHONE) == ["+44 7911 123456"]
    assert panel.count_label.text() == "1 of 6 matches"


def test_filter_without_matches_says_so(qtbot, window, store) -> None:
    record_mixed(store)
    panel = show(qtbot, window, HistoryPanel(store))

    panel.filter_edit.setText("555 000")
    panel.on_filter_return_pressed()

    assert panel.empty_label.isVisible()
    assert panel.empty_label.text() == "No calls to numbers containing 555000."
    assert panel.count_label.text() == "0 of 6 match"
    panel.filter_edit.clear()
    panel.on_filter_return_pressed()
    assert panel.table.isVisible()
    assert panel.count_label.text() == "6 calls"


def test_long_history_opens_one_page_and_scrolls_in_more(qtbot, window, store, screenshot_dir, monkeypatch) -> None:
    for i in range(1200):
        record(store, f"2348{i % 7}{i:08d}"[:13], f"{100000 + i * 7}", list(Outcome)[i % 3], http_status=200,
               message_id=f"30175440544594{i:05d}", balance=f"{50000 - i * 4.5:.2f}", currency="NGN")
    panel = show(qtbot, window, HistoryPanel(store))

    def no_counting(*_args: object) -> int:
        raise AssertionError("count() must not run while painting or scrolling")

    monkeypatch.setattr(store, "count", no_counting)
    assert panel.count_label.text() == "1,200 calls"
    assert panel.model.rowCount() == PAGE_SIZE
    select(panel, 2)
    screenshot(panel, screenshot_dir / "history-panel-long.png")

    panel.table.scrollToBottom()
    qtbot.waitUntil(lambda: panel.model.rowCount() > PAGE_SIZE)
    assert panel.model.rowCount() < 1200
    assert panel.count_label.text() == "1,200 calls"


def test_context_menu_copies_and_uses_the_number(qtbot, window, store) -> None:
    ids = record_mixed(store)
    panel = show(qtbot, window, HistoryPanel(store))
    sent_row = panel.model.row_of(ids["sent"])
    rect = panel.table.visualRect(panel.model.index(sent_row, HistoryModel.PHONE))

    mouse_menu(panel, rect.center())
    qtbot.waitUntil(panel.context_menu.isVisible)
    assert panel.selected_row() is not None and panel.selected_row().id == ids["sent"]
    assert [a.text() for a in panel.context_menu.actions() if not a.isSeparator()] == [
        "Copy &message id", "Copy &phone number", "Use this &number"]
    panel.context_menu.close()

    panel.copy_message_id_action.trigger()
    assert QApplication.clipboard().text() == "3017544054459493160"
    panel.copy_phone_action.trigger()
    assert QApplication.clipboard().text() == "+2348031234567"
    with qtbot.waitSignal(panel.use_number_requested) as blocker:
        panel.use_number_action.trigger()
    assert blocker.args == ["+2348031234567"]

    select(panel, panel.model.row_of(ids["failed"]))
    assert not panel.copy_message_id_action.isEnabled(), "no message id to copy"
    assert panel.copy_phone_action.isEnabled()
    with qtbot.waitSignal(panel.use_number_requested) as blocker:
        panel.use_number_action.trigger()
    assert blocker.args == ["+447911123456"]


def test_context_menu_outside_rows_does_nothing(qtbot, window, store) -> None:
    record(store)
    panel = show(qtbot, window, HistoryPanel(store))

    mouse_menu(panel, panel.table.viewport().rect().bottomLeft())

    assert not panel.context_menu.isVisible()
    assert panel.selected_row() is None


def mouse_menu(panel: HistoryPanel, pos: QPoint) -> None:
    """A right click in the table at ``pos`` (viewport coordinates), as Qt delivers it."""
    viewport = panel.table.viewport()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, viewport.mapToGlobal(pos))
    QApplication.sendEvent(viewport, event)


def keyboard_menu(panel: HistoryPanel) -> None:
    """The Menu key (or Shift+F10) in the table, as Qt delivers it: at the middle of the widget."""
    table = panel.table
    event = QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, table.rect().center(),
                              table.mapToGlobal(table.rect().center()))
    QApplication.sendEvent(table, event)


@pytest.mark.parametrize("row", [0, 1, 2, 5])
def test_the_keyboard_menu_opens_on_the_current_row_and_keeps_it(qtbot, window, store, row) -> None:
    record_mixed(store)
    panel = show(qtbot, window, HistoryPanel(store))
    panel.table.setFocus()
    select(panel, row)
    chosen = panel.selected_row()
    keyboard_menu(panel)
    qtbot.waitUntil(panel.context_menu.isVisible)  # also on the last row
    assert panel.selected_row() == chosen  # not the row under the middle of the table
    menu_top = panel.context_menu.pos().y()
    row_rect = panel.table.visualRect(panel.model.index(row, 0))
    assert abs(menu_top - panel.table.viewport().mapToGlobal(row_rect.bottomLeft()).y()) <= 2
    with qtbot.waitSignal(panel.use_number_requested) as blocker:
        panel.use_number_action.trigger()
    panel.context_menu.close()
    assert blocker.args == ["+" + chosen.phone]


def test_enter_and_double_click_use_the_number_and_ctrl_c_copies_number_or_message_id(qtbot, window, store) -> None:
    ids = record_mixed(store)
    panel = show(qtbot, window, HistoryPanel(store))
    sent_row = panel.model.row_of(ids["sent"])
    panel.table.setFocus()
    panel.table.setCurrentIndex(panel.model.index(sent_row, HistoryModel.TIME))
    with qtbot.waitSignal(panel.use_number_requested) as blocker:
        qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert blocker.args == ["+2348031234567"]
    qtbot.keyClick(panel.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == "+2348031234567"  # the number, not the time in that cell
    panel.table.setCurrentIndex(panel.model.index(sent_row, HistoryModel.MESSAGE_ID))
    qtbot.keyClick(panel.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == "3017544054459493160"
    failed_row = panel.model.row_of(ids["failed"])
    rect = panel.table.visualRect(panel.model.index(failed_row, HistoryModel.PHONE))
    with qtbot.waitSignal(panel.use_number_requested) as blocker:
        qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == ["+447911123456"]


def test_esc_in_the_filter_clears_the_filter_only(qtbot, window, store) -> None:
    record_mixed(store)
    panel = show(qtbot, window, HistoryPanel(store))
    panel.filter_edit.setFocus()
    qtbot.keyClicks(panel.filter_edit, "4479")
    qtbot.keyClick(panel.filter_edit, Qt.Key.Key_Escape)
    assert panel.filter_edit.text() == ""


def test_in_flight_attempt_shows_sending_then_its_outcome(qtbot, window, store) -> None:
    record(store, phone="2348011112222")
    row_id = record(store, outcome=None)
    panel = show(qtbot, window, HistoryPanel(store))
    select(panel, 0)

    panel.set_in_flight(row_id, True)
    assert texts(panel, HistoryModel.OUTCOME)[0] == "Sending…"
    assert "Waiting for Termii to answer." in panel.details_label.text()
    assert "may have been placed" not in panel.details_label.text()

    store.complete_attempt(row_id, outcome=Outcome.SENT, duration_ms=650, http_status=200,
                           termii_message="Successfully Sent", message_id="m-77")
    panel.set_in_flight(row_id, False)

    assert texts(panel, HistoryModel.OUTCOME)[0] == "Sent"
    assert "Successfully Sent" in panel.details_label.text()
    assert panel.copy_message_id_action.isEnabled()


def test_refresh_shows_new_attempts_and_keeps_the_selection(qtbot, window, store) -> None:
    first = record(store, phone="2348011112222")
    panel = show(qtbot, window, HistoryPanel(store))
    select(panel, 0)

    newest = record(store, phone="2348033334444")
    panel.refresh()

    assert panel.model.row_at(0).id == newest
    assert panel.selected_row() is not None and panel.selected_row().id == first
    assert panel.count_label.text() == "2 calls"


def test_focus_filter_selects_the_filter_text(qtbot, window, store) -> None:
    panel = show(qtbot, window, HistoryPanel(store))
    panel.filter_edit.setText("0803")
    panel.table.setFocus()
    panel.activateWindow()

    panel.focus_filter()

    qtbot.waitUntil(panel.filter_edit.hasFocus)
    assert panel.filter_edit.selectedText() == "0803"


def test_store_errors_show_the_problem_and_keep_the_rows(qtbot, window, store, monkeypatch, screenshot_dir) -> None:
    record_mixed(store)
    panel = show(qtbot, window, HistoryPanel(store))
    sentence = "History is busy in another Termii Desk window; the attempt could not be read."

    def broken(*_args: object, **_kwargs: object) -> list[HistoryRow]:
        raise HistoryError(sentence)

    monkeypatch.setattr(store, "page", broken)
    panel.refresh()

    assert panel.problem_label.isVisible()
    assert panel.problem_label.text() == sentence
    assert panel.model.rowCount() == 6
    screenshot(panel, screenshot_dir / "history-panel-error.png")

    monkeypatch.undo()
    panel.refresh()
    assert not panel.problem_label.isVisible()


def test_unreadable_history_from_the_start_does_not_raise(qtbot, window, store) -> None:
    record(store)
    store.close()

    panel = show(qtbot, window, HistoryPanel(store))

    assert panel.problem_label.isVisible()
    assert panel.problem_label.text().startswith("Something unexpected went wrong with history")
    assert panel.empty_label.isVisible()
    assert panel.empty_label.text() == "Nothing to show: history could not be read."
    assert panel.count_label.text() == ""
    assert not panel.model.canFetchMore(QModelIndex())


def test_with_an_executor_the_filter_reads_there_and_the_count_follows(qtbot, window, store) -> None:
    from tests.ui.test_history_model import HeldExecutor

    ids = record_mixed(store)
    executor = HeldExecutor()
    panel = show(qtbot, window, HistoryPanel(store, executor=executor))
    assert panel.count_label.text() == "6 calls", "the first page is read at once: it is quick"
    select(panel, panel.model.row_of(ids["sent"]))

    panel.filter_edit.setText("803 123")
    panel.on_filter_return_pressed()
    assert panel.model.rowCount() == 6 and panel.count_label.text() == "6 calls", "nothing changes until the read"
    assert executor.pending() == 1

    with qtbot.waitSignal(panel.model.reloaded):
        executor.run_all()
    assert set(texts(panel, HistoryModel.PHONE)) == {"+234 803 123 4567"}
    assert panel.count_label.text() == "2 of 6 match"
    assert panel.selected_row() is not None and panel.selected_row().id == ids["sent"], "the selection is kept"
