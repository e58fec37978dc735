"""The outbox once its desk closed: every read or write queued on a worker ends in a ``HistoryError``."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from termii_desk.core.history import HistoryError
from termii_desk.core.team.outbox import Outbox, OutboxClosed
from termii_desk.core.team.postgres import TeamHistory
from termii_desk.core.validation import validate_code
from tests.postgres_server import free_port

CODE = validate_code("482916")


def test_a_closed_outbox_answers_every_call_with_a_history_error(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    seq = outbox.add("u-1", "insert", {"phone": "2348031234567"})
    entry = outbox.entries()[0]
    outbox.close()
    outbox.close()  # twice: still quiet
    calls = [outbox.entries, outbox.count, lambda: outbox.get(seq), lambda: outbox.remove(entry),
             lambda: outbox.add("u-2", "insert", {}), lambda: outbox.complete(seq, {"outcome": "sent"}),
             lambda: list(outbox)]
    for call in calls:
        with pytest.raises(OutboxClosed) as closed:
            call()
        assert isinstance(closed.value, HistoryError) and str(closed.value) == "History is closed."


def test_reads_racing_the_close_of_a_shared_history_end_in_history_errors_only(tmp_path: Path) -> None:
    # Offline (nothing listens on the port), so every read goes through the outbox, as in a window whose
    # page read is still on the worker when the window closes.
    for attempt in range(20):
        history = TeamHistory(f"postgresql://alice@127.0.0.1:{free_port()}/team", password="x",
                              outbox_path=tmp_path / f"outbox-{attempt}.sqlite3")
        history.reserve_attempt("2348031234567", CODE, "api.ng.termii.com", cooldown_seconds=0)
        failures: list[BaseException] = []
        started = threading.Event()

        def read(history: TeamHistory = history, failures: list[BaseException] = failures,
                 started: threading.Event = started) -> None:
            started.set()
            for _ in range(2000):
                try:
                    history.page(10)
                    history.count()
                except HistoryError:
                    return
                except BaseException as exc:
                    failures.append(exc)
                    return

        reader = threading.Thread(target=read)
        reader.start()
        started.wait(5)
        history.close()
        reader.join(10)
        assert not reader.is_alive()
        assert failures == []
