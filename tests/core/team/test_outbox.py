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


def test_an_erased_number_is_masked_in_every_outbox_of_the_desk_and_gone_from_its_files(tmp_path: Path) -> None:
    from termii_desk.core.team.outbox import erase_from_outboxes
    from termii_desk.core.team.schema import ERASED_MARK

    erased, kept = "2348031234567", "2348039876543"
    first, second = Outbox(tmp_path / "team-outbox-aaaa.sqlite3"), Outbox(tmp_path / "team-outbox-bbbb.sqlite3")
    first.add("u-1", "insert", {"phone": erased, "outcome": "sent", "error": None})
    first.add("u-2", "insert", {"phone": kept, "outcome": "sent"})
    first.add("u-3", "complete", {"outcome": "failed", "error": f"Termii refused {erased}.",
                                  "termii_message": f"bad number {erased}"})
    second.add("u-4", "insert", {"phone": erased, "outcome": "unknown", "termii_message": "x"})
    try:
        assert erase_from_outboxes(tmp_path, erased) == (3, [])  # as another process would: its own connections
        rows = {e.uuid: e.row for e in first.entries() + second.entries()}  # the desk's open outboxes see it
        assert rows["u-1"]["phone"] == ERASED_MARK and rows["u-4"]["phone"] == ERASED_MARK
        assert rows["u-3"]["error"] == f"Termii refused {ERASED_MARK}."
        assert rows["u-3"]["termii_message"] == f"bad number {ERASED_MARK}"
        assert rows["u-2"] == {"phone": kept, "outcome": "sent"}
        assert erase_from_outboxes(tmp_path, erased) == (0, [])
    finally:
        first.close()
        second.close()
    files = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert erased.encode() not in files and kept.encode() in files  # not left in freed pages or the log


@pytest.mark.parametrize("damage", [b"garbage" * 1000, b"SQLite format 3\x00" + b"\xff" * 4000])
def test_a_damaged_outbox_is_moved_aside_with_a_sentence_and_a_new_one_works(tmp_path: Path, damage: bytes) -> None:
    path = tmp_path / "team-outbox-abcd.sqlite3"
    path.write_bytes(damage)
    outbox = Outbox(path)
    try:
        assert outbox.notice is not None and "was damaged; it was moved aside to team-outbox-abcd.sqlite3.damaged-" \
            in outbox.notice
        [moved] = [p for p in tmp_path.iterdir() if ".damaged-" in p.name]
        assert moved.read_bytes() == damage  # kept as it was, for whoever wants to look
        outbox.add("u-1", "insert", {"phone": "2348031234567"})
        assert outbox.count() == 1
    finally:
        outbox.close()
    again = Outbox(path)
    assert again.notice is None and again.count() == 1
    again.close()
