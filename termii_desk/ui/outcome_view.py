"""The outcome banner: what became of the last call, which call it was, and what to do next.

A tinted panel in the outcome's colour (core/words.py decides the words and the colour): a large mark, the
headline, the time and the call's number in this session, the number called in large type with the Show code
and Copy id buttons beside it, the message id on a line of its own, and Termii's words or the core's sentence.
It names the call it reports, so it is never read as being about what the fields hold now. Its height never
changes: long texts wrap and scroll inside. The message id has the banner's whole width; an id longer than that
(Termii's are 9 to 27 digits; a server may send anything) is shortened in the middle on screen, and stays whole
in its tooltip, for screen readers, for Copy id and for Ctrl+C on it.

By keyboard: Tab stops at the headline, the number, the buttons, the id and the details (top to bottom, left to
right), each marked by a frame while it has the focus; Ctrl+A and Ctrl+C select and copy what it says.
Alt+W shows or hides the code sent, Alt+O copies the message id.
Nothing here parses HTTP: it shows ``CallAttempt`` values. Every change is announced to screen readers.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QRectF, Qt, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from termii_desk.core.errors import Outcome
from termii_desk.core.words import OUTCOME_WORDS, SENDING
from termii_desk.ui import tones
from termii_desk.ui.tones import MARKS, Tone, ToneLabel, is_dark, tone_color

if TYPE_CHECKING:
    from termii_desk.core.desk import CallAttempt

SEVERITY_TONES = {"good": Tone.GOOD, "warning": Tone.WARNING, "bad": Tone.BAD}
TONES = {outcome: SEVERITY_TONES[words.severity] for outcome, words in OUTCOME_WORDS.items()}
READY_HEADLINE = "Ready"
READY_TEXT = "Type the customer's number and the code, then press Enter."
CODE_PLACEHOLDER = "\x00code\x00"  # where the (masked or shown) code goes in the details
DETAIL_LINES = 2  # lines of details shown; more wrap and scroll inside the banner
SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard


def selectable_by_keyboard(widget: QLabel | QPlainTextEdit) -> None:
    """Tab stops at ``widget``; the arrows, Ctrl+A and Ctrl+C select and copy its text (a QLabel given these
    flags only takes the focus by a click otherwise)."""
    widget.setTextInteractionFlags(SELECTABLE)
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
SHOW_CODE_TEXT = "Sho&w code"
HIDE_CODE_TEXT = "Hide code"  # no W in it: Alt+W is set as its key in both states (_set_show_code_text)
SHOW_CODE_KEY = "Alt+W"
ID_CAPTION = "Message id"


def local_time(when: datetime | None) -> str:
    """"14:05:33" in the agent's time zone; now when ``when`` is not known."""
    moment = when if when is not None else datetime.now(timezone.utc)
    return moment.astimezone().strftime("%H:%M:%S")


class FullTextLabel(ToneLabel):
    """A one-line label that never clips: a text wider than the label is shortened in the middle on screen, and
    stays whole in ``full_text``, the tooltip, the accessible name, and what Ctrl+C copies from it."""

    def __init__(self, parent: QWidget | None = None, *, caption: str = "") -> None:
        super().__init__("", parent, tone=Tone.PLAIN, caption=caption)
        self._full = ""
        self.setWordWrap(False)
        selectable_by_keyboard(self)
        # Its width is the layout's to give: a long text never widens the banner or the window.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    @property
    def full_text(self) -> str:
        return self._full

    @property
    def shortened(self) -> bool:
        return self.text() != self._full

    def set_full_text(self, text: str) -> None:
        self._full = text
        self._fit()

    def _fit(self) -> None:
        room = self.contentsRect().width()
        metrics = self.fontMetrics()
        full = self._full
        shown = full if room <= 0 or metrics.horizontalAdvance(full) <= room else metrics.elidedText(
            full, Qt.TextElideMode.ElideMiddle, room)
        if shown != self.text():
            super().setText(shown)
        self.setToolTip(full if shown != full else "")
        # Screen readers read the whole text, whatever fits on screen.
        self.setAccessibleName(f"{self._caption}: {full}" if self._caption and full else full)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Ctrl+C on a shortened text copies all of it (what is on screen has an ellipsis in it)."""
        if event.matches(QKeySequence.StandardKey.Copy) and self.shortened and self._full:
            QGuiApplication.clipboard().setText(self._full)
            event.accept()
            return
        super().keyPressEvent(event)


class OutcomeView(QFrame):
    """The banner. ``text`` is everything it says, as one string (what a screen reader reads too).

    Signals:
        copied(str): the agent copied the message id.
        message_id_changed(str): the banner shows another call's message id ("" for none).
    """

    copied = Signal(str)
    message_id_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("OutcomeBanner")
        self.setAccessibleName("Outcome of the last call")
        self._tone = Tone.NEUTRAL
        self._calls = 0
        self._message_id = ""
        self._code = ""  # the code of the call shown, in full, until the next call (never stored)
        self._code_masked = ""
        self._code_line = ""

        self.mark = ToneLabel("", self)
        mark_font = self.mark.font()
        mark_font.setPointSizeF(mark_font.pointSizeF() * 1.9)
        mark_font.setBold(True)
        self.mark.setFont(mark_font)
        self.mark.setWordWrap(False)
        self.mark.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.mark.setFixedWidth(self.mark.fontMetrics().horizontalAdvance("✓") + 12)
        self.mark.setAccessibleName("")  # decoration: the headline says the same in words
        self.headline = ToneLabel("", self)
        font = self.headline.font()
        font.setBold(True)
        self.headline.setFont(font)
        self.headline.setWordWrap(False)
        selectable_by_keyboard(self.headline)
        self.when_label = ToneLabel("", self)
        self.when_label.setWordWrap(False)
        self.when_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.number_label = ToneLabel("", self, tone=Tone.PLAIN)
        number_font = self.number_label.font()
        number_font.setPointSizeF(number_font.pointSizeF() * 1.45)
        number_font.setBold(True)
        self.number_label.setFont(number_font)
        self.number_label.setWordWrap(False)
        selectable_by_keyboard(self.number_label)
        self.id_caption = ToneLabel(ID_CAPTION, self, tone=Tone.NEUTRAL)
        self.id_caption.setWordWrap(False)
        self.id_caption.setAccessibleName("")  # the id's own name says "Message id: …"
        self.message_id_label = FullTextLabel(self, caption=ID_CAPTION)
        self.show_code_button = QPushButton(self)
        self.show_code_button.setCheckable(True)
        self.show_code_button.setAccessibleName("Show the code that was sent")
        self.show_code_button.setToolTip("Show the code in full, to read it to the customer (Alt+W); it stays "
                                         "here until the next call and is masked in history")
        self.copy_button = QPushButton("C&opy id", self)
        self.copy_button.setAccessibleName("Copy the message id")
        self.copy_button.setToolTip("Copy the message id to the clipboard (Alt+O)")
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Outcome details")
        self.details.setFrameShape(QFrame.Shape.NoFrame)
        self.details.setTabChangesFocus(True)
        selectable_by_keyboard(self.details)
        # Long texts wrap at the banner's width and scroll down inside it, never sideways.
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.details.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.details.setStyleSheet("QPlainTextEdit { background: transparent; }")
        self.details.document().setDocumentMargin(0)
        # Exactly that many lines: a sliver of the next one would read as text cut off.
        self.details.setFixedHeight(self.details.fontMetrics().lineSpacing() * DETAIL_LINES + 1)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.headline, 1)
        top.addWidget(self.when_label)
        # The buttons beside the number (it is short; the id below may be long and has the whole width).
        number_row = QHBoxLayout()
        number_row.setContentsMargins(0, 0, 0, 0)
        number_row.addWidget(self.number_label, 1)
        number_row.addWidget(self.show_code_button)
        number_row.addWidget(self.copy_button)
        id_row = QHBoxLayout()
        id_row.setContentsMargins(0, 0, 0, 0)
        id_row.setSpacing(6)
        id_row.addWidget(self.id_caption)
        id_row.addWidget(self.message_id_label, 1)
        text_column = QVBoxLayout()
        text_column.setContentsMargins(0, 0, 0, 0)
        text_column.setSpacing(3)
        text_column.addLayout(top)
        text_column.addLayout(number_row)
        text_column.addLayout(id_row)
        text_column.addWidget(self.details)
        text_column.addStretch(1)  # rows an outcome does not have (no number, no id) leave room at the bottom
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 8, 12, 10)
        layout.setSpacing(8)
        layout.addWidget(self.mark)
        layout.addLayout(text_column, 1)
        # Always the height of the fullest outcome, so nothing below moves when the outcome changes.
        self._keep_height_for_every_row()

        self.copy_button.clicked.connect(self.on_copy_clicked)
        self.show_code_button.toggled.connect(self.on_show_code_toggled)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self.on_focus_changed)
        self.clear()

    # -- state ------------------------------------------------------------------------------------------

    @property
    def text(self) -> str:
        """Everything the banner says, line by line."""
        message_id = self.message_id_label.full_text
        id_line = f"{ID_CAPTION} {message_id}" if self._message_id else message_id
        lines = [self.headline.text(), self.when_label.text(), self.number_label.text(), id_line,
                 self.details.toPlainText()]
        return "\n".join(line for line in lines if line).strip()

    @property
    def announcement(self) -> str:
        """What screen readers are told when the banner changes: the headline, the number and what happened
        (the time and the message id stay in the tree, read on demand: a 25-digit id spoken each time is noise)."""
        lines = [self.headline.text(), self.number_label.text(), *self.details.toPlainText().splitlines()]
        return ". ".join(line.strip().rstrip(".") for line in lines if line.strip()) + "."

    @property
    def tone(self) -> Tone:
        return self._tone

    @property
    def message_id(self) -> str:
        return self._message_id

    # -- what it shows ----------------------------------------------------------------------------------

    def clear(self) -> None:
        self._show(Tone.NEUTRAL, READY_HEADLINE, "", "", "", READY_TEXT, announce=False)

    def show_message(self, headline: str, details: str, tone: Tone, *, number: str = "") -> None:
        self._show(tone, headline, local_time(None), number, "", details)

    def show_sending(self, phone_display: str, when: datetime | None = None) -> None:
        self._show(Tone.PLAIN, f"{SENDING} waiting for Termii's answer", local_time(when), phone_display, "",
                   "You can type the next customer's number meanwhile.")

    def show_attempt(self, attempt: CallAttempt, balance_text: str | None, code: str = "") -> None:
        """``code``: the code that was sent, in full: masked here until the agent asks to see it."""
        self._calls += 1
        words = OUTCOME_WORDS[attempt.outcome]
        lines: list[str] = []
        message_id = ""
        if attempt.outcome is Outcome.SENT and attempt.result is not None:
            message_id = attempt.result.message_id or ""
            said = [f"Code {CODE_PLACEHOLDER}."]
            if balance_text:
                said.append(f"Balance now {balance_text}.")
            if attempt.result.message:
                said.append(f"Termii: “{attempt.result.message}”")
            lines.append(" ".join(said))
        else:
            lines.append(attempt.message)
        if attempt.history_problem:
            lines.append(attempt.history_problem)
        id_text = message_id or ("Termii sent no message id." if attempt.outcome is Outcome.SENT else "")
        # The call's number in this session, in the banner's top corner in bold: two answers in a row, even for
        # the same customer, never look alike ("Call 4" became "Call 5").
        when = f"Call {self._calls} · {local_time(attempt.called_at)}"
        sent = CODE_PLACEHOLDER in lines[0]
        self._show(TONES[attempt.outcome], words.headline, when, attempt.phone.display, id_text, "\n".join(lines),
                   message_id=message_id, code=code if sent else "", code_masked=attempt.code_masked if sent else "")

    def show_failure(self, sentence: str) -> None:
        """Nothing was attempted (no key, bad setting, no keyring): the core's sentence."""
        self._show(Tone.BAD, OUTCOME_WORDS[Outcome.FAILED].headline, local_time(None), "", "", sentence)

    # -- slots ------------------------------------------------------------------------------------------

    def on_show_code_toggled(self, shown: bool) -> None:
        self._set_show_code_text(shown)
        self._show_details(self._code_line)

    @property
    def code_shown(self) -> bool:
        return self.show_code_button.isChecked() and bool(self._code)

    def on_copy_clicked(self) -> None:
        if self._message_id:
            QGuiApplication.clipboard().setText(self._message_id)
            self.copied.emit(self._message_id)

    # -- internals --------------------------------------------------------------------------------------

    def _show(self, tone: Tone, headline: str, when: str, number: str, id_text: str, details: str, *,
              message_id: str = "", announce: bool = True, code: str = "", code_masked: str = "") -> None:
        self._tone = tone
        changed, self._message_id = message_id != self._message_id, message_id
        self.mark.show_text(MARKS[tone].strip() or ("…" if tone is Tone.PLAIN else ""), tone)
        self.headline.show_text(headline, tone if tone is not Tone.NEUTRAL else Tone.PLAIN)
        counted = when.startswith("Call ")
        when_font = self.when_label.font()
        when_font.setBold(counted)
        self.when_label.setFont(when_font)
        self.when_label.show_text(when, Tone.PLAIN if counted else Tone.NEUTRAL)
        self.number_label.setText(number)
        self.number_label.setVisible(bool(number))  # an empty row is neither a gap to read past nor a Tab stop
        self.id_caption.setVisible(bool(message_id))
        self.message_id_label.set_full_text(id_text)
        self.message_id_label.setVisible(bool(id_text))
        self.copy_button.setVisible(bool(message_id))
        self._code, self._code_masked, self._code_line = code, code_masked, details
        self.show_code_button.setVisible(bool(code))
        self.show_code_button.blockSignals(True)
        self.show_code_button.setChecked(False)
        self.show_code_button.blockSignals(False)
        self._set_show_code_text(False)
        self._show_details(details)
        self.setAccessibleDescription(self.text)
        self.update()
        if changed:
            self.message_id_changed.emit(message_id)
        if announce:
            # Unknown, refused, failed: said at once, not after other speech.
            tones.announce(self, self.announcement, assertive=tone in (Tone.WARNING, Tone.BAD))

    def _set_show_code_text(self, shown: bool) -> None:
        """"Show code" or "Hide code", Alt+W either way (a button's text sets its key: it is set again after)."""
        self.show_code_button.setText(HIDE_CODE_TEXT if shown else SHOW_CODE_TEXT)
        self.show_code_button.setShortcut(QKeySequence(SHOW_CODE_KEY))

    def _show_details(self, details: str) -> None:
        shown = self._code if self.show_code_button.isChecked() and self._code else self._code_masked
        self.details.setPlainText(details.replace(CODE_PLACEHOLDER, shown) if self._code_masked else details)
        self.setAccessibleDescription(self.text)

    def _keep_height_for_every_row(self) -> None:
        self.number_label.setMinimumHeight(max(self.number_label.sizeHint().height(),
                                               self.copy_button.sizeHint().height()))
        self.message_id_label.setMinimumHeight(self.message_id_label.sizeHint().height())
        self.setMinimumHeight(self.sizeHint().height())
        # That height, never less, whatever else the window shows (notices, a long history).
        self.setSizePolicy(self.sizePolicy().horizontalPolicy(), QSizePolicy.Policy.Fixed)

    @Slot(QWidget, QWidget)  # a declared slot for the application's signal (see NoticeBar._on_focus_changed)
    def on_focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        """The frame that marks the focused text follows the focus (the buttons mark their own)."""
        if any(widget is not None and self.isAncestorOf(widget) for widget in (old, new)):
            self.update()

    def _focused_text(self) -> QWidget | None:
        focus = QApplication.focusWidget()
        texts = (self.headline, self.number_label, self.message_id_label, self.details)
        return focus if focus in texts else None

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.update()
        super().changeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        """A tint of the outcome's colour over the window's, and a border in it (picked at paint time, so a
        palette change, also while the window is in the background, shows at once)."""
        palette = self.palette()
        window = palette.color(QPalette.ColorRole.Window)
        if self._tone in (Tone.NEUTRAL, Tone.PLAIN):
            fill = palette.color(QPalette.ColorRole.Base if self._tone is Tone.PLAIN else QPalette.ColorRole.Window)
            border = palette.color(QPalette.ColorRole.Mid)
        else:
            border = tone_color(palette, self._tone)
            share = 0.22 if is_dark(palette) else 0.12
            fill = QColor(
                round(window.red() + (border.red() - window.red()) * share),
                round(window.green() + (border.green() - window.green()) * share),
                round(window.blue() + (border.blue() - window.blue()) * share),
            )
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(border)
        painter.setBrush(fill)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        if self._tone not in (Tone.NEUTRAL, Tone.PLAIN):
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(border)
            painter.drawRoundedRect(QRectF(0, 0, 5, self.height()), 3, 3)
        focused = self._focused_text()
        if focused is not None:  # the texts draw no background: this frame shows around the focused one
            pen = QPen(palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Highlight), 2)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            frame = QRectF(focused.geometry())
            if isinstance(focused, QLabel):  # around the text, not the room the row gives it
                frame.setWidth(min(frame.width(), focused.fontMetrics().horizontalAdvance(focused.text()) + 2))
            painter.drawRoundedRect(frame.adjusted(-4, -1, 4, 1), 3, 3)
        painter.end()
