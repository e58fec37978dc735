"""Regenerates termii_desk/core/countries.py from the installed phonenumbers (run after upgrading it)."""

import json
from pathlib import Path

import phonenumbers
from phonenumbers.geodata.locale import LOCALE_DATA

HEADER = '''"""English names of the countries libphonenumber knows, by region code (generated; see tests).

Kept here instead of loading ``phonenumbers.geocoder``: importing it loads every geographic prefix table
(about 0.4 s and 90 MB) for the one thing the desk needs from it, the country name.
Regenerate with ``python scripts/make_countries.py``.
"""

REGION_NAMES: dict[str, str] = {
'''


def english_name(region: str) -> str:
    names = LOCALE_DATA.get(region, {})
    name = names.get("en", "")
    return names.get(name[1:], "") if name.startswith("*") else name


def main() -> None:
    rows = [f"    {json.dumps(region)}: {json.dumps(english_name(region), ensure_ascii=False)},"
            for region in sorted(phonenumbers.SUPPORTED_REGIONS) if english_name(region)]
    target = Path(__file__).resolve().parent.parent / "termii_desk" / "core" / "countries.py"
    target.write_text(HEADER + "\n".join(rows) + "\n}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
