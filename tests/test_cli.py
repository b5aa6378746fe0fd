"""The command line as a resident, a script and an evaluator use it (real processes)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT, SHARED_EVAL


def bot(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_console_chat_starts_where_its_database_folder_does_not_exist_yet(tmp_path):
    """`chat` on a fresh checkout: data/ is not there until the first run makes it."""
    db = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'console.db'}"
    out = bot("chat", "--db", db, stdin="退出\n")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "data" / "console.db").exists()


def test_console_chat_transcript(tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    out = bot(
        "chat", "--db", db, stdin="你好\n租房补贴能领多少\n怎么申请\n2\n民心工程有哪些\n13\n退出\n"
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "民心通：您好" in text
    assert "【第7项 提高住房保障水平】\n原文未说明租房补贴的金额和发放方式。" in text
    assert "[1] 条件" in text and "（输入编号选择）" in text  # buttons as numbered options
    # the follow-up kept the project and the sub-item (租房补贴, not 保障性租赁住房)
    assert (
        "【第7项 提高住房保障水平】\n租房补贴申请审核：对申请租房补贴的家庭随时进行审核。" in text
    )
    assert "13. 加强食品安全监管" in text
    assert "【第13项 加强食品安全监管】" in text  # typed 13 after the list
    assert text.rstrip().endswith("再见！")


def test_ask_answers_one_question():
    out = bot("ask", "失业金哪天开始涨")
    assert out.returncode == 0
    assert out.stdout.startswith("【第1项 综合施策推动就业】")
    assert "2023年7月1日" in out.stdout


def test_route_contract_one_json_object_per_line_in_order():
    lines = [
        "万东路修好了吗",
        json.dumps({"text": "租房补贴能领多少", "user": "a"}, ensure_ascii=False),
        json.dumps({"text": "怎么申请", "user": "a"}, ensure_ascii=False),
        json.dumps({"text": "怎么申请", "user": "b"}, ensure_ascii=False),
        "",
        "{not json",
        "护照怎么办",
    ]
    out = bot("route", stdin="\n".join(lines) + "\n")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(x) for x in out.stdout.splitlines()]
    assert len(rows) == len(lines)
    for row in rows:
        assert set(row) == {"text", "project", "intent", "confidence"}
        assert 0 <= row["confidence"] <= 1
    assert (rows[0]["project"], rows[0]["intent"]) == (9, "progress")
    assert (rows[2]["project"], rows[2]["intent"]) == (7, "apply")  # same user: context
    assert rows[3]["project"] is None  # another user: no context
    assert rows[5]["text"] == "{not json"
    assert (rows[6]["project"], rows[6]["intent"]) == (None, "out_of_scope")


def test_plain_lines_do_not_share_context():
    out = bot("route", stdin="租房补贴能领多少\n怎么申请\n")
    rows = [json.loads(x) for x in out.stdout.splitlines()]
    assert rows[1]["project"] is None


def test_eval_prints_accuracies_and_misses(tmp_path):
    f = tmp_path / "mini.jsonl"
    f.write_text(
        "\n".join(
            json.dumps(x, ensure_ascii=False)
            for x in [
                {"text": "医保报销去哪办", "project": 5, "intent": "apply"},
                {
                    "text": "医保报销去哪办",
                    "project": 6,
                    "intent": "apply",
                },  # deliberately wrong label
                {"turns": ["租房补贴能领多少", "怎么申请"], "project": 7, "intent": "apply"},
            ]
        ),
        encoding="utf-8",
    )
    out = bot("eval", str(f))
    assert out.returncode == 0
    assert "project 0.667  intent 1.000  joint 0.667  (2/3)" in out.stdout
    assert "want 6 apply  got 5 apply" in out.stdout
    if (SHARED_EVAL / "router_dev.jsonl").exists():
        dev = bot("eval", "--quiet", str(SHARED_EVAL / "router_dev.jsonl"))
        assert "joint" in dev.stdout
