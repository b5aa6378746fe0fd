"""The handoff section of the config, apart from bot.config so answering imports no channel's settings."""

from __future__ import annotations

from pydantic import Field

from bot.channels.settings import Section


class HandoffConfig(Section):
    """Where a resident is sent when the bot cannot help (the hotline is always offered)."""

    misses: int = Field(default=2, ge=1)  # misses in a row before the bot offers a person
    url: str | None = None  # e.g. the district's online 12345 form
    phone: str | None = None  # a staffed line besides 12345, as the office publishes it
