"""The desk through AT-SPI, as a screen reader sees it: on Xvfb with a private D-Bus session and at-spi2-core,
a client in the system Python (Debian's python3-pyatspi) finds the fields and Send, types and presses Send
through the accessibility interfaces, and reads the validation sentence, the outcome and the balance."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.xvfb import running_xvfb

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = "/usr/bin/python3"


def _bridge_missing() -> str:
    for tool in ("Xvfb", "dbus-run-session"):
        if shutil.which(tool) is None:
            return f"needs {tool}"
    if not Path(SYSTEM_PYTHON).exists() or subprocess.run(
            [SYSTEM_PYTHON, "-c", "import pyatspi"], capture_output=True, check=False).returncode != 0:
        return "needs the system Python with python3-pyatspi"
    return ""


MISSING = _bridge_missing()
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(bool(MISSING) and not os.environ.get("CI"), reason=MISSING)]


def test_a_screen_reader_finds_types_sends_and_reads_the_outcome(tmp_path: Path) -> None:
    assert not MISSING, MISSING  # in CI the bridge must be there (scripts/bootstrap.sh installs it)
    script = tmp_path / "session.sh"
    script.write_text(
        "set -e\n"
        f"{sys.executable} -m termii_desk --demo > {tmp_path}/app.log 2>&1 &\n"
        "APP=$!\n"
        f"{SYSTEM_PYTHON} {ROOT}/tests/e2e/atspi_client.py > {tmp_path}/client.json 2> {tmp_path}/client.err"
        " || true\n"
        "kill $APP; wait $APP || true\n"
    )
    with running_xvfb() as display:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TERMII_", "QT_", "DBUS_"))}
        env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", QT_LINUX_ACCESSIBILITY_ALWAYS_ON="1",
                   QT_ACCESSIBILITY="1", TERMII_DESK_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
        subprocess.run(["dbus-run-session", "--", "bash", str(script)], env=env, timeout=180, check=False,
                       capture_output=True)
    report = json.loads((tmp_path / "client.json").read_text() or "{}")
    report.setdefault("client_errors", (tmp_path / "client.err").read_text()[-2000:])
    report.setdefault("desk_output", (tmp_path / "app.log").read_text()[-2000:])  # for a failure's message
    assert report.get("found") == {"phone": True, "code": True, "send": True}, report
    assert report["balance"] == "Balance: 5,000.00 NGN", report
    assert any("✕" in line for line in report["invalid_line"]), report  # the sentence, not "Phone number check"
    assert report["valid_line"] and "Nigeria" in report["valid_line"][0], report
    assert "Sent: Termii accepted the call" in report["outcome"] and "+234 803 123 4567" in report["outcome"], report
    # What Orca would speak unasked: the validation verdicts as they change, and the outcome.
    spoken = [text for text, _role, _politeness in report["announcements"]]
    assert any(text.startswith("✕ ") for text in spoken), report  # the phone line's reason, after the pause
    assert any(text.startswith("✓ +234 803 123 4567") and "Nigeria" in text for text in spoken), report
    assert any(text.startswith("✓ 6-digit code") for text in spoken), report
    outcome, role, politeness = next((heard for heard in report["announcements"] if "accepted" in heard[0]),
                                     ("", "", None))
    assert outcome.startswith("Sent: Termii accepted the call") and "+234 803 123 4567" in outcome, report
    assert role == "panel" and politeness == 1, report  # from the banner, polite (AT-SPI's live "polite")
    assert "482913" not in " ".join(spoken), report  # the code is never spoken in full
    # The banner's texts are there to read and to reach by Tab: the headline, the number, the whole message id.
    texts = report["banner_texts"]
    assert texts.get("Sent: Termii accepted the call") is True, texts
    assert texts.get("+234 803 123 4567") is True, texts
    message_id = next((name for name in texts if name.startswith("Message id: ")), "")
    assert message_id[len("Message id: "):].isdigit() and texts[message_id] is True, texts
    assert message_id[len("Message id: "):] in report["outcome"], texts  # the same id as the description's
