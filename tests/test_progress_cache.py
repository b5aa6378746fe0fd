"""Progress answers under load: residents asking at once share one read, and once cached a
question never waits for the database (an ageing entry is refreshed in the background), while an
entry another process adds still shows within cache_seconds."""

from __future__ import annotations

import asyncio

from bot.storage.progress import ProgressRepo


def counting_reads(repo: ProgressRepo) -> list[int]:
    calls: list[int] = []
    entries = repo.entries

    async def counted(project):
        calls.append(project)
        return await entries(project)

    repo.entries = counted
    return calls


async def test_residents_asking_at_once_share_one_read(db):
    await ProgressRepo(db).add(9, "进行中", 30, "开工", "李")
    repo = ProgressRepo(db)
    reads = counting_reads(repo)
    got = await asyncio.gather(*(repo.progress_history(9) for _ in range(10)))
    assert reads == [9]
    assert all([n.percent for n in g] == [30] for g in got)


async def test_an_ageing_entry_is_served_and_refreshed_in_the_background(db):
    repo = ProgressRepo(db, cache_seconds=0.6)
    other = ProgressRepo(db)  # another process (the CLI)
    reads = counting_reads(repo)
    assert await repo.progress_history(9) == []
    await other.add(9, "进行中", 30, "开工", "李")
    await asyncio.sleep(0.35)  # past half the cache's age
    # Served from the cache, without waiting: the refresh starts behind the answer.
    task = asyncio.ensure_future(repo.progress_history(9))
    await asyncio.sleep(0)
    assert task.done() and task.result() == []
    await asyncio.sleep(0.1)
    assert len(reads) == 2  # the background refresh, once
    assert [n.percent for n in await repo.progress_history(9)] == [30]  # within cache_seconds
    assert len(reads) == 2


async def test_without_questions_nothing_older_than_cache_seconds_is_served(db):
    repo = ProgressRepo(db, cache_seconds=0.2)
    other = ProgressRepo(db)
    assert await repo.progress_history(9) == []
    await other.add(9, "进行中", 30, "开工", "李")
    await asyncio.sleep(0.25)  # nobody asked meanwhile: the next question reads again
    assert [n.percent for n in await repo.progress_history(9)] == [30]


async def test_a_refresh_begun_before_an_add_does_not_hide_it(db):
    repo = ProgressRepo(db, cache_seconds=3600)
    entries = repo.entries
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow(project):
        rows = await entries(project)  # read before the add below
        started.set()
        await release.wait()
        return rows

    repo.entries = slow
    asking = asyncio.ensure_future(repo.progress_history(9))
    await started.wait()
    repo.entries = entries
    await repo.add(9, "进行中", 60, "主体完工", "王")
    # asked after the add: a new read, not the one in flight
    assert [n.percent for n in await repo.progress_history(9)] == [60]
    release.set()
    assert await asking == []  # asked before the add committed
    assert [n.percent for n in await repo.progress_history(9)] == [60]  # the old list stayed out
