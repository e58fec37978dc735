"""The window by keyboard alone: Tab goes round it as the eye reads it, every action has a key, and what the
outcome says can be selected and copied without a mouse."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget

from termii_desk.core.bootstrap import DeskServices
from termii_desk.simulator import TermiiSimulator
from termii_desk.ui import main_window
from termii_desk.ui.main_window import DEFAULT_SIZE, MainWindow
from tests.ui import test_profiles_window
from tests.ui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)

desk = test_profiles_window.desk  # two profiles on a real Secret Service, as a fixture of this module too
open_profiles_window = test_profiles_window._open

OpenWindow = Callable[..., MainWindow]
MakeServices = Callable[..., DeskServices]
WAIT_MS = 15_000
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier


def sent_window(qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
                size: tuple[int, int] = DEFAULT_SIZE) -> MainWindow:
    """A window after one call Termii accepted: the banner has its id, Copy id and Show code; history a row."""
    window = open_window(make_services(simulator.url, cooldown_seconds=0), size=size)
    window.form.phone.set_text("0803 123 4567")
    window.form.code.set_text("482913")
    panel = window.history_panel
    assert panel is not None
    with qtbot.waitSignal(window.call_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1 and not panel.model.in_flight, timeout=WAIT_MS)
    window.form.phone.edit.setFocus()
    QApplication.processEvents()
    return window


def tab_stops(window: QWidget) -> list[QWidget]:
    """Every control in the window Tab should reach: shown, enabled, taking focus by Tab (Qt's own rule)."""
    return [w for w in window.findChildren(QWidget)
            if w.isVisible() and w.isEnabled() and w.window() is window and w.focusProxy() is None
            and (w.focusPolicy().value & Qt.FocusPolicy.TabFocus.value)]


def walk(qtbot: Any, start: QWidget, key: Qt.Key, limit: int = 80) -> list[QWidget]:
    """Press ``key`` from ``start`` until the focus is back on it; the widgets it stopped at, in order."""
    start.setFocus()
    assert QApplication.focusWidget() is start
    seen = [start]
    for _ in range(limit):
        qtbot.keyClick(QApplication.focusWidget(), key)
        focus = QApplication.focusWidget()
        if focus is start:
            return seen
        assert focus is not None
        seen.append(focus)
    raise AssertionError(f"Tab never came back to the start: {[describe(w) for w in seen]}")


def describe(widget: QWidget) -> str:
    return f"{type(widget).__name__}({widget.accessibleName() or widget.objectName()!r})"


def rect_in(window: QWidget, widget: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def assert_reads_like_the_eye(window: QWidget, order: list[QWidget]) -> None:
    """Each stop is right of the previous one in its row, or in a row below it."""
    for before, after in pairwise(order):
        a, b = rect_in(window, before), rect_in(window, after)
        same_row = a.top() <= b.center().y() <= a.bottom() or b.top() <= a.center().y() <= b.bottom()
        below = b.top() > a.center().y()
        assert (same_row and b.left() > a.left()) or (not same_row and below), (
            f"{describe(before)} at {a.getRect()} then {describe(after)} at {b.getRect()}")


def tab_round(qtbot: Any, window: MainWindow, start: QWidget, first: QWidget) -> list[QWidget]:
    """Tab from ``start`` round the window: every control once, in reading order from ``first`` (the top left
    one) round to it again; Shift+Tab the same way back. The stops, from ``first``."""
    forward = walk(qtbot, start, Qt.Key.Key_Tab)
    names = [describe(w) for w in forward]
    assert len(forward) == len(set(forward)), names  # each control once
    assert set(forward) == set(tab_stops(window)), (
        names, [describe(w) for w in set(tab_stops(window)) - set(forward)])
    at = forward.index(first)
    round_trip = forward[at:] + forward[:at]
    assert_reads_like_the_eye(window, round_trip)
    backward = walk(qtbot, start, Qt.Key.Key_Backtab)
    assert backward == [start, *reversed(forward[1:])], [describe(w) for w in backward]
    return round_trip


def in_order(stops: list[QWidget], *widgets: QWidget) -> bool:
    positions = [stops.index(w) for w in widgets]
    return positions == sorted(positions)


def test_tab_goes_round_the_window_as_the_eye_reads_it_and_shift_tab_walks_it_back(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    window = sent_window(qtbot, simulator, make_services, open_window)
    window.add_notice("A notice with a close button.")  # a control added later takes its place by itself
    window.form.code.set_text("771234")  # the next customer's code: Send is enabled
    QApplication.processEvents()
    phone = window.form.phone.edit
    stops = tab_round(qtbot, window, phone, window.account.refresh_button)
    outcome, panel = window.outcome, window.history_panel
    assert panel is not None
    assert in_order(stops, window.account.refresh_button, phone, window.form.code.edit,
                    window.form.code.generate_button, window.form.send_button, outcome.headline,
                    outcome.number_label, outcome.show_code_button, outcome.copy_button, outcome.message_id_label,
                    outcome.details, panel.filter_edit, panel.export_button, panel.table, panel.details_label)
    notice_close = [w for w in stops if window.notices.isAncestorOf(w)]
    assert notice_close  # under the outcome, above the history: between them
    assert stops.index(outcome.details) < stops.index(notice_close[0]) < stops.index(panel.filter_edit)


def test_the_forms_own_tab_order_is_its_part_of_the_windows(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    """Tab within the form looks at the form alone (the window's other widgets are not walked): the same stops,
    in the same order, as the form's part of the whole window's order, with the number's choice buttons too."""
    window = open_window(make_services(simulator.url, default_region="ID"))
    for text in ("", "81234567890"):  # the second is Indonesia's or Japan's: a button for each reading
        window.form.phone.set_text(text)
        window.form.code.set_text("771234")
        QApplication.processEvents()
        whole = [w for w in window.tab_order() if window.form.isAncestorOf(w)]
        assert window.tab_order(within=window.form) == whole
        assert len(whole) >= 3 + len(window.form.phone.choice_buttons)  # phone, code, Generate (Send: when valid)


def test_the_buttons_asking_which_number_come_between_the_phone_and_the_code(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    window = open_window(make_services(simulator.url, default_region="ID"))
    phone = window.form.phone
    phone.set_text("81234567890")  # Indonesia's or Japan's: the line asks, a button for each
    QApplication.processEvents()
    choices = phone.choice_buttons
    assert len(choices) == 2
    stops = tab_round(qtbot, window, phone.edit, window.account.refresh_button)
    assert in_order(stops, phone.edit, *choices, window.form.code.edit)


def test_tab_order_on_the_first_run_page(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    window = open_window(make_services(simulator.url, key=None))
    start = window.first_run.settings_button
    panel = window.history_panel
    assert panel is not None and window.first_run.isVisible()
    stops = tab_round(qtbot, window, start, stops_first(window))
    assert in_order(stops, start, panel.filter_edit)
    assert not any(window.form.isAncestorOf(w) for w in stops)  # the hidden form takes no Tab


def stops_first(window: MainWindow) -> QWidget:
    """The control Tab reaches first from the top of the window (the top left one)."""
    ordered = sorted(tab_stops(window), key=lambda w: (rect_in(window, w).top(), rect_in(window, w).left()))
    return ordered[0]


def test_tab_order_with_profiles_and_the_retention_question(
    qtbot: Any, desk: tuple[Any, TermiiSimulator, TermiiSimulator], open_window: OpenWindow
) -> None:
    from termii_desk.core.profiles import ProfileStore

    paths, _a, _b = desk
    profiles = ProfileStore(paths.settings_file).load()
    profiles.retention_asked = False
    profiles.save()
    profiles.save_settings("ng-live", profiles.settings_for(profiles.get("ng-live")).updated(
        history_retention_days=7))
    window, loader = open_profiles_window(qtbot, open_window, paths)
    try:
        question = window.retention_question
        assert question is not None and question.isVisible()
        combo = window.account.profile_combo
        assert combo.isVisible()
        phone = window.form.phone.edit
        stops = tab_round(qtbot, window, phone, combo)
        assert in_order(stops, combo, window.account.refresh_button, phone, window.outcome.details,
                        question.keep_days_button, question.keep_all_button)  # the question is under the outcome
    finally:
        window.close()
        loader.close()


def test_generate_reached_by_tab_after_the_code_can_be_undone(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    window = open_window(make_services(simulator.url))
    code = window.form.code
    code.edit.setFocus()
    qtbot.keyClicks(code.edit, "482913")
    qtbot.keyClick(code.edit, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is code.generate_button
    qtbot.keyClick(code.generate_button, Qt.Key.Key_Space)  # a Space meant for Send
    assert code.text() != "482913" and code.edit.hasFocus()
    qtbot.keyClick(code.edit, Qt.Key.Key_Z, CTRL)
    assert code.text() == "482913"


def test_the_outcome_texts_are_selected_and_copied_by_keyboard(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    window = sent_window(qtbot, simulator, make_services, open_window)
    outcome = window.outcome
    message_id = outcome.message_id
    assert message_id
    clipboard = QApplication.clipboard()
    stops = walk(qtbot, window.form.phone.edit, Qt.Key.Key_Tab)
    for widget, expected in ((outcome.headline, "Sent: Termii accepted the call"),
                             (outcome.number_label, "+234 803 123 4567"),
                             (outcome.message_id_label, message_id),
                             (outcome.details, outcome.details.toPlainText())):
        assert widget in stops
        # Reached by Tab, as an agent does, then select everything and copy.
        window.form.phone.edit.setFocus()
        while QApplication.focusWidget() is not widget:
            qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        clipboard.setText("before")
        qtbot.keyClick(widget, Qt.Key.Key_A, CTRL)
        qtbot.keyClick(widget, Qt.Key.Key_C, CTRL)
        assert clipboard.text() == expected, describe(widget)
    assert "Code ••••13." in outcome.details.toPlainText()
    # The history's details of the selected call, reached by Tab too.
    panel = window.history_panel
    assert panel is not None
    panel.table.setFocus()
    panel.table.selectRow(0)
    qtbot.waitUntil(lambda: "+234 803 123 4567" in panel.details_label.text(), timeout=WAIT_MS)
    qtbot.keyClick(panel.table, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is panel.details_label
    clipboard.setText("before")
    qtbot.keyClick(panel.details_label, Qt.Key.Key_A, CTRL)
    qtbot.keyClick(panel.details_label, Qt.Key.Key_C, CTRL)
    assert "+234 803 123 4567" in clipboard.text() and "<" not in clipboard.text()  # the words, not markup
    # The Copy id button by keyboard (Space on it), and the window's Ctrl+Shift+C from anywhere.
    clipboard.setText("before")
    outcome.copy_button.setFocus()
    qtbot.keyClick(outcome.copy_button, Qt.Key.Key_Space)
    assert clipboard.text() == message_id
    clipboard.setText("before")
    window.form.phone.edit.setFocus()
    qtbot.keyClick(window.form.phone.edit, Qt.Key.Key_C, CTRL | SHIFT)
    assert clipboard.text() == message_id
    # The code sent, shown by Alt+W (a button's key clicks it after a short animation); Alt+W hides it again.
    qtbot.keyClick(window.form.phone.edit, Qt.Key.Key_W, ALT)
    qtbot.waitUntil(lambda: outcome.code_shown, timeout=3000)
    assert "Code 482913." in outcome.details.toPlainText() and outcome.show_code_button.text() == "Hide code"
    qtbot.keyClick(window.form.phone.edit, Qt.Key.Key_W, ALT)
    qtbot.waitUntil(lambda: not outcome.code_shown, timeout=3000)
    # Alt+O, the Copy id button's own key.
    clipboard.setText("before")
    qtbot.keyClick(window.form.phone.edit, Qt.Key.Key_O, ALT)
    qtbot.waitUntil(lambda: clipboard.text() == message_id, timeout=3000)


def test_the_focused_outcome_text_is_framed(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    screenshot_dir: Path
) -> None:
    window = sent_window(qtbot, simulator, make_services, open_window)
    outcome = window.outcome
    unfocused = outcome.grab().toImage()
    outcome.number_label.setFocus()
    QApplication.processEvents()
    focused = outcome.grab()
    focused.save(str(screenshot_dir / "screen-outcome-number-focused.png"))
    assert focused.toImage() != unfocused
    window.form.phone.edit.setFocus()
    QApplication.processEvents()
    assert outcome.grab().toImage() == unfocused  # the frame goes with the focus


def assert_no_key_clashes(window: MainWindow) -> None:
    """The keys of the buttons, the labels' Alt+letters (to their fields), the menus' and the window's actions."""
    keys: list[str] = [QKeySequence.mnemonic(a.text()).toString() for a in window.menuBar().actions()]
    keys += [a.shortcut().toString() for a in window.actions()]
    for widget in window.findChildren(QWidget):
        if not widget.isVisibleTo(window):
            continue
        if isinstance(widget, QAbstractButton) and not widget.shortcut().isEmpty():
            keys.append(widget.shortcut().toString())
        elif isinstance(widget, QLabel) and widget.buddy() is not None and "&" in widget.text():
            keys.append(QKeySequence.mnemonic(widget.text()).toString())
    assert len(keys) == len(set(keys)), sorted(keys)


def test_every_action_has_a_key_and_is_in_the_menu(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = sent_window(qtbot, simulator, make_services, open_window)
    menu_actions = set(window.menuBar().actions()[0].menu().actions())
    for action in window.actions():
        assert not action.shortcut().isEmpty(), action.objectName()
        assert action in menu_actions, action.objectName()
    keys = {a.objectName(): a.shortcut().toString() for a in window.actions()}
    assert keys == {"settings_action": "Ctrl+,", "refresh_action": "Ctrl+R", "filter_action": "Ctrl+F",
                    "clear_action": "Ctrl+N", "undo_clear_action": "Ctrl+Z", "copy_id_action": "Ctrl+Shift+C",
                    "export_action": "Ctrl+E", "quit_action": "Ctrl+Q"}
    # Export by its key writes the calls shown.
    target = tmp_path / "calls.csv"
    monkeypatch.setattr(main_window, "ask_export_path", lambda _parent, _suggested: str(target))
    with qtbot.waitSignal(window.controller.export_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.form.phone.edit, Qt.Key.Key_E, CTRL)
    assert "2348031234567" in target.read_text(encoding="utf-8").replace("+", "")
    # No two keys of what is on screen clash (an ambiguous Alt+letter does nothing), with the code shown too.
    assert_no_key_clashes(window)
    window.outcome.show_code_button.click()
    assert_no_key_clashes(window)
    # Copy id is only offered while the banner shows an id.
    assert window.copy_id_action.isEnabled()
    window.outcome.show_failure("No Termii API key is set.")
    assert not window.copy_id_action.isEnabled()
