"""Import survives real announcement layouts: 项目一：, 一是…二是…, Markdown and tab tables,
section headings above the items, 从…提高到…, phones and addresses; refusals name the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.kb import load_kb
from bot.staff.importer import AnnouncementError, import_announcement
from bot.text import format_number

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "announcements"


def imported(tmp_path, name: str, year: int = 2025):
    out = tmp_path / "kb" / str(year)
    result = import_announcement(FIXTURES / name, year, out)
    assert result.check_errors == []
    loaded = load_kb(tmp_path / "kb", year)
    assert loaded.ok, loaded.errors
    return loaded.kb


def titles(kb) -> list[str]:
    return [kb.project(n).title for n in kb.numbers]


def targets(kb, n: int) -> list[tuple[str, str]]:
    return [(format_number(t.value), t.unit) for t in kb.project(n).targets]


def test_xiangmu_items_under_section_headings_with_a_raise_a_phone_and_an_address(tmp_path):
    kb = imported(tmp_path, "xiangmu-sections-2025.txt")
    # 一、就业和社会保障 is a section heading, not project 1's title.
    assert titles(kb) == [
        "稳岗扩就业", "提高低保标准", "改造老旧小区", "新增停车泊位", "建设社区食堂", "开展免费体检",
    ]  # fmt: skip
    assert kb.project(2).source == (
        "项目二：提高低保标准。城乡低保标准从每户每月600元提高到800元，2025年7月1日起执行。"
    )  # ends before 二、城市建设
    [raise_] = kb.project(2).targets
    assert (raise_.value, raise_.from_value, raise_.unit) == (800, 600, "元")
    [phone] = kb.project(1).apply
    assert (phone.name, phone.phone, phone.phrase) == (
        "咨询电话", "022-58301234", "咨询电话：022-58301234",
    )  # fmt: skip
    assert "apply" not in kb.project(1).todo and "apply" in kb.project(2).todo
    [office] = kb.project(5).apply
    assert (office.address, office.phone) == ("示范区政务服务中心一楼", None)
    assert kb.project(6).source.endswith("免费体检2万人次。")  # the signature is not item 6
    assert [(d.date, d.kind) for d in kb.project(3).dates] == [("2025-12", "completion")]


def test_yi_shi_er_shi_inside_one_paragraph(tmp_path):
    kb = imported(tmp_path, "yishi-2025.txt")
    assert titles(kb) == [
        "新建社区食堂",
        "改造供热管网",
        "新增停车泊位",
        "建设口袋公园",
        "开展免费体检",
    ]
    assert targets(kb, 1) == [("10", "个")] and targets(kb, 2) == [("20", "公里")]
    assert targets(kb, 5) == [("2", "万人次")]
    assert [(d.date, d.kind) for d in kb.project(4).dates] == [("2025-10", "completion")]
    assert kb.project(1).source == "一是新建社区食堂10个，服务老年人就餐；"


def test_a_markdown_table(tmp_path):
    kb = imported(tmp_path, "table-md-2025.txt")
    assert titles(kb) == ["稳岗扩就业", "建设口袋公园", "提高养老补贴"]
    assert targets(kb, 2) == [("6", "个"), ("3.5", "万平方米")]
    [raise_] = kb.project(3).targets
    assert (raise_.value, raise_.from_value) == (150, 100)
    assert [(d.date, d.kind) for d in kb.project(3).dates] == [("2025-07-01", "effective")]
    assert kb.project(1).source == "| 1 | 稳岗扩就业 | 新增就业1.2万人 | 2025年12月底前 |"


def test_a_tab_separated_table(tmp_path):
    kb = imported(tmp_path, "table-tsv-2025.txt")
    assert titles(kb) == ["改造供热管网", "新增停车泊位", "建设社区食堂"]
    assert targets(kb, 1) == [("15", "公里")] and targets(kb, 3) == [("3", "个")]
    assert [a.phone for a in kb.project(3).apply] == ["022-58307777"]


def test_items_numbered_again_under_each_section_number_on(tmp_path):
    kb = imported(tmp_path, "paren-sections-2025.txt")
    assert titles(kb) == ["稳岗扩就业", "完善养老服务", "改造老旧小区", "建设口袋公园"]
    assert kb.project(3).source == "（一）改造老旧小区。完成3个老旧小区改造。"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "某区2025年民心工程\n项目一：稳岗。新增就业1万人。\n项目二：养老。新建助餐点2个。\n"
            "项目四：停车。新增泊位100个。\n",
            "第4行「项目四：停车。新增泊位100个。」：编号是 4，这里应为第3项（前一项是第2项）",
        ),
        (
            "某区2025年民心工程\n| 序号 | 项目 | 内容 |\n| 1 | 稳岗 | 新增就业1万人 |\n"
            "| 3 | 停车 | 新增泊位100个 |\n",
            "第4行「| 3 | 停车 | 新增泊位100个 |」：序号是 3，这里应为 2",
        ),
        (
            "某区2025年民心工程\n今年要办的事很多，大家一起努力。\n",
            "第2行「今年要办的事很多，大家一起努力。」不是项目的开头；应为以 一、/第一项/项目一：",
        ),
    ],
)
def test_every_refusal_names_the_line_and_what_it_expected(tmp_path, text, message):
    f = tmp_path / "a.txt"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(AnnouncementError) as e:
        import_announcement(f, 2025, tmp_path / "k" / "2025")
    assert message in str(e.value)


def test_yi_shi_points_inside_numbered_items_stay_inside_them(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text(
        "某区2025年2项民心工程\n"
        "一、稳岗扩就业。一是新增就业1万人；二是开展培训2000人次；三是新建零工市场1个。\n"
        "二、改造老旧小区。一是完成3个小区改造；二是加装电梯20部。\n",
        encoding="utf-8",
    )
    result = import_announcement(f, 2025, tmp_path / "kb" / "2025")
    assert result.check_errors == []
    kb = load_kb(tmp_path / "kb", 2025).kb
    assert titles(kb) == ["稳岗扩就业", "改造老旧小区"]
    assert targets(kb, 1) == [("1", "万人"), ("2000", "人次"), ("1", "个")]
