"""The seeds' web apps (``tests/webapp.py``) against the tables ``tables create`` makes:
every write they do succeeds, and what they write reaches the desktop (invariant 13)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from desktop.domain import InvalidInput
from desktop.store.outbox import State
from desktop.store.services import NotFound
from desktop.sync.resolution import Resolution, list_conflicts, resolve
from tests.sync.conftest import USER, DeviceFactory, Server
from tests.webapp import PageManagerService, TemplateService, new_page

pytestmark = pytest.mark.dynamodb


def web_template(webapp: TemplateService, title: str = "From the browser") -> str:
    item = webapp.create_template(
        {
            "userId": USER,
            "title": title,
            "description": "made in the browser",
            "content": "<p>Hello [[name]]</p>",
            "category": "web",
            "tags": ["a", "b"],
            "isShared": "true",
            "usageCount": 0,
        }
    )
    return str(item["templateId"])


def test_the_template_services_reads_and_writes_work_on_the_desktops_tables(
    webapp: TemplateService, server: Server
) -> None:
    tid = web_template(webapp)
    webapp.update_template(USER, tid, {"content": "<p>Edited</p>"})
    copy = webapp.duplicate_template(USER, tid)
    webapp.track_template_usage(USER, tid)
    webapp.track_template_usage(USER, tid)

    found = webapp.search_templates(USER, query="browser", category="web")["Items"]
    assert {i["templateId"] for i in found} == {tid, copy["templateId"]}
    assert [i["templateId"] for i in webapp.get_trending_templates()["Items"]] == [tid]
    item = server.get("GravyTemplates", userId=USER, templateId=tid)
    assert item is not None
    assert (item["content"], item["usageCount"], item["isShared"]) == ("<p>Edited</p>", 2, "true")
    assert "version" not in item
    assert copy["title"] == "Copy of From the browser" and copy["isShared"] == "false"
    assert len(server.scan("GravyAnalytics")) == 2
    webapp.delete_template(USER, copy["templateId"])
    assert server.get("GravyTemplates", userId=USER, templateId=copy["templateId"]) is None


def test_the_page_managers_writes_work_with_published_as_a_number(
    pagemanager: PageManagerService,
) -> None:
    page = new_page("Web page", is_published=True)
    page["nodes"] = [
        {"id": "node-a", "pageId": page["id"], "title": "A", "description": "first"},
        {"id": "node-b", "pageId": page["id"], "title": "B", "description": "", "prompt": "cat"},
    ]
    pagemanager.migrate_to_dynamodb([page])
    stored = pagemanager.get_page(page["id"])
    assert stored is not None and stored["isPublished"] == 1 and stored["type"] == "page"
    assert len(stored["nodes"]) == 2  # the seed writes the page's node list into the page
    assert [n["id"] for n in pagemanager.get_page_nodes(page["id"])] == ["node-a", "node-b"]


def test_the_seeds_boolean_is_published_is_refused_by_the_published_index(
    pagemanager: PageManagerService,
) -> None:
    """The known seed bug, ported faithfully: a GSI key must be S, N or B."""
    seed = PageManagerService(
        pagemanager.resource, pagemanager.table.name.removesuffix("PageManager")
    )
    with pytest.raises(ClientError, match="Invalid attribute value type"):
        seed.create_page(new_page("Seed page", is_published=False))


def test_a_web_template_and_its_counter_arrive_on_the_desktop(
    webapp: TemplateService, device_for: DeviceFactory
) -> None:
    ann = device_for("ann")
    tid = web_template(webapp)
    ann.sync()
    webapp.track_template_usage(USER, tid)  # ADD leaves updatedAt alone: a delta cannot see it
    ann.sync(full=True)
    template = ann.store.get_template(tid)
    assert (template.title, template.isShared, template.usageCount) == (
        "From the browser",
        True,
        1,
    )


BASE = "<p>Dear [[name]],</p><p>Thank you for applying.</p><p>Best regards</p>"


@pytest.mark.parametrize("timing", ["before the pull", "between pull and push"])
def test_a_web_edit_of_a_desktop_template_is_merged_never_overwritten(
    webapp: TemplateService, device_for: DeviceFactory, server: Server, timing: str
) -> None:
    """Defect 1: the item has a ``version`` (the desktop made it); the web's edit sets
    ``updatedAt`` only. The desktop's edit must merge with it, not overwrite it."""
    ann = device_for("ann")
    tid = ann.store.create_template("Offer", content=BASE).templateId
    ann.sync()
    ann.store.update_template(tid, content=BASE.replace("Dear", "Hello"))
    web_content = BASE.replace("Best regards", "Kind regards")
    if timing == "before the pull":
        webapp.update_template(USER, tid, {"content": web_content})
        ann.sync()
    else:
        ann.engine.puller.pull()
        webapp.update_template(USER, tid, {"content": web_content})
        ann.engine.pusher.drain()
    ann.sync()
    expected = "<p>Hello [[name]],</p><p>Thank you for applying.</p><p>Kind regards</p>"
    item = server.get("GravyTemplates", userId=USER, templateId=tid)
    assert item is not None and item["content"] == expected
    assert ann.store.get_template(tid).content == expected


@pytest.mark.parametrize("timing", ["before the pull", "between pull and push"])
def test_a_desktop_delete_of_a_web_edited_template_is_a_conflict(
    webapp: TemplateService, device_for: DeviceFactory, server: Server, timing: str
) -> None:
    """Defect 2: deleting here what the web app edited since is a conflict, not a loss."""
    ann = device_for("ann")
    tid = ann.store.create_template("Offer", content=BASE).templateId
    ann.sync()
    ann.store.delete_template(tid)
    if timing == "before the pull":
        webapp.update_template(USER, tid, {"content": "<p>Rewritten on the web</p>"})
        ann.sync()
    else:
        ann.engine.puller.pull()
        webapp.update_template(USER, tid, {"content": "<p>Rewritten on the web</p>"})
        ann.engine.pusher.drain()
    item = server.get("GravyTemplates", userId=USER, templateId=tid)
    assert item is not None and item["content"] == "<p>Rewritten on the web</p>"
    assert ann.store.queue_counts()[State.CONFLICT] == 1
    (conflict,) = list_conflicts(ann.store)
    assert conflict.mine is None and conflict.theirs is not None
    assert conflict.theirs["content"] == "<p>Rewritten on the web</p>"


def test_the_web_apps_versions_and_shares_are_stored_and_arrive_on_the_desktop(
    webapp: TemplateService, device_for: DeviceFactory, server: Server
) -> None:
    """Defect 4: seed 000's createTemplateVersion and shareTemplate, as written, against the
    tables ``tables create`` makes; what they write arrives (shares for their owner)."""
    ann = device_for("ann")
    tid = ann.store.create_template("Offer", content=BASE).templateId
    ann.sync()
    version_id = webapp.create_template_version(USER, tid, "<p>Web text</p>", "web edit")
    webapp.share_template(USER, tid, ["bob@example.com", "cy@example.com"])
    assert webapp.get_shared_templates("bob@example.com") == [tid]
    item = server.get("GravyTemplateVersions", userId=USER, versionId=version_id)
    assert item is not None and "updatedAt" not in item

    ann.sync()  # a delta: the version by createdAt, the shares by sharedByUserId
    versions = {v.versionId: v for v in ann.store.versions(tid)}
    assert versions[version_id].content == "<p>Web text</p>"
    assert versions[version_id].changes == "web edit"
    assert ann.store.get_template(tid).latestVersion == version_id
    shares = ann.store.shares(tid)
    assert [(s.sharedWithUserId, s.permissions) for s in shares] == [
        ("bob@example.com", "read"),
        ("cy@example.com", "read"),
    ]
    bob = device_for("bob")  # a first pull reads them in full
    bob.sync()
    assert [s.sharedWithUserId for s in bob.store.shares(tid)] == [
        "bob@example.com",
        "cy@example.com",
    ]


def test_a_desktop_edit_after_a_web_version_merges_and_keeps_the_version(
    webapp: TemplateService, device_for: DeviceFactory, server: Server
) -> None:
    """The web's createTemplateVersion sets updatedAt: the desktop's queued edit is refused,
    merged with it (latestVersion is the web's) and sent again."""
    ann = device_for("ann")
    tid = ann.store.create_template("Offer", content=BASE).templateId
    ann.sync()
    ann.store.update_template(tid, title="Offer letter")
    ann.engine.puller.pull()
    version_id = webapp.create_template_version(USER, tid, BASE, "web snapshot")
    ann.engine.pusher.drain()
    item = server.get("GravyTemplates", userId=USER, templateId=tid)
    assert item is not None and item["title"] == "Offer letter"
    assert item["latestVersion"] == version_id
    assert ann.store.queue_counts()[State.CONFLICT] == 0


LONG_TITLE = "A title the web app allows " + "x" * 273  # 300 characters
MANY_TAGS = [f"tag{n}" for n in range(25)]
VARIABLES = [{"name": "name", "defaultValue": "Ann"}, {"name": "date", "type": "date"}]


def beyond_limits_template(webapp: TemplateService) -> str:
    item = webapp.create_template(
        {
            "userId": USER,
            "title": LONG_TITLE,
            "description": "",
            "content": BASE,
            "category": "web",
            "tags": MANY_TAGS,
            "isShared": "false",
            "usageCount": 0,
            "variables": VARIABLES,  # the web app's own attribute: unknown here
        }
    )
    return str(item["templateId"])


def test_a_web_template_beyond_the_desktops_limits_arrives_whole_and_stays_whole(
    webapp: TemplateService, device_for: DeviceFactory, server: Server
) -> None:
    """Defect 3: a 300-character title and 25 tags (and the unknown ``variables``) arrive
    and are kept; editing another field saves and syncs without touching them."""
    ann = device_for("ann")
    ann.sync()  # the checkpoint: what follows arrives by delta
    tid = beyond_limits_template(webapp)
    report = ann.sync()
    assert report.pull.skipped == 0
    template = ann.store.get_template(tid)
    assert (template.title, template.tags) == (LONG_TITLE, MANY_TAGS)
    assert template.extras == {"variables": VARIABLES}
    assert "Title, tags kept as the server has them" in ann.store.server_note(template)

    ann.store.update_template(tid, content=BASE.replace("Dear", "Hello"))  # still saves
    ann.sync()
    item = server.get("GravyTemplates", userId=USER, templateId=tid)
    assert item is not None
    assert (item["title"], item["tags"], item["variables"]) == (LONG_TITLE, MANY_TAGS, VARIABLES)
    assert item["content"] == BASE.replace("Dear", "Hello")

    with pytest.raises(InvalidInput, match="at most 200 characters"):
        ann.store.update_template(tid, title=LONG_TITLE + "!")  # a change must fit
    ann.store.update_template(tid, title="Offer letter")
    assert "Tags kept as the server has it" in ann.store.server_note(ann.store.get_template(tid))
    ann.sync()
    item = server.get("GravyTemplates", userId=USER, templateId=tid)
    assert item is not None and item["title"] == "Offer letter"
    assert item["variables"] == VARIABLES


def test_extras_are_put_back_when_the_desktop_recreates_the_item_but_never_engine_attributes(
    webapp: TemplateService, device_for: DeviceFactory, server: Server
) -> None:
    """A web duplicate copies the desktop's ``version``/``lastOpId``/``usageOp_*`` with the
    rest; they are not extras. A desktop edit against the web's delete, kept, puts the
    item back whole: ``variables`` included, engine attributes of the copy not."""
    ann = device_for("ann")
    tid = beyond_limits_template(webapp)
    ann.sync()
    ann.store.update_template(tid, description="mine")
    ann.store.record_use(tid)
    ann.sync()
    copy = webapp.duplicate_template(USER, tid)
    assert "version" in copy and "lastOpId" in copy  # {...original}: the seed copies them
    ann.sync()
    duplicated = ann.store.get_template(copy["templateId"])
    assert duplicated.extras == {"variables": VARIABLES}

    ann.store.update_template(copy["templateId"], description="edited here")
    webapp.delete_template(USER, copy["templateId"])
    ann.sync()
    (conflict,) = list_conflicts(ann.store)
    resolve(ann.store, conflict.entry_id, Resolution.MINE)
    ann.sync()
    item = server.get("GravyTemplates", userId=USER, templateId=copy["templateId"])
    assert item is not None and item["variables"] == VARIABLES
    assert item["description"] == "edited here" and item["version"] == 1
    assert not any(name.startswith("usageOp_") for name in item)


@pytest.mark.parametrize(
    "wrong",
    [{"title": 42}, {"tags": "one, two"}, {"tags": [1, 2]}, {"isShared": "true", "content": ["x"]}],
)
def test_server_data_of_a_wrong_type_is_still_refused(
    wrong: dict[str, object], webapp: TemplateService, device_for: DeviceFactory
) -> None:
    ann = device_for("ann")
    item = webapp.create_template(
        {"userId": USER, "title": "Fine", "content": "", "tags": []} | wrong
    )
    report = ann.sync()
    assert report.pull.skipped == 1
    with pytest.raises(NotFound):
        ann.store.get_template(str(item["templateId"]))


def test_deleting_a_template_deletes_the_web_apps_versions_of_it(
    webapp: TemplateService, device_for: DeviceFactory, server: Server
) -> None:
    """A web version has neither ``version`` nor ``updatedAt``: its delete is conditioned
    on both being absent (a condition with no values at all)."""
    ann = device_for("ann")
    tid = ann.store.create_template("Offer", content=BASE).templateId
    ann.sync()
    version_id = webapp.create_template_version(USER, tid, "<p>Web text</p>", "web edit")
    ann.sync()
    ann.store.delete_template(tid)
    ann.sync()
    assert ann.store.queue_counts()[State.FAILED] == 0
    assert server.get("GravyTemplateVersions", userId=USER, versionId=version_id) is None
    assert server.get("GravyTemplates", userId=USER, templateId=tid) is None
