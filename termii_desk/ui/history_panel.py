"""The history panel: every call attempt in a table, filtered by phone number, with the selected attempt's details.

It reads history only through ``HistoryModel`` (and so ``HistoryStore``); it never writes. It follows the
desk's attempts through its slots ``on_attempt_started`` (shown as "Sending…" while Termii answers) and
``on_attempt_finished``, connected by the window to the controller's signals.
Given the window's executor, the model reads on it (every read after the first page, with the rows' texts):
the count and the selection follow when the rows arrive (``HistoryModel.reloaded``).
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, QPoint, QRect, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QContextMenuEvent, QGuiApplication, QKeyEvent, QKeySequence, QMouseEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from termii_desk.core.formatting import display_text
from termii_desk.core.history import HistoryRow, HistoryStore
from termii_desk.core.validation import MAX_INPUT_LENGTH
from termii_desk.core.words import count_of_calls
from termii_desk.ui.fields import EscClearsLineEdit
from termii_desk.ui.history_model import (
    SENDING_TEXT,
    SENDING_TOOLTIP,
    HistoryModel,
    display_phone,
    outcome_text,
    short_local_time,
)
from termii_desk.ui.worker import Executor

if TYPE_CHECKING:
    from termii_desk.core.desk import CallAttempt

EMPTY_TEXT = "No calls yet: each call you send appears here."
NO_SELECTION_TEXT = "Select a call to see Termii's answer and how it went."
FILTER_DELAY_MS = 150
WARM_UP_ROWS = 50  # more than a screenful of rows
_NONE = "—"
DETAIL_LIMIT = 300  # characters of one stored value in the details

# What the widest usual value of each column looks like, to size columns without measuring every row.
_COLUMN_SAMPLES = {
    HistoryModel.TIME: ("28 Nov 2024 14:05:33",),
    HistoryModel.PHONE: ("+234 803 123 4567",),
    HistoryModel.CODE: ("••••••56",),
    HistoryModel.OUTCOME: ("Refused", "Unknown", SENDING_TEXT),
    HistoryModel.MESSAGE_ID: ("3017694584737030299856628",),  # real ids are ~25 digits
    HistoryModel.BALANCE: ("99,999.50 NGN",),  # the last column stretches, unless the profile one is shown
}


class HistoryTable(QTableView):
    """The history table, with the keys an agent uses on the current row.

    The context menu (right click, the Menu key, Shift+F10) is asked for on the row it is about: the clicked
    row, or from the keyboard the current row. Enter means "use this number"; Ctrl+C copies the number, or the
    message id in that column.

    Signals:
        menu_requested(QModelIndex, QPoint): open the menu for this row at this global position.
        activated_row(QModelIndex): Enter or double click on a row.
        copy_requested(QModelIndex): Ctrl+C on the current row.
    """

    menu_requested = Signal(QModelIndex, QPoint)
    activated_row = Signal(QModelIndex)
    copy_requested = Signal(QModelIndex)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if event.reason() == QContextMenuEvent.Reason.Mouse:
            index = self.indexAt(event.pos())
            position = event.globalPos()
        else:
            index = self.currentIndex()
            if not index.isValid():
                selected = self.selectionModel().selectedRows()
                index = selected[0] if selected else QModelIndex()
            rect = self.visualRect(index)
            position = self.viewport().mapToGlobal(rect.bottomLeft() + QPoint(12, 0))
        if index.isValid():
            self.menu_requested.emit(index, position)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        index = self.currentIndex()
        if index.isValid() and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers() & (
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
            self.activated_row.emit(index)
            event.accept()
            return
        if index.isValid() and event.matches(QKeySequence.StandardKey.Copy):
            self.copy_requested.emit(index)
            event.accept()
            return
        super().keyPressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        super().mouseDoubleClickEvent(event)
        index = self.currentIndex()
        if index.isValid():
            self.activated_row.emit(index)


class HistoryPanel(QWidget):
    """Filter box, history table, row count and details of the selected attempt.

    The panel has no outer margins: the layout it is put in provides them. ``model`` is its ``HistoryModel``;
    ``executor`` (optional) is where it reads history after the first page.

    Signals:
        use_number_requested(str): the agent chose "Use this number" on an attempt; carries "+<digits>".
        export_requested(): the agent pressed Export (the window asks where, the controller writes the file).
    """

    use_number_requested = Signal(str)
    export_requested = Signal()

    def __init__(self, store: HistoryStore, parent: QWidget | None = None, *, executor: Executor | None = None) -> None:
        super().__init__(parent)
        # The store's profile (the account in use): its rows are shown, or every profile's when chosen.
        self._profile: str | None = getattr(store, "profile", None)
        self.model = HistoryModel(store, self, executor=executor, profile=self._profile)
        self._keep_id: int | None = None  # the attempt to select again once the reload asked for is done

        self.scope_combo = QComboBox(self)
        self.scope_combo.setAccessibleName("Whose calls")
        self.scope_combo.setToolTip("This profile's calls, or every profile's")
        self.scope_combo.addItem(f"This profile ({self._profile})" if self._profile else "This profile")
        self.scope_combo.addItem("All profiles")
        self.export_button = QPushButton("E&xport…", self)
        self.export_button.setAccessibleName("Export the calls shown to a CSV file")
        self.export_button.setToolTip("Save the calls shown (filter and profile as chosen) as a CSV file")

        self.filter_edit: QLineEdit = EscClearsLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter by phone number")
        self.filter_edit.setAccessibleName("Filter history by phone number")
        self.filter_edit.setToolTip("Type any part of a number, as in the phone field (0803…, +234 803…, 00234…).")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMaxLength(MAX_INPUT_LENGTH)

        self.count_label = QLabel(self)
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self.problem_label = QLabel(self)
        self.problem_label.setWordWrap(True)
        self.problem_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._problem_icon = QLabel(self)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self._problem_icon.setPixmap(icon.pixmap(size, size))
        self._problem_bar = QWidget(self)
        problem_row = QHBoxLayout(self._problem_bar)
        problem_row.setContentsMargins(0, 0, 0, 0)
        problem_row.addWidget(self._problem_icon, 0, Qt.AlignmentFlag.AlignTop)
        problem_row.addWidget(self.problem_label, 1)
        self._problem_bar.hide()

        self.table = HistoryTable(self)
        self.table.setAccessibleName("Call history")
        self.table.setModel(self.model)
        self._set_up_table()

        self.empty_label = QLabel(EMPTY_TEXT, self)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        # Framed like the table it stands in for, so nothing moves when the first attempt arrives.
        self.empty_label.setFrameShape(QFrame.Shape.StyledPanel)
        self.empty_label.setAutoFillBackground(True)
        self.empty_label.setBackgroundRole(QPalette.ColorRole.Base)
        self.empty_label.setMargin(12)

        self._stack = QStackedWidget(self)
        self._stack.addWidget(self.table)
        self._stack.addWidget(self.empty_label)

        self.details_label = QLabel(NO_SELECTION_TEXT, self)
        self.details_label.setAccessibleName("Attempt details")
        self.details_label.setTextFormat(Qt.TextFormat.RichText)
        self.details_label.setWordWrap(True)
        self.details_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.details_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.details_label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Tab stops here: select, copy by keyboard
        self.details_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        # Room for the heading, two rows of fields and an error line: the table does not jump on selection.
        self.details_label.setMinimumHeight(self.fontMetrics().lineSpacing() * 4 + 4)
        self._details_frame = QFrame(self)
        self._details_frame.setFrameShape(QFrame.Shape.StyledPanel)
        details_box = QVBoxLayout(self._details_frame)
        details_box.setContentsMargins(8, 6, 8, 6)
        details_box.addWidget(self.details_label)

        self.copy_message_id_action = QAction("Copy message id", self)
        self.copy_phone_action = QAction("Copy phone number", self)
        self.use_number_action = QAction("Use this number", self)
        self.use_number_action.setToolTip("Put this number in the phone field")
        self.context_menu = QMenu(self)
        self.context_menu.addActions([self.copy_message_id_action, self.copy_phone_action])
        self.context_menu.addSeparator()
        self.context_menu.addAction(self.use_number_action)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)

        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.scope_combo)
        top.addSpacing(12)
        top.addWidget(self.count_label)
        top.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self._problem_bar)
        layout.addWidget(self._stack, 1)
        layout.addWidget(self._details_frame)
        self.setTabOrder(self.filter_edit, self.scope_combo)
        self.setTabOrder(self.scope_combo, self.export_button)
        self.setTabOrder(self.export_button, self.table)
        self.setTabOrder(self.table, self.details_label)

        self._connect_signals()
        self.refresh()

    # -- public API ---------------------------------------------------------------------------------

    @Slot(int)
    def on_scope_changed(self, index: int) -> None:
        self._remember_selection()
        self.table.setColumnHidden(HistoryModel.PROFILE, index == 0)
        self.model.set_profile(self._profile if index == 0 else None)

    @property
    def all_profiles(self) -> bool:
        return self.scope_combo.currentIndex() == 1

    def refresh(self) -> None:
        """Reload from the newest attempt and recount; the selected attempt stays selected if still loaded."""
        self._remember_selection()
        self.model.refresh()

    def lay_out_hidden(self, width: int) -> None:
        """While hidden (before ``warm_up``): polish, size and lay out the panel about as it will be shown."""
        if self.isHidden():
            self.ensurePolished()
            self.resize(max(width, 200), max(self.sizeHint().height(), 200))
            # The layout does not run while hidden: give the table a size of its own (the layout's, once shown).
            rows = self.table.verticalHeader().defaultSectionSize()
            self.table.resize(self.width(), self.table.horizontalHeader().sizeHint().height() + 4 * rows)

    def warm_up(self) -> None:
        """Make the first screenful's texts and paint one row of the table off-screen, hidden or not.

        Both are first-use costs of the table's first paint, paid here in a turn of their own: the texts ~4 ms
        (phone formatting, local times); Qt's first paint of any table view 10-15 ms in a bare process, though
        in the desk, after the window's own first paint, this grab measured ~1 ms.
        """
        self.model.prepare_texts(WARM_UP_ROWS)  # the first paint's texts (phone formatting, local times)
        viewport = self.table.viewport()
        viewport.grab(QRect(0, 0, viewport.width(), self.table.verticalHeader().defaultSectionSize()))

    def focus_filter(self) -> None:
        """Put the cursor in the filter box with its text selected, ready to type over."""
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def set_in_flight(self, row_id: int, in_flight: bool) -> None:
        """Show the attempt as "Sending…" while it waits for Termii; clear it once the attempt is completed."""
        self.model.set_in_flight(row_id, in_flight)
        selected = self._selected_row()
        if selected is not None and selected.id == row_id:
            self._show_details()

    def selected_row(self) -> HistoryRow | None:
        """The attempt selected in the table, if any."""
        return self._selected_row()

    # -- slots --------------------------------------------------------------------------------------

    @Slot(object)
    def on_settings_changed(self, settings: object) -> None:
        """The default country: the filter reads national numbers in it, as the phone field does."""
        region = getattr(settings, "default_region", None)
        if isinstance(region, str):
            self.model.set_default_region(region)

    @Slot(int)
    def on_attempt_started(self, row_id: int) -> None:
        """An attempt was recorded and waits for Termii: show it at the top as "Sending…"."""
        self.set_in_flight(row_id, True)
        self.refresh()

    @Slot(object)
    def on_attempt_finished(self, attempt: CallAttempt) -> None:
        """An attempt is complete: re-read that one row (its outcome shows), or reload when it is not shown."""
        if attempt.history_id is not None:
            self.set_in_flight(attempt.history_id, False)
        if attempt.history_id is None or self.model.row_of(attempt.history_id) is None:
            self.refresh()  # not among the rows shown: reload (a whole page and the counts)

    def on_filter_text_changed(self, _text: str) -> None:
        self._filter_timer.start()  # typing restarts the wait: one query when the agent pauses

    def on_filter_timer_timeout(self) -> None:
        self._apply_filter()

    def on_filter_return_pressed(self) -> None:
        self._filter_timer.stop()
        self._apply_filter()

    def on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._show_details()

    def on_model_rows_changed(self) -> None:
        self._update_empty_state()

    def on_model_reloaded(self) -> None:
        self._after_reload(self._keep_id)

    def on_model_problem_changed(self, text: str) -> None:
        self.problem_label.setText(text)
        self._problem_bar.setVisible(bool(text))
        self._update_empty_state()

    def on_table_menu_requested(self, index: QModelIndex, position: QPoint) -> None:
        """The menu acts on the row it was asked for: that row is selected (it already is, from the keyboard)."""
        self._select(index.row())
        self.context_menu.popup(position)

    def on_table_activated_row(self, index: QModelIndex) -> None:
        self._select(index.row())
        self.on_use_number_triggered()

    def on_table_copy_requested(self, index: QModelIndex) -> None:
        """Ctrl+C: the message id in its column (when there is one), else the number as "+<digits>"."""
        row = self.model.row_at(index.row())
        if index.column() == HistoryModel.MESSAGE_ID and row.message_id:
            QGuiApplication.clipboard().setText(row.message_id)
        else:
            QGuiApplication.clipboard().setText("+" + row.phone)

    def on_copy_message_id_triggered(self) -> None:
        row = self._selected_row()
        if row is not None and row.message_id:
            QGuiApplication.clipboard().setText(row.message_id)

    def on_copy_phone_triggered(self) -> None:
        row = self._selected_row()
        if row is not None:
            QGuiApplication.clipboard().setText("+" + row.phone)

    def on_use_number_triggered(self) -> None:
        row = self._selected_row()
        if row is not None:
            self.use_number_requested.emit("+" + row.phone)

    # -- internals ----------------------------------------------------------------------------------

    def _connect_signals(self) -> None:
        self.filter_edit.textChanged.connect(self.on_filter_text_changed)
        self.filter_edit.returnPressed.connect(self.on_filter_return_pressed)
        self._filter_timer.timeout.connect(self.on_filter_timer_timeout)
        self.table.selectionModel().selectionChanged.connect(self.on_selection_changed)
        self.table.menu_requested.connect(self.on_table_menu_requested)
        self.table.activated_row.connect(self.on_table_activated_row)
        self.table.copy_requested.connect(self.on_table_copy_requested)
        self.model.modelReset.connect(self.on_model_rows_changed)
        self.model.rowsInserted.connect(self.on_model_rows_changed)
        self.model.problem_changed.connect(self.on_model_problem_changed)
        self.model.reloaded.connect(self.on_model_reloaded)
        self.copy_message_id_action.triggered.connect(self.on_copy_message_id_triggered)
        self.copy_phone_action.triggered.connect(self.on_copy_phone_triggered)
        self.use_number_action.triggered.connect(self.on_use_number_triggered)
        self.scope_combo.currentIndexChanged.connect(self.on_scope_changed)
        self.export_button.clicked.connect(self.export_requested)

    def _set_up_table(self) -> None:
        table = self.table
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.setCornerButtonEnabled(False)
        table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move between rows
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.DefaultContextMenu)  # HistoryTable.contextMenuEvent
        vertical = table.verticalHeader()
        vertical.hide()
        # Fixed heights: the view never measures rows, which keeps 100,000 rows as quick as 10.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(table.fontMetrics().height() + 10)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        cell = table.fontMetrics()
        heading = header.fontMetrics()
        icon = table.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize) + 6
        for column, samples in _COLUMN_SAMPLES.items():
            width = max(
                *(cell.horizontalAdvance(sample) for sample in samples),
                heading.horizontalAdvance(HistoryModel.HEADERS[column]),
            )
            if column == HistoryModel.OUTCOME:
                width += icon
            table.setColumnWidth(column, width + 28)
        table.setColumnHidden(HistoryModel.PROFILE, self._profile is not None)  # shown with "All profiles"

    def _apply_filter(self) -> None:
        self._remember_selection()
        self.model.set_filter(self.filter_edit.text())  # reloads (now, or on the executor) when the digits differ

    def _remember_selection(self) -> None:
        selected = self._selected_row()
        self._keep_id = selected.id if selected is not None else None

    def _after_reload(self, keep_id: int | None) -> None:
        row = self.model.row_of(keep_id) if keep_id is not None else None
        if row is not None:
            self.table.selectionModel().select(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.table.scrollTo(self.model.index(row, 0))
        self.count_label.setText(self._count_text())
        self._update_empty_state()
        self._show_details()

    def _count_text(self) -> str:
        every = self.model.total(unfiltered=True)
        if every is None:
            return ""
        if not self.model.filter_digits:
            return count_of_calls(every)
        match = self.model.total()
        if match is None:
            return ""
        return f"{match:,} of {every:,} " + ("matches" if match == 1 else "match")

    def _update_empty_state(self) -> None:
        empty = self.model.rowCount() == 0 and not self.model.canFetchMore(QModelIndex())
        if self.model.problem:
            self.empty_label.setText("Nothing to show: history could not be read.")
        elif self.model.filter_digits:
            self.empty_label.setText(f"No calls to numbers containing {self.model.filter_digits}.")
        else:
            self.empty_label.setText(EMPTY_TEXT)
        self._stack.setCurrentWidget(self.empty_label if empty else self.table)
        self._details_frame.setVisible(not empty)

    def _select(self, row: int) -> None:
        index = self.model.index(row, self.table.currentIndex().column() if self.table.currentIndex().isValid() else 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    def _selected_row(self) -> HistoryRow | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.row_at(rows[0].row())

    def _show_details(self) -> None:
        row = self._selected_row()
        for action in (self.copy_phone_action, self.use_number_action):
            action.setEnabled(row is not None)
        self.copy_message_id_action.setEnabled(row is not None and bool(row.message_id))
        if row is None:
            self.details_label.setText(NO_SELECTION_TEXT)
            return
        self.details_label.setText(details_html(row, in_flight=row.id in self.model.in_flight))


def details_html(row: HistoryRow, *, in_flight: bool = False) -> str:
    """The selected attempt's details as rich text; every stored value is escaped."""

    def field(label: str, value: object) -> str:
        text = display_text(value, DETAIL_LIMIT) or _NONE
        return f"<b>{escape(label)}:</b>&nbsp;{escape(text, quote=False)}"

    outcome = SENDING_TEXT if in_flight else outcome_text(row.outcome)
    heading = " · ".join((short_local_time(row.time_utc), display_phone(row.phone),
                          display_text(row.code_masked, DETAIL_LIMIT), outcome))
    error = SENDING_TOOLTIP if in_flight else row.error
    # Who placed it, for an audit: the profile (account), the OS user and the computer, and the app version.
    cells = [
        [field("Termii", row.termii_message), field("HTTP status", row.http_status),
         field("Duration", _duration_text(row.duration_ms))],
        [field("Profile", row.profile), field("OS user", row.os_user), field("Machine", row.machine)],
        [field("Base host", row.base_host), field("App version", row.app_version)],
    ]
    agent = getattr(row, "agent", "")  # a team's shared history: the database role that wrote the row
    if agent:
        cells[2].append(field("Agent", agent))
        if getattr(row, "via_outbox", False):  # recorded on this desk while the shared history was unreachable
            cells.append([field("Shared history", "waiting on this desk" if row.id < 0
                                else "sent later from a desk's outbox")])
    table = "".join(
        "<tr>" + "".join(f'<td style="padding-right: 24px">{cell}</td>' for cell in cell_row) + "</tr>"
        for cell_row in cells
    )
    html = f'<div><b>{escape(heading, quote=False)}</b></div><table cellspacing="0" cellpadding="0">{table}</table>'
    if error:
        html += f"<div>{field('Status' if in_flight else 'Error', error)}</div>"
    return html


def _duration_text(duration_ms: int | None) -> str | None:
    if duration_ms is None:
        return None
    if duration_ms < 1000:
        return f"{duration_ms} ms"
    return f"{duration_ms / 1000:.1f} s"
