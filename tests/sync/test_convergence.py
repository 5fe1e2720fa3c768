"""Two devices editing 50 shared templates at random, with offline periods and syncs
interleaved at random, plus the web app as a third writer (``tests/webapp.py``, the seed's
own calls: creates, edits, deletes, uses, versions, pages with nodes): they converge to
the server's state, and no edit is lost silently (DESIGN.md reliability bar "two devices").

The audit: every edit writes a unique token (``zq<n>x``) into a title, a paragraph or a
tag. A token may be missing at the end only if a user removed it knowingly: by an edit
or delete on a device whose copy contained it, or by resolving a conflict in which it
was shown. Anything else missing was lost silently, and fails the test.
"""

from __future__ import annotations

import os
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from desktop.store.services import NotFound, Store
from desktop.sync.codec import CODECS
from desktop.sync.push import EngineState
from desktop.sync.resolution import Resolution, get_conflict, list_conflicts, resolve
from tests.fault_proxy import FaultProxy
from tests.sync.conftest import USER, Device, DeviceFactory, Server
from tests.webapp import PageManagerService, TemplateService, new_page

pytestmark = [pytest.mark.dynamodb, pytest.mark.slow]

TOKEN = re.compile(r"zq\d+x")
PARAGRAPHS = 5
RECORDS = 50
OPERATIONS = 600


def tokens(value: Any) -> set[str]:
    return set(TOKEN.findall(repr(value)))


@dataclass
class Audit:
    next_token: int = 0
    written: set[str] = field(default_factory=set)
    removed_knowingly: set[str] = field(default_factory=set)
    uses: Counter[str] = field(default_factory=Counter)
    deleted: set[str] = field(default_factory=set)  # ever deleted by someone: counts vary
    conflicts_seen: int = 0
    resolutions: Counter[str] = field(default_factory=Counter)
    web: Counter[str] = field(default_factory=Counter)  # the web app's writes, by kind
    pages: dict[str, list[str]] = field(default_factory=dict)  # the web's pages: node ids

    def token(self) -> str:
        self.next_token += 1
        token = f"zq{self.next_token}x"
        self.written.add(token)
        return token


def state(store: Store, template_id: str) -> dict[str, Any] | None:
    try:
        return store.get_template(template_id).model_dump()
    except NotFound:
        return None


def templates(store: Store) -> dict[str, dict[str, Any]]:
    found = {}
    for summary in store.list_templates():
        template = store.get_template(summary.templateId).model_dump()
        found[summary.templateId] = _comparable(template)
    return found


def _comparable(template: dict[str, Any]) -> dict[str, Any]:
    return {
        name: template[name]
        for name in ("title", "content", "tags", "category", "usageCount", "description")
    }


def server_templates(server: Server) -> dict[str, dict[str, Any]]:
    return {
        item["templateId"]: _comparable(CODECS["template"].decode(item))
        for item in server.scan("GravyTemplates")
        if item["userId"] == USER
    }


def user_edit(rng: random.Random, device: Device, audit: Audit, ids: list[str]) -> None:
    """One edit by the writer at ``device``, recorded in the audit."""
    store = device.store
    roll = rng.random()
    if roll < 0.03:
        created = store.create_template(
            f"New {audit.token()}", content=_content([audit.token() for _ in range(PARAGRAPHS)])
        )
        ids.append(created.templateId)
        return
    local = [i for i in ids if state(store, i) is not None]
    if not local:
        return
    template_id = rng.choice(local)
    before = state(store, template_id)
    assert before is not None
    if roll < 0.05:
        store.delete_template(template_id)
        audit.deleted.add(template_id)
    elif roll < 0.25:
        store.update_template(template_id, title=f"Title {audit.token()}")
    elif roll < 0.65:
        paragraphs = _paragraphs(before["content"])
        paragraphs[rng.randrange(len(paragraphs))] = f"<p>Para {audit.token()}</p>"
        store.update_template(template_id, content="".join(paragraphs))
    elif roll < 0.8:
        tags = list(before["tags"])
        if len(tags) >= 6 or (tags and rng.random() < 0.4):
            tags.remove(rng.choice(tags))
        else:
            tags.append(audit.token())
        store.update_template(template_id, tags=tags)
    else:
        store.record_use(template_id)
        audit.uses[template_id] += 1
    after = state(store, template_id)
    audit.removed_knowingly |= tokens(before) - tokens(after)


def _content(words: list[str]) -> str:
    return "".join(f"<p>Para {word}</p>" for word in words)


def _paragraphs(content: str) -> list[str]:
    found = re.findall(r"<p>.*?</p>", content)
    return found or ["<p></p>"]


def web_write(
    rng: random.Random,
    webapp: TemplateService,
    pages: PageManagerService,
    audit: Audit,
    ids: list[str],
) -> None:
    """One write by the web app, as the seeds make it (no version, no condition)."""
    roll = rng.random()
    if roll < 0.08:
        item = webapp.create_template(
            {
                "userId": USER,
                "title": f"Web {audit.token()}",
                "description": "",
                "content": _content([audit.token() for _ in range(PARAGRAPHS)]),
                "category": "web",  # an empty string is no index key: DynamoDB refuses it
                "tags": [audit.token()],
                "isShared": "false",
                "usageCount": 0,
                "variables": [{"name": "name"}],
            }
        )
        ids.append(str(item["templateId"]))
        audit.web["create"] += 1
        return
    if roll < 0.12:
        page = new_page(f"Web page {len(audit.pages)}", is_published=rng.random() < 0.5)
        page["nodes"] = [
            {"id": f"{page['id']}-n{n}", "pageId": page["id"], "title": f"Node {n}"}
            for n in range(rng.randint(0, 3))
        ]
        pages.migrate_to_dynamodb([page])
        audit.pages[page["id"]] = [node["id"] for node in page["nodes"]]
        audit.web["page"] += 1
        return
    for _ in range(5):  # a template the web app can see (it reads the server)
        template_id = rng.choice(ids)
        before = webapp.get_template(USER, template_id)
        if before is not None:
            break
    else:
        return
    if roll < 0.2:
        webapp.delete_template(USER, template_id)
        audit.deleted.add(template_id)
        kind = "delete"
    elif roll < 0.35:
        webapp.update_template(USER, template_id, {"title": f"Web title {audit.token()}"})
        kind = "edit"
    elif roll < 0.65:
        paragraphs = _paragraphs(str(before.get("content", "")))
        paragraphs[rng.randrange(len(paragraphs))] = f"<p>Web {audit.token()}</p>"
        webapp.update_template(USER, template_id, {"content": "".join(paragraphs)})
        kind = "edit"
    elif roll < 0.75:
        tags = [str(t) for t in before.get("tags") or []]
        if tags and rng.random() < 0.4:
            tags.remove(rng.choice(tags))
        else:
            tags.append(audit.token())
        webapp.update_template(USER, template_id, {"tags": tags})
        kind = "edit"
    elif roll < 0.9:
        webapp.track_template_usage(USER, template_id)
        audit.uses[template_id] += 1
        kind = "use"
    else:
        webapp.create_template_version(USER, template_id, str(before.get("content", "")), "web")
        kind = "version"
    audit.web[kind] += 1
    audit.removed_knowingly |= tokens(before) - tokens(webapp.get_template(USER, template_id))


def resolve_some(rng: random.Random, device: Device, audit: Audit, share: float = 0.5) -> None:
    """The writer settles some of the conflicts shown (all of them with share=1)."""
    for listed in list_conflicts(device.store):
        if rng.random() > share:
            continue
        conflict = get_conflict(device.store, listed.entry_id)
        shown = tokens(conflict.mine) | tokens(conflict.theirs)
        how = rng.choice(list(Resolution))
        text = None
        if how == Resolution.MERGED:
            if conflict.mine is None or conflict.theirs is None or conflict.fields != ["content"]:
                how = Resolution.MINE
            else:
                # Both texts, each paragraph once (as a writer would merge them).
                mine_paragraphs = _paragraphs(conflict.mine["content"])
                text = "".join(
                    mine_paragraphs
                    + [
                        p
                        for p in _paragraphs(conflict.theirs["content"])
                        if p not in mine_paragraphs
                    ]
                )
        result = resolve(device.store, conflict.entry_id, how, merged_text=text)
        audit.removed_knowingly |= shown - tokens(result)
        audit.resolutions[str(how)] += 1


def test_two_devices_converge_and_no_edit_is_lost_silently(
    device_for: DeviceFactory,
    server: Server,
    proxy: FaultProxy,
    webapp: TemplateService,
    pagemanager: PageManagerService,
) -> None:
    rng = random.Random(int(os.environ.get("GRAVY_CONVERGENCE_SEED", "20261123")))
    audit = Audit()
    ann = device_for("ann")
    bob = device_for("bob", endpoint_url=proxy.endpoint_url)  # bob's network can drop
    devices = {"ann": ann, "bob": bob}
    ids = [
        ann.store.create_template(
            f"Shared {audit.token()}",
            content=_content([audit.token() for _ in range(PARAGRAPHS)]),
            tags=[audit.token()],
        ).templateId
        for _ in range(RECORDS)
    ]
    ann.sync()
    bob.sync()
    offline = {"ann": False, "bob": False}
    cycles = Counter[str]()
    edits = 0
    while edits < OPERATIONS:
        name = rng.choice(("ann", "bob"))
        device = devices[name]
        roll = rng.random()
        if roll < 0.04:
            offline[name] = not offline[name]
            if name == "bob":  # a real outage for bob: every request fails
                proxy.rate, proxy.modes = (1.0 if offline[name] else 0.0), ("reset",)
        elif roll < 0.22:
            if offline[name] and name == "ann":
                continue  # ann's outage: she does not even try
            report = device.engine.run_once(full=rng.random() < 0.15)
            cycles[str(report.state)] += 1
            if report.ok:
                audit.conflicts_seen += report.pull.conflicts + report.push.conflicts
                resolve_some(rng, device, audit)
            else:
                assert report.state == EngineState.TRANSIENT and offline[name]
        elif roll < 0.30:
            web_write(rng, webapp, pagemanager, audit, ids)
        else:
            user_edit(rng, device, audit, ids)
            edits += 1

    # Everyone back online; sync and settle every conflict until nothing is left to do.
    proxy.rate = 0.0
    for _ in range(10):
        quiet = True  # a whole round in which nobody sent or met anything
        for device in (ann, bob):
            report = device.sync(full=True)
            audit.conflicts_seen += report.pull.conflicts + report.push.conflicts
            quiet = quiet and report.push.sent == 0 and report.pull.conflicts == 0
            resolve_some(rng, device, audit, share=1.0)
        if quiet and all(sum(d.store.queue_counts().values()) == 0 for d in (ann, bob)):
            break
    for device in (ann, bob):
        left = [
            (e.entity, e.op, e.state, e.last_error_code, e.last_error_message)
            for e in device.store.queue_entries(None)
        ]
        assert not left, left

    final = server_templates(server)
    for device in (ann, bob):
        mine = templates(device.store)
        differing = {
            key: {
                name: (value, (final.get(key) or {}).get(name))
                for name, value in (mine.get(key) or {}).items()
                if value != (final.get(key) or {}).get(name)
            }
            or (mine.get(key), final.get(key))
            for key in set(mine) | set(final)
            if mine.get(key) != final.get(key)
        }
        assert not differing, differing
    present = tokens(final)
    lost = audit.written - present - audit.removed_knowingly
    assert not lost, f"{len(lost)} edits lost silently: {sorted(lost)[:10]}"
    for template_id, count in audit.uses.items():
        if template_id not in audit.deleted and template_id in final:
            assert final[template_id]["usageCount"] == count, template_id
    for device in (ann, bob):  # the web app's pages and nodes arrived everywhere
        for page_id, node_ids in audit.pages.items():
            assert sorted(n.id for n in device.store.nodes(page_id)) == sorted(node_ids)

    # The run must have exercised what it claims to.
    assert edits >= 500 and len(ids) >= RECORDS
    assert audit.conflicts_seen > 0 and sum(audit.resolutions.values()) > 0
    assert cycles[str(EngineState.TRANSIENT)] > 0, "bob never synced during an outage"
    assert len(present & audit.written) > 100
    assert all(audit.web[kind] > 0 for kind in ("create", "edit", "delete", "use", "version"))
    assert audit.pages
    print(
        f"edits={edits} records={len(ids)} final={len(final)} tokens={len(audit.written)} "
        f"present={len(present)} removed_knowingly={len(audit.removed_knowingly)} "
        f"conflicts={audit.conflicts_seen} resolutions={dict(audit.resolutions)} "
        f"cycles={dict(cycles)} uses={sum(audit.uses.values())} web={dict(audit.web)}"
    )
