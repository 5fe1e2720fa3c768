"""The three-way merge (DESIGN.md invariant 8), with properties checked by hypothesis."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from desktop.sync.merge import chunks, merge_record, merge_text

BASE: dict[str, Any] = {
    "title": "Offer",
    "description": "For candidates",
    "category": "hr",
    "content": "<p>Dear [[name]],</p><p>We are pleased.</p><p>Regards</p>",
    "tags": ["jobs", "hr"],
    "usageCount": 5,
    "isShared": False,
    "updatedAt": "2026-11-01T00:00:00.000Z",
}


def edit(**changes: Any) -> dict[str, Any]:
    return BASE | changes


def test_fields_changed_on_one_side_merge_automatically() -> None:
    result = merge_record(
        "template",
        BASE,
        edit(title="Offer letter", updatedAt="2026-11-02T00:00:00.000Z"),
        edit(category="legal", isShared=True, updatedAt="2026-11-03T00:00:00.000Z"),
    )
    assert result.clean
    assert (result.merged["title"], result.merged["category"], result.merged["isShared"]) == (
        "Offer letter",
        "legal",
        True,
    )
    assert result.merged["updatedAt"] == "2026-11-03T00:00:00.000Z"


def test_two_new_versions_keep_the_later_one_and_an_absent_one_stays_absent() -> None:
    mine = edit(latestVersion="version-1764000000001-aaaaaaaaa", title="Mine")
    theirs = edit(latestVersion="version-1764000000002-bbbbbbbbb", category="x")
    result = merge_record("template", edit(latestVersion=None), mine, theirs)
    assert result.clean and result.merged["latestVersion"] == theirs["latestVersion"]
    unversioned = merge_record(
        "template",
        edit(latestVersion=None),
        edit(latestVersion=None),
        edit(latestVersion=None, title="T"),
    )
    assert unversioned.merged["latestVersion"] is None


def test_edits_to_different_paragraphs_of_one_line_html_both_survive() -> None:
    mine = edit(content="<p>Dear [[name]] and team,</p><p>We are pleased.</p><p>Regards</p>")
    theirs = edit(content="<p>Dear [[name]],</p><p>We are pleased.</p><p>Kind regards</p>")
    result = merge_record("template", BASE, mine, theirs)
    assert result.clean
    assert result.merged["content"] == (
        "<p>Dear [[name]] and team,</p><p>We are pleased.</p><p>Kind regards</p>"
    )


def test_overlapping_text_edits_and_other_fields_changed_both_ways_are_conflicts() -> None:
    result = merge_record(
        "template",
        BASE,
        edit(title="Mine", content="<p>Hello,</p><p>We are pleased.</p><p>Regards</p>"),
        edit(title="Theirs", content="<p>Hi,</p><p>We are pleased.</p><p>Regards</p>"),
    )
    assert sorted(result.conflicts) == ["content", "title"]
    assert result.merged["title"] == "Mine", "a conflicting field holds mine until decided"


def test_tags_merge_as_sets_and_counters_never_conflict() -> None:
    result = merge_record(
        "template",
        BASE,
        edit(tags=["jobs", "hr", "urgent"], usageCount=7),
        edit(tags=["jobs"], usageCount=9),
    )
    assert result.clean
    assert result.merged["tags"] == ["jobs", "urgent"]
    assert result.merged["usageCount"] == 11, "theirs (9) plus the 2 added here"


def test_node_prompts_merge_like_text() -> None:
    base = {"title": "n", "prompt": "a cat\non a mat\nat noon", "position": 0}
    result = merge_record(
        "node",
        base,
        base | {"prompt": "a black cat\non a mat\nat noon"},
        base | {"prompt": "a cat\non a mat\nat midnight"},
    )
    assert result.merged["prompt"] == "a black cat\non a mat\nat midnight"


@given(st.text())
def test_chunks_are_lossless(text: str) -> None:
    assert "".join(chunks(text)) == text


@given(st.text(), st.text())
def test_a_side_that_did_not_change_takes_the_other(base: str, other: str) -> None:
    assert merge_text(base, other, base).text == other
    assert merge_text(base, base, other).text == other
    assert merge_text(base, other, other).text == other


# Distinct paragraphs: with repeated identical ones diff3's alignment is ambiguous and a
# conflict (the user decides) is the safe answer.
paragraphs = st.lists(
    st.text(alphabet="abc xyz", min_size=1, max_size=12), min_size=3, max_size=12, unique=True
)


@given(paragraphs, st.data())
def test_edits_of_non_adjacent_paragraphs_always_merge(
    base: list[str], data: st.DataObject
) -> None:
    indexes = list(range(len(base)))
    mine_at = set(data.draw(st.lists(st.sampled_from(indexes), max_size=3)))
    free = [i for i in indexes if all(abs(i - j) >= 2 for j in mine_at)]
    theirs_at = set(data.draw(st.lists(st.sampled_from(free), max_size=3))) if free else set()
    html = lambda parts: "".join(f"<p>{p}</p>" for p in parts)  # noqa: E731
    mine = [f"{p} (mine)" if i in mine_at else p for i, p in enumerate(base)]
    theirs = [f"{p} (theirs)" if i in theirs_at else p for i, p in enumerate(base)]
    expected = [
        mine[i] if i in mine_at else theirs[i] if i in theirs_at else p for i, p in enumerate(base)
    ]
    result = merge_text(html(base), html(mine), html(theirs))
    assert not result.conflict
    assert result.text == html(expected)


fields = st.dictionaries(
    st.sampled_from(["title", "category", "content", "isShared"]),
    st.one_of(st.text(max_size=5), st.booleans()),
)


@given(fields, fields, fields)
def test_conflicts_do_not_depend_on_which_side_is_mine(
    base: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any]
) -> None:
    one = merge_record("template", base, mine, theirs)
    other = merge_record("template", base, theirs, mine)
    assert sorted(one.conflicts) == sorted(other.conflicts)
    if one.clean:
        assert one.merged == other.merged
