"""Import and export: a GravyJS browser export, a Page Manager ``pages`` export, and the
app's own JSON backup (everything, losslessly).

Reading a file never writes: :func:`read_import` turns it into validated records plus
the entries it rejects and why. :meth:`desktop.store.services.Store.import_records` then
writes every valid record in one transaction (each queued for sync like any new record),
so an import is never half done.

Accepted shapes:

- GravyJS: an object with ``gravyTemplatesOffline`` (the localStorage value: a JSON string
  or the object it holds, template id -> template) and optionally ``gravySyncQueue``
  (JSON string or list of ``{action, data, timestamp}``). The newest queued ``create`` or
  ``update`` of a template wins over the stored copy; a queued ``delete`` leaves it out.
  A queued change that cannot be applied (an unknown action, no template id, a delete of a
  template the export does not hold) is reported among the rejections, never ignored.
- Page Manager: the ``pages`` localStorage value (a JSON string, a list of pages with
  their ``nodes``, or an object ``{"pages": ...}``).
- Backup: what :func:`export_all` writes (``"format": "gravy-desktop-backup"``).

Types are strict at this boundary (pydantic's strict mode): ``"yes"`` is not a boolean and
``"3"`` not a count. The only conversion is the web app's own spelling of ``isShared``, the
strings ``"true"`` / ``"false"``. A record's rejection lists every reason it has.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from desktop import domain
from desktop.domain import InvalidInput, from_ms, iso_ms, now_iso, validate
from desktop.store import order
from desktop.store.entities import ENTITIES

BACKUP_FORMAT = "gravy-desktop-backup"
BACKUP_VERSION = 1
#: Backup sections in the order they are imported (parents before children).
SECTIONS: dict[str, tuple[str, type[domain.Record]]] = {
    e.backup: (e.name, e.model) for e in ENTITIES.values() if e.backup is not None
}
#: Attributes the web apps keep that are not part of a record here (dropped on import).
_WEB_ONLY = frozenset(
    {"userId", "isOffline", "lastModified", "PK", "SK", "type", "ownerId", "version", "lastOpId"}
)


class UnreadableImport(InvalidInput):
    """The file is not something Gravy Desktop can import at all."""


@dataclass
class Rejected:
    kind: str
    name: str
    reason: str


@dataclass
class ImportPlan:
    """What a file holds: the records to import, in order, and what was rejected."""

    source: str
    records: list[tuple[str, domain.Record]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    def summary(self) -> str:
        """e.g. "3 templates, 1 page, 2 nodes" (or "nothing")."""
        return ", ".join(plural(n, entity) for entity, n in self.counts().items()) or "nothing"

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for entity, _ in self.records:
            found[entity] = found.get(entity, 0) + 1
        return found


def plural(count: int, noun: str) -> str:
    noun = noun.replace("_", " ")
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _parse(text: str, what: str) -> Any:
    """JSON text parsed, or :class:`UnreadableImport` saying plainly why it cannot be."""
    try:
        data = json.loads(text)
        # A ``\ud800`` escape decodes to a lone surrogate, which no database or file can hold.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except json.JSONDecodeError as error:
        raise UnreadableImport([f"{what} is not JSON: {error}"]) from None
    except RecursionError:
        raise UnreadableImport([f"{what} is nested too deeply to be an export"]) from None
    except UnicodeEncodeError:
        raise UnreadableImport(
            [f"{what} holds text that is not valid Unicode (an escaped lone surrogate)"]
        ) from None
    return data


def _json_value(value: Any) -> Any:
    """localStorage values are JSON strings; accept them parsed as well."""
    return _parse(value, "a value in the file") if isinstance(value, str) else value


def _name(fields: dict[str, Any]) -> str:
    """What a rejection calls a record: its title, name or id."""
    ids = [v for k, v in fields.items() if (k == "id" or k.endswith("Id")) and v]
    for value in (fields.get("title"), fields.get("name"), *ids):
        if isinstance(value, str) and value.strip():
            return value
    return "?"


def _record(
    plan: ImportPlan,
    entity: str,
    model: type[domain.Record],
    fields: dict[str, Any],
    problems: list[str] | None = None,
) -> domain.Record | None:
    """Validate ``fields`` strictly; a rejection lists ``problems`` and every other one."""
    problems = list(problems or [])
    record = None
    try:
        record = validate(model, entity, fields, strict=True)
        record.check_item_size()
    except InvalidInput as error:
        problems += error.problems
    if problems or record is None:
        plan.rejected.append(Rejected(entity, _name(fields), "; ".join(problems)))
        return None
    plan.records.append((entity, record))
    return record


def _web_template(raw: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in raw.items() if k not in _WEB_ONLY}
    if fields.get("isShared") in ("true", "false"):  # the web app's spelling
        fields["isShared"] = fields["isShared"] == "true"
    if fields.get("tags") is None:
        fields.pop("tags", None)
    # What the web app keeps that this client does not know (its ``variables`` list, say)
    # is kept as extras and written back with the item, never dropped.
    unknown = [name for name in fields if name not in domain.Template.model_fields]
    if unknown:
        kept = fields.get("extras")
        extras: dict[str, Any] = dict(kept) if isinstance(kept, dict) else {}
        fields["extras"] = extras | {name: fields.pop(name) for name in unknown}
    return fields


def _gravyjs(data: dict[str, Any]) -> ImportPlan:
    plan = ImportPlan("GravyJS browser export")
    problems = []
    stored = _json_value(data.get("gravyTemplatesOffline") or {})
    if isinstance(stored, list):
        stored = {str(t.get("templateId")): t for t in stored if isinstance(t, dict)}
    if not isinstance(stored, dict):
        problems.append("gravyTemplatesOffline must hold an object of templates")
        stored = {}
    queue = _json_value(data.get("gravySyncQueue") or [])
    if not isinstance(queue, list):
        problems.append("gravySyncQueue must hold a list")
        queue = []
    if problems:
        raise UnreadableImport(problems)
    templates: dict[str, dict[str, Any]] = {}
    for key, raw in stored.items():
        if isinstance(raw, dict):
            templates[str(key)] = raw
        else:
            plan.rejected.append(Rejected("template", str(key), "not an object"))
    entries = [e for e in queue if isinstance(e, dict)]
    if len(entries) < len(queue):
        count = len(queue) - len(entries)
        plan.rejected.append(
            Rejected("queued change", plural(count, "entry"), "not an object: nothing to apply")
        )
    for entry in sorted(entries, key=lambda e: str(e.get("timestamp", ""))):
        _queued(plan, templates, entry)
    for raw in templates.values():
        _record(plan, "template", domain.Template, _web_template(raw))
    return plan


def _queued(plan: ImportPlan, templates: dict[str, dict[str, Any]], entry: dict[str, Any]) -> None:
    """Apply one entry of the browser's offline queue to the exported templates, or say why
    it cannot be applied."""
    action, item = entry.get("action"), entry.get("data")
    template_id = item.get("templateId") if isinstance(item, dict) else None
    what = f"{action!r} of {template_id!r}" if template_id else repr(action)
    name = f"{what} queued at {entry.get('timestamp', '?')}"
    if action not in ("create", "update", "delete"):
        reason = f"unknown action {action!r} (the browser queues create, update and delete)"
    elif not isinstance(item, dict) or not isinstance(template_id, str) or not template_id:
        reason = "it names no template (data.templateId is missing)"
    elif action == "delete":
        if templates.pop(template_id, None) is not None:
            return
        reason = (
            "the export does not hold this template, so there is nothing to delete; "
            "if you have it here already, delete it yourself"
        )
    else:
        templates[template_id] = {**templates.get(template_id, {}), **item}
        return
    plan.rejected.append(Rejected("queued change", name, reason))


def _pages(pages: Any) -> ImportPlan:
    plan = ImportPlan("Page Manager export")
    if not isinstance(pages, list):
        raise UnreadableImport(["the pages value must be a list of pages"])
    stamp = now_iso()
    for raw in pages:
        if not isinstance(raw, dict):
            plan.rejected.append(Rejected("page", "?", "not an object"))
            continue
        nodes = raw.get("nodes") or []
        if not isinstance(nodes, list):
            plan.rejected.append(Rejected("node", f"the nodes of {_name(raw)}", "not a list"))
            nodes = []
        fields = {k: v for k, v in raw.items() if k not in _WEB_ONLY and k != "nodes"}
        fields.setdefault("createdAt", stamp)
        fields.setdefault("updatedAt", fields["createdAt"])
        page = _record(plan, "page", domain.Page, fields)
        if not isinstance(page, domain.Page):
            if nodes:
                plan.rejected.append(
                    Rejected(
                        "node",
                        f"{plural(len(nodes), 'node')} of {_name(raw)}",
                        "its page was rejected",
                    )
                )
            continue
        listed = [n for n in nodes if isinstance(n, dict)]
        stamps = _node_stamps([n.get("createdAt") for n in listed], page.createdAt)
        for position, (node, created) in enumerate(zip(listed, stamps, strict=True)):
            node_fields = {k: v for k, v in node.items() if k not in _WEB_ONLY}
            problems = []
            if node_fields.setdefault("pageId", page.id) != page.id:
                problems.append(
                    f"node pageId: names another page ({node_fields['pageId']!r}) "
                    f"but the node is listed in page {page.id!r}"
                )
            node_fields["position"] = position
            for name in ("prompt", "predictionId", "predictionStatus", "description"):
                if node_fields.get(name) is None:
                    node_fields.pop(name, None)
            node_fields["createdAt"] = created
            node_fields.setdefault("updatedAt", created)
            _record(plan, "node", domain.Node, node_fields, problems)
    return plan


def _node_stamps(given: list[Any], page_created: str) -> list[Any]:
    """The ``createdAt`` of a page's nodes, which is what the web app orders them by: the
    file's own when they increase in the file's order, else one millisecond apart from the
    page's, in the file's order (a Page Manager export has none; nodes sharing one would
    come out in any order)."""
    try:
        increasing = all(isinstance(s, str) for s in given) and all(
            iso_ms(a) < iso_ms(b) and a < b for a, b in pairwise(given)
        )
    except ValueError:
        increasing = False
    if increasing:
        return given
    start = iso_ms(page_created)
    return [from_ms(start + offset) for offset in range(len(given))]


def _untie_nodes(plan: ImportPlan) -> None:
    """Give nodes of one page that share a ``createdAt`` (a backup of an earlier version)
    their own milliseconds, in their order, so that the web app shows that order too."""
    last: dict[str, str] = {}
    nodes = sorted(
        ((i, r) for i, (entity, r) in enumerate(plan.records) if isinstance(r, domain.Node)),
        key=lambda found: (found[1].pageId, *order.sort_key(found[1])),
    )
    for index, node in nodes:
        previous = last.get(node.pageId)
        if previous is not None and node.createdAt <= previous:
            node = node.model_copy(update={"createdAt": order.after(previous)})
            plan.records[index] = ("node", node)
        last[node.pageId] = node.createdAt


def _backup(data: dict[str, Any]) -> ImportPlan:
    if data.get("version") != BACKUP_VERSION:
        raise UnreadableImport([f"backup version {data.get('version')!r} is not supported"])
    plan = ImportPlan("Gravy Desktop backup")
    unreadable = [
        f"{section} must hold a list"
        for section in SECTIONS
        if not isinstance(data.get(section) or [], list)
    ]
    if unreadable:
        raise UnreadableImport(unreadable)
    for section, (entity, model) in SECTIONS.items():
        for raw in data.get(section) or []:
            if isinstance(raw, dict):
                _record(plan, entity, model, raw)
            else:
                plan.rejected.append(Rejected(entity, "?", "not an object"))
    _untie_nodes(plan)
    return plan


def read_import(text: str) -> ImportPlan:
    """Parse and validate a file's text; raises :class:`UnreadableImport` for an unknown shape."""
    data = _parse(text, "the file")
    if isinstance(data, dict) and data.get("format") == BACKUP_FORMAT:
        return _backup(data)
    if isinstance(data, dict) and ("gravyTemplatesOffline" in data or "gravySyncQueue" in data):
        return _gravyjs(data)
    if isinstance(data, dict) and "pages" in data:
        return _pages(_json_value(data["pages"]))
    if isinstance(data, list):
        return _pages(data)
    raise UnreadableImport(
        [
            "the file is neither a Gravy Desktop backup, a GravyJS export "
            "(gravyTemplatesOffline / gravySyncQueue) nor a Page Manager pages export"
        ]
    )


def backup_document(sections: dict[str, list[domain.Record]]) -> dict[str, Any]:
    """The backup file's content for the given records (by section name)."""
    document: dict[str, Any] = {
        "format": BACKUP_FORMAT,
        "version": BACKUP_VERSION,
        "exportedAt": now_iso(),
    }
    for section in SECTIONS:
        document[section] = [record.model_dump() for record in sections.get(section, [])]
    return document


def write_backup(path: Path, sections: dict[str, list[domain.Record]]) -> dict[str, int]:
    """Write a backup to ``path`` (whole or not at all: a crash mid-write leaves only a
    ``.partial`` file beside it); returns how many records each section holds."""
    document = backup_document(sections)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
    partial.replace(path)
    return {name: len(document[name]) for name in SECTIONS}
