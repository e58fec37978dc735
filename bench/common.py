"""Small helpers shared by the benchmarks: medians, spreads, interleaved pairs, the results table."""

from __future__ import annotations

import json
import platform
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str
    passed: bool | None  # None: informative only
    detail: str = ""

    def row(self) -> str:
        verdict = {True: "pass", False: "FAIL", None: "-"}[self.passed]
        shown = f"{self.value:.3f}{self.unit}" if self.unit == "x" else f"{self.value:.1f} {self.unit}"
        return f"| {self.name} | {shown} | {self.target} | {verdict} | {self.detail} |"


def interleaved(a: Callable[[], float], b: Callable[[], float], runs: int) -> tuple[list[float], list[float]]:
    """A B A B ...: both see the same machine drift, so their ratio holds when absolute times wander."""
    times_a, times_b = [], []
    for _ in range(runs):
        times_a.append(a())
        times_b.append(b())
    return times_a, times_b


def spread(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"median {statistics.median(ms):.1f} ms (min {min(ms):.1f}, max {max(ms):.1f})"


def ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(a) / statistics.median(b)


def machine() -> str:
    import os

    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write_results(figures: list[Figure], name: str = "latest") -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "figures": [asdict(f) for f in figures],
    }, indent=2))
    return path


def table(figures: list[Figure]) -> str:
    lines = ["| figure | measured | target | verdict | detail |", "|---|---|---|---|---|"]
    return "\n".join(lines + [f.row() for f in figures])
