"""Admin storage on both engines: progress entries, the broadcast outbox's states, the audit log."""

import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError

from bot.services import Services
from bot.storage import Database
from bot.storage.audit import AuditRepo, audit_log
from bot.storage.broadcast import BroadcastRepo
from bot.storage.progress import ProgressRepo, local_date
from bot.storage.subscriptions import SubscriptionRepo


async def test_progress_entries_survive_a_reopen_and_join_the_kb_history(db, holder):
    repo = ProgressRepo(db)
    at = dt.datetime(2024, 5, 1, 20, 30, tzinfo=dt.timezone.utc)  # 5月2日 in Tianjin
    first = await repo.add(9, "进行中", 60, "万东路主体完工", "王主任", "tg:1", at=at)
    await repo.add(9, "已完成", 100, "通车", "王主任", "tg:1", at=at + dt.timedelta(days=30))
    await repo.add(3, "未开始", None, "", "李", "cli:ops", at=at)
    assert first.on == dt.date(2024, 5, 2)

    reopened = Database(db.url)
    await reopened.start()
    notes = await ProgressRepo(reopened).progress_history(9)
    assert [(n.status, n.percent, n.on, n.origin) for n in notes] == [
        ("进行中", 60, dt.date(2024, 5, 2), "admin"),
        ("已完成", 100, dt.date(2024, 6, 1), "admin"),
    ]
    services = Services(holder, progress=ProgressRepo(reopened))
    assert (await services.progress_history(9))[-1].note == "通车"
    assert (await ProgressRepo(reopened).get(first.id)).note == "万东路主体完工"
    await reopened.close()


async def test_progress_answers_are_cached_briefly_and_a_new_entry_clears_the_cache(db):
    repo = ProgressRepo(db, cache_seconds=3600)
    other = ProgressRepo(db)  # e.g. `python -m bot progress` in another process
    assert await repo.progress_history(9) == []
    await other.add(9, "进行中", 30, "开工", "李")
    assert await repo.progress_history(9) == []  # served from the cache
    await repo.add(9, "进行中", 60, "主体完工", "王")
    assert [n.percent for n in await repo.progress_history(9)] == [30, 60]
    assert [n.percent for n in await ProgressRepo(db, cache_seconds=0).progress_history(9)] == [
        30,
        60,
    ]


async def test_progress_rejects_a_bad_status_or_percent(db):
    repo = ProgressRepo(db)
    with pytest.raises(ValueError):
        await repo.add(1, "差不多", None, "", "x")
    with pytest.raises(ValueError):
        await repo.add(1, "进行中", 120, "", "x")
    assert await repo.entries(1) == []


def test_local_date_reads_naive_times_as_utc():
    assert local_date(dt.datetime(2024, 1, 31, 17, 0)) == dt.date(2024, 2, 1)


async def _subscribers(db, n):
    subs = SubscriptionRepo(db)
    for i in range(1, n + 1):
        await subs.touch_user(f"tg:{i}", "telegram", str(i))
        await subs.subscribe(f"tg:{i}", 9 if i % 2 else None)
    return subs


async def test_a_confirmed_job_has_one_pending_row_per_recipient_and_confirms_once(db):
    subs = await _subscribers(db, 5)
    repo = BroadcastRepo(db)
    job_id = await repo.create_draft(9, "万东路通车", "王主任", "tg:1")
    recipients = await subs.recipients(9)
    assert await repo.confirm(job_id, recipients) is True
    assert await repo.confirm(job_id, recipients) is False  # a second press sends nothing more
    job = await repo.job(job_id)
    assert (job.state, job.total) == ("queued", 5)
    counts = await repo.counts(job_id)
    assert counts["pending"] == 5 and sum(counts.values()) == 5
    assert [j.id for j in await repo.open_jobs()] == [job_id]


async def test_row_states_claim_once_and_crash_leftovers_become_uncertain(db):
    subs = await _subscribers(db, 4)
    repo = BroadcastRepo(db)
    job_id = await repo.create_draft(None, "通知", "王主任", "tg:1")
    await repo.confirm(job_id, await subs.recipients(None))
    await repo.start(job_id)
    a, b, c, d = await repo.pending(job_id)
    assert await repo.claim(a.id) is True
    assert await repo.claim(a.id) is False  # never two senders for one row
    await repo.mark(a.id, "sent")
    await repo.claim(b.id)  # the process "dies" with b in flight
    await repo.claim(c.id)
    await repo.mark(c.id, "blocked", "Forbidden: bot was blocked by the user")

    assert await repo.recover(job_id) == 1
    counts = await repo.counts(job_id)
    assert (counts["sent"], counts["uncertain"], counts["blocked"], counts["pending"]) == (
        1,
        1,
        1,
        1,
    )
    assert [r.id for r in await repo.pending(job_id)] == [d.id]  # only d is left to send
    assert [r.id for r in await repo.pending(job_id, after_id=d.id)] == []


async def test_cancel_stops_pending_rows_and_discard_only_drafts(db):
    subs = await _subscribers(db, 3)
    repo = BroadcastRepo(db)
    job_id = await repo.create_draft(None, "通知", "王主任", "tg:1")
    assert await repo.cancel(job_id) is False  # a draft is discarded, not cancelled
    await repo.confirm(job_id, await subs.recipients(None))
    first = (await repo.pending(job_id))[0]
    await repo.claim(first.id)
    await repo.mark(first.id, "sent")
    assert await repo.discard(job_id) is False
    assert await repo.cancel(job_id) is True
    assert await repo.cancel(job_id) is False
    counts = await repo.counts(job_id)
    assert (counts["sent"], counts["cancelled"]) == (1, 2)
    assert (await repo.job(job_id)).state == "cancelled"
    assert await repo.open_jobs() == []

    other = await repo.create_draft(9, "草稿", "王主任", "tg:1")
    assert await repo.discard(other) is True
    assert await repo.confirm(other, await subs.recipients(9)) is False


async def test_forget_removes_a_resident_from_every_outbox(db):
    subs = await _subscribers(db, 2)
    repo = BroadcastRepo(db)
    job_id = await repo.create_draft(None, "通知", "王主任", "tg:9")
    await repo.confirm(job_id, await subs.recipients(None))
    await db.forget_user("tg:1")
    assert [r.user_key for r in await repo.rows(job_id)] == ["tg:2"]


async def test_audit_log_newest_first(db):
    audit = AuditRepo(db, "test-secret")
    await audit.record("tg:7", "refused", "/broadcast", who_name="")
    await audit.record("tg:1", "broadcast", "#1 全部订阅者：通知", count=10000, who_name="王主任")
    await audit.record("cli:ops", "progress", "第9项 进行中", who_name="ops")
    entries = await audit.recent()
    # people by pseudonym: the first 24 hex digits of HMAC-SHA256("test-secret", "tg:1")
    assert [(e.who, e.action, e.count) for e in entries] == [
        ("cli:ops", "progress", None),
        ("u:8a2b97cc7e0c8bab46a1856b", "broadcast", 10000),
        ("u:7460e0172e349a62c8aa65a0", "refused", None),
    ]
    assert [e.details for e in await audit.recent(action="refused")] == ["/broadcast"]
    assert "0202_audit_log" in await db.applied_migrations()


async def test_a_progress_entry_and_its_audit_row_commit_together_or_not_at_all(db):
    progress, audit = ProgressRepo(db), AuditRepo(db, "test-secret")
    row = await audit.entry("tg:1", "progress", "第9项 进行中 60%", who_name="王主任")
    await progress.add(9, "进行中", 60, "主体完工", "王主任", "tg:1", also=[row])
    assert [e.note for e in await progress.entries(9)] == ["主体完工"]
    assert [e.details for e in await audit.recent(action="progress")] == ["第9项 进行中 60%"]

    broken = audit_log.insert().values(who="tg:1", action=None)  # the audit row cannot be written
    with pytest.raises(IntegrityError):
        await progress.add(9, "已完成", 100, "全线通车", "王主任", "tg:1", also=[broken])
    assert [e.note for e in await progress.entries(9)] == ["主体完工"]  # no entry without its row
