"""Staff fix the knowledge base live: a broken edit is refused (old KB keeps answering), a fix is
picked up by the file watcher — in a temporary copy of knowledge/."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from tgharness import REPLY_TIMEOUT, config_for, running_bot

from bot.config import Config
from bot.kb.loader import DEFAULT_DIR
from bot.kbholder import KBHolder
from bot.reload import Reloader

STAFF, RESIDENT = 2, 42
ROAD = "2023/09-daolu.yaml"
OLD = "在向阳楼街建设3条基础设施配套道路"
TYPO = "在向阳楼街建设5条基础设施配套道路"  # 5: a number the official text never says
FIXED = "向阳楼街新建3条基础设施配套道路"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("kb") / "knowledge"
    shutil.copytree(DEFAULT_DIR, d)
    assert OLD in (d / ROAD).read_text(encoding="utf-8")
    return d


@pytest.fixture
def knowledge(pristine, tmp_path) -> Path:
    d = tmp_path / "knowledge"
    shutil.copytree(pristine, d)
    return d


def edit(knowledge: Path, old: str, new: str) -> None:
    f = knowledge / ROAD
    f.write_text(f.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


async def test_reload_rejects_errors_with_file_and_line_and_keeps_the_old_kb(knowledge):
    holder = KBHolder(knowledge)
    serving = holder.current
    reloader = Reloader(holder)
    edit(knowledge, "title: 建设城市市政道路", "title: [建设城市市政道路")  # broken YAML
    result = await reloader.reload()
    assert not result.ok and result.errors[0].startswith(f"{ROAD}:5: ")
    assert holder.current is serving  # nothing half-loaded replaced it

    edit(knowledge, "title: [建设城市市政道路", "title: 建设城市市政道路")
    edit(knowledge, OLD, TYPO)
    result = await reloader.reload()
    [error] = result.errors
    assert error.startswith(f"{ROAD}:6: summary: ") and "'5'" in error
    assert holder.kb.project(9).summary.count(OLD) == 1

    edit(knowledge, TYPO, FIXED)
    result = await reloader.reload()
    assert result.ok and result.projects == 20 and FIXED in holder.kb.project(9).summary


async def test_staff_see_a_broken_edit_refused_while_residents_keep_their_answers(
    api, knowledge, tmp_path
):
    holder = KBHolder(knowledge)
    base = config_for(api, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", staff=[STAFF])
    config = Config.model_validate({**base.model_dump(), "knowledge": {"watch": True}})
    async with running_bot(api, holder, config) as bot:
        await asyncio.wait_for(bot.running["app"].watch_ready.wait(), REPLY_TIMEOUT)
        [before] = await bot.say(RESIDENT, "第9项")
        assert OLD in before.params["text"]

        edit(knowledge, OLD, TYPO)  # a staff member saves a typo
        [notice] = await api.wait_for("sendMessage", 1, REPLY_TIMEOUT, chat_id=STAFF)
        lines = notice.params["text"].split("\n")
        assert lines[0].startswith("知识库未更新（改动：2023/09-daolu.yaml）：发现 1 处错误")
        assert lines[1].startswith(f"{ROAD}:6: summary: ") and "'5'" in lines[1]

        [during] = await bot.say(RESIDENT, "第9项")
        assert during.params["text"] == before.params["text"]  # the old KB still answers
        [reloaded] = await bot.say(STAFF, "/reload")
        assert reloaded.params["text"].split("\n")[1:] == lines[1:]

        edit(knowledge, TYPO, FIXED)  # and corrects it
        calls = await api.wait_for("sendMessage", 3, REPLY_TIMEOUT, chat_id=STAFF)
        assert calls[-1].params["text"].startswith("知识库已更新（改动：2023/09-daolu.yaml）")
        [after] = await bot.say(RESIDENT, "第9项")
        assert FIXED in after.params["text"] and OLD not in after.params["text"]

        [refused] = await bot.say(RESIDENT, "/reload")
        assert refused.params["text"].startswith("无权限")
