"""The window over stored values no version would write: absurd settings, odd history rows, damaged files.

Built the way the desk starts (the core loader over a real home folder), shown in a real window.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QDoubleSpinBox, QSpinBox

from termii_desk.app import CoreLoader
from termii_desk.core.errors import Outcome
from termii_desk.core.history import HistoryStore
from termii_desk.core.paths import AppPaths
from termii_desk.core.settings import Settings
from termii_desk.core.validation import Code
from termii_desk.simulator import TermiiSimulator
from termii_desk.ui.main_window import MainWindow
from tests.conftest import SIM_KEY
from tests.hostile_rows import insert_hostile_rows
from tests.ui.conftest import OFFSCREEN_NOISE

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)

OpenWindow = Callable[..., MainWindow]
ABSURD_SETTINGS = ('{"history_retention_days": 1e9, "cooldown_seconds": 1e15, "read_timeout": 1e300, '
                   '"connect_timeout": 1E+400, "low_balance_threshold": ' + "9" * 5000 + ', '
                   '"default_region": ' + "[" * 20 + "]" * 20 + "}")


@pytest.fixture
def loaded(desk_home: Path, simulator: TermiiSimulator, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TERMII_API_KEY", SIM_KEY)
    monkeypatch.setenv("TERMII_BASE_URL", simulator.url)
    loaders: list[CoreLoader] = []

    def load() -> Any:
        loader = CoreLoader(AppPaths.from_environment())
        loaders.append(loader)
        return loader.load()

    yield load
    for loader in loaders:
        loader.close()


def test_absurd_settings_and_odd_history_rows_the_window_starts_and_settings_open(
    qtbot: Any, desk_home: Path, loaded: Any, open_window: OpenWindow, screenshot_dir: Path
) -> None:
    paths = AppPaths.from_environment()
    paths.settings_file.parent.mkdir(parents=True)
    paths.settings_file.write_text(ABSURD_SETTINGS, encoding="utf-8")
    HistoryStore(paths.history_file()).close()
    added = insert_hostile_rows(paths.history_file())

    services = loaded()
    assert services.settings == Settings().updated(base_url=services.settings.base_url)  # every default
    window = open_window(services)
    notices = " ".join(window.notices.texts())
    for name in ("history_retention_days", "cooldown_seconds", "read_timeout", "connect_timeout",
                 "low_balance_threshold", "default_region"):
        assert name in notices
    assert "history" not in window.account.updated_label.text().lower()
    panel = window.history_panel
    assert panel is not None and panel.isVisibleTo(window)
    # The retention default (365 days) removed the rows dated in year 1 and the like; the others show.
    shown = panel.model.rowCount()
    assert 0 < shown <= added
    for row in range(shown):
        for column in range(panel.model.columnCount()):
            panel.model.data(panel.model.index(row, column))
    assert window.account.balance_text  # the strip is not stuck at "Opening…"
    QApplication.processEvents()
    assert window.grab().save(str(screenshot_dir / "hostile-storage.png"))

    window.settings_action.trigger()
    dialog = window.settings_dialog
    assert dialog is not None and dialog.isVisible()
    for name in ("cooldown_seconds", "history_retention_days", "read_timeout", "connect_timeout",
                 "low_balance_threshold"):
        editor = dialog.editor(name)
        assert isinstance(editor, QSpinBox | QDoubleSpinBox)
        spec = Settings.spec(name)
        assert (editor.minimum(), editor.maximum()) == (spec.minimum, spec.maximum)  # the declared range
        assert editor.value() == getattr(Settings(), name)
    dialog.reject()


def test_settings_file_written_by_hand_with_wrong_types(desk_home: Path, loaded: Any) -> None:
    paths = AppPaths.from_environment()
    paths.settings_file.parent.mkdir(parents=True)
    paths.settings_file.write_text(json.dumps({"cooldown_seconds": "90", "read_timeout": [1], "ca_bundle": 7}))
    services = loaded()
    assert services.settings.cooldown_seconds == 90  # a number written as text is still the number
    assert services.settings.read_timeout == Settings().read_timeout
    assert any("read_timeout" in n for n in services.notices) and any("ca_bundle" in n for n in services.notices)


def test_history_damaged_during_the_session_moves_aside_with_a_notice_and_calls_go_on(
    qtbot: Any, simulator: TermiiSimulator, make_services: Any, open_window: OpenWindow, history: HistoryStore,
    screenshot_dir: Path
) -> None:
    import sqlite3

    from tests.hostile_rows import damage_pages
    from tests.ui.test_main_window import fill, send

    first = history.start_attempt("2348031234567", Code("482916"), "host")
    history.complete_attempt(first, outcome=Outcome.SENT, duration_ms=5)
    row = history.get(first)
    history.import_rows([row] * 3000)  # type: ignore[list-item]
    assert history.path is not None
    window = open_window(make_services(simulator.url, cooldown_seconds=0))
    conn = sqlite3.connect(history.path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    damage_pages(history.path)

    window.history_panel.model.set_filter("0803")  # reads the damaged pages: SQLITE_CORRUPT
    qtbot.waitUntil(lambda: any("moved aside" in text for text in window.notices.texts()), timeout=10_000)
    fill(window, "0803 123 9999")
    attempt = send(qtbot, window)
    assert attempt.outcome.value == "sent" and attempt.history_problem is None
    window.history_panel.model.set_filter("")
    qtbot.waitUntil(lambda: window.history_panel.model.rowCount() == 1, timeout=10_000)
    QApplication.processEvents()
    assert window.grab().save(str(screenshot_dir / "history-moved-aside.png"))


def test_a_log_file_that_fails_mid_session_is_one_notice_and_the_desk_goes_on(
    qtbot: Any, simulator: TermiiSimulator, make_services: Any, open_window: OpenWindow, tmp_path: Path,
    capfd: pytest.CaptureFixture[str]
) -> None:
    import logging
    import threading

    from termii_desk.core.logs import setup_logging
    from tests.ui.test_main_window import fill, send

    log_file = tmp_path / "logs" / "termii-desk.log"
    log_file.parent.mkdir()
    log_file.symlink_to("/dev/full")  # every write: "No space left on device"
    assert setup_logging(log_file) is None
    try:
        window = open_window(make_services(simulator.url, cooldown_seconds=0))
        worker = threading.Thread(target=lambda: [logging.getLogger("termii_desk").warning("x %d", i)
                                                  for i in range(20)])
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: any("log file" in text for text in window.notices.texts()), timeout=5_000)
        fill(window)
        assert send(qtbot, window).outcome.value == "sent"  # calls go on (and log, silently)
        assert len([t for t in window.notices.texts() if "log file" in t]) == 1
        assert "Logging error" not in capfd.readouterr().err
    finally:
        setup_logging(tmp_path / "ok.log")
