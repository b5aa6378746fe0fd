"""Load YAML and remember the line of every key, so errors can say file:line."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from bot import regexcache

Path_ = tuple[Any, ...]


@lru_cache(maxsize=1)
def _loader_class():
    """Imported at the first parse: a start that reuses every file from bot.kb.cache needs no YAML."""
    import yaml

    class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: ~10x faster
        """Safe loading with YAML 1.2 booleans: staff write `on: 2023-09-01` (the date a fact
        was confirmed), which YAML 1.1 would read as the key True."""

    _Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    for first in "tTfF":
        _Loader.add_implicit_resolver(
            "tag:yaml.org,2002:bool",
            regexcache.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
            [first],
        )
    return _Loader


class YAMLProblem(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def load_with_lines(text: str) -> tuple[Any, dict[Path_, int]]:
    """Return (data, {path: 1-based line}); raise YAMLProblem on syntax errors or duplicate keys."""
    import yaml

    try:
        # One parse: compose the node tree (it has line marks), then build the data from it.
        loader = _loader_class()(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        raise YAMLProblem(line, f"YAML syntax: {e.problem or e}") from None
    except yaml.YAMLError as e:
        raise YAMLProblem(1, f"YAML: {e}") from None
    lines: dict[Path_, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def _walk(node, path: Path_, lines: dict[Path_, int]) -> None:
    import yaml

    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise YAMLProblem(key_node.start_mark.line + 1, f"duplicate key {key!r}")
            seen.add(key)
            lines[path + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines)


def line_of(lines: dict[Path_, int], path: Path_) -> int:
    """Best line for a path: the deepest known prefix."""
    path = tuple(path)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get((), 1)
