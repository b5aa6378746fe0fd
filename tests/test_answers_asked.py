"""Answers that answer the question asked (issue 10), as console transcripts: what the resident
types, and the literal text they read. Today is fixed at 2026-12-01 unless a test says otherwise."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest

from bot.channels.console import render
from bot.channels.text import TextTurns
from bot.conversation import Conversation
from bot.dialogue import Dialogue
from bot.kbholder import KBHolder
from bot.models import Message
from bot.services import Services
from tests.conftest import ROOT

TODAY = dt.date(2026, 12, 1)
HOTLINE = "详情请拨打天津12345政务服务便民热线（12345）咨询。"


def chat(holder, today=TODAY):
    dialogue = Dialogue(Services(holder, today=lambda: today))
    # As on the console: numbered options, a typed number picks one.
    turns = TextTurns(Conversation(dialogue, None), render, 100_000)

    async def say(text: str, user: str = "李大爷") -> str:
        return await turns.answer(Message("console", user, text))

    return say


@pytest.fixture
def say(holder):
    return chat(holder)


def options(screen: str) -> str:
    return screen.splitlines()[-2]


# 1. Time: another year, 今年/现在, dates with their state, what the bot knows


async def test_another_year_is_told_first_that_only_the_2023_list_is_here(say):
    screen = await say("2025年河东区有哪些民心工程")
    assert screen.splitlines()[:2] == [
        "我这里只有河东区2023年20项民心工程的资料，没有您问的那一年的清单；以下是2023年的内容。",
        "河东区2023年20项民心工程（按类别）：",
    ]


async def test_now_questions_get_the_2023_figure_with_its_year(say):
    assert await say("现在医保住院最多报多少") == (
        "我这里只有河东区2023年20项民心工程的资料，没有今年的新清单；以下是2023年的内容。\n"
        "【第5项 提高医疗保障水平】\n"
        "2023年：居民医保住院最高支付限额从18万元提高到25万元。\n"
        "[1] 条件  [2] 怎么办  [3] 查看原文  [4] 有用  [5] 没用\n"
        "（输入编号选择）"
    )


async def test_a_date_says_whether_it_has_come(holder):
    question = "失业金哪天开始涨"
    later = (await chat(holder)(question)).splitlines()[1]
    before = (await chat(holder, dt.date(2023, 6, 1))(question)).splitlines()[1]
    assert later == "自2023年7月1日起提高失业保险待遇标准（已执行）。"
    assert before == "自2023年7月1日起提高失业保险待遇标准（尚未开始）。"


async def test_in_2023_this_year_needs_no_warning(holder):
    screen = await chat(holder, dt.date(2023, 8, 1))("今年新建几个社区体育园")
    assert screen.splitlines()[:2] == [
        "【第16项 完善公共体育设施】",
        "2023年计划新建社区体育园5个。",
    ]


async def test_what_the_bot_knows_is_answered_not_refused(tmp_path):
    kb_dir = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", kb_dir)
    stamp = dt.datetime(2026, 11, 20, 9, 0).timestamp()
    for f in kb_dir.rglob("*"):
        os.utime(f, (stamp, stamp))
    say = chat(KBHolder(kb_dir))
    expected = (
        "我这里的资料是《河东区2023年20项民心工程》（2023年的清单），来自官方公布的原文。"
        "这不是今年的新清单，我没有更新年份的清单。\n"
        "知识库最近更新：2026年11月20日。\n"
        "最新政策请拨打天津12345政务服务便民热线（12345）咨询。\n"
        "[1] 浏览全部项目  [2] 使用帮助\n"
        "（输入编号选择）"
    )
    assert await say("你的资料是哪年的") == expected
    assert await say("这些数据是最新的吗") == expected


# 2. Counts are answered with the count, not as progress


async def test_a_count_is_the_target_of_the_sub_item_named(say):
    screen = await say("社区体育园有几个")
    assert screen.splitlines()[1] == "2023年计划新建社区体育园5个。"
    screen = await say("商业保险给多少人买")
    assert screen.splitlines()[1] == "2023年计划列为商业保险对象的困难群众1.4万余人。"


# 3. Progress with no entry: the plan and its year, none published, subscribe, 12345


async def test_progress_without_an_entry_states_the_plan(say):
    assert await say("八纬路修好了没") == (
        "【第9项 建设城市市政道路】\n"
        "2023年计划重点推动八纬路、大直沽十号路、大华地块等项目配套道路建设，打造畅通出行环境。\n"
        "暂无进展发布，原文也没有写完成情况。点「订阅进展」，有新进展时通知您。\n"
        f"{HOTLINE}\n"
        "[1] 待遇  [2] 订阅进展  [3] 查看原文  [4] 有用  [5] 没用\n"
        "（输入编号选择）"
    )


# 4. Where / which: the names the source gives, else 原文未说明 for exactly that


async def test_which_units_the_source_does_not_name(say):
    screen = await say("胸痛救治单元是哪几家")
    assert screen.splitlines()[1:4] == [
        "原文未说明成为胸痛救治单元的是哪6家基层医疗卫生机构。",
        "原文只写：2023年计划全区6家基层医疗卫生机构成为国家验收合格的胸痛救治单元。",
        HOTLINE,
    ]


async def test_the_partner_hospital_is_named_when_asked_for(say):
    screen = await say("胸痛单元和哪个医院签的协议")
    assert (
        screen.splitlines()[1] == "2023年计划与天津市胸科医院签订协议，推动基层医疗机构标准化建设。"
    )


async def test_a_kind_of_facility_is_not_a_place(say):
    screen = await say("老年食堂在哪儿")
    assert screen.splitlines()[1:3] == [
        "原文未说明新建老人家食堂的位置。",
        "原文只写：2023年计划推进老年人助餐服务，新建1家一级老人家食堂。",
    ]


async def test_named_places_are_given(say):
    screen = await say("老旧小区改造的是哪两个小区")
    assert screen.splitlines()[1] == "2023年计划完成逸庭苑、明波公寓2个老旧小区改造。"


# 5. Apply: only the sub-item asked about


async def test_apply_answers_only_the_sub_item_asked_about(say):
    screen = await say("长护险怎么申请")
    assert screen.splitlines()[1:4] == [
        "原文未说明长期护理保险的办理地点、电话和所需材料。",
        "原文只写：2023年计划深入开展长期护理保险制度试点，减轻重度失能人员及其家庭长期照护负担。",
        HOTLINE,
    ]
    assert "生育" not in screen and "大病" not in screen


async def test_a_follow_up_keeps_the_sub_item(say):
    await say("公厕改造了几座")
    screen = await say("那怎么申请")
    assert screen.splitlines()[1:3] == [
        "原文未说明公厕改造的办理地点、电话和所需材料。",
        "原文只写：2023年计划提升改造公厕2座。",
    ]


# 6. Definitions the source gives; 原文未说明 where it gives none


async def test_a_definition_from_the_source(say):
    screen = await say("五爱指什么")
    assert screen.splitlines()[1] == (
        "未成年人“五爱”教育阵地：“五爱”即爱祖国、爱人民、爱劳动、爱科学、爱社会主义；"
        "在全区20个社区建设未成年人“五爱”教育阵地。"
    )


async def test_no_definition_in_the_source_says_so(say):
    screen = await say("家庭养老床位是什么意思")
    assert screen.splitlines()[1:4] == [
        "原文未说明家庭养老床位提供哪些服务。",
        "原文只写：2023年计划建设家庭养老床位406张。",
        HOTLINE,
    ]


# 7. The key fact first, short, at most five buttons; 1.4万余人 keeps its 余


async def test_the_key_fact_is_the_first_line_and_buttons_are_few(say):
    screen = await say("大病保险报销比例提高多少")
    assert screen.splitlines()[1] == "2023年：大病保险各费用段报销比例提高5个百分点。"
    assert options(screen).count("[") <= 5


# 8. In scope, about a fact the source lacks: not refused


async def test_a_missing_point_of_a_named_project_is_not_refused(say):
    screen = await say("逸庭苑改造包括加装电梯吗")
    assert screen.splitlines()[:4] == [
        "【第8项 推进城市更新改造】",
        "原文未说明老旧小区改造是否包括加装电梯。",
        "原文只写：2023年计划完成逸庭苑、明波公寓2个老旧小区改造。",
        HOTLINE,
    ]


# 9. A long story is answered, not refused


async def test_a_long_story_is_routed(say):
    story = (
        "我今年五十二了，原来在纺织厂上班，厂子去年关了，"
        "这一年多一直在家，孩子在外地上大学，家里就靠我和老伴那点收入，"
        "老伴身体也不好，常年吃药，日子过得紧巴巴的。"
    ) * 4 + "我想问问补贴性职业培训去哪里报名？"
    assert 300 < len(story) < 600
    screen = await say(story)
    assert screen.splitlines()[:2] == [
        "【第1项 综合施策推动就业】",
        "原文未说明补贴性职业培训的办理地点、电话和所需材料。",
    ]
    assert "太长" in await say("医保" * 301)


# 10. A button label or category name typed in a text channel acts like the button


async def test_typed_category_and_source_labels_act_like_buttons(say):
    screen = await say("城市建设")
    assert screen.splitlines()[0] == (
        "【城市建设】共4项：推进城市更新改造、建设城市市政道路、新增城市停车泊位、改造供热管网设施"
    )
    await say("公厕改造了几座")
    screen = await say("查看原文")
    assert screen.splitlines()[:2] == [
        "【第15项 打造生态宜居环境】 原文：",
        "「十五、打造生态宜居环境。提升改造街头绿地，建设4个公众日常休闲的特色“口袋公园”。"
        "努力建设城市“绿水青山”，绿化提升重点道路、点位15万平方米。提升改造公厕2座。」",
    ]
    screen = await say("查看原文", user="新用户")
    assert screen.splitlines()[0] == (
        "《河东区2023年20项民心工程》原文共20段，每项一段。请选择类别，再点项目看原文："
    )


# Issue 16, situations in free text: every project the situation concerns, one line each


async def test_a_situation_touching_two_projects_names_both(say):
    screen = await say("我家老爷子瘫痪在床好几年了，儿女都上班照顾不过来，有什么政策")
    assert screen.splitlines()[:6] == [
        "按您说的情况，这些项目可能与您有关（具体以经办部门审核为准）：",
        "可能适用：",
        "· 第4项 老人家食堂：2023年计划推进老年人助餐服务，新建1家一级老人家食堂。",
        "需确认条件：",
        "· 第4项 家庭养老床位：2023年计划建设家庭养老床位406张。（原文未说明家庭养老床位的申请条件。）",
        "· 第5项 长期护理保险：2023年计划深入开展长期护理保险制度试点，减轻重度失能人员及其家庭"
        "长期照护负担。（原文未说明长期护理保险试点的参保和认定条件，也未说明“重度失能”的评定标准。）",
    ]
    assert options(screen) == "[1] 第4项  [2] 第5项  [3] 全部项目"


async def test_a_situation_names_projects_the_router_sees_without_a_group(say):
    # 逸庭苑 (a community the list renovates) and cold radiators (heating) have no group tag:
    # the router's names and situations bring both projects into the one answer.
    screen = await say("我们家就在逸庭苑，楼道破破烂烂，冬天暖气片也不热，今年能赶上啥好事？")
    assert screen.splitlines()[:4] == [
        "按您说的情况，这些项目可能与您有关（具体以经办部门审核为准）：",
        "可能适用：",
        "· 第11项 供热“冬病夏治”：2023年计划对部分终端用户室内供热设施进行提升改造，改善用户室内供热效果。",
        "· 第8项 老旧小区改造：2023年计划完成逸庭苑、明波公寓2个老旧小区改造。",
    ]


async def test_what_help_is_a_situation_question_not_a_which_one(say):
    screen = await say("我儿子坐轮椅，家里是低保户，孩子也想找个活干。我们家能得到哪些帮助？")
    lines = screen.splitlines()
    assert lines[0] == "按您说的情况，这些项目可能与您有关（具体以经办部门审核为准）："
    assert any(x.startswith("· 第1项 就业困难群体帮扶：") for x in lines)
    assert any(x.startswith("· 第6项 无障碍改造：") for x in lines)


async def test_a_story_that_asks_what_suits_us_is_answered_not_questioned(say):
    screen = await say("我们一家三口周末爱去小公园遛弯，还爱一起表演节目，有啥适合我们家的")
    assert (
        screen.splitlines()[0] == "按您说的情况，这些项目可能与您有关（具体以经办部门审核为准）："
    )
    assert (await say("有啥适合我的", user="另一位")).splitlines()[1] == "1. 家里有老人吗？"


async def test_a_question_about_one_project_is_not_a_situation(say):
    screen = await say("灵活就业人员能参加生育保险吗")
    assert screen.splitlines()[:2] == [
        "【第5项 提高医疗保障水平】",
        "2023年：灵活就业人员可以参加生育保险并享受待遇。",
    ]


# Issue 16, the self-check: it never traps a resident and leaves nothing in the question log


class RecordingLog:
    def __init__(self):
        self.texts = []

    async def record(self, msg, route, outcome, **extra):
        self.texts.append(msg.text)


async def test_the_self_check_ends_after_twenty_silent_minutes_and_logs_nothing(
    holder, monkeypatch
):
    import handlers.selfcheck as sc

    log = RecordingLog()
    dialogue = Dialogue(Services(holder, today=lambda: TODAY, question_log=log))
    turns = TextTurns(Conversation(dialogue, None), render, 100_000)

    async def say(text):
        return await turns.answer(Message("console", "王奶奶", text))

    assert (await say("我能享受哪些")).splitlines()[1] == "1. 家里有老人吗？"
    assert (await say("2")).splitlines()[0] == "2. 家里有残疾人或卧床不能自理的人吗？"
    clock = sc.time.monotonic() + sc.TIMEOUT + 1
    monkeypatch.setattr(sc.time, "monotonic", lambda: clock)
    # 20 minutes later "1" is not an answer to question 2 any more: it is read as a question
    screen = await say("有残疾人")
    assert not screen.startswith("3.")
    assert log.texts == ["有残疾人"]  # the self-check's own steps were never logged


async def test_a_situation_told_in_family_words_names_each_project(say):
    # 公公 is an elder of the family; 运动运动 is 运动; the bedridden need two projects.
    screen = await say("我公公中风后一直瘫在床上，家里人轮流伺候快撑不住了，区里有啥能减轻负担的？")
    lines = screen.splitlines()
    assert any(x.startswith("· 第5项 长期护理保险：") for x in lines)
    assert any(x.startswith("· 第4项 家庭养老床位：") for x in lines)
