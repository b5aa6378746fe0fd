"""`python -m bot progress` and `python -m bot audit` on a configured database."""

from __future__ import annotations

import asyncio

import yaml

from bot.cli import main
from bot.storage import Database
from bot.storage.progress import ProgressRepo


def test_progress_from_the_command_line_is_stored_and_audited(tmp_path, capsys):
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"database": {"url": url}}))

    rc = main(["progress", "9", "60%", "万东路主体完工", "--by", "王主任", "--config", str(config)])
    out = capsys.readouterr().out
    assert rc == 0 and "已记录：第9项 建设城市市政道路" in out and "进行中 60%" in out

    async def entries():
        db = Database(url)
        await db.start()
        try:
            return await ProgressRepo(db).entries(9)
        finally:
            await db.close()

    [entry] = asyncio.run(entries())
    assert (entry.status, entry.percent, entry.note, entry.author, entry.author_id) == (
        "进行中", 60, "万东路主体完工", "王主任", "cli:王主任"
    )  # fmt: skip

    assert main(["--config", str(config), "progress", "99", "已完成"]) == 1
    assert "没有第99项" in capsys.readouterr().err
    assert main(["--config", str(config), "progress", "9", "快好了"]) == 1
    assert "看不懂「快好了」" in capsys.readouterr().err

    assert main(["audit", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "王主任(cli:王主任) progress 第9项 建设城市市政道路 进行中 60% 万东路主体完工" in out
