"""core/bootstrap.py: the one way every face builds the desk, and the rules it applies for all of them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from termii_desk.core.bootstrap import DemoAccount, RunOptions, build_desk
from termii_desk.core.errors import ConfigError
from termii_desk.core.history import HistoryRow, HistoryStore
from termii_desk.core.paths import AppPaths
from termii_desk.core.settings import Settings
from tests.conftest import SIM_KEY
from tests.fakes import MemoryKeyring


def _old_row(days: int) -> HistoryRow:
    when = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat(timespec="milliseconds")
    return HistoryRow(0, when, "agent", "0.1", "api.ng.termii.com", "2348031234567", "12••••", "sent", 200,
                      "m1", "Successfully Sent", "100", "NGN", 300, None)


def _write_settings(paths: AppPaths, **values: object) -> None:
    """A settings file as the release before profiles wrote it: one flat object."""
    paths.settings_file.parent.mkdir(parents=True, exist_ok=True)
    paths.settings_file.write_text(json.dumps(values), encoding="utf-8")


def _write_profiles(paths: AppPaths, *, asked: bool, **shared: object) -> None:
    paths.settings_file.parent.mkdir(parents=True, exist_ok=True)
    data = {"format": 2, "default_profile": "default", "retention_asked": asked, "settings": shared,
            "profiles": {"default": {"base_url": "https://api.ng.termii.com", "region": "NG"}}}
    paths.settings_file.write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture
def paths(desk_home: Path) -> AppPaths:
    return AppPaths.from_environment()


def test_saved_settings_key_and_history_come_from_the_paths(paths: AppPaths) -> None:
    _write_settings(paths, cooldown_seconds=15, default_region="GH")
    services = build_desk(paths, environ={"TERMII_API_KEY": SIM_KEY})
    try:
        assert services.settings.cooldown_seconds == 15 and services.settings.default_region == "GH"
        assert services.key_status.source == "environment" and services.keystore.get() == SIM_KEY
        assert services.history.path == paths.history_file()
        assert services.settings_store is not None and services.run_only == ()
    finally:
        services.close()


def test_timeout_applies_and_caps_the_connect_timeout(paths: AppPaths) -> None:
    services = build_desk(paths, RunOptions(timeout=2.5), environ={})
    try:
        assert services.settings.read_timeout == 2.5 and services.settings.connect_timeout == 2.5
        assert services.run_only == ("--timeout",) and services.settings_store is None
    finally:
        services.close()


@pytest.mark.parametrize(
    ("options", "environ", "named"),
    [
        (RunOptions(base_url="http://127.0.0.1:9"), {}, "--base-url"),
        (RunOptions(region="gh"), {}, "--region"),
        (RunOptions(timeout=3.0), {}, "--timeout"),
        (RunOptions(), {"TERMII_BASE_URL": "http://127.0.0.1:9"}, "TERMII_BASE_URL"),
    ],
)
def test_run_only_overrides_are_never_saved(
    paths: AppPaths, options: RunOptions, environ: dict[str, str], named: str
) -> None:
    services = build_desk(paths, options, environ=environ)
    try:
        assert named in services.run_only
        services.save_settings(services.settings.updated(cooldown_seconds=5))
        assert services.settings.cooldown_seconds == 5  # applied for this run
        assert not paths.settings_file.exists()  # but not written, with the override, as if chosen
    finally:
        services.close()


@pytest.mark.parametrize(
    ("options", "environ", "origin"),
    [(RunOptions(), {"TERMII_BASE_URL": "garbage://x"}, "TERMII_BASE_URL"),
     (RunOptions(base_url="http://api.ng.termii.com"), {}, "--base-url")],
)
@pytest.mark.parametrize("strict", [True, False])
def test_an_unusable_base_url_override_is_kept_and_blocks_sending_never_the_default(
    paths: AppPaths, options: RunOptions, environ: dict[str, str], origin: str, strict: bool
) -> None:
    _write_settings(paths, base_url="https://v3.api.termii.com")
    services = build_desk(paths, options, strict=strict, environ=environ)
    try:
        problem = services.base_url_problem
        assert problem and problem.startswith(f"{origin} cannot be used, so nothing is sent")
        assert services.settings.base_url == (options.base_url or environ.get("TERMII_BASE_URL"))
        assert origin in services.run_only and services.settings_store is None
        # The window shows it as a notice; the command line decides by command (exit 3, or a warning).
        assert any(problem in notice for notice in services.notices) is not strict
        with pytest.raises(ConfigError):
            services.desk.client()
    finally:
        services.close()


@pytest.mark.parametrize(
    ("options", "word"),
    [(RunOptions(region="XX"), "--region"), (RunOptions(timeout=-1.0), "--timeout")],
)
def test_strict_faces_refuse_a_bad_override_lenient_ones_say_they_ignored_it(
    paths: AppPaths, options: RunOptions, word: str
) -> None:
    with pytest.raises(ConfigError, match=word):
        build_desk(paths, options, strict=True, environ={})
    services = build_desk(paths, options, environ={})
    try:
        assert any(notice.startswith(f"Ignored {word}") for notice in services.notices)
        assert services.settings == Settings()
    finally:
        services.close()


def test_retention_is_applied_at_build_once_the_agent_was_asked(paths: AppPaths) -> None:
    _write_profiles(paths, asked=True, history_retention_days=30)
    store = HistoryStore(paths.history_file())
    store.import_rows([_old_row(40), _old_row(10)])
    store.close()
    services = build_desk(paths, environ={})
    try:
        rows = services.history.page(10)
        assert len(rows) == 1 and rows[0].time > datetime.now(timezone.utc) - timedelta(days=11)
    finally:
        services.close()


def test_until_the_agent_was_asked_nothing_is_purged(paths: AppPaths) -> None:
    _write_profiles(paths, asked=False, history_retention_days=30)
    store = HistoryStore(paths.history_file())
    store.import_rows([_old_row(40), _old_row(10)])
    store.close()
    for _ in range(2):
        services = build_desk(paths, environ={})
        try:
            assert services.history.count() == 2
        finally:
            services.close()


def test_retention_zero_keeps_everything(paths: AppPaths) -> None:
    _write_profiles(paths, asked=True, history_retention_days=0)
    store = HistoryStore(paths.history_file())
    store.import_rows([_old_row(4000)])
    store.close()
    services = build_desk(paths, environ={})
    try:
        assert services.history.count() == 1
    finally:
        services.close()


def test_demo_uses_its_account_a_separate_history_and_never_saves(paths: AppPaths) -> None:
    demo = DemoAccount("http://127.0.0.1:7", "k-demo")
    services = build_desk(paths, RunOptions(base_url="http://127.0.0.1:9"), demo=demo,
                          environ={"TERMII_API_KEY": "real-key", "TERMII_BASE_URL": "http://127.0.0.1:8"})
    try:
        assert services.demo and services.settings_store is None
        assert services.settings.base_url == "http://127.0.0.1:7"
        assert services.keystore.get() == "k-demo"  # not the real key from the environment
        assert services.history.path == paths.history_file(demo=True)
    finally:
        services.close()


def test_self_test_ignores_saved_settings_and_removes_its_history(paths: AppPaths) -> None:
    _write_settings(paths, cooldown_seconds=5)
    services = build_desk(paths, RunOptions(self_test=True), demo=DemoAccount("http://127.0.0.1:7", "k"), environ={})
    history_path = services.history.path
    assert services.settings.cooldown_seconds == Settings().cooldown_seconds
    assert history_path is not None and not history_path.is_relative_to(paths.data_dir)
    services.close()
    assert not history_path.exists()


def test_store_key_and_check_key_use_the_services_keyring(paths: AppPaths, simulator: object) -> None:
    url = simulator.url  # type: ignore[attr-defined]
    services = build_desk(paths, RunOptions(base_url=url), environ={}, keyring_backend=MemoryKeyring())
    try:
        assert not services.key_status.has_key
        with pytest.raises(ConfigError):
            services.check_key("")
        assert services.check_key(SIM_KEY).balance is not None
        status = services.store_key(SIM_KEY)
        assert status.source == "keyring" and services.key_status == status
        assert services.desk.check_balance().balance is not None
    finally:
        services.close()
