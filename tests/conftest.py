"""Shared fixtures: every app folder under tmp_path, Qt offscreen, a simulator on a free loopback port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.postgres_server import PostgresServer, Team

# Before any Qt import: tests never need a display (the e2e tests start their own Xvfb).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("TERMII_API_KEY", None)
os.environ.pop("TERMII_BASE_URL", None)

SIM_KEY = "sim-test-key"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"


def pytest_sessionstart(session: pytest.Session) -> None:
    """As in the desk (see termii_desk/ui/collector.py): no automatic garbage collection, which could run on any
    of the tests' worker threads and destroy a Qt object there. The main thread collects after each test."""
    import gc

    gc.disable()


@pytest.fixture(autouse=True)
def collect_on_the_main_thread() -> Iterator[None]:
    yield
    from termii_desk.ui.collector import collect_due

    collect_due()


@pytest.fixture(autouse=True)
def desk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """TERMII_DESK_HOME in a temporary folder: no test touches the real settings, history or logs."""
    home = tmp_path / "desk-home"
    monkeypatch.setenv("TERMII_DESK_HOME", str(home))
    monkeypatch.delenv("TERMII_API_KEY", raising=False)
    monkeypatch.delenv("TERMII_BASE_URL", raising=False)
    return home


@pytest.fixture
def simulator() -> Iterator[object]:
    """The project's own Termii simulator, on a free loopback port, stopped after the test."""
    from termii_desk.simulator import TermiiSimulator

    with TermiiSimulator(api_key=SIM_KEY) as sim:
        yield sim


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def secret_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Secret Service: a private D-Bus session with an unlocked gnome-keyring. Yields the bus address.

    Skipped where the programs are missing, except in CI, where a missing keyring must fail loudly.
    """
    import shutil

    from tests.secret_service import PROGRAMS

    missing = [p for p in PROGRAMS if shutil.which(p) is None]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide a Secret Service; missing: {', '.join(missing)}")
        pytest.skip(f"no Secret Service here (missing {', '.join(missing)})")
    from tests.secret_service import running_secret_service

    with running_secret_service(tmp_path_factory.mktemp("keyring-home")) as env:
        yield env["DBUS_SESSION_BUS_ADDRESS"]


@pytest.fixture(scope="session")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no trust store knows, and its key: (cert.pem, key.pem)."""
    import shutil

    from tests.fault_matrix import make_certificate

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def hostile_server() -> Iterator[object]:
    """A raw-socket server on a free loopback port that answers with scripted bytes (tests/hostile_server.py)."""
    from tests.hostile_server import HostileServer

    with HostileServer() as server:
        yield server


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real private PostgreSQL server (initdb + pg_ctl as an unprivileged user, a free loopback port).

    Skipped where PostgreSQL is not installed, except in CI, where its absence must fail loudly.
    """
    from tests.postgres_server import find_bin_dir, running_postgres

    bin_dir = find_bin_dir()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("CI must provide PostgreSQL (Debian's postgresql package: initdb, pg_ctl)")
        pytest.skip("PostgreSQL is not installed here (initdb, pg_ctl)")
    with running_postgres(bin_dir) as server:
        yield server


@pytest.fixture
def team(postgres: PostgresServer, tmp_path: Path) -> Iterator[Team]:
    """A fresh database per test on the session's server, set up as `team init` does, with three agents."""
    import uuid

    import psycopg

    from termii_desk.core.team.postgres import add_agent, init_schema
    from tests.postgres_server import AGENT_PASSWORDS, Team

    database = f"team_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres.owner_url(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {database}")
    team = Team(postgres, database, tmp_path)
    with psycopg.connect(team.owner_url, autocommit=True) as owner:
        init_schema(owner)
        for agent, password in AGENT_PASSWORDS.items():
            add_agent(owner, agent, password)
    try:
        yield team
    finally:
        for item in reversed(team.opened):
            item.close()
        if postgres.is_running():
            with psycopg.connect(postgres.owner_url(), autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
