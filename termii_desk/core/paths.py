"""Where the desk keeps its settings, history and logs, and how: private to the user, whatever the umask.

Everything the desk writes holds customer numbers: files are created 0600 in folders created 0700 (the modes
are set explicitly, so a permissive umask changes nothing), and an existing file or app folder of this user
that is open to others (left by an older version) is closed on first use.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from termii_desk import APP_ID

HOME_ENV = "TERMII_DESK_HOME"
PRIVATE_FOLDER_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


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

    @property
    def crash_file(self) -> Path:
        """Where a windowed start (no standard error) writes each thread's stack, should the process crash."""
        return self.log_dir / "termii-desk-crash.log"

    @property
    def previous_crash_file(self) -> Path:
        """Where the window's next start copies the crash a crash file holds, for the agent to send on."""
        return self.log_dir / "termii-desk-crash-previous.log"

    def close_to_others(self) -> None:
        """The desk's own folders, where they exist, made 0700 (an older version left them 0755). Never raises."""
        for folder in (self.config_dir, self.data_dir, self.log_dir):
            try:
                if folder.is_dir() and not folder.is_symlink():
                    _close_to_others(folder, PRIVATE_FOLDER_MODE)
            except OSError:
                pass  # a folder this user cannot change: what is written in it is still 0600

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


def private_folder(folder: Path) -> Path:
    """Make ``folder`` and any missing parents 0700, whatever the umask. An existing folder is left as it is
    (it may be anybody's: ``AppPaths.close_to_others`` tightens the desk's own). ``OSError`` if it cannot be made.
    """
    missing: list[Path] = []
    here = folder
    while not here.exists() and here != here.parent:
        missing.append(here)
        here = here.parent
    for part in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another desk
            os.mkdir(part, PRIVATE_FOLDER_MODE)
        _close_to_others(part, PRIVATE_FOLDER_MODE)  # the umask may have taken bits; chmod sets them exactly
    return folder


def private_file(path: Path) -> Path:
    """Make sure ``path`` exists as a 0600 file in a 0700 folder (created empty if missing). ``OSError`` if not."""
    private_folder(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE)
    try:
        _close_to_others(path, PRIVATE_FILE_MODE, fd)
    finally:
        os.close(fd)
    return path


def close_to_others(path: Path) -> None:
    """An existing file of this user (a database's -wal or -shm, a rotated log) made 0600. Never raises: a
    missing file, or one on a read-only disk, is left as it is."""
    with contextlib.suppress(OSError):
        _close_to_others(path, PRIVATE_FILE_MODE)


def close_to_others_fd(fd: int) -> None:
    """The open file ``fd`` of this user made 0600 (a log file opened for appending)."""
    _close_to_others(Path(), PRIVATE_FILE_MODE, fd)


def _close_to_others(path: Path, mode: int, fd: int | None = None) -> None:
    if os.name == "nt":
        return  # Windows: the user's profile folders are private by their ACLs; modes mean nothing there
    info = os.fstat(fd) if fd is not None else os.stat(path)
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        return  # a device (a log sent to /dev/null) or a pipe: not a file the desk owns
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return  # someone else's (a shared folder): not ours to change
    if stat.S_IMODE(info.st_mode) != mode:
        if fd is not None:
            os.fchmod(fd, mode)
        else:
            os.chmod(path, mode)


def resources_dir() -> Path:
    """The folder holding icons and other shipped files, in a checkout and in a frozen bundle."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"
