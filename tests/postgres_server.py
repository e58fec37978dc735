"""A private PostgreSQL server for tests and benchmarks: initdb in a temporary folder, a free loopback port.

Run as an unprivileged user (PostgreSQL refuses to run as root): when the tests run as root, every server
program runs as the ``postgres`` system user that Debian's package creates, in a folder that user owns.
The bootstrap superuser (``OWNER``) signs in over the unix socket without a password (``trust``, the socket
lives in the private folder); TCP on 127.0.0.1 asks every role for its password (``scram-sha-256``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OWNER = "desk_owner"
OWNER_PASSWORD = "owner-secret-Pq7"
SERVER_USER = "postgres"


def find_bin_dir() -> Path | None:
    """Where initdb and pg_ctl are: on PATH, or Debian's /usr/lib/postgresql/<version>/bin (newest)."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    return Path(candidates[-1]).parent if candidates else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    """A running server. ``url(...)`` builds a libpq URI for a role and database on it."""

    bin_dir: Path
    root: Path
    port: int
    as_user: list[str]

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    def url(self, user: str = OWNER, database: str = "postgres", password: str | None = None,
            **params: str) -> str:
        auth = f"{user}:{password}" if password is not None else user
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}" + (f"?{query}" if query else "")

    def owner_url(self, database: str = "postgres") -> str:
        """The superuser over the private unix socket (no password needed there)."""
        return f"postgresql://{OWNER}@/{database}?host={self.socket_dir}&port={self.port}"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.as_user, *args], capture_output=True, text=True, timeout=timeout, check=False,
                              cwd=self.root)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=120 "
                   "-c shared_buffers=64MB")
        done = self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-o", options, "-w", "-t", "60",
                         "-l", str(self.root / "server.log"), "start")
        if done.returncode != 0:
            log = (self.root / "server.log").read_text(errors="replace") if (self.root / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {done.stdout}{done.stderr}\n{log[-2000:]}")

    def stop(self) -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def is_running(self) -> bool:
        return self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "status").returncode == 0


@contextlib.contextmanager
def running_postgres(bin_dir: Path) -> Iterator[PostgresServer]:
    """initdb + pg_ctl start in a new private folder; stopped and removed afterwards, also when a test fails."""
    # Not under pytest's tmp_path: its parents are private to root and the server user must reach the folder.
    root = Path(tempfile.mkdtemp(prefix="termii-desk-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVER_USER)
        os.chown(root, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", SERVER_USER, "--"]
    os.chmod(root, 0o700)
    server = PostgresServer(bin_dir, root, free_port(), as_user)
    try:
        pwfile = root / "pwfile"
        pwfile.write_text(OWNER_PASSWORD + "\n")
        if as_user:
            os.chown(pwfile, pwd.getpwnam(SERVER_USER).pw_uid, -1)
        done = server._run(str(bin_dir / "initdb"), "-D", str(server.data_dir), "-U", OWNER, "--pwfile",
                           str(pwfile), "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                           "--locale=C", "--no-sync")
        pwfile.unlink()
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stdout}{done.stderr}")
        server._run("mkdir", "-p", str(server.socket_dir))
        server.start()
        _wait_ready(server)
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(server: PostgresServer, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", server.port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError("the test PostgreSQL server did not start listening")


AGENT_PASSWORDS = {"alice": "alice-pw-Zk41", "bob": "bob-pw-Qm93", "carol": "carol-pw-Tx27"}


@dataclass
class Team:
    """One team database on the server: its owner, its agents' URLs, desks' shared histories."""

    server: PostgresServer
    database: str
    tmp: Path
    opened: list[Any] = field(default_factory=list)

    @property
    def owner_url(self) -> str:
        return self.server.owner_url(self.database)

    def url(self, agent: str, **params: str) -> str:
        return self.server.url(agent, self.database, **params)

    def owner(self) -> Any:
        import psycopg

        conn = psycopg.connect(self.owner_url, autocommit=True)
        self.opened.append(conn)
        return conn

    def history(self, agent: str = "alice", *, name: str | None = None, password: str | None = None,
                url: str | None = None, **options: Any) -> Any:
        """A desk's shared history as ``agent``, with its own outbox file."""
        from termii_desk.core.team.postgres import TeamHistory

        outbox = self.tmp / f"outbox-{name or agent}-{uuid.uuid4().hex[:6]}.sqlite3"
        history = TeamHistory(url or self.url(agent), outbox_path=outbox,
                              password=AGENT_PASSWORDS.get(agent) if password is None else password, **options)
        self.opened.append(history)
        return history

    def rows(self) -> list[tuple[Any, ...]]:
        return self.owner().execute(
            "SELECT uuid, agent, phone, outcome, duration_ms FROM termii_desk.attempts ORDER BY id").fetchall()


