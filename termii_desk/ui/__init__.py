"""The window's widgets, item models and dialogs; they talk to core through plain calls and Qt signals."""
