"""`python -m bot run`: start-up checks, the example config, and a real process end to end."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import pytest
import yaml
from fakebotapi import FakeBotAPI
from pydantic import BaseModel
from tgupdates import text_update

from bot.cli import main
from bot.config import Config, load_config

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config.example.yaml"


@pytest.fixture(autouse=True)
def no_token_in_env(monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)


def test_no_channel_is_one_clear_line_and_exit_2(tmp_path, capsys):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("database:\n  url: 'sqlite+aiosqlite:///:memory:'\n", encoding="utf-8")
    assert exit_code(["run", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "telegram.token" in err[0] and "TELEGRAM_BOT_TOKEN" in err[0]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("telegram:\n  tokn: abc\n", "telegram.tokn"),
        ("telegram:\n  flood:\n    max_messages: lots\n", "telegram.flood.max_messages"),
        ("telegram:\n  token: x\n  mode: webhook\n", "telegram.webhook"),
    ],
)
def test_a_wrong_key_or_type_stops_start_up_by_name(tmp_path, capsys, body, named):
    cfg = tmp_path / "config.yaml"
    cfg.write_text(body, encoding="utf-8")
    assert exit_code(["--config", str(cfg), "run"]) == 2
    assert named in capsys.readouterr().err


def exit_code(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as e:
        return e.code


def _uncommented(text: str) -> str:
    """The example with its commented-out sections switched on (`# key:` lines)."""
    return re.sub(r"^(\s*)# (?=\s*[a-z_]+:(\s|$))", r"\1", text, flags=re.M)


def _keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys = set()
    for name, field in model.model_fields.items():
        keys.add(prefix + name)
        for t in (field.annotation, *getattr(field.annotation, "__args__", ())):
            if isinstance(t, type) and issubclass(t, BaseModel):
                keys |= _keys(t, f"{prefix}{name}.")
    return keys


def _present(data: dict, prefix: str = "") -> set[str]:
    keys = set()
    for k, v in data.items():
        keys.add(prefix + k)
        if isinstance(v, dict):
            keys |= _present(v, f"{prefix}{k}.")
    return keys


def test_the_example_config_is_valid_and_documents_every_key(tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8")
    assert load_config(EXAMPLE).telegram.mode == "polling"  # usable as it is
    full = tmp_path / "full.yaml"
    full.write_text(_uncommented(text), encoding="utf-8")
    config = load_config(full)  # and with every optional section switched on
    assert config.wechat is not None and config.telegram.webhook is not None
    data = yaml.safe_load(full.read_text(encoding="utf-8"))
    assert _present(data) == _keys(Config)
    lines = _uncommented(text).splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^\s*[a-z_]+: \S", line):  # a key with a value: commented right above
            above = [x for x in lines[:i] if x.strip()]
            assert above[-1].lstrip().startswith("#"), f"no comment above {line.strip()!r}"


async def test_the_command_serves_a_resident_and_stops_cleanly_on_sigterm(tmp_path):
    async with FakeBotAPI() as api:
        cfg = tmp_path / "config.yaml"
        cfg.write_text(
            f"database:\n  url: sqlite+aiosqlite:///{tmp_path / 'bot.db'}\n"
            f"telegram:\n  token: '{api.token}'\n  base_url: {api.base_url}\n",
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(cfg),
            cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            await api.wait_for("getUpdates", 1, timeout=60)
            api.push(text_update(42, "/start"))
            [reply] = await api.wait_for("sendMessage", 1, timeout=30, chat_id=42)
            assert reply.params["text"].startswith("您好！我是民心通")
            assert (tmp_path / "bot.db").exists()  # created on first run
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err.decode()
        assert "Traceback" not in err.decode()
