"""Add resident phrasings to a project file, keeping every other byte of it (ruamel round trip).

After dumping, the new text is compared with the old: if anything but inserted lines changed
(ruamel reflowing a line, dropping a comment), nothing is written and EditError says why.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import os
import tempfile
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from bot.text import compact

EXAMPLES_NOTE = (
    "居民的真实问法：员工从待答问题收件箱收录（python -m bot inbox accept），行尾注明收录人和日期"
)


class EditError(Exception):
    """The file cannot be edited safely; it was left as it was."""


def _yaml() -> YAML:
    y = YAML()  # round-trip: comments, order, quotes and flow style survive
    y.preserve_quotes = True
    y.width = 4096  # never fold long lines such as `source:`
    y.indent(mapping=2, sequence=4, offset=2)  # the KB's style: "  - item"
    y.representer.add_representer(
        type(None), lambda r, _d: r.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return y


def provenance(by: str, on: dt.date, intent: str | None) -> str:
    what = f"待答问题收录，意图 {intent}" if intent else "待答问题收录"
    return f"{by} {on.isoformat()} {what}"


def add_examples(
    path: Path, phrases: list[str], by: str, on: dt.date, intent: str | None = None
) -> list[str]:
    """Append new phrasings to the file's `examples`; return the ones actually added."""
    path = Path(path)
    original = path.read_text(encoding="utf-8")
    y = _yaml()
    try:
        data = y.load(original)
    except YAMLError as e:
        raise EditError(f"{path.name}: not valid YAML: {e}") from None
    if not hasattr(data, "insert"):
        raise EditError(f"{path.name}: not a project file (a mapping of fields)")

    known = {
        compact(str(w.get("text", "")) if hasattr(w, "get") else str(w))
        for field in ("aliases", "keywords", "examples")
        for w in (data.get(field) or [])
    }
    new = []
    for p in phrases:
        p = p.strip()
        if p and compact(p) and compact(p) not in known:
            known.add(compact(p))
            new.append(p)
    if not new:
        return []

    note = provenance(by, on, intent)
    seq = data.get("examples")
    if not isinstance(seq, CommentedSeq) or not seq:
        seq = _fresh_seq(data)
    else:
        seq.fa.set_block_style()  # `examples: [a]` has nowhere to put a comment per line
    last = len(seq) - 1
    tail = seq.ca.items.pop(last, None) if last >= 0 else None  # blank line after the last item
    for p in new:
        seq.append(_example_item(p, intent))
        # Two spaces after the item: "  - wording" is 4 + len(wording) characters wide.
        shown = p if intent is None else f"{{text: {p}, intent: {intent}}}"
        seq.yaml_add_eol_comment(note, len(seq) - 1, column=4 + len(shown) + 2)
    if tail is not None:
        _move_tail(seq, tail, last)

    out = io.StringIO()
    y.dump(data, out)
    edited = out.getvalue()
    _check_only_inserted(original, edited, path.name)
    _write_atomically(path, edited)
    return new


def _example_item(text: str, intent: str | None):
    """A plain phrasing, or `{text: …, intent: …}` so the router routes it to that intent too."""
    if intent is None:
        return text
    item = CommentedMap([("text", text), ("intent", intent)])
    item.fa.set_flow_style()
    return item


def _fresh_seq(data) -> CommentedSeq:
    seq = CommentedSeq()
    keys = list(data.keys())
    if "examples" in data:
        data["examples"] = seq  # replaces an empty `examples: []` in place
        return seq
    after = next((k for k in ("keywords", "aliases", "summary") if k in data), keys[0])
    data.insert(keys.index(after) + 1, "examples", seq)
    data.yaml_set_comment_before_after_key("examples", before=EXAMPLES_NOTE)
    return seq


def _move_tail(seq: CommentedSeq, tail: list, old_last: int) -> None:
    """The old last item's comment token also holds the blank lines after the list: move those."""
    token = tail[0] if tail else None
    if token is None or "\n" not in token.value:
        seq.ca.items[old_last] = tail
        return
    first, _, rest = token.value.partition("\n")
    if first.strip():
        token.value = first + "\n"
        seq.ca.items[old_last] = [token, *tail[1:]]
    if rest:
        new_token = seq.ca.items[len(seq) - 1][0]
        new_token.value = new_token.value + "\n" + rest


def _check_only_inserted(original: str, edited: str, name: str) -> None:
    a, b = original.splitlines(keepends=True), edited.splitlines(keepends=True)
    for op, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal" or op == "insert":
            continue
        changed = a[i1:i2]
        # The only line allowed to change is an empty or flow `examples:` line becoming a block.
        if op == "replace" and all(line.startswith("examples:") for line in changed):
            continue
        raise EditError(
            f"{name}: editing would also change {''.join(changed).strip()[:80]!r}; "
            "edit the file by hand"
        )


def _write_atomically(path: Path, text: str) -> None:
    # One rename: the live-reload watcher never sees a half-written file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o777)  # mkstemp makes 0600; keep the file's mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
