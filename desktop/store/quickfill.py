"""What Quick Fill reads and remembers: favourites and recently used templates first, then
full-text matches, and the last value typed for each variable name.

Recents come from the local usage events (every Populate and Quick Fill records one through
:meth:`Store.record_use`); the last values live in the database's plain settings, so they
stay on this device and are never synced.
"""

from __future__ import annotations

from typing import Any

from desktop import domain
from desktop.store import rows
from desktop.store.services import Store
from desktop.store.syncstate import get_setting, put_setting

LAST_VALUES_KEY = "quickfill.last_values"
#: Variable names remembered at most (the least recently used name goes first).
MAX_REMEMBERED = 500


def recent_template_ids(store: Store, limit: int = 10) -> list[str]:
    """Ids of the templates used most recently (newest use first), existing ones only."""
    with store.database.read() as session:
        found = rows.raw(session).execute(
            "SELECT u.template_id FROM usage_events u JOIN templates t"
            " ON t.template_id = u.template_id"
            " GROUP BY u.template_id ORDER BY MAX(u.timestamp) DESC, MAX(u.rowid) DESC LIMIT ?",
            (limit,),
        )
        return [template_id for (template_id,) in found]


def recent_summaries(store: Store, limit: int = 200) -> list[domain.TemplateSummary]:
    """The recently used templates, newest use first (the list's Recent view)."""
    ids = recent_template_ids(store, limit)
    marks = ",".join("?" * len(ids))
    found = {s.templateId: s for s in _summaries(store, f"template_id IN ({marks})", tuple(ids))}
    return [found[template_id] for template_id in ids if template_id in found]


def _summaries(
    store: Store, where: str, params: tuple[Any, ...], order: str = "seq"
) -> list[domain.TemplateSummary]:
    with store.database.read() as session:
        return [summary for _, summary in rows.template_summaries(session, where, params, order)]


def palette_templates(
    store: Store, query: str, limit: int = 20, recent: int = 10
) -> list[domain.TemplateSummary]:
    """What the palette lists for ``query``: favourites (by title), then recently used
    templates (newest use first), then the rest (full-text ranked, or newest edited first
    when nothing is typed). With a query every entry matches it."""
    recent_ids = recent_template_ids(store, recent)
    if query.strip():
        candidates = store.search_templates(query, limit=max(limit * 5, 200))
    else:
        favourites = _summaries(store, "is_favorite = 1", (), "title COLLATE NOCASE")
        marks = ",".join("?" * len(recent_ids))
        used = _summaries(store, f"template_id IN ({marks})", tuple(recent_ids))
        newest = store.list_templates(limit=limit)
        candidates = favourites + used + newest
    rank = {template_id: position for position, template_id in enumerate(recent_ids)}

    def order(item: tuple[int, domain.TemplateSummary]) -> tuple[int, str, int]:
        position, summary = item
        if summary.isFavorite:
            return (0, summary.title.casefold(), position)
        if summary.templateId in rank:
            return (1, "", rank[summary.templateId])
        return (2, "", position)

    unique: dict[str, domain.TemplateSummary] = {}
    for summary in candidates:
        unique.setdefault(summary.templateId, summary)
    ranked = sorted(enumerate(unique.values()), key=order)
    return [summary for _, summary in ranked[:limit]]


def set_favourite(store: Store, template_id: str, favourite: bool) -> domain.Template:
    return store.update_template(template_id, isFavorite=favourite)


def last_values(store: Store) -> dict[str, str]:
    """The value last filled in for each variable name (device-local)."""
    with store.database.read() as session:
        value = get_setting(session, LAST_VALUES_KEY)
    return dict(value) if isinstance(value, dict) else {}


def remember_values(store: Store, values: dict[str, str]) -> None:
    """Keep ``values`` as the last ones used (empty values are not remembered)."""
    filled = {name: value for name, value in values.items() if value}
    if not filled:
        return
    with store.database.write() as session:
        current = get_setting(session, LAST_VALUES_KEY)
        merged = dict(current) if isinstance(current, dict) else {}
        for name, value in filled.items():
            merged.pop(name, None)  # re-inserted last: newest at the end
            merged[name] = value
        while len(merged) > MAX_REMEMBERED:
            merged.pop(next(iter(merged)))
        put_setting(session, LAST_VALUES_KEY, merged)
