"""Import of a new year's list: two announcements laid out differently become draft KB folders."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.kb import load_kb
from bot.staff.announce import parse_announcement, split_items
from bot.staff.importer import AnnouncementError, import_announcement
from bot.text import format_number

ROOT = Path(__file__).resolve().parents[1]

SOURCE_2023 = ROOT / "knowledge" / "2023" / "source.txt"
SECOND = ROOT / "tests" / "fixtures" / "announcements" / "yangli-2024.txt"

TITLES_2023 = [
    "综合施策推动就业", "优化教育资源配置", "提升公共卫生服务", "完善社区养老服务",
    "提高医疗保障水平", "救助帮扶困难群体", "提高住房保障水平", "推进城市更新改造",
    "建设城市市政道路", "新增城市停车泊位", "改造供热管网设施", "优化便民商业布局",
    "加强食品安全监管", "加强环境治理监测", "打造生态宜居环境", "完善公共体育设施",
    "丰富群众文化生活", "关爱群众身心健康", "加强人防社区维护", "扎实做好服务保障",
]  # fmt: skip


def targets(kb, number: int) -> list[tuple[str, str]]:
    return [(format_number(t.value), t.unit) for t in kb.project(number).targets]


def test_the_2023_announcement_becomes_20_drafts_that_pass_kb_check(tmp_path):
    out = tmp_path / "knowledge" / "2023"
    result = import_announcement(SOURCE_2023, 2023, out, today=dt.date(2024, 1, 5))
    assert result.check_errors == [] and result.warnings[:1] == [
        "第7项 提高住房保障水平: 没有摘出数量或日期，请人工核对"
    ]
    loaded = load_kb(tmp_path / "knowledge", 2023)
    assert loaded.ok, loaded.errors
    kb = loaded.kb
    assert kb.numbers == list(range(1, 21))
    assert [kb.project(n).title for n in kb.numbers] == TITLES_2023
    assert ("1.65", "万人") in targets(kb, 1)
    assert ("2880", "个") in targets(kb, 2)
    assert ("406", "张") in targets(kb, 4)
    assert ("15", "万平方米") in targets(kb, 15)
    assert ("5", "个百分点") in targets(kb, 5)
    raise_ = kb.project(5).targets[
        0
    ]  # 从18万元提高到25万元: the new amount, the old one kept in `what`
    assert (raise_.value, raise_.unit) == (25, "万元")
    assert raise_.what.endswith("从18万元提高到") and "从18万元提高到25万元" in raise_.phrase
    (effective,) = kb.project(1).dates
    assert (effective.date, effective.kind, effective.what) == (
        "2023-07-01",
        "effective",
        "提高失业保险待遇标准",
    )
    assert [p.name for p in kb.project(8).places] == ["逸庭苑", "明波公寓"]
    assert {"万东路", "八纬路", "大直沽十号路"} <= {p.name for p in kb.project(9).places}
    assert kb.project(4).category == "养老助老" and kb.project(9).category == "城市建设"
    assert set(kb.project(4).todo) == {"benefit", "eligibility", "apply", "deadline"}
    assert kb.project(1).source.startswith("一、综合施策推动就业。")
    assert (out / "source.txt").read_bytes() == SOURCE_2023.read_bytes()
    assert "草稿：2024-01-05" in (out / "01-zongheshicetuidongjiuye.yaml").read_text(
        encoding="utf-8"
    )


def test_a_differently_laid_out_announcement_full_width_one_paragraph_numbered_di_yi_xiang(
    tmp_path,
):
    text = SECOND.read_text(encoding="utf-8")
    assert (
        "第一项" in text and "２０２４" in text and "\n第二项" not in text
    )  # the layout under test
    result = import_announcement(SECOND, 2024, tmp_path / "kb" / "2024")
    copied = f"{tmp_path / 'kb' / 'vocab.yaml'} 不存在，已复制自带的共享词表"  # a new folder
    assert result.check_errors == [] and result.warnings == [copied]
    kb = load_kb(tmp_path / "kb", 2024).kb
    assert [kb.project(n).title for n in kb.numbers] == [
        "稳岗扩就业", "扩充学前教育资源", "提升居家养老服务", "提高医疗保障水平",
        "改造老旧小区", "建设口袋公园", "增加停车泊位", "丰富文体生活",
    ]  # fmt: skip
    assert targets(kb, 1) == [("1.2", "万人"), ("2000", "人次")]
    assert targets(kb, 2) == [("2", "所"), ("960", "个")]  # 两所
    assert targets(kb, 4) == [("4000", "元"), ("2", "个百分点")]
    assert "从3000元提高到" in kb.project(4).targets[0].what
    assert targets(kb, 6) == [("6", "个"), ("3.5", "万平方米")]
    assert [(d.date, d.kind) for d in kb.project(1).dates] == [("2024-03-01", "effective")]
    assert [(d.date, d.kind) for d in kb.project(5).dates] == [("2024-12", "completion")]
    assert [p.name for p in kb.project(5).places] == ["春华里", "秋实苑", "冬青园"]
    assert kb.project(8).source.endswith("更新健身器材２００套。")  # the signature is not item 8
    assert not kb.project(8).dates
    assert kb.year.district == "样例区" and kb.year.hotline.number == "12345"


def test_prose_that_looks_like_a_number_does_not_start_an_item():
    text = "标题\n一、第一件事。在第三项工作中，二、三项并行。\n二、第二件事。完成5个。"
    assert [n for n, _ in split_items(text)] == [1, 2]
    heading, items = parse_announcement(text)
    assert [i.title for i in items] == ["第一件事", "第二件事"]


def test_import_says_why_it_cannot_and_never_overwrites_without_force(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("通知\n\n今年没有编号的项目。\n", encoding="utf-8")
    with pytest.raises(AnnouncementError, match="没有找到编号的项目"):
        import_announcement(empty, 2025, tmp_path / "k" / "2025")
    with pytest.raises(AnnouncementError, match="以年份命名"):
        import_announcement(SECOND, 2024, tmp_path / "k" / "drafts")
    out = tmp_path / "k" / "2024"
    import_announcement(SECOND, 2024, out)
    with pytest.raises(AnnouncementError, match="--force"):
        import_announcement(SECOND, 2024, out)
    assert import_announcement(SECOND, 2024, out, force=True).check_errors == []


def test_staff_import_from_the_command_line_and_years_sit_side_by_side(tmp_path, capsys):
    root = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", root)
    code = main(["kb", "import", str(SECOND), "--year", "2024", "--out", str(root / "2024")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "第5项 改造老旧小区: 2 个数量, 1 个日期, 3 个地点" in out and "kb check 通过" in out
    assert main(["kb", "check", str(root), "--year", "2023"]) == 0
    assert main(["kb", "check", str(root), "--year", "2024"]) == 0
    assert "8 projects" in capsys.readouterr().out
    missing = main(
        ["kb", "import", str(tmp_path / "nope.txt"), "--year", "2025", "--out", str(root / "2025")]
    )
    assert missing == 1 and "读不了公告" in capsys.readouterr().err
