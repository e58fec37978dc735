"""The desk service: one attempt = one history row, written first and always completed."""

from __future__ import annotations

from pathlib import Path

import pytest

from termii_desk.core.desk import Desk
from termii_desk.core.errors import ConfigError, Outcome
from termii_desk.core.history import HistoryStore
from termii_desk.core.keystore import KeyStore
from termii_desk.core.settings import Settings
from termii_desk.core.validation import validate_code, validate_phone
from termii_desk.simulator import TermiiSimulator
from tests.conftest import SIM_KEY

PHONE = validate_phone("+2348031234567")
CODE = validate_code("482916")


def _desk(sim: TermiiSimulator, tmp_path: Path, key: str = SIM_KEY, **changes: object) -> Desk:
    settings = Settings().updated(base_url=sim.url, read_timeout=1, **changes)
    return Desk(settings, KeyStore(environ={"TERMII_API_KEY": key}), HistoryStore(tmp_path / "h.sqlite3"))


def test_sent_call_is_recorded_with_balance_and_currency(simulator: TermiiSimulator, tmp_path: Path) -> None:
    desk = _desk(simulator, tmp_path)
    desk.check_balance()
    attempt = desk.place_call(PHONE, CODE)
    assert attempt.outcome == Outcome.SENT and attempt.error is None and attempt.exit_code == 0
    assert attempt.message.startswith("Termii accepted the call to +234 803 123 4567. Message id ")
    row = desk.history.get(attempt.history_id or 0)
    assert row is not None
    assert (row.outcome, row.phone, row.code_masked, row.http_status) == ("sent", "2348031234567", "••••16", 200)
    assert row.message_id == attempt.result.message_id if attempt.result else False
    assert row.balance == "4997.5" and row.currency == "NGN"
    assert row.error is None and row.completed


@pytest.mark.parametrize(
    ("fault", "outcome", "exit_code"),
    [("401", Outcome.REJECTED, 4), ("503-empty", Outcome.FAILED, 5), ("reset", Outcome.UNKNOWN, 5),
     ("no-answer", Outcome.UNKNOWN, 5)],
)
def test_failed_attempts_complete_their_row(
    simulator: TermiiSimulator, tmp_path: Path, fault: str, outcome: Outcome, exit_code: int
) -> None:
    simulator.set_fault(fault, on="call")
    desk = _desk(simulator, tmp_path)
    attempt = desk.place_call(PHONE, CODE)
    assert attempt.outcome == outcome and attempt.exit_code == exit_code
    row = desk.history.get(attempt.history_id or 0)
    assert row is not None and row.completed
    assert row.outcome == outcome.value and row.error == str(attempt.error)
    assert len(simulator.calls) == 1


def test_unexpected_exception_still_completes_the_row(
    simulator: TermiiSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = _desk(simulator, tmp_path)

    def explode(*args: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(desk.client(), "send_voice_call", explode)
    attempt = desk.place_call(PHONE, CODE)
    assert attempt.outcome == Outcome.UNKNOWN and "may have been placed" in attempt.message
    row = desk.history.get(attempt.history_id or 0)
    assert row is not None and row.completed and row.outcome == "unknown"


def test_history_failure_does_not_stop_the_call(simulator: TermiiSimulator, tmp_path: Path) -> None:
    import sqlite3

    desk = _desk(simulator, tmp_path)
    assert desk.history.path is not None
    desk.history._conn.close()  # the file turned read-only under the desk (SQLITE_READONLY on every write)
    desk.history._conn = sqlite3.connect(f"file:{desk.history.path}?mode=ro", uri=True, check_same_thread=False)
    attempt = desk.place_call(PHONE, CODE)
    assert attempt.outcome == Outcome.SENT
    assert attempt.history_problem == "History could not be saved: its file or folder is read-only. Calls still work."
    assert len(simulator.calls) == 1


def test_no_key_is_a_configuration_error_and_no_row(simulator: TermiiSimulator, tmp_path: Path) -> None:
    desk = Desk(Settings().updated(base_url=simulator.url), KeyStore(environ={"TERMII_API_KEY": ""},
                backend=_EmptyBackend()), HistoryStore(tmp_path / "h.sqlite3"))
    with pytest.raises(ConfigError, match="No Termii API key"):
        desk.place_call(PHONE, CODE)
    assert desk.history.count() == 0 and simulator.calls == []


def test_cooldown(simulator: TermiiSimulator, tmp_path: Path) -> None:
    desk = _desk(simulator, tmp_path, cooldown_seconds=60)
    assert desk.recently_called(PHONE) is None
    desk.place_call(PHONE, CODE)
    assert desk.recently_called(PHONE) is not None
    desk.update_settings(desk.settings.updated(cooldown_seconds=0))
    assert desk.recently_called(PHONE) is None


def test_cooldown_counts_a_call_whose_history_row_could_not_be_written(
    simulator: TermiiSimulator, tmp_path: Path
) -> None:
    import sqlite3

    desk = _desk(simulator, tmp_path, cooldown_seconds=60)
    desk.history._conn.close()
    desk.history._conn = sqlite3.connect(":memory:", check_same_thread=False)  # writes fail: no table
    attempt = desk.place_call(PHONE, CODE)
    assert attempt.outcome == Outcome.SENT and attempt.history_id is None
    assert desk.history.last_sent_to(PHONE.digits) is None  # history cannot tell
    assert desk.recently_called(PHONE) is not None  # the desk still asks before calling again


def test_cooldown_when_history_cannot_be_read_counts_only_calls_that_may_have_gone_out(
    simulator: TermiiSimulator, tmp_path: Path
) -> None:
    import sqlite3

    desk = _desk(simulator, tmp_path, cooldown_seconds=60)
    refused = _desk(simulator, tmp_path / "other", key="wrong-key", cooldown_seconds=60)
    for each in (desk, refused):
        each.history._reader.close()
        each.history._reader = sqlite3.connect(":memory:", check_same_thread=False)  # reads fail: no table
    assert desk.place_call(PHONE, CODE).outcome == Outcome.SENT
    assert refused.place_call(PHONE, CODE).outcome == Outcome.REJECTED
    assert desk.recently_called(PHONE) is not None
    assert refused.recently_called(PHONE) is None  # a refused call reached no one
    assert desk.recently_called(validate_phone("+2348031234568")) is None


def test_new_key_builds_a_new_client(simulator: TermiiSimulator, tmp_path: Path) -> None:
    environ = {"TERMII_API_KEY": "wrong-key"}
    desk = Desk(Settings().updated(base_url=simulator.url), KeyStore(environ=environ), HistoryStore(None))
    assert desk.place_call(PHONE, CODE).outcome == Outcome.REJECTED
    environ["TERMII_API_KEY"] = SIM_KEY
    assert desk.place_call(PHONE, CODE).outcome == Outcome.SENT


class _EmptyBackend:
    name = "test keyring"

    def get_password(self, service: str, username: str) -> None:
        return None
