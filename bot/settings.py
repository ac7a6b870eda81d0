"""Configuration, from the environment only, checked before anything starts.

A mistake here should stop the bot with one clear sentence, not a traceback half-way through a
session; so every field is validated up front and ``load`` turns pydantic's errors into lines
that name the variable.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.i18n.catalog import LANGUAGES

TELEGRAM_API_URL = "https://api.telegram.org"
_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{1,200}")


class ConfigError(Exception):
    """The environment does not describe a runnable bot; the message says how to fix it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IKIGANIRO_", extra="ignore")

    token: SecretStr | None = None
    api_url: str = TELEGRAM_API_URL
    db: Path = Path("./ikiganiro.db")
    data_key: SecretStr | None = None
    language: str = "en"
    retention_days: Annotated[int, Field(ge=1, le=3650)] = 90
    # A session nobody acts in for this long ends by itself, so its retention period starts.
    idle_days: Annotated[int, Field(ge=1, le=3650)] = 30
    # Telegram's limits; raise them only against a local test server, which has none.
    messages_per_second: Annotated[float, Field(gt=0, le=100_000)] = 30
    group_messages_per_minute: Annotated[float, Field(gt=0, le=1_000_000)] = 20
    # The bot's own log level. The libraries (PTB, httpx) stay at WARNING whatever this says:
    # at DEBUG they print updates, stories and names included, and request URLs (the token).
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        """A token pasted with its line end or a space would be refused by every request, and
        look like an unreachable server; say so here, without ever repeating the token."""
        if value is None:
            return None
        text = value.get_secret_value()
        if any(c.isspace() or not c.isprintable() for c in text):
            raise ValueError(
                "contains a space, a line break or another invisible character (often copied "
                "with the token); set it to the token alone"
            )
        if text and not _TOKEN.fullmatch(text):
            raise ValueError(
                "is not a bot token (digits, a colon, then letters, digits, - and _); copy it "
                "again from @BotFather"
            )
        return value

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value

    @property
    def base_url(self) -> str:
        """PTB wants the method prefix; a self-hosted Bot API server serves the same paths."""
        return f"{self.api_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.api_url}/file/bot"


def load() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        lines = [
            f"IKIGANIRO_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in error.errors()
        ]
        raise ConfigError("\n".join(lines)) from None


def require_for_run(settings: Settings) -> tuple[str, str]:
    """The token and data key ``ikiganiro run`` cannot do without, or a message saying why."""
    missing = []
    if settings.token is None or not settings.token.get_secret_value():
        missing.append("IKIGANIRO_TOKEN is not set: ask @BotFather for a bot token.")
    if settings.data_key is None or not settings.data_key.get_secret_value():
        missing.append(
            "IKIGANIRO_DATA_KEY is not set: answers are encrypted at rest. Make a key with "
            "`ikiganiro keygen`, keep it safe (without it the data cannot be read), and set it."
        )
    if missing:
        raise ConfigError("\n".join(missing))
    assert settings.token is not None
    assert settings.data_key is not None
    return settings.token.get_secret_value(), settings.data_key.get_secret_value()
