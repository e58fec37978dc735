"""A fresh team database per test on the session's private PostgreSQL, set up as ``team init`` does."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.postgres_server import PostgresServer

AGENT_PASSWORDS = {"alice": "alice-pw-Zk41", "bob": "bob-pw-Qm93", "carol": "carol-pw-Tx27"}


@dataclass
class Team:
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


@pytest.fixture
def team(postgres: PostgresServer, tmp_path: Path) -> Iterator[Team]:
    import psycopg

    from termii_desk.core.team.postgres import add_agent, init_schema

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


@pytest.fixture
def make_history(team: Team) -> Callable[..., Any]:
    return team.history
