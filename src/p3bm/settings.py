"""Settings of P3BM, each with its default, unit and environment variable.

This is the only module that reads the environment. Every setting can be set
by an environment variable named ``P3BM_`` plus its name in upper case, and the
CLI options override them. An unknown ``P3BM_`` variable or a badly typed value
is rejected when the settings are loaded.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from p3bm.errors import ConfigurationError

DEFAULT_DATABASE_FILE = "p3bm.sqlite"
LANGUAGES = ("id", "en")


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class Settings(BaseSettings):
    """Settings read from the environment, with defaults."""

    model_config = SettingsConfigDict(env_prefix="P3BM_", extra="forbid")

    database_url: str = Field(
        default=DEFAULT_DATABASE_FILE,
        description="SQLite file path or database URL (sqlite:///FILE, "
        "postgresql://USER@HOST/DB).",
    )
    user: str = Field(
        default_factory=_login_name,
        description="Name recorded as the author of changes made from the CLI "
        "(1 to 100 characters, no control characters).",
    )
    lang: str = Field(default="id", description="Language of messages: id or en.")
    stale_after_years: int = Field(
        default=3,
        ge=0,
        description="A latest value older than this many years is shown as stale.",
    )
    verified_only: bool = Field(
        default=False,
        description="Count only verified or published values as filled.",
    )
    scorecard_scheme: str = Field(
        default="A",
        pattern="^[ABC]$",
        description="Scorecard scheme: A position against province and national, "
        "B target and trend, C score against the target.",
    )
    priority_weight_gap: float = Field(
        default=0.4, ge=0, description="Weight of the relative gap in problem scores."
    )
    priority_weight_trend: float = Field(
        default=0.3, ge=0, description="Weight of the trend slope in problem scores."
    )
    priority_weight_people: float = Field(
        default=0.3,
        ge=0,
        description="Weight of the people affected in problem scores.",
    )
    traffic_light_green: float = Field(
        default=90.0,
        ge=0,
        description="Monitoring: green when progress reaches this percentage of "
        "the progress planned by the quarter (a linear schedule).",
    )
    traffic_light_yellow: float = Field(
        default=70.0,
        ge=0,
        description="Monitoring: yellow from this percentage of the planned "
        "progress up to green; red below it.",
    )
    quarter_deadline_days: int = Field(
        default=10,
        ge=0,
        le=92,
        description="Days after a quarter ends by which SKPDs report it, unless "
        "Bappeda sets that quarter's deadline.",
    )
    location_poor_indicator: str = Field(
        default="RT_DTKS",
        description="Indicator counting the poor of a kelurahan, for priority "
        "locations and the poverty map beside budget maps.",
    )
    location_total_indicator: str = Field(
        default="RT",
        description="Indicator counting everyone of a kelurahan, in the unit of "
        "location_poor_indicator.",
    )
    rules_file: Path | None = Field(
        default=None,
        description="YAML file of the region's own validation rules, added to the "
        "bundled ones.",
    )
    sample_data: Path | None = Field(
        default=None,
        description="Folder of public sample tables that `p3bm up` imports.",
    )
    host: str = Field(default="127.0.0.1", description="Address the server binds.")
    port: int = Field(default=8000, ge=1, le=65535, description="TCP port.")
    log_level: str = Field(default="INFO", description="Python logging level.")
    secure_cookies: bool = Field(
        default=False,
        description="Send the session cookie over HTTPS only; set it behind TLS.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Key that signs web sessions; a random one is made if unset.",
    )

    @field_validator("lang")
    @classmethod
    def _check_lang(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("user")
    @classmethod
    def _check_user(cls, value: str) -> str:
        # The history keeps the name in a column of 100 characters.
        if not value.strip() or len(value) > 100 or not value.isprintable():
            raise ValueError("must be 1 to 100 printable characters, not all spaces")
        return value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value


def _reject_unknown_variables() -> None:
    known = {f"P3BM_{name.upper()}" for name in Settings.model_fields}
    unknown = sorted(
        name for name in os.environ if name.startswith("P3BM_") and name not in known
    )
    if unknown:
        raise ConfigurationError(
            f"Unknown environment variable {unknown[0]}.",
            hint=f"Known variables: {', '.join(sorted(known))}.",
            indonesian=(
                f"Variabel lingkungan {unknown[0]} tidak dikenal.",
                f"Variabel yang dikenal: {', '.join(sorted(known))}.",
            ),
        )


def load_settings(**overrides: object) -> Settings:
    """Read the settings from the environment, then apply non-None overrides.

    Raises ConfigurationError naming the first invalid setting.
    """
    _reject_unknown_variables()
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"])
        raise ConfigurationError(
            f"Invalid setting {name}={first.get('input')!r}: {first['msg']}.",
            hint=f"Fix P3BM_{name.upper()} or the matching option.",
            indonesian=(
                f"Pengaturan {name}={first.get('input')!r} tidak sah: {first['msg']}.",
                f"Perbaiki P3BM_{name.upper()} atau opsi yang sesuai.",
            ),
        ) from None
