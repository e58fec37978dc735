"""Termii Desk: send a one-time code as a Termii voice call, from a desktop window or the command line."""

__version__ = "0.1.0"
APP_NAME = "Termii Desk"
APP_ID = "termii-desk"
