"""The unanswered inbox: residents ask, staff see clusters, accept one into a project file, dismiss one."""

from __future__ import annotations

import datetime as dt
import difflib
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.dialogue import Dialogue
from bot.kb import load_kb
from bot.kbholder import KBHolder
from bot.models import Message
from bot.router import Router
from bot.services import Services
from bot.staff import inbox
from bot.staff.cluster import find_cluster
from bot.staff.yamledit import EditError
from bot.storage.qlog import QuestionLogRepo

ROOT = Path(__file__).resolve().parents[1]

# What residents typed, and who typed it. 家床 is what some residents call 家庭养老床位.
ASKED = [
    ("tg:1", "家床怎么申请"),
    ("tg:2", "家床怎么申请？"),
    ("tg:3", "家床在哪申请"),
    ("wx:4", "我想申请家床"),
    ("tg:5", "护照怎么办"),
    ("tg:6", "办护照去哪里"),
    ("wx:7", "护照在哪办理"),
    ("tg:8", "楼道灯坏了找谁"),
    ("tg:9", "我家狗丢了"),
    ("tg:1", "口袋公园建在哪"),  # answered: not in the inbox
]


@pytest.fixture
def kb_copy(tmp_path):
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    return target


async def _asked(db, kb_dir) -> tuple[QuestionLogRepo, KBHolder]:
    holder = KBHolder(kb_dir)
    repo = QuestionLogRepo(db, "secret")
    await repo.start()
    dialogue = Dialogue(Services(holder, question_log=repo))
    for user, text in ASKED:
        channel = "telegram" if user.startswith("tg:") else "wechat"
        await dialogue.respond(Message(channel, user, text))
    return repo, holder


def _cluster_of(box, text):
    return next(c for c in box.clusters if text in c.examples(10))


async def test_paraphrases_cluster_together_and_unrelated_questions_stay_apart(db, kb_copy):
    repo, holder = await _asked(db, kb_copy)
    box = await inbox.load_inbox(repo, holder.router, days=7)

    assert box.total == len(ASKED) and box.unanswered == len(ASKED) - 1
    groups = [sorted(c.examples(10)) for c in box.clusters]
    assert groups == [
        sorted(["家床怎么申请", "家床在哪申请", "我想申请家床"]),  # 4 questions: most asked first
        sorted(["护照怎么办", "办护照去哪里", "护照在哪办理"]),
        ["我家狗丢了"],
        ["楼道灯坏了找谁"],
    ]
    first = box.clusters[0]
    assert (first.size, first.users) == (4, 4)
    assert first.wordings[0].text == "家床怎么申请" and first.wordings[0].count == 2
    assert find_cluster(box.clusters, first.id) is first
    assert find_cluster(box.clusters, "2") is box.clusters[1]
    assert find_cluster(box.clusters, "zzz") is None


async def test_accept_adds_the_wording_only_and_the_router_then_understands_it(db, kb_copy):
    repo, holder = await _asked(db, kb_copy)
    assert holder.router.route("家床怎么申请").project != 4  # nobody taught it 家床 yet
    box = await inbox.load_inbox(repo, holder.router, days=7)
    cluster = _cluster_of(box, "家床怎么申请")
    path = holder.kb.files[4]
    before = path.read_text(encoding="utf-8")

    done = await inbox.accept(repo, holder.kb, cluster, 4, "apply", "王芳", dt.date(2024, 5, 6))

    after = path.read_text(encoding="utf-8")
    assert done.added == ["家床怎么申请", "家床在哪申请", "我想申请家床"] and not done.misrouted
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    assert [op for op, *_ in ops if op != "equal"] == ["insert"]  # every old line kept, in order
    ((_, i1, _, j1, j2),) = [o for o in ops if o[0] == "insert"]
    assert b[j1:j2] == [
        "# 居民的真实问法：员工从待答问题收件箱收录（python -m bot inbox accept），行尾注明收录人和日期\n",
        "examples:\n",
        "  - {text: 家床怎么申请, intent: apply}  # 王芳 2024-05-06 待答问题收录，意图 apply\n",
        "  - {text: 家床在哪申请, intent: apply}  # 王芳 2024-05-06 待答问题收录，意图 apply\n",
        "  - {text: 我想申请家床, intent: apply}  # 王芳 2024-05-06 待答问题收录，意图 apply\n",
    ]
    assert a[i1 - 1].startswith("keywords:")

    result = load_kb(kb_copy)  # kb check still passes: examples are wording, not facts
    assert result.ok, result.errors
    router = Router(result.kb)
    for text in ("家床怎么申请", "我想申请家床"):
        r = router.route(text)
        assert (r.project, r.intent) == (4, "apply"), text
    assert holder.reload() == []  # what the running bot's live reload does
    assert holder.router.route("家床在哪申请").project == 4

    box = await inbox.load_inbox(repo, holder.router, days=7)
    assert all("家床怎么申请" not in c.examples(10) for c in box.clusters)


async def test_accepting_twice_appends_and_keeps_earlier_lines(db, kb_copy):
    repo, holder = await _asked(db, kb_copy)
    box = await inbox.load_inbox(repo, holder.router, days=7)
    await inbox.accept(
        repo, holder.kb, _cluster_of(box, "家床怎么申请"), 4, None, "王芳", dt.date(2024, 5, 6)
    )
    path = holder.kb.files[4]
    middle = path.read_text(encoding="utf-8").splitlines(keepends=True)
    await repo.record(
        Message("telegram", "tg:20", "家床要花钱吗"), holder.router.route("家床要花钱吗")
    )
    box = await inbox.load_inbox(repo, holder.router, days=7)
    cluster = _cluster_of(box, "家床要花钱吗")
    await inbox.accept(repo, holder.kb, cluster, 4, "benefit", "李强", dt.date(2024, 5, 7))
    after = path.read_text(encoding="utf-8").splitlines(keepends=True)
    added = [line for line in after if line not in middle]
    assert added == [
        "  - {text: 家床要花钱吗, intent: benefit}  # 李强 2024-05-07 待答问题收录，意图 benefit\n"
    ]
    assert [line for line in after if line in middle] == middle


async def test_accept_refuses_a_missing_project_and_dismiss_hides_a_cluster(db, kb_copy):
    repo, holder = await _asked(db, kb_copy)
    box = await inbox.load_inbox(repo, holder.router, days=7)
    passports = _cluster_of(box, "护照怎么办")
    with pytest.raises(EditError, match="第42项不存在"):
        await inbox.accept(repo, holder.kb, passports, 42, None, "王芳")
    await inbox.dismiss(repo, passports, "王芳")
    box = await inbox.load_inbox(repo, holder.router, days=7)
    assert all("护照" not in " ".join(c.examples(10)) for c in box.clusters)
    assert len(box.clusters) == 3


def test_staff_use_the_inbox_from_the_command_line(tmp_path, kb_copy, capsys):
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        f"database:\n  url: sqlite+aiosqlite:///{tmp_path / 'bot.db'}\n"
        f"knowledge:\n  dir: {kb_copy}\nprivacy:\n  hmac_secret: cli-secret\n",
        encoding="utf-8",
    )
    import asyncio

    from bot.storage import Database

    async def ask():
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
        await db.start()
        try:
            await _asked(db, kb_copy)
        finally:
            await db.close()

    asyncio.run(ask())
    assert main(["--config", str(cfg), "inbox"]) == 0
    out = capsys.readouterr().out
    assert "4 组" in out and "家床怎么申请" in out and "护照怎么办" in out
    assert main(["--config", str(cfg), "inbox", "dismiss", "2"]) == 0
    assert "已忽略" in capsys.readouterr().out
    assert (
        main(
            [
                "--config",
                str(cfg),
                "inbox",
                "accept",
                "1",
                "--project",
                "4",
                "--intent",
                "apply",
                "--by",
                "王芳",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "已把 3 种问法收录到第4项" in out and "+ 家床怎么申请" in out
    assert "{text: 家床怎么申请, intent: apply}  # 王芳" in (
        kb_copy / "2023" / holder_file(kb_copy, 4)
    ).read_text(encoding="utf-8")
    assert main(["--config", str(cfg), "inbox", "accept", "zzzzzz", "--project", "4"]) == 1
    assert "没有编号为 zzzzzz 的问题组" in capsys.readouterr().err
    assert main(["--config", str(cfg), "inbox"]) == 0
    assert "2 组" in capsys.readouterr().out  # 楼道灯 and 狗 are left


def holder_file(kb_dir, number: int) -> str:
    return next(p.name for p in (kb_dir / "2023").glob(f"{number:02d}-*.yaml"))
