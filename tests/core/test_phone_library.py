"""libphonenumber loaded by its reading and checking part alone (``validation.phone_library``), and the package
whole as soon as anything asks it for more. Each case runs in a fresh interpreter: the package loads once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ALONE = """
import json, sys
from termii_desk.core.validation import phone_library, phone_filter_digits, validate_phone
number = validate_phone("0803 123 4567", "NG", with_carrier=False)
loaded = sorted(m.split(".")[1] for m in sys.modules if m.startswith("phonenumbers.") and "data" not in m)
result = {"digits": number.digits, "display": number.display, "loaded": loaded,
          "filter": phone_filter_digits("0803 123", "NG")}
import phonenumbers  # as other code would: the whole package, in place
result["whole"] = [phonenumbers.format_number(phonenumbers.parse("+447911123456"),
                                              phonenumbers.PhoneNumberFormat.E164),
                   hasattr(phonenumbers, "AsYouTypeFormatter"), phonenumbers.phonenumberutil is phone_library()]
from phonenumbers import carrier
result["carrier"] = validate_phone("+234 803 123 4567").carrier
result["geocoder"] = __import__("phonenumbers.geocoder").geocoder.__name__
print(json.dumps(result))
"""

RACE = """
import json, threading
from termii_desk.core.validation import phone_library
phone_library()
import phonenumbers
seen, start = [], threading.Barrier(4)

def ask():
    start.wait()
    seen.append((phonenumbers.SUPPORTED_SHORT_REGIONS is not None, phonenumbers.Leniency.VALID))

threads = [threading.Thread(target=ask) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(seen))
"""


def _run(code: str) -> object:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_numbers_are_read_without_the_rest_of_the_package_which_follows_when_asked_for() -> None:
    result = _run(ALONE)
    assert isinstance(result, dict)
    assert (result["digits"], result["display"]) == ("2348031234567", "+234 803 123 4567")
    assert result["filter"] == "234803123"
    # Only the reading, checking and formatting modules: no matcher, as-you-type formatter or short numbers.
    assert set(result["loaded"]) <= {"phonemetadata", "phonenumber", "phonenumberutil", "re_util", "unicode_util",
                                     "util"}
    assert "phonenumberutil" in result["loaded"]
    assert result["whole"] == ["+447911123456", True, True]
    assert result["carrier"] == "MTN"
    assert result["geocoder"] == "phonenumbers.geocoder"


def test_threads_asking_the_package_at_once_all_get_it_whole() -> None:
    assert _run(RACE) == [[True, 1]] * 4  # Leniency.VALID: the matcher, loaded with the whole package


def test_a_package_imported_before_is_used_as_it_is() -> None:
    result = _run("""
import json, phonenumbers
from termii_desk.core.validation import phone_library, validate_phone
print(json.dumps([type(phonenumbers).__name__, phone_library() is phonenumbers.phonenumberutil,
                  validate_phone("+233 24 123 4567").region]))
""")
    assert result == ["module", True, "GH"]
