"""The CSV export (history.export_csv): a round trip through Python's csv with the cells spreadsheets get wrong."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import pytest

from termii_desk.core.formatting import display_text
from termii_desk.core.history import CSV_BOM, CSV_FIELDS, HistoryRow, HistoryStore, csv_phone, export_csv

AWKWARD = [
    "plain",
    "comma, inside",
    'quote " inside',
    '"quoted"',
    "line\nbreak",
    "0072",  # leading zeros
    "Adéwálé Ọláòṣebìkan — 李小龍 🎉",
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "  =1+1",  # spaces first: still a formula to some spreadsheets
    "＝1+1",  # a full-width equals sign
    "",
]


def _row(n: int, text: str, phone: str = "2348031234567") -> HistoryRow:
    return HistoryRow(n, "2026-03-04T05:06:07.089+00:00", text, "1.0", "api.ng.termii.com", phone, "••••16",
                      "sent", 200, text, text, "4997.5", "NGN", 420, None, profile=text or "default",
                      machine=text)


def _read(text: str) -> list[dict[str, str]]:
    assert text.startswith(CSV_BOM)
    return list(csv.DictReader(io.StringIO(text[len(CSV_BOM):], newline="")))


def _back(cell: str, original: str) -> str:
    """A cell as the agent typed it: the leading ' that defuses a formula taken off again."""
    if original.lstrip(" ")[:1] in ("=", "+", "-", "@", "＝"):
        assert cell == "'" + original, (cell, original)
        return cell[1:]
    return cell


@pytest.mark.parametrize("text", AWKWARD)
def test_every_awkward_cell_round_trips(text: str) -> None:
    exported = export_csv([_row(1, text)])
    [back] = _read(exported)
    assert list(back) == list(CSV_FIELDS)
    shown = display_text(text, 1000)  # as every face shows stored text: no control characters, trimmed
    for name in ("os_user", "message_id", "termii_message", "machine", "profile"):
        original = shown if name != "profile" or text else "default"
        assert _back(back[name], original) == original, name


def test_the_phone_stays_text_and_every_digit_survives() -> None:
    for phone in ("2348031234567", "447700900123", "12025550123", "0123"):
        [back] = _read(export_csv([_row(1, "x", phone)]))
        assert back["phone"] == f'="{phone}"' and csv_phone(back["phone"]) == phone


def test_times_are_iso_8601_with_their_offset() -> None:
    [back] = _read(export_csv([_row(1, "x")]))
    when = datetime.fromisoformat(back["time"])
    assert when.utcoffset() is not None
    assert when == datetime.fromisoformat("2026-03-04T05:06:07+00:00")


def test_the_header_and_line_ends() -> None:
    exported = export_csv([_row(1, "x"), _row(2, "y")])
    lines = exported[len(CSV_BOM):].split("\r\n")
    assert lines[0] == ",".join(CSV_FIELDS) and lines[-1] == "" and len(lines) == 4
    assert exported.encode("utf-8").startswith(b"\xef\xbb\xbf")


def test_an_export_from_a_real_history_has_masked_codes_and_the_profile(tmp_path: Path) -> None:
    from termii_desk.core.validation import Code

    store = HistoryStore(tmp_path / "h.sqlite3", profile="live-ng")
    store.start_attempt("2348031234567", Code("482916"), "api.ng.termii.com")
    [back] = _read(export_csv(store.page(10)))
    store.close()
    assert back["profile"] == "live-ng" and back["code_masked"] == "••••16"
    assert "482916" not in export_csv(HistoryStore(tmp_path / "h.sqlite3").page(10))
