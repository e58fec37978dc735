"""requests without charset_normalizer's detection tables until something uses them (``core.deferred``).

Each case runs in a fresh interpreter (the package loads once per process), with warnings as errors: requests
warns at import when it finds no character detection it can use.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from termii_desk.simulator import TermiiSimulator
from tests.conftest import SIM_KEY

ROOT = Path(__file__).resolve().parents[2]

CLIENT = """
import json, sys
from termii_desk.core.client import TermiiClient, make_session
from termii_desk.core.validation import validate_code, validate_phone
import requests
client = TermiiClient(sys.argv[1], sys.argv[2], session=make_session())
call = client.send_voice_call(validate_phone("+2348031234567"), validate_code("482913"))
balance = client.get_balance()
result = {"sent": call.http_status == 200 and bool(call.message_id), "balance": balance.balance is not None,
          "tables": "charset_normalizer.cd" in sys.modules, "detection": requests.compat.chardet.__name__}
answer = requests.models.Response()  # an answer without a charset: requests guesses, with the real package
answer._content, answer.encoding = "café crème, déjà vu: naïve façade".encode("utf-8"), None
result["guessed"] = answer.text
result["tables_after"] = "charset_normalizer.cd" in sys.modules
import charset_normalizer
result["whole"] = str(charset_normalizer.from_bytes("Grüße aus Köln".encode("utf-8")).best())
print(json.dumps(result))
"""


def test_calls_need_no_detection_tables_and_requests_still_guesses_with_them(simulator: TermiiSimulator) -> None:
    done = subprocess.run([sys.executable, "-W", "error", "-c", CLIENT, simulator.url, SIM_KEY], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["sent"] is True and result["balance"] is True
    assert result["tables"] is False and result["detection"] == "charset_normalizer"
    assert result["guessed"] == "café crème, déjà vu: naïve façade" and result["tables_after"] is True
    assert result["whole"] == "Grüße aus Köln"


def test_a_package_imported_before_is_left_as_it_is() -> None:
    code = ("import json, sys, charset_normalizer\nreal = charset_normalizer\n"
            "import termii_desk.core.client\n"
            "print(json.dumps([sys.modules['charset_normalizer'] is real, type(real).__name__]))")
    done = subprocess.run([sys.executable, "-W", "error", "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [True, "module"]
