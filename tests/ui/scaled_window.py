"""The window after a call, in a process of its own (run with QT_SCALE_FACTOR set: Qt reads it at start).

``python -m tests.ui.scaled_window OUT.png WIDTH HEIGHT MESSAGE_ID`` saves a screenshot of the window at that
size, after a call through the simulator whose banner then shows ``MESSAGE_ID`` and a long Termii message,
and prints one JSON object of what the test checks: the scale, whether the message id is whole on screen and
fits its label, where the history panel is before and after the long message, and the banner's heights.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from PySide6.QtWidgets import QApplication


def wait(app: QApplication, condition: Callable[[], object], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        app.processEvents()
        time.sleep(0.01)


def main(out: str, width: int, height: int, message_id: str) -> dict[str, object]:
    app = QApplication([])
    from termii_desk.core.bootstrap import DeskServices
    from termii_desk.core.client import make_session
    from termii_desk.core.desk import CallAttempt, Desk
    from termii_desk.core.errors import Outcome
    from termii_desk.core.history import HistoryStore
    from termii_desk.core.keystore import KeyStore
    from termii_desk.core.results import Balance, VoiceCallResult
    from termii_desk.core.settings import Settings
    from termii_desk.core.validation import validate_phone
    from termii_desk.simulator import TermiiSimulator
    from termii_desk.ui.main_window import MainWindow
    from termii_desk.ui.worker import ThreadExecutor
    from tests.conftest import SIM_KEY
    from tests.fakes import MemoryKeyring

    with tempfile.TemporaryDirectory() as folder, TermiiSimulator(api_key=SIM_KEY) as simulator:
        history = HistoryStore(Path(folder) / "history.sqlite3")
        keystore = KeyStore(backend=MemoryKeyring(), environ={})
        keystore.set(SIM_KEY)
        settings = Settings().updated(base_url=simulator.url, read_timeout=5.0, connect_timeout=2.0)
        desk = Desk(settings, keystore, history, session=make_session())
        services = DeskServices(desk=desk, keystore=keystore, history=history, key_status=keystore.status())
        executor = ThreadExecutor()
        window = MainWindow(executor)
        window.resize(width, height)
        window.show()
        finished: list[object] = []
        window.call_finished.connect(finished.append)
        window.attach(services)
        panel = window.history_panel
        assert panel is not None
        wait(app, lambda: panel.isVisible() and not window.balance_check_pending and window.account.balance_text)
        window.form.phone.set_text("0803 123 4567")
        window.form.code.set_text("482913")
        window.form.send_button.click()
        wait(app, lambda: finished and panel.model.rowCount() == 1 and not panel.model.in_flight)
        outcome = window.outcome

        def show(message: str) -> None:
            result = VoiceCallResult(message_id, None, message, Balance("4995", Decimal("4995")), "Acme", 200)
            attempt = CallAttempt(Outcome.SENT, validate_phone("+2348031234567"), "••••13", result, None, 1, None,
                                  420, datetime.now(timezone.utc))
            outcome.show_attempt(attempt, "4,995.00 NGN", "482913")
            for _ in range(5):
                app.processEvents()

        show("Successfully Sent")
        label = outcome.message_id_label
        panel_top = panel.geometry().top()
        banner_height = outcome.height()
        report: dict[str, object] = {
            "ratio": window.devicePixelRatio(),
            "id_whole": label.text() == message_id,
            "id_fits": label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width(),
            "id_visible": label.visibleRegion().boundingRect().size() == label.size(),
            "id_tooltip": label.toolTip(),
            "id_accessible": label.accessibleName(),
            "banner_height": banner_height,
            "banner_wanted": outcome.sizeHint().height(),
        }
        image = window.grab()
        image.save(out)
        show("Successfully Sent. " + "Termii says a great deal more about this call than fits here. " * 12)
        report["panel_moved"] = panel.geometry().top() != panel_top
        report["banner_grew"] = outcome.height() != banner_height
        report["message_whole"] = "fits here." in outcome.details.toPlainText()
        window.grab().save(out.replace(".png", "-long-message.png"))
        window.close()
        executor.wait(10)
        history.close()
    return report


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])))
