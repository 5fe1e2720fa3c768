"""``[[variable]]`` placeholders as GravyJS handles them: extract, populate, report missing.

Delimiters are configurable (default ``[[`` / ``]]``). Populating yields both HTML (values
escaped, formatting kept) and plain text (the HTML flattened to lines).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser

DEFAULT_OPEN = "[["
DEFAULT_CLOSE = "]]"


@dataclass(frozen=True)
class Delimiters:
    open: str = DEFAULT_OPEN
    close: str = DEFAULT_CLOSE

    def __post_init__(self) -> None:
        if not self.open or not self.close:
            raise ValueError("variable delimiters must not be empty")
        if self.open == self.close:
            raise ValueError("the opening and closing delimiters must differ")


@lru_cache(maxsize=16)
def variable_pattern(delimiters: Delimiters) -> re.Pattern[str]:
    """What a placeholder looks like; group 1 is its name (untrimmed)."""
    o, c = re.escape(delimiters.open), re.escape(delimiters.close)
    # A name is anything up to the closing delimiter that is not a delimiter or a tag.
    return re.compile(rf"{o}\s*((?:(?!{c}|{o})[^<>])+?)\s*{c}")


def extract_variables(text: str, delimiters: Delimiters = Delimiters()) -> list[str]:
    """Distinct variable names in order of first appearance."""
    seen: dict[str, None] = {}
    for match in variable_pattern(delimiters).finditer(html.unescape(text)):
        seen.setdefault(match.group(1).strip(), None)
    return list(seen)


@dataclass(frozen=True)
class Populated:
    html: str
    text: str
    missing: list[str]


def populate(
    content_html: str, values: dict[str, str], delimiters: Delimiters = Delimiters()
) -> Populated:
    """Replace every placeholder that has a value; leave the others and report them."""
    pattern = variable_pattern(delimiters)
    missing: dict[str, None] = {}

    def fill(match: re.Match[str], escape: bool) -> str:
        name = html.unescape(match.group(1)).strip()
        if name in values:
            return html.escape(values[name]) if escape else values[name]
        missing.setdefault(name, None)
        return match.group(0)

    filled_html = pattern.sub(lambda m: fill(m, escape=True), content_html)
    plain = pattern.sub(lambda m: fill(m, escape=False), html_to_text(content_html))
    return Populated(html=filled_html, text=plain, missing=list(missing))


_BLOCK_TAGS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote", "pre"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self._newline()
            self.parts.append("- ")
        elif tag in _BLOCK_TAGS:
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self._newline()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)

    def _newline(self) -> None:
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")


def html_to_text(content: str) -> str:
    """Readable plain text of an HTML fragment: block elements become lines."""
    if "<" not in content and "&" not in content:
        return content
    extractor = _TextExtractor()
    extractor.feed(content)
    extractor.close()
    lines = [line.rstrip() for line in "".join(extractor.parts).splitlines()]
    return "\n".join(lines).strip("\n")
