"""The built-in Termii simulator: a Termii look-alike on loopback for tests, demo mode and benchmarks."""

from termii_desk.simulator.server import FAULT_MODES, HeardCall, ReceivedRequest, TermiiSimulator, serve

__all__ = ["FAULT_MODES", "HeardCall", "ReceivedRequest", "TermiiSimulator", "serve"]
