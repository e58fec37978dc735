"""HistoryModel: a lazy, read-only, newest-first table over a real HistoryStore."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QIcon

from termii_desk.core.errors import Outcome
from termii_desk.core.history import HistoryError, HistoryRow, HistoryStore
from termii_desk.ui.history_model import (
    PAGE_SIZE,
    HistoryModel,
    balance_text,
    display_phone,
    short_local_time,
)
from tests.fakes import HeldExecutor
from tests.ui.conftest import record

M = HistoryModel
ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)


def record_many(store: HistoryStore, count: int) -> list[int]:
    return [record(store, phone=f"23480{i:08d}", message_id=f"m{i}") for i in range(count)]


def cell(model: HistoryModel, row: int, column: int, role: int = Qt.ItemDataRole.DisplayRole) -> object:
    return model.data(model.index(row, column), role)


def loaded(store: HistoryStore, **kwargs: object) -> HistoryModel:
    model = HistoryModel(store, **kwargs)  # type: ignore[arg-type]
    model.refresh()
    return model


@pytest.mark.parametrize(("force_py", "page_size"), [(False, 3), (True, 3), (False, PAGE_SIZE)],
                         ids=["qt-tester", "py-tester", "qt-tester-one-page"])
def test_model_passes_the_model_tester_empty_with_rows_and_filtered(qtmodeltester, store, force_py, page_size) -> None:
    model = HistoryModel(store, page_size=page_size)
    qtmodeltester.check(model, force_py=force_py)
    model.refresh()
    assert model.rowCount() == 0

    for i in range(5):
        record(store, phone=f"23480312345{i:02d}", message_id=f"id-{i}")
    newest = record(store, phone="447911123456", outcome=Outcome.FAILED, error="Termii did not answer in time.")
    model.refresh()
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 6
    model.set_in_flight(newest, True)
    model.set_filter("4479")
    assert [model.row_at(r).id for r in range(model.rowCount())] == [newest]
    model.set_in_flight(newest, False)
    model.set_filter("803")
    assert model.row_at(0).phone == "2348031234504"
    model.set_filter("")
    assert model.row_at(0).id == newest


def test_rows_are_newest_first(store) -> None:
    first = record(store, phone="2348031110001")
    second = record(store, phone="2348031110002")
    third = record(store, phone="2348031110003")

    model = loaded(store)

    assert [model.row_at(r).id for r in range(model.rowCount())] == [third, second, first]
    assert cell(model, 0, M.PHONE) == "+234 803 111 0003"


def test_pages_are_fetched_lazily_not_all_at_once(store) -> None:
    ids = record_many(store, 1000)
    model = loaded(store)

    assert model.rowCount() == PAGE_SIZE
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 2 * PAGE_SIZE
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert [model.row_at(r).id for r in range(model.rowCount())] == ids[::-1]
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 1000


def test_columns_show_time_phone_masked_code_outcome_message_id_and_balance(store) -> None:
    record(store, http_status=200, message_id="3017544054459493160", termii_message="Successfully Sent",
           balance="4850.5", currency="NGN")
    model = loaded(store)
    row = model.row_at(0)

    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())] == [
        "Time", "Phone", "Code", "Outcome", "Message id", "Balance after", "Profile"]
    assert cell(model, 0, M.TIME) == short_local_time(row.time_utc)
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{2}:\d{2}:\d{2}", str(cell(model, 0, M.TIME)))
    assert cell(model, 0, M.TIME, Qt.ItemDataRole.ToolTipRole) == f"{row.time_utc} (UTC), profile default"
    assert cell(model, 0, M.PHONE) == "+234 803 123 4567"
    assert cell(model, 0, M.CODE) == "••••56"
    assert cell(model, 0, M.OUTCOME) == "Sent"
    assert cell(model, 0, M.MESSAGE_ID) == "3017544054459493160"
    assert cell(model, 0, M.BALANCE) == "4,850.50 NGN"
    assert cell(model, 0, 0, HistoryModel.ROW_ROLE) == row
    assert isinstance(row, HistoryRow)


def test_outcomes_are_words_with_a_dot_and_the_error_as_tooltip(store, qapp) -> None:
    record(store, outcome=Outcome.SENT)
    record(store, outcome=Outcome.REJECTED, error="Termii refused the number.")
    record(store, outcome=Outcome.FAILED, error="Could not reach Termii.")
    record(store, outcome=None)  # never completed: the desk stopped before Termii answered
    model = loaded(store)

    assert [cell(model, r, M.OUTCOME) for r in range(4)] == ["Unknown", "Failed", "Refused", "Sent"]
    assert cell(model, 2, M.OUTCOME, Qt.ItemDataRole.ToolTipRole) == "Termii refused the number."
    assert "may have been placed" in str(cell(model, 0, M.OUTCOME, Qt.ItemDataRole.ToolTipRole))
    assert cell(model, 3, M.OUTCOME, Qt.ItemDataRole.ToolTipRole) is None
    icons = [cell(model, r, M.OUTCOME, Qt.ItemDataRole.DecorationRole) for r in range(4)]
    assert all(isinstance(icon, QIcon) and not icon.isNull() for icon in icons)
    colours = [icon.pixmap(10, 10).toImage().pixelColor(5, 5) for icon in icons]
    unknown, failed, refused, sent = colours
    # The banner's scheme: sent green, unknown amber, refused and failed red.
    assert sent.green() > sent.red() and unknown.red() > unknown.blue() and unknown.green() > 100
    assert failed == refused and failed.red() > 200 and failed.green() < 100 and unknown != failed
    assert cell(model, 0, M.PHONE, Qt.ItemDataRole.DecorationRole) is None


def test_the_code_is_shown_masked_and_never_whole(store) -> None:
    record(store, code="98765432", termii_message="Successfully Sent", message_id="abc")
    model = loaded(store)

    assert cell(model, 0, M.CODE) == "••••••32"
    for column in range(model.columnCount()):
        for role in ROLES:
            assert "98765432" not in str(cell(model, 0, column, role))


def test_in_flight_attempt_shows_sending_until_completed(store) -> None:
    row_id = record(store, outcome=None)
    model = loaded(store)
    model.set_in_flight(row_id, True)

    assert cell(model, 0, M.OUTCOME) == "Sending…"
    assert cell(model, 0, M.OUTCOME, Qt.ItemDataRole.ToolTipRole) == "Waiting for Termii to answer."
    model.refresh()
    assert cell(model, 0, M.OUTCOME) == "Sending…", "the mark survives a reload"
    assert model.in_flight == {row_id}

    store.complete_attempt(row_id, outcome=Outcome.SENT, duration_ms=300, message_id="m-1")
    model.set_in_flight(row_id, False)

    assert cell(model, 0, M.OUTCOME) == "Sent"
    assert cell(model, 0, M.MESSAGE_ID) == "m-1", "the completed row is re-read without a reload"


def test_filter_keeps_digits_only_and_counts(store, qtbot) -> None:
    record(store, phone="2348031234567")
    record(store, phone="2348039990000")
    record(store, phone="447911123456")
    model = loaded(store)

    with qtbot.waitSignal(model.modelReset):
        model.set_filter("+234 (803)")

    assert model.filter_digits == "234803"
    assert {model.row_at(r).phone for r in range(model.rowCount())} == {"2348031234567", "2348039990000"}
    assert model.total() == 2
    assert model.total(unfiltered=True) == 3
    with qtbot.assertNotEmitted(model.modelReset):
        model.set_filter("234-803 ")  # same digits: nothing to reload
    model.set_filter("")
    assert model.rowCount() == 3


def test_read_errors_never_raise_and_set_the_problem(store, qtbot) -> None:
    record_many(store, 5)
    model = loaded(store, page_size=2)
    assert model.problem == ""

    store.close()  # every read now fails inside the store (a bug: no condition explains a closed store)
    with qtbot.waitSignal(model.problem_changed) as blocker:
        model.fetchMore(QModelIndex())

    assert blocker.args == [model.problem]
    assert model.problem.startswith("Something unexpected went wrong with history")
    assert model.rowCount() == 2, "what was loaded stays"
    assert not model.canFetchMore(QModelIndex()), "no endless retries from the view"
    model.refresh()
    assert model.rowCount() == 2
    assert model.total() is None
    model.set_filter("803")
    assert model.rowCount() == 0, "rows of another filter are not shown as matches"
    assert cell(model, 0, M.TIME) is None


def test_problem_clears_when_reading_works_again(store, qtbot, monkeypatch) -> None:
    record(store)
    model = HistoryModel(store)

    def broken(*_args: object, **_kwargs: object) -> list[HistoryRow]:
        raise HistoryError("History is busy in another Termii Desk window.")

    monkeypatch.setattr(store, "page", broken)
    model.refresh()
    assert model.problem == "History is busy in another Termii Desk window."
    monkeypatch.undo()
    with qtbot.waitSignal(model.problem_changed) as blocker:
        model.refresh()
    assert blocker.args == [""]
    assert model.rowCount() == 1


def test_short_local_time_is_local_and_adds_the_year_only_for_other_years(monkeypatch) -> None:
    monkeypatch.setenv("TZ", "Africa/Lagos")  # UTC+1 all year
    time.tzset()
    try:
        year = datetime.now(timezone.utc).year
        assert short_local_time(f"{year}-11-28T13:05:33.123+00:00") == "28 Nov 14:05:33"
        assert short_local_time("2019-03-02T23:30:00.000+00:00") == "3 Mar 2019 00:30:00"
        assert short_local_time("not a time") == "not a time"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_phone_and_balance_display_fall_back_to_what_is_stored() -> None:
    assert display_phone("14155550123") == "+1 415-555-0123"
    assert display_phone("999123") == "+999123"
    assert display_phone("12") == "+12"
    assert balance_text("100000", "NGN") == "100,000.00 NGN"
    assert balance_text("0.125", "USD") == "0.125 USD"
    assert balance_text("1E+3", "NGN") == "1,000.00 NGN"
    assert balance_text("12.50", None) == "12.50"
    assert balance_text("n/a", "NGN") == "n/a"
    assert balance_text(None, "NGN") == ""


# -- with an executor: filtered reads off the GUI thread -------------------------------------------------


def test_after_the_first_page_every_read_is_on_the_executor(store) -> None:
    record_many(store, 5)
    executor = HeldExecutor()
    model = loaded(store, executor=executor, page_size=2)
    assert model.rowCount() == 2 and executor.pending() == 0, "the first page shows with the panel"

    model.fetchMore(QModelIndex())  # the next page as the view scrolls
    assert model.rowCount() == 2 and executor.pending() == 1 and model.loading
    assert not model.canFetchMore(QModelIndex())  # one page at a time
    executor.run()
    assert model.rowCount() == 4 and not model.loading

    record(store)
    model.refresh()  # after a call
    assert model.total() == 5 and executor.pending() == 1
    executor.run()
    assert model.total() == model.total(unfiltered=True) == 6 and model.rowCount() == 2

    row_id = model.row_at(0).id
    model.set_in_flight(row_id, True)
    model.set_in_flight(row_id, False)  # the completed attempt is re-read there too
    assert executor.pending() == 1
    executor.run()
    assert executor.pending() == 0


def test_texts_of_new_rows_are_made_off_the_gui_thread(store, qtbot, monkeypatch) -> None:
    import threading

    from termii_desk.ui.worker import ThreadExecutor

    record_many(store, 7)
    made_on: list[int] = []
    original = HistoryModel._display_texts

    def display_texts(row: HistoryRow) -> tuple[str, ...]:
        made_on.append(threading.get_ident())
        return original(row)

    monkeypatch.setattr(HistoryModel, "_display_texts", staticmethod(display_texts))
    executor = ThreadExecutor()
    model = loaded(store, executor=executor, page_size=3)
    made_on.clear()  # the first page's were made here, with the panel
    model.fetchMore(QModelIndex())
    qtbot.waitUntil(lambda: model.rowCount() == 6, timeout=5000)
    assert len(made_on) == 3 and threading.get_ident() not in made_on
    made_on.clear()
    texts = [model.data(model.index(row, column)) for row in range(6) for column in range(len(model.HEADERS))]
    assert made_on == [] and "+234 800 000 0001" in texts  # a paint only looks them up
    executor.wait(5)


def test_filter_is_read_on_the_executor_then_rows_and_totals_change(store, qtbot) -> None:
    record(store, phone="2348031234567")
    record(store, phone="2348039990000")
    record(store, phone="447911123456")
    executor = HeldExecutor()
    model = loaded(store, executor=executor)

    with qtbot.assertNotEmitted(model.modelReset):
        model.set_filter("+234 803")
    assert model.filter_digits == "234803"
    assert model.loading and executor.pending() == 1
    assert model.rowCount() == 3 and model.total() == 3, "what was shown stays until the read is done"
    assert not model.canFetchMore(QModelIndex()), "no next page of rows that are about to be replaced"

    with qtbot.waitSignal(model.reloaded):
        executor.run_all()
    assert not model.loading
    assert {model.row_at(r).phone for r in range(model.rowCount())} == {"2348031234567", "2348039990000"}
    assert (model.total(), model.total(unfiltered=True)) == (2, 3)


def test_a_filter_read_overtaken_by_a_later_one_is_dropped(store, qtbot) -> None:
    record(store, phone="2348031234567")
    record(store, phone="447911123456")
    executor = HeldExecutor()
    model = loaded(store, executor=executor)

    model.set_filter("803")
    model.set_filter("4479")
    assert executor.pending() == 2
    with qtbot.waitSignal(model.reloaded):
        executor.run(1)  # the later read answers first
    with qtbot.assertNotEmitted(model.reloaded), qtbot.assertNotEmitted(model.modelReset):
        executor.run(0)
    assert [model.row_at(r).phone for r in range(model.rowCount())] == ["447911123456"]
    assert model.total() == 1


def test_reads_queue_behind_a_read_on_the_executor(store, qtbot) -> None:
    """While a filter is being read there, even a quick read waits on the executor: never on the store's lock."""
    record_many(store, 3)
    executor = HeldExecutor()
    model = loaded(store, executor=executor)
    model.set_filter("0000000")
    model.set_filter("")

    assert executor.pending() == 2 and model.rowCount() == 3
    executor.run_all()
    assert model.filter_digits == "" and model.rowCount() == 3 and not model.loading


def test_filtered_pages_are_fetched_on_the_executor(store, qtbot) -> None:
    ids = [record(store, phone=f"2348031{i:06d}") for i in range(5)]
    executor = HeldExecutor()
    model = loaded(store, executor=executor, page_size=2)
    model.set_filter("8031")
    executor.run_all()
    assert model.rowCount() == 2 and model.canFetchMore(QModelIndex())

    model.fetchMore(QModelIndex())
    assert model.rowCount() == 2 and executor.pending() == 1
    assert not model.canFetchMore(QModelIndex()), "one page at a time"
    with qtbot.waitSignal(model.rowsInserted):
        executor.run_all()
    assert [model.row_at(r).id for r in range(model.rowCount())] == ids[::-1][:4]


def test_read_errors_on_the_executor_set_the_problem(store, qtbot, monkeypatch) -> None:
    record(store)
    executor = HeldExecutor()
    model = loaded(store, executor=executor)

    def broken(*_args: object, **_kwargs: object) -> list[HistoryRow]:
        raise HistoryError("History is busy in another Termii Desk window.")

    monkeypatch.setattr(store, "page", broken)
    model.set_filter("803")
    with qtbot.waitSignal(model.problem_changed):
        executor.run_all()
    assert model.problem == "History is busy in another Termii Desk window."
    assert model.rowCount() == 0 and model.total() is None


def test_display_texts_follow_a_completed_attempt(store) -> None:
    row_id = record(store, outcome=None)
    model = loaded(store)
    model.set_in_flight(row_id, True)
    assert cell(model, 0, M.OUTCOME) == "Sending…" and cell(model, 0, M.MESSAGE_ID) == ""

    store.complete_attempt(row_id, outcome=Outcome.SENT, duration_ms=300, message_id="m-9", balance="12",
                           currency="NGN")
    model.set_in_flight(row_id, False)
    assert [cell(model, 0, c) for c in (M.OUTCOME, M.MESSAGE_ID, M.BALANCE)] == ["Sent", "m-9", "12.00 NGN"]


def test_roles_the_model_does_not_set_are_left_to_the_view(store) -> None:
    record(store)
    model = loaded(store)
    for role in (Qt.ItemDataRole.FontRole, Qt.ItemDataRole.TextAlignmentRole, Qt.ItemDataRole.ForegroundRole,
                 Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.CheckStateRole):
        assert cell(model, 0, M.PHONE, role) is None
    assert cell(model, 0, M.TIME, Qt.ItemDataRole.DecorationRole) is None
    assert model.data(QModelIndex(), Qt.ItemDataRole.DisplayRole) is None
    assert model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsSelectable


def test_a_reload_shows_what_changed_in_a_row_already_shown(store) -> None:
    """Another window may complete an attempt this one shows: the next reload shows the new values."""
    row_id = record(store, outcome=None)
    model = loaded(store)
    assert cell(model, 0, M.MESSAGE_ID) == "" and cell(model, 0, M.OUTCOME) == "Unknown"

    store.complete_attempt(row_id, outcome=Outcome.SENT, duration_ms=300, message_id="m-10")
    model.refresh()
    assert cell(model, 0, M.MESSAGE_ID) == "m-10" and cell(model, 0, M.OUTCOME) == "Sent"


def test_rows_with_values_no_version_would_write_still_show(qtmodeltester, store, tmp_path) -> None:
    from tests.hostile_rows import insert_hostile_rows

    added = insert_hostile_rows(tmp_path / "history.sqlite3")
    model = loaded(store)
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == added
    started = time.perf_counter()
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            for role in ROLES:
                text = cell(model, row, column, role)
                assert text is None or (isinstance(text, str) and all(ch.isprintable() for ch in text)
                                        and len(text) <= 510)
    assert time.perf_counter() - started < 0.5  # 200 KB values are capped before anything lays them out
    balances = [cell(model, row, M.BALANCE) for row in range(model.rowCount())]
    assert "1.0e+30 NGN [0m" in balances  # 1e30 as SQLite wrote it into a text column; escapes made harmless
    assert "1E+400 5" in balances and "unlimited" in balances and "12.50 NGN [0m" in balances
    assert "1234567890123456789.123456789" in balances  # exactly as sent
    assert "9" * 39 + "… NGN [0m" in balances


def test_a_cell_that_cannot_be_formatted_shows_its_stored_value(store, monkeypatch, caplog) -> None:
    import termii_desk.ui.history_model as history_model

    record(store, balance="4850.5", currency="NGN", message_id="m-1")

    def broken(_value: object) -> str:
        raise RuntimeError("a formatter bug")

    monkeypatch.setattr(history_model, "short_local_time", broken)
    model = loaded(store)
    row = model.row_at(0)
    assert cell(model, 0, M.TIME) == row.time_utc  # shown as stored
    assert cell(model, 0, M.BALANCE) == "4,850.50 NGN" and cell(model, 0, M.MESSAGE_ID) == "m-1"
    assert "could not be formatted" in caplog.text


@pytest.mark.parametrize("force_py", [False, True], ids=["qt-tester", "py-tester"])
def test_the_model_tester_follows_reads_on_a_worker(qtmodeltester, store, qtbot, force_py) -> None:
    from termii_desk.ui.worker import ThreadExecutor

    record_many(store, 8)
    executor = ThreadExecutor()
    model = loaded(store, executor=executor, page_size=3)
    qtmodeltester.check(model, force_py=force_py)  # and it keeps checking every change signal from here on
    model.fetchMore(QModelIndex())
    qtbot.waitUntil(lambda: model.rowCount() == 6 and not model.loading, timeout=5000)
    model.set_filter("0000 0004")
    qtbot.waitUntil(lambda: model.rowCount() == 1 and not model.loading, timeout=5000)
    model.set_filter("")
    qtbot.waitUntil(lambda: model.rowCount() == 3 and not model.loading, timeout=5000)
    row_id = model.row_at(0).id
    model.set_in_flight(row_id, True)
    model.set_in_flight(row_id, False)
    qtbot.waitUntil(lambda: not model.in_flight and not model.loading, timeout=5000)
    # No second check(): it would connect the tester's slots again, and each later change would then be seen
    # twice (a begin inside a begin). The first one has checked every change above, as it was delivered.
    # The tester may have fetched more pages meanwhile (as many as its checks found room for): wait for them.
    qtbot.waitUntil(lambda: executor.pending() == 0 and not model.loading, timeout=5000)
    assert model.rowCount() in (3, 6, 8) and model.row_at(0).id == row_id
    executor.wait(5)


def test_only_the_rows_shown_next_get_their_texts_on_the_worker(store, monkeypatch) -> None:
    from termii_desk.ui import history_model

    record_many(store, 6)
    monkeypatch.setattr(history_model, "PREPARED_ROWS", 2)
    executor = HeldExecutor()
    model = loaded(store, executor=executor, page_size=3)
    model.fetchMore(QModelIndex())
    executor.run()
    assert model.rowCount() == 6
    assert [model.row_at(i).id in model._texts for i in range(6)] == [True, True, False, True, True, False]
    assert cell(model, 5, model.PHONE) == "+234 800 000 0000"  # the others' when a paint asks
    assert model.row_at(5).id in model._texts


def test_a_closed_model_reads_nothing_and_drops_what_was_running(store) -> None:
    record_many(store, 4)
    executor = HeldExecutor()
    model = loaded(store, executor=executor, page_size=2)
    model.fetchMore(QModelIndex())
    assert executor.pending() == 1
    model.close()  # the window is closing; its store is closed next
    store.close()
    executor.run()  # the read that was running fails on the closed store: nothing is delivered
    assert model.rowCount() == 2 and model.problem == ""
    model.refresh()
    model.set_in_flight(model.row_at(0).id, False)
    assert executor.pending() == 0 and not model.canFetchMore(QModelIndex())


_STORED = st.one_of(st.none(), st.text(max_size=300), st.binary(max_size=100), st.integers(-2**63, 2**63 - 1),
                    st.floats(), st.sampled_from(["1e30", "1E+400", "9" * 5000, "unlimited", "\x1b[2J", "NaN"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(*[_STORED] * 10), min_size=1, max_size=5))
def test_any_stored_values_every_cell_shows_and_nothing_raises(qapp, values) -> None:
    store = HistoryStore(None)
    try:
        for row in values:
            # NOT NULL columns get "" for None; every other column takes the value as it is.
            time_utc, phone, code, outcome, status, message_id, termii_message, balance, currency, duration = row
            store._conn.execute(
                "INSERT INTO attempts (time_utc, os_user, app_version, base_host, phone, code_masked, outcome,"
                " http_status, message_id, termii_message, balance, currency, duration_ms, error)"
                " VALUES (?, '', '', '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                tuple("" if (v is None or v != v) and i < 4 else v  # NaN is bound as NULL
                      for i, v in enumerate((time_utc, phone, code, outcome, status, message_id, termii_message,
                                             balance, currency, duration, termii_message)))),
        model = loaded(store)
        assert model.rowCount() == len(values)
        for r in range(model.rowCount()):
            for column in range(model.columnCount()):
                for role in (*ROLES, Qt.ItemDataRole.DecorationRole):
                    text = model.data(model.index(r, column), role)
                    assert text is None or isinstance(text, QIcon) or (
                        isinstance(text, str) and all(ch.isprintable() for ch in text) and len(text) <= 510)
            from termii_desk.ui.history_panel import details_html

            details_html(model.row_at(r))
    finally:
        store.close()


def test_a_first_page_read_beforehand_is_shown_without_reading_again(store, monkeypatch) -> None:
    """The start-up loader reads the first page off the GUI thread; the model shows that one, then reads anew."""
    from termii_desk.ui.history_model import read_first_page

    record_many(store, 3)
    first = read_first_page(store, profile=store.profile)
    reads: list[object] = []
    page = store.page
    monkeypatch.setattr(store, "page", lambda *args, **kwargs: reads.append(args) or page(*args, **kwargs))
    record(store, phone="2348055550199", message_id="after")
    model = HistoryModel(store, profile=store.profile, first_page=first)
    model.refresh()
    assert reads == [] and model.rowCount() == 3 and model.total() == 3  # what was read beforehand
    assert cell(model, 0, M.MESSAGE_ID) == "m2"
    model.refresh()  # every later reload reads the store
    assert len(reads) == 1 and model.rowCount() == 4 and cell(model, 0, M.MESSAGE_ID) == "after"
