"""The first-run page, shown instead of the form while no API key is set.

It says what is missing, leads to Settings, and offers the demo for anyone just looking around: "Try the demo"
starts the demo desk as a process of its own (core.demo_launch), in the packaged app too.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from termii_desk.core.demo_launch import DemoProcess, DemoStartError, start_demo
from termii_desk.core.words import SYSTEM_KEYRING, keyring_words
from termii_desk.ui.tones import MARKS, Tone, ToneLabel

WELCOME = "Welcome to Termii Desk"
INVITATION = (
    "To send one-time codes as voice calls, add your Termii API key. You find it on your Termii dashboard; "
    "it is kept in {keyring}, never in a file."
)
DEMO_HINT = (
    "Just looking around? The demo runs the whole flow in a window of its own, against a built-in simulator: "
    "no account needed, and nobody is called."
)
log = logging.getLogger(__name__)

DEMO_OPENING = "Opening the demo in its own window…"
DEMO_OPEN = "The demo is open in its own window. Close it when you are done; this window stays as it is."
# How often a demo start is looked at, and for how long: a start that hands over to an open demo ends at once,
# one that fails does so within moments; one still running after that is the demo itself.
DEMO_POLL_MS = 150
DEMO_SETTLED_MS = 1500
DEMO_WATCH_MS = 20_000
DEMO_REAP_MS = 5_000


class FirstRunPage(QWidget):
    """An inviting empty state with one clear action.

    Signals:
        settings_requested(): the agent pressed "Add API key…".
    """

    settings_requested = Signal()
    demo_started = Signal(object)  # the DemoProcess, once its start has settled (running, or ended with 0)

    def __init__(self, parent: QWidget | None = None,
                 start: Callable[[], DemoProcess] = start_demo) -> None:
        super().__init__(parent)
        self._start = start
        self.demo: DemoProcess | None = None  # the latest start, while it is watched
        self._watched_ms = 0
        self._opening = False  # a start is on its way and has not settled: another press waits for it
        self._demo_timer = QTimer(self)
        self._demo_timer.setInterval(DEMO_POLL_MS)
        self._demo_timer.timeout.connect(self._watch_demo)
        # Demos still running once no longer watched: looked at now and then, so that one that ends is reaped
        # (not left a zombie while this desk runs).
        self._running: list[DemoProcess] = []
        self._reap_timer = QTimer(self)
        self._reap_timer.setInterval(DEMO_REAP_MS)
        self._reap_timer.timeout.connect(self._reap)
        self.setAccessibleName("First run")
        title = QLabel(WELCOME, self)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        title.setFont(font)
        self.invitation = QLabel(INVITATION.format(keyring=SYSTEM_KEYRING), self)
        self.invitation.setWordWrap(True)
        self.problem = ToneLabel("", self, tone=Tone.WARNING)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.hide()
        self.settings_button = QPushButton("Add API &key…", self)
        self.settings_button.setDefault(True)
        self.settings_button.setAccessibleName("Open Settings to add the API key")
        self.settings_button.setToolTip("Open Settings (Ctrl+,)")
        self.demo_hint = ToneLabel(DEMO_HINT, self)
        self.demo_button = QPushButton("Try the d&emo", self)
        self.demo_button.setAccessibleName("Try the demo")
        self.demo_button.setAccessibleDescription("Opens the demo desk in a window of its own; nobody is called")
        self.demo_button.setToolTip("Opens the demo in its own window (the same as termii-desk --demo)")
        self.demo_status = ToneLabel("", self)
        self.demo_status.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 12, 4, 12)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(self.invitation)
        layout.addWidget(self.problem)
        layout.addWidget(self.settings_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addSpacing(14)
        layout.addWidget(self.demo_hint)
        layout.addWidget(self.demo_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.demo_status)
        layout.addStretch(1)
        self.setTabOrder(self.settings_button, self.demo_button)

        self.settings_button.clicked.connect(self.settings_requested)
        self.demo_button.clicked.connect(self.on_demo_clicked)

    def set_keyring(self, backend: str) -> None:
        """Name the keyring the key will be kept in as the agent's system calls it ("GNOME Keyring ...")."""
        words = keyring_words(backend, os.environ.get("XDG_CURRENT_DESKTOP", "")) if backend else SYSTEM_KEYRING
        self.invitation.setText(INVITATION.format(keyring=words))

    def set_problem(self, sentence: str) -> None:
        """Why no key can be read (no keyring, keyring locked); "" hides the line."""
        self.problem.setText(MARKS[Tone.WARNING] + sentence if sentence else "")
        self.problem.setVisible(bool(sentence))

    def text(self) -> str:
        return "\n".join(label.text() for label in self.findChildren(QLabel) if label.isVisibleTo(self))

    # -- the demo -----------------------------------------------------------------------------------------

    @Slot()
    def on_demo_clicked(self) -> None:
        """Start the demo desk; a demo already open comes to the front instead (the new start hands over)."""
        if self._opening:
            return  # the last start has not settled yet: it opens the demo, or brings it to the front
        self._stop_watching()
        try:
            self.demo = self._start()
        except DemoStartError as exc:
            log.warning("the demo could not be started: %s", exc)
            self._say(MARKS[Tone.BAD] + str(exc), Tone.BAD)
            return
        log.info("demo started (process %d)", self.demo.pid)
        self._watched_ms = 0
        self._opening = True
        self._say(DEMO_OPENING, Tone.NEUTRAL)
        self._demo_timer.start()

    def _watch_demo(self) -> None:
        demo = self.demo
        if demo is None:
            self._demo_timer.stop()
            return
        self._watched_ms += DEMO_POLL_MS
        code = demo.poll()
        if code is not None and code != 0:
            log.warning("the demo ended at once with exit code %d", code)
            self._opening = False
            self._say(MARKS[Tone.BAD] + demo.problem(), Tone.BAD)
            self._stop_watching()
            return
        settled = code == 0 or self._watched_ms >= DEMO_SETTLED_MS
        if settled and self._opening:
            self._opening = False
            self._say(MARKS[Tone.GOOD] + DEMO_OPEN, Tone.GOOD)
            self.demo_started.emit(demo)
        if code == 0:
            log.info("the demo start ended: it opened the demo or brought the open one to the front")
        if code == 0 or self._watched_ms >= DEMO_WATCH_MS:
            self._stop_watching()

    def _stop_watching(self) -> None:
        self._demo_timer.stop()
        demo = self.demo
        if demo is not None:
            demo.close()
            if demo.poll() is None and demo not in self._running:
                self._running.append(demo)
                self._reap_timer.start()

    def _reap(self) -> None:
        self._running = [demo for demo in self._running if demo.poll() is None]
        if not self._running:
            self._reap_timer.stop()

    def _say(self, sentence: str, tone: Tone) -> None:
        self.demo_status.show_text(sentence, tone)
        self.demo_status.setVisible(bool(sentence))
