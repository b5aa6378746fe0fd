"""Load a knowledge-base directory: all of it valid, or a list of file:line errors — never half."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError

from bot import regexcache
from bot.kb.cache import KBCache, digest
from bot.kb.model import KnowledgeBase
from bot.kb.schema import FACT_SECTIONS, Project, Vocab, YearList
from bot.kb.yamllines import YAMLProblem, line_of, load_with_lines

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "knowledge"
PROJECT_FILE_RE = regexcache.compile(r"^(\d{2,4})-[\w-]+\.ya?ml$")  # 01-… to 9999-…
SOURCE_NAME = "source.txt"


@dataclass(frozen=True)
class KBError:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


@dataclass
class KBLoadResult:
    kb: KnowledgeBase | None
    errors: list[KBError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.kb is not None


def available_years(directory: Path) -> list[int]:
    return (
        sorted(
            int(p.name)
            for p in directory.iterdir()
            if p.is_dir() and p.name.isdigit() and (p / "_list.yaml").exists()
        )
        if directory.is_dir()
        else []
    )


def load_kb(directory: Path | str | None = None, year: int | None = None) -> KBLoadResult:
    """Validate every file of one year plus the shared vocabulary; return a whole KB or errors."""
    directory = Path(directory) if directory else DEFAULT_DIR
    errors: list[KBError] = []
    years = available_years(directory)
    if not years:
        return KBLoadResult(
            None, [KBError(str(directory), 0, "-", "no year folder with _list.yaml")]
        )
    year = year or years[-1]
    ydir = directory / str(year)
    if year not in years:
        return KBLoadResult(
            None, [KBError(str(ydir), 0, "-", f"year {year} not found; have {years}")]
        )

    vocab_path = directory / "vocab.yaml"
    source_path = ydir / SOURCE_NAME
    vocab_digest, source_digest = _bytes(vocab_path), _bytes(source_path)
    cache = KBCache(ydir, [vocab_digest, source_digest])
    loaded_list = _load_model(ydir / "_list.yaml", YearList, errors, cache)
    ylist = loaded_list.obj if loaded_list else None
    vocab = None
    if vocab_path.exists():
        loaded_vocab = _load_model(vocab_path, Vocab, errors, cache, "../vocab.yaml")
        vocab = loaded_vocab.obj if loaded_vocab else None
    else:  # without it every synonym and intent cue is gone: hundreds of answers change
        errors.append(KBError(str(vocab_path), 0, "-", "the shared vocabulary file is missing"))
    source_text = source_path.read_text(encoding="utf-8") if source_path.exists() else None
    if source_text is None:
        errors.append(KBError(str(source_path), 0, "-", "the official source text is missing"))

    projects: dict[int, Project] = {}
    files: dict[int, Path] = {}
    loaded_by_number: dict[int, _Loaded] = {}
    named: set[int] = set()  # numbers in file names, loadable or not (errors said already)
    # Sorted by their names as strings (one folder: the order Path's own comparison gives, which
    # is Python code: ~2 ms for 400 files).
    paths = sorted(ydir.glob("*.y*ml"), key=str)
    for path in paths:
        if path.name.startswith("_"):
            continue
        named_as = PROJECT_FILE_RE.match(path.name)
        if not named_as:
            errors.append(KBError(str(path), 1, "-", "project files are named NN-name.yaml"))
            continue
        digits = named_as.group(1)  # as written: 05, 105
        named.add(int(digits))
        loaded = _load_model(path, Project, errors, cache)
        if loaded is None:
            continue
        project = loaded.obj
        if project.number in projects:
            errors.append(
                KBError(
                    str(path),
                    line_of(loaded.lines, ("number",)),
                    "number",
                    f"duplicate project number {project.number} "
                    f"(also in {files[project.number].name})",
                )
            )
            continue
        if int(digits) != project.number:
            errors.append(
                KBError(
                    str(path),
                    line_of(loaded.lines, ("number",)),
                    "number",
                    f"file name says {digits} but number is {project.number}",
                )
            )
        projects[project.number] = project
        files[project.number] = path
        loaded_by_number[project.number] = loaded

    if ylist is not None:
        errors += _count_errors(ydir, ylist.projects, loaded_list, projects, files, named)
        for n, p in projects.items():
            if p.category not in ylist.categories:
                errors.append(
                    KBError(
                        str(files[n]),
                        line_of(loaded_by_number[n].lines, ("category",)),
                        "category",
                        f"{p.category!r} is not one of {ylist.categories}",
                    )
                )
    if source_text is not None:
        for n, p in projects.items():
            loaded = loaded_by_number[n]
            problems = cache.problems(files[n].name, loaded.digest)
            if problems is None:
                from bot.kb.truth import truth_errors  # only for files changed since last start

                problems = list(truth_errors(p, source_text, vocab))
                cache.put_problems(files[n].name, loaded.digest, problems)
            for fld, path_in_file, msg in problems:
                errors.append(KBError(str(files[n]), line_of(loaded.lines, path_in_file), fld, msg))
    if not projects and not errors:
        errors.append(KBError(str(ydir), 0, "-", "no project files"))
    cache.save({p.name for p in paths} | {"../vocab.yaml"})
    if errors or ylist is None or vocab is None:
        return KBLoadResult(None, errors)

    warnings = [
        f"{files[n].name}: 第{n}项 todo {key}: {note}"
        for n, p in sorted(projects.items())
        for key, note in p.todo.items()
    ]
    digests = [loaded_list.digest, vocab_digest, source_digest]
    digests += [loaded_by_number[n].digest for n in sorted(loaded_by_number)]
    kb = KnowledgeBase(
        ylist, projects, vocab, source_text, directory, files, digest(b"".join(digests))
    )
    return KBLoadResult(kb, [], warnings)


def _count_errors(ydir: Path, count: int, listed_file, projects, files, named) -> list[KBError]:
    """Every number 1..count has its file, and no file is numbered past the list's count."""
    listed = str(ydir / "_list.yaml")
    errors = [
        KBError(
            listed,
            line_of(listed_file.lines, ("projects",)),
            "projects",
            f"第{n}项没有项目文件（清单共 {count} 项）",
        )
        for n in range(1, count + 1)
        if n not in projects and n not in named
    ]
    errors += [
        KBError(str(files[n]), 1, "number", f"第{n}项超出清单的 {count} 项（_list.yaml projects）")
        for n in sorted(projects)
        if n > count
    ]
    return errors


def _bytes(path: Path) -> bytes:
    try:
        return digest(path.read_bytes())
    except OSError:
        return b"-"


class _Loaded:
    """One file's validated model, and the lines of its keys, parsed again only when an error
    needs them (a file reused from the cache has none at hand)."""

    def __init__(self, obj, raw: bytes, raw_digest: bytes, lines: dict | None):
        self.obj, self.raw, self.digest, self._lines = obj, raw, raw_digest, lines

    @property
    def lines(self) -> dict:
        if self._lines is None:
            self._lines = load_with_lines(self.raw.decode("utf-8"))[1]
        return self._lines


def _load_model(
    path: Path, model: type[BaseModel], errors: list[KBError], cache: KBCache, name=None
):
    try:
        raw = path.read_bytes()
    except OSError as e:
        errors.append(KBError(str(path), 0, "-", f"cannot read: {e}"))
        return None
    key, name = digest(raw), name or path.name
    obj = cache.model(name, key, model)
    if obj is not None:  # these bytes passed this schema before: the same model, unvalidated
        return _Loaded(obj, raw, key, None)
    try:  # (bytes the cache knows were read as UTF-8 when they were kept)
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        errors.append(KBError(str(path), 0, "-", f"cannot read: {e}"))
        return None
    data, lines = cache.data(name, key), None
    if data is None:
        try:
            data, lines = load_with_lines(text)
        except YAMLProblem as e:
            errors.append(KBError(str(path), e.line, "-", e.message))
            return None
        cache.put_data(name, key, data)
    if not isinstance(data, dict):
        errors.append(KBError(str(path), 1, "-", "the file must be a mapping of fields"))
        return None
    loaded = _Loaded(None, raw, key, lines)
    try:
        loaded.obj = model.model_validate(data)
        cache.put_model(name, key, loaded.obj)
    except ValidationError as e:
        for err in e.errors():
            loc = tuple(err["loc"])
            fld = ".".join(str(x) for x in loc) or "-"
            errors.append(KBError(str(path), line_of(loaded.lines, loc), fld, err["msg"]))
        return None
    return loaded


__all__ = ["FACT_SECTIONS", "KBError", "KBLoadResult", "available_years", "load_kb"]
