"""Profiles in the window: two simulators, a real Secret Service, the real bootstrap and loader.

A call always goes with the key and base URL of the profile shown; switching waits for no call (it is refused
while one is in flight); history, the estimate, the trend and the completions follow the profile.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from termii_desk.app import CoreLoader
from termii_desk.core.bootstrap import profile_keystore
from termii_desk.core.history import CSV_BOM, HistoryRow, HistoryStore
from termii_desk.core.paths import AppPaths
from termii_desk.core.profiles import ProfileStore
from termii_desk.simulator import TermiiSimulator
from termii_desk.ui.main_window import MainWindow
from tests.ui.conftest import OFFSCREEN_NOISE
from tests.ui.test_main_window import fill, send

pytestmark = [pytest.mark.qt_log_ignore(OFFSCREEN_NOISE), pytest.mark.keyring]

KEY_A, KEY_B = "window-key-a-1111", "window-key-b-2222"
WAIT_MS = 15_000


def _seed_history(paths: AppPaths) -> None:
    """Two weeks of ng-live's calls (2.50 each, a top-up on day 5), and one of gh-test's."""
    rows = []
    now = datetime.now(timezone.utc)
    balance = 200.0
    for day in range(13, -1, -1):
        for n in range(2):
            if day == 9 and n == 0:
                balance += 500.0  # a top-up: not a cost
            balance -= 2.5
            # Half an hour earlier, but on that day still (just after midnight, on that day's first seconds).
            day_start = (now - timedelta(days=day)).astimezone().replace(hour=0, minute=0, second=n, microsecond=0)
            when = max(now - timedelta(days=day, minutes=30 - n), day_start)
            rows.append(HistoryRow(0, when.isoformat(timespec="milliseconds"), "agent", "1", "127.0.0.1",
                                   f"2348031234{day:02d}{n}", "••••16", "sent", 200, f"m{day}{n}", "Successfully Sent",
                                   f"{balance:.2f}", "NGN", 300, None, profile="ng-live", machine="desk-1"))
    rows.append(HistoryRow(0, now.isoformat(timespec="milliseconds"), "agent", "1", "127.0.0.1", "233244000001",
                           "••••16", "sent", 200, "g1", "Successfully Sent", "90", "GHS", 300, None,
                           profile="gh-test", machine="desk-1"))
    store = HistoryStore(paths.history_file())
    store.import_rows(rows)
    store.close()


@pytest.fixture
def desk(secret_service: str, desk_home: Path, monkeypatch: pytest.MonkeyPatch
         ) -> Iterator[tuple[AppPaths, TermiiSimulator, TermiiSimulator]]:
    import keyring
    from keyring.backends.SecretService import Keyring

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service)
    # The desk asks keyring for the system's backend, as it does outside tests: here the private Secret
    # Service (keyring may have settled on another backend for an earlier test in this process).
    before = keyring.get_keyring()
    keyring.set_keyring(Keyring())
    paths = AppPaths.from_environment()
    with TermiiSimulator(api_key=KEY_A, user="Account A", balance=10_000) as a, \
            TermiiSimulator(api_key=KEY_B, user="Account B", currency="GHS") as b:
        profiles = ProfileStore(paths.settings_file).load()
        profiles.add("ng-live", a.url)
        profiles.add("gh-test", b.url, "GH")
        profiles.set_default("ng-live")
        profiles.remove("default")
        profiles.mark_retention_asked()
        stores = [profile_keystore(profiles, name)[1] for name in ("ng-live", "gh-test")]
        stores[0].set(KEY_A)
        stores[1].set(KEY_B)
        _seed_history(paths)
        try:
            yield paths, a, b
        finally:
            for store in stores:
                store.delete()
            keyring.set_keyring(before)


def _open(qtbot: Any, open_window: Any, paths: AppPaths) -> tuple[MainWindow, CoreLoader]:
    loader = CoreLoader(paths)
    services = loader.load()
    window: MainWindow = open_window(services)
    window.controller.profile_loader = loader.load_profile
    qtbot.waitUntil(lambda: window.account.calls_left_label.isVisible(), timeout=WAIT_MS)
    return window, loader


def _switch(qtbot: Any, window: MainWindow, name: str) -> None:
    with qtbot.waitSignal(window.controller.profile_changed, timeout=WAIT_MS):
        window.account.profile_combo.setCurrentIndex(window.account.profile_combo.findData(name))
        window.account.profile_combo.activated.emit(window.account.profile_combo.currentIndex())
    qtbot.waitUntil(lambda: window.balance_check_pending is False, timeout=WAIT_MS)


def test_each_profile_calls_with_its_own_key_and_address_only(
    qtbot: Any, desk: tuple[AppPaths, TermiiSimulator, TermiiSimulator], open_window: Any, screenshot_dir: Path
) -> None:
    paths, a, b = desk
    window, loader = _open(qtbot, open_window, paths)
    try:
        strip = window.account
        assert [strip.profile_combo.itemText(i) for i in range(strip.profile_combo.count())] == ["gh-test", "ng-live"]
        icons = {strip.profile_combo.itemIcon(i).pixmap(12, 12).toImage().pixelColor(6, 6).name()
                 for i in range(strip.profile_combo.count())}
        assert len(icons) == 2  # each profile its own colour
        qtbot.waitUntil(lambda: "Account A" in window.windowTitle(), timeout=WAIT_MS)
        assert window.windowTitle() == "Termii Desk — ng-live (Account A)"
        # The estimate: 2.50 a call from the drops (the top-up left out); the trend over the two weeks.
        assert strip.calls_left_label.text() == "≈ 4,000 calls left"  # 10,000.00 (the balance check) / 2.50
        assert "median" in strip.calls_left_label.toolTip() and "Top-ups" in strip.calls_left_label.toolTip()
        assert strip.trend.isVisible() and strip.trend.trend is not None and len(strip.trend.trend.points) == 14
        assert strip.trend_change_label.text().startswith("today ")
        assert "+2348031234000" in window.form.phone.completions()  # this profile's recent numbers
        assert "+233244000001" not in window.form.phone.completions()
        QApplication.processEvents()
        assert strip.grab().save(str(screenshot_dir / "profiles-strip.png"))
        assert window.grab().save(str(screenshot_dir / "profiles-window.png"))
        strip.profile_combo.showPopup()  # both profiles, each with its colour
        qtbot.waitUntil(lambda: strip.profile_combo.view().isVisible(), timeout=WAIT_MS)
        assert strip.profile_combo.view().window().grab().save(str(screenshot_dir / "profiles-switcher.png"))
        strip.profile_combo.hidePopup()

        fill(window, "0803 123 4567", "482916")
        attempt = send(qtbot, window)
        assert getattr(attempt, "outcome", None) is not None and attempt.outcome.value == "sent"  # type: ignore[union-attr]
        assert [c.json["api_key"] for c in a.calls] == [KEY_A] and b.calls == []  # type: ignore[index]

        # A slow call in flight: switching is refused, the switcher stays on ng-live.
        a.set_fault("slow", on="call", delay=1.5)
        fill(window, "0803 123 4568", "551177")
        with qtbot.waitSignal(window.call_finished, timeout=WAIT_MS):
            from PySide6.QtCore import Qt

            qtbot.keyClick(window.form.code.edit, Qt.Key.Key_Return)
            qtbot.waitUntil(lambda: window.controller.calls_in_flight == 1, timeout=WAIT_MS)
            with qtbot.waitSignal(window.controller.profile_switch_refused, timeout=WAIT_MS) as refused:
                strip.profile_combo.activated.emit(strip.profile_combo.findData("gh-test"))
            assert "in flight" in refused.args[0]
            assert strip.profile_combo.currentData() == "ng-live"
        a.set_fault(None)
        assert len(a.calls) == 2 and b.calls == []

        _switch(qtbot, window, "gh-test")
        qtbot.waitUntil(lambda: "Account B" in window.windowTitle(), timeout=WAIT_MS)
        assert window.windowTitle() == "Termii Desk — gh-test (Account B)"
        assert window.controller.services is not None and window.controller.services.profile.name == "gh-test"
        assert window.form.phone.default_region == "GH"
        window.on_settings_requested()  # what Settings edits now is gh-test's
        dialog = window.settings_dialog
        assert dialog is not None and dialog.windowTitle() == "Termii Desk Settings — gh-test"
        assert dialog.candidate_settings().base_url == b.url
        dialog.reject()
        fill(window, "024 412 3456", "482916")
        attempt = send(qtbot, window)
        assert [c.json["api_key"] for c in b.calls] == [KEY_B]  # type: ignore[index]
        assert b.calls[0].json["phone_number"] == "233244123456"  # type: ignore[index]
        assert len(a.calls) == 2  # nothing more to ng-live's host
        panel = window.history_panel
        assert panel is not None
        qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=WAIT_MS)  # gh-test's rows only
        assert {panel.model.row_at(i).profile for i in range(panel.model.rowCount())} == {"gh-test"}
        assert panel.table.isColumnHidden(panel.model.PROFILE)  # one profile: its name on every row says nothing
        panel.scope_combo.setCurrentIndex(1)  # all profiles
        qtbot.waitUntil(lambda: panel.model.total() == 2 + 28 + 2, timeout=WAIT_MS)
        assert not panel.table.isColumnHidden(panel.model.PROFILE)
        assert panel.model.data(panel.model.index(1, panel.model.PROFILE)) == "ng-live"  # the slow call
        QApplication.processEvents()
        assert window.grab().save(str(screenshot_dir / "profiles-switched.png"))
    finally:
        window.close()
        loader.close()


def test_export_from_the_window_writes_what_is_shown(
    qtbot: Any, desk: tuple[AppPaths, TermiiSimulator, TermiiSimulator], open_window: Any, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    import termii_desk.ui.main_window as main_window

    paths, _a, _b = desk
    window, loader = _open(qtbot, open_window, paths)
    target = tmp_path / "calls.csv"
    monkeypatch.setattr(main_window, "ask_export_path", lambda _parent, suggested: str(target))
    try:
        panel = window.history_panel
        assert panel is not None
        panel.filter_edit.setText("80312341")  # days 10 to 13
        qtbot.waitUntil(lambda: panel.model.total() == 8, timeout=WAIT_MS)
        with qtbot.waitSignal(window.controller.export_finished, timeout=WAIT_MS) as done:
            panel.export_button.click()
        assert done.args[0] == f"8 attempts exported to {target.name}."
        text = target.read_text(encoding="utf-8")
        assert text.startswith(CSV_BOM)
        rows = list(csv.DictReader(io.StringIO(text[1:], newline="")))
        assert len(rows) == 8 and {row["profile"] for row in rows} == {"ng-live"}
        assert all(row["phone"].startswith('="2348031234') for row in rows) and KEY_A not in text
    finally:
        window.close()
        loader.close()


def test_the_retention_question_is_asked_once_and_its_answer_kept(
    qtbot: Any, desk: tuple[AppPaths, TermiiSimulator, TermiiSimulator], open_window: Any
) -> None:
    paths, _a, _b = desk
    profiles = ProfileStore(paths.settings_file).load()
    profiles.retention_asked = False
    profiles.save()
    profiles.save_settings("ng-live", profiles.settings_for(profiles.get("ng-live")).updated(history_retention_days=7))
    window, loader = _open(qtbot, open_window, paths)
    try:
        question = window.retention_question
        assert question is not None and question.isVisible() and "7 days" in question.label.text()
        assert HistoryStore(paths.history_file()).count() == 29  # nothing deleted before the answer
        with qtbot.waitSignal(window.controller.settings_changed, timeout=WAIT_MS):
            question.keep_days_button.click()
        qtbot.waitUntil(lambda: HistoryStore(paths.history_file()).count() < 29, timeout=WAIT_MS)
        assert HistoryStore(paths.history_file()).count() == 2 * 7 + 1  # the last 7 days' calls
        assert ProfileStore(paths.settings_file).load().retention_asked is True
    finally:
        window.close()
        loader.close()


def test_nothing_is_sent_while_another_profile_is_being_opened(
    qtbot: Any, desk: tuple[AppPaths, TermiiSimulator, TermiiSimulator], open_window: Any
) -> None:
    import time

    from termii_desk.core.validation import Code, validate_phone

    paths, a, b = desk
    window, loader = _open(qtbot, open_window, paths)

    def slow_loader(name: str) -> Any:
        time.sleep(0.6)  # the keyring, a slow disk
        return loader.load_profile(name)

    window.controller.profile_loader = slow_loader
    try:
        with qtbot.waitSignal(window.controller.profile_changed, timeout=WAIT_MS):
            window.account.on_profile_activated(window.account.profile_combo.findData("gh-test"))
            assert window.controller.switching
            with qtbot.waitSignal(window.controller.send_failed, timeout=WAIT_MS) as failed:
                window.controller.on_send_requested(validate_phone("+2348031234567"), Code("482916"))
            assert "another profile is being opened" in failed.args[0]
        assert a.calls == [] and b.calls == []  # neither the old profile's key nor the new one's went out
        assert window.controller.services is not None and window.controller.services.profile.name == "gh-test"
    finally:
        window.close()
        loader.close()
