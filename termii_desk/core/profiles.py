"""Profiles: several Termii accounts on one desk, each with its name, base URL, default country and keyring entry.

They live in the settings file (``config/settings.json``), which since profiles reads::

    {"format": 2, "default_profile": "default", "retention_asked": false,
     "settings": {...shared settings...},
     "profiles": {"default": {"base_url": "...", "region": "NG", "colour": "#1a73e8", "settings": {...}}}}

``settings`` holds what every profile shares; a profile's own ``settings`` hold only the values where it
differs. History retention is desk-wide (one history file), so it is always shared. A file from before profiles
(the settings as one flat object) becomes the profile ``default`` the first time it is read, without the agent
doing anything; its key moves to that profile's keyring entry on first use (``KeyStore``).
"""

from __future__ import annotations

import colorsys
import contextlib
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from termii_desk.core.endpoints import DEFAULT_BASE_URL
from termii_desk.core.errors import ConfigError, InputError
from termii_desk.core.formatting import display_text
from termii_desk.core.paths import private_file
from termii_desk.core.settings import (
    BASE_URL_ENV,
    Settings,
    check_setting,
    read_json_object,
    unusable_base_url,
    write_json_atomic,
)

log = logging.getLogger(__name__)

PROFILE_ENV = "TERMII_DESK_PROFILE"
DEFAULT_PROFILE = "default"
FILE_FORMAT = 2
# A profile's own: always stored with it. Every other setting is shared unless the profile differs.
OWN = ("base_url", "default_region")
# One history file for every profile: one retention for all of them.
DESK_WIDE = ("history_retention_days",)
# Distinct on light and dark backgrounds, and from each other; more profiles get further hues.
COLOURS = ("#1a73e8", "#d93025", "#188038", "#e37400", "#9334e6", "#007b83", "#b80672", "#5f6368")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
NAME_RULE = "1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit"


class ProfileError(ConfigError):
    """The profile asked for does not exist, or the settings file cannot take the change."""


@dataclass(frozen=True)
class Profile:
    """One Termii account. ``overrides`` are its settings where they differ from the shared ones."""

    name: str
    base_url: str = DEFAULT_BASE_URL
    region: str = "NG"
    colour: str = COLOURS[0]
    overrides: Mapping[str, Any] = field(default_factory=dict)

    @property
    def keyring_username(self) -> str:
        """Its entry under the keyring service ``termii-desk``: one per profile."""
        return keyring_username(self.name)

    def to_json(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "region": self.region, "colour": self.colour,
                "settings": dict(sorted(self.overrides.items()))}


def keyring_username(name: str) -> str:
    return f"profile:{name}"


def check_name(name: str) -> str:
    """The name, or ``InputError`` saying what a name may be."""
    text = name.strip()
    if not _NAME.fullmatch(text):
        raise InputError(f"{name[:40]!r} is not a profile name: use {NAME_RULE}.")
    return text


def colour_for(index: int) -> str:
    """The ``index``-th profile colour: the palette first, then hues spread by the golden angle."""
    if index < len(COLOURS):
        return COLOURS[index]
    hue = (index * 0.618033988749895) % 1.0
    red, green, blue = colorsys.hsv_to_rgb(hue, 0.75, 0.72)
    return f"#{int(red * 255):02x}{int(green * 255):02x}{int(blue * 255):02x}"


@dataclass
class ProfileStore:
    """Reads and writes the settings file's profiles and shared settings.

    ``load()`` never fails: a missing, unreadable or garbage file gives one ``default`` profile with the
    defaults, with a warning each (``warnings``). Changes are written at once, atomically.
    """

    path: Path
    warnings: list[str] = field(default_factory=list)
    default_name: str = DEFAULT_PROFILE
    retention_asked: bool = False
    shared: dict[str, Any] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)
    read_only: bool = False  # written by a newer desk: read, never overwritten
    migrated: bool = False  # this load turned a file from before profiles into the profile ``default``
    # Why a profile's stored base URL cannot be used, by where it was read ("profile NAME", "the settings file").
    _base_url_problems: dict[str, str] = field(default_factory=dict, repr=False)

    # -- reading -----------------------------------------------------------------------------------------

    def load(self) -> ProfileStore:
        self.warnings = []
        self._base_url_problems = {}
        self.shared, self.profiles = {}, {}
        self.default_name, self.retention_asked, self.read_only, self.migrated = DEFAULT_PROFILE, False, False, False
        raw = self._read()
        if raw is not None and "profiles" not in raw and "format" not in raw:
            self._migrate(raw)
        elif raw is not None:
            self._parse(raw)
        if not self.profiles:
            self.profiles[DEFAULT_PROFILE] = Profile(DEFAULT_PROFILE)
        if self.default_name not in self.profiles:
            self.warnings.append(f"The default profile {self.default_name[:40]!r} is missing; using "
                                 f"{next(iter(self.profiles))!r}.")
            self.default_name = next(iter(self.profiles))
        for warning in self.warnings:
            log.warning("%s", warning)
        if self.migrated:
            self._save_migration()
        return self

    def _read(self) -> dict[str, Any] | None:
        before = len(self.warnings)
        raw = read_json_object(self.path, self.warnings)
        if raw is None and len(self.warnings) > before and self.path.exists():
            self.read_only = True  # a file that cannot be read is not replaced by defaults behind the agent's back
        return raw

    def _values(self, raw: Any, where: str) -> dict[str, Any]:
        """Checked setting values from ``raw``; what cannot be used is left out with a warning."""
        values: dict[str, Any] = {}
        if not isinstance(raw, dict):
            if raw is not None:
                self.warnings.append(f"Ignored {where} (not an object); using the defaults.")
            return values
        for name, value in raw.items():
            if name not in Settings.names():
                # Not echoed whole: an unknown entry could be a key someone pasted in by hand.
                self.warnings.append(f"Ignored an unknown entry {str(name)[:40]!r} in {where}.")
                continue
            try:
                values[name] = check_setting(name, value)
            except (ValueError, TypeError, ConfigError) as exc:
                if name == "base_url":
                    # Kept as written, never replaced by another host: nothing is sent until it is fixed.
                    values[name] = str(value)
                    self._base_url_problems[where] = unusable_base_url(f"The base URL in {self.path.name}", exc)
                else:
                    self.warnings.append(f"Ignored the setting {name} ({exc}){_in(where)}; using the default.")
        return values

    def _migrate(self, raw: dict[str, Any]) -> None:
        """A file from before profiles: its settings become the shared ones and the profile ``default``."""
        values = self._values(raw, "the settings file")
        if "the settings file" in self._base_url_problems:
            self._base_url_problems[f"profile {DEFAULT_PROFILE}"] = self._base_url_problems.pop("the settings file")
        own = {name: values.pop(name) for name in OWN if name in values}
        self.shared = values
        self.profiles = {DEFAULT_PROFILE: Profile(DEFAULT_PROFILE, own.get("base_url", DEFAULT_BASE_URL),
                                                  own.get("default_region", "NG"), COLOURS[0])}
        self.migrated = True

    def _parse(self, raw: dict[str, Any]) -> None:
        version = raw.get("format")
        if isinstance(version, Decimal) and version == version.to_integral_value():
            version = int(version)
        if not isinstance(version, int) or isinstance(version, bool) or version > FILE_FORMAT:
            self.warnings.append(f"The settings file was written by a newer Termii Desk (format {str(version)[:10]}); "
                                 "using defaults and leaving it untouched. Update Termii Desk to use it.")
            self.read_only = True
            return
        self.shared = {name: value for name, value in self._values(raw.get("settings"), "the shared settings").items()
                       if name not in OWN}
        self.retention_asked = raw.get("retention_asked") is True
        default = raw.get("default_profile")
        if isinstance(default, str):
            self.default_name = default
        entries = raw.get("profiles")
        if not isinstance(entries, dict):
            self.warnings.append("Ignored the profiles in the settings file (not an object).")
            return
        for name, entry in entries.items():
            profile = self._profile(name, entry, len(self.profiles))
            if profile is not None:
                self.profiles[profile.name] = profile

    def _profile(self, name: Any, entry: Any, index: int) -> Profile | None:
        if not isinstance(name, str) or not _NAME.fullmatch(name) or not isinstance(entry, dict):
            self.warnings.append(f"Ignored a profile {str(name)[:40]!r} that is not usable.")
            return None
        where = f"profile {name}"
        stored_url = entry.get("base_url", DEFAULT_BASE_URL)
        try:
            base_url = check_setting("base_url", stored_url)
        except (ValueError, TypeError, ConfigError) as exc:
            # Kept as written, never replaced by another host with this profile's key: nothing is sent until the
            # agent fixes it (the window's Settings, or `profile remove` and `profile add`).
            base_url = display_text(stored_url, 2048)
            self._base_url_problems[where] = unusable_base_url(f"The base URL of profile {name}", exc)
        try:
            region = check_setting("default_region", entry.get("region", "NG"))
        except (ValueError, TypeError, ConfigError) as exc:
            self.warnings.append(f"Ignored the default country of profile {name} ({exc}); using NG.")
            region = "NG"
        colour = entry.get("colour")
        if not isinstance(colour, str) or not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
            colour = colour_for(index)
        overrides = {key: value for key, value in self._values(entry.get("settings"), where).items()
                     if key not in OWN and key not in DESK_WIDE}
        return Profile(name, base_url, region, colour.lower(), overrides)

    # -- what a profile uses -------------------------------------------------------------------------------

    def names(self) -> tuple[str, ...]:
        """Every profile's name, alphabetically (the order of the list and of the window's switcher)."""
        return tuple(sorted(self.profiles, key=str.lower))

    def get(self, name: str) -> Profile:
        """The profile called ``name`` (exactly, or differing only in case); ``ProfileError`` if none."""
        found = self.profiles.get(name) or next(
            (p for key, p in self.profiles.items() if key.lower() == name.strip().lower()), None)
        if found is None:
            known = ", ".join(self.profiles)
            raise ProfileError(f"There is no profile {name[:40]!r}. Profiles: {known}. "
                               "Add one with `termii-desk profile add NAME --base-url URL`.")
        return found

    @property
    def default(self) -> Profile:
        return self.profiles[self.default_name]

    def select(self, requested: str | None, environ: Mapping[str, str]) -> Profile:
        """``--profile`` if given, else ``TERMII_DESK_PROFILE``, else the default profile."""
        name = (requested or "").strip() or environ.get(PROFILE_ENV, "").strip()
        return self.get(name) if name else self.default

    def settings_for(self, profile: Profile, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings this profile works with (see ``resolve``)."""
        return self.resolve(profile, environ)[0]

    def resolve(self, profile: Profile, environ: Mapping[str, str] | None = None) -> tuple[Settings, str | None]:
        """The settings this profile works with, and why its base URL cannot be used (None when it can).

        ``TERMII_BASE_URL`` in ``environ`` replaces the profile's base URL for the run, usable or not.
        """
        values = {**self.shared, **profile.overrides, "default_region": profile.region}
        settings = Settings(**values)
        env = environ or {}
        if env.get(BASE_URL_ENV, "").strip():  # the profile's base URL is not used, so neither is its problem
            return settings.with_base_url(env[BASE_URL_ENV], BASE_URL_ENV)
        settings, problem = settings.with_base_url(profile.base_url, "")
        return settings, self._base_url_problems.get(f"profile {profile.name}", problem and
                                                      unusable_base_url(f"The base URL of profile {profile.name}",
                                                                        ConfigError(problem)))

    # -- changing ------------------------------------------------------------------------------------------

    def _latest(self) -> None:
        """Read the file again before a change: another desk or the command line may have changed it since
        (a profile added), and writing this store's older copy would undo that."""
        if self.path.exists() and not self.read_only:
            warnings = self.warnings
            self.load()
            self.warnings = warnings

    def save_settings(self, name: str, settings: Settings) -> None:
        """Store ``settings`` as profile ``name``'s: its own values, and the shared ones where it now differs."""
        self._latest()
        profile = self.get(name)
        defaults = Settings()
        overrides: dict[str, Any] = {}
        shared: dict[str, Any] = {}
        for spec in fields(Settings):
            key, value = spec.name, getattr(settings, spec.name)
            if key in OWN:
                continue
            if key in DESK_WIDE:
                shared[key] = value
            elif value != self.shared.get(key, getattr(defaults, key)):
                overrides[key] = value
        with self._change():
            self.profiles[profile.name] = replace(profile, base_url=settings.base_url,
                                                  region=settings.default_region, overrides=overrides)
            self.shared.update(shared)

    def add(self, name: str, base_url: str, region: str | None = None) -> Profile:
        """A new profile; raises ``InputError`` for a bad name or value, ``ProfileError`` when it exists."""
        name = check_name(name)
        self._latest()
        if any(key.lower() == name.lower() for key in self.profiles):
            raise ProfileError(f"A profile {name!r} exists already; remove it first to set it up anew.")
        values: dict[str, Any] = {}
        for key, value in (("base_url", base_url), ("default_region", region or "NG")):
            try:
                values[key] = check_setting(key, value)
            except (ValueError, TypeError, ConfigError) as exc:
                raise InputError(f"{Settings.label(key)}: {exc}") from None
        url, country = values["base_url"], values["default_region"]
        used = {p.colour for p in self.profiles.values()}
        colour = next(colour_for(i) for i in range(len(used) + 1) if colour_for(i) not in used)
        profile = Profile(name, url, country, colour)
        with self._change():
            self.profiles[name] = profile
        return profile

    def remove(self, name: str) -> Profile:
        """Remove a profile (not the default one: make another the default first). Its key is the caller's."""
        self._latest()
        profile = self.get(name)
        if profile.name == self.default_name:
            others = [key for key in self.profiles if key != profile.name]
            hint = (f" Make another one the default first (`termii-desk profile default {others[0]}`)."
                    if others else " It is the only one.")
            raise ProfileError(f"{profile.name!r} is the default profile.{hint}")
        with self._change():
            del self.profiles[profile.name]
        return profile

    def set_default(self, name: str) -> Profile:
        self._latest()
        profile = self.get(name)
        with self._change():
            self.default_name = profile.name
        return profile

    def mark_retention_asked(self) -> None:
        self._latest()
        with self._change():
            self.retention_asked = True

    @contextlib.contextmanager
    def _change(self) -> Iterator[None]:
        """Make a change and write it; when it cannot be written, the change is undone (and ``ProfileError``)."""
        before = (dict(self.profiles), dict(self.shared), self.default_name, self.retention_asked)
        try:
            yield
            self.save()
        except BaseException:
            self.profiles, self.shared, self.default_name, self.retention_asked = before
            raise

    def to_json(self) -> dict[str, Any]:
        return {"format": FILE_FORMAT, "default_profile": self.default_name, "retention_asked": self.retention_asked,
                "settings": dict(sorted(self.shared.items())),
                "profiles": {name: profile.to_json() for name, profile in self.profiles.items()}}

    def save(self) -> None:
        """Write the file; ``ProfileError`` (a sentence) when it cannot be."""
        if self.read_only:
            raise ProfileError("The settings file could not be read (or was written by a newer Termii Desk), so "
                               "it is left untouched; the change applies until you close Termii Desk.")
        try:
            write_json_atomic(self.path, self.to_json())
        except OSError as exc:
            raise ProfileError(f"The settings file could not be written ({exc.strerror or type(exc).__name__})."
                               ) from None

    def _save_migration(self) -> None:
        """Write the file from before profiles in the new format, keeping the old one next to it."""
        try:
            backup = self.path.with_name(self.path.name + ".before-profiles")
            if not backup.exists():
                private_file(backup)  # 0600, like the settings file it copies
                backup.write_bytes(self.path.read_bytes())
            self.save()
        except (OSError, ProfileError) as exc:
            # Still usable: the migration is redone on the next start.
            log.warning("settings not migrated to profiles yet: %s", exc.__class__.__name__)
        else:
            log.info("settings migrated to the profile %r", DEFAULT_PROFILE)


def _in(where: str) -> str:
    return "" if where == "the settings file" else f" in {where}"
