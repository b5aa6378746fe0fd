"""Round 9's answers, as console transcripts: the sub-item a resident names (by its short name,
or beside another one), several figures or several questions in one message, and a figure asked
inside a story. What the resident types, and the literal text they read (buttons left out)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.dialogue import Dialogue
from bot.models import Message
from bot.services import Services

HOTLINE = "详情请拨打天津12345政务服务便民热线（12345）咨询。"
SPECIAL_SCHOOL_WHERE = [
    "【第2项 优化教育资源配置】",
    "原文未说明这所特殊教育学校的地址。",
    "原文只写：2023年计划完善特殊教育体系，建成1所十五年一贯制特殊教育学校。",
    HOTLINE,
]


@pytest.fixture
def ask(holder):
    dialogue = Dialogue(Services(holder, today=lambda: dt.date(2026, 12, 2)))

    async def ask(text: str) -> list[str]:
        reply = await dialogue.respond(Message("console", "王阿姨", text))
        return reply.text.splitlines()

    return ask


async def test_a_long_name_said_short_names_its_sub_item(ask):
    # 特殊学校 is 特殊教育学校 with its middle dropped, as people say it.
    assert await ask("特殊学校在哪儿") == SPECIAL_SCHOOL_WHERE


async def test_the_sub_item_named_most_keeps_a_where_question(ask):
    # 小学 names the new schools too, whose places the source gives; the question is about the
    # special school, whose place it does not.
    assert await ask("孩子是脑瘫，从小学到高中能读的特殊教育学校建在哪里") == SPECIAL_SCHOOL_WHERE


async def test_which_hospital_is_the_sub_item_whose_place_is_a_hospital(ask):
    assert await ask("胸痛救治单元是跟哪家医院签的约") == [
        "【第3项 提升公共卫生服务】",
        "2023年计划与天津市胸科医院签订协议，推动基层医疗机构标准化建设。",
    ]


async def test_a_count_question_naming_two_sub_items_gets_both_figures_in_its_order(ask):
    assert await ask("健身园更新几个，社区体育园新建几个") == [
        "【第16项 完善公共体育设施】",
        "2023年计划更新健身园10个。",
        "2023年计划新建社区体育园5个。",
    ]


async def test_a_count_across_projects_gets_each_projects_figure_under_its_heading(ask):
    assert await ask("新建标准化菜市场几个？区级食品安全管理示范店新建几家？") == [
        "【第12项 优化便民商业布局】",
        "2023年计划新建标准化菜市场1个。",
        "【第13项 加强食品安全监管】",
        "2023年计划新建区级食品安全管理示范店44家。",
    ]


async def test_a_figure_asked_inside_a_story_is_answered_not_listed(ask):
    # A story (住院花了不少钱) used to get the "may concern you" list; the question names
    # 大病保险 and asks how much.
    assert await ask("我爸住院花了不少钱，听说大病保险报销比例也提了，提了多少") == [
        "【第5项 提高医疗保障水平】",
        "2023年：大病保险各费用段报销比例提高5个百分点。",
    ]


async def test_a_figure_of_another_named_sub_item_follows_what_is_unsaid(ask):
    assert await ask("门诊看病的钱进了大病保险以后，能多报多少") == [
        "【第5项 提高医疗保障水平】",
        "原文未说明门（急）诊费用纳入大病保险的具体金额或标准。",
        "2023年：大病保险各费用段报销比例提高5个百分点。",
        "原文只写：2023年计划本市基本医保门（急）诊政策范围内个人负担的医疗费用纳入大病保险保障范围，"
        "及时兑现待遇。",
        HOTLINE,
    ]


async def test_a_situation_lists_the_sub_item_it_names_even_without_a_group(ask):
    lines = await ask("收入刚刚超过低保线一点点，低保边缘家庭怎么认定，有什么政策")
    assert lines[0] == "按您说的情况，这些项目可能与您有关（具体以经办部门审核为准）："
    assert (
        "· 第6项 低保边缘家庭认定：2023年计划推动低保边缘家庭认定工作。"
        "（原文未说明低保边缘家庭的认定标准。）"
    ) in lines
    assert lines[-1] == HOTLINE


async def test_two_questions_marked_with_question_marks_are_both_answered(ask):
    assert await ask("市民排球场修完了没？在什么地方？") == [
        "【第16项 完善公共体育设施】",
        "2023年计划新建市民排球场1个。",
        "暂无进展发布，原文也没有写完成情况。点「订阅进展」，有新进展时通知您。",
        "原文未说明市民排球场的位置。",
        HOTLINE,
    ]


async def test_the_second_question_adds_its_point_only(ask):
    assert await ask("冬病夏治的改造归谁管？要花钱吗？") == [
        "【第11项 改造供热管网设施】",
        "原文未说明改造是否收费。",
        "原文只写：2023年计划对部分终端用户室内供热设施进行提升改造，改善用户室内供热效果。",
        "原文未说明报修或申请改造的地点和电话。",
        HOTLINE,
    ]


async def test_questions_without_marks_are_read_as_one(ask):
    # Unmarked clauses may tell rather than ask: one answer, as before.
    assert await ask("市民排球场修完了没 在什么地方") == [
        "【第16项 完善公共体育设施】",
        "2023年计划新建市民排球场1个。",
        "暂无进展发布，原文也没有写完成情况。点「订阅进展」，有新进展时通知您。",
        HOTLINE,
    ]


async def test_from_which_day_asks_when_not_where(ask):
    assert await ask("家庭养老床位从哪天开始申请") == [
        "【第4项 完善社区养老服务】",
        "原文未说明家庭养老床位的具体时间。",
        "原文只写：2023年计划建设家庭养老床位406张。",
        HOTLINE,
    ]
