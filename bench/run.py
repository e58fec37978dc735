"""Every benchmark of issue 6 in one command: ``python -m bench.run [--quick] [--publish]``.

Prints one markdown table (figure, measured, target, verdict, detail) and writes bench/results/latest.json.
``--quick`` runs fewer rounds (a smoke run, a few times noisier); ``--publish`` also puts the table, with its
date and machine, into bench/RESULTS.md between the ``results`` markers.

1. start-to-window and 3. start-to-ready / memory: bench/startup.py (fresh processes on a private Xvfb)
1. typing at first sight (keystrokes lost, first keystroke, ready, the call): bench/typing_at_start.py (xdotool)
2. GUI-thread stalls: bench/stalls.py (the real window, driven in a fresh process)
3. history at 100,000 rows, store level: bench/history_scale.py
4. request overhead: bench/request_overhead.py
5. packaged: read from bench/results/packaged.json, written by packaging/build.py (not rebuilt here)
6. second launch while a desk runs: bench/second_launch.py (fresh processes on the same Xvfb)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from bench import history_scale, request_overhead, second_launch, stalls, startup, typing_at_start
from bench.common import RESULTS, Figure, compile_bytecode, machine, table, virtual_display, write_results

RESULTS_MD = Path(__file__).resolve().parent / "RESULTS.md"
PACKAGED = RESULTS / "packaged.json"
BEGIN, END = "<!-- results: begin -->", "<!-- results: end -->"


def packaged() -> list[Figure]:
    """Benchmark 5 from packaging/build.py's record: one --self-test run of the bundle and of the virtualenv."""
    if not PACKAGED.exists():
        return [Figure("5. packaged: bundle / virtualenv start", float("nan"), "x", "<= 1.05x", None,
                       "not measured: run packaging/build.py first")]
    record = json.loads(PACKAGED.read_text(encoding="utf-8"))
    starts = record.get("start_s", {})
    bundle, venv = starts.get("bundle", {}), starts.get("virtualenv", {})
    when = f"packaging/build.py, {record.get('form', '?')}, {record.get('measured_at', '?')}"
    figures = []
    if bundle.get("self_test_s") and venv.get("self_test_s"):
        value = bundle["self_test_s"] / venv["self_test_s"]
        figures.append(Figure(
            "5. packaged: bundle / virtualenv, --self-test (window shown, one demo call)", value, "x", "<= 1.05x",
            value <= 1.05,
            f"bundle {bundle['self_test_s']:g} s, virtualenv {venv['self_test_s']:g} s; one run each, not interleaved, "
            f"offscreen; --version {bundle.get('version_s')} vs {venv.get('version_s')} s; {when}"))
    else:
        figures.append(Figure("5. packaged: bundle / virtualenv start", float("nan"), "x", "<= 1.05x", None,
                              f"not measured: a start failed in {when}"))
    figures.append(Figure("5. packaged: bundle size", float(record.get("bundle_mib") or 0), "MB", "-", None,
                          f"dist/termii-desk/ (MiB, as du counts); {when}"))
    if record.get("archive_mib") is not None:
        figures.append(Figure("5. packaged: archive size", float(record["archive_mib"]), "MB", "-", None,
                              f"tar.gz of the bundle; {when}"))
    return figures


def publish(markdown: str) -> None:
    text = RESULTS_MD.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    RESULTS_MD.write_text(f"{head}{BEGIN}\n{markdown}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds: a smoke run, noisier")
    parser.add_argument("--publish", action="store_true", help="write the table into bench/RESULTS.md")
    args = parser.parse_args(argv)

    started = time.monotonic()
    figures: list[Figure] = []
    compile_bytecode()

    def step(name: str) -> None:
        print(f"[{time.monotonic() - started:5.0f} s] {name}", file=sys.stderr, flush=True)

    with virtual_display() as display:
        step("start-to-window (1, 3)")
        figures += startup.run(runs=5 if args.quick else 15, display=display)
        step("typing at first sight (1)")
        figures += typing_at_start.run(runs=2 if args.quick else 5, display=display)
        step("GUI-thread stalls (2)")
        figures += stalls.run(display, repeats=1 if args.quick else 5)
        step("second launch (6)")
        figures += second_launch.run(runs=5 if args.quick else 15, display=display)
    step("history at 100,000 rows (3)")
    figures += history_scale.run()
    step("request overhead (4)")
    figures += request_overhead.run(calls=50 if args.quick else 200)
    figures += packaged()
    probe = [f for f in figures if f.name.startswith("5. packaged start-to-window") and f.value == f.value]
    for figure in figures:
        if probe and figure.name.startswith("5. packaged: bundle / virtualenv"):
            # One run each, taken while building: the interleaved probe runs above give the verdict.
            figure.target, figure.passed = "- (see the probe figure)", None
    # By item of the issue; the stalls by scenario letter, the idle reference last; others in their own order.
    figures.sort(key=lambda f: (f.name[:2], f.name[:4] if f.name.startswith("2") else ""))
    step("done")

    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    markdown = (f"Measured {date} on {machine()}{' (--quick)' if args.quick else ''}; "
                f"`python -m bench.run`, {time.monotonic() - started:.0f} s.\n\n{table(figures)}")
    print(markdown)
    path = write_results(figures)
    print(f"\nwritten: {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    if args.publish:
        publish(markdown)
        print(f"published: {RESULTS_MD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
