"""State several instances share, by configuration: with `redis.url` set, Redis holds dialogue
context, pending numbered choices, text-channel pages, WeChat's answer-once replies and flood
counters; without it every store is the in-memory one a single process always used.
"""

from __future__ import annotations

from bot.shared.hub import SharedState

__all__ = ["SharedState"]
