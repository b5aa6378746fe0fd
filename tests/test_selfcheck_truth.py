"""Issue 16, the truth rule for the self-check: every group tag in the KB quotes the source where
it names the group, and no result line says a number, name or condition the KB does not have."""

from __future__ import annotations

import itertools
import re
import unicodedata

import pytest

import handlers.selfcheck as sc
from bot.kb.claims import squash, unsupported
from bot.text import numbers_in

LINE = re.compile(r"^· 第(\d+)项 ([^：]+)：(.+?)(?:（(原文[^）]*)）)?$")


@pytest.fixture(scope="module")
def kb(holder):
    return holder.kb


def _plain(s: str) -> str:
    return squash(unicodedata.normalize("NFKC", s))


def test_every_group_tag_quotes_the_source_phrase_that_names_its_group(kb):
    groups = kb.vocab.groups
    tagged = 0
    for p in kb.projects.values():
        source = _plain(p.source)
        for it in p.items:
            for g in it.groups:
                where = f"第{p.number}项 {it.name} {g.tag}"
                assert g.tag in groups, where
                assert g.phrase and _plain(g.phrase) in source, where
                assert any(n in g.phrase for n in groups[g.tag].names), where
                tagged += 1
    assert tagged >= 15
    # The questions offer only groups the vocabulary defines, and each one some sub-item serves.
    used = {t for p in kb.projects.values() for it in p.items for t in (g.tag for g in it.groups)}
    for _, choices in sc.QUESTIONS:
        for label, tags in choices:
            assert set(tags) <= used, label
    for tag, g in groups.items():
        assert g.todo is None or g.todo.startswith("原文未说明"), tag


def _answers(kb):
    """Every group alone, every pair, and all of them: each sub-item's tags in any mix."""
    tags = sorted({t for _, choices in sc.QUESTIONS for _, ts in choices for t in ts})
    yield from ({t} for t in tags)
    yield from (set(pair) for pair in itertools.combinations(tags, 2))
    yield set(tags)


def test_no_result_line_says_what_the_kb_does_not(kb):
    todos = {g.todo for g in kb.vocab.groups.values() if g.todo}
    todos |= {
        it.todo["eligibility"]
        for p in kb.projects.values()
        for it in p.items
        if "eligibility" in it.todo
    }
    seen = 0
    for groups in _answers(kb):
        check = sc.SelfCheck(step=len(sc.QUESTIONS), groups=groups)
        text = sc.result(kb, check).text
        heading = None
        for line in text.splitlines():
            if line in ("可能适用：", "需确认条件："):
                heading = line
                continue
            if not line.startswith("· "):
                continue
            m = LINE.match(line)
            assert m, line
            p = kb.project(int(m[1]))
            [it] = [i for i in p.items if i.name == m[2]]
            where = f"{sorted(groups)}: {line}"
            # The sub-item serves one of the chosen groups: no eligibility invented.
            assert {g.tag for g in it.groups} & groups, where
            fact, note = m[3], m[4]
            extra = numbers_in(fact) - numbers_in(p.source) - {str(kb.year.year)}
            assert not extra, where
            backing = f"{kb.year.year}年{p.source}"  # the list's year labels each plan
            assert not unsupported(fact, backing), (where, unsupported(fact, backing))
            # A condition the source leaves unsaid is named, never glossed over.
            if heading == "需确认条件：":
                assert note is not None and note in todos, where
            else:
                assert note is None and "eligibility" not in it.todo, where
            seen += 1
    assert seen > 100
