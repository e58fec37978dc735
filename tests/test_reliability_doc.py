"""RELIABILITY.md says what the desk really does: it is regenerated here and must match the committed file."""

from __future__ import annotations

from tests.reliability_report import DOC, render


def test_reliability_doc_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), "run: python -m tests.reliability_report"
