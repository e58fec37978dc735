"""The line the start-up benchmark reads: one module, standard library only, shared by the desk and its baseline.

``termii-desk-probe MODE TIME VmHWM VmRSS``: time.time() when the window painted, peak and current memory in kB.
"""

from __future__ import annotations

import time


def bench_probe_line(mode: str) -> str:
    memory = {"VmHWM": "0", "VmRSS": "0"}
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in memory:
                    memory[name] = value.split()[0]
    except OSError:
        pass
    return f"termii-desk-probe {mode} {time.time():.6f} {memory['VmHWM']} {memory['VmRSS']}"
