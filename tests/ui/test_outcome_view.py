"""OutcomeView: the banner for each outcome of a CallAttempt, and for nothing attempted."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QApplication

from termii_desk.core.desk import CallAttempt
from termii_desk.core.errors import NetworkError, Outcome, RequestRejectedError, TermiiError
from termii_desk.core.results import Balance, VoiceCallResult
from termii_desk.core.validation import validate_phone
from termii_desk.ui.outcome_view import OutcomeView
from termii_desk.ui.tones import Tone
from tests.ui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)

PHONE = validate_phone("+2348031234567")
WHEN = datetime(2026, 3, 2, 13, 5, 33, tzinfo=timezone.utc)


@pytest.fixture
def view(qtbot: Any) -> OutcomeView:
    widget = OutcomeView()
    qtbot.addWidget(widget)
    widget.resize(640, widget.sizeHint().height())
    return widget


def attempt(outcome: Outcome, error: TermiiError | None = None, history_problem: str | None = None,
            message: str = "Successfully Sent", phone: str = "+2348031234567") -> CallAttempt:
    result = None
    if error is None:
        result = VoiceCallResult("3017694584737030299856628", None, message, Balance("77.5", Decimal("77.5")),
                                 "Acme", 200)
    return CallAttempt(outcome, validate_phone(phone), "••••13", result, error, 1, history_problem, 420, WHEN)


def test_success_names_the_call_shows_the_id_to_copy_and_the_balance(view: OutcomeView) -> None:
    view.show_attempt(attempt(Outcome.SENT), "77.50 NGN")
    assert view.tone is Tone.GOOD and view.headline.text() == "Sent: Termii accepted the call"
    assert view.number_label.text() == "+234 803 123 4567"
    assert WHEN.astimezone().strftime("%H:%M:%S") in view.when_label.text()
    assert "3017694584737030299856628" in view.text and "77.50 NGN" in view.text
    assert not view.copy_button.isHidden()
    view.copy_button.click()
    assert QApplication.clipboard().text() == "3017694584737030299856628"


def test_two_successes_in_a_row_look_different(view: OutcomeView, screenshot_dir: Path) -> None:
    view.show_attempt(attempt(Outcome.SENT), "77.50 NGN")
    first = view.grab().toImage()
    first_text = view.text
    view.grab().save(str(screenshot_dir / "outcome-success-1.png"))
    view.show_attempt(attempt(Outcome.SENT, phone="+2348031234567"), "75.00 NGN")
    view.grab().save(str(screenshot_dir / "outcome-success-2.png"))
    assert view.text != first_text and view.when_label.text().startswith("Call 2 · ")
    assert view.when_label.font().bold()  # in bold, where the eye looks for what changed
    assert view.grab().toImage() != first


def test_unknown_is_amber_and_says_check_before_sending_again(view: OutcomeView) -> None:
    error = NetworkError("The connection was cut before Termii answered; the call may have been placed.",
                         outcome=Outcome.UNKNOWN)
    view.show_attempt(attempt(Outcome.UNKNOWN, error), None)
    assert view.tone is Tone.WARNING and view.headline.text() == "Unknown: check before sending again"
    assert "connection was cut" in view.text and view.copy_button.isHidden()


def test_refused_is_red(view: OutcomeView) -> None:
    view.show_attempt(attempt(Outcome.REJECTED, RequestRejectedError("Termii refused the request.")), None)
    assert view.tone is Tone.BAD and view.headline.text() == "Refused: not sent"


def test_a_long_termii_message_wraps_inside_without_growing_the_banner(view: OutcomeView) -> None:
    view.show_attempt(attempt(Outcome.SENT), "77.50 NGN")
    height = view.sizeHint().height()
    view.show_attempt(attempt(Outcome.SENT, message="word " * 400), "77.50 NGN")
    assert view.sizeHint().height() == height
    assert ("word " * 400).strip() in view.details.toPlainText()  # all of it, scrollable, not cut


def test_history_problem_is_shown_with_the_outcome(view: OutcomeView) -> None:
    view.show_attempt(attempt(Outcome.SENT, history_problem="History could not be saved: the disk is full."),
                      "77.50 NGN")
    assert "disk is full" in view.text


def test_failure_before_any_attempt(view: OutcomeView) -> None:
    view.show_failure("No Termii API key is set.")
    assert view.tone is Tone.BAD and "No Termii API key is set." in view.text
    view.clear()
    assert view.text.startswith("Ready")


def test_screen_readers_read_what_it_says(view: OutcomeView) -> None:
    view.show_attempt(attempt(Outcome.SENT), "77.50 NGN")
    interface = QAccessible.queryAccessibleInterface(view.headline)
    assert interface is not None and interface.text(QAccessible.Text.Name) == "Sent: Termii accepted the call"
    banner = QAccessible.queryAccessibleInterface(view)
    assert banner is not None and "+234 803 123 4567" in banner.text(QAccessible.Text.Description)


def test_the_code_sent_is_masked_and_revealable_until_the_next_call(view: OutcomeView) -> None:
    view.show_attempt(attempt(Outcome.SENT), "77.50 NGN", "482913")
    assert "••••13" in view.text and "482913" not in view.text and view.show_code_button.isVisibleTo(view)
    view.show_code_button.click()
    assert "Code 482913." in view.details.toPlainText() and view.code_shown
    view.show_code_button.click()
    assert "482913" not in view.text
    view.show_code_button.click()
    view.show_sending("+234 803 123 4567")  # the next call: gone
    assert "482913" not in view.text and not view.show_code_button.isVisibleTo(view)
