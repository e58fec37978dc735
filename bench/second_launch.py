"""Second launch: ``termii-desk`` while a desk runs (it hands over and exits 0) against an empty window's start.

One desk is started (key, simulator, its own ``TERMII_DESK_HOME`` and runtime folder) and left running, ready.
Each round then times, interleaved: the virtualenv's ``termii-desk`` command, from just before it is spawned
until it has exited (the running desk acknowledged it and is raising its window), and ``bench/empty_window.py``
from spawn to its first paint, as bench/startup.py times it. The figure is the ratio of their medians.
When packaging/build.py left a bundle that has single-instance, the bundle's second launch is timed the same
way against a desk started from the bundle.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from bench.common import Figure, display_name, ratio, spread, virtual_display
from bench.startup import BUNDLE, DESK_COMMAND, ROOT, child_env, start_once
from termii_desk.simulator import TermiiSimulator
from tests.xvfb import end_process, start_desk

KEY = "bench-second-key"
TARGET = 0.5


def run(runs: int = 15, display: dict[str, str] | None = None) -> list[Figure]:
    with contextlib.ExitStack() as stack:
        if display is None:
            display = stack.enter_context(virtual_display())
        return _run(runs, display)


def timed_exit(command: list[str], env: dict[str, str], timeout: float = 30) -> float:
    started = time.time()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    took = time.time() - started
    if done.returncode != 0 or done.stdout or done.stderr:
        raise RuntimeError(f"the second start did not hand over quietly (exit {done.returncode}): "
                           f"{(done.stdout + done.stderr)[-800:]}")
    return took


@contextlib.contextmanager
def running_desk(command: list[str], env: dict[str, str], display: dict[str, str], simulator: TermiiSimulator,
                 home: Path) -> Iterator[None]:
    """The desk, started as the end-to-end tests start it (tests/xvfb.py) and ready (its start-up balance check
    done), until the block ends. ``env`` is what the second starts get: its runtime folder and bytecode cache."""
    extra = {name: env[name] for name in ("XDG_RUNTIME_DIR", "PYTHONPYCACHEPREFIX")}
    home.mkdir(parents=True, exist_ok=True)
    desk = start_desk(display.get("DISPLAY", ""), home, simulator.url, simulator.api_key, home / "desk-output.txt",
                      command=command, QT_QPA_PLATFORM=display.get("QT_QPA_PLATFORM", "xcb"), **extra)
    try:
        deadline = time.monotonic() + 60
        time.sleep(0.5)
        while not _answers(command, env):  # handed over: the desk is there (this start exited 0, saying nothing)
            if desk.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the first desk did not start (exit {desk.poll()})")
            time.sleep(0.2)
        time.sleep(1.5)  # past its start-up balance check: the figure is about a desk at rest
        yield
    finally:
        end_process(desk, timeout=20)


def _answers(command: list[str], env: dict[str, str]) -> bool:
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, timeout=30, check=False)
    return done.returncode == 0 and not done.stdout and not done.stderr


def _run(runs: int, display: dict[str, str]) -> list[Figure]:
    where = display_name(display)
    with tempfile.TemporaryDirectory(prefix="termii-desk-bench-") as folder, TermiiSimulator(api_key=KEY) as simulator:
        runtime = Path(tempfile.mkdtemp(prefix="rt-", dir="/tmp"))
        try:
            pycache = str(Path(folder) / "pycache")
            empty_env = child_env(display, pycache)

            def empty() -> float:
                return start_once([sys.executable, str(ROOT / "bench" / "empty_window.py")], empty_env).seconds

            def desk_env(name: str) -> dict[str, str]:
                return child_env(display, pycache, TERMII_API_KEY=KEY, TERMII_BASE_URL=simulator.url,
                                 TERMII_DESK_HOME=str(Path(folder) / name), XDG_RUNTIME_DIR=str(runtime))

            series: list[tuple[str, list[str], dict[str, str]]] = [("virtualenv", DESK_COMMAND, desk_env("venv"))]
            if BUNDLE.exists() and _has_single_instance(BUNDLE):
                series.append(("bundle", [str(BUNDLE)], desk_env("bundle")))
            figures = []
            for name, command, env in series:
                with running_desk(command, env, display, simulator, Path(env["TERMII_DESK_HOME"])):
                    second: Callable[[], float] = lambda command=command, env=env: timed_exit(command, env)  # noqa: E731
                    for _ in range(2):  # warm-up: bytecode written, files in the page cache
                        second()
                        empty()
                    a, b = [], []
                    for _ in range(runs):
                        a.append(second())
                        b.append(empty())
                value = ratio(a, b)
                figures.append(Figure(
                    f"6. second launch ({name}): termii-desk while a desk runs, to its exit / empty QMainWindow's "
                    "start", value, "x", f"<= {TARGET:g}x" if name == "virtualenv" else "-",
                    value <= TARGET if name == "virtualenv" else None,
                    f"second start (hands over, exits 0) {spread(a)}; empty window to first paint {spread(b)}; "
                    f"{runs} runs each, interleaved, {where}"))
            return figures
        finally:
            for path in sorted(runtime.rglob("*"), reverse=True):
                with contextlib.suppress(OSError):
                    path.rmdir() if path.is_dir() else path.unlink()
            with contextlib.suppress(OSError):
                runtime.rmdir()


def _has_single_instance(bundle: Path) -> bool:
    return any((bundle.parent / "_internal" / "termii_desk" / "core").glob("instance.*"))


if __name__ == "__main__":
    from bench.common import compile_bytecode, table

    compile_bytecode()
    print(table(run(int(sys.argv[1]) if len(sys.argv) > 1 else 15)))
