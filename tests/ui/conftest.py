"""Fixtures for the window's tests: in-memory keyrings, core services against the simulator, a window.

Only ``no_unexpected_questions`` is autouse: a modal question nobody answers would hang the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from termii_desk.core.bootstrap import DeskServices
from termii_desk.core.client import make_session
from termii_desk.core.desk import Desk
from termii_desk.core.errors import Outcome
from termii_desk.core.history import HistoryStore
from termii_desk.core.keystore import KeyStore
from termii_desk.core.settings import Settings, SettingsStore
from termii_desk.core.validation import Code
from termii_desk.ui.collector import collect_on_gui_thread
from termii_desk.ui.main_window import MainWindow
from termii_desk.ui.worker import Executor, ThreadExecutor
from tests.conftest import SIM_KEY
from tests.fakes import BrokenKeyring, MemoryKeyring

__all__ = ["OFFSCREEN_NOISE", "BrokenKeyring", "MemoryKeyring"]

# The offscreen platform has no window manager: it says so when a window asks for one of its services.
OFFSCREEN_NOISE = r"This plugin does not support (propagateSizeHints\(\)|raise\(\)|grabbing the keyboard)$"


@pytest.fixture(scope="session", autouse=True)
def collector(qapp: QApplication) -> Any:
    """The desk's collector on the GUI thread, collecting while a test waits in the event loop."""
    return collect_on_gui_thread(qapp)


@pytest.fixture(autouse=True)
def no_unexpected_questions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Closing during a call (a test ending early, the fixture closing its window) closes anyway instead of
    waiting for a click on the question, and an unexpected cooldown question fails the test instead of hanging
    it; a test about either question monkeypatches ``ask`` itself."""
    from termii_desk.ui.dialogs import CloseDuringCallDialog, CooldownDialog

    monkeypatch.setattr(CloseDuringCallDialog, "ask", classmethod(lambda _cls, _parent, _calls: True))

    def unasked(_cls: object, _parent: object, phone_display: str, _last: object) -> bool:
        raise AssertionError(f"unexpected cooldown question for {phone_display}: patch CooldownDialog.ask")

    monkeypatch.setattr(CooldownDialog, "ask", classmethod(unasked))


@pytest.fixture
def history(tmp_path: Path) -> Iterator[HistoryStore]:
    store = HistoryStore(tmp_path / "history.sqlite3")
    yield store
    store.close()


@pytest.fixture
def store(history: HistoryStore) -> HistoryStore:
    """The history store, under the name the history model and panel tests use."""
    return history


def record(
    store: HistoryStore,
    phone: str = "2348031234567",
    code: str = "123456",
    outcome: Outcome | None = Outcome.SENT,
    **completion: object,
) -> int:
    """One attempt, written the way the desk writes it; ``outcome=None`` leaves it started only."""
    row_id = store.start_attempt(phone, Code(code), "api.ng.termii.com")
    if outcome is not None:
        completion.setdefault("duration_ms", 420)
        store.complete_attempt(row_id, outcome=outcome, **completion)  # type: ignore[arg-type]
    return row_id


@pytest.fixture
def make_services(tmp_path: Path, history: HistoryStore) -> Iterator[Callable[..., DeskServices]]:
    """``make_services(base_url, key=..., backend=..., **settings)``: core objects as app.py builds them.

    The key is stored in an in-memory keyring (``key=None``: no key). Settings are saved under tmp_path.
    """
    sessions: list[Any] = []

    def build(
        base_url: str, *, key: str | None = SIM_KEY, backend: Any = None, demo: bool = False, **changes: Any
    ) -> DeskServices:
        keystore = KeyStore(backend=backend if backend is not None else MemoryKeyring(), environ={})
        if key:
            keystore.set(key)
        changes.setdefault("read_timeout", 5.0)
        changes.setdefault("connect_timeout", 2.0)
        settings = Settings().updated(base_url=base_url, **changes)
        session = make_session()
        sessions.append(session)
        desk = Desk(settings, keystore, history, session=session)
        store = SettingsStore(tmp_path / "settings.json")
        return DeskServices(desk=desk, keystore=keystore, history=history, key_status=keystore.status(),
                            settings_store=None if demo else store, demo=demo)

    yield build
    for session in sessions:
        session.close()


@pytest.fixture
def open_window(qtbot: Any) -> Iterator[Callable[..., MainWindow]]:
    """``open_window(services, executor=None, demo=False)``: a shown window with the services attached.

    With real threads (the default executor) and a key, it returns after the start-up balance check.
    """

    executors: list[Executor] = []

    def build(services: DeskServices | None, executor: Executor | None = None, *, demo: bool = False,
              size: tuple[int, int] = (900, 720)) -> MainWindow:
        threaded = executor is None or isinstance(executor, ThreadExecutor)
        executor = executor if executor is not None else ThreadExecutor()
        executors.append(executor)
        window = MainWindow(executor, demo=demo)
        qtbot.addWidget(window)
        window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        if services is None:
            return window
        if threaded and services.key_status.has_key:
            # The window checks the balance once it has a key and its history panel is shown; let that finish.
            with qtbot.waitSignal(window.balance_finished, timeout=10_000):
                window.attach(services)
        else:
            window.attach(services)
            if services.key_status.has_key:
                # A few event-loop turns later (the history panel's first paint comes first), the check starts.
                assert window.balance_check_pending
                qtbot.waitUntil(lambda: not window.balance_check_pending, timeout=10_000)
        panel = window.history_panel
        assert panel is not None  # from attach() on; shown a few event-loop turns later
        qtbot.waitUntil(lambda: panel.isVisibleTo(window), timeout=10_000)
        return window

    yield build
    # Reads the window started last (history reads run on its executor) end before the history store is closed
    # by the fixtures set up before this one; their results are not delivered to a test that has ended.
    for executor in executors:
        executor.wait(10)
        executor.discard_deliveries()


def dark_palette() -> QPalette:
    """A dark palette like the ones desktop themes set (Fusion's roles, dark window and base)."""
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#202124",
        QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#17181a",
        QPalette.ColorRole.AlternateBase: "#26272b",
        QPalette.ColorRole.Text: "#e8eaed",
        QPalette.ColorRole.PlaceholderText: "#9aa0a6",
        QPalette.ColorRole.Button: "#2d2e31",
        QPalette.ColorRole.ButtonText: "#e8eaed",
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: "#3d7bd9",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#2d2e31",
        QPalette.ColorRole.ToolTipText: "#e8eaed",
        QPalette.ColorRole.Link: "#8ab4f8",
        QPalette.ColorRole.Light: "#3c3d41",
        QPalette.ColorRole.Midlight: "#333438",
        QPalette.ColorRole.Mid: "#2a2b2e",
        QPalette.ColorRole.Dark: "#141517",
        QPalette.ColorRole.Shadow: "#000000",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6f7378"))
    return palette


@pytest.fixture
def dark_app(qapp: QApplication) -> Iterator[QApplication]:
    """The application with a dark palette for the test, restored afterwards."""
    previous = qapp.palette()
    qapp.setPalette(dark_palette())
    yield qapp
    qapp.setPalette(previous)
