"""The one place that builds the desk for a face: the window, the command line, or any other.

``build_desk()`` turns paths, the saved settings, this run's overrides and the profile into ``DeskServices``,
step by step as qutebrowser's ``app._init_modules`` does: the profile (``--profile``, ``TERMII_DESK_PROFILE`` or
the default), its settings (with the run-only overrides), its key store, the history (the local file or a team's,
recording this profile; retention applied once the agent was asked), then the ``Desk`` (client and cooldown
rule). Every face calls it, so the rules cannot drift apart: an override given for this run is never saved,
``--timeout`` applies to both, retention is applied by both. A face that switches profiles calls it again for
the other profile. Nothing here knows a face; faces show ``notices`` their own way.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from termii_desk.core.desk import Desk
from termii_desk.core.errors import ConfigError
from termii_desk.core.history import HistoryError, HistoryStore
from termii_desk.core.history_backend import HistoryBackend
from termii_desk.core.keystore import KEY_ENV, USERNAME, KeyStatus, KeyStore
from termii_desk.core.paths import HOME_ENV, AppPaths
from termii_desk.core.profiles import DEFAULT_PROFILE, Profile, ProfileError, ProfileStore
from termii_desk.core.results import BalanceResult
from termii_desk.core.settings import BASE_URL_ENV, Settings

log = logging.getLogger(__name__)

DEMO_PROFILE = "demo"  # the name demo mode's (and the self-test's) rows carry: not a profile


@dataclass(frozen=True)
class RunOptions:
    """What this run was started with. Applies to this run only: never written to the settings file.

    ``timeout`` is Termii's answer timeout in seconds (the connect timeout is capped by it too).
    ``self_test`` ignores the saved settings and keeps history in a throwaway folder.
    """

    base_url: str | None = None
    region: str | None = None
    timeout: float | None = None
    profile: str | None = None  # --profile; else TERMII_DESK_PROFILE; else the default profile
    self_test: bool = False


@dataclass(frozen=True)
class DemoAccount:
    """Demo mode: a simulator's address and the key it accepts. Settings are not saved, history is separate."""

    base_url: str
    key: str


class SettingsSaver(Protocol):
    def save(self, settings: Settings) -> None: ...


@dataclass(frozen=True)
class ProfileSettings:
    """Saves settings as one profile's (its own values, and the shared ones where it differs)."""

    store: ProfileStore
    name: str

    def save(self, settings: Settings) -> None:
        self.store.save_settings(self.name, settings)


@dataclass
class DeskServices:
    """The core objects a face works with.

    ``settings_store`` is None when settings changes must last for this run only (demo mode, run-only
    overrides). ``run_only`` names the overrides that apply to this run (``--base-url``, ``TERMII_BASE_URL``...).
    ``notices`` are sentences to show the agent once (ignored settings, a history file moved aside).
    ``profile`` is the account in use; ``profiles`` the store of them all (None in demo mode and the self-test).
    """

    desk: Desk
    keystore: KeyStore
    history: HistoryBackend
    key_status: KeyStatus
    settings_store: SettingsSaver | None = None
    notices: list[str] = field(default_factory=list)
    demo: bool = False
    run_only: tuple[str, ...] = ()
    profile: Profile = field(default_factory=lambda: Profile(DEFAULT_PROFILE))
    profiles: ProfileStore | None = None
    # Why the base URL (a refused --base-url, TERMII_BASE_URL or settings file value, kept as given) cannot be
    # used: nothing can be sent until it is fixed. The command line stops (exit 3); the window disables its form.
    base_url_problem: str | None = None
    _temp_dir: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        return self.desk.settings

    def save_settings(self, settings: Settings) -> None:
        """Apply new settings to the desk and write them, unless this run's settings are not kept."""
        save_settings(self, settings)

    def check_key(self, key: str | None) -> BalanceResult:
        return check_key(self.settings, key, self.keystore)

    def store_key(self, key: str) -> KeyStatus:
        self.key_status = store_key(self.keystore, key)
        self.desk.forget_client()
        return self.key_status

    def switch_blocker(self) -> str | None:
        """Why this run cannot change to another profile, or None. Checked before a face switches.

        A base URL or key given for this run belongs to no profile: carried into another one it would send that
        profile's key to this run's host, or this run's key to that profile's host.
        """
        if self.demo or self.profiles is None:
            return "Demo mode has no profiles; open Termii Desk without --demo to use them."
        pinned = [name for name in self.run_only if name in ("--base-url", BASE_URL_ENV)]
        if self.key_status.source == "environment":
            pinned.append(KEY_ENV)
        if pinned:
            verb = "is" if len(pinned) == 1 else "are"
            return (f"{' and '.join(pinned)} {verb} set for this run, so it stays on the profile "
                    f"{self.profile.name}. Start Termii Desk without {'them' if len(pinned) > 1 else 'it'} "
                    "to switch profiles.")
        return None

    def close(self) -> None:
        """Close the HTTP connections and the history file; remove a self-test's folder."""
        self.desk.close()
        self.history.close()
        if self._temp_dir is not None:
            self._temp_dir.cleanup()
            self._temp_dir = None


def build_desk(
    paths: AppPaths,
    options: RunOptions | None = None,
    *,
    strict: bool = False,
    demo: DemoAccount | None = None,
    environ: Mapping[str, str] | None = None,
    keyring_backend: Any = None,
    connect_now: bool = True,
) -> DeskServices:
    """Build the desk. Never touches a widget; may wait on the keyring (faces with a GUI call it on a worker).

    ``strict``: an unusable override (``--region``, ``--timeout``) or an unknown profile raises ``ConfigError``
    (the command line exits 3 before anything is attempted); otherwise it is ignored with a notice (the window
    opens anyway and says so). A base URL that cannot be used (``--base-url``, ``TERMII_BASE_URL``, the
    profile's) is never replaced by another: it is kept, nothing can be sent with it, and ``base_url_problem``
    says why (also a notice when not ``strict``). ``connect_now``: a team history connects here (the command
    line); the window passes False and lets the history's own worker thread connect (and a local history check
    its file's integrity on a thread of its own).
    """
    options = options or RunOptions()
    paths.close_to_others()  # folders an older version left open to others (0755) are the user's alone (0700)
    env = dict(os.environ if environ is None else environ)
    notices: list[str] = []
    profiles, profile = _init_profile(paths, options, demo, env, strict, notices)
    settings, store, run_only, base_url_problem = _init_settings(profiles, profile, options, demo, env, strict,
                                                                 notices)
    if demo is not None:
        profiles, profile = None, Profile(DEMO_PROFILE, demo.base_url, settings.default_region)
    keystore, key_status = _init_keystore(profile, demo, env, keyring_backend)
    temp_dir: tempfile.TemporaryDirectory[str] | None = None
    if options.self_test:
        temp_dir = tempfile.TemporaryDirectory(prefix="termii-desk-self-test-")
        history_path = AppPaths.from_environment({HOME_ENV: temp_dir.name}).history_file(demo=True)
    else:
        history_path = paths.history_file(demo=demo is not None)
    history: HistoryBackend
    if demo is None and not options.self_test:  # a team's history: a demo's simulated calls never go there
        from termii_desk.core.team import open_history

        history = open_history(history_path, settings.history_url, data_dir=paths.data_dir, environ=env,
                               profile=profile.name, connect_now=connect_now, keyring_backend=keyring_backend)
    else:
        # Its ``notice`` is shown by the face; the window checks the file's integrity on a thread of its own.
        history = HistoryStore(history_path, profile=profile.name, check_now=connect_now)
    desk = Desk(settings, keystore, history, profile=profile.name)
    if profiles is not None and profiles.retention_asked and isinstance(history, HistoryStore):
        # Until the window has asked the agent once how long to keep history, no face deletes any of it; a
        # team's shared history is never purged by a desk (its owner does that).
        _apply_retention(desk, notices)
    return DeskServices(desk=desk, keystore=keystore, history=history, key_status=key_status,
                        settings_store=store, notices=notices, demo=demo is not None, run_only=run_only,
                        profile=profile, profiles=profiles, base_url_problem=base_url_problem,
                        _temp_dir=temp_dir)


def _init_profile(
    paths: AppPaths,
    options: RunOptions,
    demo: DemoAccount | None,
    env: dict[str, str],
    strict: bool,
    notices: list[str],
) -> tuple[ProfileStore | None, Profile]:
    if options.self_test:
        return None, Profile(DEMO_PROFILE)
    profiles = ProfileStore(paths.settings_file).load()
    notices.extend(profiles.warnings)
    if demo is not None:
        return profiles, profiles.default  # its shared settings (cooldown, thresholds...); never its account
    try:
        return profiles, profiles.select(options.profile, env)
    except ProfileError as exc:
        if strict:
            raise
        notices.append(f"{exc} The profile {profiles.default.name} is open.")
        return profiles, profiles.default


def _init_settings(
    profiles: ProfileStore | None,
    profile: Profile,
    options: RunOptions,
    demo: DemoAccount | None,
    env: dict[str, str],
    strict: bool,
    notices: list[str],
) -> tuple[Settings, SettingsSaver | None, tuple[str, ...], str | None]:
    store: SettingsSaver | None = None
    base_url_problem: str | None = None
    if profiles is None:
        settings = Settings()  # the self-test: the user's settings must not make it fail
    else:
        settings, base_url_problem = profiles.resolve(profile, env if demo is None else {})
        store = ProfileSettings(profiles, profile.name)
    run_only: list[str] = []
    overrides: list[tuple[str, dict[str, Any]]] = []
    if options.base_url is not None and demo is None:
        # A refused --base-url is kept as given, never replaced by another host: nothing can be sent with it.
        settings, base_url_problem = settings.with_base_url(options.base_url, "--base-url")
        run_only.append("--base-url")
    if options.region is not None:
        overrides.append(("--region", {"default_region": options.region}))
    if options.timeout is not None:
        overrides.append(("--timeout", {"read_timeout": options.timeout,
                                        "connect_timeout": _capped(options.timeout, settings.connect_timeout)}))
    for option, changes in overrides:
        try:
            settings = settings.updated(**changes)
        except ConfigError as exc:
            if strict:
                raise ConfigError(f"{option}: {exc}") from None
            notices.append(f"Ignored {option}: {exc}")
            continue
        run_only.append(option)
    if demo is None and env.get(BASE_URL_ENV, "").strip():
        run_only.append(BASE_URL_ENV)  # the profile's settings took it, usable or not
    if demo is not None:
        settings = settings.updated(base_url=demo.base_url)
        store = None  # demo settings (the simulator's address) are never written
        base_url_problem = None
    elif run_only:
        store = None  # saving would write this run's override into the file as if the agent had chosen it
    if base_url_problem and not strict:
        notices.append(f"{base_url_problem} Correct the base URL in Settings.")
    return settings, store, tuple(run_only), base_url_problem


def _capped(timeout: Any, connect_timeout: float) -> Any:
    try:
        return min(float(timeout), connect_timeout)
    except (TypeError, ValueError):
        return timeout  # let the settings check name the bad value


def _init_keystore(
    profile: Profile, demo: DemoAccount | None, env: dict[str, str], backend: Any
) -> tuple[KeyStore, KeyStatus]:
    if demo is not None:
        keystore = KeyStore(backend=backend, environ={}, username="demo")
        keystore.use_for_session(demo.key)
        return keystore, KeyStatus("session", "", demo.key[-4:], "")
    keystore = _keystore(profile, env, backend)
    return keystore, keystore.status()  # may wait on a keyring prompt


def open_profiles(paths: AppPaths) -> ProfileStore:
    """The profiles and shared settings (a file from before profiles becomes the profile ``default``)."""
    return ProfileStore(paths.settings_file).load()


def profile_keystore(
    profiles: ProfileStore,
    requested: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    keyring_backend: Any = None,
) -> tuple[Profile, KeyStore]:
    """The selected profile (``requested``, else ``TERMII_DESK_PROFILE``, else the default) and its key store.

    Raises ``ProfileError`` for a profile that does not exist.
    """
    env = dict(os.environ if environ is None else environ)
    profile = profiles.select(requested, env)
    return profile, _keystore(profile, env, keyring_backend)


def _keystore(profile: Profile, env: Mapping[str, str], backend: Any) -> KeyStore:
    legacy = USERNAME if profile.name == DEFAULT_PROFILE else None  # the key stored before profiles
    return KeyStore(backend=backend, environ=env, username=profile.keyring_username, legacy_username=legacy)


def _apply_retention(desk: Desk, notices: list[str]) -> None:
    try:
        purged = desk.apply_retention()
    except HistoryError as exc:
        notices.append(str(exc))
        return
    if purged:
        log.info("history retention: %d old attempt(s) removed", purged)


def run_only_sentence(run_only: tuple[str, ...]) -> str:
    """What a face with a Settings editor says when this run's overrides keep its changes from being saved."""
    verb = "applies" if len(run_only) == 1 else "apply"
    return (f"{' and '.join(run_only)} {verb} to this run only, so changes in Settings last until you close the "
            "window.")


def check_key(settings: Settings, key: str | None, keystore: KeyStore) -> BalanceResult:
    """"Test key": ask the balance endpoint with ``key`` (or the stored key) and ``settings``.

    Uses a throwaway client and in-memory history, so neither the desk's client nor its history changes.
    Raises the core's errors (``ConfigError``, ``KeyRejectedError``, ``NetworkError``...).
    """
    from termii_desk.core.client import make_session

    candidate = (key or "").strip() or keystore.get()
    if not candidate:
        raise ConfigError("Type the API key first; there is none stored yet.")
    probe = KeyStore(environ={})
    probe.use_for_session(candidate)
    session = make_session(settings.ca_bundle)
    history = HistoryStore(None)
    try:
        return Desk(settings, probe, history, session=session).check_balance()
    finally:
        session.close()
        history.close()


def store_key(keystore: KeyStore, key: str) -> KeyStatus:
    """Save the key in the keyring; returns the new status. Raises ``KeyringUnavailableError``."""
    keystore.set(key)
    keystore.use_for_session("")  # a key kept for the session would otherwise hide the stored one
    return keystore.status()


def save_settings(services: DeskServices, settings: Settings) -> None:
    """Apply new settings to the desk and write them (unless this run's settings are not kept)."""
    services.desk.update_settings(settings)
    if services.settings_store is not None:
        services.settings_store.save(settings)

