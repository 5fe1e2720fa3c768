"""Three-way merge of a record: the base (the server state this device last saw), mine (the
local state) and theirs (the server state now). DESIGN.md invariant 8:

- a field changed on one side only takes that side's value;
- text changed on both sides (content, descriptions, prompts) is merged with diff3 over its
  lines, and HTML over its blocks (``</p>``, ``<br>``, ``</li>``, headings...), so two
  writers editing different paragraphs of a one-line HTML template both keep their words;
  overlapping (or adjacent) edits are a conflict for the user;
- tags merge as sets (additions and removals from both sides);
- counters never conflict: theirs plus what this device added since the base;
- ``updatedAt`` and ``latestVersion`` are the later of the two;
- anything else changed differently on both sides is a conflict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from merge3 import Merge3

from desktop.store.entities import ENTITIES

#: Each kind's fields merged line by line, as its description says.
TEXT_FIELDS: dict[str, frozenset[str]] = {e.name: e.text_fields for e in ENTITIES.values()}
SET_FIELDS = frozenset({"tags"})
COUNTERS = frozenset({"usageCount"})
# The later of the two (ISO times; version ids, which begin with their creation time).
LATEST = frozenset({"updatedAt", "latestVersion"})

_CHUNK = re.compile(
    r".*?(?:</(?:p|div|li|ul|ol|h[1-6]|blockquote|pre|tr|table)>|<br\s*/?>|\n|$)",
    re.IGNORECASE | re.DOTALL,
)


def chunks(text: str) -> list[str]:
    """Split text into merge units whose concatenation is exactly ``text``."""
    parts = [part for part in _CHUNK.findall(text) if part]
    assert "".join(parts) == text
    return parts


@dataclass(frozen=True)
class TextMerge:
    text: str | None  # None: the edits overlap
    conflict: bool


def merge_text(base: str, mine: str, theirs: str) -> TextMerge:
    if mine == theirs or theirs == base:
        return TextMerge(mine, False)
    if mine == base:
        return TextMerge(theirs, False)
    merged: list[str] = []
    for group in Merge3(chunks(base), chunks(mine), chunks(theirs)).merge_groups():
        kind = group[0]
        if kind == "conflict":
            return TextMerge(None, True)
        merged.extend(group[1])
    return TextMerge("".join(merged), False)


@dataclass
class MergeResult:
    merged: dict[str, Any]  # every field resolved; conflicting ones hold mine
    conflicts: list[str] = field(default_factory=list)  # fields the user must decide

    @property
    def clean(self) -> bool:
        return not self.conflicts


def _merge_set(base: list[Any], mine: list[Any], theirs: list[Any]) -> list[Any]:
    removed = (set(base) - set(mine)) | (set(base) - set(theirs))
    result = [v for v in theirs if v not in removed]
    result += [v for v in mine if v not in removed and v not in result]
    return result


def merge_record(
    entity: str, base: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any]
) -> MergeResult:
    """Merge ``mine`` and ``theirs`` against their common ``base``."""
    merged: dict[str, Any] = {}
    conflicts: list[str] = []
    text_fields = TEXT_FIELDS.get(entity, frozenset())
    for name in dict.fromkeys([*base, *mine, *theirs]):
        b, m, t = base.get(name), mine.get(name), theirs.get(name)
        if name in COUNTERS:
            merged[name] = int(t or 0) + max(0, int(m or 0) - int(b or 0))
        elif name in LATEST:
            merged[name] = max((v for v in (m, t) if v is not None), key=str, default=None)
        elif m == t or t == b:
            merged[name] = m
        elif m == b:
            merged[name] = t
        elif name in SET_FIELDS and isinstance(m, list) and isinstance(t, list):
            merged[name] = _merge_set(list(b or []), m, t)
        elif name in text_fields and isinstance(m, str) and isinstance(t, str):
            text = merge_text(str(b or ""), m, t)
            merged[name] = text.text if text.text is not None else m
            if text.conflict:
                conflicts.append(name)
        else:
            merged[name] = m
            conflicts.append(name)
    return MergeResult(merged, conflicts)
