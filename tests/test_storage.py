"""Storage: migrations are versioned and idempotent; subscriptions survive a reopen; forget works."""

from bot.storage import Database
from bot.storage.subscriptions import SubscriptionRepo


async def test_subscriptions_survive_reopen_and_forget_removes_everything(db):
    repo = SubscriptionRepo(db)
    await repo.touch_user("tg:1", "telegram", "1")
    assert await repo.subscribe("tg:1", 5) is True
    assert await repo.subscribe("tg:1", 5) is False  # no duplicates
    assert await repo.subscribe("tg:1", None) is True

    reopened = Database(db.url)
    await reopened.start()  # running migrations again changes nothing
    again = SubscriptionRepo(reopened)
    assert await again.subscriptions("tg:1") == [None, 5]
    assert await again.recipients(7) == [("tg:1", "telegram", "1")]  # via "all"
    assert "0001_users_subscriptions" in await reopened.applied_migrations()

    removed = await reopened.forget_user("tg:1")
    assert removed >= 3
    assert await again.subscriptions("tg:1") == []
    assert await again.recipients(None) == []
    await reopened.close()


async def test_blocked_users_are_not_recipients(db):
    repo = SubscriptionRepo(db)
    for uid in ("tg:1", "tg:2"):
        await repo.touch_user(uid, "telegram", uid[3:])
        await repo.subscribe(uid, 9)
    await repo.set_active("tg:2", False)
    assert [r[0] for r in await repo.recipients(9)] == ["tg:1"]
    await repo.touch_user("tg:2", "telegram", "2")  # writing to us again reactivates
    assert [r[0] for r in await repo.recipients(9)] == ["tg:1", "tg:2"]
