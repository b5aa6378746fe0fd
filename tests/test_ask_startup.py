"""`python -m bot ask` loads only what one answer needs, and a start loads one segmenter dictionary."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from bot import segment
from bot.cli.chat import _without_loop
from bot.kb import load_kb
from bot.router import Router
from tests.conftest import ROOT

NOT_FOR_ASK = ("sqlalchemy", "aiohttp", "telegram", "wechatpy", "asyncio", "yaml", "rjieba")


def test_ask_answers_without_storage_web_platform_yaml_or_an_event_loop(tmp_path):
    probe = (
        "import sys\n"
        "from bot.cli import main\n"  # as `python -m bot ask` runs it, but the process goes on
        "main(['ask', '医保住院最高报多少'])\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({NOT_FOR_ASK!r})))\n"
        "from bot.kb import schema\n"  # a warm start restores the models: no validator is built
        "print(sorted(n for n, c in vars(schema).items() if getattr(c, '__pydantic_complete__', 0)))\n"
    )
    env = {"MINXIN_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for _ in range(2):  # the first run fills the KB cache (and parses YAML); the second reuses it
        out = subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
    answer, loaded, validators = out.stdout.rstrip("\n").rsplit("\n", 2)
    assert answer.startswith("【第5项 提高医疗保障水平】")
    assert "居民医保住院最高支付限额从18万元提高到25万元" in answer
    assert loaded == "[]"  # rjieba's extension is loaded, not its package (a default instance)
    assert validators == "[]"


def test_ask_and_route_as_processes_print_everything_before_they_end(tmp_path):
    env = {"MINXIN_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    ask = [sys.executable, "-m", "bot", "ask", "医保住院最高报多少"]
    out = subprocess.run(ask, cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0 and out.stderr == ""
    assert out.stdout.startswith("【第5项 提高医疗保障水平】\n")
    assert out.stdout.endswith("（输入编号选择）\n")  # flushed to the pipe before the process ended
    route = [sys.executable, "-m", "bot", "route"]
    lines = "".join(f"{q}\n" for q in ["医保住院最高报多少", "万东路修好了吗", "天气"] * 200)
    out = subprocess.run(route, cwd=ROOT, env=env, input=lines, capture_output=True, text=True)
    assert out.returncode == 0
    routed = out.stdout.splitlines()
    assert len(routed) == 600 and routed[-1].startswith('{"text": "天气"')


def test_a_coroutine_that_waits_is_left_to_a_real_loop():
    async def quick():
        return "answer"

    async def waits():
        await asyncio.sleep(0)
        return "late"

    assert _without_loop(quick()) == "answer"
    assert _without_loop(waits()) is None


def test_the_lexicon_adopts_the_dictionary_the_truth_checks_used(monkeypatch):
    monkeypatch.setenv("MINXIN_CACHE_DIR", "")  # no cache: the truth checks run and cut text
    result = load_kb()
    checked = segment._pristine
    assert checked is not None  # the truth checks loaded rjieba's own dictionary
    router = Router(result.kb)
    assert router.lex.segmenter is checked  # and the lexicon took that one, not a second
    assert segment._pristine is None
    assert segment.has_word("医院")  # a later pristine use gets a fresh instance
    assert segment._pristine is not checked
