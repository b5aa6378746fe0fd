"""Residents in voices nobody tuned for: dialect, pinyin, situations, bare words, learned phrasings."""

from __future__ import annotations

import shutil

import pytest

from bot.cli import main
from bot.kbholder import KBHolder
from bot.pinyin import split_syllables
from bot.router import MAX_CHARS
from tests.conftest import ROOT


def _pi(holder, text):
    r = holder.router.route(text)
    return r.project, r.intent


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("老人家食堂嘛时候开门", (4, "deadline")),  # 嘛 before a noun is 什么
        ("介个租房补贴上哪申请", (7, "apply")),  # 介个 = 这个, 上哪 = 去哪
        ("俺家能领租房补贴不", (7, "eligibility")),  # 俺家 = 我家
        ("租房补贴咋整", (7, "apply")),  # 咋整 = 怎么办
        ("好嘛谢谢", (None, "greeting")),  # 嘛 as a particle stays a particle
    ],
)
def test_dialect_question_words_keep_the_intent(holder, text, want):
    assert _pi(holder, text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("zfbt在哪儿申请", (7, "apply")),  # 租房补贴 or 住房补贴: both project 7, one meaning
        ("sy金啥时候涨的", (1, "deadline")),  # initials of 失业, then 金 in characters
        ("yiting苑改造完了吗", (8, "progress")),  # the pinyin of 逸庭, then 苑
        ("wandong路修好了吗", (9, "progress")),
        ("租房bt咋申请", (7, "apply")),  # 租房 in characters, the initials of 补贴 after
        ("养老cw谁能申请", (4, "eligibility")),
    ],
)
def test_letters_for_a_part_of_a_name_whose_other_part_is_typed(holder, text, want):
    assert _pi(holder, text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # 物业 is another service, but here it only says what it was told.
        ("一到冬天屋里就冷，物业说管子老了，夏天能不能有人给弄弄", 11),
        # 下水道 is no road: 天天堵 is the drain, not the traffic.
        ("楼龄三十年了，下水道天天堵，外墙往下掉皮，为什么我们没改造", 8),
    ],
)
def test_a_story_told_around_another_service_word_stays_with_the_project(holder, text, want):
    assert holder.router.route(text).project == want


@pytest.mark.parametrize(
    "text", ["俺们家没房子，能不能领租房补贴", "我爸卧床好几年了，能不能享受长期护理保险"]
)
def test_can_or_cannot_with_a_verb_of_taking_part_asks_who_qualifies(holder, text):
    # 能不能享受 asks the same as 能享受吗: whether I qualify, not what one gets.
    assert _pi(holder, text)[1] == "eligibility"


def test_a_signers_word_order_says_what_they_have_not_what_they_ask(holder):
    # Sign-language order puts 有 after the thing: 残疾证 有 = I have a disability card.
    assert _pi(holder, "我 聋 有 残疾证 家里 改造 能 申请 吗")[0] == 6
    assert _pi(holder, "我 耳朵 聋 残疾证 有 家 无障碍 可以 吗")[0] == 6
    assert _pi(holder, "我 想 办 残疾证 去 哪")[0] is None  # getting the card: another service


def test_a_verbs_direction_is_no_piece_of_a_name(holder):
    # 回来 is a piece of 当兵回来 (project 20), but says nothing of veterans by itself.
    route = holder.router.route("我家孩子刚从外地回来，想问问有啥活动")
    assert 20 not in {a.project for a in route.alternatives}
    assert (
        holder.router.lex.entries.get("回来") is None
        or not holder.router.lex.entries["回来"].projects
    )


def test_a_verb_doubled_in_speech_is_the_word_it_doubles(holder):
    lex = holder.router.lex
    assert lex.rewrite("下班想去打打球") == "下班想去打球"
    assert lex.rewrite("带老人出去遛遛弯") == "带老人出去遛弯"
    assert lex.rewrite("周末锻炼锻炼") == "周末锻炼"
    assert lex.rewrite("奶奶天天去公园") == "奶奶天天去公园"  # 奶奶, 天天: no word of ours doubled
    assert _pi(holder, "下班想去打打球，哪有场地") == (16, "overview")


def test_dialect_rules_rewrite_by_position(holder):
    lex = holder.router.lex
    assert lex.rewrite("老人家食堂嘛时候开门") == "老人家食堂什么时候开门"
    assert lex.rewrite("好嘛") == "好嘛"
    assert lex.rewrite("介绍一下") == "介绍一下"  # 介 only before 个/是/事…


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("zufang butie zenme shenqing", (7, "apply")),
        ("dibao 在哪办", (6, "apply")),  # pinyin and 汉字 mixed
        ("nihao", (None, "greeting")),
        ("help", (None, "help")),  # an English word the vocabulary knows stays itself
    ],
)
def test_pinyin_typed_in_latin_letters_routes_like_chinese(holder, text, want):
    assert _pi(holder, text) == want


def test_latin_runs_split_into_syllables(holder):
    assert split_syllables("laorenjiashitang") == ["lao", "ren", "jia", "shi", "tang"]
    assert split_syllables("xian") == ["xian"]  # fewest syllables, as an IME reads it
    assert split_syllables("apply") is None
    assert holder.router.lex.rewrite("laorenjia shitang zai nar") == "老人家食堂在哪儿"


def test_a_life_situation_finds_its_project(holder):
    assert holder.router.route("家里老人一个人住没人照顾").project == 4
    assert holder.router.route("我刚下岗了有啥帮扶").project == 1


def test_a_situation_two_projects_share_offers_both(holder):
    r = holder.router.route("我家孩子当过兵现在失业了")
    assert r.project == 20
    assert [a.project for a in r.alternatives] == [20, 1]


def test_a_bare_shared_word_offers_a_choice_not_a_rejection(holder):
    r = holder.router.route("改造")
    assert (r.project, r.intent, r.confidence) == (8, "overview", 0.3)
    assert [a.project for a in r.alternatives] == [8, 11, 15]


def test_a_named_project_outweighs_an_everyday_off_topic_word(holder):
    assert _pi(holder, "健身园的器材坏了") == (16, "overview")
    assert _pi(holder, "老旧小区改造包括加装电梯吗") == (8, "overview")


def test_a_near_miss_service_word_still_rejects(holder):
    assert _pi(holder, "社区医院专家号怎么挂") == (None, "out_of_scope")
    assert _pi(holder, "路灯不亮了找谁") == (None, "out_of_scope")


def test_a_long_story_is_routed_and_only_a_very_long_one_refused(holder):
    story = "我家住在老小区楼很旧了，" * 30 + "老旧小区改造什么时候轮到我们"
    assert 300 < len(story) <= MAX_CHARS == 600
    assert _pi(holder, story) == (8, "deadline")
    assert holder.router.route("老旧小区" * 160).too_long


def test_an_accepted_phrasing_fixes_project_and_intent_and_near_variants_follow(tmp_path, capsys):
    kb = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", kb)
    before = KBHolder(kb).router
    assert before.route("小区门口想摆个卖早点的摊子").intent == "out_of_scope"

    code = main(
        ["--knowledge", str(kb), "kb", "example", "add", "12", "小区门口想摆个卖早点的摊子"]
        + ["--intent", "apply", "--by", "王芳"]
    )
    assert code == 0
    assert (
        "12-bianmin.yaml: 已收录「小区门口想摆个卖早点的摊子」 -> 第12项 apply"
        in capsys.readouterr().out
    )
    text = (kb / "2023" / "12-bianmin.yaml").read_text(encoding="utf-8")
    assert "  - {text: 小区门口想摆个卖早点的摊子, intent: apply}" in text

    after = KBHolder(kb).router
    for variant in ("小区门口想摆个卖早点的摊子", "请问小区门口想摆个卖早点的摊子啊"):
        r = after.route(variant)
        assert (r.project, r.intent) == (12, "apply"), variant


def test_a_list_with_more_than_99_projects_loads(tmp_path):
    kb = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", kb)
    year = kb / "2023"
    src = (year / "20-tuiyijunren.yaml").read_text(encoding="utf-8")
    for n in range(21, 121):  # a city's list: 120 projects, files 21-… to 120-…
        (year / f"{n}-copy.yaml").write_text(src.replace("number: 20", f"number: {n}"), "utf-8")
    listing = (year / "_list.yaml").read_text(encoding="utf-8")
    (year / "_list.yaml").write_text(listing.replace("projects: 20", "projects: 120"), "utf-8")
    holder = KBHolder(kb)
    assert len(holder.kb.projects) == 120
    assert holder.router.route("第120项").project == 120


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("唔该，边度可以办低保", (6, "apply")),  # Cantonese 边度 = 哪里
        ("家庭养老床位点样申请", (4, "apply")),  # 点样 = 怎么
        ("烦请告知租房补贴如何申领", (7, "apply")),  # formal 如何申领
    ],
)
def test_southern_and_formal_question_words(holder, text, want):
    assert _pi(holder, text) == want


@pytest.mark.parametrize(
    "text",
    [
        "我家水管漏了找谁来修",
        "社保断了三个月还能补交吗",
    ],  # repairs, paying premiums: not in the list
)
def test_a_predicate_of_another_service_rejects(holder, text):
    assert _pi(holder, text) == (None, "out_of_scope")


def test_a_weak_off_topic_predicate_yields_to_a_named_road(holder):
    assert _pi(holder, "万东路老堵车什么时候修好") == (9, "deadline")


def test_a_complaint_naming_a_project_asks_for_a_person(holder):
    assert _pi(holder, "我要投诉供热管网改造施工把路挖坏了") == (None, "human")


def test_in_a_long_story_the_last_clauses_ask_the_question(holder):
    story = (
        "我家住的楼是八十年代的老楼，去年冬天暖气就不热，什么时候来人看过一次也没弄好，"
        "邻居们都挺着急的，家里老人孩子都冻感冒了，想问一下室内供热改造怎么报名？"
    )
    assert _pi(holder, story) == (11, "apply")  # not deadline: 什么时候 is in the story part


def test_a_word_told_twice_is_one_piece_of_evidence(holder):
    story = (
        "我们一家在这边租房好几年了，租房开销不小，为了孩子才租房，听说那边新建了学校，孩子能去吗"
    )
    assert holder.router.route(story).project == 2


def test_initials_stand_for_a_name_only_when_one_name_fits(holder):
    assert _pi(holder, "ylcw zenme shenqing") == (4, "apply")  # 养老床位怎么申请
    assert holder.router.lex.rewrite("wdl shenme shihou tongche") == "万东路什么时候通车"
    # sybx: 失业保险, 生育保险 or 商业保险 — three names fit, so the letters stay letters.
    assert holder.router.lex.rewrite("sybx") == " sybx "


# ---- where the question sits (bot/clauses.py) ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # A salutation ending in a colon does not ask: its 咨询 is not "how to apply".
        ("居委会同志咨询：家庭养老床位对老人有什么要求？", (4, "eligibility")),
        # The question mark marks the asking clause; the story after it only explains.
        (
            "租房补贴能给多少钱？我们一家三口挤在出租屋里好几年了，年底房东还要涨房租",
            (7, "benefit"),
        ),
        # An unmarked question right after the marked one asks too.
        ("退役军人服务站离我家远吗？怎么联系", (20, "apply")),
        # 有他的份？ — the mark is the particle: a yes/no question about who qualifies.
        ("孙女跟着我过，困难群众商业保险有她的份？", (6, "eligibility")),
    ],
)
def test_the_asking_clause_decides_the_intent(holder, text, want):
    assert _pi(holder, text) == want


def test_find_ask_slices_the_raw_text():
    from bot.clauses import find_ask

    text = "社区干部请教：老旧小区改造，楼道灯管不管换？"
    ask = find_ask(text, story=False)
    assert text[ask.start : ask.end] == "老旧小区改造，楼道灯管不管换"
    assert find_ask("老旧小区改造管不管换楼道灯", story=False) is None  # one clause: all of it asks


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("失业保险金给不给涨", (1, "benefit")),  # A-not-A: 给不给 asks what one gets
        ("政府对独居老人有没有什么照顾", (4, "benefit")),  # 有没有什么 = 有什么
        ("外地来的孩子有没有得上特教学校", (2, "eligibility")),  # 有没有得 = 能不能
        ("居民医保住院报销限额提高自哪一日起执行", (5, "deadline")),  # 哪一日 = 哪天
        ("零就业家庭帮扶有何条件", (1, "eligibility")),  # 有何 = 有什么
    ],
)
def test_question_forms_by_mechanism(holder, text, want):
    assert _pi(holder, text) == want


def test_a_time_told_in_the_story_is_not_asked(holder):
    # 前年底 tells when the factory closed; the question is what training gives.
    assert _pi(holder, "前年底我们厂子倒闭了，职业培训给不给补贴") == (1, "benefit")


def test_a_homophone_straddling_a_known_word_is_not_read(holder):
    # 有政策 is 有 + 政策; read as the homophone 有证 it would ask about certificates.
    hits = holder.router._hits(holder.router.lex.fold("有政策吗"))
    assert ("有证", "pinyin") not in {(h.key, h.channel) for h in hits}


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("胸痛救治单元啥子时候弄得好嘛", (3, "deadline")),  # 啥子 = 什么; 嘛 at the end a particle
        ("特教学校修起没得哦？", (2, "progress")),  # V起了没得 = V好了没有
        ("健身园整好了没？能去了不？", (16, "progress")),  # two questions: each read alone
        ("口袋公园已经建了几个了", (15, "progress")),  # 已经…几个: a count so far
        (
            "残疾人家庭无障碍改造收不收外地户口的",
            (6, "eligibility"),
        ),  # 收不收 someone: who qualifies
        ("社区食堂能给老人做点啥", (4, "benefit")),  # 能给…做点啥: what the service gives
        ("像我这样的低保户能享受医疗救助吗", (6, "eligibility")),  # 像我这样的: does it cover me
        ("请给我开通停车位进展的推送", (10, "subscribe")),  # 开通…推送 turns notifications on
        ("这个平台能问什么", (None, "help")),  # 这个平台 is the bot itself
    ],
)
def test_spoken_forms_of_more_regions(holder, text, want):
    assert _pi(holder, text) == want


def test_a_word_of_its_own_around_our_words_names_another_thing(holder):
    # 老年大学 is one word: the 老年 (elderly care) and 大学 (graduates) inside it are not ours.
    assert holder.router.route("想给我爸报个老年大学的国画班在哪报名").intent == "out_of_scope"
    assert _pi(holder, "大学毕业生见习在哪报名") == (1, "apply")  # our own word still counts


def test_a_road_the_list_does_not_name_is_outside_it(holder):
    assert holder.router.route("卫津南路那段全是坑什么时候能修好").intent == "out_of_scope"
    assert _pi(holder, "八纬路什么时候能修好") == (9, "deadline")  # a road the list names
    # A known road in the same story keeps the question in scope.
    assert (
        _pi(
            holder,
            "从卫津南路拐到万东路那段什么时候修好",
        )[0]
        == 9
    )


def test_latin_cues_are_whole_words(holder):
    # hi is in "this", when in "whenever": only whole words of the message count.
    assert holder.router.route("which projects this year? 民心工程清单").intent == "list"
    assert holder.router.route("thank you").intent == "greeting"  # not 'thank' + 有


def test_the_last_clause_is_read_alone_too(holder):
    # 我要投诉 at the end of a complaint asks for a person, though it does not open the message.
    assert _pi(holder, "老旧小区改造施工天天早上六点就开始砸墙，我要投诉") == (None, "human")
    # A told clause is not: 住了好几年了 is not a count so far.
    assert _pi(holder, "在河东住了好几年了，能申请租房补贴吗")[1] == "eligibility"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("我是跑网约车的，能参加生育的保险吗", (5, "eligibility")),  # 生育的保险 = 生育保险
        ("您好，请问这里都能问哪些事情呢？谢谢您", (None, "help")),  # politeness wraps the ask
        ("失业金涨了以后一个月能多领多少", (1, "benefit")),  # 多领多少: how much one gets
        ("老人家食堂只收本社区的老人吗", (4, "eligibility")),  # 只收: who qualifies
        ("家庭养老床位要我们自己付钱吗", (4, "benefit")),  # 自己付钱: the cost to them
        ("停车场的事找物业还是找街道", (10, "apply")),  # 找X还是找Y: whom to go to
        ("口袋公园的进展以后不需要推送了", (15, "unsubscribe")),
    ],
)
def test_more_question_forms(holder, text, want):
    assert _pi(holder, text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (
            "家庭养老床位我这种租房住的老人能申请不",
            (4, "eligibility"),
        ),  # 我这种…的: does it cover me
        ("保障性租赁住房今年认定了几个项目了", (7, "progress")),  # a count so far
        ("老人家食堂是否已经开业", (4, "progress")),  # 是否已经: done yet?
        ("供热改造能在11月供暖前弄完吗", (11, "deadline")),  # before a date
        ("我要投诉，口袋公园的公厕脏得没法进，找谁管？", (None, "human")),  # a complaint anywhere
        ("停车位的推送提醒帮我关掉吧", (10, "unsubscribe")),
        ("能不能发语音问你", (None, "help")),  # how to use the bot
        ("南开区也建口袋公园吗", (None, "out_of_scope")),  # another district's list
    ],
)
def test_question_forms_of_validation_voices(holder, text, want):
    assert _pi(holder, text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("家庭文艺节在哪报名", (17, "apply")),  # 家庭文化艺术节, shortened as people say it
        ("八纬道什么时候修好", (9, "deadline")),  # a listed road with another ending
        ("逸庭苑这次改造包不包括楼门口的坡道？我妈坐轮椅", (8, "overview")),  # the asked-about one
        ("冬病夏治改造包不包括我们小区", (11, "eligibility")),  # A-not-A about us: who qualifies
        ("示范店的东西比别的店贵吗", (13, "benefit")),  # the cost to them
        ("胸痛救治单元目前验收合格的有几家", (3, "progress")),  # a count so far
        ("失业保险金是不是7月开始提高", (1, "deadline")),  # a month and 开始: when
    ],
)
def test_names_said_otherwise_and_more_forms(holder, text, want):
    assert _pi(holder, text) == want


def test_a_space_between_chinese_words_ends_a_clause(holder):
    # Voice input separates clauses with spaces: the first clause asks, the second tells.
    assert _pi(holder, "明波公寓改造完了没 我们楼的外墙还是掉皮") == (8, "progress")


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # An aside after the question does not make it another service; a road the resident
        # lives on is not the question.
        ("我家住在卫国道那边，新开的菜市场在哪？现在门口天天堵车", (12, "overview")),
        # 是真的吗？ asks about the clause before it, however long.
        ("听说区里有个老人免费补牙的民心工程，是真的吗？", (None, "out_of_scope")),
        ("能不能把这20项都给我讲一遍？我念给楼里的老人听", (None, "list")),
        ("我想找个真人跟我说说停车位的事", (None, "human")),
        ("本人今后不再需要进展推送，请取消", (None, "unsubscribe")),
        ("以旧换新补贴在哪领", (None, "out_of_scope")),  # another kind of allowance
        ("退役军人服务站管不管俺们外地户口的", (20, "eligibility")),
    ],
)
def test_story_asides_bare_questions_and_other_kinds(holder, text, want):
    assert _pi(holder, text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("口袋公园嘛前儿建好", (15, "deadline")),  # Tianjin 嘛前儿 = 什么时候
        (
            "我一个人住，不是困难户，那个红外监测有我的份吗",
            (4, "eligibility"),
        ),  # a denied situation
        ("我没退休金，孙子跟着我过，能享受什么", (6, "benefit")),  # 没退休金 is told, not asked
        ("想找个地方遛遛弯，口袋公园在哪", (15, "overview")),  # 遛遛弯 = 遛弯
        ("人防车位能买吗", (None, "out_of_scope")),
        ("帮我写个请假条 谢谢", (None, "out_of_scope")),  # a task, not a greeting
        ("这里可以查询哪些内容？我帮家里老人问", (None, "help")),
    ],
)
def test_denials_reduplication_and_requests(holder, text, want):
    assert _pi(holder, text) == want


@pytest.mark.parametrize(
    "text",
    [
        "我家住在老小区，楼很旧了，冬天暖气也不太热？老伴腿脚不好",
        "請問：二十項民心工程有哪些？謝謝！",  # traditional, numerals, a salutation
        "逸庭苑改造完了没 我家楼道还是黑的",  # a space between clauses
        "laonianren shitang 在哪？我想去吃饭",  # Latin rewritten: the slow path
        "【急】租房补贴……怎么申请？？",
    ],
)
def test_clause_boundaries_in_one_pass_equal_folding_each_clause(holder, text):
    import unicodedata

    from bot.asking import boundaries, folded
    from bot.clauses import clauses
    from bot.text import normalise

    router = holder.router
    raw = unicodedata.normalize("NFKC", text)
    parts = clauses(raw)
    spoken = router.lex.rewrite(normalise(text))
    q = router.lex.fold(spoken.replace(" ", ""))
    slow, pos = {len(raw): len(q)}, 0
    for s, e, _ in parts:
        slow.setdefault(s, min(pos, len(q)))
        pos += len(folded(router.lex, raw[s:e]))
        slow[e] = min(pos, len(q))
    fast = boundaries(router.lex, raw, spoken, q, parts)
    assert {k: fast[k] for k in slow} == slow


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("失业金从几号开始按新标准发", (1, "deadline")),  # from which day
        ("便利店。开业了几家。", (12, "progress")),  # full stops between fragments
        ("胸痛单元查个心电图个人要掏多少", (3, "benefit")),
        ("我户口在南开区，住在河东，租房补贴在哪申请", (7, "apply")),  # where they are registered
        ("无障碍改造申请上了多久能改好", (6, "deadline")),
        ("口袋公园建在哪了", (15, "overview")),
        ("心理健康讲座在哪能打听到", (18, "apply")),
        ("菜市场开了您言语一声", (12, "subscribe")),  # Tianjin: let me know
        ("停车泊位修好多少了", (10, "progress")),  # 修好 is not 好几
        ("特教学校收什么样的孩子？自闭症的收不收", (2, "eligibility")),  # an unmarked A-not-A asks
    ],
)
def test_question_forms_round_three_end(holder, text, want):
    assert _pi(holder, text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (
            "我丢了工作在家领失业金，听说要涨，涨多少",
            (1, "benefit"),
        ),  # 丢了工作 is not lost property
        ("免费职业培训让不让外地人去", (1, "eligibility")),
        ("老人家食堂具体提供哪些服务", (4, "benefit")),
        ("商业保险都保哪些情况", (6, "benefit")),
        ("想把我们小区列入老旧小区改造要走什么程序", (8, "apply")),
        ("免费陪诊是有人陪着去挂号吧 还管拿药吗", (6, "benefit")),  # what the service includes
        ("社区卫生服务中心能打流感疫苗吗", (None, "out_of_scope")),
        ("心理讲座还剩几场没办", (18, "progress")),
    ],
)
def test_question_forms_from_the_last_validation_set(holder, text, want):
    assert _pi(holder, text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("口袋 公园 在 哪? 能 遛 弯 吗?", (15, "overview")),  # a space between every word
        ("灵活就业的能领生育津贴吗", (5, "eligibility")),  # 生育津贴 is maternity insurance's
        ("户口在外区，在河东住了十年，能在这边申请低保吗", (6, "eligibility")),  # hukou told
        ("停车位的消息甭给我发了", (10, "unsubscribe")),  # 甭 = 不用
        ("找个活人跟我说话", (None, "human")),
        ("路边摆摊要办什么手续", (None, "out_of_scope")),
        ("补贴性职业培训学费全免吗", (1, "benefit")),
    ],
)
def test_word_spacing_hukou_and_northern_words(holder, text, want):
    assert _pi(holder, text) == want


def test_a_specific_name_beats_an_everyday_word_and_a_denial_is_not_a_status(holder):
    # 买东西 is everyday: the food-safety shop is what is asked about.
    assert _pi(holder, "在示范店买东西有啥保障")[0] == 13
    # 不是低保户 denies the status; 算不算 asks it.
    assert _pi(holder, "我一个人住 不是低保户 红外监测能装吗")[0] == 4
    assert _pi(holder, "我家这样算不算零就业家庭")[0] == 1


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("家庭养老床位是不是还没开始弄啊", (4, "progress")),
        ("口袋公园一共建成多少个了", (15, "progress")),  # 一共…了: so far, not the plan
        ("心理讲座现已开展多少场", (18, "progress")),
        ("急救培训是白给学的吗", (18, "benefit")),
        ("是哪20个项目呀", (None, "list")),
        ("列表", (None, "list")),
        ("低保户采暖费补贴多少", (None, "out_of_scope")),
        ("租房补贴介个线儿是多少钱", (7, "eligibility")),  # the threshold asks who qualifies
    ],
)
def test_forms_from_the_last_set(holder, text, want):
    assert _pi(holder, text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("配套学校开学了没😂 我家就在旁边", (2, "progress")),  # an emoji ends the clause
        ("明波公寓改造完事儿了没有啊，天天叮了咣当的", (8, "progress")),  # a particle at the end
        ("万东路现在到底通没通", (9, "progress")),  # V没V: done or not
        ("新停车位外地车让停不", (10, "eligibility")),
        ("闲置空地改停车场的建议可以向哪里提", (10, "apply")),
        ("菜市场那个提醒取消掉", (12, "unsubscribe")),
        ("家庭养老床位到底是个啥", (4, "overview")),
    ],
)
def test_emoji_particles_and_the_last_forms(holder, text, want):
    assert _pi(holder, text) == want
