"""A shrunken knowledge base is refused: a deleted project file, a missing number, a missing
vocab.yaml — by `kb check` (non-zero exit) and by live reload (the old KB keeps answering)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from bot.kb.loader import DEFAULT_DIR, load_kb
from bot.kbholder import KBHolder
from bot.reload import Reloader
from handlers.admin import reload_text
from tests.conftest import ROOT


@pytest.fixture
def knowledge(tmp_path):
    d = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, d)
    return d


def kb_check(directory) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", "kb", "check", str(directory)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


async def test_reload_with_a_project_file_deleted_keeps_the_old_kb_and_tells_staff(knowledge):
    holder = KBHolder(knowledge)
    serving = holder.current
    (knowledge / "2023" / "07-zhufang.yaml").unlink()
    result = await Reloader(holder).reload(["2023/07-zhufang.yaml"])
    assert not result.ok
    assert result.errors == ["2023/_list.yaml:11: projects: 第7项没有项目文件（清单共 20 项）"]
    assert holder.current is serving and holder.kb.project(7).title == "提高住房保障水平"
    assert reload_text(result) == (
        "知识库未更新（改动：2023/07-zhufang.yaml）：发现 1 处错误，仍在使用旧版本。\n"
        "2023/_list.yaml:11: projects: 第7项没有项目文件（清单共 20 项）"
    )


async def test_reload_without_vocab_yaml_is_refused(knowledge):
    holder = KBHolder(knowledge)
    serving = holder.current
    (knowledge / "vocab.yaml").unlink()
    result = await Reloader(holder).reload()
    assert result.errors == ["vocab.yaml:0: -: the shared vocabulary file is missing"]
    assert holder.current is serving


def test_kb_check_without_vocab_yaml_exits_non_zero(knowledge):
    (knowledge / "vocab.yaml").unlink()
    out = kb_check(knowledge)
    assert out.returncode == 1
    assert f"{knowledge}/vocab.yaml:0: -: the shared vocabulary file is missing" in out.stdout
    assert "OK" not in out.stdout


def test_kb_check_with_a_project_file_deleted_exits_non_zero(knowledge):
    (knowledge / "2023" / "20-tuiyijunren.yaml").unlink()
    out = kb_check(knowledge)
    assert out.returncode == 1
    assert "_list.yaml:11: projects: 第20项没有项目文件（清单共 20 项）" in out.stdout
    assert "19 projects" not in out.stdout


def test_a_list_without_its_project_count_is_an_error(knowledge):
    f = knowledge / "2023" / "_list.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("projects: 20\n", ""), encoding="utf-8")
    errors = [str(e) for e in load_kb(knowledge).errors]
    assert (
        len(errors) == 1
        and errors[0].startswith(f"{f}:")
        and "projects: Field required" in errors[0]
    )


def test_a_project_numbered_past_the_count_is_an_error(knowledge):
    f = knowledge / "2023" / "_list.yaml"
    f.write_text(
        f.read_text(encoding="utf-8").replace("projects: 20", "projects: 19"), encoding="utf-8"
    )
    errors = [str(e) for e in load_kb(knowledge).errors]
    assert errors == [
        f"{knowledge}/2023/20-tuiyijunren.yaml:1: number: 第20项超出清单的 19 项（_list.yaml projects）"
    ]
