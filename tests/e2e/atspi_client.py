"""A screen reader's view of the desk, through AT-SPI (what Orca uses). Run by the system Python, which has
Debian's python3-pyatspi: ``python3 atspi_client.py`` prints one JSON object of what it found and read.

It finds the phone field, the code field and Send by role and name, types through EditableText, presses Send
through its Action, and reads the phone line's sentence, the outcome banner and the balance. Meanwhile it
listens for "object:announcement" (what Qt sends for QAccessibleAnnouncementEvent, and Orca speaks): it reports
every announcement's text, so the test can check that the validation sentence and the outcome were spoken.
"""

from __future__ import annotations

import json
import sys
import time

import pyatspi
from gi.repository import GLib

ANNOUNCEMENTS = []  # (text, source's role, politeness: 1 polite, 2 assertive) of every announcement heard


def on_announcement(event):
    text = event.any_data if isinstance(event.any_data, str) else str(event.any_data)
    try:
        role = event.source.getRoleName() if event.source is not None else ""
    except Exception:
        role = ""
    ANNOUNCEMENTS.append((text, role, event.detail1))


def pump():
    """Deliver the events that arrived (the listener runs from GLib's main context)."""
    context = GLib.MainContext.default()
    while context.pending():
        context.iteration(False)


def walk(node, depth=0):
    if node is None or depth > 40:
        return
    yield node
    try:
        children = [node.getChildAtIndex(i) for i in range(node.childCount)]
    except Exception:
        return
    for child in children:
        yield from walk(child, depth + 1)


def find(root, role, name_part):
    for node in walk(root):
        try:
            if node.getRoleName() == role and name_part.lower() in (node.name or "").lower():
                return node
        except Exception:
            continue
    return None


def wait(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pump()
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    return None


def app():
    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        candidate = desktop.getChildAtIndex(i)
        if candidate is not None and "termii" in (candidate.name or "").lower():
            return candidate
    return None


def labels(root):
    return [node.name for node in walk(root) if node.getRoleName() == "label" and node.name]


def main() -> int:
    pyatspi.Registry.registerEventListener(on_announcement, "object:announcement")
    desk = wait(app, 30.0)
    if desk is None:
        print(json.dumps({"error": "the desk is not on the accessibility bus"}))
        return 1
    phone = wait(lambda: find(desk, "text", "phone number"))
    code = find(desk, "text", "code")
    send = find(desk, "push button", "send")
    found = {"phone": bool(phone), "code": bool(code), "send": bool(send)}
    if not all(found.values()):
        print(json.dumps({"found": found}))
        return 1
    balance = wait(lambda: next((n for n in labels(desk) if n.startswith("Balance: ")), None))
    phone.queryEditableText().setTextContents("0803 12")
    # After a pause the line says what is wrong (waited for: the machine may be slow).
    partial = wait(lambda: [n for n in labels(desk) if "✕" in n], 15.0) or labels(desk)
    phone.queryEditableText().setTextContents("0803 123 4567")
    code.queryEditableText().setTextContents("482913")
    valid = wait(lambda: [n for n in labels(desk) if n.startswith("✓ +234")], 15.0)
    action = send.queryAction()
    names = [action.getName(i) for i in range(action.nActions)]
    action.doAction(names.index("Press") if "Press" in names else 0)
    banner = find(desk, "panel", "outcome")
    outcome = wait(lambda: banner.description if "accepted" in (banner.description or "") else None, 40.0)
    wait(lambda: any("accepted" in text for text, _role, _politeness in ANNOUNCEMENTS), 10.0)
    # The banner's texts as a screen reader reaches them: each a focusable label (Tab stops there), the id whole.
    texts = {}
    for node in walk(banner):
        try:
            if node.getRoleName() == "label" and node.name:
                texts[node.name] = node.getState().contains(pyatspi.STATE_FOCUSABLE)
        except Exception:
            continue
    print(json.dumps({"found": found, "balance": balance, "invalid_line": partial, "valid_line": valid,
                      "actions": names, "outcome": outcome, "announcements": ANNOUNCEMENTS,
                      "banner_texts": texts}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
