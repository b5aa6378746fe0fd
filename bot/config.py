"""Configuration: YAML validated at start-up, secrets from the environment, wrong keys stop by name."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError

from bot.channels.settings import Section as _Section
from bot.channels.telegram.settings import FloodConfig, TelegramConfig, WebhookConfig
from bot.channels.web.settings import WebConfig
from bot.channels.wechat.settings import WeChatConfig
from bot.handoff_config import HandoffConfig

__all__ = [
    "BroadcastConfig",
    "Config",
    "ConfigError",
    "DatabaseConfig",
    "FloodConfig",
    "HandoffConfig",
    "KnowledgeConfig",
    "PrivacyConfig",
    "RedisConfig",
    "TelegramConfig",
    "WeChatConfig",
    "WebConfig",
    "WebhookConfig",
    "load_config",
]


class KnowledgeConfig(_Section):
    dir: str | None = None  # default: the bundled knowledge/ folder
    year: int | None = None  # default: the newest year folder
    watch: bool = True  # reload automatically when files under dir change


def default_data_dir() -> Path:
    """Where the embedded SQLite file lives without a config: MINXIN_DATA_DIR, else the
    project's own data/ folder — never the folder a command happens to run from."""
    env = os.environ.get("MINXIN_DATA_DIR")
    return Path(env).expanduser().resolve() if env else Path(__file__).resolve().parents[1] / "data"


def default_database_url() -> str:
    return f"sqlite+aiosqlite:///{default_data_dir() / 'minxin.db'}"


class DatabaseConfig(_Section):
    url: str = Field(default_factory=default_database_url)


class RedisConfig(_Section):
    # Set on every instance of a multi-instance deployment: context, pages, answer-once and
    # flood counters are then shared. Unset: all of it lives in this process's memory.
    url: str | None = None  # e.g. redis://127.0.0.1:6379/0
    prefix: str = "minxin:"  # keys of one deployment (one bot) start with this


class BroadcastConfig(_Section):
    rate_per_second: float = Field(default=25, gt=0)
    per_chat_interval: float = Field(default=1.0, ge=0)
    concurrency: int = Field(default=8, ge=1, le=256)
    max_retries: int = Field(default=5, ge=0)
    status_interval: float = Field(default=3.0, gt=0)
    # Several instances: a row `sending` longer than this was claimed by an instance that died;
    # another sends it again. Longer than any send (the sender's 10 s timeout) plus its wait.
    lease: float = Field(default=30.0, ge=1)


class PrivacyConfig(_Section):
    hmac_secret: str | None = None  # or MINXIN_HMAC_SECRET; keys the question log
    retention_days: int = Field(default=180, ge=1)
    notices: bool = True  # first-contact and personal-data notices in replies


class FeedbackConfig(_Section):
    buttons: bool = True  # 有用 / 没用 after the first answer about a project in a conversation


class Config(_Section):
    knowledge: KnowledgeConfig = Field(default_factory=KnowledgeConfig)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    redis: RedisConfig = Field(default_factory=RedisConfig)
    telegram: TelegramConfig = Field(default_factory=TelegramConfig)
    wechat: WeChatConfig | None = None
    web: WebConfig | None = None  # the resident chat page (bot/channels/web)
    broadcast: BroadcastConfig = Field(default_factory=BroadcastConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    # Roles by channel and the user's id there, e.g. {"wechat": ["oAbC…"], "console": ["local"]}
    admins: dict[str, list[str | int]] = Field(default_factory=dict)
    staff: dict[str, list[str | int]] = Field(default_factory=dict)
    handoff: HandoffConfig = Field(default_factory=HandoffConfig)
    feedback: FeedbackConfig = Field(default_factory=FeedbackConfig)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @property
    def telegram_token(self) -> str | None:
        return self.telegram.token or os.environ.get("TELEGRAM_BOT_TOKEN") or None

    @property
    def hmac_secret(self) -> str | None:
        return self.privacy.hmac_secret or os.environ.get("MINXIN_HMAC_SECRET") or None


class ConfigError(Exception):
    """A configuration problem, worded for the person starting the bot."""


def load_config(path: str | Path | None) -> Config:
    """Read and validate a config file; None means embedded defaults."""
    if path is None:
        return Config()
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except OSError as e:
        raise ConfigError(f"cannot read config {p}: {e.strerror}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{p}{where}: not valid YAML") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: the config must be a mapping of sections")
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            key = ".".join(str(x) for x in err["loc"])
            problems.append(f"{key}: {err['msg']}")
        raise ConfigError(f"{p}: invalid config: " + "; ".join(problems)) from None
