"""History at 100,000 rows: filtering by phone, and inserting a row, against an empty history.

The filter figure is the count and first page for a whole number typed as an agent reads it out; the row after
it is the slowest of the filters an agent passes through while typing one (a country code that every row
matches, a few digits, the last four), so an index that serves only the easy case shows.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import Figure, interleaved, ratio, spread
from termii_desk.core.errors import Outcome
from termii_desk.core.history import HistoryRow, HistoryStore
from termii_desk.core.validation import validate_code


def fill(path: Path, rows: int) -> HistoryStore:
    """A history of ``rows`` finished attempts to a spread of numbers (one in 1,000 to 2348031234567)."""
    store = HistoryStore(path)
    template = HistoryRow(0, "2026-01-01T00:00:00.000+00:00", "agent", "0.1.0", "api.ng.termii.com", "",
                          "••••16", "sent", 200, "3017694584737030299856628", "Successfully Sent", "4997.5",
                          "NGN", 120, None)
    from dataclasses import replace

    store.import_rows(
        replace(template, phone="2348031234567" if i % 1000 == 0 else f"23480{i:08d}") for i in range(rows)
    )
    return store


# What the filter holds while an agent types a number, digit by digit (the index serves 3 digits and more).
SEARCHES = ("2", "23", "234", "2348", "+234 80", "4567", "0803 123 4567")


def run(rows: int = 100_000) -> list[Figure]:
    figures: list[Figure] = []
    code = validate_code("482916")
    with tempfile.TemporaryDirectory() as folder:
        big = fill(Path(folder) / "big.sqlite3", rows)
        empty = fill(Path(folder) / "empty.sqlite3", 0)

        def filtered(text: str) -> float:
            started = time.perf_counter()
            big.count(text)
            big.page(200, phone_filter=text)
            return time.perf_counter() - started

        filter_times = [filtered("803 123 4567") for _ in range(20)]
        big._phone_index = False  # the same store reading the table as before the index: the baseline
        scan_times = [filtered("803 123 4567") for _ in range(10)]
        big._phone_index = True
        median_ms = statistics.median(filter_times) * 1000
        matches = big.count("803 123 4567")
        figures.append(Figure(f"3. filter by phone over {rows:,} rows (count + first page)", median_ms, "ms",
                              "<= 50 ms", median_ms <= 50,
                              f"'803 123 4567' ({matches:,} match), phone index: {spread(filter_times)}; "
                              f"the same query scanning the table: {spread(scan_times)}"))
        others = {text: [filtered(text) for _ in range(10)] for text in SEARCHES}
        worst = max(others, key=lambda text: statistics.median(others[text]))
        worst_ms = statistics.median(others[worst]) * 1000
        shown = "; ".join(f"{text!r} ({big.count(text):,}) {statistics.median(t) * 1000:.1f}" for text, t in
                          others.items())
        figures.append(Figure(f"3. filter by phone over {rows:,} rows, slowest of the digits typed on the way",
                              worst_ms, "ms", "<= 50 ms", worst_ms <= 50, f"medians in ms: {shown}"))

        # Opening runs PRAGMA quick_check (damage inside the file is found at open): its cost grows with the file.
        big.close()
        empty.close()

        def opened(path: Path) -> float:
            started = time.perf_counter()
            HistoryStore(path).close()
            return time.perf_counter() - started

        def checked(path: Path) -> float:
            conn = sqlite3.connect(path)
            started = time.perf_counter()
            conn.execute("PRAGMA quick_check(1)").fetchall()
            elapsed = time.perf_counter() - started
            conn.close()
            return elapsed

        big_path, empty_path = Path(folder) / "big.sqlite3", Path(folder) / "empty.sqlite3"
        open_big, open_empty = interleaved(lambda: opened(big_path), lambda: opened(empty_path), 15)
        check_times = [checked(big_path) for _ in range(15)]
        check_ms = statistics.median(check_times) * 1000
        figures.append(Figure(f"3. open the history with {rows:,} rows (integrity check included)",
                              statistics.median(open_big) * 1000, "ms", "-", None,
                              f"{spread(open_big)}; with 0 rows {spread(open_empty)}; PRAGMA quick_check alone "
                              f"{spread(check_times)}; on the loader's worker, before the history panel is built"))
        figures.append(Figure(f"3. PRAGMA quick_check over {rows:,} rows", check_ms, "ms", "-", None,
                              "the part of opening that grows with the file; start-to-ready at 100,000 rows "
                              "(benchmark 1's row 3) includes it"))
        big, empty = HistoryStore(big_path), HistoryStore(empty_path)

        def insert(store: HistoryStore) -> float:
            started = time.perf_counter()
            row_id = store.start_attempt("2348031234567", code, "api.ng.termii.com")
            store.complete_attempt(row_id, outcome=Outcome.SENT, duration_ms=1)
            return time.perf_counter() - started

        interleaved(lambda: insert(big), lambda: insert(empty), 20)
        a, b = interleaved(lambda: insert(big), lambda: insert(empty), 200)
        value = ratio(a, b)
        figures.append(Figure(f"3. insert a row with {rows:,} rows / with 0", value, "x", "<= ~1.0x (noise)",
                              value <= 1.15, f"{spread(a)} vs {spread(b)}"))
        figures.append(_narrowed(big, rows))
        big.close()
        empty.close()
    return figures


def _narrowed(big: HistoryStore, rows: int) -> Figure:
    """What the history panel reads when "Needs checking" or a range of days narrows it (one row in 500 unknown,
    the rows spread over 60 days): the first page and the panel's three counts, as ``HistoryModel`` reads them."""
    from datetime import date, timedelta

    from termii_desk.core.history_backend import HistoryQuery, day_range

    assert big.path is not None
    with sqlite3.connect(big.path) as conn:
        conn.execute("UPDATE attempts SET outcome = 'unknown' WHERE id % 500 = 0")
        conn.execute("UPDATE attempts SET time_utc = strftime('%Y-%m-%dT%H:%M:%f+00:00', '2026-01-01',"
                     f" '+' || (id * 60 * 86400 / {rows}) || ' seconds')")
    last = date(2026, 3, 1)

    def days(first: date, to: date) -> dict[str, Any]:
        since, until = day_range(first, to)
        return {"since": since, "until": until}

    queries = {
        "needs checking": HistoryQuery().needing_check(),
        "last 7 days": HistoryQuery(**days(last - timedelta(days=6), last)),
        "a week, 7 weeks back": HistoryQuery(**days(last - timedelta(days=55), last - timedelta(days=49))),
        "needs checking, last 7 days, '0803 123 4567'": HistoryQuery(
            "2348031234567", **days(last - timedelta(days=6), last)).needing_check(),
    }

    def read(query: HistoryQuery) -> float:
        started = time.perf_counter()
        big.page(200, query=query, profile="default")
        big.count(profile="default")
        big.count(profile="default", query=query)
        big.count(profile="default", query=query.needing_check())
        return time.perf_counter() - started

    times = {name: [read(q) for _ in range(10)] for name, q in queries.items()}
    worst = max(times, key=lambda name: statistics.median(times[name]))
    worst_ms = statistics.median(times[worst]) * 1000
    shown = "; ".join(f"{name!r} ({big.count(profile='default', query=q):,}) "
                      f"{statistics.median(times[name]) * 1000:.1f}" for name, q in queries.items())
    return Figure(f"3. needs checking and days over {rows:,} rows (first page + the panel's counts), slowest",
                  worst_ms, "ms", "<= 50 ms", worst_ms <= 50, f"medians in ms, on the panel's worker: {shown}")
