"""The loaded, validated knowledge base that the router and handlers read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.kb.schema import Project, Vocab, YearList


@dataclass(frozen=True)
class KnowledgeBase:
    year: YearList
    projects: dict[int, Project]
    vocab: Vocab
    source_text: str
    directory: Path
    files: dict[int, Path] = field(default_factory=dict)
    # A hash of every file it was loaded from (bot.lexiconcache keys the built lexicon on it);
    # empty for a KB made otherwise, which is then never cached.
    digest: bytes = b""

    def project(self, number: int) -> Project | None:
        return self.projects.get(number)

    @property
    def numbers(self) -> list[int]:
        return sorted(self.projects)

    def by_category(self) -> list[tuple[str, list[Project]]]:
        """Categories in the list's order, each with its projects by number."""
        out = []
        for cat in self.year.categories:
            members = [p for n, p in sorted(self.projects.items()) if p.category == cat]
            if members:
                out.append((cat, members))
        return out
