"""History at 100,000 rows: filtering by phone, and inserting a row, against an empty history."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

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


def run(rows: int = 100_000) -> list[Figure]:
    figures: list[Figure] = []
    code = validate_code("482916")
    with tempfile.TemporaryDirectory() as folder:
        big = fill(Path(folder) / "big.sqlite3", rows)
        empty = fill(Path(folder) / "empty.sqlite3", 0)

        filter_times = []
        for _ in range(20):
            started = time.perf_counter()
            big.count("0803 123 4567")
            big.page(200, phone_filter="0803 123 4567")
            filter_times.append(time.perf_counter() - started)
        median_ms = statistics.median(filter_times) * 1000
        figures.append(Figure(f"3. filter by phone over {rows:,} rows (count + first page)", median_ms, "ms",
                              "<= 50 ms", median_ms <= 50, spread(filter_times)))

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
        big.close()
        empty.close()
    return figures
