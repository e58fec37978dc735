"""The desk's settings: each declared once, with its type, default and check.

Stored as JSON in the platform's config folder. The API key is never a setting.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from termii_desk.core.client import DEFAULT_BASE_URL, normalise_base_url
from termii_desk.core.errors import ConfigError

log = logging.getLogger(__name__)

BASE_URL_ENV = "TERMII_BASE_URL"


def _check_base_url(value: Any) -> Any:
    return normalise_base_url(str(value))


def _check_region(value: Any) -> Any:
    text = str(value).strip().upper()
    import phonenumbers  # deferred: metadata load

    if text not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{value!r} is not a country code such as NG or GH")
    return text


def _positive(value: Any) -> Any:
    if not value > 0:
        raise ValueError("must be more than 0")
    return value


def _not_negative(value: Any) -> Any:
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _ca_bundle(value: Any) -> Any:
    text = str(value).strip()
    if text and not Path(text).expanduser().is_file():
        raise ValueError(f"file {text!r} does not exist")
    return str(Path(text).expanduser()) if text else ""


def _check_history_url(value: Any) -> Any:
    from termii_desk.core.team import check_history_url

    return check_history_url(value)


def _setting(default: Any, label: str, check: Any = None) -> Any:
    return field(default=default, metadata={"label": label, "check": check})


@dataclass(frozen=True)
class Settings:
    """Every setting with its default. ``Settings()`` is the desk out of the box."""

    base_url: str = _setting(DEFAULT_BASE_URL, "Termii base URL", _check_base_url)
    default_region: str = _setting("NG", "Default country for numbers without +", _check_region)
    connect_timeout: float = _setting(5.0, "Connect timeout (seconds)", _positive)
    read_timeout: float = _setting(30.0, "Answer timeout (seconds)", _positive)
    cooldown_seconds: int = _setting(60, "Ask before calling the same number again within (seconds)", _not_negative)
    low_balance_threshold: float = _setting(100.0, "Warn when the balance is below", _not_negative)
    history_retention_days: int = _setting(365, "Keep history for (days, 0 = forever)", _not_negative)
    ca_bundle: str = _setting("", "Extra CA certificates file (PEM)", _ca_bundle)
    history_url: str = _setting("", "Team history on PostgreSQL (URL; from the next start)", _check_history_url)

    @staticmethod
    def names() -> tuple[str, ...]:
        return tuple(f.name for f in fields(Settings))

    @staticmethod
    def label(name: str) -> str:
        return str(next(f for f in fields(Settings) if f.name == name).metadata["label"])

    def updated(self, **changes: Any) -> Settings:
        """A copy with ``changes`` checked; raises ``ConfigError`` naming the first bad value."""
        clean: dict[str, Any] = {}
        for name, value in changes.items():
            try:
                clean[name] = _coerce(name, value)
            except (ValueError, TypeError, ConfigError) as exc:
                raise ConfigError(f"{Settings.label(name)}: {exc}") from None
        return replace(self, **clean)


def _coerce(name: str, value: Any) -> Any:
    spec = next((f for f in fields(Settings) if f.name == name), None)
    if spec is None:
        raise ValueError(f"unknown setting {name!r}")
    kind: type[Any] = type(spec.default)
    if isinstance(value, bool) or (kind is str and not isinstance(value, str)):
        raise TypeError(f"expected {kind.__name__}")
    if kind is str:
        converted: Any = value
    else:
        if isinstance(value, str):
            value = value.strip()
        converted = kind(value)
        if kind is float and not math.isfinite(converted):
            raise ValueError("must be a number")
    check = spec.metadata["check"]
    return check(converted) if check else converted


@dataclass
class SettingsStore:
    """Loads and saves ``Settings``; remembers which stored values it had to ignore, and why."""

    path: Path
    warnings: list[str] = field(default_factory=list)

    def load(self, environ: dict[str, str] | None = None) -> Settings:
        """Never fails: a missing, unreadable or garbage file gives the defaults, with a warning each."""
        self.warnings = []
        raw: dict[str, Any] = {}
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        except (OSError, UnicodeDecodeError) as exc:
            self.warnings.append(f"Could not read the settings file ({exc.__class__.__name__}); using defaults.")
            text = ""
        if text.strip():
            try:
                loaded = json.loads(text)
                if not isinstance(loaded, dict):
                    raise ValueError("not an object")
                raw = loaded
            except ValueError:
                self.warnings.append(f"The settings file {self.path.name} is not valid JSON; using defaults.")
        values: dict[str, Any] = {}
        for name, value in raw.items():
            if name not in Settings.names():
                # Not echoed: an unknown entry could be a key someone pasted in by hand.
                self.warnings.append(f"Ignored an unknown entry {name[:40]!r} in the settings file.")
                continue
            try:
                values[name] = _coerce(name, value)
            except (ValueError, TypeError, ConfigError) as exc:
                self.warnings.append(f"Ignored the setting {name} ({exc}); using the default.")
        env = os.environ if environ is None else environ
        if env.get(BASE_URL_ENV, "").strip():
            try:
                values["base_url"] = _coerce("base_url", env[BASE_URL_ENV])
            except ConfigError as exc:
                self.warnings.append(f"Ignored {BASE_URL_ENV}: {exc}")
        for warning in self.warnings:
            log.warning("%s", warning)
        return Settings(**values)

    def save(self, settings: Settings) -> None:
        """Atomic write: a crash or a full disk leaves the previous file intact."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps(asdict(settings), indent=2, sort_keys=True) + "\n"
        fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
