"""SettingsDialog: the key (keyring, show toggle, test, session-only), and every setting with its check."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
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


# -- a first key in plain words, the keyring by its name, advanced settings tucked away, one column ---------


class GnomeKeyring(MemoryKeyring):
    """Named as keyring names the Secret Service backend (GNOME Keyring under a Linux desktop)."""

    name = "SecretService Keyring"


def visible_texts(dialog: SettingsDialog) -> str:
    from PySide6.QtWidgets import QAbstractButton, QLabel

    texts = [w.text() for w in dialog.findChildren(QLabel) + dialog.findChildren(QAbstractButton) if w.isVisible()]
    texts += [w.placeholderText() + " " + w.text() for w in dialog.findChildren(QLineEdit) if w.isVisible()]
    return "\n".join(texts)


def test_a_first_key_is_asked_for_plainly_and_the_keyring_named_as_the_agent_knows_it(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, screenshot_dir: Path
) -> None:
    from termii_desk.core.words import PASTE_KEY, WHERE_THE_KEY_IS

    dialog = open_dialog(qtbot, make_services(simulator.url, key=None, backend=GnomeKeyring()))
    assert dialog.key_edit.placeholderText() == PASTE_KEY
    assert dialog.key_hint.isVisible() and dialog.key_hint.text() == WHERE_THE_KEY_IS
    assert "Termii dashboard" in WHERE_THE_KEY_IS
    status = dialog.key_status_label.text()
    assert "No key is stored yet" in status and "GNOME Keyring (your login keyring)" in status
    assert "SecretService" not in visible_texts(dialog)  # the library's word for it, not the agent's
    assert not dialog.remove_key_button.isVisible()
    QApplication.processEvents()
    assert dialog.grab().save(str(screenshot_dir / "settings-first-key.png"))


def test_a_stored_key_is_named_never_shown_and_can_be_replaced_or_removed(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, screenshot_dir: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    from termii_desk.core.words import PASTE_KEY, REPLACE_KEY

    backend = GnomeKeyring()
    services = make_services(simulator.url, key=None, backend=backend)
    services.keystore.set("stored-key-ab12cd")
    services.key_status = services.keystore.status()
    dialog = open_dialog(qtbot, services, ThreadExecutor())
    status = dialog.key_status_label.text()
    assert "ending …12cd" in status and "GNOME Keyring" in status and "replace" in status
    assert "stored-key" not in visible_texts(dialog) and dialog.key_edit.text() == ""  # never shown
    assert dialog.key_edit.placeholderText() == REPLACE_KEY and not dialog.key_hint.isVisible()
    assert dialog.remove_key_button.isVisible()
    QApplication.processEvents()
    assert dialog.grab().save(str(screenshot_dir / "settings-key-stored.png"))

    asked: list[bool] = []
    monkeypatch.setattr(dialog, "confirm_remove_key", lambda: asked.append(False) or False)
    dialog.remove_key_button.click()
    assert asked and backend.passwords  # not confirmed: nothing removed
    monkeypatch.setattr(dialog, "confirm_remove_key", lambda: True)
    with qtbot.waitSignal(dialog.key_removed, timeout=10_000):
        dialog.remove_key_button.click()
    assert backend.passwords == {} and dialog.isVisible()
    assert "No key is stored yet" in dialog.key_status_label.text()
    assert dialog.key_edit.placeholderText() == PASTE_KEY and not dialog.remove_key_button.isVisible()


def test_removing_the_key_in_settings_brings_the_window_back_to_first_run(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, open_window: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    services = make_services(simulator.url)
    window = open_window(services)
    window.settings_action.trigger()
    dialog = window.settings_dialog
    monkeypatch.setattr(dialog, "confirm_remove_key", lambda: True)
    dialog.remove_key_button.click()
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.first_run, timeout=10_000)
    assert services.keystore.get() is None


def test_advanced_settings_wait_behind_a_section_that_keeps_their_values(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, screenshot_dir: Path
) -> None:
    from termii_desk.ui import settings_dialog

    settings_dialog._advanced_open = False
    dialog = open_dialog(qtbot, make_services(simulator.url, key=None))
    everyday = ("default_region", "cooldown_seconds", "low_balance_threshold", "history_retention_days")
    for name in Settings.names():
        assert dialog.editor(name).isVisible() == (name in everyday), name
    assert dialog.key_edit.isVisible() and not dialog.advanced_group.isVisible()

    # By keyboard: Tab reaches the section's button, Space opens it.
    assert dialog.advanced_button.focusPolicy() & Qt.FocusPolicy.TabFocus
    dialog.advanced_button.setFocus()
    qtbot.keyClick(dialog.advanced_button, Qt.Key.Key_Space)
    assert dialog.advanced_group.isVisible() and dialog.editor("base_url").isVisible()
    timeout = dialog.editor("read_timeout")
    assert isinstance(timeout, QDoubleSpinBox)
    timeout.setValue(45.0)
    QApplication.processEvents()
    assert dialog.grab().save(str(screenshot_dir / "settings-advanced.png"))
    qtbot.keyClick(dialog.advanced_button, Qt.Key.Key_Space)
    assert not dialog.advanced_group.isVisible()
    assert dialog.candidate_settings().read_timeout == 45.0  # closed, not lost

    # A refused value behind the closed section: Save opens it and puts the cursor there.
    base_url = dialog.editor("base_url")
    assert isinstance(base_url, QLineEdit)
    base_url.setText("http://example.com")
    with qtbot.assertNotEmitted(dialog.saved):
        dialog.on_save_clicked()
    assert dialog.advanced_group.isVisible() and base_url.hasFocus() and "https://" in dialog.error_label.text()
    settings_dialog._advanced_open = False


def test_the_next_settings_opens_advanced_as_the_agent_left_it(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    from termii_desk.ui import settings_dialog

    settings_dialog._advanced_open = False
    services = make_services(simulator.url)
    first = open_dialog(qtbot, services)
    first.advanced_button.click()
    first.reject()
    again = open_dialog(qtbot, services)
    assert again.advanced_group.isVisible()
    again.advanced_button.click()
    assert not open_dialog(qtbot, services).advanced_group.isVisible()


def field_columns(dialog: SettingsDialog) -> set[int]:
    from PySide6.QtCore import QPoint

    editors = [dialog.key_edit, *(dialog.editor(name) for name in Settings.names())]
    return {editor.mapTo(dialog, QPoint(0, 0)).x() for editor in editors if editor.isVisible()}


@pytest.mark.parametrize("palette", ["light", "dark"])
def test_fields_line_up_in_one_column_across_sections_at_the_minimum_size(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices, screenshot_dir: Path, palette: str,
    request: pytest.FixtureRequest
) -> None:
    from PySide6.QtWidgets import QLabel

    if palette == "dark":
        request.getfixturevalue("dark_app")
    dialog = open_dialog(qtbot, make_services(simulator.url, key=None, backend=GnomeKeyring()))
    dialog.set_advanced_open(True)
    QApplication.processEvents()
    assert len(field_columns(dialog)) == 1, field_columns(dialog)
    if palette == "dark":
        assert dialog.grab().save(str(screenshot_dir / "settings-dark.png"))
    dialog.resize(dialog.minimumSizeHint())
    QApplication.processEvents()
    assert len(field_columns(dialog)) == 1
    for label in dialog.findChildren(QLabel):
        if label.isVisible() and label.wordWrap() and label.text():
            assert label.height() >= label.heightForWidth(label.width()), label.text()  # no label cut off
    for name in Settings.names():
        editor = dialog.editor(name)
        assert editor.visibleRegion().boundingRect().size() == editor.size(), name  # nor a field
    if palette == "light":
        assert dialog.grab().save(str(screenshot_dir / "settings-minimum-size.png"))


SCALED_SETTINGS = '''
import sys
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication
app = QApplication([])
from termii_desk.core.bootstrap import RunOptions, build_desk
from termii_desk.core.paths import AppPaths
from termii_desk.core.settings import Settings
from termii_desk.ui.settings_dialog import SettingsDialog
from termii_desk.ui.worker import InlineExecutor
from tests.fakes import MemoryKeyring
backend = MemoryKeyring()
backend.name = "SecretService Keyring"
services = build_desk(AppPaths.from_environment(), RunOptions(), keyring_backend=backend, connect_now=False)
dialog = SettingsDialog(services, InlineExecutor())
dialog.show()
dialog.set_advanced_open(True)
for _ in range(5):
    app.processEvents()
editors = [dialog.key_edit, *(dialog.editor(name) for name in Settings.names())]
columns = {e.mapTo(dialog, QPoint(0, 0)).x() for e in editors if e.isVisible()}
image = dialog.grab()
image.save(sys.argv[1])
print(image.devicePixelRatio(), len(columns))
services.close()
'''


def test_settings_at_one_and_a_half_scale(screenshot_dir: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": "1.5",
           "TERMII_DESK_HOME": str(tmp_path / "home"), "PYTHONPATH": str(root)}
    env.pop("TERMII_API_KEY", None)
    done = subprocess.run([sys.executable, "-c", SCALED_SETTINGS, str(screenshot_dir / "settings-scale-1.5.png")],
                          env=env, capture_output=True, text=True, timeout=120, check=False, cwd=root)
    assert done.returncode == 0, done.stderr
    ratio, columns = done.stdout.split()[-2:]
    assert float(ratio) == 1.5 and columns == "1"


def test_tab_goes_down_the_dialog_as_the_eye_does(
    qtbot: Any, simulator: TermiiSimulator, make_services: MakeServices
) -> None:
    from termii_desk.ui import settings_dialog

    settings_dialog._advanced_open = False
    services = make_services(simulator.url, backend=GnomeKeyring())
    dialog = open_dialog(qtbot, services)
    dialog.activateWindow()
    dialog.set_advanced_open(True)
    wanted = [dialog.key_edit, dialog.show_key_button, dialog.test_button, dialog.remove_key_button,
              *(dialog.editor(n) for n in settings_dialog.EVERYDAY_SETTINGS), dialog.advanced_button,
              dialog.editor("base_url"), *(dialog.editor(n) for n in Settings.names()
                                           if n not in settings_dialog.EVERYDAY_SETTINGS and n != "base_url"),
              dialog.save_button]
    dialog.key_edit.setFocus()
    qtbot.waitUntil(dialog.key_edit.hasFocus, timeout=5000)
    seen = []
    for _ in wanted:
        focused = QApplication.focusWidget()
        seen.append(next((w for w in wanted if focused is w or w.isAncestorOf(focused)), focused))
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
    assert seen == wanted
    settings_dialog._advanced_open = False
