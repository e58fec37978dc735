"""MainWindow: every state and transition, with real worker threads against the simulator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QToolButton, QWidget

from termii_desk.core.bootstrap import DeskServices
from termii_desk.core.desk import CallAttempt
from termii_desk.core.errors import ConfigError, InputError, Outcome
from termii_desk.core.history import HistoryStore
from termii_desk.core.keystore import NO_KEYRING_MESSAGE
from termii_desk.core.validation import Code, validate_phone
from termii_desk.simulator import TermiiSimulator
from termii_desk.ui.dialogs import CooldownDialog
from termii_desk.ui.main_window import MainWindow
from termii_desk.ui.tones import is_dark
from termii_desk.ui.worker import InlineExecutor
from tests.conftest import SIM_KEY
from tests.ui.conftest import OFFSCREEN_NOISE, BrokenKeyring

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)

PHONE = "0803 123 4567"
PHONE_DIGITS = "2348031234567"
CODE = "482913"
WAIT_MS = 15_000

OpenWindow = Callable[..., MainWindow]
MakeServices = Callable[..., DeskServices]


def fill(window: MainWindow, phone: str = PHONE, code: str = CODE) -> None:
    window.form.phone.set_text(phone)
    window.form.code.set_text(code)


def send(qtbot: Any, window: MainWindow) -> CallAttempt | BaseException:
    """Press Enter in the code field, the way an agent sends, and wait for the outcome."""
    with qtbot.waitSignal(window.call_finished, timeout=WAIT_MS) as blocker:
        qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
    result: CallAttempt | BaseException = blocker.args[0]
    return result


def core_reason(check: Callable[[], object]) -> str:
    with pytest.raises(InputError) as caught:
        check()
    return str(caught.value)


def shot(window: Any, screenshot_dir: Path, name: str) -> None:
    QApplication.processEvents()  # pending layout requests: the picture shows what the agent would see
    assert window.grab().save(str(screenshot_dir / f"{name}.png"))


# -- start-up states -------------------------------------------------------------------------------------


def test_first_run_without_key_invites_to_settings(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow, screenshot_dir: Path
) -> None:
    window = open_window(make_services(simulator.url, key=None))
    assert window.pages.currentWidget() is window.first_run
    text = window.first_run.text()
    assert "add your Termii API key" in text and "demo" in text
    assert window.first_run.demo_button.isVisibleTo(window) and window.first_run.demo_button.isEnabled()
    assert not window.first_run.problem.isVisibleTo(window)
    assert simulator.received == []  # no key: no balance request
    shot(window, screenshot_dir, "first-run")
    qtbot.mouseClick(window.first_run.settings_button, Qt.MouseButton.LeftButton)
    assert window.settings_dialog is not None and window.settings_dialog.isVisible()
    window.settings_dialog.reject()


def test_keyring_unavailable_explains_on_first_run_and_in_settings(
    simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    window = open_window(make_services(simulator.url, key=None, backend=BrokenKeyring()))
    assert window.pages.currentWidget() is window.first_run
    assert window.first_run.problem.isVisibleTo(window)
    assert NO_KEYRING_MESSAGE in window.first_run.problem.text()
    window.settings_action.trigger()
    dialog = window.settings_dialog
    assert dialog is not None
    assert NO_KEYRING_MESSAGE in dialog.keyring_problem.text() and dialog.keyring_problem.isVisibleTo(dialog)
    assert dialog.session_only.isVisibleTo(dialog)
    dialog.reject()


def test_session_only_key_from_settings_unlocks_the_form(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    services = make_services(simulator.url, key=None, backend=BrokenKeyring())
    window = open_window(services)
    window.settings_action.trigger()
    dialog = window.settings_dialog
    assert dialog is not None
    dialog.key_edit.setText(SIM_KEY)
    dialog.session_only.setChecked(True)
    with qtbot.waitSignal(window.balance_finished, timeout=WAIT_MS) as blocker:
        dialog.on_save_clicked()
    assert blocker.args[0].user == simulator.user
    assert window.pages.currentWidget() is not window.first_run
    assert services.keystore.status().source == "session"
    assert "5,000.00 NGN" in window.account.balance_text


def test_demo_marker_in_title_and_account_strip(
    simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    window = open_window(make_services(simulator.url, demo=True), demo=True)
    assert window.windowTitle() == "Termii Desk — DEMO"
    assert window.account.demo_badge.isVisibleTo(window) and "DEMO" in window.account.demo_badge.text()
    assert not window.account.profile_combo.isVisibleTo(window)  # demo mode is not a profile


def test_real_account_has_no_demo_marker_and_shows_the_account_name(
    simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    window = open_window(make_services(simulator.url))
    assert "DEMO" not in window.windowTitle() and simulator.user in window.windowTitle()
    assert not window.account.demo_badge.isVisibleTo(window)


def test_balance_is_fetched_at_start_and_warns_below_the_threshold(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    services = make_services(simulator.url, low_balance_threshold=10_000.0)
    window = open_window(services)
    assert len(simulator.balance_requests) == 1
    assert window.account.account_label.text() == simulator.user
    assert "5,000.00 NGN" in window.account.balance_text and window.account.is_low
    assert window.account.updated_label.text().startswith("Updated ")
    services.desk.update_settings(services.settings.updated(low_balance_threshold=100.0))
    with qtbot.waitSignal(window.balance_finished, timeout=WAIT_MS):
        qtbot.mouseClick(window.account.refresh_button, Qt.MouseButton.LeftButton)
    assert len(simulator.balance_requests) == 2 and not window.account.is_low


def test_balance_failure_is_shown_in_the_strip(
    simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    simulator.set_fault("401", on="balance")
    window = open_window(make_services(simulator.url))
    assert "API key" in window.account.updated_label.text()
    assert window.account.refresh_button.isEnabled()


def test_startup_notices_are_shown_once(
    simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    services = make_services(simulator.url)
    services.notices.append("Ignored the setting cooldown_seconds (must not be negative); using the default.")
    services.notices.append(services.notices[0])
    window = open_window(services)
    assert window.notices.isVisibleTo(window)
    assert len(window.notices.texts()) == 1 and "cooldown_seconds" in window.notices.texts()[0]


# -- the form --------------------------------------------------------------------------------------------


def test_invalid_input_shows_reasons_and_keeps_send_disabled(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow, screenshot_dir: Path
) -> None:
    window = open_window(make_services(simulator.url))
    fill(window, "0803 12", "0123")
    assert not window.form.send_button.isEnabled()
    window.form.phone.reveal_problem()  # what a pause or leaving the field does
    window.form.code.reveal_problem()
    assert window.form.phone.status.text().endswith(core_reason(lambda: validate_phone("0803 12")))
    assert "cannot start with 0" in window.form.code.status.text()
    qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
    assert simulator.calls == []
    shot(window, screenshot_dir, "invalid-input")


def test_phone_focused_at_start_and_tab_goes_phone_code_generate_send(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    window = open_window(make_services(simulator.url))
    window.activateWindow()
    assert window.form.phone.edit.hasFocus() or window.focusWidget() is window.form.phone.edit
    fill(window)
    window.form.phone.edit.setFocus()
    chain = [window.form.phone.edit]
    for _ in range(3):  # as the eye reads the form: Generate is beside the code, Send under both
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        chain.append(QApplication.focusWidget())
    assert chain[1:] == [window.form.code.edit, window.form.code.generate_button, window.form.send_button]
    # The whole window's order is tests/ui/test_keyboard.py's.


# -- sending ---------------------------------------------------------------------------------------------


def test_success_shows_message_id_and_balance_clears_code_keeps_phone(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    history: HistoryStore, screenshot_dir: Path
) -> None:
    window = open_window(make_services(simulator.url))
    fill(window)
    assert window.form.send_button.isEnabled()
    attempt = send(qtbot, window)
    assert isinstance(attempt, CallAttempt) and attempt.outcome is Outcome.SENT
    assert len(simulator.calls) == 1
    body = simulator.calls[0].json
    assert isinstance(body, dict)
    assert body["phone_number"] == PHONE_DIGITS and body["code"] == int(CODE) and body["api_key"] == SIM_KEY
    assert attempt.result is not None and attempt.result.message_id
    assert attempt.result.message_id in window.outcome.text
    assert "4,997.50 NGN" in window.outcome.text and "4,997.50 NGN" in window.account.balance_text
    row = history.get(attempt.history_id or 0)
    assert row is not None and row.outcome == "sent" and row.phone == PHONE_DIGITS and row.completed
    assert window.form.code.text() == "" and window.form.phone.text() == PHONE
    assert not window.form.busy and not window.form.send_button.isEnabled()  # code empty now
    panel = window.history_panel
    assert panel is not None
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=5000)  # read on the worker, like the outlook
    shot(window, screenshot_dir, "success")


def test_sending_state_disables_send_and_shows_busy(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow, screenshot_dir: Path
) -> None:
    window = open_window(make_services(simulator.url))
    simulator.set_fault("slow", on="call", delay=1.5)
    fill(window)
    with qtbot.waitSignal(window.call_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: len(simulator.calls) == 1, timeout=WAIT_MS)
        assert window.form.busy and not window.form.send_button.isEnabled()
        assert window.form.busy_bar.isVisibleTo(window)
        assert window.outcome.text.startswith("Sending… waiting for Termii's answer")
        assert "+234 803 123 4567" in window.outcome.number_label.text()
        # The window stays usable while the call is in flight.
        window.form.phone.set_text("+233 24 123 4567")
        assert "Ghana" in window.form.phone.status.text()
        shot(window, screenshot_dir, "sending")
    assert not window.form.busy_bar.isVisibleTo(window)
    assert len(simulator.calls) == 1


def test_history_shows_the_attempt_as_sending_while_termii_answers(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    window = open_window(make_services(simulator.url))
    simulator.set_fault("slow", on="call", delay=1.5)
    fill(window)
    panel = window.history_panel
    assert panel is not None
    shown: list[str] = []

    def outcome() -> str:
        return str(panel.model.data(panel.model.index(0, panel.model.OUTCOME)))

    panel.model.dataChanged.connect(lambda *_: shown.append(outcome()))
    with qtbot.waitSignal(window.call_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=WAIT_MS)
        assert outcome() == "Sending…"
    qtbot.waitUntil(lambda: outcome() == "Sent", timeout=WAIT_MS)  # the row is re-read on a worker
    assert "Unknown" not in shown  # what the row says in the store until the answer: never shown meanwhile
    assert panel.model.rowCount() == 1


@pytest.mark.parametrize(
    ("fault", "expected"),
    [("401", "API key"), ("502-html", "502")],
)
def test_errors_show_the_core_sentence_inline(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    history: HistoryStore, screenshot_dir: Path, fault: str, expected: str
) -> None:
    window = open_window(make_services(simulator.url))
    simulator.set_fault(fault, on="call")
    fill(window)
    attempt = send(qtbot, window)
    assert isinstance(attempt, CallAttempt) and attempt.outcome is not Outcome.SENT
    shown = window.outcome.text
    assert attempt.message in shown and expected in shown
    assert "<" not in shown and "nginx" not in shown.lower()
    assert window.form.code.text() == CODE  # kept for a retry
    row = history.get(attempt.history_id or 0)
    assert row is not None and row.completed and row.outcome == attempt.outcome.value
    shot(window, screenshot_dir, f"error-{fault}")


def test_unknown_outcome_says_the_call_may_have_been_placed(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow, history: HistoryStore
) -> None:
    window = open_window(make_services(simulator.url))
    simulator.set_fault("reset", on="call")
    fill(window)
    attempt = send(qtbot, window)
    assert isinstance(attempt, CallAttempt) and attempt.outcome is Outcome.UNKNOWN
    assert window.outcome.headline.text() == "Unknown: check before sending again"
    assert "may have been placed" in window.outcome.text
    row = history.get(attempt.history_id or 0)
    assert row is not None and row.outcome == "unknown" and row.completed


def test_nothing_attempted_shows_the_config_sentence(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    services = make_services(simulator.url)
    window = open_window(services)
    services.keystore.delete()  # the key was removed from the keyring behind the desk's back
    fill(window)
    error = send(qtbot, window)
    assert isinstance(error, ConfigError)
    assert str(error) in window.outcome.text and simulator.calls == []
    assert not window.form.busy


def test_double_enter_and_double_click_send_once(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    window = open_window(make_services(simulator.url))
    simulator.set_fault("slow", on="call", delay=0.5)
    fill(window)
    with qtbot.waitSignal(window.call_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
        qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
        qtbot.keyClick(window.form.phone.edit, Qt.Key.Key_Return)
        qtbot.mouseDClick(window.form.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window._executor.pending() == 0, timeout=WAIT_MS)
    assert len(simulator.calls) == 1


def test_cooldown_asks_before_calling_the_same_number_again(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(make_services(simulator.url))
    asked: list[tuple[str, datetime]] = []
    answer = {"value": False}

    def ask(_cls: Any, _parent: Any, phone_display: str, last: datetime) -> bool:
        asked.append((phone_display, last))
        return answer["value"]

    monkeypatch.setattr(CooldownDialog, "ask", classmethod(ask))
    fill(window)
    send(qtbot, window)
    assert asked == []  # first call: nothing to ask
    window.form.code.set_text("771234")
    qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(asked) == 1 and not window.form.busy, timeout=WAIT_MS)
    assert asked[0][0] == "+234 803 123 4567"
    assert len(simulator.calls) == 1 and "not called again" in window.outcome.text
    answer["value"] = True
    send(qtbot, window)
    assert len(asked) == 2 and len(simulator.calls) == 2


def test_cooldown_off_never_asks(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(make_services(simulator.url, cooldown_seconds=0))
    monkeypatch.setattr(CooldownDialog, "ask", classmethod(lambda *_args: pytest.fail("asked")))
    fill(window)
    send(qtbot, window)
    window.form.code.set_text("771234")
    send(qtbot, window)
    assert len(simulator.calls) == 2


def test_closing_during_a_call_asks_and_waiting_keeps_the_window(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    history: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from termii_desk.ui.dialogs import CloseDuringCallDialog

    window = open_window(make_services(simulator.url))
    asked: list[int] = []
    monkeypatch.setattr(CloseDuringCallDialog, "ask", classmethod(lambda _c, _p, calls: asked.append(calls) or False))
    simulator.set_fault("slow", on="call", delay=1.0)
    fill(window)
    qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(simulator.calls) == 1, timeout=WAIT_MS)
    assert not window.close() and window.isVisible() and asked == [1]
    with qtbot.waitSignal(window.call_finished, timeout=WAIT_MS):
        pass
    assert "Termii accepted the call" in window.outcome.text  # the answer is shown, to the agent who waited
    assert window.close() and asked == [1]
    rows = history.page(10)
    assert len(rows) == 1 and rows[0].completed and rows[0].outcome == "sent"


def test_closing_anyway_while_termii_never_answers_is_quick_and_records_why(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    history: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from termii_desk.core.words import CLOSED_BEFORE_ANSWER
    from termii_desk.ui.dialogs import CloseDuringCallDialog

    window = open_window(make_services(simulator.url, read_timeout=20.0))
    monkeypatch.setattr(CloseDuringCallDialog, "ask", classmethod(lambda *_args: True))
    simulator.set_fault("no-answer", on="call")
    fill(window)
    qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(simulator.calls) == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.history_panel is not None and window.history_panel.model.rowCount() == 1,
                    timeout=WAIT_MS)
    start = time.monotonic()
    assert window.close()
    assert time.monotonic() - start < 2.0 and window.closed_without_waiting
    rows = history.page(10)
    assert len(rows) == 1 and rows[0].completed and rows[0].outcome == "unknown"
    assert rows[0].error == CLOSED_BEFORE_ANSWER  # not "the desk stopped": the agent closed it
    simulator.clear_fault()


# -- keyboard and history --------------------------------------------------------------------------------


def test_shortcuts(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    window = open_window(make_services(simulator.url), InlineExecutor())
    shortcuts = {a.objectName(): a.shortcut().toString() for a in window.actions()}
    assert shortcuts["settings_action"] == "Ctrl+,"
    assert shortcuts["refresh_action"] == "Ctrl+R"
    assert shortcuts["filter_action"] == "Ctrl+F"
    assert shortcuts["clear_action"] == "Ctrl+N"
    assert "Esc" not in shortcuts.values()  # Esc empties the focused field only
    window.refresh_action.trigger()
    assert len(simulator.balance_requests) == 2
    fill(window)
    window.clear_action.trigger()
    assert window.form.phone.text() == "" and window.form.code.text() == ""
    assert window.undo_clear_action.isEnabled()
    window.undo_clear_action.trigger()
    assert window.form.phone.text() == PHONE and window.form.code.text() == CODE
    window.filter_action.trigger()
    assert window.history_panel is not None
    assert window.history_panel.filter_edit.hasFocus() or window.focusWidget() is window.history_panel.filter_edit
    window.settings_action.trigger()
    assert window.settings_dialog is not None
    window.settings_dialog.reject()


def nameless_controls(root: Any) -> list[str]:
    """The controls under ``root`` a screen reader would announce without a name: line edits, combo boxes,
    spin boxes, tables and buttons (a line edit's built-in clear button too) with neither an accessible name
    nor a text of their own. Not counted: what is hidden (Qt's own spare parts: the menu bar's overflow button,
    the table's corner button; a notice's "more" button until there are more), the line edits inside a combo or
    spin box (read by their owner's name) and a table's headers (read as its column titles)."""
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QAbstractSpinBox,
        QComboBox,
        QHeaderView,
        QLineEdit,
    )

    missing = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not isinstance(widget, (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractItemView)):
            continue
        if widget.isHidden() or isinstance(widget, QHeaderView):
            continue
        if isinstance(widget, QLineEdit) and isinstance(widget.parent(), (QComboBox, QAbstractSpinBox)):
            continue
        if isinstance(widget, QAbstractItemView) and isinstance(widget.parent(), QWidget) and (
                widget.parent().parent() is not None and isinstance(widget.parent().parent(), QComboBox)):
            continue  # a combo box's drop-down list
        text = widget.text() if isinstance(widget, QAbstractButton) else ""
        if not (widget.accessibleName().strip() or text.replace("&", "").strip()):
            missing.append(f"{type(widget).__name__} in {type(widget.parent()).__name__}"
                           f" ({widget.parent().accessibleName() or widget.parent().objectName()!r})")
    return missing


def test_every_control_has_an_accessible_name(
    simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    """Every control in the window, the history panel and Settings, found by walking the widgets (not a list of
    known ones), clear buttons of line edits included; and the main ones say what they are."""
    window = open_window(make_services(simulator.url))
    assert window.history_panel is not None
    fill(window)
    window.history_panel.filter_edit.setText("0803")  # every clear button is there to be pressed
    assert nameless_controls(window) == []
    window.settings_action.trigger()
    assert window.settings_dialog is not None
    window.settings_dialog.key_edit.setText("typed")
    assert nameless_controls(window.settings_dialog) == []
    window.settings_dialog.reject()
    clear_buttons = {edit: [b.accessibleName() for b in edit.findChildren(QToolButton)]
                     for edit in (window.form.phone.edit, window.form.code.edit, window.history_panel.filter_edit)}
    assert list(clear_buttons.values()) == [["Clear the phone number"], ["Clear the code"], ["Clear the filter"]]
    names = [w.accessibleName().lower() for w in (window.form.phone.edit, window.form.code.edit,
                                                  window.form.send_button)]
    assert "phone" in names[0] and "code" in names[1] and "send" in names[2]


def test_use_this_number_from_history_fills_the_phone(
    simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    window = open_window(make_services(simulator.url))
    assert window.history_panel is not None
    window.history_panel.use_number_requested.emit("+234 803 123 4567")
    assert window.form.phone.value is not None and window.form.phone.value.digits == PHONE_DIGITS
    assert window.form.code.edit.hasFocus() or window.focusWidget() is window.form.code.edit


def test_long_history(
    simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow, history: HistoryStore,
    screenshot_dir: Path
) -> None:
    outcomes = [Outcome.SENT, Outcome.SENT, Outcome.REJECTED, Outcome.SENT, Outcome.FAILED, Outcome.UNKNOWN]
    for n in range(500):
        outcome = outcomes[n % len(outcomes)]
        row = history.start_attempt(f"23480312{n:05d}", Code(f"{482000 + n}"), "api.ng.termii.com")
        history.complete_attempt(
            row, outcome=outcome, duration_ms=400 + n, http_status=200 if outcome is Outcome.SENT else 401,
            message_id=f"30176945847370{n:011d}" if outcome is Outcome.SENT else None,
            balance=str(Decimal("5000") - Decimal("2.5") * n) if outcome is Outcome.SENT else None, currency="NGN",
            error=None if outcome is Outcome.SENT else "Termii refused the request.",
        )
    window = open_window(make_services(simulator.url))
    assert window.history_panel is not None and window.history_panel.model.rowCount() >= 100
    shot(window, screenshot_dir, "long-history")


def test_dark_palette_keeps_status_colours_readable(
    qtbot: Any, dark_app: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    screenshot_dir: Path
) -> None:
    window = open_window(make_services(simulator.url))
    fill(window, code="0123")
    window.form.code.reveal_problem()
    assert is_dark(window.palette())
    for label in (window.form.phone.status, window.form.code.status, window.account.balance_label):
        text = label.palette().color(QPalette.ColorRole.WindowText)
        assert text.lightness() > 140, label.text()  # light text on the dark window
    window.form.code.set_text(CODE)
    send(qtbot, window)
    assert window.outcome.headline.palette().color(QPalette.ColorRole.WindowText).lightness() > 140
    shot(window, screenshot_dir, "dark-palette")


def test_balance_answer_for_the_old_key_is_dropped_and_asked_again(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    from tests.fakes import HeldExecutor

    executor = HeldExecutor()
    services = make_services(simulator.url)
    window = open_window(services, executor)
    executor.run_all()  # the start-up balance check
    simulator.reset_log()
    window.refresh_requested.emit()  # in flight with the old key...
    window.controller.after_settings(key_changed=False)  # ...when the settings change
    with qtbot.assertNotEmitted(window.balance_finished):
        executor.run()  # the old answer arrives: dropped, and a new request is made
    assert executor.pending() == 1 and len(simulator.balance_requests) == 1
    with qtbot.waitSignal(window.balance_finished, timeout=WAIT_MS):
        executor.run()
    assert len(simulator.balance_requests) == 2


def test_first_frame_is_the_form_and_it_stays_put_when_the_rest_is_built(qtbot: Any, screenshot_dir: Path) -> None:
    """The first frame at start (app.py): the real phone and code fields and Send, the phone focused; the rest of
    the window is built around them without moving them (the account strip's room is kept)."""
    window = MainWindow(InlineExecutor(), staged=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    assert not window.built
    qtbot.waitUntil(lambda: window.form.phone.edit.hasFocus())
    assert window.form.code.edit.isVisible() and window.form.send_button.isVisible()
    QApplication.processEvents()
    assert window.grab().save(str(screenshot_dir / "startup-first-frame.png"))
    edits = (window.form.phone.edit, window.form.code.edit, window.form.send_button)
    before = [w.mapTo(window, w.rect().topLeft()) for w in edits]

    built: list[bool] = []
    window.content_built.connect(lambda: built.append(True))
    window.build_content()
    window.build_content()  # once
    assert built == [True] and window.built
    QApplication.processEvents()
    after = [w.mapTo(window, w.rect().topLeft()) for w in edits]
    assert [(p.x(), p.y()) for p in after] == [(p.x(), p.y()) for p in before]
    assert window.form.phone.edit.hasFocus()


# -- back to back, rate limit, clearing ------------------------------------------------------------------


def test_back_to_back_the_answer_leaves_the_next_customers_fields_alone(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow, screenshot_dir: Path
) -> None:
    window = open_window(make_services(simulator.url))
    simulator.set_fault("slow", on="call", delay=1.0)
    fill(window)
    with qtbot.waitSignal(window.call_finished, timeout=WAIT_MS) as finished:
        qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: len(simulator.calls) == 1, timeout=WAIT_MS)
        # The next customer, typed while the first call waits for Termii.
        window.form.phone.edit.setFocus()
        window.form.phone.edit.selectAll()
        qtbot.keyClicks(window.form.phone.edit, "0805 555 0199")
        window.form.code.edit.setFocus()
        window.form.code.edit.selectAll()
        qtbot.keyClicks(window.form.code.edit, "7712")
        window.form.code.edit.setCursorPosition(2)
    assert finished.args[0].outcome is Outcome.SENT
    assert window.form.phone.text() == "0805 555 0199" and window.form.code.text() == "7712"
    assert window.form.code.edit.hasFocus() and window.form.code.edit.cursorPosition() == 2
    assert not window.form.phone.edit.hasSelectedText()
    # The banner is about the call that was answered, not the fields.
    assert window.outcome.number_label.text() == "+234 803 123 4567"
    assert "Termii accepted the call" in window.outcome.headline.text()
    shot(window, screenshot_dir, "back-to-back")


def test_an_untouched_form_is_ready_for_the_next_customer_after_a_success(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    window = open_window(make_services(simulator.url))
    fill(window)
    send(qtbot, window)
    assert window.form.code.text() == "" and window.form.phone.text() == PHONE
    assert window.form.phone.edit.hasFocus() and window.form.phone.edit.selectedText() == PHONE


def test_changing_only_the_code_keeps_the_phone_unselected_and_focus_where_it_is(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    window = open_window(make_services(simulator.url))
    simulator.set_fault("slow", on="call", delay=0.8)
    fill(window)
    with qtbot.waitSignal(window.call_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
        window.history_panel.focus_filter()  # type: ignore[union-attr]
    assert window.form.code.text() == ""  # still the sent code: reset
    assert window.history_panel is not None and window.history_panel.filter_edit.hasFocus()  # focus not taken


def test_after_a_429_send_counts_down_and_sends_nothing(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow,
    screenshot_dir: Path
) -> None:
    window = open_window(make_services(simulator.url, cooldown_seconds=0))
    simulator.set_fault("429", on="call")
    fill(window)
    send(qtbot, window)
    assert window.form.holding and not window.form.send_button.isEnabled()
    assert window.form.send_button.text() in ("Send in 30 s", "Send in 29 s")
    shot(window, screenshot_dir, "rate-limited")
    simulator.clear_fault()
    qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
    qtbot.wait(100)
    assert len(simulator.calls) == 1  # Enter during the countdown sends nothing
    window.form.hold(1.0)
    qtbot.waitUntil(lambda: window.form.send_button.isEnabled(), timeout=3000)
    assert window.form.send_button.text() == "&Send"


def test_ctrl_n_clears_the_form_ctrl_z_brings_it_back_esc_in_the_filter_leaves_it(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    window = open_window(make_services(simulator.url), InlineExecutor())
    fill(window)
    window.on_filter_requested()
    panel = window.history_panel
    assert panel is not None
    qtbot.keyClicks(panel.filter_edit, "0803")
    qtbot.keyClick(panel.filter_edit, Qt.Key.Key_Escape)
    assert panel.filter_edit.text() == "" and window.form.phone.text() == PHONE and window.form.code.text() == CODE
    window.form.phone.edit.setFocus()
    qtbot.keyClick(window.form.phone.edit, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.form.phone.text() == "" and window.form.code.text() == ""
    qtbot.keyClick(window.form.phone.edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.form.phone.text() == PHONE and window.form.code.text() == CODE


def test_the_history_filter_finds_a_call_typed_in_the_national_form(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: OpenWindow
) -> None:
    window = open_window(make_services(simulator.url))
    fill(window, "+234 803 550 0199")
    send(qtbot, window)
    panel = window.history_panel
    assert panel is not None
    for typed in ("08035500199", "0803 550 0199", "00234 803 550 0199"):
        panel.filter_edit.setText(typed)
        panel.on_filter_return_pressed()
        qtbot.waitUntil(lambda: panel.model.filter_digits == "2348035500199" and panel.model.rowCount() == 1,
                        timeout=WAIT_MS)  # "did we call them?": yes


class _PanelPaints(QObject):
    """What the window had done when its history panel was first painted."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.window = window
        self.at_first_paint: tuple[bool, bool] | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.at_first_paint is None:
            self.at_first_paint = (self.window.balance_check_pending, _clear_buttons_on(self.window))
        return False


def _clear_buttons_on(window: MainWindow) -> bool:
    edits = (window.form.phone.edit, window.form.code.edit)
    return any(edit.isClearButtonEnabled() for edit in edits)


def test_the_history_is_painted_before_the_clear_buttons_and_the_balance_check(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    """Nothing holds up the history's first sight: the clear buttons (an icon theme lookup) and the start-up
    balance check (a worker importing the network stack) wait for its first paint, however long that takes."""
    window = MainWindow(InlineExecutor())
    qtbot.addWidget(window)
    window.attach(make_services(simulator.url))  # while the window is not on screen yet
    panel = window.history_panel
    assert panel is not None
    paints = _PanelPaints(window)
    panel.installEventFilter(paints)
    qtbot.waitUntil(lambda: panel.isVisibleTo(window), timeout=5_000)  # placed in the window: nothing painted
    qtbot.wait(300)  # many event-loop turns
    assert window.balance_check_pending and not _clear_buttons_on(window)
    window.show()
    qtbot.waitUntil(lambda: not window.balance_check_pending, timeout=5_000)
    assert _clear_buttons_on(window)
    assert paints.at_first_paint == (True, False)


def test_a_window_never_painted_still_gets_its_clear_buttons_and_balance(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    window = MainWindow(InlineExecutor())
    qtbot.addWidget(window)
    window.attach(make_services(simulator.url))
    qtbot.waitUntil(lambda: not window.balance_check_pending, timeout=5_000)
    assert _clear_buttons_on(window) and window.account.balance_text


@pytest.mark.parametrize("network_first", [False, True])
def test_with_extras_waiting_for_the_network_the_clear_buttons_and_balance_follow_it(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, network_first: bool
) -> None:
    """app.py holds them until the network stack is loaded (a call typed before ready loads it): shown and
    painted, the history alone; then both, in either order of the two."""
    window = MainWindow(InlineExecutor())
    qtbot.addWidget(window)
    window.extras_wait_for_network = True
    if network_first:
        window.network_loaded()
    window.attach(make_services(simulator.url))
    window.show()
    panel = window.history_panel
    assert panel is not None
    if not network_first:
        qtbot.waitUntil(lambda: panel.isVisible(), timeout=5_000)
        qtbot.wait(300)  # painted, many event-loop turns
        assert window.balance_check_pending and not _clear_buttons_on(window)
        window.network_loaded()
    qtbot.waitUntil(lambda: not window.balance_check_pending, timeout=5_000)
    assert _clear_buttons_on(window) and window.account.balance_text
    window.network_loaded()  # once: nothing more happens
    assert not window.balance_check_pending
