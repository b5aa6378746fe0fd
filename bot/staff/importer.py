"""Write draft KB files for a new year's list from its announcement: NN-*.yaml, _list.yaml, source.txt.

Drafts hold only what the text says (each fact with its verbatim phrase) and a `todo` note for
everything it does not say, so `kb check` passes on them; staff then add aliases and review.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pypinyin import Style, lazy_pinyin
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bot.kb.loader import DEFAULT_DIR, SOURCE_NAME, available_years, load_kb
from bot.kb.schema import YearList
from bot.staff.announce import Item, parse_announcement
from bot.staff.layouts import EXPECTED, LayoutError
from bot.text import chinese_to_int

# Keyword map for the category guess, in the browse menu's order; the title counts three times.
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "就业社保": ("就业", "失业", "创业", "职业", "培训", "见习", "岗位", "社保"),
    "教育": ("教育", "学校", "学位", "幼儿园", "学前", "托育", "学生"),
    "医疗健康": ("医疗", "医保", "医院", "卫生", "诊", "疾病", "胸痛", "疫苗", "药"),
    "养老助老": ("养老", "老人", "老年", "助餐", "高龄"),
    "救助住房": ("救助", "困难群体", "低保", "残疾", "住房", "租房", "特困"),
    "城市建设": ("道路", "城市更新", "老旧小区", "停车", "泊位", "供热", "管网", "市政"),
    "生活环境": ("便民", "菜市场", "商业", "食品", "环境", "绿化", "公园", "公厕", "生态", "宜居"),
    "文体关爱": (
        "体育",
        "健身",
        "文化",
        "文体",
        "艺术",
        "身心",
        "心理",
        "人防",
        "退役军人",
        "未成年人",
    ),
}
OTHER = "其他"
TODO_NOTES = {
    "benefit": "原文未说明这一项能得到什么、是否收费。",
    "eligibility": "原文未说明谁可以申请、需要什么条件。",
    "apply": "原文未说明办理地点、电话和材料。",
    "deadline": "原文未说明具体时间。",
}
_COUNT_IN_HEADING = re.compile(r"(\d+|[一二三四五六七八九十]+)项")


class AnnouncementError(Exception):
    """The announcement cannot be imported; the message says why."""


@dataclass
class ImportResult:
    directory: Path
    files: list[Path]
    items: list[Item]
    warnings: list[str] = field(default_factory=list)
    check_errors: list[str] = field(default_factory=list)


def guess_category(item: Item) -> str:
    scores = {
        cat: sum(3 * item.title.count(w) + item.body.count(w) for w in words)
        for cat, words in CATEGORY_WORDS.items()
    }
    best = max(scores, key=lambda c: scores[c])  # ties: the earlier category
    return best if scores[best] else OTHER


def slug(title: str) -> str:
    letters = "".join(lazy_pinyin(title, style=Style.NORMAL))
    return re.sub(r"[^a-z0-9]+", "", letters.lower())[:24] or "xiangmu"


def _hotline_from(knowledge_root: Path, year: int) -> dict:
    """The hotline of the newest other year's list (staff configured it; never invented here)."""
    for root in (knowledge_root, DEFAULT_DIR):
        for y in sorted(available_years(root), reverse=True):
            path = root / str(y) / "_list.yaml"
            if y == year and root == knowledge_root:
                continue
            data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
            return dict(YearList.model_validate(data).hotline)
    raise AnnouncementError("找不到往年的 _list.yaml 来复制 12345 等热线；请先手工建立一个年度清单")


def _yaml() -> YAML:
    y = YAML()
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    y.representer.add_representer(
        type(None), lambda r, _d: r.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return y


def _dump(data: CommentedMap) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def _flow(items=()) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def project_yaml(item: Item, category: str, announcement: str, today: dt.date) -> str:
    d = CommentedMap()
    d["number"] = item.number
    d["title"] = item.title
    d["category"] = category
    d["summary"] = summary_of(item)
    d["aliases"] = _flow()
    d["keywords"] = _flow()
    d["examples"] = _flow()
    d["targets"] = [_target(t) for t in item.targets]
    d["benefits"] = _flow()
    d["eligibility"] = _flow()
    d["apply"] = [
        {"name": c.name, "text": c.text, "phrase": c.phrase, "phone": c.phone, "address": c.address}
        for c in item.contacts
    ]
    d["dates"] = [
        {"what": x.what, "date": x.date, "kind": x.kind, "phrase": x.phrase} for x in item.dates
    ]
    d["places"] = [{"name": name, "phrase": phrase} for name, phrase in item.places]
    todo = {
        k: v
        for k, v in TODO_NOTES.items()
        if not (k == "deadline" and item.dates) and not (k == "apply" and item.contacts)
    }
    d["todo"] = CommentedMap(todo)
    d["progress"] = _flow()
    d["source"] = item.source
    for key in ("targets", "dates", "places", "apply"):
        if not d[key]:
            d[key] = _flow()
    d.yaml_set_start_comment(
        f"第{item.number}项 {item.title}\n"
        f"草稿：{today.isoformat()} 由 python -m bot kb import 从 {announcement} 生成。"
        "请核对分类、目标、日期和地点，补充 aliases，核对后删除本行。\n"
        "规则：每条事实的 phrase 必须逐字出现在下面的 source 里；原文没说的，写进 todo。"
    )
    d.yaml_set_comment_before_after_key(
        "aliases", before="\n居民口头的叫法（待补充；路由器据此认出项目）"
    )
    d.yaml_set_comment_before_after_key("targets", before="\n以下由导入程序从原文摘出，请逐条核对")
    d.yaml_set_comment_before_after_key(
        "todo", before="\n原文未说明的事实：回答时说“原文未说明”，并请居民拨打热线"
    )
    return _dump(d)


def _target(t) -> dict:
    d = {"what": t.what, "value": _num(t.value), "unit": t.unit}
    if t.from_value is not None:
        d["from"] = _num(t.from_value)  # the old figure; value is the new one
    d["phrase"] = t.phrase
    return d


def summary_of(item: Item, limit: int = 120) -> str:
    """Whole sentences of the item's text, up to about `limit` characters."""
    out = ""
    for sentence in re.findall(r"[^。！？]+[。！？]?", item.body):
        if out and len(out) + len(sentence) > limit:
            break
        out += sentence
    return out.strip() if len(out.strip()) >= 4 else item.title


def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else v


def list_yaml(
    year: int,
    heading: str,
    announcement: str,
    categories: list[str],
    hotline: dict,
    projects: int,
) -> str:
    m = re.match(r"^\s*(\S+?[区县市])", heading)
    d = CommentedMap()
    d["year"] = year
    d["district"] = m.group(1) if m else heading[:20]
    d["title"] = heading
    d["source_file"] = announcement
    d["hotline"] = CommentedMap(name=hotline["name"], number=hotline["number"])
    d["projects"] = projects
    d["categories"] = categories
    d.yaml_set_start_comment(f"年度清单：{heading}（kb import 草稿，请核对）。")
    d.yaml_set_comment_before_after_key(
        "hotline", before="原文未说明的事项请居民拨打此热线（从往年清单复制）"
    )
    return _dump(d)


def import_announcement(
    announcement: Path, year: int, out: Path, force: bool = False, today: dt.date | None = None
) -> ImportResult:
    """Parse the announcement and write the year's draft folder; then run the KB checks on it."""
    try:
        text = announcement.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise AnnouncementError(f"读不了公告 {announcement}: {e}") from None
    try:
        heading, items = parse_announcement(text)
    except LayoutError as e:
        raise AnnouncementError(str(e)) from None
    if not items:
        lines = [(k, x.strip()) for k, x in enumerate(text.splitlines(), 1) if x.strip()]
        k, first = lines[1] if len(lines) > 1 else (lines[0] if lines else (1, ""))
        raise AnnouncementError(
            f"公告里没有找到编号的项目：第{k}行「{first[:40]}」不是项目的开头；应为{EXPECTED}"
        )
    if len(items) > 99:
        raise AnnouncementError(f"找到 {len(items)} 项，超过了项目编号的上限 99")
    if out.name != str(year):
        raise AnnouncementError(f"输出文件夹要以年份命名，例如 knowledge/{year}/（现在是 {out}）")
    out.mkdir(parents=True, exist_ok=True)
    existing = [p for p in out.glob("*.yaml")] + [p for p in out.glob(SOURCE_NAME)]
    if existing and not force:
        raise AnnouncementError(f"{out} 里已有文件（{existing[0].name} 等）；确认覆盖请加 --force")
    warnings = []
    m = _COUNT_IN_HEADING.search(heading)
    if m:
        said = int(m.group(1)) if m.group(1).isdigit() else chinese_to_int(m.group(1))
        if said != len(items):
            warnings.append(f"标题说 {said} 项，但找到 {len(items)} 项，请核对编号")

    today = today or dt.date.today()
    categories = {item.number: guess_category(item) for item in items}
    ordered = [c for c in [*CATEGORY_WORDS, OTHER] if c in categories.values()]
    files = []
    for item in items:
        path = out / f"{item.number:02d}-{slug(item.title)}.yaml"
        path.write_text(
            project_yaml(item, categories[item.number], announcement.name, today), encoding="utf-8"
        )
        files.append(path)
        if not item.targets and not item.dates:
            warnings.append(f"第{item.number}项 {item.title}: 没有摘出数量或日期，请人工核对")
    hotline = _hotline_from(out.parent, year)
    (out / "_list.yaml").write_text(
        list_yaml(year, heading, announcement.name, ordered, hotline, len(items)), encoding="utf-8"
    )
    (out / SOURCE_NAME).write_text(text, encoding="utf-8")
    vocab = out.parent / "vocab.yaml"
    if not vocab.exists():  # a new knowledge folder: the shared vocabulary is not per year
        shutil.copyfile(DEFAULT_DIR / "vocab.yaml", vocab)
        warnings.append(f"{vocab} 不存在，已复制自带的共享词表")
    result = load_kb(out.parent, year)
    return ImportResult(out, files, items, warnings, [str(e) for e in result.errors])
