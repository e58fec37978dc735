"""The tests' own X server keeps every connection: clients that come and go (``xwininfo`` polling for a window,
``xdotool``) must not make it drop a desk's connection as it starts."""

from __future__ import annotations

import shutil
import socket
import struct

import pytest

from tests.xvfb import running_xvfb

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb")]


def handshake(display: str) -> bytes:
    """An X11 connection set-up with no authorisation over the display's Unix socket; the reply's first byte
    (1: success) or b"" when the server closed the connection instead."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(10)
        client.connect(f"/tmp/.X11-unix/X{display.lstrip(':')}")
        client.sendall(struct.pack("<cxHHHHxx", b"l", 11, 0, 0, 0))  # little-endian, protocol 11.0, no auth
        try:
            return client.recv(1)
        except ConnectionResetError:
            return b""


def test_back_to_back_connections_are_all_accepted() -> None:
    # Without -noreset, the server resets when each of these (its only client) goes, and drops about 1 in 30.
    with running_xvfb() as display:
        replies = [handshake(display) for _ in range(600)]
    dropped = len(replies) - replies.count(b"\x01")
    assert dropped == 0, f"{dropped} of {len(replies)} connections dropped"
