"""The page and its files, read once from the package, gzipped once, versioned by content hash."""

from __future__ import annotations

import gzip
import hashlib
import html
from dataclasses import dataclass
from pathlib import Path

STATIC = Path(__file__).parent / "static"
TYPES = {
    "chat.css": "text/css",
    "chat.js": "application/javascript",
    "embed.js": "application/javascript",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    content_type: str
    version: str


def _asset(name: str) -> Asset:
    body = (STATIC / name).read_bytes()
    return Asset(
        body, gzip.compress(body, 9, mtime=0), TYPES[name], hashlib.sha256(body).hexdigest()[:12]
    )


class Assets:
    def __init__(self) -> None:
        self.files = {name: _asset(name) for name in TYPES}
        self.template = (STATIC / "chat.html").read_text(encoding="utf-8")

    def page(
        self, *, base: str, csrf: str, title: str, hotline: str, hotline_number: str, max_text: int
    ) -> str:
        """The HTML page; every value is escaped (titles come from staff-edited YAML)."""
        values = {
            "base": base,
            "csrf": csrf,
            "title": title,
            "hotline": hotline,
            "hotline_number": hotline_number,
            "max_text": str(max_text),
            "v_css": self.files["chat.css"].version,
            "v_js": self.files["chat.js"].version,
        }
        out = self.template
        for key, value in values.items():
            out = out.replace("{" + key + "}", html.escape(value, quote=True))
        return out

    def weight(self, page: str) -> dict[str, int]:
        """Gzipped bytes of everything a first visit downloads: page, stylesheet, script."""
        return {
            "chat.html": len(gzip.compress(page.encode("utf-8"), 9, mtime=0)),
            "chat.css": len(self.files["chat.css"].gzipped),
            "chat.js": len(self.files["chat.js"].gzipped),
        }
