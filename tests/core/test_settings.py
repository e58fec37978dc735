"""Settings: one declaration each, defaults, checks, garbage files, environment override, no key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from termii_desk.core.client import TermiiClient
from termii_desk.core.errors import ConfigError
from termii_desk.core.settings import Settings, SettingsStore


def test_defaults() -> None:
    settings = Settings()
    assert settings.base_url == "https://api.ng.termii.com"
    assert settings.default_region == "NG"
    assert settings.cooldown_seconds == 60
    assert settings.ca_bundle == ""


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "config" / "settings.json")
    changed = Settings().updated(base_url="https://v3.api.termii.com/api/", default_region="gh", cooldown_seconds=30)
    store.save(changed)
    loaded = store.load(environ={})
    assert loaded == changed
    assert loaded.base_url == "https://v3.api.termii.com" and loaded.default_region == "GH"
    assert store.warnings == []


def test_settings_file_never_holds_a_key(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    store.save(Settings())
    assert "key" not in json.loads((tmp_path / "settings.json").read_text())
    assert not any("key" in name for name in Settings.names())


@pytest.mark.parametrize(
    ("content", "warning"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not valid JSON"),
        ('{"read_timeout": "soon"}', "Ignored the setting read_timeout"),
        ('{"read_timeout": -1}', "Ignored the setting read_timeout"),
        ('{"read_timeout": "NaN"}', "Ignored the setting read_timeout"),
        ('{"default_region": "XX"}', "Ignored the setting default_region"),
        ('{"cooldown_seconds": true}', "Ignored the setting cooldown_seconds"),
        ('{"ca_bundle": "/no/such/file.pem"}', "Ignored the setting ca_bundle"),
        ('{"api_key": "sk_live_SECRET"}', "unknown entry"),
    ],
)
def test_garbage_values_fall_back_to_defaults_with_a_warning(tmp_path: Path, content: str, warning: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(content)
    store = SettingsStore(path)
    assert store.load(environ={}) == Settings()
    assert any(warning in w for w in store.warnings), store.warnings
    assert not any("sk_live_SECRET" in w for w in store.warnings)


def test_binary_garbage_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    store = SettingsStore(path)
    assert store.load(environ={}) == Settings()
    assert store.warnings


def test_environment_base_url_overrides(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    assert store.load(environ={"TERMII_BASE_URL": "http://127.0.0.1:9999/"}).base_url == "http://127.0.0.1:9999"
    assert store.base_url_problem is None and store.warnings == []


@pytest.mark.parametrize("url", ["http://example.com", "https://api.ng.termii.com\t.evil.com", "https://a。b.com",
                                 "ftp://api.ng.termii.com", "https://user@api.ng.termii.com"])
def test_a_refused_environment_base_url_is_kept_and_blocks_never_the_default(tmp_path: Path, url: str) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    settings = store.load(environ={"TERMII_BASE_URL": url})
    # Not replaced by the default host: the key and the call must not go to a host nobody chose.
    assert settings.base_url == url and settings.base_url_problem
    assert store.base_url_problem and store.base_url_problem.startswith("TERMII_BASE_URL cannot be used")
    assert not any("Ignored" in w for w in store.warnings)
    with pytest.raises(ConfigError):
        TermiiClient(settings.base_url, "k" * 20, session=requests.Session())


def test_a_refused_base_url_in_the_file_is_garbage_like_any_other_but_a_refused_override_blocks(
    tmp_path: Path,
) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"base_url": "http://evil.example", "read_timeout": "soon"}')
    store = SettingsStore(path)
    settings = store.load(environ={})
    assert settings == Settings() and store.base_url_problem is None
    assert any("Ignored the setting base_url" in w for w in store.warnings)
    # A usable TERMII_BASE_URL replaces the file's base URL; a refused one is kept and blocks.
    assert store.load(environ={"TERMII_BASE_URL": "https://v3.api.termii.com"}).base_url == "https://v3.api.termii.com"
    assert store.base_url_problem is None
    blocked = store.load(environ={"TERMII_BASE_URL": "https://v3.api.termii.com%2e.evil"})
    assert blocked.base_url_problem and store.base_url_problem


def test_a_huge_refused_override_is_kept_refused() -> None:
    settings, problem = Settings().with_base_url("https://api.ng.termii.com/" + "a" * 5000, "TERMII_BASE_URL")
    assert problem and "longer than" in problem and settings.base_url_problem


def test_with_base_url_keeps_a_refused_text_and_says_why() -> None:
    good, problem = Settings().with_base_url("v3.api.termii.com/api/", "--base-url")
    assert good.base_url == "https://v3.api.termii.com" and problem is None and good.base_url_problem is None
    bad, problem = Settings().with_base_url("https://api.ng.termii.com%2eevil.com", "--base-url")
    assert bad.base_url == "https://api.ng.termii.com%2eevil.com"
    assert problem and problem.startswith("--base-url cannot be used") and "%" in problem
    assert bad.base_url_problem and bad.base_url_problem in problem


def test_updated_names_the_bad_setting() -> None:
    with pytest.raises(ConfigError, match="Answer timeout"):
        Settings().updated(read_timeout=0)
    with pytest.raises(ConfigError, match="https://"):
        Settings().updated(base_url="http://api.ng.termii.com")


def test_save_is_atomic_when_writing_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "settings.json"
    store = SettingsStore(path)
    store.save(Settings().updated(cooldown_seconds=5))
    import os

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError):
        store.save(Settings().updated(cooldown_seconds=99))
    monkeypatch.undo()
    assert store.load(environ={}).cooldown_seconds == 5
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


ABSURD = {
    "history_retention_days": ["1e9", "1000000000", "1e400", "-1", "36500.5", '"forever"', "[[1]]", "null"],
    "cooldown_seconds": ["1e15", "1E+400", "9" * 5000, "-0.5", "true", '{"a": 1}', "NaN", "Infinity"],
    "read_timeout": ["1e300", "1e400", "-1e400", "0", "0.5", '"1e300"', "[30]", "-Infinity"],
    "connect_timeout": ["1e300", "0.1", "121", '"fast"', "1e-400"],
    "low_balance_threshold": ["1e300", "-1", "1e10", '"lots"'],
    "base_url": ["5", "[]", '"' + "h" * 5000 + '"'],
    "default_region": ["5", '"' + "N" * 100_000 + '"', "null"],
    "ca_bundle": ["1", '"\\u0000/etc/x"', '"' + "/x" * 5000 + '"'],
}


@pytest.mark.parametrize(("name", "text"), [(n, t) for n, texts in ABSURD.items() for t in texts])
def test_absurd_values_fall_back_to_the_default_with_a_short_notice(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(f'{{"{name}": {text}, "default_region": "GH"}}'
                    if name != "default_region" else f'{{"{name}": {text}}}')
    store = SettingsStore(path)
    settings = store.load(environ={})
    assert getattr(settings, name) == getattr(Settings(), name)
    assert name == "default_region" or settings.default_region == "GH"  # the good values are kept
    [notice] = [w for w in store.warnings if name in w and "unknown" not in w]
    assert "using the default" in notice and len(notice) < 300
    # Every use of the values: nothing overflows.
    from datetime import timedelta
    timedelta(seconds=settings.cooldown_seconds), timedelta(days=settings.history_retention_days)
    assert settings.read_timeout + settings.connect_timeout < 1000


def test_ranges_are_declared_once_and_checked_in_every_way_in(tmp_path: Path) -> None:
    spec = Settings.spec("cooldown_seconds")
    assert (spec.minimum, spec.maximum, spec.kind) == (0, 86_400, int)
    assert Settings().updated(cooldown_seconds="86400").cooldown_seconds == 86_400
    with pytest.raises(ConfigError, match="at most 86,400"):
        Settings().updated(cooldown_seconds=86_401)
    with pytest.raises(ConfigError, match="at most 600"):
        Settings(read_timeout=1e300)  # made directly, too
    with pytest.raises(ConfigError, match="whole number"):
        Settings().updated(history_retention_days=1.5)
    for name in Settings.names():
        default = getattr(Settings(), name)
        assert Settings.spec(name).coerce(default, check=False) == default  # every default is in its range


@pytest.mark.parametrize("content", ["[" * 100_000 + "]" * 100_000, '{"a": ' + "[" * 50_000 + "]" * 50_000 + "}",
                                     '{"read_timeout": ' + "{\"x\": " * 20_000 + "1" + "}" * 20_000 + "}"])
def test_deeply_nested_json_is_not_valid_json(tmp_path: Path, content: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(content)
    store = SettingsStore(path)
    assert store.load(environ={}) == Settings()
    assert any("not valid JSON" in w for w in store.warnings)


def test_a_huge_file_is_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"cooldown_seconds": 5, "x": "' + "a" * 3_000_000 + '"}')
    store = SettingsStore(path)
    assert store.load(environ={}) == Settings()
    assert any("larger than 1 MB" in w for w in store.warnings)
