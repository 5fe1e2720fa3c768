"""Quick Fill's data: favourites and recently used templates first, remembered values."""

from __future__ import annotations

from desktop import domain
from desktop.store import quickfill
from desktop.store.services import Store
from desktop.sync.codec import CODECS


def titles(found: list[domain.TemplateSummary]) -> list[str]:
    return [summary.title for summary in found]


def test_favourites_then_recently_used_then_newest_when_nothing_is_typed(store: Store) -> None:
    ids = {
        title: store.create_template(title, content=f"<p>{title} letter</p>").templateId
        for title in ("Alpha", "Bravo", "Charlie", "Delta", "Echo")
    }
    quickfill.set_favourite(store, ids["Charlie"], True)
    store.record_use(ids["Alpha"])
    store.record_use(ids["Bravo"])
    store.record_use(ids["Alpha"])  # Alpha is the most recent use
    found = quickfill.palette_templates(store, "")
    assert titles(found)[:3] == ["Charlie", "Alpha", "Bravo"]
    assert sorted(titles(found)[3:]) == ["Delta", "Echo"]
    assert found[0].isFavorite and not found[1].isFavorite


def test_a_query_keeps_only_matches_with_favourites_and_recents_first(store: Store) -> None:
    late = store.create_template("Late delivery", content="<p>sorry, the parcel</p>")
    parcel = store.create_template("Parcel sent", content="<p>your parcel left</p>")
    store.create_template("Invoice", content="<p>pay me</p>")
    favourite = store.create_template("Parcel lost", content="<p>we lost it</p>")
    quickfill.set_favourite(store, favourite.templateId, True)
    store.record_use(late.templateId)
    found = quickfill.palette_templates(store, "parcel")
    assert titles(found) == ["Parcel lost", "Late delivery", "Parcel sent"]
    assert parcel.templateId in [s.templateId for s in found]


def test_a_deleted_template_leaves_the_recents(store: Store) -> None:
    gone = store.create_template("Gone")
    kept = store.create_template("Kept")
    store.record_use(gone.templateId)
    store.record_use(kept.templateId)
    store.delete_template(gone.templateId)
    assert quickfill.recent_template_ids(store) == [kept.templateId]


def test_a_favourite_is_a_synced_template_field(store: Store) -> None:
    template = store.create_template("Fav")
    updated = quickfill.set_favourite(store, template.templateId, True)
    assert store.get_template(template.templateId).isFavorite
    (entry,) = [e for e in store.queue_entries() if e.entity == "template"]
    assert entry.payload["isFavorite"] is True  # the queued change carries it
    item = CODECS["template"].item("u1", updated.model_dump())
    assert item["isFavorite"] is True
    assert domain.Template.model_validate(CODECS["template"].decode(item)) == updated
    web_item = {k: v for k, v in item.items() if k != "isFavorite"}  # the web app's write
    assert CODECS["template"].decode(web_item)["isFavorite"] is False


def test_last_values_are_remembered_per_name_newest_kept(store: Store) -> None:
    assert quickfill.last_values(store) == {}
    quickfill.remember_values(store, {"client": "ACME", "empty": ""})
    quickfill.remember_values(store, {"client": "Globex", "city": "Paris"})
    assert quickfill.last_values(store) == {"client": "Globex", "city": "Paris"}
    for number in range(quickfill.MAX_REMEMBERED):
        quickfill.remember_values(store, {f"v{number}": "x"})
    remembered = quickfill.last_values(store)
    assert len(remembered) == quickfill.MAX_REMEMBERED and "client" not in remembered
