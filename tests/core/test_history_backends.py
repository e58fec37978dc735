"""The history interface, one suite for every backend: the local SQLite file and a team's PostgreSQL.

Each test runs twice: against ``HistoryStore`` (a file under tmp_path) and against ``TeamHistory`` (a fresh
database on the session's private PostgreSQL, as an agent).
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from termii_desk.core.errors import Outcome
from termii_desk.core.history import INTERRUPTED_TEXT, HistoryStore
from termii_desk.core.history_backend import NEEDS_CHECKING, HistoryBackend, HistoryQuery, RecentlyCalled, day_range
from termii_desk.core.validation import validate_code

CODE = validate_code("482916")
HOST = "api.ng.termii.com"


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> HistoryBackend:
    if request.param == "sqlite":
        store = HistoryStore(tmp_path / "history.sqlite3")
        request.addfinalizer(store.close)
        return store
    team = request.getfixturevalue("team")
    history: HistoryBackend = team.history("alice")
    return history


@pytest.fixture
def second_desk(request: pytest.FixtureRequest, backend: HistoryBackend, tmp_path: Path) -> HistoryBackend:
    """Another desk on the same history: a second window on the same file, or another agent on the server."""
    if isinstance(backend, HistoryStore):
        assert backend.path is not None
        other = HistoryStore(backend.path)
        request.addfinalizer(other.close)
        return other
    history: HistoryBackend = request.getfixturevalue("team").history("bob")
    return history


def _add(store: HistoryBackend, phone: str = "2348031234567", outcome: Outcome = Outcome.SENT) -> int:
    row_id = store.start_attempt(phone, CODE, HOST)
    store.complete_attempt(row_id, outcome=outcome, duration_ms=120, http_status=200, message_id=f"m{row_id}",
                           termii_message="Successfully Sent", balance="77.5", currency="NGN")
    return row_id


def test_the_row_before_the_request_reads_as_unknown_then_completes(backend: HistoryBackend) -> None:
    row_id = backend.start_attempt("2348031234567", CODE, HOST)
    row = backend.get(row_id)
    assert row is not None
    assert (row.outcome, row.error, row.completed, row.code_masked) == ("unknown", INTERRUPTED_TEXT, False,
                                                                        CODE.masked)
    backend.complete_attempt(row_id, outcome=Outcome.SENT, duration_ms=120, http_status=200, message_id="m-1",
                             balance="77.5", currency="NGN")
    row = backend.get(row_id)
    assert row is not None
    assert (row.outcome, row.http_status, row.message_id, row.balance, row.currency, row.duration_ms, row.error) == (
        "sent", 200, "m-1", "77.5", "NGN", 120, None)
    assert row.time.tzinfo is not None and abs(datetime.now(timezone.utc) - row.time) < timedelta(minutes=1)
    assert row.app_version and row.base_host == HOST


def test_pages_newest_first_and_counts(backend: HistoryBackend) -> None:
    ids = [_add(backend, f"23480312345{n:02d}") for n in range(7)]
    first = backend.page(3)
    assert [r.id for r in first] == ids[::-1][:3]
    rest = backend.page(10, before_id=first[-1].id)
    assert [r.id for r in rest] == ids[::-1][3:]
    assert backend.count() == 7


def test_filter_by_phone_digits(backend: HistoryBackend) -> None:
    _add(backend, "2348031234567")
    _add(backend, "2348039999999")
    _add(backend, "233201234567")
    assert [r.phone for r in backend.page(10, phone_filter="0312345")] == ["2348031234567"]
    assert backend.count("+234 803") == 2
    assert backend.count("1234567") == 2
    assert backend.page(10, phone_filter="55555") == []


def test_the_cooldown_counts_sent_and_unknown_not_refused(backend: HistoryBackend) -> None:
    assert backend.last_sent_to("2348031234567") is None
    _add(backend, "2348031234567", Outcome.REJECTED)
    assert backend.last_sent_to("2348031234567") is None
    _add(backend, "2348031234567", Outcome.SENT)
    last = backend.last_sent_to("2348031234567")
    assert last is not None and abs(datetime.now(timezone.utc) - last) < timedelta(minutes=1)
    prior = backend.prior_call("2348031234567")
    assert prior is not None and prior.outcome == "sent" and prior.who


def test_reserve_refuses_within_the_cooldown_and_records_nothing(backend: HistoryBackend) -> None:
    first = backend.reserve_attempt("2348031234567", CODE, HOST, cooldown_seconds=60)
    assert first
    with pytest.raises(RecentlyCalled) as refused:
        backend.reserve_attempt("2348031234567", CODE, HOST, cooldown_seconds=60)
    assert refused.value.exit_code == 6
    assert "+2348031234567 was called" in str(refused.value)
    assert backend.count() == 1
    assert backend.reserve_attempt("2348039999999", CODE, HOST, cooldown_seconds=60)  # another number: fine
    assert backend.start_attempt("2348031234567", CODE, HOST)  # forced: no check
    assert backend.count() == 3


def test_a_refused_or_failed_call_does_not_hold_the_cooldown(backend: HistoryBackend) -> None:
    _add(backend, "2348031234567", Outcome.FAILED)
    assert backend.reserve_attempt("2348031234567", CODE, HOST, cooldown_seconds=60)


def test_two_desks_see_each_others_rows_and_the_cooldown(backend: HistoryBackend,
                                                         second_desk: HistoryBackend) -> None:
    row_id = _add(backend, "2348031234567")
    seen = second_desk.get(row_id)
    assert seen is not None and seen.outcome == "sent"
    with pytest.raises(RecentlyCalled):
        second_desk.reserve_attempt("2348031234567", CODE, HOST, cooldown_seconds=60)


def test_simultaneous_reservations_for_one_number_let_exactly_one_through(
    backend: HistoryBackend, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    desks: list[Any] = []
    for n in range(6):
        if isinstance(backend, HistoryStore):
            other = HistoryStore(backend.path)
            request.addfinalizer(other.close)
            desks.append(other)
        else:
            desks.append(request.getfixturevalue("team").history(("alice", "bob", "carol")[n % 3], name=f"d{n}"))
    barrier = threading.Barrier(len(desks))
    results: list[str] = []

    def press_send(desk: Any) -> None:
        barrier.wait()
        try:
            desk.reserve_attempt("2348031234567", CODE, HOST, cooldown_seconds=60)
            results.append("sent")
        except RecentlyCalled:
            results.append("refused")

    threads = [threading.Thread(target=press_send, args=(d,)) for d in desks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["refused"] * (len(desks) - 1) + ["sent"]
    assert backend.count() == 1


def test_closing_without_waiting_records_the_reason_once_and_the_first_completion_wins(
    backend: HistoryBackend,
) -> None:
    from termii_desk.core.words import CLOSED_BEFORE_ANSWER

    closed = backend.start_attempt("2348031234567", CODE, HOST)
    assert backend.abandon_attempt(closed, duration_ms=4200, error=CLOSED_BEFORE_ANSWER) is True
    # Termii's answer arrives after the close, before the process ends: the unknown stays (no contradiction).
    backend.complete_attempt(closed, outcome=Outcome.SENT, duration_ms=900, http_status=200, message_id="late")
    assert backend.abandon_attempt(closed, duration_ms=5000, error=CLOSED_BEFORE_ANSWER) is False
    answered = backend.start_attempt("2348039999999", CODE, HOST)
    backend.complete_attempt(answered, outcome=Outcome.SENT, duration_ms=900, http_status=200, message_id="m")
    assert backend.abandon_attempt(answered, duration_ms=4200, error=CLOSED_BEFORE_ANSWER) is False
    rows = {row.id: row for row in backend.page(10)}
    assert len(rows) == 2
    assert (rows[closed].outcome, rows[closed].error, rows[closed].duration_ms, rows[closed].message_id) == (
        "unknown", CLOSED_BEFORE_ANSWER, 4200, None)
    assert (rows[answered].outcome, rows[answered].error, rows[answered].message_id) == ("sent", None, "m")


# -- the history query: needs checking, dates, digits, together ----------------------------------------------


def _at(backend: HistoryBackend, request: pytest.FixtureRequest, row_id: int, when: datetime) -> None:
    """Give an attempt another time (as if it had been made then): in the file, or by the team's owner."""
    if isinstance(backend, HistoryStore):
        assert backend.path is not None
        with sqlite3.connect(backend.path) as conn:
            conn.execute("UPDATE attempts SET time_utc = ? WHERE id = ?",
                         (when.astimezone(timezone.utc).isoformat(timespec="milliseconds"), row_id))
    else:
        request.getfixturevalue("team").owner().execute(
            "UPDATE termii_desk.attempts SET called_at = %s WHERE id = %s", (when, row_id))


def test_needs_checking_shows_only_unknown_outcomes_and_combines_with_the_digits(backend: HistoryBackend) -> None:
    sent = _add(backend, "2348035500199", Outcome.SENT)
    unknown = _add(backend, "2348035500199", Outcome.UNKNOWN)
    _add(backend, "2348031234567", Outcome.REJECTED)
    other_unknown = _add(backend, "2348031234567", Outcome.UNKNOWN)
    never_answered = backend.start_attempt("2348035500199", CODE, HOST)  # the desk stopped before the answer
    checking = HistoryQuery(outcomes=NEEDS_CHECKING)
    assert [r.id for r in backend.page(10, query=checking)] == [never_answered, other_unknown, unknown]
    assert backend.count(query=checking) == 3
    theirs = HistoryQuery("2348035500199").needing_check()
    assert [r.id for r in backend.page(10, query=theirs)] == [never_answered, unknown]
    assert backend.count(query=theirs) == 2
    assert [r.id for r in backend.page(10, query=HistoryQuery("0199"))] == [never_answered, unknown, sent]
    # Pages follow one another with the query as with the plain filter.
    first = backend.page(1, query=checking)
    assert [r.id for r in backend.page(5, before_id=first[-1].id, query=checking)] == [other_unknown, unknown]
    assert backend.count(query=HistoryQuery(outcomes=frozenset({"sent", "rejected"}))) == 2


@pytest.mark.parametrize("zone", ["Africa/Lagos", "America/New_York", "Asia/Kolkata"])
def test_a_date_range_holds_whole_local_days_at_their_boundaries(
    backend: HistoryBackend, request: pytest.FixtureRequest, zone: str
) -> None:
    tz = ZoneInfo(zone)
    day = date(2026, 3, 8)  # in New York, the day the clocks go forward (a 23-hour day)
    times = {
        "day before, 23:59:59": datetime(2026, 3, 7, 23, 59, 59, tzinfo=tz),
        "first second": datetime(2026, 3, 8, 0, 0, 0, tzinfo=tz),
        "noon": datetime(2026, 3, 8, 12, 0, 0, tzinfo=tz),
        "last second": datetime(2026, 3, 8, 23, 59, 59, 999000, tzinfo=tz),
        "day after, 00:00:00": datetime(2026, 3, 9, 0, 0, 0, tzinfo=tz),
    }
    ids = {}
    for name, when in times.items():
        ids[name] = _add(backend, "2348035500199")
        _at(backend, request, ids[name], when)
    since, until = day_range(day, day, tz)
    one_day = HistoryQuery(since=since, until=until)
    assert [r.id for r in backend.page(10, query=one_day)] == [ids["last second"], ids["noon"], ids["first second"]]
    assert backend.count(query=one_day) == 3
    since, until = day_range(date(2026, 3, 7), day, tz)
    two_days = HistoryQuery("0199", since=since, until=until)
    assert backend.count(query=two_days) == 4
    assert ids["day after, 00:00:00"] not in [r.id for r in backend.page(10, query=two_days)]
    # Open-ended: from a day on, or up to a day.
    assert backend.count(query=HistoryQuery(since=day_range(date(2026, 3, 9), None, tz)[0])) == 1
    assert backend.count(query=HistoryQuery(until=day_range(None, date(2026, 3, 7), tz)[1])) == 1


def test_a_range_that_ends_before_it_starts_matches_nothing_without_an_error(backend: HistoryBackend) -> None:
    _add(backend, "2348035500199")
    since, until = day_range(date(2026, 3, 9), date(2026, 3, 8), ZoneInfo("Africa/Lagos"))
    backwards = HistoryQuery(since=since, until=until)
    assert backwards.impossible
    assert backend.page(10, query=backwards) == [] and backend.count(query=backwards) == 0


def test_every_filter_together_digits_needs_checking_and_today(
    backend: HistoryBackend, request: pytest.FixtureRequest
) -> None:
    tz = ZoneInfo("Africa/Lagos")
    today = datetime.now(tz).date()
    old = _add(backend, "2348035500199", Outcome.UNKNOWN)
    _at(backend, request, old, datetime.now(tz) - timedelta(days=3))
    _add(backend, "2348035500199", Outcome.SENT)
    fresh = _add(backend, "2348035500199", Outcome.UNKNOWN)
    _add(backend, "2348031234567", Outcome.UNKNOWN)
    since, until = day_range(today, today, tz)
    query = HistoryQuery("2348035500199", since=since, until=until).needing_check()
    assert [r.id for r in backend.page(10, query=query)] == [fresh]
    assert backend.count(query=query) == 1
    assert backend.count(query=query.with_outcomes(())) == 2  # the same without "needs checking"
