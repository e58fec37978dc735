"""Where the desk keeps its settings, history and logs."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from termii_desk import APP_ID

HOME_ENV = "TERMII_DESK_HOME"


@dataclass(frozen=True)
class AppPaths:
    """The three folders the desk writes to. Created on first use, not on construction."""

    config_dir: Path
    data_dir: Path
    log_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    def history_file(self, demo: bool = False) -> Path:
        # Demo mode keeps its own history so simulated calls never mix with real ones.
        return self.data_dir / ("demo-history.sqlite3" if demo else "history.sqlite3")

    @property
    def log_file(self) -> Path:
        return self.log_dir / "termii-desk.log"

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> AppPaths:
        """``TERMII_DESK_HOME`` puts everything under one folder; otherwise the platform's folders."""
        env = os.environ if environ is None else environ
        home = env.get(HOME_ENV, "").strip()
        if home:
            root = Path(home).expanduser()
            return cls(root / "config", root / "data", root / "logs")
        import platformdirs  # imported here: only needed when no home folder is given

        return cls(
            Path(platformdirs.user_config_dir(APP_ID, appauthor=False)),
            Path(platformdirs.user_data_dir(APP_ID, appauthor=False)),
            Path(platformdirs.user_log_dir(APP_ID, appauthor=False)),
        )


def resources_dir() -> Path:
    """The folder holding icons and other shipped files, in a checkout and in a frozen bundle."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"
