"""SettingsDialog: the key (keyring, show toggle, test, session-only), and every setting with its check."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox

from termii_desk.core.bootstrap import DeskServices
from termii_desk.core.keystore import NO_KEYRING_MESSAGE
from termii_desk.core.settings import Settings
from termii_desk.simulator import TermiiSimulator
from termii_desk.ui.settings_dialog import SESSION_ONLY_TEXT, SettingsDialog
from termii_desk.ui.worker import InlineExecutor, ThreadExecutor
from tests.conftest import SIM_KEY
from tests.ui.conftest import OFFSCREEN_NOISE, BrokenKeyring, MemoryKeyring

pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_NOISE)

MakeServices = Callable[..., DeskServices]


def open_dialog(qtbot: Any, services: DeskServices, executor: Any = None) -> SettingsDialog:
    dialog = SettingsDialog(services, executor if executor is not None else InlineExecutor())
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_every_setting_has_a_labelled_editor_with_the_current_value(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    services = make_services(simulator.url, default_region="GH", cooldown_seconds=90)
    dialog = open_dialog(qtbot, services)
    for name in Settings.names():
        editor = dialog.editor(name)
        assert editor.accessibleName() == Settings.label(name)
    region = dialog.editor("default_region")
    assert isinstance(region, QComboBox) and region.currentData() == "GH" and "Ghana" in region.currentText()
    cooldown = dialog.editor("cooldown_seconds")
    assert isinstance(cooldown, QSpinBox) and cooldown.value() == 90
    assert isinstance(dialog.editor("read_timeout"), QDoubleSpinBox)
    assert dialog.candidate_settings() == services.settings
    assert dialog.key_edit.accessibleName() and dialog.key_edit.echoMode() == QLineEdit.EchoMode.Password


def test_show_toggle_reveals_and_hides_the_key(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    dialog = open_dialog(qtbot, make_services(simulator.url))
    dialog.key_edit.setText("typed-key")
    dialog.show_key_button.click()
    assert dialog.key_edit.echoMode() == QLineEdit.EchoMode.Normal and dialog.show_key_button.text() == "Hide"
    dialog.show_key_button.click()
    assert dialog.key_edit.echoMode() == QLineEdit.EchoMode.Password


def test_base_url_is_checked_live_and_on_save(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    dialog = open_dialog(qtbot, make_services(simulator.url))
    base_url = dialog.editor("base_url")
    assert isinstance(base_url, QLineEdit)
    base_url.setText("http://example.com")
    assert "https://" in dialog.base_url_status.text()
    with qtbot.assertNotEmitted(dialog.saved):
        dialog.on_save_clicked()
    assert dialog.isVisible() and "https://" in dialog.error_label.text()
    base_url.setText("api.ng.termii.com/api/")
    assert "Will use https://api.ng.termii.com" in dialog.base_url_status.text()


def test_save_writes_the_key_to_the_keyring_on_a_worker_and_reports_the_settings(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    backend = MemoryKeyring()
    services = make_services(simulator.url, key=None, backend=backend)
    dialog = open_dialog(qtbot, services, ThreadExecutor())
    dialog.key_edit.setText("  new-key-1234 ")
    cooldown = dialog.editor("cooldown_seconds")
    assert isinstance(cooldown, QSpinBox)
    cooldown.setValue(15)
    with qtbot.waitSignal(dialog.saved, timeout=10_000) as blocker:
        dialog.on_save_clicked()
    settings, key_changed = blocker.args
    assert key_changed and settings.cooldown_seconds == 15
    assert backend.passwords == {("termii-desk", "api-key"): "new-key-1234"}
    assert not dialog.isVisible()


def test_save_without_a_new_key_leaves_the_key_alone(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    services = make_services(simulator.url)
    dialog = open_dialog(qtbot, services)
    with qtbot.waitSignal(dialog.saved) as blocker:
        dialog.on_save_clicked()
    assert blocker.args[1] is False
    assert services.keystore.get() == SIM_KEY


def test_keyring_unavailable_explains_and_offers_session_only(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, screenshot_dir: Path
) -> None:
    services = make_services(simulator.url, key=None, backend=BrokenKeyring())
    dialog = open_dialog(qtbot, services)
    assert NO_KEYRING_MESSAGE in dialog.keyring_problem.text()
    assert dialog.session_only.isVisible() and dialog.session_only.text() == SESSION_ONLY_TEXT
    dialog.key_edit.setText("session-key-9876")
    with qtbot.assertNotEmitted(dialog.saved):
        dialog.on_save_clicked()  # not ticked: the keyring refuses, the dialog stays and says why
    assert dialog.isVisible() and "not saved" in dialog.error_label.text()
    QApplication.processEvents()
    assert dialog.grab().save(str(screenshot_dir / "settings-no-keyring.png"))
    dialog.session_only.setChecked(True)
    with qtbot.waitSignal(dialog.saved) as blocker:
        dialog.on_save_clicked()
    assert blocker.args[1] is True
    assert services.keystore.get() == "session-key-9876"
    assert services.keystore.status().source == "session"


def test_keyring_failing_only_on_save_offers_session_only(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    class ReadOnlyKeyring(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            import keyring.errors

            raise keyring.errors.KeyringLocked("locked")

    services = make_services(simulator.url, key=None, backend=ReadOnlyKeyring())
    dialog = open_dialog(qtbot, services)
    assert not dialog.session_only.isVisible()
    dialog.key_edit.setText("locked-key")
    dialog.on_save_clicked()
    assert "locked" in dialog.keyring_problem.text() and dialog.session_only.isVisible()
    assert dialog.isVisible()


def test_test_key_checks_the_typed_key_against_the_balance_endpoint(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, screenshot_dir: Path
) -> None:
    services = make_services(simulator.url, key=None)
    dialog = open_dialog(qtbot, services, ThreadExecutor())
    dialog.key_edit.setText(SIM_KEY)
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=10_000)
    assert "The key works" in dialog.test_result.text() and "5,000.00 NGN" in dialog.test_result.text()
    assert simulator.balance_requests[-1].query.get("api_key") == SIM_KEY
    assert services.keystore.get() is None  # testing never stores the key
    dialog.key_edit.setText("wrong-key")
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=10_000)
    assert "API key" in dialog.test_result.text() and "works" not in dialog.test_result.text()
    QApplication.processEvents()
    assert dialog.grab().save(str(screenshot_dir / "settings-dialog.png"))


def test_test_key_without_any_key_says_so(qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices) -> None:
    dialog = open_dialog(qtbot, make_services(simulator.url, key=None))
    dialog.test_button.click()
    assert "Type the API key" in dialog.test_result.text()
    assert simulator.received == []


def test_demo_mode_disables_the_key_and_keeps_changes_for_the_session(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, tmp_path: Path
) -> None:
    services = make_services(simulator.url, demo=True)
    dialog = open_dialog(qtbot, services)
    assert not dialog.key_edit.isEnabled()
    assert any("Demo mode" in label.text() for label in dialog.findChildren(type(dialog.test_result)))
    assert services.settings_store is None
    assert not (tmp_path / "settings.json").exists()


def test_window_saves_settings_to_the_file_and_applies_them(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: Callable[..., Any],
    tmp_path: Path
) -> None:
    services = make_services(simulator.url)
    window = open_window(services)
    window.settings_action.trigger()
    dialog = window.settings_dialog
    region = dialog.editor("default_region")
    region.setCurrentIndex(region.findData("GH"))
    threshold = dialog.editor("low_balance_threshold")
    threshold.setValue(9000.0)
    with qtbot.waitSignal(window.balance_finished, timeout=10_000):
        dialog.on_save_clicked()
    assert window.form.phone.default_region == "GH"
    assert services.desk.settings.default_region == "GH"
    stored = json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))
    assert stored["default_region"] == "GH" and stored["low_balance_threshold"] == 9000.0
    assert SIM_KEY not in (tmp_path / "settings.json").read_text(encoding="utf-8")
    assert window.account.is_low  # the new threshold is used for the refreshed balance
