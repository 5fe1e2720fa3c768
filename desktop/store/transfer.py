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
- Page Manager: the ``pages`` localStorage value (a JSON string, a list of pages with
  their ``nodes``, or an object ``{"pages": ...}``).
- Backup: what :func:`export_all` writes (``"format": "gravy-desktop-backup"``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop import domain
from desktop.domain import InvalidInput, now_iso, validated

BACKUP_FORMAT = "gravy-desktop-backup"
BACKUP_VERSION = 1
#: Backup sections in the order they are imported (parents before children).
SECTIONS: dict[str, tuple[str, type[domain.Record]]] = {
    "templates": ("template", domain.Template),
    "versions": ("version", domain.TemplateVersion),
    "snippets": ("snippet", domain.Snippet),
    "presets": ("preset", domain.VariablePreset),
    "pages": ("page", domain.Page),
    "nodes": ("node", domain.Node),
    "usageEvents": ("usage_event", domain.UsageEvent),
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


def _json_value(value: Any) -> Any:
    """localStorage values are JSON strings; accept them parsed as well."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            raise UnreadableImport([f"a value in the file is not valid JSON: {error}"]) from None
    return value


def _record(
    plan: ImportPlan, entity: str, model: type[domain.Record], fields: dict[str, Any]
) -> domain.Record | None:
    ids = [str(v) for k, v in fields.items() if (k == "id" or k.endswith("Id")) and v]
    name = str(fields.get("title") or fields.get("name") or (ids[0] if ids else "?"))
    try:
        record = validated(model, entity, **fields)
        record.check_item_size()
    except InvalidInput as error:
        plan.rejected.append(Rejected(entity, name, "; ".join(error.problems)))
        return None
    plan.records.append((entity, record))
    return record


def _web_template(raw: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in raw.items() if k not in _WEB_ONLY}
    if isinstance(fields.get("isShared"), str):
        fields["isShared"] = fields["isShared"] == "true"
    if fields.get("tags") is None:
        fields.pop("tags", None)
    return fields


def _gravyjs(data: dict[str, Any]) -> ImportPlan:
    plan = ImportPlan("GravyJS browser export")
    stored = _json_value(data.get("gravyTemplatesOffline") or {})
    if isinstance(stored, list):
        stored = {str(t.get("templateId")): t for t in stored if isinstance(t, dict)}
    if not isinstance(stored, dict):
        raise UnreadableImport(["gravyTemplatesOffline must hold an object of templates"])
    templates: dict[str, dict[str, Any]] = {
        str(k): v for k, v in stored.items() if isinstance(v, dict)
    }
    queue = _json_value(data.get("gravySyncQueue") or [])
    if not isinstance(queue, list):
        raise UnreadableImport(["gravySyncQueue must hold a list"])
    for entry in sorted(
        (e for e in queue if isinstance(e, dict)), key=lambda e: str(e.get("timestamp", ""))
    ):
        item = entry.get("data") or {}
        template_id = str(item.get("templateId", ""))
        if not template_id:
            continue
        if entry.get("action") == "delete":
            templates.pop(template_id, None)
        elif entry.get("action") in ("create", "update"):
            templates[template_id] = {**templates.get(template_id, {}), **item}
    for raw in templates.values():
        _record(plan, "template", domain.Template, _web_template(raw))
    return plan


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
        fields = {k: v for k, v in raw.items() if k not in _WEB_ONLY and k != "nodes"}
        fields.setdefault("createdAt", stamp)
        fields.setdefault("updatedAt", fields["createdAt"])
        page = _record(plan, "page", domain.Page, fields)
        if not isinstance(page, domain.Page):
            if nodes:
                title = str(raw.get("title") or raw.get("id") or "?")
                plan.rejected.append(
                    Rejected(
                        "node", f"{plural(len(nodes), 'node')} of {title}", "its page was rejected"
                    )
                )
            continue
        for position, node in enumerate(n for n in nodes if isinstance(n, dict)):
            node_fields = {k: v for k, v in node.items() if k not in _WEB_ONLY}
            node_fields["pageId"] = page.id  # the nodes belong to the page they are in
            node_fields["position"] = position
            for name in ("prompt", "predictionId", "predictionStatus", "description"):
                if node_fields.get(name) is None:
                    node_fields.pop(name, None)
            node_fields.setdefault("createdAt", fields["createdAt"])
            node_fields.setdefault("updatedAt", node_fields["createdAt"])
            _record(plan, "node", domain.Node, node_fields)
    return plan


def _backup(data: dict[str, Any]) -> ImportPlan:
    if data.get("version") != BACKUP_VERSION:
        raise UnreadableImport([f"backup version {data.get('version')!r} is not supported"])
    plan = ImportPlan("Gravy Desktop backup")
    for section, (entity, model) in SECTIONS.items():
        for raw in data.get(section) or []:
            if isinstance(raw, dict):
                _record(plan, entity, model, raw)
            else:
                plan.rejected.append(Rejected(entity, "?", "not an object"))
    return plan


def read_import(text: str) -> ImportPlan:
    """Parse and validate a file's text; raises :class:`UnreadableImport` for an unknown shape."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableImport([f"the file is not JSON: {error}"]) from None
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
