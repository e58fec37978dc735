"""The desk's settings: each declared once, with its type, default and check.

Stored as JSON in the platform's config folder. The API key is never a setting.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from termii_desk.core.endpoints import DEFAULT_BASE_URL, normalise_base_url
from termii_desk.core.errors import ConfigError
from termii_desk.core.formatting import display_text
from termii_desk.core.paths import close_to_others, private_folder

log = logging.getLogger(__name__)

BASE_URL_ENV = "TERMII_BASE_URL"
MAX_FILE_BYTES = 1_000_000  # a settings file is a few hundred bytes: anything near this is not one


def _shown(value: Any) -> str:
    """A value as a short text for a sentence: never a 200 KB notice."""
    return display_text(repr(value), 40)


def _check_base_url(value: Any) -> Any:
    return normalise_base_url(str(value))


def unusable_base_url(origin: str, error: Exception) -> str:
    """The sentence for a base URL given by ``origin`` (``TERMII_BASE_URL``, ``--base-url``...) that was refused."""
    return f"{origin} cannot be used, so nothing is sent to Termii until it is fixed: {error}"


def _check_region(value: Any) -> Any:
    text = str(value).strip().upper()
    from termii_desk.core.validation import phone_library  # deferred: metadata load

    if text not in phone_library().SUPPORTED_REGIONS:
        raise ValueError(f"{_shown(value)} is not a country code such as NG or GH")
    return text


def _ca_bundle(value: Any) -> Any:
    text = str(value).strip()
    try:
        exists = not text or Path(text).expanduser().is_file()
    except (OSError, ValueError, RuntimeError):  # a NUL byte, an unknown ~user, a path too long
        exists = False
    if not exists:
        raise ValueError(f"file {_shown(text)} does not exist")
    return str(Path(text).expanduser()) if text else ""


def _check_history_url(value: Any) -> Any:
    from termii_desk.core.team import check_history_url

    return check_history_url(value)


@dataclass(frozen=True)
class SettingSpec:
    """One setting's declaration: its type and default, its label, the values it accepts.

    Numbers: ``minimum`` and ``maximum`` (inclusive) and, for decimals, how many places the editor offers.
    Text: at most ``max_length`` characters, then ``check`` (which may normalise the value). The Settings
    dialog builds its editors from these, and loading a file checks every value against them.
    """

    name: str
    default: Any
    label: str
    minimum: float | None = None
    maximum: float | None = None
    decimals: int = 2  # places a decimal setting's editor offers
    max_length: int = 2048
    check: Callable[[Any], Any] | None = None

    @property
    def kind(self) -> type[Any]:
        return type(self.default)

    def coerce(self, value: Any, *, check: bool = True) -> Any:
        """The value as this setting's type; ``ValueError``/``TypeError``/``ConfigError`` say what is wrong.

        ``check=False`` leaves out ``check`` (which may read files or load phone metadata): type and range only.

        Never ``OverflowError`` or ``RecursionError``: numbers are compared as exact decimals before any
        conversion, so 1e300, 1e400 and a thousand digits are simply out of range.
        """
        if self.kind is str:
            if not isinstance(value, str):
                raise TypeError("expected text")
            if len(value) > self.max_length:
                raise ValueError(f"longer than {self.max_length} characters")
            converted: Any = value
        else:
            converted = self._number(value)
        return self.check(converted) if self.check and check else converted

    def _number(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise TypeError("expected a number")
        text = value.strip() if isinstance(value, str) else str(value)
        if len(text) > 10_000 or not _NUMBER.fullmatch(text):
            raise ValueError("must be a number")
        try:
            amount = Decimal(text)
        except ArithmeticError:  # an exponent beyond what decimal holds
            raise ValueError("must be a number") from None
        if self.minimum is not None and amount < Decimal(str(self.minimum)):
            raise ValueError(f"must be at least {_number_text(self.minimum)}")
        if self.maximum is not None and amount > Decimal(str(self.maximum)):
            raise ValueError(f"must be at most {_number_text(self.maximum)}")
        if self.kind is int:
            if amount != amount.to_integral_value():
                raise ValueError("must be a whole number")
            return int(amount)
        return float(amount)


def _number_text(value: float) -> str:
    return f"{int(value):,}" if value == int(value) else f"{value:g}"


# A number as JSON or a person writes it: no NaN, no infinity, no 1_000, no other scripts' digits.
_NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]{1,12})?")


def _setting(default: Any, label: str, **limits: Any) -> Any:
    return field(default=default, metadata={"label": label, "limits": limits})


@dataclass(frozen=True)
class Settings:
    """Every setting, declared once: type and default, label, range or check. ``Settings()`` is out of the box."""

    base_url: str = _setting(DEFAULT_BASE_URL, "Termii base URL", check=_check_base_url)
    default_region: str = _setting("NG", "Default country for numbers without +", max_length=16,
                                   check=_check_region)
    connect_timeout: float = _setting(5.0, "Connect timeout (seconds)", minimum=0.5, maximum=120.0, decimals=1)
    read_timeout: float = _setting(30.0, "Answer timeout (seconds)", minimum=1.0, maximum=600.0, decimals=1)
    cooldown_seconds: int = _setting(60, "Ask before calling the same number again within (seconds)",
                                     minimum=0, maximum=86_400)
    low_balance_threshold: float = _setting(100.0, "Warn when the balance is below", minimum=0.0,
                                            maximum=1_000_000_000.0, decimals=2)
    history_retention_days: int = _setting(365, "Keep history for (days, 0 = forever)", minimum=0, maximum=36_500)
    ca_bundle: str = _setting("", "Extra CA certificates file (PEM)", max_length=4096, check=_ca_bundle)
    history_url: str = _setting("", "Team history on PostgreSQL (URL; from the next start)", max_length=2048,
                                check=_check_history_url)

    def __post_init__(self) -> None:
        # However a Settings is made, it holds only values its declarations accept.
        for spec in _SPECS.values():
            try:
                spec.coerce(getattr(self, spec.name), check=False)
            except (ValueError, TypeError) as exc:
                raise ConfigError(f"{spec.label}: {exc}") from None

    @staticmethod
    def names() -> tuple[str, ...]:
        return tuple(_SPECS)

    @staticmethod
    def spec(name: str) -> SettingSpec:
        """The declaration of setting ``name`` (``KeyError`` for an unknown name)."""
        return _SPECS[name]

    @staticmethod
    def label(name: str) -> str:
        return _SPECS[name].label

    @property
    def base_url_problem(self) -> str | None:
        """Why ``base_url`` cannot be used (a refused override kept as given: nothing can be sent), or None."""
        try:
            normalise_base_url(self.base_url)
        except ConfigError as exc:
            return str(exc)
        return None

    def with_base_url(self, text: str, origin: str) -> tuple[Settings, str | None]:
        """A copy using the base URL ``text`` given by ``origin`` (``--base-url``, ``TERMII_BASE_URL``).

        If it is refused, the copy keeps ``text`` as given, never the default in its place, so that nothing can
        be sent with it, and the sentence that says why comes back too.
        """
        try:
            return replace(self, base_url=_coerce("base_url", text)), None
        except (ValueError, TypeError, ConfigError) as exc:
            # Capped to what a Settings holds; normalise_base_url refuses anything that long, so it stays refused.
            return replace(self, base_url=str(text)[:2048]), unusable_base_url(origin, exc)

    def updated(self, **changes: Any) -> Settings:
        """A copy with ``changes`` checked; raises ``ConfigError`` naming the first bad value."""
        clean: dict[str, Any] = {}
        for name, value in changes.items():
            try:
                clean[name] = _coerce(name, value)
            except (ValueError, TypeError, ConfigError) as exc:
                label = Settings.label(name) if name in _SPECS else _shown(name)
                raise ConfigError(f"{label}: {exc}") from None
        return replace(self, **clean)


_SPECS: dict[str, SettingSpec] = {
    f.name: SettingSpec(f.name, f.default, f.metadata["label"], **f.metadata["limits"]) for f in fields(Settings)
}


def read_json_object(path: Path, warnings: list[str]) -> dict[str, Any] | None:
    """The settings file's JSON object; None (with a sentence in ``warnings``) when it is missing or unusable.

    Numbers come back as exact ``Decimal`` (1e400 is not infinity, a thousand digits are not an error).
    """
    try:
        close_to_others(path)  # left 0644 by an older version
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise ValueError("too large")
        text = data.decode("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        reason = "it is larger than 1 MB" if str(exc) == "too large" else exc.__class__.__name__
        warnings.append(f"Could not read the settings file ({reason}); using defaults.")
        return None
    if not text.strip():
        return None
    try:
        loaded = json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=Decimal)
        if not isinstance(loaded, dict):
            raise ValueError("not an object")
    except (ValueError, RecursionError):  # RecursionError: nested thousands of levels deep
        warnings.append(f"The settings file {path.name} is not valid JSON; using defaults.")
        return None
    return loaded


def check_setting(name: str, value: Any) -> Any:
    """``value`` as setting ``name`` holds it. Raises ``ValueError``, ``TypeError`` or ``ConfigError`` saying why."""
    return _coerce(name, value)


def write_json_atomic(path: Path, data: Any) -> None:
    """Atomic write: a crash or a full disk leaves the previous file intact. 0600 (mkstemp's), in a folder made
    0700 when it is made here."""
    private_folder(path.parent)
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _coerce(name: str, value: Any) -> Any:
    spec = _SPECS.get(name)
    if spec is None:
        raise ValueError(f"unknown setting {_shown(name)}")
    return spec.coerce(value)


@dataclass
class SettingsStore:
    """Loads and saves ``Settings``; remembers which stored values it had to ignore, and why."""

    path: Path
    warnings: list[str] = field(default_factory=list)
    # Why TERMII_BASE_URL cannot be used. Unlike garbage in the file, a refused override is kept as it was
    # given, not replaced by another host: the call and the key must not go to a host nobody chose for this
    # run, so every request is refused (the client cannot be built) until the base URL is fixed.
    base_url_problem: str | None = None

    def load(self, environ: dict[str, str] | None = None) -> Settings:
        """Never fails: a missing, unreadable or garbage file gives the defaults, with a warning each."""
        self.warnings = []
        self.base_url_problem = None
        raw = read_json_object(self.path, self.warnings) or {}
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
        settings = Settings(**values)
        env = os.environ if environ is None else environ
        if env.get(BASE_URL_ENV, "").strip():
            settings, self.base_url_problem = settings.with_base_url(env[BASE_URL_ENV], BASE_URL_ENV)
        for warning in [*self.warnings, self.base_url_problem]:
            if warning:
                log.warning("%s", warning)
        return settings

    def save(self, settings: Settings) -> None:
        """Atomic write: a crash or a full disk leaves the previous file intact."""
        write_json_atomic(self.path, asdict(settings))
