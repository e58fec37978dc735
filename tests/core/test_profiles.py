"""core/profiles.py: the settings file's profiles, the migration from before profiles, each profile's key entry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from termii_desk.core.bootstrap import RunOptions, build_desk, profile_keystore
from termii_desk.core.errors import ConfigError, InputError
from termii_desk.core.keystore import SERVICE, USERNAME
from termii_desk.core.paths import AppPaths
from termii_desk.core.profiles import COLOURS, DEFAULT_PROFILE, ProfileError, ProfileStore, colour_for
from termii_desk.core.settings import Settings
from tests.fakes import MemoryKeyring

BEFORE_PROFILES = Path(__file__).resolve().parents[1] / "data" / "settings-before-profiles.json"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "settings.json"


def _old_file(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(BEFORE_PROFILES, path)
    return path.read_bytes()


def test_a_file_from_before_profiles_becomes_the_profile_default(path: Path) -> None:
    original = _old_file(path)
    store = ProfileStore(path).load()
    assert store.migrated and store.warnings == [] and store.names() == (DEFAULT_PROFILE,)
    profile = store.default
    assert (profile.base_url, profile.region, profile.overrides) == ("https://v3.api.termii.com", "GH", {})
    settings = store.settings_for(profile)
    assert (settings.cooldown_seconds, settings.low_balance_threshold, settings.history_retention_days,
            settings.read_timeout) == (45, 250.0, 90, 20.0)
    # Written in the new format at once, the old file kept next to it; read again, nothing changes.
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == 2 and data["default_profile"] == DEFAULT_PROFILE
    backup = path.with_name("settings.json.before-profiles")
    assert backup.read_bytes() == original and backup.stat().st_mode & 0o777 == 0o600
    again = ProfileStore(path).load()
    assert not again.migrated and again.settings_for(again.default) == settings


def test_a_migration_that_cannot_be_written_still_works_and_is_redone(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import termii_desk.core.profiles as profiles

    def full_disk(_path: Path, _data: object) -> None:
        raise OSError(28, "No space left on device")

    _old_file(path)
    with monkeypatch.context() as patch:
        patch.setattr(profiles, "write_json_atomic", full_disk)
        store = ProfileStore(path).load()
        assert store.settings_for(store.default).cooldown_seconds == 45
        with pytest.raises(ProfileError, match="No space left"):
            store.add("x", "https://api.ng.termii.com")
        assert store.names() == (DEFAULT_PROFILE,)  # not added: it could not be kept
    assert "format" not in json.loads(path.read_text(encoding="utf-8"))
    assert ProfileStore(path).load().migrated


def test_no_file_is_one_default_profile_and_nothing_is_written(path: Path) -> None:
    store = ProfileStore(path).load()
    assert store.names() == (DEFAULT_PROFILE,) and store.settings_for(store.default) == Settings()
    assert not path.exists()


def test_add_default_remove_and_their_refusals(path: Path) -> None:
    store = ProfileStore(path).load()
    live = store.add("live", "https://v3.api.termii.com/", "gh")
    assert (live.base_url, live.region) == ("https://v3.api.termii.com", "GH")
    with pytest.raises(ProfileError, match="exists already"):
        store.add("LIVE", "https://api.ng.termii.com")
    for bad in ("", "a b", "-x", "x" * 33, "naïve", "a/b"):
        with pytest.raises(InputError, match="not a profile name"):
            store.add(bad, "https://api.ng.termii.com")
    with pytest.raises(InputError, match="https://"):
        store.add("plain", "http://api.ng.termii.com")
    with pytest.raises(ProfileError, match="default profile"):
        store.remove(DEFAULT_PROFILE)
    store.set_default("Live")  # names are found whatever their case
    assert ProfileStore(path).load().default_name == "live"
    store.remove(DEFAULT_PROFILE)
    assert ProfileStore(path).load().names() == ("live",)
    with pytest.raises(ProfileError, match="There is no profile 'nope'"):
        store.get("nope")


def test_each_profile_gets_a_distinct_colour(path: Path) -> None:
    store = ProfileStore(path).load()
    for n in range(14):
        store.add(f"p{n}", "https://api.ng.termii.com")
    colours = [store.get(name).colour for name in store.names()]
    assert len(set(colours)) == len(colours) == 15
    assert colours[0] == COLOURS[0] and all(len(colour_for(i)) == 7 for i in range(40))


def test_settings_saved_for_a_profile_keep_only_what_differs(path: Path) -> None:
    store = ProfileStore(path).load()
    store.add("test", "https://api.ng.termii.com")
    base = store.settings_for(store.get("test"))
    store.save_settings("test", base.updated(cooldown_seconds=5, base_url="https://v3.api.termii.com",
                                             history_retention_days=30))
    loaded = ProfileStore(path).load()
    test, default = loaded.get("test"), loaded.default
    assert test.overrides == {"cooldown_seconds": 5} and test.base_url == "https://v3.api.termii.com"
    assert loaded.settings_for(default).cooldown_seconds == 60  # another profile's change stays its own
    # Retention is one for the history file: shared by every profile.
    assert loaded.settings_for(default).history_retention_days == 30
    # Setting a value back to the shared one drops the difference.
    loaded.save_settings("test", loaded.settings_for(test).updated(cooldown_seconds=60))
    assert ProfileStore(path).load().get("test").overrides == {}


def test_garbage_in_the_file_is_ignored_with_a_word_and_never_moves_a_profile_to_another_host(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({
        "format": 2, "default_profile": "gone", "retention_asked": "yes",
        "settings": {"cooldown_seconds": -1, "api_key": "pasted-by-hand"},
        "profiles": {"ok": {"base_url": "https://api.ng.termii.com", "region": "ZZ", "colour": "red",
                            "settings": {"read_timeout": "soon"}},
                     "evil": {"base_url": "http://evil.example"}, "bad name": {}, "x": []},
    }), encoding="utf-8")
    store = ProfileStore(path).load()
    assert store.names() == ("evil", "ok") and store.default_name == "ok" and store.retention_asked is False
    ok = store.get("ok")
    assert ok.region == "NG" and ok.colour.startswith("#") and ok.overrides == {}
    assert store.resolve(ok) == (Settings(), None)
    text = " ".join(store.warnings)
    for word in ("cooldown_seconds", "'api_key'", "country", "read_timeout", "'bad name'", "'gone'"):
        assert word in text, word
    assert "pasted-by-hand" not in text
    # A base URL that cannot be used stays as written: nothing is sent with it, never to the default host.
    settings, problem = store.resolve(store.get("evil"))
    assert settings.base_url == "http://evil.example"
    assert problem and problem.startswith("The base URL of profile evil cannot be used, so nothing is sent")


def test_a_file_from_a_newer_desk_is_read_but_never_overwritten(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"format": 3, "profiles": {}}), encoding="utf-8")
    before = path.read_bytes()
    store = ProfileStore(path).load()
    assert store.read_only and "newer Termii Desk" in store.warnings[0]
    with pytest.raises(ProfileError):
        store.add("x", "https://api.ng.termii.com")
    assert path.read_bytes() == before


def test_termii_base_url_replaces_the_profiles_address_for_the_run(path: Path) -> None:
    store = ProfileStore(path).load()
    assert store.resolve(store.default, {"TERMII_BASE_URL": "http://127.0.0.1:9"}) == (
        Settings(base_url="http://127.0.0.1:9"), None)
    settings, problem = store.resolve(store.default, {"TERMII_BASE_URL": "ftp://x"})
    assert settings.base_url == "ftp://x" and problem and problem.startswith("TERMII_BASE_URL cannot be used")


def test_each_profile_has_its_own_key_entry_and_default_takes_over_the_old_one(path: Path) -> None:
    backend = MemoryKeyring()
    backend.set_password(SERVICE, USERNAME, "key-from-before")
    store = ProfileStore(path).load()
    store.add("other", "https://api.ng.termii.com")
    _profile, other = profile_keystore(store, "other", environ={}, keyring_backend=backend)
    assert other.get() is None  # never the old key: it belonged to the account that became "default"
    profile, default = profile_keystore(store, None, environ={}, keyring_backend=backend)
    assert profile.name == DEFAULT_PROFILE and default.get() == "key-from-before"
    assert backend.passwords == {(SERVICE, "profile:default"): "key-from-before"}
    other.set("other-key")
    assert default.get() == "key-from-before" and other.get() == "other-key"
    default.delete()
    assert backend.passwords == {(SERVICE, "profile:other"): "other-key"}


def test_the_bootstrap_builds_the_selected_profile(desk_home: Path) -> None:
    paths = AppPaths.from_environment()
    store = ProfileStore(paths.settings_file).load()
    store.add("gh", "https://v3.api.termii.com", "GH")
    backend = MemoryKeyring()
    services = build_desk(paths, environ={"TERMII_DESK_PROFILE": "gh"}, keyring_backend=backend)
    try:
        assert services.profile.name == "gh" and services.desk.profile == "gh"
        assert services.settings.base_url == "https://v3.api.termii.com" and services.settings.default_region == "GH"
        assert services.keystore.username == "profile:gh" and services.switch_blocker() is None
    finally:
        services.close()
    explicit = build_desk(paths, RunOptions(profile="default"), environ={"TERMII_DESK_PROFILE": "gh"})
    assert explicit.profile.name == "default"  # --profile wins over the environment
    explicit.close()
    with pytest.raises(ConfigError, match="no profile 'nope'"):
        build_desk(paths, RunOptions(profile="nope"), strict=True, environ={})
    lenient = build_desk(paths, RunOptions(profile="nope"), environ={})
    assert lenient.profile.name == "default" and any("no profile 'nope'" in n for n in lenient.notices)
    lenient.close()


@pytest.mark.parametrize(
    ("options", "environ", "pinned"),
    [(RunOptions(base_url="http://127.0.0.1:9"), {}, "--base-url"),
     (RunOptions(), {"TERMII_BASE_URL": "http://127.0.0.1:9"}, "TERMII_BASE_URL"),
     (RunOptions(), {"TERMII_API_KEY": "run-key"}, "TERMII_API_KEY")],
)
def test_a_run_with_its_own_address_or_key_stays_on_its_profile(
    desk_home: Path, options: RunOptions, environ: dict[str, str], pinned: str
) -> None:
    services = build_desk(AppPaths.from_environment(), options, environ=environ, keyring_backend=MemoryKeyring())
    try:
        blocker = services.switch_blocker()
        assert blocker is not None and pinned in blocker
    finally:
        services.close()


def test_a_change_never_undoes_what_another_desk_wrote_meanwhile(path: Path) -> None:
    window = ProfileStore(path).load()
    window.add("live", "https://api.ng.termii.com")
    command_line = ProfileStore(path).load()
    command_line.add("test", "https://v3.api.termii.com")  # while the window is open
    window.save_settings("live", window.settings_for(window.get("live")).updated(cooldown_seconds=10))
    again = ProfileStore(path).load()
    assert again.names() == ("default", "live", "test") and again.get("live").overrides == {"cooldown_seconds": 10}
    command_line.remove("live")
    with pytest.raises(ProfileError, match="no profile 'live'"):
        window.save_settings("live", Settings())  # removed meanwhile: said, not written back
    assert ProfileStore(path).load().names() == ("default", "test")
