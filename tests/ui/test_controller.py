"""DeskController without any window: its flows driven through its slots, observed through its signals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QObject

from termii_desk.core.bootstrap import DeskServices
from termii_desk.core.desk import CallAttempt
from termii_desk.core.errors import ConfigError, Outcome
from termii_desk.core.history import HistoryStore
from termii_desk.core.validation import validate_code, validate_phone
from termii_desk.simulator import TermiiSimulator
from termii_desk.ui.controller import BalanceReading, DeskController
from termii_desk.ui.worker import InlineExecutor, ThreadExecutor
from tests.fakes import HeldExecutor

MakeServices = Callable[..., DeskServices]
PHONE = validate_phone("0803 123 4567")
CODE = validate_code("482913")
WAIT_MS = 15_000


class Recorder(QObject):
    """Every signal the controller emits, in order, with its arguments."""

    def __init__(self, controller: DeskController) -> None:
        super().__init__()
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        names = ["cooldown_question", "send_declined", "call_started", "attempt_started", "attempt_finished",
                 "call_finished", "send_failed", "send_ended", "history_changed", "balance_loading",
                 "balance_known", "balance_failed", "balance_finished", "account_named", "key_status_changed",
                 "settings_changed", "settings_applied", "notice"]
        for name in names:
            getattr(controller, name).connect(lambda *args, name=name: self.events.append((name, args)))

    def names(self) -> list[str]:
        return [name for name, _args in self.events]

    def args(self, name: str) -> list[tuple[Any, ...]]:
        return [args for event, args in self.events if event == name]


def test_the_controller_is_a_qobject_that_knows_no_window() -> None:
    from pathlib import Path

    import termii_desk.ui.controller as module

    source = Path(module.__file__).read_text(encoding="utf-8")
    assert "main_window" not in source and "QWidget" not in source and "PySide6.QtWidgets" not in source


def test_attach_announces_notices_settings_key_and_checks_the_balance(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    services = make_services(simulator.url)
    services.notices.append("Ignored the setting x.")
    controller = DeskController(InlineExecutor())
    seen = Recorder(controller)
    controller.attach(services)
    assert seen.args("notice") == [("Ignored the setting x.",)]
    assert seen.args("settings_changed") == [(services.settings,)]
    assert seen.args("key_status_changed")[0][0].has_key
    reading = seen.args("balance_known")[0][0]
    assert isinstance(reading, BalanceReading) and reading.currency == "NGN" and reading.user == simulator.user
    assert seen.args("account_named") == [(simulator.user,)]
    assert len(simulator.balance_requests) == 1


def test_attach_can_leave_the_first_balance_check_to_the_window(
    simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    controller = DeskController(InlineExecutor())
    seen = Recorder(controller)
    controller.attach(make_services(simulator.url), check_balance=False)
    assert "balance_loading" not in seen.names() and simulator.balance_requests == []
    controller.on_refresh_requested()
    assert seen.names()[-3:] == ["balance_known", "account_named", "balance_finished"]


def test_a_send_goes_started_recorded_finished_and_ended_in_that_order(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, history: HistoryStore
) -> None:
    controller = DeskController(ThreadExecutor())
    controller.attach(make_services(simulator.url), check_balance=False)
    seen = Recorder(controller)
    with qtbot.waitSignal(controller.call_finished, timeout=WAIT_MS) as finished:
        controller.on_send_requested(PHONE, CODE)
        assert controller.calls_in_flight == 1
    attempt = finished.args[0]
    assert isinstance(attempt, CallAttempt) and attempt.outcome is Outcome.SENT
    names = seen.names()
    assert names.index("call_started") < names.index("attempt_started") < names.index("attempt_finished")
    assert names.index("attempt_finished") < names.index("send_ended") < names.index("call_finished")
    assert seen.args("attempt_started") == [(attempt.history_id,)]
    assert seen.args("balance_known")[0][0].balance.display("NGN") == "4,997.50 NGN"
    assert controller.calls_in_flight == 0
    row = history.get(attempt.history_id or 0)
    assert row is not None and row.outcome == "sent"


def test_the_cooldown_question_is_asked_and_the_answer_decides(
    simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    controller = DeskController(InlineExecutor())
    controller.attach(make_services(simulator.url), check_balance=False)
    controller.on_send_requested(PHONE, CODE)
    seen = Recorder(controller)
    controller.on_send_requested(PHONE, CODE)  # the same number again, within the cooldown
    assert seen.names() == ["cooldown_question"] and len(simulator.calls) == 1
    phone, code, last = seen.args("cooldown_question")[0]
    assert phone == PHONE and code == CODE and last is not None
    assert controller.calls_in_flight == 1  # the question is part of the send
    controller.on_cooldown_answered(phone, code, False)
    assert seen.names()[1:] == ["send_declined", "send_ended"] and len(simulator.calls) == 1
    assert controller.calls_in_flight == 0
    controller.on_send_requested(PHONE, CODE)
    controller.on_cooldown_answered(PHONE, CODE, True)
    assert len(simulator.calls) == 2 and seen.names()[-1] == "call_finished"


def test_nothing_attempted_says_why_and_ends_the_send(
    simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    services = make_services(simulator.url)
    controller = DeskController(InlineExecutor())
    controller.attach(services, check_balance=False)
    services.keystore.delete()
    seen = Recorder(controller)
    controller.on_send_requested(PHONE, CODE)
    (sentence,) = seen.args("send_failed")[0]
    assert "No Termii API key" in sentence
    assert seen.names()[-3:] == ["history_changed", "send_ended", "call_finished"]
    assert isinstance(seen.args("call_finished")[0][0], ConfigError) and simulator.calls == []


def test_a_failed_balance_check_says_why(simulator: TermiiSimulator, make_services: MakeServices) -> None:
    simulator.set_fault("401", on="balance")
    controller = DeskController(InlineExecutor())
    seen = Recorder(controller)
    controller.attach(make_services(simulator.url))
    (sentence,) = seen.args("balance_failed")[0]
    assert "API key" in sentence and "balance_known" not in seen.names()


def test_settings_saved_apply_at_once_are_stored_and_the_balance_is_checked_again(
    simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    services = make_services(simulator.url)
    controller = DeskController(InlineExecutor())
    controller.attach(services)
    seen = Recorder(controller)
    new = services.settings.updated(default_region="GH")
    controller.on_settings_saved(new, False)
    assert seen.names()[:2] == ["settings_changed", "settings_applied"]
    assert services.settings.default_region == "GH"
    assert services.settings_store is not None and services.settings_store.load().default_region == "GH"
    assert len(simulator.balance_requests) == 2


def test_a_balance_answer_for_old_settings_is_dropped_and_asked_again(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    executor = HeldExecutor()
    controller = DeskController(executor)
    controller.attach(make_services(simulator.url))
    seen = Recorder(controller)
    controller.after_settings(key_changed=False)  # while the first check is in flight
    executor.run()
    assert "balance_finished" not in seen.names() and executor.pending() == 1
    executor.run()
    assert seen.names()[-1] == "balance_finished"


def test_after_closing_nothing_new_starts(simulator: TermiiSimulator, make_services: MakeServices) -> None:
    controller = DeskController(InlineExecutor())
    controller.attach(make_services(simulator.url), check_balance=False)
    controller.on_closing()
    seen = Recorder(controller)
    controller.on_send_requested(PHONE, CODE)
    controller.on_refresh_requested()
    assert seen.names() == ["send_ended"] and simulator.calls == [] and simulator.balance_requests == []


@pytest.mark.parametrize("outcome", [Outcome.SENT, Outcome.UNKNOWN])
def test_the_history_panel_follows_the_attempt_signals(
    qtbot: Any, history: HistoryStore, outcome: Outcome
) -> None:
    from termii_desk.ui.history_panel import HistoryPanel
    from tests.ui.conftest import record

    panel = HistoryPanel(history)
    qtbot.addWidget(panel)
    row_id = record(history, outcome=None)
    panel.on_attempt_started(row_id)
    assert panel.model.rowCount() == 1
    assert panel.model.data(panel.model.index(0, panel.model.OUTCOME)) == "Sending…"
    history.complete_attempt(row_id, outcome=outcome, duration_ms=300)
    attempt = CallAttempt(outcome, PHONE, CODE.masked, None, None, row_id, None, 300)
    panel.on_attempt_finished(attempt)
    assert panel.model.data(panel.model.index(0, panel.model.OUTCOME)) != "Sending…"
