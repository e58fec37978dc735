"""The history panel: every call attempt in a table, filtered by phone number, with the selected attempt's details.

It reads history only through ``HistoryModel`` (and so ``HistoryStore``); it never writes. It follows the
desk's attempts through its slots ``on_attempt_started`` (shown as "Sending…" while Termii answers) and
``on_attempt_finished``, connected by the window to the controller's signals.
Given the window's executor, the model reads on it (every read after the first page, with the rows' texts):
the count and the selection follow when the rows arrive (``HistoryModel.reloaded``).
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QDate,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QAction,
    QContextMenuEvent,
    QFocusEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
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
    QTableView,
    QVBoxLayout,
    QWidget,
)

from termii_desk.core.formatting import display_text
from termii_desk.core.history import HistoryRow, HistoryStore
from termii_desk.core.validation import MAX_INPUT_LENGTH
from termii_desk.core.words import count_of_calls
from termii_desk.ui._pyside import own_viewport
from termii_desk.ui.fields import EscClearsLineEdit, enable_clear_button
from termii_desk.ui.history_model import (
    SENDING_TEXT,
    SENDING_TOOLTIP,
    FirstPage,
    HistoryModel,
    display_phone,
    outcome_text,
    short_local_time,
)
from termii_desk.ui.worker import Executor

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDateEdit

    from termii_desk.core.desk import CallAttempt

EMPTY_TEXT = "No calls yet: each call you send appears here."
NEEDS_CHECKING_TEXT = "&Needs checking"
NEEDS_CHECKING_TIP = ("Show only the calls whose outcome is unknown (Alt+N): Termii's answer never arrived, so check "
                      "each one before sending again")
# The dates an agent picks from: (words, days back from today, both days included); None: no bound.
DATE_PRESETS: tuple[tuple[str, int | None], ...] = (
    ("All dates", None), ("Today", 0), ("Last 7 days", 6), ("Last 30 days", 29), ("Custom range…", None),
)
CUSTOM_RANGE = len(DATE_PRESETS) - 1
DATE_FORMAT = "d MMM yyyy"  # "1 Dec 2026": the month in words, never mistaken for another day
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2099, 12, 31)
FOCUS_RING_WIDTH = 2
# The outcome column's icon slot (the dot is smaller, centred in it): set, not asked of the style, whose
# class PySide6 would build with its ~700 enum members, 5 ms of start-up. 16 is the common styles' small icon.
ICON_SLOT = 16
MIN_ROWS = 2  # whole rows the table always has room for, a horizontal scroll bar below them (three or more
# whenever the window has no notices or is taller than its minimum)
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
    message id in that column; Home and End go to the first and last row. While it has the keyboard, the
    current row is outlined (``paintEvent``).

    Signals:
        menu_requested(QModelIndex, QPoint): open the menu for this row at this global position.
        activated_row(QModelIndex): Enter or double click on a row.
        copy_requested(QModelIndex): Ctrl+C on the current row.
    """

    menu_requested = Signal(QModelIndex, QPoint)
    activated_row = Signal(QModelIndex)
    copy_requested = Signal(QModelIndex)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._viewport = own_viewport(self)

    def paintEvent(self, event: QPaintEvent) -> None:
        """The rows, then, while the table has the keyboard, a ring around the current row (what Enter, the Menu
        key and Ctrl+C act on) and a thin line around its current cell (the column Ctrl+C copies)."""
        super().paintEvent(event)
        index = self.currentIndex()
        if not self.hasFocus() or not index.isValid():
            return
        cell = self.visualRect(index)
        if not cell.isValid() or not cell.intersects(event.rect().adjusted(0, -4, 0, 4)):
            return
        right = min(self._viewport.width(), self.horizontalHeader().length() - self.horizontalOffset())
        row = QRect(0, cell.top(), max(right, cell.right() + 1), cell.height())
        selected = self.selectionModel().isRowSelected(index.row(), QModelIndex())
        palette = self.palette()
        # On the selection's colour the ring takes the text's colour (dark on light palettes, light on dark ones);
        # elsewhere the selection's own colour: either way it stands out from the row under it.
        colour = palette.color(QPalette.ColorRole.Text if selected else QPalette.ColorRole.Highlight)
        painter = QPainter(self._viewport)
        half = FOCUS_RING_WIDTH // 2
        painter.setPen(QPen(colour, FOCUS_RING_WIDTH))
        painter.drawRect(row.adjusted(half, half, -half - 1 + FOCUS_RING_WIDTH % 2, -half - 1 + FOCUS_RING_WIDTH % 2))
        painter.setPen(QPen(colour, 1, Qt.PenStyle.DotLine))
        painter.drawRect(cell.adjusted(FOCUS_RING_WIDTH + 1, FOCUS_RING_WIDTH + 1, -FOCUS_RING_WIDTH - 2,
                                       -FOCUS_RING_WIDTH - 2))
        painter.end()

    def sizeHint(self) -> QSize:
        """No taller than its minimum (``MIN_ROWS``): the table takes the room the rest of the window leaves
        (its stretch), and asking for no more lets the notices above it have their few lines before it grows."""
        hint = super().sizeHint()
        return QSize(hint.width(), max(self.minimumHeight(), self.minimumSizeHint().height()))

    def currentChanged(self, current: QModelIndex, previous: QModelIndex) -> None:
        super().currentChanged(current, previous)
        self._viewport.update()  # the ring spans the row: Qt repaints only the two cells

    def focusInEvent(self, event: QFocusEvent) -> None:
        """Reached without a click (Tab, Shift+Tab, a shortcut): ``take_current_row``."""
        had_current = self.currentIndex().isValid()
        super().focusInEvent(event)  # Qt makes the first row current when none was, unselected
        if event.reason() != Qt.FocusReason.MouseFocusReason:  # a click makes the clicked row current itself
            self.take_current_row(keep=had_current)
        self._viewport.update()

    def take_current_row(self, *, keep: bool = True) -> None:
        """With rows and none current, the selected row or else the topmost row in view (the newest, unless the
        agent scrolled) becomes current and selected, so its details show and Enter, the Menu key and Ctrl+C act
        on the row the ring outlines. A row already current stays (selected again if it was not) and the view
        does not scroll. ``keep=False``: the current row is not the agent's (Qt's own default) and is replaced.
        """
        model, selection = self.model(), self.selectionModel()
        if model is None or selection is None or model.rowCount() == 0:
            return
        current = self.currentIndex()
        rows = QItemSelectionModel.SelectionFlag.Rows
        if current.isValid() and keep:
            if not selection.isRowSelected(current.row(), QModelIndex()):
                selection.select(current, QItemSelectionModel.SelectionFlag.ClearAndSelect | rows)
            return
        selected = selection.selectedRows()  # kept across a reload: it becomes the current row
        if selected:
            selection.setCurrentIndex(selected[0], QItemSelectionModel.SelectionFlag.ClearAndSelect | rows)
            return
        top = max(self.rowAt(0), 0)
        if self.rowViewportPosition(top) < 0 and top + 1 < model.rowCount():
            top += 1  # the first row wholly in view
        scrolls = self.hasAutoScroll()
        self.setAutoScroll(False)  # it is in view already: nothing moves
        selection.setCurrentIndex(model.index(top, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | rows)
        self.setAutoScroll(scrolls)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self._viewport.update()

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
            position = self._viewport.mapToGlobal(rect.bottomLeft() + QPoint(12, 0))
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
        if event.key() == Qt.Key.Key_F10 and event.modifiers() == Qt.KeyboardModifier.ShiftModifier:
            # Shift+F10, the other key for a context menu: the same menu as the Menu key's, on the current row.
            self.contextMenuEvent(QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, QPoint()))
            event.accept()
            return
        super().keyPressEvent(event)

    def moveCursor(self, cursorAction: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
                   ) -> QModelIndex:
        """Home and End go to the first and last row (the table reads like a list); Left and Right still move
        between columns (Ctrl+C copies the message id in its column)."""
        if cursorAction in (QAbstractItemView.CursorAction.MoveHome, QAbstractItemView.CursorAction.MoveEnd):
            modifiers |= Qt.KeyboardModifier.ControlModifier
        return super().moveCursor(cursorAction, modifiers)

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

    def __init__(self, store: HistoryStore, parent: QWidget | None = None, *, executor: Executor | None = None,
                 first_page: FirstPage | None = None, clear_button: bool = True) -> None:
        """``first_page``: the store's first page for its profile, read beforehand (``read_first_page``);
        ``clear_button=False``: the filter's clear button waits for ``show_clear_button()``."""
        super().__init__(parent)
        # The store's profile (the account in use): its rows are shown, or every profile's when chosen.
        self._profile: str | None = getattr(store, "profile", None)
        self.model = HistoryModel(store, self, executor=executor, profile=self._profile, first_page=first_page)
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
        if clear_button:
            self.show_clear_button()
        self.filter_edit.setMaxLength(MAX_INPUT_LENGTH)

        self.count_label = QLabel(self)
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self.needs_checking_box = QCheckBox(NEEDS_CHECKING_TEXT, self)
        self.needs_checking_box.setToolTip(NEEDS_CHECKING_TIP)
        self.needs_checking_box.setAccessibleDescription(NEEDS_CHECKING_TIP.replace(" (Alt+N)", ""))
        # Room for a count of 99,999: a count that grows does not move the dates beside it.
        self.needs_checking_box.setMinimumWidth(self.needs_checking_box.sizeHint().width()
                                                + self.fontMetrics().horizontalAdvance(" (9,999)"))
        self.dates_combo = QComboBox(self)
        self.dates_combo.addItems([words for words, _ in DATE_PRESETS])
        self.dates_combo.setAccessibleName("Calls of which days")
        self.dates_combo.setToolTip("Show the calls of these days only, in this computer's time (Alt+T)")
        self._dates_label = QLabel("Da&tes", self)
        self._dates_label.setBuddy(self.dates_combo)
        # A custom range gets a row of its own, made when first chosen (``_custom_row``): at the window's minimum
        # width the dates would not fit beside the other filters.
        self._custom_dates: QWidget | None = None

        self.problem_label = QLabel(self)
        self.problem_label.setWordWrap(True)
        self.problem_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._problem_icon = QLabel(self)  # its icon comes with the first problem: a look-up in the icon theme
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

        self.copy_message_id_action = QAction("Copy &message id", self)
        self.copy_phone_action = QAction("Copy &phone number", self)
        self.use_number_action = QAction("Use this &number", self)
        self.use_number_action.setToolTip("Put this number in the phone field")
        self.context_menu = QMenu(self)
        self.context_menu.addActions([self.copy_message_id_action, self.copy_phone_action])
        self.context_menu.addSeparator()
        self.context_menu.addAction(self.use_number_action)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)

        # The filter's row holds nothing whose width changes: the counts are on the row below, at its end.
        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.scope_combo)
        top.addWidget(self.export_button)
        narrowing = QHBoxLayout()
        narrowing.addWidget(self.needs_checking_box)
        narrowing.addSpacing(8)
        narrowing.addWidget(self._dates_label)
        narrowing.addWidget(self.dates_combo)
        narrowing.addStretch(1)
        narrowing.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(narrowing)  # the custom range's row goes under it (_custom_row)
        layout.addWidget(self._problem_bar)
        layout.addWidget(self._stack, 1)
        layout.addWidget(self._details_frame)
        order = (self.filter_edit, self.scope_combo, self.export_button, self.needs_checking_box, self.dates_combo,
                 self.table, self.details_label)
        for before, after in itertools.pairwise(order):
            self.setTabOrder(before, after)

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
        """Reload from the newest attempt and recount; the selected attempt stays selected if still loaded.

        A preset of days ("Today") is read again: after midnight it is the new day.
        """
        self._remember_selection()
        days = self._chosen_days()
        if days != self.model.days:
            self.model.set_days(*days)
        else:
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

    def show_needing_check(self, on: bool = True) -> None:
        """Show only the calls that need checking (unknown outcomes), or every outcome again."""
        self.needs_checking_box.setChecked(on)

    def choose_days(self, first: date | None, last: date | None) -> None:
        """A custom range of days, both included (None: no bound on that side)."""
        self.dates_combo.setCurrentIndex(CUSTOM_RANGE)
        self.from_edit.setDate(QDate(first or EARLIEST_DAY))
        self.to_edit.setDate(QDate(last or LATEST_DAY))
        self._apply_days()

    def show_clear_button(self) -> None:
        """The filter's clear button."""
        enable_clear_button(self.filter_edit, "Clear the filter")

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
        if attempt.history_id is None or self.model.row_of(attempt.history_id) is None or self.model.needs_checking:
            self.refresh()  # not among the rows shown, or shown as needing a check: reload (a page and the counts)
        # Otherwise the row's re-read brings its outcome and "needs checking" follows (``HistoryModel.counted``).

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

    def on_model_counted(self) -> None:
        self._show_counts()

    def on_needs_checking_toggled(self, on: bool) -> None:
        self._remember_selection()
        self.model.set_needs_checking(on)

    def on_dates_chosen(self, index: int) -> None:
        custom = index == CUSTOM_RANGE
        if custom or self._custom_dates is not None:  # the row is made only when a custom range is chosen
            row = self._custom_row()
            if custom and not row.isVisible():
                today = date.today()  # the last 7 days to start from: the agent changes what it needs
                for edit, day in ((self._from_edit, today - timedelta(days=6)), (self._to_edit, today)):
                    edit.blockSignals(True)
                    edit.setDate(QDate(day))
                    edit.blockSignals(False)
            row.setVisible(custom)
        self._apply_days()

    def on_custom_date_changed(self, _day: QDate) -> None:
        self._apply_days()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Down in the filter goes to the table, on its current row (the first when none is)."""
        # getattr: while the panel is being destroyed, events still reach this filter after its attributes went.
        if (watched is getattr(self, "filter_edit", None) and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Down and self.model.rowCount() > 0):
            current = self.table.currentIndex()
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
            self._select(current.row() if current.isValid() else 0)  # selected too: its details show
            return True
        return super().eventFilter(watched, event)

    def on_model_problem_changed(self, text: str) -> None:
        if text and self._problem_icon.pixmap().isNull():
            from PySide6.QtWidgets import QStyle  # with the first problem, not at start (see ICON_SLOT)

            size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
            icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
            self._problem_icon.setPixmap(icon.pixmap(size, size))
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
        self.model.counted.connect(self.on_model_counted)
        self.needs_checking_box.toggled.connect(self.on_needs_checking_toggled)
        self.dates_combo.currentIndexChanged.connect(self.on_dates_chosen)
        self.filter_edit.installEventFilter(self)
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
        table.setIconSize(QSize(ICON_SLOT, ICON_SLOT))
        icon = ICON_SLOT + 6
        for column, samples in _COLUMN_SAMPLES.items():
            width = max(
                *(cell.horizontalAdvance(sample) for sample in samples),
                heading.horizontalAdvance(HistoryModel.HEADERS[column]),
            )
            if column == HistoryModel.OUTCOME:
                width += icon
            table.setColumnWidth(column, width + 28)
        table.setColumnHidden(HistoryModel.PROFILE, self._profile is not None)  # shown with "All profiles"
        # A few rows whole, however little room the window leaves (notices, the minimum size).
        frame = 2 * table.frameWidth()
        table.setMinimumHeight(header.sizeHint().height() + MIN_ROWS * vertical.defaultSectionSize() + frame
                               + table.horizontalScrollBar().sizeHint().height())

    @property
    def from_edit(self) -> QDateEdit:
        """The custom range's first day (its row is made on first use)."""
        self._custom_row()
        return self._from_edit

    @property
    def to_edit(self) -> QDateEdit:
        """The custom range's last day."""
        self._custom_row()
        return self._to_edit

    def _custom_row(self) -> QWidget:
        """The custom range's row, under the filters, hidden until shown: made the first time it is needed (two
        date editors are a few ms that the history's first paint does without)."""
        if self._custom_dates is not None:
            return self._custom_dates
        self._from_edit = self._date_edit("Calls from this day (included)")
        self._to_edit = self._date_edit("Calls up to this day (included)")
        from_label = QLabel("Fro&m", self)
        from_label.setBuddy(self._from_edit)
        to_label = QLabel("&until", self)
        to_label.setBuddy(self._to_edit)
        self._custom_dates = row = QWidget(self)
        row.hide()
        custom = QHBoxLayout(row)
        custom.setContentsMargins(0, 0, 0, 0)
        for widget in (from_label, self._from_edit, to_label, self._to_edit):
            custom.addWidget(widget)
        custom.addStretch(1)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(layout.indexOf(self._problem_bar), row)  # under the filters, above a problem
        for before, after in ((self.dates_combo, self._from_edit), (self._from_edit, self._to_edit),
                              (self._to_edit, self.table)):
            self.setTabOrder(before, after)
        self._from_edit.dateChanged.connect(self.on_custom_date_changed)
        self._to_edit.dateChanged.connect(self.on_custom_date_changed)
        return row

    def _date_edit(self, name: str) -> QDateEdit:
        from PySide6.QtWidgets import QDateEdit  # here: the import alone makes the class, with its enums

        edit = QDateEdit(self)
        edit.setCalendarPopup(True)  # Alt+Down or F4 opens the calendar
        edit.setDisplayFormat(DATE_FORMAT)
        edit.setDateRange(QDate(EARLIEST_DAY), QDate(LATEST_DAY))
        edit.setAccessibleName(name)
        edit.setToolTip(name + "; type the day, month or year, or press Alt+Down for a calendar")
        return edit

    def _chosen_days(self) -> tuple[date | None, date | None]:
        """The days chosen: a preset read against today, or the custom range as the agent set it."""
        index = self.dates_combo.currentIndex()
        if index == CUSTOM_RANGE:
            return self.from_edit.date().toPython(), self.to_edit.date().toPython()  # type: ignore[return-value]
        back = DATE_PRESETS[index][1] if 0 <= index < len(DATE_PRESETS) else None
        if back is None:
            return None, None
        today = date.today()
        return today - timedelta(days=back), today

    def _apply_days(self) -> None:
        self._remember_selection()
        self.model.set_days(*self._chosen_days())

    def _days_problem(self) -> str | None:
        """The sentence for a range that ends before it starts (it shows nothing, and says why)."""
        first, last = self.model.days
        if first is None or last is None or first <= last:
            return None
        return (f"No day is in that range: it starts on {_day_text(first)}, after it ends ({_day_text(last)}). "
                "Change the first or the last day.")

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
        if self.table.hasFocus():  # the reload took the current row away: the ring and the keys need one
            self.table.take_current_row()
        self._show_counts()
        self._update_empty_state()
        self._show_details()

    def _show_counts(self) -> None:
        self.count_label.setText(self._count_text())
        needing = self.model.needing_check()
        if needing is None:
            self.needs_checking_box.setText(NEEDS_CHECKING_TEXT)
            self.needs_checking_box.setAccessibleName("Needs checking")
        else:
            self.needs_checking_box.setText(f"{NEEDS_CHECKING_TEXT} ({needing:,})")
            self.needs_checking_box.setAccessibleName(
                f"Needs checking: {count_of_calls(needing)} with an unknown outcome")

    def _count_text(self) -> str:
        every = self.model.total(unfiltered=True)
        if every is None:
            return ""
        if not self.model.query.narrows:
            return count_of_calls(every)
        match = self.model.total()
        if match is None:
            return ""
        return f"{match:,} of {every:,} " + ("matches" if match == 1 else "match")

    def _update_empty_state(self) -> None:
        empty = self.model.rowCount() == 0 and not self.model.canFetchMore(QModelIndex())
        if self.model.problem:
            self.empty_label.setText("Nothing to show: history could not be read.")
        else:
            self.empty_label.setText(self._days_problem() or self._nothing_found_text())
        self._stack.setCurrentWidget(self.empty_label if empty else self.table)
        self._details_frame.setVisible(not empty)

    def _nothing_found_text(self) -> str:
        """Why the table is empty, in the words of what the agent chose."""
        model = self.model
        first, last = model.days
        if not (model.filter_digits or model.needs_checking or first or last):
            return EMPTY_TEXT
        text = "No calls need checking" if model.needs_checking else "No calls"
        if model.filter_digits:
            text += f" to numbers containing {model.filter_digits}"
        if first is not None and first == last:
            text += " today" if first == date.today() else f" on {_day_text(first)}"
        elif first is not None and last is not None:
            text += f" from {_day_text(first)} to {_day_text(last)}"
        elif first is not None:
            text += f" since {_day_text(first)}"
        elif last is not None:
            text += f" up to {_day_text(last)}"
        if model.needs_checking and not model.filter_digits and first is None and last is None:
            return "No calls need checking: every call's outcome is known."
        return text + "."

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


def _day_text(day: date) -> str:
    """"1 Dec 2026"."""
    return f"{day.day} {day:%b %Y}"


def _duration_text(duration_ms: int | None) -> str | None:
    if duration_ms is None:
        return None
    if duration_ms < 1000:
        return f"{duration_ms} ms"
    return f"{duration_ms / 1000:.1f} s"
