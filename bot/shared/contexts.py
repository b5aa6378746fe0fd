"""Dialogue context in Redis: loaded at the start of a user's turn, saved (with TTL) at its end.

The dialogue keeps reading and writing the in-memory ContextStore synchronously; `turn()` is the
seam. During a turn the user's context lives in memory; between turns only in Redis, so the next
message may land on any instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import fields

from bot.context import CONTEXT_TTL, NO_TURN, Context, ContextStore
from bot.models import Button
from bot.shared.hub import SharedState

log = logging.getLogger(__name__)


# Not shared: the local clock, and a self-check in progress (its answers stay in the memory of
# the instance that asked; on another instance the resident is asked again from the start).
LOCAL = {"updated", "selfcheck"}


def encode(ctx: Context) -> str:
    """Every shared field as JSON (the offered buttons as [label, action] pairs)."""
    data = {f.name: getattr(ctx, f.name) for f in fields(Context) if f.name not in LOCAL}
    data["offered"] = [[b.label, b.action] for b in ctx.offered]
    return json.dumps(data, ensure_ascii=False)


def decode(raw: str) -> Context:
    known = {f.name for f in fields(Context)} - LOCAL
    data = {k: v for k, v in json.loads(raw).items() if k in known}
    if "asked" in data:  # JSON has lists, the dialogue compares tuples
        data["asked"] = [tuple(a) for a in data["asked"]]
    if "offered" in data:
        data["offered"] = [Button(label, action) for label, action in data["offered"]]
    return Context(**data)


class Turns:
    """Reference-counted turns per user: load on the first, save on the last (a user's two
    messages in flight on one instance share one copy)."""

    def __init__(self, shared: SharedState, name: str, ttl: float):
        self.shared = shared
        self.name = name
        self.ttl = ttl
        self.depth: dict[str, int] = {}
        self.forgotten: set[str] = set()
        self._tasks: set[asyncio.Task] = set()

    def key(self, user_key: str) -> str:
        return self.shared.key(self.name, user_key)

    def enter(self, user_key: str) -> bool:
        """Count a turn in; True for the first (the one that loads)."""
        first = user_key not in self.depth
        self.depth[user_key] = self.depth.get(user_key, 0) + 1
        return first

    def leave(self, user_key: str, save) -> tuple | None:
        """Count a turn out; for the last, the write it needs: (key, raw or None to delete)."""
        self.depth[user_key] -= 1
        if self.depth[user_key]:
            return None
        del self.depth[user_key]
        if user_key in self.forgotten:
            self.forgotten.discard(user_key)
            return self.key(user_key), None
        return self.key(user_key), save()

    def dropped(self, user_key: str, drop) -> None:
        """After the write: forget the local copy, unless a new turn has begun meanwhile."""
        if user_key not in self.depth:
            drop()

    @contextlib.asynccontextmanager
    async def turn(self, user_key: str, load, save, drop):
        first = self.enter(user_key)
        try:
            if first:
                try:
                    load(await self.shared.redis.get(self.key(user_key)))
                except Exception as e:  # Redis down: answer from what this process knows
                    log.warning("shared %s not loaded: %s", self.name, e)
            yield
        finally:
            write = self.leave(user_key, save)
            if write is not None:
                try:
                    key, raw = write
                    if raw is None:
                        await self.shared.redis.delete(key)
                    else:
                        await self.shared.redis.set(key, raw, ex=int(self.ttl))
                except Exception as e:
                    log.warning("shared %s not saved: %s", self.name, e)
                self.dropped(user_key, drop)

    def forget(self, user_key: str) -> None:
        """Forget now; inside a turn the save at its end deletes instead."""
        if user_key in self.depth:
            self.forgotten.add(user_key)
            return
        task = asyncio.get_running_loop().create_task(self._delete(user_key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _delete(self, user_key: str) -> None:
        try:
            await self.shared.redis.delete(self.key(user_key))
        except Exception as e:
            log.warning("shared %s not deleted: %s", self.name, e)


class RedisContextStore(ContextStore):
    """ContextStore whose truth between turns is Redis (key ctx:<user_key>, TTL CONTEXT_TTL)."""

    def __init__(self, shared: SharedState, ttl: float = CONTEXT_TTL):
        super().__init__(ttl)
        self.turns = Turns(shared, "ctx", ttl)
        self.local: dict[str, object] = {}  # user -> self-check in progress on this instance

    def turn(self, user_key: str):
        return self.turns.turn(user_key, *self.parts(user_key)[1:])

    def parts(self, user_key: str):
        """(turns, load, save, drop) for this user: for `together`, or one turn alone."""

        def load(raw: str | None) -> None:
            self._data.pop(user_key, None)
            if raw:
                ctx = decode(raw)
                ctx.selfcheck = self.local.get(user_key)
                super(RedisContextStore, self).put(user_key, ctx)

        def save() -> str | None:
            ctx = self._data.get(user_key)
            if ctx is not None and ctx.selfcheck is not None:
                self.local[user_key] = ctx.selfcheck
                while len(self.local) > 10_000:  # bounded: the oldest self-checks go first
                    self.local.pop(next(iter(self.local)))
            else:
                self.local.pop(user_key, None)
            return encode(ctx) if ctx is not None else None

        return self.turns, load, save, lambda: self._data.pop(user_key, None)

    def forget(self, user_key: str) -> None:
        self.local.pop(user_key, None)
        super().forget(user_key)
        self.turns.forget(user_key)


def together(user_key: str, *stores):
    """One turn over several stores: the Redis ones load with one MGET and save with one
    pipeline (a WeChat message's context, pages and options were six round trips, each about
    0.14 ms of CPU in redis-py: more than the answer itself); in-memory stores just nest, and
    when every store is in memory (one instance) the turn is nothing at all."""
    shared = [s for s in stores if hasattr(s, "parts")]
    turns = [t for s in stores if s not in shared and (t := s.turn(user_key)) is not NO_TURN]
    if not shared and not turns:
        return NO_TURN
    return _together(user_key, turns, [s.parts(user_key) for s in shared])


@contextlib.asynccontextmanager
async def _together(user_key: str, turns: list, shared: list):
    async with contextlib.AsyncExitStack() as stack:
        for turn in turns:
            await stack.enter_async_context(turn)
        if not shared:
            yield
            return
        redis = shared[0][0].shared.redis
        first = [(t, load) for t, load, _, _ in shared if t.enter(user_key)]
        try:
            if first:
                try:
                    values = await redis.mget([t.key(user_key) for t, _ in first])
                    for (_, load), raw in zip(first, values, strict=True):
                        load(raw)
                except Exception as e:  # Redis down: answer from what this process knows
                    log.warning("shared turn not loaded: %s", e)
            yield
        finally:
            writes = [(t, t.leave(user_key, save), drop) for t, _, save, drop in shared]
            writes = [(t, w, drop) for t, w, drop in writes if w is not None]
            if writes:
                try:
                    async with redis.pipeline(transaction=False) as pipe:
                        for t, (key, raw), _ in writes:
                            if raw is None:
                                pipe.delete(key)
                            else:
                                pipe.set(key, raw, ex=int(t.ttl))
                        await pipe.execute()
                except Exception as e:
                    log.warning("shared turn not saved: %s", e)
                for t, _, drop in writes:
                    t.dropped(user_key, drop)
