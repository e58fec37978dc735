"""Start-to-window: the desk against an empty ``QMainWindow``; 100,000 history rows against 0; memory.

Every run is a fresh process: the virtualenv's ``termii-desk`` command (as an agent starts it) with a key
(``TERMII_API_KEY``), ``TERMII_BASE_URL`` pointing at an in-process simulator and a ``TERMII_DESK_HOME``
holding the history, against ``bench/empty_window.py``. Both print one line on their first paint (the desk's
``TERMII_DESK_BENCH_PROBE``, see app.py) with ``time.time()`` and their VmHWM/VmRSS, then quit. The time
counted is from just before the process is spawned to that line. Runs are interleaved, so both sides see the
same machine drift.

Both sides get the same environment: the same private display (Xvfb, or offscreen without it) and a
bytecode cache in a temporary folder (``PYTHONPYCACHEPREFIX``, written by the warm-up runs), as an installed
package has; this checkout's sources otherwise have no .pyc when ``PYTHONDONTWRITEBYTECODE`` is set.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.common import Figure, display_name, ratio, spread, virtual_display
from bench.history_scale import fill
from termii_desk.simulator import TermiiSimulator

ROOT = Path(__file__).resolve().parent.parent
# What packaging/build.py leaves behind: the one-folder bundle and the virtualenv it was built from.
BUNDLE = ROOT / "dist" / "termii-desk" / "termii-desk"
INSTALLED = ROOT / "build" / "pkg-venv" / "bin" / "termii-desk"
# The command an agent runs (pip's entry-point script, same interpreter); `python -m termii_desk` without it.
_SCRIPT = Path(sys.executable).with_name("termii-desk")
DESK_COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "termii_desk"]
KEY = "bench-start-key"
PROBE_PREFIX = "termii-desk-probe"


@dataclass(frozen=True)
class Start:
    seconds: float  # process spawned -> first paint (or ready and painted)
    hwm_kb: int  # peak resident memory when the probe fired
    rss_kb: int


def child_env(display: dict[str, str], pycache: str, **extra: str) -> dict[str, str]:
    dropped = ("PYTHONDONTWRITEBYTECODE", "QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY", "PYTHONPATH")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TERMII_") and k not in dropped}
    env.update(display, PYTHONPYCACHEPREFIX=pycache, **extra)
    return env


def start_once(command: list[str], env: dict[str, str], timeout: float = 120) -> Start:
    started = time.time()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(PROBE_PREFIX):
            _, _mode, when, hwm, rss = line.split()
            return Start(float(when) - started, int(hwm), int(rss))
    raise RuntimeError(f"{' '.join(command)} printed no probe line (exit {done.returncode}): {done.stderr[-800:]}")


def seconds(starts: list[Start]) -> list[float]:
    return [s.seconds for s in starts]


def peak_mb(starts: list[Start]) -> float:
    return statistics.median(s.hwm_kb for s in starts) / 1024


def run(runs: int = 15, display: dict[str, str] | None = None) -> list[Figure]:
    """``runs`` interleaved rounds; ``display`` is the environment of a display to use (else a new Xvfb)."""
    with contextlib.ExitStack() as stack:
        if display is None:
            display = stack.enter_context(virtual_display())
        return _run(runs, display)


def _run(runs: int, display: dict[str, str]) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="termii-desk-bench-") as folder, TermiiSimulator(api_key=KEY) as simulator:
        homes = {}
        for rows in (0, 1000, 100_000):
            home = Path(folder) / f"home-{rows}"
            fill(home / "data" / "history.sqlite3", rows).close()
            homes[rows] = home
        pycache = str(Path(folder) / "pycache")

        def desk_env(rows: int, probe: str) -> dict[str, str]:
            return child_env(display, pycache, TERMII_API_KEY=KEY, TERMII_BASE_URL=simulator.url,
                             TERMII_DESK_HOME=str(homes[rows]), TERMII_DESK_BENCH_PROBE=probe)

        def desk(rows: int, probe: str) -> Callable[[], Start]:
            env = desk_env(rows, probe)
            return lambda: start_once(DESK_COMMAND, env)

        empty_env = child_env(display, pycache)

        def empty() -> Start:
            return start_once([sys.executable, str(ROOT / "bench" / "empty_window.py")], empty_env)

        def window_only() -> Start:
            return start_once([sys.executable, "-m", "bench.window_only"], empty_env)

        series: dict[str, Callable[[], Start]] = {
            "empty": empty,
            "window-only": window_only,
            "painted": desk(1000, "painted"),
            "content": desk(1000, "content"),
            "ready": desk(1000, "ready"),
            "ready-0": desk(0, "ready"),
            "ready-100k": desk(100_000, "ready"),
        }
        packaged = packaged_series(desk_env(1000, "painted"))
        series.update(packaged)
        for launch in series.values():  # warm-up: bytecode written, files in the page cache
            launch()
            launch()
        results: dict[str, list[Start]] = {name: [] for name in series}
        for _ in range(runs):  # interleaved: every round runs each series once
            for name, launch in series.items():
                results[name].append(launch())
        where = display_name(display)

    figures = packaged_figures(results, runs, where)
    empty_s, painted_s, ready_s = seconds(results["empty"]), seconds(results["painted"]), seconds(results["ready"])
    content_s = seconds(results["content"])
    zero_s, big_s = seconds(results["ready-0"]), seconds(results["ready-100k"])
    alone_s = seconds(results["window-only"])
    first = ratio(painted_s, empty_s)
    widgets = ratio(content_s, empty_s)
    floor = ratio(alone_s, empty_s)
    usable = ratio(ready_s, empty_s)
    scale = ratio(big_s, zero_s)
    memory = peak_mb(results["ready-100k"]) - peak_mb(results["ready-0"])
    each = f"{runs} runs each, interleaved, {where}"
    return [
        *figures,
        Figure("1. start-to-window: desk (key, 1,000 rows) / empty QMainWindow", first, "x", "<= 1.25x", first <= 1.25,
               f"first paint (the form's line edits and buttons, the phone focused): desk {spread(painted_s)}; empty "
               f"{spread(empty_s)}; {each}"),
        Figure("1. start-to-widgets: the rest of the window built around the form and painted / empty QMainWindow",
               widgets, "x", "-", None, f"desk {spread(content_s)}; empty {spread(empty_s)}; {each}"),
        Figure("1. the desk's full MainWindow alone, built before it shows (no CLI, core, logging) / empty "
               "QMainWindow", floor, "x", "-", None, f"MainWindow alone {spread(alone_s)}; {each}"),
        Figure("1. start-to-ready (form can send, history shown) / empty QMainWindow", usable, "x", "<= 2.0x",
               usable <= 2.0,
               f"desk {spread(ready_s)}; empty {spread(empty_s)}; {each}"),
        Figure("3. start-to-ready: 100,000 rows / 0 rows", scale, "x", "<= 1.10x", scale <= 1.10,
               f"100,000 rows {spread(big_s)}; 0 rows {spread(zero_s)}; {each}"),
        Figure("3. peak resident memory at ready: 100,000 rows - 0 rows", memory, "MB", "<= 15 MB", memory <= 15,
               f"VmHWM medians {peak_mb(results['ready-100k']):.1f} vs {peak_mb(results['ready-0']):.1f} MB"),
        Figure("1. peak resident memory: desk at ready, 1,000 rows", peak_mb(results["ready"]), "MB", "-", None,
               f"empty QMainWindow {peak_mb(results['empty']):.1f} MB; VmHWM medians"),
    ]


def packaged_series(env: dict[str, str]) -> dict[str, Callable[[], Start]]:
    """The bundle and its build virtualenv, when packaging/build.py left both and the bundle has the probe."""
    if not (BUNDLE.exists() and INSTALLED.exists()):
        return {}
    try:
        start_once([str(BUNDLE)], env, timeout=20)
    except (RuntimeError, subprocess.TimeoutExpired, OSError):
        return {}  # built before the probe existed, or being rebuilt right now
    return {"bundle": lambda: start_once([str(BUNDLE)], env), "installed": lambda: start_once([str(INSTALLED)], env)}


def packaged_figures(results: dict[str, list[Start]], runs: int, where: str) -> list[Figure]:
    if "bundle" not in results:
        return [Figure("5. packaged start-to-window: bundle / virtualenv (probe)", float("nan"), "x", "<= 1.05x", None,
                       "not measured: no dist/termii-desk bundle with the probe; run packaging/build.py first")]
    bundle_s, installed_s = seconds(results["bundle"]), seconds(results["installed"])
    value = ratio(bundle_s, installed_s)
    return [Figure("5. packaged start-to-window: bundle / virtualenv (probe)", value, "x", "<= 1.05x", value <= 1.05,
                   f"first paint: dist/termii-desk {spread(bundle_s)}; build/pkg-venv termii-desk "
                   f"{spread(installed_s)}; {runs} runs each, interleaved, {where}")]


if __name__ == "__main__":
    from bench.common import compile_bytecode, table

    compile_bytecode()
    print(table(run(int(sys.argv[1]) if len(sys.argv) > 1 else 15)))
