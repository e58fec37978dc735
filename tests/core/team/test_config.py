"""Where the team history is, shown without its password; the driver loaded only when one is configured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from termii_desk.core.history import HistoryStore
from termii_desk.core.settings import Settings
from termii_desk.core.team import (
    HISTORY_URL_ENV,
    check_history_url,
    configured_url,
    open_history,
    parse_history_url,
    redact_url,
    url_password,
)


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://alice:s3cr%40t@db.example:5433/desk?sslmode=require",
     "postgresql://alice:***@db.example:5433/desk?sslmode=require"),
    ("postgresql://alice@db/desk?password=hunter22&sslmode=verify-full",
     "postgresql://alice@db/desk?password=***&sslmode=verify-full"),
    ("postgres://bob:pw@[::1]:5432/desk", "postgres://bob:***@[::1]:5432/desk"),
    ("postgresql://alice@db.example/desk", "postgresql://alice@db.example/desk"),
])
def test_the_url_is_shown_without_its_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert parse_history_url(url).shown == shown
    secret = url_password(url)
    assert (secret is not None) == ("***" in shown)
    if secret:
        assert secret not in shown


def test_a_url_is_taken_apart_for_sentences() -> None:
    target = parse_history_url("postgresql://alice@db.example:5433/desk")
    assert (target.user, target.host, target.port, target.database, target.place) == (
        "alice", "db.example", "5433", "desk", "db.example:5433/desk")
    socket_target = parse_history_url("postgresql:///desk?host=/run/postgresql&user=carol")
    assert (socket_target.user, socket_target.host, socket_target.port) == ("carol", "local socket", "5432")
    assert parse_history_url("postgresql://dave@db").database == "dave"  # libpq's default: the user's name


@pytest.mark.parametrize("bad", ["mysql://alice@db/desk", "db.example:5432", "postgresql://alice@db:99999/x"])
def test_a_url_that_is_not_postgresql_is_refused_without_echoing_it(bad: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_history_url(bad)
    assert bad not in str(refused.value)


def test_settings_refuse_a_url_holding_a_password_and_keep_one_without() -> None:
    assert check_history_url("") == ""
    assert Settings().updated(history_url=" postgresql://alice@db/desk ").history_url == "postgresql://alice@db/desk"
    for with_password in ("postgresql://alice:pw-991@db/desk", "postgresql://alice@db/desk?password=pw-991"):
        with pytest.raises(Exception) as refused:
            Settings().updated(history_url=with_password)
        assert "pw-991" not in str(refused.value) and "team password set" in str(refused.value)


def test_the_environment_wins_over_the_setting() -> None:
    assert configured_url("postgresql://a@x/d", {HISTORY_URL_ENV: "postgresql://b@y/d"}) == "postgresql://b@y/d"
    assert configured_url("postgresql://a@x/d", {}) == "postgresql://a@x/d"
    assert configured_url("", {}) == ""


def test_without_a_url_the_history_is_the_local_file(tmp_path: Path) -> None:
    history = open_history(tmp_path / "h.sqlite3", "", data_dir=tmp_path, environ={})
    assert isinstance(history, HistoryStore)
    history.close()


def test_without_the_driver_the_desk_falls_back_to_its_file_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as where the team extra is not installed
    monkeypatch.delitem(sys.modules, "termii_desk.core.team.postgres", raising=False)
    history = open_history(tmp_path / "h.sqlite3", "postgresql://alice@db/desk", data_dir=tmp_path, environ={})
    assert isinstance(history, HistoryStore)
    assert "driver is not installed" in (history.notice or "") and "termii-desk[team]" in (history.notice or "")
    history.close()


def test_the_driver_is_loaded_only_when_a_team_history_is_configured(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from termii_desk.core.bootstrap import build_desk\n"
        "from termii_desk.core.paths import AppPaths\n"
        "services = build_desk(AppPaths.from_environment())\n"
        "services.history.count()\n"
        "print('psycopg' in sys.modules)\n"
    )
    env = {"TERMII_DESK_HOME": str(tmp_path), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr
    env[HISTORY_URL_ENV] = "postgresql://alice@127.0.0.1:1/desk"
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "True", done.stderr
