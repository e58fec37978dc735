"""The desk's client round trip against a bare ``requests.Session().post()`` to the same simulator."""

from __future__ import annotations

import json
import time

import requests

from bench.common import Figure, interleaved, ratio, spread
from termii_desk.core.client import CALL_PATH, TermiiClient, make_session
from termii_desk.core.validation import validate_code, validate_phone
from termii_desk.simulator import TermiiSimulator

KEY = "bench-key"


def run(calls: int = 200) -> list[Figure]:
    phone, code = validate_phone("+2348031234567"), validate_code("482916")
    with TermiiSimulator(api_key=KEY, balance=__import__("decimal").Decimal("1000000")) as sim:
        client = TermiiClient(sim.url, KEY, session=make_session())
        bare = requests.Session()
        body = json.dumps({"api_key": KEY, "phone_number": phone.digits, "code": code.number})
        headers = {"Content-Type": "application/json", "Accept": "application/json"}

        def desk() -> float:
            started = time.perf_counter()
            client.send_voice_call(phone, code)
            return time.perf_counter() - started

        def baseline() -> float:
            started = time.perf_counter()
            bare.post(sim.url + CALL_PATH, data=body, headers=headers, timeout=10).json()
            return time.perf_counter() - started

        interleaved(desk, baseline, 10)  # warm-up: connections opened, code paths loaded
        a, b = interleaved(desk, baseline, calls)
        bare.close()
        client.close()
    value = ratio(a, b)
    return [Figure("4. request round trip, desk / bare requests", value, "x", "<= 1.10x", value <= 1.10,
                   f"desk {spread(a)}; bare {spread(b)}; {calls} calls each, interleaved")]
