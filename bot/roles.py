"""Who may run which command: one admins/staff list keyed by channel and the user's id there."""

from __future__ import annotations

from bot.config import Config

RESIDENT, STAFF, ADMIN = "resident", "staff", "admin"
RANK = {RESIDENT: 0, STAFF: 1, ADMIN: 2}  # an admin may do what staff may


class Roles:
    """`admins:`/`staff:` at the top of the config ({channel: [ids]}), plus the older
    per-channel lists (telegram.admins, wechat.admins), which read the same."""

    def __init__(self, config: Config):
        self._admins: dict[str, set[str]] = {}
        self._staff: dict[str, set[str]] = {}
        for channel, ids in config.admins.items():
            self._admins.setdefault(channel, set()).update(map(str, ids))
        for channel, ids in config.staff.items():
            self._staff.setdefault(channel, set()).update(map(str, ids))
        self._admins.setdefault("telegram", set()).update(map(str, config.telegram.admins))
        self._staff.setdefault("telegram", set()).update(map(str, config.telegram.staff))
        if config.wechat is not None:
            self._admins.setdefault("wechat", set()).update(config.wechat.admins)
            self._staff.setdefault("wechat", set()).update(config.wechat.staff)

    def role(self, channel: str, user_id: str) -> str:
        if str(user_id) in self._admins.get(channel, ()):
            return ADMIN
        if str(user_id) in self._staff.get(channel, ()):
            return STAFF
        return RESIDENT

    def grant(self, channel: str, user_id: str, role: str = ADMIN) -> None:
        """A role for this run only (the console's --as-admin)."""
        (self._admins if role == ADMIN else self._staff).setdefault(channel, set()).add(user_id)

    def staff_of(self, channel: str) -> list[str]:
        """Staff and admins on one channel, each once: who hears about knowledge reloads."""
        ids = sorted(self._staff.get(channel, ())) + sorted(self._admins.get(channel, ()))
        return list(dict.fromkeys(ids))


def may(role: str, needed: str) -> bool:
    return RANK.get(role, 0) >= RANK[needed]
