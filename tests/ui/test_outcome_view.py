"""OutcomeView: the sentence for each outcome of a CallAttempt, and for nothing attempted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from termii_desk.core.desk import CallAttempt
from termii_desk.core.errors import NetworkError, Outcome, TermiiError
from termii_desk.core.results import Balance, VoiceCallResult
from termii_desk.core.validation import validate_phone
from termii_desk.ui.outcome_view import OutcomeView
from termii_desk.ui.tones import Tone
from tests.ui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)

PHONE = validate_phone("+2348031234567")


@pytest.fixture
def view(qtbot: Any) -> OutcomeView:
    widget = OutcomeView()
    qtbot.addWidget(widget)
    return widget


def attempt(outcome: Outcome, error: TermiiError | None = None, history_problem: str | None = None) -> CallAttempt:
    result = None
    if error is None:
        result = VoiceCallResult("3017694584737030299856628", None, "Successfully Sent",
                                 Balance("77.5", Decimal("77.5")), "Acme", 200)
    return CallAttempt(outcome, PHONE, "••••13", result, error, 1, history_problem, 420)


def test_success_shows_message_id_and_balance(view: OutcomeView) -> None:
    view.show_attempt(attempt(Outcome.SENT), "77.50 NGN")
    assert view.headline.tone is Tone.GOOD and "Call placed" in view.headline.text()
    assert "3017694584737030299856628" in view.text and "77.50 NGN" in view.text


def test_unknown_says_the_call_may_have_been_placed(view: OutcomeView) -> None:
    error = NetworkError("The connection was cut before Termii answered.", outcome=Outcome.UNKNOWN)
    view.show_attempt(attempt(Outcome.UNKNOWN, error), None)
    assert view.headline.tone is Tone.WARNING and "may have been placed" in view.headline.text()
    assert "connection was cut" in view.text


def test_history_problem_is_shown_with_the_outcome(view: OutcomeView) -> None:
    view.show_attempt(attempt(Outcome.SENT, history_problem="History could not be saved: the disk is full."),
                      "77.50 NGN")
    assert "disk is full" in view.text


def test_failure_before_any_attempt(view: OutcomeView) -> None:
    view.show_failure("No Termii API key is set.")
    assert view.headline.tone is Tone.BAD and "No Termii API key is set." in view.text
    view.clear()
    assert view.text.startswith("Ready")
