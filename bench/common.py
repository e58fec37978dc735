"""Small helpers shared by the benchmarks: medians, spreads, interleaved pairs, the results table."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import statistics
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]


def compile_bytecode() -> None:
    """Compile the desk's modules (and the benchmarks' own) to bytecode before anything is timed, as an installed
    desk has them: ``pip install`` compiles a package, the bundle holds bytecode. A source checkout with
    ``PYTHONDONTWRITEBYTECODE`` set (some machines set it for everyone) would otherwise compile all ~60 of the
    desk's modules again at every start, ~60 ms that no agent's desk spends."""
    import compileall

    for folder in ("termii_desk", "bench"):
        compileall.compile_dir(ROOT / folder, quiet=1)


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
        if self.value != self.value:  # NaN: nothing measured
            shown = "not measured"
        elif self.unit == "x":
            shown = f"{self.value:.3f}{self.unit}"
        else:
            shown = f"{self.value:.1f} {self.unit}"
        return f"| {self.name} | {shown} | {self.target} | {verdict} | {self.detail} |"


def interleaved(a: Callable[[], float], b: Callable[[], float], runs: int) -> tuple[list[float], list[float]]:
    """A B A B ...: both see the same machine drift, so their ratio holds when absolute times wander."""
    times_a, times_b = [], []
    for _ in range(runs):
        times_a.append(a())
        times_b.append(b())
    return times_a, times_b


def spread(values: list[float]) -> str:
    """Median, min and max of durations in seconds: in ms, or in µs when the median is under a millisecond."""
    scale, unit = (1e6, "µs") if statistics.median(values) < 1e-3 else (1e3, "ms")
    shown = [v * scale for v in values]
    return f"median {statistics.median(shown):.1f} {unit} (min {min(shown):.1f}, max {max(shown):.1f})"


def ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(a) / statistics.median(b)


def machine() -> str:
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write_results(figures: list[Figure], name: str = "latest") -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "figures": [{**asdict(f), "value": None if f.value != f.value else f.value} for f in figures],
    }, indent=2))
    return path


def table(figures: list[Figure]) -> str:
    lines = ["| figure | measured | target | verdict | detail |", "|---|---|---|---|---|"]
    return "\n".join(lines + [f.row() for f in figures])


@contextlib.contextmanager
def virtual_display() -> Iterator[dict[str, str]]:
    """A private Xvfb on a display it picks itself (``-displayfd``); yields the environment to reach it.

    Without Xvfb, yields ``QT_QPA_PLATFORM=offscreen`` instead (``display_name`` says which was used).
    """
    if shutil.which("Xvfb") is None:
        yield {"QT_QPA_PLATFORM": "offscreen"}
        return
    from tests.xvfb import running_xvfb

    with running_xvfb("1280x1024x24") as display:
        yield {"DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}


def display_name(env: dict[str, str]) -> str:
    return f"Xvfb {env['DISPLAY']}" if "DISPLAY" in env else "QT_QPA_PLATFORM=offscreen"
