"""The Settings dialog: the API key (kept in the keyring), "Test key", and every setting with its check.

The settings rows are built from the ``Settings`` declarations (label, type, default), so a new setting
appears here without new code; only a few get a tailored editor. What a first run needs (the key, the default
country, the calls' everyday settings) is shown; the connection, files and team history wait behind a collapsed
"Advanced" section. Every section's labels share one width, so the fields line up in one column. Keyring and
network work runs through the worker layer; when no keyring works, the dialog says what to do and offers a
session-only key. The keyring is named as the agent's system calls it (core.words.keyring_words).
"""

from __future__ import annotations

import logging
import os
from dataclasses import fields
from functools import lru_cache
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from termii_desk.core.bootstrap import DeskServices, check_key, store_key
from termii_desk.core.endpoints import normalise_base_url
from termii_desk.core.errors import ConfigError, DeskError, KeyringUnavailableError
from termii_desk.core.keystore import KeyStatus
from termii_desk.core.results import BalanceResult
from termii_desk.core.settings import Settings
from termii_desk.core.words import PASTE_KEY, REPLACE_KEY, WHERE_THE_KEY_IS, keyring_words
from termii_desk.ui.fields import enable_clear_button
from termii_desk.ui.tones import MARKS, Tone, ToneLabel
from termii_desk.ui.worker import Executor, QueryOp

log = logging.getLogger(__name__)

SESSION_ONLY_TEXT = "Use this key for this session only (kept in memory, never written anywhere)"
# Shown from the start: what a first run needs. The rest (connection, files, team) is under "Advanced".
EVERYDAY_SETTINGS = ("default_region", "cooldown_seconds", "low_balance_threshold", "history_retention_days")
ACCOUNT_SETTINGS = ("default_region",)
# The label column is at most this wide (the longest everyday label): longer labels wrap.
LABEL_COLUMN = "Default country for numbers without +"
# Whether "Advanced" was left open: the next Settings of this session opens the same way.
_advanced_open = False


@lru_cache(maxsize=1)
def region_choices() -> tuple[tuple[str, str], ...]:
    """(code, "Nigeria (NG)") for every region libphonenumber knows, sorted by name."""
    from termii_desk.core.countries import REGION_NAMES
    from termii_desk.core.validation import phone_library

    choices = []
    for region in phone_library().SUPPORTED_REGIONS:
        name = REGION_NAMES.get(region, "")
        choices.append((region, f"{name} ({region})" if name else region))
    return tuple(sorted(choices, key=lambda choice: choice[1].lower()))


class SettingsDialog(QDialog):
    """API key, base URL, default country, timeouts, cooldown, low-balance threshold and the rest.

    Signals:
        saved(object, bool): the new ``Settings`` and whether the key changed; emitted once, on Save.
        key_removed(): "Remove key…" deleted the stored key.
    """

    saved = Signal(object, bool)
    key_removed = Signal()  # the stored key was deleted (at once, not on Save): the window goes back to first run

    def __init__(self, services: DeskServices, executor: Executor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # With profiles, what is edited here is one profile's: its name is in the title and on its group.
        named = services.profiles is not None and not services.demo
        self.setWindowTitle(f"Termii Desk Settings — {services.profile.name}" if named else "Termii Desk Settings")
        self.setModal(True)
        self._services = services
        self._executor = executor
        self._editors: dict[str, QWidget] = {}
        self._working = False
        self._key_status = services.key_status

        self.key_edit = QLineEdit(self)
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText(PASTE_KEY)
        self.key_edit.setAccessibleName("Termii API key")
        enable_clear_button(self.key_edit, "Clear the API key field")
        self.show_key_button = QToolButton(self)
        self.show_key_button.setText("Show")
        self.show_key_button.setCheckable(True)
        self.show_key_button.setAccessibleName("Show the API key")
        self.show_key_button.setToolTip("Show or hide the key you typed")
        self.key_hint = ToneLabel(WHERE_THE_KEY_IS, self)
        self.key_status_label = QLabel("", self)
        self.key_status_label.setWordWrap(True)
        self.keyring_problem = ToneLabel("", self, tone=Tone.WARNING)
        self.keyring_problem.hide()
        self.session_only = QCheckBox(SESSION_ONLY_TEXT, self)
        self.session_only.setAccessibleName("Use the key for this session only")
        self.session_only.hide()
        self.test_button = QPushButton("&Test key", self)
        self.test_button.setAccessibleName("Test the key against the balance endpoint")
        self.test_button.setToolTip("Check the key (typed, or stored) with a balance request")
        self.test_result = ToneLabel("", self, caption="Key test")
        self.remove_key_button = QPushButton("&Remove key…", self)
        self.remove_key_button.setAccessibleName("Remove the stored API key")
        self.remove_key_button.setToolTip("Delete the key from the keyring (asks first)")
        self.remove_key_button.hide()

        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.show_key_button)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        test_row.addWidget(self.test_result, 1)
        test_row.addWidget(self.remove_key_button, 0, Qt.AlignmentFlag.AlignTop)
        # One column for everything about the key, so the wrapped sentences get the full width.
        key_column = QVBoxLayout()
        key_column.setSpacing(6)
        key_column.addLayout(key_row)
        key_column.addWidget(self.key_hint)
        key_column.addWidget(self.key_status_label)
        key_column.addWidget(self.keyring_problem)
        key_column.addWidget(self.session_only)
        key_column.addLayout(test_row)

        self._row_labels: list[QLabel] = []
        self.account_group = QGroupBox(f"Termii account of the profile {services.profile.name}" if named
                                       else "Termii account", self)
        account_form = self._form(self.account_group)
        key_label = QLabel("API &key", self)
        key_label.setBuddy(self.key_edit)
        self._row_labels.append(key_label)
        account_form.addRow(key_label, key_column)
        self._add_setting_rows(account_form, ACCOUNT_SETTINGS)

        self.calls_group = QGroupBox("Calls and history", self)
        calls_form = self._form(self.calls_group)
        self._add_setting_rows(calls_form, tuple(n for n in EVERYDAY_SETTINGS if n not in ACCOUNT_SETTINGS))

        # Rarely changed: behind a collapsed section, its values kept (and checked on Save) while it is closed.
        self.advanced_button = QToolButton(self)
        self.advanced_button.setText("&Advanced: base URL, timeouts, certificates, team history")
        self.advanced_button.setCheckable(True)
        self.advanced_button.setAutoRaise(True)
        self.advanced_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_button.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.advanced_button.setAccessibleName("Advanced settings")
        self.advanced_group = QGroupBox(self)  # untitled: the button above names it
        advanced_form = self._form(self.advanced_group)
        self.base_url_status = ToneLabel("", self, caption="Base URL")
        self._add_setting_rows(advanced_form, ("base_url",))
        advanced_form.addRow("", self.base_url_status)
        self._advanced = tuple(n for n in Settings.names() if n not in EVERYDAY_SETTINGS)
        self._add_setting_rows(advanced_form, tuple(n for n in self._advanced if n != "base_url"))
        self.advanced_group.hide()
        self._align_label_columns()

        self.error_label = ToneLabel("", self, tone=Tone.BAD)
        self.error_label.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)

        layout = self._layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self.account_group)
        layout.addWidget(self.calls_group)
        layout.addWidget(self.advanced_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.advanced_group)
        if services.demo or services.settings_store is None:
            note = ToneLabel("Demo mode: the simulator's key is used, and changes here last until you close the "
                             "window.", self, tone=Tone.WARNING)
            layout.addWidget(note)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        self._load(services.settings, services.key_status)
        self._connect_signals()
        self.resize(max(640, self.sizeHint().width()), self.sizeHint().height())
        self.set_advanced_open(_advanced_open or services.settings.base_url_problem is not None)
        self._fit_height()

    # -- building -------------------------------------------------------------------------------------

    @staticmethod
    def _form(group: QGroupBox) -> QFormLayout:
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return form

    def _align_label_columns(self) -> None:
        """One label width for every section, so the fields of all of them start at the same x; a label longer
        than ``LABEL_COLUMN`` wraps onto a second line rather than squeezing every field."""
        metrics = self.fontMetrics()
        cap = metrics.horizontalAdvance(LABEL_COLUMN)
        width = min(cap, max(metrics.horizontalAdvance(label.text().replace("&", "")) for label in self._row_labels))
        for label in self._row_labels:
            label.setWordWrap(True)
            label.setFixedWidth(width + 2)
            label.setMinimumHeight(label.heightForWidth(width + 2))  # a form's row would not grow for it

    def _add_setting_rows(self, form: QFormLayout, names: tuple[str, ...]) -> None:
        specs = {spec.name: spec for spec in fields(Settings)}
        for name in names:
            editor = self._make_editor(name, specs[name].default)
            editor.setAccessibleName(Settings.label(name))
            editor.setObjectName(name)
            label = QLabel(Settings.label(name), self)
            label.setBuddy(editor)
            self._row_labels.append(label)
            form.addRow(label, editor)
            self._editors[name] = editor

    def _make_editor(self, name: str, default: Any) -> QWidget:
        if name == "default_region":
            combo = QComboBox(self)
            for code, text in region_choices():
                combo.addItem(text, code)
            combo.setMaxVisibleItems(20)
            return combo
        spec = Settings.spec(name)  # the range is the setting's own: the one its loading checks too
        if isinstance(default, float):
            spin = QDoubleSpinBox(self)
            spin.setDecimals(spec.decimals)
            spin.setRange(spec.minimum if spec.minimum is not None else 0.0,
                          spec.maximum if spec.maximum is not None else 1e9)
            spin.setGroupSeparatorShown(True)
            return spin
        if isinstance(default, int):
            int_spin = QSpinBox(self)
            int_spin.setRange(int(spec.minimum if spec.minimum is not None else 0),
                              int(spec.maximum if spec.maximum is not None else 2**31 - 1))
            return int_spin
        line = QLineEdit(self)
        if name == "base_url":
            line.setPlaceholderText("https://api.ng.termii.com")
        if name == "ca_bundle":
            line.setPlaceholderText("Only if a proxy inspects TLS: a PEM file")
        if name == "history_url":
            line.setPlaceholderText("postgresql://agent@host/database")
            line.setToolTip("Empty: history stays on this computer. For a team's shared history, the PostgreSQL "
                            "URL without a password (store that with `termii-desk team password set`).")
        return line

    def _load(self, settings: Settings, status: KeyStatus) -> None:
        for name, editor in self._editors.items():
            self._set_value(editor, getattr(settings, name))
        self.show_key_status(status)
        self.on_base_url_changed(settings.base_url)
        if self._services.demo:
            for widget in (self.key_edit, self.show_key_button, self.session_only):
                widget.setEnabled(False)
            self.key_edit.setPlaceholderText("Demo mode uses the simulator's key")

    @staticmethod
    def _set_value(editor: QWidget, value: Any) -> None:
        if isinstance(editor, QComboBox):
            index = editor.findData(value)
            editor.setCurrentIndex(max(0, index))
        elif isinstance(editor, QDoubleSpinBox | QSpinBox):
            editor.setValue(value)
        elif isinstance(editor, QLineEdit):
            editor.setText(str(value))

    @staticmethod
    def _value(editor: QWidget) -> Any:
        if isinstance(editor, QComboBox):
            return editor.currentData()
        if isinstance(editor, QDoubleSpinBox | QSpinBox):
            return editor.value()
        assert isinstance(editor, QLineEdit)
        return editor.text()

    def _connect_signals(self) -> None:
        self.show_key_button.toggled.connect(self.on_show_key_toggled)
        self.advanced_button.toggled.connect(self.set_advanced_open)
        self.advanced_button.clicked.connect(_remember_advanced)  # the agent's choice, not an automatic opening
        self.remove_key_button.clicked.connect(self.on_remove_key_clicked)
        self.test_button.clicked.connect(self.on_test_clicked)
        base_url = self._editors["base_url"]
        assert isinstance(base_url, QLineEdit)
        base_url.textChanged.connect(self.on_base_url_changed)
        self.buttons.accepted.connect(self.on_save_clicked)
        self.buttons.rejected.connect(self.reject)

    # -- reading the form -------------------------------------------------------------------------------

    def editor(self, name: str) -> QWidget:
        return self._editors[name]

    def candidate_settings(self) -> Settings:
        """The settings as typed; raises ``ConfigError`` naming the first bad value."""
        values = {name: self._value(editor) for name, editor in self._editors.items()}
        return self._services.settings.updated(**values)

    def keyring_words(self, status: KeyStatus | None = None) -> str:
        """The keyring this dialog stores the key in, as the agent's system calls it."""
        backend = (status or self._services.key_status).backend
        return keyring_words(backend, os.environ.get("XDG_CURRENT_DESKTOP", ""))

    def show_key_status(self, status: KeyStatus) -> None:
        """What is stored, never the key: a first key gets "Paste your API key" and where to find it; a stored
        key is named by its last four characters, with Replace (paste a new one) and Remove."""
        self._key_status = status
        keyring = self.keyring_words(status)
        if status.source == "keyring":
            text = (f"A key ending …{status.last4} is stored in {keyring}. Paste a new key above to replace it, "
                    "or remove it.")
        elif status.has_key:
            text = status.describe()
        elif status.problem:
            text = ""  # the keyring problem line says it all
        else:
            text = f"No key is stored yet. Save keeps it in {keyring}, never in a file."
        self.key_status_label.setText(text)
        self.key_status_label.setVisible(bool(text))
        if not self._services.demo:
            self.key_edit.setPlaceholderText(REPLACE_KEY if status.has_key else PASTE_KEY)
        self.key_hint.setVisible(not status.has_key and not self._services.demo)
        self.remove_key_button.setVisible(status.source == "keyring" and not self._services.demo)
        if status.problem and not status.has_key:
            self.show_keyring_problem(status.problem)

    def show_keyring_problem(self, sentence: str) -> None:
        """No keyring works: say why, and offer to keep the key in memory for this session."""
        self.keyring_problem.setText(MARKS[Tone.WARNING] + sentence)
        self.keyring_problem.show()
        self.session_only.show()
        self._fit_height()

    # -- slots --------------------------------------------------------------------------------------------

    @Slot(bool)
    def set_advanced_open(self, shown: bool) -> None:
        """Show or hide the advanced settings; their values stay as typed either way."""
        if self.advanced_button.isChecked() != shown:
            self.advanced_button.setChecked(shown)  # comes back here through toggled
            return
        self.advanced_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.advanced_group.setVisible(shown)
        if shown:
            self._fit_height()
        else:
            self._shrink_height()

    @Slot()
    def on_remove_key_clicked(self) -> None:
        if self._working or not self.confirm_remove_key():
            return
        keystore = self._services.keystore
        self._set_working(True)

        def remove() -> KeyStatus:
            keystore.delete()
            return keystore.status()

        QueryOp(parent=self, op=remove, success=self.on_key_removed).failure(
            self.on_key_remove_failed
        ).run_in_background(self._executor)

    def confirm_remove_key(self) -> bool:
        answer = QMessageBox.question(
            self, "Remove the API key?",
            f"Remove the API key from {self.keyring_words()}? The desk cannot send calls until a key is added "
            "again.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def on_key_removed(self, status: KeyStatus) -> None:
        self._set_working(False)
        self.test_result.show_text("", Tone.NEUTRAL)
        self.show_key_status(status)
        self.key_edit.setFocus()
        self._fit_height()
        self.key_removed.emit()

    def on_key_remove_failed(self, error: BaseException) -> None:
        self._set_working(False)
        self._show_error("The key was not removed: " + _sentence(error))

    @Slot(bool)
    def on_show_key_toggled(self, shown: bool) -> None:
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.show_key_button.setText("Hide" if shown else "Show")

    @Slot(str)
    def on_base_url_changed(self, text: str) -> None:
        try:
            normalised = normalise_base_url(text)
        except ConfigError as exc:
            self.base_url_status.show_text(MARKS[Tone.BAD] + str(exc), Tone.BAD)
            return
        shown = normalised if normalised != text.strip() else ""
        self.base_url_status.show_text(f"{MARKS[Tone.GOOD]}Will use {shown}" if shown else MARKS[Tone.GOOD] + "OK",
                                       Tone.GOOD)

    @Slot()
    def on_test_clicked(self) -> None:
        try:
            settings = self.candidate_settings()
        except ConfigError as exc:
            self.test_result.show_text(MARKS[Tone.BAD] + str(exc), Tone.BAD)
            return
        key, keystore = self.key_edit.text(), self._services.keystore
        self.test_button.setEnabled(False)
        self.test_result.show_text("Asking Termii for the balance…", Tone.NEUTRAL)
        QueryOp(parent=self, op=lambda: check_key(settings, key, keystore), success=self.on_key_tested).failure(
            self.on_key_test_failed
        ).run_in_background(self._executor)

    def on_key_tested(self, result: BalanceResult) -> None:
        self.test_button.setEnabled(True)
        balance = result.balance.display(result.currency or "") if result.balance else "not given"
        account = f" for {result.user}" if result.user else ""
        self.test_result.show_text(f"{MARKS[Tone.GOOD]}The key works{account}. Balance: {balance}.", Tone.GOOD)
        self._fit_height()

    def on_key_test_failed(self, error: BaseException) -> None:
        self.test_button.setEnabled(True)
        self.test_result.show_text(MARKS[Tone.BAD] + _sentence(error), Tone.BAD)
        self._fit_height()

    @Slot()
    def on_save_clicked(self) -> None:
        if self._working:
            return
        try:
            settings = self.candidate_settings()
        except ConfigError as exc:
            self._show_error(str(exc))
            self._show_editor(self._first_bad_setting())
            return
        key = self.key_edit.text().strip()
        if not key or self._services.demo:
            self._finish(settings, key_changed=False)
        elif self.session_only.isChecked():
            self._services.keystore.use_for_session(key)
            self._finish(settings, key_changed=True)
        else:
            self._set_working(True)
            keystore = self._services.keystore
            QueryOp(parent=self, op=lambda: store_key(keystore, key),
                    success=lambda status: self.on_key_stored(settings, status)).failure(
                self.on_key_store_failed
            ).run_in_background(self._executor)

    def on_key_stored(self, settings: Settings, status: KeyStatus) -> None:
        self._set_working(False)
        self.show_key_status(status)
        self._finish(settings, key_changed=True)

    def on_key_store_failed(self, error: BaseException) -> None:
        self._set_working(False)
        if isinstance(error, KeyringUnavailableError):
            self.show_keyring_problem(str(error))
            self._show_error("The key was not saved. Tick “use this key for this session only” to use it until you "
                             "close the window, or fix the keyring and save again.")
        else:
            self._show_error(_sentence(error))

    # -- helpers --------------------------------------------------------------------------------------------

    def _first_bad_setting(self) -> str | None:
        for name, editor in self._editors.items():
            try:
                self._services.settings.updated(**{name: self._value(editor)})
            except ConfigError:
                return name
        return None

    def _show_editor(self, name: str | None) -> None:
        """Bring the editor of a refused value into view (opening "Advanced" if it is there) and focus it."""
        if name is None:
            return
        if name in self._advanced:
            self.set_advanced_open(True)
        self._editors[name].setFocus()

    def resizeEvent(self, event: Any) -> None:
        """At any width, never shorter than its wrapped sentences need (a dialog's minimum size ignores them)."""
        super().resizeEvent(event)
        layout = self._layout
        if layout.hasHeightForWidth():
            needed = layout.totalHeightForWidth(self.width())
            if needed != self.minimumHeight():
                self.setMinimumHeight(needed)

    def _shrink_height(self) -> None:
        layout = self._layout
        layout.activate()
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else self.sizeHint().height()
        if 0 < needed < self.height():
            self.resize(self.width(), needed)

    def _fit_height(self) -> None:
        """Grow to fit wrapped sentences: a dialog's size hint ignores their height at its width."""
        layout = self._layout
        layout.activate()
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else -1
        if needed > self.height():
            self.resize(self.width(), needed)

    def _finish(self, settings: Settings, *, key_changed: bool) -> None:
        self.error_label.hide()
        self.saved.emit(settings, key_changed)
        self.accept()

    def _show_error(self, sentence: str) -> None:
        self.error_label.setText(MARKS[Tone.BAD] + sentence)
        self.error_label.show()
        self._fit_height()

    def _set_working(self, working: bool) -> None:
        self._working = working
        self.save_button.setEnabled(not working)
        self.save_button.setText("Saving…" if working else "Save")


def _remember_advanced(shown: bool) -> None:
    global _advanced_open
    _advanced_open = shown


def _sentence(error: BaseException) -> str:
    if isinstance(error, DeskError):
        return str(error)
    log.error("unexpected error in the settings dialog", exc_info=error)
    return "Something unexpected went wrong; the details are in the log file."
