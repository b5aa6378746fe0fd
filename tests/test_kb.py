"""The knowledge base: the bundled one is valid and complete; broken edits give file:line errors."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from bot.kb import load_kb
from bot.text import numbers_in
from tests.conftest import ROOT

KB_DIR = ROOT / "knowledge"


def test_bundled_kb_has_all_twenty_projects_with_source_paragraphs():
    result = load_kb(KB_DIR)
    assert result.ok, [str(e) for e in result.errors]
    kb = result.kb
    assert kb.numbers == list(range(1, 21))
    for p in kb.projects.values():
        assert p.source.startswith(("一", "二", "三", "四", "五", "六", "七", "八", "九", "十"))
        assert p.source in kb.source_text
        assert p.category in kb.year.categories
        assert p.aliases, p.number
        assert p.progress == []  # progress is published by admins, not invented


def test_named_places_and_key_facts_are_in_the_kb():
    kb = load_kb(KB_DIR).kb
    places = {pl.name for p in kb.projects.values() for pl in p.places}
    for name in ("金地紫云府配套学校", "逸庭苑", "明波公寓", "万东路（成林道-津滨大道）"):
        assert name in places
    targets = {(t.what, t.value, t.unit) for t in kb.project(1).targets}
    assert any(v == 1.65 and u == "万人" for _, v, u in targets)
    assert any(d.date == "2023-07-01" for d in kb.project(1).dates)
    aliases = {a for p in kb.projects.values() for a in p.aliases}
    for word in (
        "失业金",
        "医保",
        "长护险",
        "暖气",
        "车位",
        "特教",
        "老年食堂",
        "公租房",
        "退伍军人",
    ):
        assert word in aliases, word


def test_no_phone_numbers_or_addresses_are_invented():
    kb = load_kb(KB_DIR).kb
    for p in kb.projects.values():
        for e in p.apply:
            assert e.phone is None and e.address is None
        # every number the staff wrote in a plain-language field is in the source paragraph
        for field_text in [p.summary, *(b.text for b in p.benefits)]:
            assert numbers_in(field_text) <= numbers_in(p.source), (p.number, field_text)


@pytest.fixture
def kb_copy(tmp_path):
    dest = tmp_path / "knowledge"
    shutil.copytree(KB_DIR, dest)
    return dest


def _errors(directory) -> list[str]:
    result = load_kb(directory)
    assert result.kb is None  # never a half-loaded KB
    return [str(e) for e in result.errors]


def test_bad_yaml_reports_file_and_line(kb_copy):
    f = kb_copy / "2023" / "07-zhufang.yaml"
    lines = f.read_text(encoding="utf-8").splitlines()
    lines[3] = "title: [unclosed"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors = _errors(kb_copy)
    assert len(errors) == 1
    assert "07-zhufang.yaml:" in errors[0] and "YAML syntax" in errors[0]


def test_wrong_type_reports_the_field_and_its_line(kb_copy):
    f = kb_copy / "2023" / "10-tingche.yaml"
    text = f.read_text(encoding="utf-8")
    line_no = (
        text.splitlines().index(next(ln for ln in text.splitlines() if ln.startswith("number:")))
        + 1
    )
    f.write_text(text.replace("number: 10", "number: ten"), encoding="utf-8")
    errors = _errors(kb_copy)
    assert any(e.startswith(f"{f}:{line_no}: number:") for e in errors), errors


def test_duplicate_numbers_are_rejected(kb_copy):
    src = kb_copy / "2023" / "12-bianmin.yaml"
    dup = kb_copy / "2023" / "13-shipinanquan.yaml"
    dup.write_text(
        src.read_text(encoding="utf-8").replace("number: 12", "number: 13"), encoding="utf-8"
    )
    src.rename(kb_copy / "2023" / "12-bianmin.yaml")
    other = kb_copy / "2023" / "14-anjingxiaoqu.yaml"
    other.write_text(
        other.read_text(encoding="utf-8").replace("number: 14", "number: 13"), encoding="utf-8"
    )
    errors = _errors(kb_copy)
    assert any("duplicate project number 13" in e for e in errors), errors


def test_a_file_named_for_another_number_says_the_number_its_name_gives(kb_copy):
    ydir = kb_copy / "2023"
    (ydir / "12-bianmin.yaml").rename(ydir / "112-bianmin.yaml")  # a three-digit name
    (ydir / "13-shipinanquan.yaml").rename(ydir / "05-shipinanquan.yaml")
    errors = _errors(kb_copy)
    assert any(
        "112-bianmin.yaml" in e and "file name says 112 but number is 12" in e for e in errors
    ), errors
    assert any("file name says 05 but number is 13" in e for e in errors), errors


def test_a_fact_not_in_the_source_is_rejected(kb_copy):
    f = kb_copy / "2023" / "05-yibao.yaml"
    text = f.read_text(encoding="utf-8")
    wrong_amount = text.replace(
        "  - text: 居民医保住院最高支付限额从18万元提高到25万元。",
        "  - text: 居民医保住院最高支付限额从18万元提高到30万元。",
    )
    f.write_text(wrong_amount, encoding="utf-8")
    errors = _errors(kb_copy)
    assert any(
        "05-yibao.yaml:" in e and "benefits.0.text: numbers ['30'] are not in the phrase" in e
        for e in errors
    ), errors

    wrong_summary = text.replace(
        "summary: 2023年居民医保住院最高支付限额从18万元提高到25万元",
        "summary: 2023年居民医保住院最高支付限额从18万元提高到30万元",
    )
    f.write_text(wrong_summary, encoding="utf-8")
    assert any("05-yibao.yaml:6: summary:" in e for e in _errors(kb_copy))

    f.write_text(
        text.replace(
            "    phrase: 将居民医保住院最高支付限额从18万元提高到25万元",
            "    phrase: 将居民医保住院最高支付限额提高到30万元",
            1,
        ),
        encoding="utf-8",
    )
    assert any("not found verbatim in source" in e for e in _errors(kb_copy))


def test_a_phone_number_without_a_dated_staff_entry_is_rejected(kb_copy):
    f = kb_copy / "2023" / "20-tuiyijunren.yaml"
    text = f.read_text(encoding="utf-8")
    assert "phone: null" in text
    f.write_text(text.replace("phone: null", "phone: '022-12345678'", 1), encoding="utf-8")
    errors = _errors(kb_copy)
    assert any("phone/address not in source" in e for e in errors), errors


def test_unknown_field_is_rejected_with_its_name(kb_copy):
    f = kb_copy / "2023" / "03-gonggongweisheng.yaml"
    f.write_text(f.read_text(encoding="utf-8") + "\nhotline_phone: '123'\n", encoding="utf-8")
    errors = _errors(kb_copy)
    assert any("hotline_phone" in e for e in errors), errors


def test_kb_check_cli_prints_file_line_errors_and_exits_nonzero(kb_copy):
    f = kb_copy / "2023" / "08-laojiuxiaoqu.yaml"
    f.write_text(
        f.read_text(encoding="utf-8").replace("category: 城市建设", "category: 火星"),
        encoding="utf-8",
    )
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "kb", "check", str(kb_copy)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert bad.returncode == 1
    assert "08-laojiuxiaoqu.yaml:" in bad.stdout and ": category: " in bad.stdout

    good = subprocess.run(
        [sys.executable, "-m", "bot", "kb", "check"], capture_output=True, text=True, cwd=ROOT
    )
    assert good.returncode == 0, good.stdout + good.stderr
    assert "warning:" in good.stdout and "todo" in good.stdout  # facts still to confirm
    assert "20 projects" in good.stdout


def test_a_dated_staff_entry_with_a_phone_loads_and_is_answered(kb_copy, tmp_path):
    """`on:` unquoted is a date key (YAML 1.2 booleans), not True."""
    f = kb_copy / "2023" / "20-tuiyijunren.yaml"
    text = f.read_text(encoding="utf-8")
    staff_entry = (
        "apply:\n"
        "  - name: 退役军人服务站\n"
        "    text: 工作日可到服务站咨询。\n"
        "    phone: '022-00000000'\n"
        "    by: 李明\n"
        "    on: 2023-09-01\n"
    )
    start = text.index("apply:")
    end = text.index("\ndates:")
    f.write_text(text[:start] + staff_entry + text[end:], encoding="utf-8")
    result = load_kb(kb_copy)
    assert result.ok, [str(e) for e in result.errors]
    entry = result.kb.project(20).apply[0]
    assert entry.phone == "022-00000000" and str(entry.on) == "2023-09-01"

    from handlers.projects import answer

    reply = answer(result.kb, result.kb.project(20), "apply", [])
    assert "电话：022-00000000（2023-09-01 工作人员核实）" in reply.text


def test_reloading_builds_the_same_router(holder):
    """Reloads must not change routing (the segmenter that learns KB words is kept apart)."""
    from bot.kbholder import KBHolder

    first = KBHolder()
    before = dict(first.router.lex.entries)
    assert first.reload() == []
    assert set(first.router.lex.entries) == set(before)
    questions = ["特校建好了没", "医包报销比例", "停车泊为在哪", "老年食堂吃饭要钱吗"]
    assert [holder.router.route(q) for q in questions] == [first.router.route(q) for q in questions]


def _line_of(path, needle: str) -> int:
    return next(i for i, ln in enumerate(path.read_text("utf-8").splitlines(), 1) if needle in ln)


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        # cost: the source never says the fitness parks are free
        (
            "16-tiyu.yaml",
            "  - text: 更新健身园10个。",
            "  - text: 更新健身园10个，免费开放。",
            "benefits.0.text: says “免费” but the phrase does not",
        ),
        # a made-up place
        (
            "16-tiyu.yaml",
            "  - text: 新建市民排球场1个。",
            "  - text: 在大王庄新建市民排球场1个。",
            "benefits.1.text: names 大王庄, which the phrase does not name",
        ),
        # a made-up department
        (
            "20-tuiyijunren.yaml",
            "    text: 退役军人可通过退役军人服务站获得服务保障。",
            "    text: 退役军人可到区退役军人事务局办理。",
            "apply.0.text: names 事务局, which the phrase does not name",
        ),
        # narrowing who may use a service
        (
            "14-anjingxiaoqu.yaml",
            "  - text: 持续推进安静居住小区创建，全年创建不少于1个。",
            "  - text: 持续推进安静居住小区创建，全年创建不少于1个，只对本小区居民开放。",
            "benefits.0.text: says “只”、“本小区” but the phrase does not",
        ),
        # a brand the source does not name
        (
            "12-bianmin.yaml",
            "  - text: 引进品牌连锁便利店5个，提升居民消费便利化水平。",
            "  - text: 引进美宜佳等品牌连锁便利店5个。",
            "benefits.0.text: names 美宜佳, which the phrase does not name",
        ),
        # a time the source does not give
        (
            "18-shenxin.yaml",
            "  - text: 开展妇女儿童心理健康讲座、团体辅导共计20场。",
            "  - text: 工作日开展妇女儿童心理健康讲座、团体辅导共计20场。",
            "benefits.1.text: says “工作日” but the phrase does not",
        ),
        # issue 12: an amount invented in a todo note, and a number in the title
        (
            "04-yanglao.yaml",
            "  benefit: 原文未说明助餐价格或补贴、家庭养老床位和红外监测设备是否收费。",
            "  benefit: 每户补贴3000元。",
            "todo.benefit: numbers ['3000'] are not in the source paragraph",
        ),
        (
            "04-yanglao.yaml",
            "title: 完善社区养老服务",
            "title: 完善社区养老服务（新增500张床位）",
            "title: is not the heading written in the source paragraph",
        ),
        # a sub-item's definition must quote the source too
        (
            "18-shenxin.yaml",
            "爱社会主义；在全区20个社区建设未成年人“五爱”教育阵地。",
            "爱社会主义；在全区30个社区建设未成年人“五爱”教育阵地。",
            "items.0.means.text: numbers ['30'] are not in the phrase",
        ),
    ],
)
def test_the_truth_rule_rejects_unbacked_wording_with_file_and_line(
    kb_copy, file, old, new, message
):
    f = kb_copy / "2023" / file
    text = f.read_text(encoding="utf-8")
    assert old in text
    f.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = _line_of(f, new.strip()[:16])
    errors = _errors(kb_copy)
    assert any(e.startswith(f"{f}:{line}: ") and message in e for e in errors), errors


def test_a_todo_note_must_say_what_the_source_leaves_unsaid(kb_copy):
    f = kb_copy / "2023" / "10-tingche.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(
        text.replace("  benefit: 原文未说明新增泊位是否收费及收费标准。", "  benefit: 停车免费。")
    )
    line = _line_of(f, "  benefit: 停车免费。")
    assert f"{f}:{line}: todo.benefit: a todo note says what the source leaves unsaid" in "\n".join(
        _errors(kb_copy)
    )


def test_a_fact_about_an_unknown_sub_item_is_rejected(kb_copy):
    f = kb_copy / "2023" / "16-tiyu.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("    item: 市民排球场\n", "    item: 篮球场\n", 1), encoding="utf-8")
    line = _line_of(f, "    item: 篮球场")
    errors = _errors(kb_copy)
    assert any(e.startswith(f"{f}:{line}: ") and "'篮球场' is not the name" in e for e in errors)


def test_a_dated_staff_entry_may_say_what_the_source_does_not(kb_copy):
    f = kb_copy / "2023" / "16-tiyu.yaml"
    text = f.read_text(encoding="utf-8")
    staff = "  - text: 健身园全天免费开放。\n    by: 李明\n    on: 2026-11-20\n    item: 健身园\n"
    f.write_text(text.replace("benefits:\n", "benefits:\n" + staff, 1), encoding="utf-8")
    assert load_kb(kb_copy).ok


def test_a_group_tag_needs_a_phrase_that_names_the_group(kb_copy):
    f = kb_copy / "2023" / "04-yanglao.yaml"
    text = f.read_text(encoding="utf-8")
    old = "      - tag: 老年人\n        phrase: 开展家庭养老床位建设\n"
    assert old in text
    for new, message, below in [
        ("      - tag: 老年人\n", "needs a source `phrase`", 0),
        (
            "      - tag: 残疾人家庭\n        phrase: 开展家庭养老床位建设\n",
            "does not name the group",
            1,
        ),
        ("      - tag: 富人\n        phrase: 开展家庭养老床位建设\n", "'富人' is not a group", 0),
    ]:
        f.write_text(text.replace(old, new), encoding="utf-8")
        lines = f.read_text(encoding="utf-8").splitlines()
        bed = lines.index("  - name: 家庭养老床位")
        line = bed + 1 + lines[bed:].index(new.split("\n")[0]) + below  # tag or phrase line
        errors = _errors(kb_copy)
        assert any(e.startswith(f"{f}:{line}: ") and message in e for e in errors), errors
