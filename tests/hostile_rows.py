"""History rows no version of the desk would write, put straight into a real history file.

Numbers where text belongs, blobs, a balance of 1e30 or 1E+400 or 200 KB of digits, control characters, a
time that is not a time: what an older version, a hostile server or a hand-edited file could have left behind.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

HUGE = "9" * 200_000
HOSTILE_BALANCES: tuple[object, ...] = (
    1e30, "1E+400", "1e400", HUGE, "unlimited", "\x1b[2J\x07balance\u202e", b"\xff\xfe\x00", 10**18,
    "1234567890123456789.123456789", "NaN", "-Infinity", "0E-1000000", "12.5\r\x08\x08",
)


def insert_hostile_rows(path: Path) -> int:
    """Adds one row per hostile balance, each also with odd values in its other columns. Returns how many."""
    conn = sqlite3.connect(path)
    try:
        for i, balance in enumerate(HOSTILE_BALANCES):
            conn.execute(
                "INSERT INTO attempts (time_utc, os_user, app_version, base_host, phone, code_masked, outcome,"
                " http_status, message_id, termii_message, balance, currency, duration_ms, error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ("not a time", "0001-01-01T00:00:00+00:00", 12345, b"\x00")[i % 4],
                    b"\x00user", 3.5, "host\x1b]0;title\x07",
                    (2348031234567, "2348031234567", "+" + HUGE, b"\x01\x02")[i % 4],
                    (b"\xff", 42, "••••16")[i % 3],
                    ("sent", "weird\x1b[31m", 7)[i % 3],
                    ("200", 200, 1e300)[i % 3],
                    ("\x1b[31m" + HUGE, "3017544054459493160123", None)[i % 3],
                    "\x07" * 1000,
                    balance,
                    ("NGN\x1b[0m", 5, b"\x00")[i % 3],
                    ("fast", 420, 1e300)[i % 3],
                    "\x1b[2J" + HUGE,
                ),
            )
        conn.commit()
    finally:
        conn.close()
    return len(HOSTILE_BALANCES)


def damage_pages(path: Path, fraction: tuple[float, float] = (0.3, 0.6), seed: int = 7) -> int:
    """Overwrite the pages between ``fraction`` of a SQLite file with noise; the header stays intact.

    Returns how many pages were overwritten. The file still opens; reading those pages fails.
    """
    import random

    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big") or 65536
    pages = len(data) // page_size
    first, last = max(1, int(pages * fraction[0])), max(2, int(pages * fraction[1]))
    noise = random.Random(seed)
    for page in range(first, last):
        data[page * page_size:(page + 1) * page_size] = noise.randbytes(page_size)
    path.write_bytes(bytes(data))
    return last - first
