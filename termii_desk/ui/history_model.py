"""The call history as a lazy, read-only table model: newest first, fetched a page at a time.

The model never loads the whole history: it asks ``HistoryStore.page`` for one page when the view scrolls
near the end (``canFetchMore``/``fetchMore``), using the last loaded row id as the key of the next page.
Opening 100,000 attempts costs the same as opening 10. Reads that fail never raise into Qt: the rows
already loaded stay, and ``problem`` says what went wrong.

Given an ``Executor``, every read after the first runs on it, not on the GUI thread: the next page as the view
scrolls, a reload after a call or a filter (the store's phone index, or a scan for one or two digits), the
re-read of a completed attempt. Each brings the display texts of the rows shown next (local time, the formatted
number, the balance), made on the worker, so a paint of new rows mostly looks them up (see ``_prepared``).
The first load, a page keyed by id (about a millisecond at 100,000 rows), stays synchronous so the panel shows
with its rows, as does everything without an executor. While a read is on the executor, the next ones queue
behind it there, so the GUI thread never waits for the store's lock.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from functools import lru_cache
from typing import Any, ClassVar, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPen, QPixmap

from termii_desk.core.errors import Outcome
from termii_desk.core.formatting import display_text, format_balance
from termii_desk.core.history import HistoryError, HistoryRow, HistoryStore
from termii_desk.core.history_backend import NEEDS_CHECKING, HistoryQuery, day_range
from termii_desk.core.validation import phone_filter_digits
from termii_desk.core.words import OUTCOME_WORDS, SENDING, outcome_words
from termii_desk.ui.worker import Executor, QueryOp

PAGE_SIZE = 200
PREPARED_ROWS = 50  # rows of a page whose texts are made with the read (a screenful on a tall screen)
SENDING_TEXT = SENDING
SENDING_TOOLTIP = "Waiting for Termii to answer."
OUTCOME_TEXT = {outcome.value: words.word for outcome, words in OUTCOME_WORDS.items()}
# The outcome banner's colours (by severity: sent green, unknown amber, refused and failed red), in shades
# readable on light and dark palettes; the word next to the dot carries the meaning.
_SEVERITY_COLOURS = {"good": "#2f9e44", "warning": "#f08c00", "bad": "#e03131"}
_DOT_COLOURS = {outcome.value: _SEVERITY_COLOURS[words.severity] for outcome, words in OUTCOME_WORDS.items()}
_SENDING_COLOUR = "#1c7ed6"
_DOT_SIZE = 10
CELL_LIMIT = 100  # characters of a stored value in a cell; the view elides what does not fit
TOOLTIP_LIMIT = 500

log = logging.getLogger(__name__)
_Index = QModelIndex | QPersistentModelIndex
# data() runs about a thousand times per paint of the table (each visible cell, once per role the delegate
# asks), so it compares plain ints and returns cached strings.
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_DECORATION = Qt.ItemDataRole.DecorationRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_ROW = Qt.ItemDataRole.UserRole.value
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
_T = TypeVar("_T")
# Rows as a read brings them back: each with its display texts, made where the rows were read (on the executor,
# when there is one), so that a paint of new rows only looks them up.
_Prepared = list[tuple[HistoryRow, tuple[str, ...] | None]]
# How many attempts match the query, how many there are in all (of the profile), and how many of those the
# query's digits and days leave need checking (unknown outcomes).
_Counts = tuple[int, int, int]
# What a reload reads: the first page, then the counts.
FirstPage = tuple[_Prepared, _Counts]


class HistoryModel(QAbstractTableModel):
    """Read-only rows of ``HistoryStore``, newest first, loaded a page at a time.

    ``Qt.UserRole`` (``ROW_ROLE``) gives the ``HistoryRow`` of any column. ``problem`` is "" while reads work,
    else the sentence of the last ``HistoryError``. With an ``executor``, filtered reads run on it (see the
    module docstring): ``set_filter`` then returns before the rows change, and ``reloaded`` says when they did.

    Signals:
        problem_changed(str): ``problem`` changed; "" when reading works again.
        reloaded(): a reload (``refresh``, ``set_filter``) finished, or failed: rows and totals are current.
        counted(): the totals changed without a reload (an attempt's answer arrived).
    """

    problem_changed = Signal(str)
    reloaded = Signal()
    counted = Signal()

    TIME, PHONE, CODE, OUTCOME, MESSAGE_ID, BALANCE, PROFILE = range(7)
    # The profile column matters when every profile's calls are shown; the panel hides it otherwise.
    HEADERS = ("Time", "Phone", "Code", "Outcome", "Message id", "Balance after", "Profile")
    ROW_ROLE = Qt.ItemDataRole.UserRole

    _icons: ClassVar[dict[str, QIcon]] = {}  # built on first use: a QPixmap needs the QGuiApplication

    def __init__(
        self,
        store: HistoryStore,
        parent: QObject | None = None,
        *,
        page_size: int = PAGE_SIZE,
        executor: Executor | None = None,
        profile: str | None = None,
        first_page: FirstPage | None = None,
    ) -> None:
        """``profile``: show only that profile's rows (None: every profile's; see ``set_profile``).

        ``first_page``: what the first reload would read (``read_first_page`` with the same store, profile and
        page size), read and prepared beforehand off the GUI thread; the first reload then only shows it.
        """
        super().__init__(parent)
        self._store = store
        self._page_size = max(1, page_size)
        self._executor = executor
        self._rows: list[HistoryRow] = []
        self._row_of_id: dict[int, int] = {}
        # Display texts of loaded rows by id, made when first painted; a reload keeps those of unchanged rows.
        self._texts: dict[int, tuple[HistoryRow, tuple[str, ...]]] = {}
        self._more = True
        self._notifying = False  # inside begin/end of a reset or insert, and while its signal is delivered
        self._filter = ""
        self._filter_text = ""
        self._region: str | None = None
        self._profile = profile
        self._needs_checking = False
        self._days: tuple[date | None, date | None] = (None, None)
        self.zone: tzinfo | None = None  # the days' time zone: None for this computer's local time
        self._in_flight: set[int] = set()
        self._totals: _Counts | None = None  # (matching the query, all, needing a check), as of the last read
        self._generation = 0  # counts reloads asked for: a read started before the latest one is dropped
        self._reload_pending = False
        self._loaded_once = False  # the first reload reads here and now: the panel shows with its first page
        self._first_page = first_page  # or it was read already, off the GUI thread
        self._closed = False  # close(): no more reads, and the results of those running are dropped
        self._fetching = False
        self._reads_on_executor = 0
        self._query_read = HistoryQuery()
        self.problem = ""

    # -- public API ---------------------------------------------------------------------------------

    @property
    def filter_digits(self) -> str:
        """The digits the rows are filtered by ("" for all rows)."""
        return self._filter

    @property
    def needs_checking(self) -> bool:
        """Only attempts whose outcome is unknown are shown (the agent must check them before sending again)."""
        return self._needs_checking

    @property
    def days(self) -> tuple[date | None, date | None]:
        """The first and last day shown, both included (None: no bound)."""
        return self._days

    @property
    def query(self) -> HistoryQuery:
        """What the rows are: the filter's digits, "needs checking", the days as local times (for a reload or an
        export; "Today" read after midnight is the new day)."""
        since, until = day_range(*self._days, self.zone)
        return HistoryQuery(self._filter, NEEDS_CHECKING if self._needs_checking else frozenset(), since, until)

    def set_needs_checking(self, on: bool) -> None:
        """Show only unknown outcomes (or every outcome again); reloads from the first page."""
        if on != self._needs_checking:
            self._needs_checking = on
            self._reload(keep_rows_on_error=False)

    def set_days(self, first: date | None, last: date | None) -> None:
        """Show only attempts made from ``first`` to ``last`` (local days, both included; None: no bound).

        A range that ends before it starts shows nothing (``query.impossible``); it is never an error.
        """
        if (first, last) != self._days:
            self._days = (first, last)
            self._reload(keep_rows_on_error=False)

    @property
    def in_flight(self) -> frozenset[int]:
        """Ids of attempts still waiting for Termii: shown as "Sending…"."""
        return frozenset(self._in_flight)

    @property
    def loading(self) -> bool:
        """A read is running on the executor; the rows shown are those of the last finished one."""
        return self._reads_on_executor > 0

    def set_default_region(self, region: str) -> None:
        """The phone field's default country: the filter reads national numbers ("0803...") in it."""
        if region != self._region:
            self._region = region
            self.set_filter(self._filter_text)

    def set_filter(self, text: str) -> None:
        """Show only attempts whose number contains the digits of ``text``; reloads from the first page.

        Text that leaves the digits unchanged (a space, a '+') does not reload. With an executor, the rows change
        (and ``reloaded`` is emitted) when the read is done; ``filter_digits`` changes at once.
        """
        self._filter_text = text
        digits = phone_filter_digits(text, self._region)
        if digits == self._filter:
            return
        self._filter = digits
        self._reload(keep_rows_on_error=False)

    @property
    def profile(self) -> str | None:
        """The profile whose rows are shown; None for every profile's."""
        return self._profile

    def set_profile(self, profile: str | None) -> None:
        """Show only ``profile``'s attempts (None: every profile's); reloads from the first page."""
        if profile == self._profile:
            return
        self._profile = profile
        self._reload(keep_rows_on_error=False)

    def refresh(self) -> None:
        """Reload from the first page, e.g. after an attempt was written or completed."""
        self._reload(keep_rows_on_error=True)

    def close(self) -> None:
        """Read no more (the window is closing and its history store will be closed); rows shown stay."""
        self._closed = True

    def total(self, *, unfiltered: bool = False) -> int | None:
        """How many attempts match the filter (or all, with ``unfiltered``), counted by the last reload.

        ``None`` when that reload could not read history. Costs nothing: the counts are read with the first page.
        """
        if self._totals is None:
            return None
        return self._totals[1 if unfiltered else 0]

    def needing_check(self) -> int | None:
        """How many attempts of the filter's digits and days have an unknown outcome, less this desk's calls still
        waiting for Termii (they are "Sending…", not yet to check). ``None`` when history could not be read."""
        if self._totals is None:
            return None
        waiting = sum(1 for row_id in self._in_flight if (row := self._row_of_id.get(row_id)) is not None
                      and self._rows[row].outcome in NEEDS_CHECKING)
        return max(0, self._totals[2] - waiting)

    def row_at(self, row: int) -> HistoryRow:
        """The attempt shown in ``row``; ``IndexError`` outside the loaded rows."""
        if row < 0:
            raise IndexError(row)
        return self._rows[row]

    def row_of(self, row_id: int) -> int | None:
        """The model row showing the attempt with id ``row_id``, if it is loaded."""
        return self._row_of_id.get(row_id)

    def set_in_flight(self, row_id: int, in_flight: bool) -> None:
        """Mark an attempt as waiting for Termii ("Sending…") or not.

        Clearing the mark re-reads that one attempt, so call it once the attempt is completed in the store:
        its outcome then shows without reloading the table. Until the re-read is back (on the executor, when
        there is one), the row keeps saying "Sending…", never the "unknown" it was stored with before the call.
        """
        if in_flight:
            self._in_flight.add(row_id)
        elif row_id in self._row_of_id:
            self._reread(row_id)  # which clears the mark with the fresh row
            return
        else:
            self._in_flight.discard(row_id)
        row = self._row_of_id.get(row_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))

    def prepare_texts(self, rows: int) -> None:
        """Make the display texts (and icons) of the first ``rows`` loaded rows now, not during a paint."""
        for position in range(min(rows, len(self._rows))):
            row = self._rows[position]
            cached = self._texts.get(row.id)
            if cached is None or cached[0] is not row:
                self._texts[row.id] = (row, self._display_texts(row))
            self._icon("sending" if row.id in self._in_flight else row.outcome)

    # -- Qt model interface -------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's own signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _FLAGS

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return self.HEADERS[section]
            if role == Qt.ItemDataRole.ToolTipRole and section == self.TIME:
                return "Local time; hover a time for the exact UTC time."
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != _DISPLAY and role != _DECORATION and role != _TOOLTIP and role != _ROW:
            return None  # font, alignment, colours, check state: the view's defaults
        position, column = index.row(), index.column()
        if not 0 <= position < len(self._rows) or not 0 <= column < len(self.HEADERS):
            return None  # also an invalid index: its row and column are -1
        row = self._rows[position]
        if role == _DISPLAY:
            if column == self.OUTCOME:
                return SENDING_TEXT if row.id in self._in_flight else outcome_text(row.outcome)
            cached = self._texts.get(row.id)
            if cached is None or cached[0] is not row:
                cached = self._texts[row.id] = (row, self._display_texts(row))
            return cached[1][column]
        if role == _DECORATION:
            if column == self.OUTCOME:
                return self._icon("sending" if row.id in self._in_flight else row.outcome)
            return None
        if role == _TOOLTIP:
            return self._tooltip(row, column)
        return row

    def canFetchMore(self, parent: _Index) -> bool:
        # No fetching from inside our own change notifications: a slot on modelReset or rowsInserted that
        # calls fetchMore would insert rows before later slots have even seen the first change. Nor while a
        # page or a reload is being read: the next page follows the rows it will bring.
        return (not parent.isValid() and self._more and not self._notifying and not self._fetching
                and not self._reload_pending and not self._closed)

    def fetchMore(self, parent: _Index) -> None:
        if not self.canFetchMore(parent):
            return
        before = self._rows[-1].id if self._rows else None
        generation, query, size, store = self._generation, self._query_read, self._page_size, self._store
        profile = self._profile
        self._fetching = True
        self._read(lambda: _prepared(store.page(size, before_id=before, profile=profile, query=query)),
                   lambda page, error: self._on_page_read(generation, page, error), slow=True)

    # -- internals ----------------------------------------------------------------------------------

    def _reload(self, *, keep_rows_on_error: bool) -> None:
        self._generation += 1
        self._reload_pending = True
        # The next pages read the same query as the first (the same day bounds, even across midnight).
        self._query_read = query = self.query
        generation, size, store = self._generation, self._page_size, self._store
        profile = self._profile

        def read() -> FirstPage:
            return read_first_page(store, size, query=query, profile=profile)

        # The first load is here and now (a page keyed by id: the panel shows with its rows), unless it was read
        # beforehand; later ones, like every page and re-read, go to the executor with their texts, when there is
        # one.
        slow, self._loaded_once = self._loaded_once, True
        first_page, self._first_page = self._first_page, None
        if first_page is not None and not slow and query == HistoryQuery():
            self._on_reloaded(generation, keep_rows_on_error, first_page, None)
            return
        self._read(read, lambda first, error: self._on_reloaded(generation, keep_rows_on_error, first, error),
                   slow=slow)

    def _read(self, op: Callable[[], _T], done: Callable[[_T | None, HistoryError | None], None], *,
              slow: bool) -> None:
        """Run a store read: on the executor when ``slow`` or when a read is already there, else here.

        ``done(result, None)`` or ``done(None, error)`` is called on the GUI thread, here or later; never once the
        model is closed.
        """
        if self._closed:
            return
        # A shared history is across the network: every read of it goes to the executor.
        slow = slow or getattr(self._store, "remote", False)
        if self._executor is None or not (slow or self._reads_on_executor):
            try:
                result = op()
            except HistoryError as exc:
                done(None, exc)
                return
            done(result, None)
            return

        def finished(result: _T | None, error: BaseException | None) -> None:
            self._reads_on_executor -= 1
            if self._closed:
                return  # read while the window closed: its store may be closed too
            if error is not None and not isinstance(error, HistoryError):
                sys.excepthook(type(error), error, error.__traceback__)  # a bug, not unreadable history
                error = HistoryError(f"History could not be read ({type(error).__name__}).")
            done(result, error)

        self._reads_on_executor += 1
        QueryOp(parent=self, op=op, success=lambda result: finished(result, None)).failure(
            lambda error: finished(None, error)
        ).run_in_background(self._executor)

    def _on_reloaded(self, generation: int, keep_rows_on_error: bool, first: FirstPage | None,
                     error: HistoryError | None) -> None:
        if generation != self._generation:
            return  # a later reload is on its way
        self._reload_pending = False
        self._set_problem(str(error) if error is not None else "")
        if first is None:
            self._totals = None
            if keep_rows_on_error:
                self._more = False  # as in fetchMore: keep what is shown, stop asking until the next reload
                self.reloaded.emit()
                return
            page: _Prepared = []
        else:
            page, self._totals = first
        self._notifying = True
        try:
            self.beginResetModel()
            self._rows = []
            self._row_of_id = {}
            self._texts = {}
            self._append(page)
            self._more = first is not None and len(page) == self._page_size
            self.endResetModel()
        finally:
            self._notifying = False
        self.reloaded.emit()

    def _on_page_read(self, generation: int, page: _Prepared | None, error: HistoryError | None) -> None:
        self._fetching = False
        if generation != self._generation:
            return  # the rows it follows were replaced by a reload
        self._set_problem(str(error) if error is not None else "")
        if page is None:
            self._more = False  # stop the view asking again and again; refresh() tries anew
            return
        self._more = len(page) == self._page_size
        if not page:
            return
        first = len(self._rows)
        self._notifying = True
        try:
            self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
            self._append(page)
            self.endInsertRows()
        finally:
            self._notifying = False

    def _reread(self, row_id: int) -> None:
        store = self._store

        def read() -> tuple[HistoryRow, tuple[str, ...]] | None:
            fresh = store.get(row_id)
            return None if fresh is None else (fresh, HistoryModel._display_texts(fresh))

        self._read(read, lambda fresh, error: self._on_reread(row_id, fresh, error), slow=True)

    def _on_reread(self, row_id: int, fresh: tuple[HistoryRow, tuple[str, ...]] | None,
                   error: HistoryError | None) -> None:
        self._in_flight.discard(row_id)
        if error is not None:
            self._set_problem(str(error))
        row = self._row_of_id.get(row_id)
        if row is None:
            return
        if fresh is not None and error is None:
            before, self._rows[row] = self._rows[row], fresh[0]
            self._texts[row_id] = fresh
            if (self._totals is not None and before.outcome in NEEDS_CHECKING
                    and fresh[0].outcome not in NEEDS_CHECKING):
                # Counted as unknown when it was read (before Termii answered): no longer, and no read for it.
                matching, every, needing = self._totals
                self._totals = (matching, every, max(0, needing - 1))
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))
        self.counted.emit()  # no longer waiting for Termii: "needs checking" counts it if it is unknown

    def _append(self, page: _Prepared) -> None:
        start = len(self._rows)
        self._rows.extend(row for row, _ in page)
        self._row_of_id.update((row.id, start + i) for i, (row, _) in enumerate(page))
        self._texts.update((row.id, (row, texts)) for row, texts in page if texts is not None)

    def _set_problem(self, text: str) -> None:
        if text != self.problem:
            self.problem = text
            self.problem_changed.emit(text)

    @staticmethod
    def _display_texts(row: HistoryRow) -> tuple[str, ...]:
        """The row's text in each column; the outcome's is made per call (it changes while sending).

        A value no formatter expected never stops the table: that cell shows it as stored, cleaned and capped.
        """
        return (_cell(short_local_time, row.time_utc), _cell(display_phone, row.phone),
                display_text(row.code_masked, CELL_LIMIT), "", display_text(row.message_id, CELL_LIMIT),
                _cell(lambda balance: balance_text(balance, row.currency), row.balance),
                display_text(row.profile, CELL_LIMIT))

    def _tooltip(self, row: HistoryRow, column: int) -> str | None:
        if column == self.TIME:
            return f"{display_text(row.time_utc, CELL_LIMIT)} (UTC), profile {display_text(row.profile, CELL_LIMIT)}"
        if column == self.PHONE:
            return "+" + display_text(row.phone, CELL_LIMIT)
        if column == self.OUTCOME:
            if row.id in self._in_flight:
                return SENDING_TOOLTIP
            return display_text(row.error, TOOLTIP_LIMIT) or None
        return None

    @classmethod
    def _icon(cls, key: str) -> QIcon | None:
        icon = cls._icons.get(key)
        if icon is None:
            if QGuiApplication.instance() is None:
                return None  # no pixmaps before the application exists (Qt would abort)
            sending = key == "sending"
            colour = _SENDING_COLOUR if sending else _DOT_COLOURS.get(key, _DOT_COLOURS[Outcome.UNKNOWN.value])
            icon = cls._icons[key] = _dot_icon(colour, hollow=sending)
        return icon


def _dot_icon(colour: str, *, hollow: bool) -> QIcon:
    """A small coloured dot (a ring while sending), drawn at 1x and 2x for sharp high-DPI screens."""
    icon = QIcon()
    for scale in (1, 2):
        pixmap = QPixmap(_DOT_SIZE * scale, _DOT_SIZE * scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fill = QColor(colour)
        width = 2.0 * scale if hollow else 1.0 * scale
        painter.setPen(QPen(fill if hollow else fill.darker(130), width))
        painter.setBrush(Qt.BrushStyle.NoBrush if hollow else fill)
        inset = width / 2 + 0.5 * scale
        painter.drawEllipse(inset, inset, pixmap.width() - 2 * inset, pixmap.height() - 2 * inset)
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        icon.addPixmap(pixmap)
    return icon


def _counts(store: HistoryStore, query: HistoryQuery, profile: str | None) -> _Counts:
    """How many match ``query``, how many there are in all, how many of its digits and days need checking."""
    every = store.count(profile=profile)
    matching = store.count(profile=profile, query=query) if query.narrows else every
    checking = query.needing_check()
    needing = matching if checking == query else store.count(profile=profile, query=checking)
    return matching, every, needing


def _prepared(rows: list[HistoryRow]) -> list[tuple[HistoryRow, tuple[str, ...] | None]]:
    """The rows, the first ``PREPARED_ROWS`` with their display texts: run where the rows were read (off the GUI
    thread, with an executor).

    Not every row's: a worker's Python competes with the GUI thread for the interpreter, and a table's paint asks
    the Python model for ~1,000 cells, each waiting its turn; texts for a whole page (~10 ms, the phone formatting
    most of it) made while the new rows are painted slowed that paint more than it saved. The first rows of a page
    are the ones shown next (the top after a reload, the rows below the last when scrolling); the others' texts
    are made if and when a paint asks for them.
    """
    return [(row, HistoryModel._display_texts(row) if i < PREPARED_ROWS else None) for i, row in enumerate(rows)]


def read_first_page(store: HistoryStore, page_size: int = PAGE_SIZE, *, query: HistoryQuery | None = None,
                    profile: str | None = None) -> FirstPage:
    """A reload's read: the first page matching ``query`` (its first rows with their display texts), then the
    counts. Runs on any thread (the start-up loader reads the unfiltered one off the GUI thread); raises
    ``HistoryError``."""
    query = query or HistoryQuery()
    return _prepared(store.page(page_size, profile=profile, query=query)), _counts(store, query, profile)


def outcome_text(outcome: str) -> str:
    """The word for a stored outcome: "Sent", "Refused", "Failed", "Unknown" (core/words.py)."""
    return outcome_words(outcome).word


def short_local_time(time_utc: str) -> str:
    """"28 Nov 14:05:33" in local time; the year is added when it is not this year."""
    try:
        local = datetime.fromisoformat(time_utc).astimezone()
    except (ValueError, TypeError, OverflowError):
        return display_text(time_utc, CELL_LIMIT)
    if local.year != datetime.now().year:
        return f"{local.day} {local:%b %Y %H:%M:%S}"
    return f"{local.day} {local:%b %H:%M:%S}"


@lru_cache(maxsize=4096)
def display_phone(digits: str) -> str:
    """"+234 803 123 4567" for "2348031234567"; "+digits" when libphonenumber cannot read it."""
    from termii_desk.core.validation import phone_library  # deferred: its metadata is slow to load

    phonenumbers = phone_library()

    fallback = "+" + display_text(digits, CELL_LIMIT)
    if not isinstance(digits, str) or not digits.isdigit() or len(digits) > 20:
        return fallback
    try:
        number = phonenumbers.parse(fallback, None)
    except phonenumbers.NumberParseException:
        return fallback
    if not phonenumbers.is_possible_number(number):
        return fallback
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def balance_text(balance: str | None, currency: str | None) -> str:
    """"4,850.50 NGN": the balance Termii reported after the call (core's one balance formatter)."""
    return format_balance(balance, currency)


def _cell(make: Callable[[Any], str], value: object) -> str:
    try:
        return make(value)
    except Exception:  # a stored value no formatter expected: shown as stored, never a broken table
        log.warning("history: a stored %s could not be formatted", type(value).__name__, exc_info=True)
        return display_text(value, CELL_LIMIT)
