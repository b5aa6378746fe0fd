"""The knowledge base: schema, loading with file:line errors, truth checks."""

from bot.kb.loader import KBError, KBLoadResult, load_kb
from bot.kb.model import KnowledgeBase
from bot.kb.schema import Project

__all__ = ["KBError", "KBLoadResult", "KnowledgeBase", "Project", "load_kb"]
