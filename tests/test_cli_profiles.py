"""Profiles on the command line, end to end: two simulators, a real Secret Service, files from before profiles."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from termii_desk.simulator import TermiiSimulator
from tests.test_cli import run

DATA = Path(__file__).resolve().parent / "data"
KEY_A, KEY_B = "key-for-account-a-1111", "key-for-account-b-2222"

pytestmark = pytest.mark.keyring


def _keyring(bus: str, action: str, username: str, password: str = "") -> str:
    """The keyring as another program sees it (the release before profiles wrote its key this way)."""
    script = {
        "get": f"import keyring; print(keyring.get_password('termii-desk', {username!r}) or '')",
        "set": f"import keyring; keyring.set_password('termii-desk', {username!r}, {password!r})",
        "delete": ("import keyring, keyring.errors\ntry:\n"
                   f"    keyring.delete_password('termii-desk', {username!r})\n"
                   "except keyring.errors.PasswordDeleteError:\n    pass"),
    }[action]
    done = subprocess.run([sys.executable, "-c", script], env={"DBUS_SESSION_BUS_ADDRESS": bus, "PATH": "/usr/bin"},
                          capture_output=True, text=True, timeout=30, check=True)
    return done.stdout.strip()


@pytest.fixture
def bus(secret_service: str) -> Iterator[str]:
    """The Secret Service, with every entry these tests write removed afterwards (the session shares it)."""
    yield secret_service
    for username in ("api-key", "profile:default", "profile:a", "profile:b"):
        _keyring(secret_service, "delete", username)


@pytest.fixture
def two() -> Iterator[tuple[TermiiSimulator, TermiiSimulator]]:
    with TermiiSimulator(api_key=KEY_A, user="Account A") as a, TermiiSimulator(api_key=KEY_B, user="Account B") as b:
        yield a, b


def test_settings_and_key_from_before_profiles_become_the_profile_default(
    bus: str, simulator: TermiiSimulator, desk_home: Path
) -> None:
    # The previous release's settings file, byte for byte, pointed at the simulator; its key under "api-key".
    old = (DATA / "settings-before-profiles.json").read_text(encoding="utf-8")
    settings_file = desk_home / "config" / "settings.json"
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text(old.replace("https://v3.api.termii.com", simulator.url), encoding="utf-8")
    _keyring(bus, "set", "api-key", simulator.api_key)
    env = {"DBUS_SESSION_BUS_ADDRESS": bus}

    listed = run("profile", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    [profile] = json.loads(listed.stdout)
    assert profile["name"] == "default" and profile["default"] is True
    assert profile["base_url"] == simulator.url and profile["region"] == "GH"

    status = run("key", "status", "--json", env=env)
    assert json.loads(status.stdout)["source"] == "keyring" and json.loads(status.stdout)["profile"] == "default"
    # A number without + is read as Ghanaian (the old default country); the old key is used.
    called = run("call", "024 412 3456", "482916", "--json", env=env)
    assert called.returncode == 0, called.stderr
    assert json.loads(called.stdout)["phone_number"] == "233244123456"
    assert simulator.calls[0].json["api_key"] == simulator.api_key  # type: ignore[index]
    # The key now lives in the profile's own entry only; the shared settings kept their values.
    assert _keyring(bus, "get", "profile:default") == simulator.api_key
    assert _keyring(bus, "get", "api-key") == ""
    data = json.loads(settings_file.read_text(encoding="utf-8"))
    assert data["format"] == 2 and data["settings"]["cooldown_seconds"] == 45
    assert data["settings"]["history_retention_days"] == 90 and data["retention_asked"] is False
    assert (settings_file.parent / "settings.json.before-profiles").read_text(encoding="utf-8") == old.replace(
        "https://v3.api.termii.com", simulator.url)
    # The cooldown read from the old file still holds.
    assert run("call", "024 412 3456", "482916", env=env).returncode == 6
    history = json.loads(run("history", "--json", env=env).stdout)
    assert [row["profile"] for row in history] == ["default"]


def test_two_profiles_never_use_each_others_key_or_address(
    bus: str, two: tuple[TermiiSimulator, TermiiSimulator], desk_home: Path
) -> None:
    a, b = two
    env = {"DBUS_SESSION_BUS_ADDRESS": bus}
    assert run("profile", "add", "a", "--base-url", a.url, env=env).returncode == 0
    added = run("profile", "add", "b", "--base-url", b.url, "--region", "gh", env=env)
    assert added.returncode == 0 and "--profile b key set" in added.stdout
    assert run("--profile", "a", "key", "set", env=env, stdin=KEY_A + "\n").returncode == 0
    assert run("key", "set", env={**env, "TERMII_DESK_PROFILE": "b"}, stdin=KEY_B + "\n").returncode == 0
    assert _keyring(bus, "get", "profile:a") == KEY_A and _keyring(bus, "get", "profile:b") == KEY_B

    assert run("call", "+2348031234567", "482916", "--profile", "a", env=env).returncode == 0
    assert run("call", "0244123456", "551177", env={**env, "TERMII_DESK_PROFILE": "b"}).returncode == 0
    assert [c.json["api_key"] for c in a.calls] == [KEY_A]  # type: ignore[index]
    assert [c.json["api_key"] for c in b.calls] == [KEY_B]  # type: ignore[index]
    assert b.calls[0].json["phone_number"] == "233244123456"  # b's own default country  # type: ignore[index]
    balance_b = json.loads(run("balance", "--json", "--profile", "b", env=env).stdout)
    assert balance_b["user"] == "Account B"
    # The default profile has no key of its own: it never borrows one.
    no_key = run("call", "+2348031234560", "482916", env=env)
    assert no_key.returncode == 3 and len(a.calls) == 1 and len(b.calls) == 1

    every = json.loads(run("history", "--json", env=env).stdout)
    assert sorted(row["profile"] for row in every) == ["a", "b"]
    only_a = json.loads(run("history", "--json", "--profile", "a", env=env).stdout)
    assert [row["profile"] for row in only_a] == ["a"]
    lines = run("history", env=env).stdout.splitlines()
    assert any(" a " in line and "+2348031234567" in line for line in lines)
    table = list(csv.DictReader(io.StringIO(run("history", "--csv", env=env).stdout.lstrip("\ufeff"))))
    assert {row["profile"] for row in table} == {"a", "b"}

    # Removing b asks (no terminal: refused), or takes --yes, and takes its key with it.
    refused = run("profile", "remove", "b", env=env)
    assert refused.returncode == 2 and _keyring(bus, "get", "profile:b") == KEY_B
    removed = run("profile", "remove", "b", "--yes", env=env)
    assert removed.returncode == 0, removed.stderr
    assert _keyring(bus, "get", "profile:b") == ""
    assert [p["name"] for p in json.loads(run("profile", "list", "--json", env=env).stdout)] == ["a", "default"]
    gone = run("--profile", "b", "call", "+2348031234561", "482916", env=env)
    assert gone.returncode == 3 and "no profile 'b'" in gone.stderr
    assert len(b.calls) == 1


def test_the_default_profile_can_be_changed_but_not_removed(
    bus: str, two: tuple[TermiiSimulator, TermiiSimulator]
) -> None:
    a, _b = two
    env = {"DBUS_SESSION_BUS_ADDRESS": bus}
    assert run("profile", "add", "a", "--base-url", a.url, env=env).returncode == 0
    assert run("profile", "default", "a", env=env).returncode == 0
    listed = run("profile", "list", env=env).stdout.splitlines()
    assert listed[0].startswith("* a ") and listed[1].startswith("  default")
    refused = run("profile", "remove", "a", "--yes", env=env)
    assert refused.returncode == 3 and "default profile" in refused.stderr
    assert run("--profile", "a", "key", "set", env=env, stdin=KEY_A + "\n").returncode == 0
    assert run("call", "+2348031234567", "482916", env=env).returncode == 0  # the default profile: a
    assert len(a.calls) == 1


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["profile", "add", "no spaces", "--base-url", "https://api.ng.termii.com"], 2, "not a profile name"),
        (["profile", "add", "x"], 2, "--base-url"),
        (["profile", "add", "x", "--base-url", "http://api.ng.termii.com"], 2, "https://"),
        (["profile", "add", "x", "--base-url", "https://api.ng.termii.com", "--region", "XX"], 2, "country"),
        (["profile", "add", "DEFAULT", "--base-url", "https://api.ng.termii.com"], 3, "exists already"),
        (["profile", "default", "nope"], 3, "no profile 'nope'"),
    ],
)
def test_profile_input_mistakes_are_one_sentence(args: list[str], code: int, words: str, desk_home: Path) -> None:
    result = run(*args, env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert result.returncode == code, result.stderr
    assert words in result.stderr and "Traceback" not in result.stderr
    assert not (desk_home / "config" / "settings.json").exists()  # nothing half-written


def test_a_profile_without_a_key_names_itself_in_the_command_that_stores_one(
    bus: str, two: tuple[TermiiSimulator, TermiiSimulator], desk_home: Path
) -> None:
    a, _b = two
    env = {"DBUS_SESSION_BUS_ADDRESS": bus}
    assert run("profile", "add", "a", "--base-url", a.url, env=env).returncode == 0
    # Following the advice must store a's key, not the default profile's.
    for selected in (["--profile", "a"], []):
        extra = {} if selected else {"TERMII_DESK_PROFILE": "a"}
        refused = run(*selected, "call", "+2348031234567", "482916", env={**env, **extra})
        assert refused.returncode == 3 and "`termii-desk --profile a key set`" in refused.stderr, refused.stderr
        status = run(*selected, "key", "status", env={**env, **extra})
        assert status.returncode == 0 and "`termii-desk --profile a key set`" in status.stdout, status.stdout
    default = run("call", "+2348031234567", "482916", env=env)
    assert default.returncode == 3 and "`termii-desk key set`" in default.stderr, default.stderr
    assert "--profile" not in default.stderr  # the default profile needs no option to name it
    assert a.calls == []
