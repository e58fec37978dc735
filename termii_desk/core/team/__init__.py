"""A team's shared call history on PostgreSQL: where it is, and how it is shown without its password.

Nothing here imports the PostgreSQL driver: it is loaded by ``postgres.py`` only when a shared history is
configured.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

if TYPE_CHECKING:
    from termii_desk.core.history_backend import HistoryBackend

HISTORY_URL_ENV = "TERMII_DESK_HISTORY_URL"
# A desk's outbox file for one shared history, by a digest of its role and place (``outbox_file``).
OUTBOX_NAME = "team-outbox-{}.sqlite3"
SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class HistoryTarget:
    """A libpq URI taken apart just enough to name it: who, where, which database. Never the password."""

    url: str
    user: str
    host: str
    port: str
    database: str
    has_password: bool

    @property
    def shown(self) -> str:
        """The URL as the desk shows it everywhere: without its password."""
        return redact_url(self.url)

    @property
    def place(self) -> str:
        """``host:port/database``, for sentences."""
        return f"{self.host}:{self.port}/{self.database}"

    @property
    def keyring_username(self) -> str:
        """The keyring entry of this agent's database password: one per role, server and database."""
        return f"history:{self.user}@{self.place}"


def parse_history_url(url: str) -> HistoryTarget:
    """Raises ``ValueError`` with a sentence (never echoing the URL, which may hold a password)."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError("the shared history URL is not a valid postgresql:// address") from None
    if parts.scheme not in SCHEMES:
        raise ValueError("the shared history URL must start with postgresql://")
    query = dict(parse_qsl(parts.query))
    host = parts.hostname or query.get("host", "") or "localhost"
    if host.startswith("/"):
        host = "local socket"
    user = unquote(parts.username or "") or query.get("user", "")
    database = unquote(parts.path.lstrip("/")) or query.get("dbname", "") or user
    return HistoryTarget(text, user, host, str(port or query.get("port", "") or 5432), database,
                         bool(parts.password) or "password" in query)


def url_password(url: str) -> str | None:
    """The password a URL holds (from the environment or ``--url``), so the log filter can redact it."""
    try:
        parts = urlsplit(url.strip())
        return unquote(parts.password or "") or dict(parse_qsl(parts.query)).get("password") or None
    except ValueError:
        return None


def redact_url(url: str) -> str:
    """``url`` with any password (in the authority or as ``password=``) replaced by ``***``."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "(an invalid URL)"
    netloc = parts.netloc
    if "@" in netloc:
        auth, _, where = netloc.rpartition("@")
        if ":" in auth:
            auth = auth.split(":", 1)[0] + ":***"
        netloc = f"{auth}@{where}"
    query = "&".join(
        f"{name}=***" if name == "password" else f"{name}={value}" for name, value in parse_qsl(parts.query)
    )
    shown = f"{parts.scheme}://{netloc}{parts.path}"
    return shown + (f"?{query}" if query else "")


def check_history_url(value: object) -> str:
    """The settings check of ``history_url``: empty (local history) or a postgresql:// URL without a password."""
    text = str(value).strip()
    if not text:
        return ""
    target = parse_history_url(text)
    if target.has_password:
        raise ValueError("the URL holds a password; keep it out of settings and store it with "
                         "`termii-desk team password set`")
    return text


def configured_url(setting: str, environ: Mapping[str, str] | None = None) -> str:
    """The shared history to use: ``TERMII_DESK_HISTORY_URL`` first, then the profile's setting; "" for none."""
    env = os.environ if environ is None else environ
    return env.get(HISTORY_URL_ENV, "").strip() or setting.strip()


def outbox_file(data_dir: Path, target: HistoryTarget) -> Path:
    """This desk's outbox for one shared history: calls kept for one server never go to another."""
    import hashlib

    digest = hashlib.sha256(f"{target.user}@{target.place}".encode()).hexdigest()[:12]
    return data_dir / OUTBOX_NAME.format(digest)


def open_history(
    local_file: Path | None,
    setting: str,
    *,
    data_dir: Path,
    environ: Mapping[str, str] | None = None,
    profile: str = "default",
    connect_now: bool = True,
    keyring_backend: Any = None,
) -> HistoryBackend:
    """The history this desk writes to: a team's PostgreSQL when one is configured, else the local file.

    A shared history that is misconfigured or whose driver is missing falls back to the local file, with a
    ``notice`` saying why; one that cannot be reached is still used (its outbox keeps the calls).
    """
    from termii_desk.core.history import HistoryStore

    url = configured_url(setting, environ)
    if not url:
        return HistoryStore(local_file, profile=profile, check_now=connect_now)
    problem: str | None = None
    try:
        target = parse_history_url(url)
    except ValueError as exc:
        problem = f"The team history is not used: {exc}."
    else:
        try:
            from termii_desk.core.team.postgres import TeamHistory
        except ImportError:
            problem = ("The team history is not used: its PostgreSQL driver is not installed "
                       "(pip install 'termii-desk[team]').")
    if problem is not None:
        local = HistoryStore(local_file, profile=profile, check_now=connect_now)
        local.notice = f"{problem} Calls are recorded on this computer." + (f" {local.notice}" if local.notice
                                                                            else "")
        return local
    from termii_desk.core.team.credentials import TeamPasswords

    password = TeamPasswords(keyring_backend).get(target)
    return TeamHistory(url, outbox_path=outbox_file(data_dir, target), password=password, profile=profile,
                       connect_now=connect_now)
