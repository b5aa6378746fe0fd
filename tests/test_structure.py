"""The structure, read from the code's own imports (every `import` statement in bot/ and
handlers/, inside functions too): no import circles; channels see storage, broadcasts and
answer builders only through bot.channels.base; each platform library is imported by its own
channel package alone."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("bot", "handlers")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module `name` imports: project modules by dotted name, others by their top name."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.add(sub if sub in MODULES else base)
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _project_edges(name: str) -> set[str]:
    return {m for m in GRAPH[name] if m in MODULES and m != name}


def _circles() -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in _project_edges(v):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(MODULES):
        if v not in index:
            visit(v)
    return groups


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_the_graph_is_read_from_the_code():
    assert "bot.app" in MODULES and "bot.channels.telegram.channel" in MODULES
    assert "bot.channels.base" in GRAPH["bot.channels.telegram.channel"]
    assert "telegram" in GRAPH["bot.channels.telegram.channel"]
    assert "bot.storage.schema" in GRAPH["bot.storage.db"]


def test_no_import_circles():
    assert _circles() == []


def test_channels_import_no_storage_broadcasts_or_answer_builders():
    wrong = [
        (name, m)
        for name in MODULES
        if _under(name, "bot.channels")
        for m in GRAPH[name]
        if any(_under(m, p) for p in ("bot.storage", "bot.broadcast", "handlers"))
    ]
    assert wrong == []


def test_only_a_channel_package_imports_its_platform_library():
    for library, home in (
        ("telegram", "bot.channels.telegram"),
        ("wechatpy", "bot.channels.wechat"),
    ):
        importers = {n for n in MODULES for m in GRAPH[n] if _under(m, library)}
        assert importers, library  # the check reads real imports
        assert {n for n in importers if not _under(n, home)} == set(), library
