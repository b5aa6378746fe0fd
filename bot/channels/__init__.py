"""The channels bot.app can run, by the name of their config section.

Adding a channel: a package bot/channels/<name>/ with a base.Channel subclass in channel.py and
its settings model in settings.py, a field for that section in bot.config.Config, and one line
here. Packages load only when configured, so a deployment needs only its own platform library.
"""

from __future__ import annotations

import importlib

REGISTRY: dict[str, str] = {
    "telegram": "bot.channels.telegram.channel:TelegramChannel",
    "wechat": "bot.channels.wechat.channel:WeChatChannel",
    "web": "bot.channels.web.channel:WebChannel",
    "console": "bot.channels.console:ConsoleChannel",  # no config section: `chat` asks for it
}


def load(name: str) -> type:
    """The Channel class registered under `name` (imports its package)."""
    module, _, cls = REGISTRY[name].partition(":")
    try:
        return getattr(importlib.import_module(module), cls)
    except ImportError as e:
        raise SystemExit(f"config has a {name} section but this build cannot run it: {e}") from e


def configured(config) -> list[str]:
    """Names of the channels this config runs: a section present (and, where the section says
    so, `runs`: Telegram needs a token, from the file or TELEGRAM_BOT_TOKEN)."""
    names = []
    for name in REGISTRY:
        section = getattr(config, name, None)
        if section is not None and getattr(section, "runs", True):
            names.append(name)
    return names
