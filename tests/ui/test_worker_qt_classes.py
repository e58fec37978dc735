"""Workers never make Qt's classes (app.py's module text): PySide6 makes a class the first time Python asks for
it, and two threads doing that at once crash the process with a segmentation fault.

The desk starts in a fresh interpreter (so that nothing is made ahead of it) with every worker job run alone,
the GUI thread waiting for it, and each job's new Qt classes are reported: none may have made one. Each start
takes a different path through start-up, and ends there: the demo's self-test (ready, the loads after it, until
its call's answer), a desk with a key and notices, a desk without a key (the welcome page), both until ready.
A demo desk then runs, after ready, the jobs an agent starts (see the "later" case). Not covered: a profile
switch (a demo desk has one profile) and the threads that jobs start (the simulator's, a team history's
listener). The last case checks that the check itself can fail: a job that makes a class is reported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys, threading

from termii_desk.ui import worker

made = []


def qt_names():
    return {name: set(vars(module)) for name, module in list(sys.modules.items())
            if name.startswith("PySide6.") and module is not None}


submit = worker.ThreadExecutor.submit


def submit_alone(self, op, deliver):
    outcome = {}

    def run():
        before = qt_names()
        try:
            outcome["result"] = op()
        except BaseException as exc:
            outcome["error"] = exc
        after = qt_names()
        new = sorted(f"{module}.{name}" for module in after for name in after[module] - before.get(module, set()))
        if new:
            made.append({"job": getattr(op, "__qualname__", repr(op)), "made": new})

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()

    def result():
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("result")

    submit(self, result, deliver)


worker.ThreadExecutor.submit = submit_alone
mode = sys.argv[1]
if mode == "canary":
    import termii_desk.app as app

    load_content_core = app.load_content_core

    def load_and_make_a_class():
        load_content_core()
        import PySide6.QtWidgets

        PySide6.QtWidgets.QCalendarWidget

    app.load_content_core = load_and_make_a_class
if mode == "notices":
    from termii_desk.core.paths import AppPaths

    settings = AppPaths.from_environment().settings_file
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text("{ not json")
if mode == "later":  # after ready: drive the jobs an agent starts, one at a time, then close
    from PySide6.QtCore import QTimer
    from termii_desk.ui.main_window import MainWindow

    names_loaded = MainWindow.carrier_names_loaded

    def drive(window):
        names_loaded(window)
        from termii_desk.core.history import HistoryQuery
        from termii_desk.core.paths import AppPaths

        controller, model = window.controller, window.history_panel.model
        export = AppPaths.from_environment().data_dir / "export.csv"

        def call():
            window.form.phone.set_text("0803 123 4567")
            window.form.code.set_text("482913")
            window.form.on_submit()

        steps = [
            ("balance", window.refresh_requested.emit),
            ("call", call),
            ("filter", lambda: model.set_filter("0803")),
            ("export", lambda: controller.on_export_requested((export, HistoryQuery(), None))),
            ("settings", lambda: controller.on_settings_saved(controller.services.settings, False)),
            ("unfiltered", lambda: model.set_filter("")),
        ]
        done = []

        def next_step():
            if window._executor.pending() or model.loading:
                QTimer.singleShot(20, next_step)
                return
            if not steps:
                print("drove " + ",".join(done) + f" exported={export.exists()} rows={model.total()}", flush=True)
                window.close()
                return
            name, step = steps.pop(0)
            done.append(name)
            step()
            QTimer.singleShot(20, next_step)

        QTimer.singleShot(0, next_step)

    MainWindow.carrier_names_loaded = drive
import termii_desk.bench_probe as probe

line = probe.bench_probe_line


def at_ready(mode):  # what the start showed (the bench probe's line, at ready)
    from PySide6.QtWidgets import QApplication

    window = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "MainWindow")
    welcome = window.pages.currentWidget() is window._first_run is not None
    print(f"shown notices={len(window.notices.texts())} welcome={welcome}", flush=True)
    return line(mode)


probe.bench_probe_line = at_ready
from termii_desk.cli import main

try:
    code = main(["--self-test"] if mode == "self-test" else ["--demo"] if mode == "later" else [])
finally:
    print("worker-made " + json.dumps(made), flush=True)
raise SystemExit(code)
"""


def run_probe(mode: str, home: Path) -> tuple[list[dict[str, object]], str]:
    """What the start's worker jobs made, and what the window showed at ready (none for the self-test)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TERMII_", "DBUS_")) and k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="offscreen", TERMII_DESK_HOME=str(home), PYTHONPATH=str(ROOT))
    if mode not in ("self-test", "later"):
        env.update(TERMII_DESK_BENCH_PROBE="ready", TERMII_BASE_URL="http://127.0.0.1:9")
    if mode != "no-key":
        env["TERMII_API_KEY"] = "worker-classes-key"
    done = subprocess.run([sys.executable, "-c", PROBE, mode], env=env, capture_output=True, text=True,
                          timeout=90, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("worker-made ")]
    assert len(lines) == 1, done.stdout + done.stderr
    made: list[dict[str, object]] = json.loads(lines[0].removeprefix("worker-made "))
    shown = [line for line in done.stdout.splitlines() if line.startswith(("shown ", "drove "))]
    return made, " ".join(shown) or done.stdout


@pytest.mark.parametrize(("mode", "shown"), [
    ("self-test", "self-test ok"),
    # The unreadable settings file's notice, and that of TERMII_BASE_URL (it keeps Settings from saving it).
    ("notices", "shown notices=2 welcome=False"),
    ("no-key", "shown notices=1 welcome=True"),
    # After ready, the jobs an agent starts: a balance check, a call (the cooldown's look-up, the call), a
    # filtered history page, an export, settings stored, the unfiltered page again.
    ("later", "drove balance,call,filter,export,settings,unfiltered exported=True rows=1"),
])
def test_no_start_up_job_on_a_worker_makes_a_qt_class(mode: str, shown: str, tmp_path: Path) -> None:
    made, seen = run_probe(mode, tmp_path)
    assert shown in seen  # the start took the path it is here for
    assert made == []


def test_a_job_that_makes_a_qt_class_is_reported(tmp_path: Path) -> None:
    made, _seen = run_probe("canary", tmp_path)
    assert [entry["made"] for entry in made] == [["PySide6.QtWidgets.QCalendarWidget"]], made
