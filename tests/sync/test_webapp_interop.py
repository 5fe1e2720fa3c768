"""The interop matrix (issue 11): each web-app operation (``tests/webapp.py``, the seeds'
calls as written) x each state of the record on this device x when the web write lands
(before the device's pull, or between its pull and its push). Expected for each: the web's
write is applied here, merged with this device's queued change, or a conflict the writer
sees; this device's queued change reaches the server or is in that conflict. Never a
silent loss of either."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from desktop.store.outbox import State
from desktop.store.services import NotFound
from desktop.sync.resolution import list_conflicts
from tests.sync.conftest import USER, Device, DeviceFactory, Server
from tests.webapp import PageManagerService, TemplateService, new_page

pytestmark = pytest.mark.dynamodb

BASE = "<p>Dear [[name]],</p><p>Thank you for applying.</p><p>Best regards</p>"
DESKTOP_TEXT = "Hello from the desktop"
WEB_TEXT = "Kind regards from the web"

OPERATIONS = ("edit", "delete", "use", "version", "share", "duplicate")
STATES = (
    "never synced",  # the web app made it; this device has not pulled it yet
    "synced",  # the web app made it (no version); pulled here, nothing queued
    "created here",  # this device made it and pushed it (it has a version)
    "edited offline (web-made)",
    "edited offline (desktop-made)",
    "deleted offline (web-made)",
    "deleted offline (desktop-made)",
)
TIMINGS = ("before the pull", "between pull and push")
#: The only cells where the writer must decide: a delete against an edit, either way round.
CONFLICTS = {
    ("edit", "deleted offline (web-made)"),
    ("edit", "deleted offline (desktop-made)"),
    ("delete", "edited offline (web-made)"),
    ("delete", "edited offline (desktop-made)"),
}


def web_made(webapp: TemplateService) -> str:
    item = webapp.create_template(
        {
            "userId": USER,
            "title": "Offer",
            "description": "",
            "content": BASE,
            "category": "letters",
            "tags": ["hr"],
            "isShared": "false",
            "usageCount": 0,
            "variables": [{"name": "name"}],
        }
    )
    return str(item["templateId"])


def prepare(state: str, ann: Device, webapp: TemplateService) -> str:
    """The record in ``state`` on ann's device; returns its id."""
    if "desktop-made" in state or state == "created here":
        tid = ann.store.create_template(
            "Offer", content=BASE, category="letters", tags=["hr"]
        ).templateId
    else:
        tid = web_made(webapp)
    if state != "never synced":
        ann.sync()
    if state.startswith("edited offline"):
        ann.store.update_template(tid, content=BASE.replace("Dear", DESKTOP_TEXT))
    if state.startswith("deleted offline"):
        ann.store.delete_template(tid)
    return tid


def web_operation(op: str, tid: str, webapp: TemplateService) -> dict[str, Any]:
    """Run one seed operation on the template; returns what it made, for the checks."""
    if op == "edit":
        current = webapp.get_template(USER, tid)
        assert current is not None
        content = str(current["content"]).replace("Best regards", WEB_TEXT)
        webapp.update_template(USER, tid, {"content": content})
        return {}
    if op == "delete":
        webapp.delete_template(USER, tid)
        return {}
    if op == "use":
        webapp.track_template_usage(USER, tid)
        return {}
    if op == "version":
        return {"versionId": webapp.create_template_version(USER, tid, BASE, "web snapshot")}
    if op == "share":
        webapp.share_template(USER, tid, ["bob@example.com"])
        return {}
    copy = webapp.duplicate_template(USER, tid)
    return {"copy": copy["templateId"]}


def local(ann: Device, tid: str) -> dict[str, Any] | None:
    try:
        return ann.store.get_template(tid).model_dump()
    except NotFound:
        return None


@pytest.mark.parametrize("timing", TIMINGS)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("op", OPERATIONS)
def test_every_web_operation_meets_every_state_without_a_silent_loss(
    op: str,
    state: str,
    timing: str,
    webapp: TemplateService,
    device_for: DeviceFactory,
    server: Server,
) -> None:
    ann = device_for("ann")
    tid = prepare(state, ann, webapp)
    if timing == "before the pull":
        made = web_operation(op, tid, webapp)
        ann.engine.run_once(False)
    else:
        ann.engine.puller.pull(False)
        made = web_operation(op, tid, webapp)
        ann.engine.pusher.drain()
    ann.sync(full=True)  # finds what a delta cannot see (deletions, ADD usageCount)
    ann.sync(full=True)

    item = server.get("GravyTemplates", userId=USER, templateId=tid)
    mine = local(ann, tid)
    conflicts = list_conflicts(ann.store)
    expected_conflict = (op, state) in CONFLICTS
    assert (len(conflicts) == 1) is expected_conflict, [c.message for c in conflicts]
    assert ann.store.queue_counts()[State.FAILED] == 0
    if expected_conflict:
        (conflict,) = conflicts
        if op == "edit":  # the web's text, against this device's delete: both in view
            assert conflict.mine is None and conflict.theirs is not None
            assert WEB_TEXT in conflict.theirs["content"]
        else:  # the web's delete, against this device's edit
            assert conflict.theirs is None and conflict.mine is not None
            assert DESKTOP_TEXT in conflict.mine["content"]
        return

    # No conflict: this device and the server agree.
    if item is None:
        assert mine is None
    else:
        assert mine is not None
        for name in ("title", "content", "category", "tags", "usageCount", "latestVersion"):
            assert mine[name] == item.get(name, mine[name] if name == "latestVersion" else None)
    # The web's write arrived (or was knowingly undone by this device's delete).
    deleted_here = state.startswith("deleted offline")
    check: dict[str, Callable[[], None]] = {
        "edit": lambda: _has(mine, WEB_TEXT),
        "delete": lambda: _gone(mine, item),
        "use": lambda: _gone(mine, item) if deleted_here else _used(mine, item),
        "version": lambda: _gone(mine, item) if deleted_here else _versioned(ann, tid, made),
        "share": lambda: _shared(ann, tid),
        "duplicate": lambda: _copied(ann, made),
    }
    check[op]()
    # This device's queued change reached the server.
    if state.startswith("edited offline") and op != "delete":
        assert item is not None and DESKTOP_TEXT in item["content"]
    if deleted_here:
        assert item is None and mine is None


def _has(mine: dict[str, Any] | None, text: str) -> None:
    assert mine is not None and text in mine["content"]


def _gone(mine: dict[str, Any] | None, item: dict[str, Any] | None) -> None:
    assert mine is None and item is None


def _used(mine: dict[str, Any] | None, item: dict[str, Any] | None) -> None:
    assert item is not None and item["usageCount"] == 1
    assert mine is not None and mine["usageCount"] == 1


def _versioned(ann: Device, tid: str, made: dict[str, Any]) -> None:
    versions = {v.versionId: v for v in ann.store.versions(tid)}
    assert made["versionId"] in versions
    assert ann.store.get_template(tid).latestVersion == made["versionId"]


def _shared(ann: Device, tid: str) -> None:
    assert [s.sharedWithUserId for s in ann.store.shares(tid)] == ["bob@example.com"]


def _copied(ann: Device, made: dict[str, Any]) -> None:
    copy = ann.store.get_template(made["copy"])
    assert copy.title == "Copy of Offer" and copy.usageCount == 0


@pytest.mark.parametrize("timing", TIMINGS)
def test_the_page_managers_pages_and_nodes_arrive_with_their_unknown_attributes(
    timing: str, pagemanager: PageManagerService, device_for: DeviceFactory, server: Server
) -> None:
    """Seed 002's migration script (published as a number; the seed's boolean is refused
    by the index, see test_webapp.py) against a device with a page of its own edited
    offline: both arrive, the page's ``nodes`` list is kept, nothing is lost."""
    ann = device_for("ann")
    mine = ann.store.create_page("Desktop page")
    ann.sync()
    ann.store.update_page(mine.id, title="Desktop page, renamed offline")
    page = new_page("Web page", is_published=True)
    page["nodes"] = [
        {"id": "node-w1", "pageId": page["id"], "title": "First", "description": "one"},
        {"id": "node-w2", "pageId": page["id"], "title": "Second", "description": "two"},
    ]
    if timing == "before the pull":
        pagemanager.migrate_to_dynamodb([page])
        ann.engine.run_once(False)
    else:
        ann.engine.puller.pull(False)
        pagemanager.migrate_to_dynamodb([page])
        ann.engine.pusher.drain()
    ann.sync(full=True)

    web = ann.store.get_page(page["id"])
    assert web.title == "Web page" and web.isPublished
    assert web.extras["nodes"] == page["nodes"]
    assert sorted(n.id for n in ann.store.nodes(page["id"])) == ["node-w1", "node-w2"]
    item = server.get("PageManager", PK=f"PAGE#{mine.id}", SK="META#")
    assert item is not None and item["title"] == "Desktop page, renamed offline"
    assert list_conflicts(ann.store) == []
