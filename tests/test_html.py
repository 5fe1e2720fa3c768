"""HTML written on this device is reduced to the semantic subset before it is stored (and so
before it is queued for the web apps): whatever path it comes by, a script, an event
handler or a ``javascript:`` link never reaches the store or the queue, while the editor's
own output passes through unchanged."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.app import main, open_store
from desktop.html import sanitize
from desktop.store.services import Store
from desktop.store.transfer import backup_document, read_import

HOSTILE = [
    '<p>Hi</p><script>alert("owned")</script>',
    '<p>Hi<img src="x" onerror="alert(1)"></p>',
    '<p><a href="javascript:alert(1)">Hi</a></p>',
    '<p><a href="JaVaScRiPt&#x3a;alert(1)">Hi</a></p>',
    '<p onclick="alert(1)" style="background:url(javascript:alert(1))">Hi</p>',
    '<p>Hi<iframe src="https://evil.example"></iframe></p>',
    '<p><a href="data:text/html,<script>alert(1)</script>">Hi</a></p>',
]
DANGER = ("<script", "alert", "onerror", "onclick", "javascript", "<img", "<iframe", "style=")


def assert_clean(text: str) -> None:
    lowered = text.lower()
    assert not [word for word in DANGER if word in lowered], text


def assert_nothing_hostile_stored(store: Store) -> None:
    """Every template, snippet and version, and every queued payload, holds only the subset."""
    document = backup_document(store.export_sections())
    for section in ("templates", "snippets", "versions"):
        for record in document[section]:
            assert_clean(record["content"])
    payloads = [entry.payload for entry in store.queue_entries()]
    assert payloads
    assert_clean(json.dumps(payloads))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_template_or_snippet_created_or_edited_here_holds_only_the_subset(
    store: Store, hostile: str
) -> None:
    template = store.create_template("Created", content=hostile)
    edited = store.create_template("Edited", content="<p>plain</p>")
    store.update_template(edited.templateId, content=hostile)
    snippet = store.create_snippet("Snippet", content=hostile)
    other = store.create_snippet("Other", content="<p>plain</p>")
    store.update_snippet(other.snippetId, content=hostile)
    assert_nothing_hostile_stored(store)
    assert "Hi" in store.get_template(template.templateId).content
    assert "Hi" in store.get_snippet(snippet.snippetId).content


def test_the_text_around_what_is_removed_is_kept(store: Store) -> None:
    template = store.create_template(
        "Kept",
        content='<p onclick="x()">Dear <b>[[name]]</b>, <a href="javascript:x()">see</a> '
        '<a href="https://example.com/?a=1&amp;b=2">this</a><script>x()</script></p>',
    )
    assert store.get_template(template.templateId).content == (
        '<p>Dear <strong>[[name]]</strong>, <a>see</a> <a href="https://example.com/?a=1&amp;b=2">this</a></p>'
    )


def test_pasting_only_a_script_into_a_template_changes_nothing(store: Store) -> None:
    template = store.create_template("Same", content="<p>Same</p>")
    queued = len(store.queue_entries())
    store.update_template(template.templateId, content="<p>Same</p><script>x()</script>")
    assert len(store.queue_entries()) == queued


@pytest.mark.parametrize("hostile", HOSTILE)
def test_an_imported_gravyjs_export_or_backup_holds_only_the_subset(
    store: Store, hostile: str
) -> None:
    gravyjs = {
        "gravyTemplatesOffline": {
            "template-1710000000000-abcdefghi": {
                "templateId": "template-1710000000000-abcdefghi",
                "title": "From the browser",
                "content": hostile,
            }
        }
    }
    backup = {
        "format": "gravy-desktop-backup",
        "version": 1,
        "templates": [{"templateId": "template-1", "title": "Backed up", "content": hostile}],
        "versions": [{"versionId": "v-1", "templateId": "template-1", "content": hostile}],
        "snippets": [{"snippetId": "snippet-1", "title": "Snippet", "content": hostile}],
    }
    for document in (gravyjs, backup):
        plan = read_import(json.dumps(document))
        assert not plan.rejected
        store.import_records(plan.records)
    assert store.count_templates() == 2
    assert_nothing_hostile_stored(store)


def test_the_undo_of_a_deletion_puts_back_only_the_subset(store: Store) -> None:
    """A record restored by Undo is written again here: it is reduced like any other."""
    template = store.create_template("Restored", content="<p>Hi</p>")
    records = store.with_children("template", template.templateId)
    store.delete_template(template.templateId)
    hostile = [(entity, r.model_copy(update={"content": HOSTILE[1]})) for entity, r in records]
    store.restore(hostile)
    assert_nothing_hostile_stored(store)


def run_cli(db_path: Path, *args: str, stdin: str = "", monkeypatch: Any) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["--db", str(db_path), *args])


@pytest.mark.parametrize("hostile", HOSTILE[:3])
def test_the_cli_stores_only_the_subset(
    db_path: Path, hostile: str, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    assert (
        run_cli(
            db_path,
            "templates",
            "add",
            "By argument",
            "--content",
            hostile,
            monkeypatch=monkeypatch,
        )
        == 0
    )
    assert (
        run_cli(
            db_path,
            "templates",
            "add",
            "By stdin",
            "--content",
            "-",
            stdin=hostile,
            monkeypatch=monkeypatch,
        )
        == 0
    )
    template_id = capsys.readouterr().out.split()[0]
    assert (
        run_cli(
            db_path,
            "templates",
            "edit",
            template_id,
            "--content",
            "-",
            stdin=hostile,
            monkeypatch=monkeypatch,
        )
        == 0
    )
    store = open_store(db_path)
    try:
        assert_nothing_hostile_stored(store)
    finally:
        store.database.close()


# -- the editor's own output -----------------------------------------------------------------

# What a writer types: anything printable (the characters HTML escapes included), no control
# characters (Qt keeps none of them in a document either).
TEXT = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\ufffc"),
    min_size=1,
    max_size=12,
)
_HOST = st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9]{1,10}){0,2}\.[a-z]{2,5}", fullmatch=True)
_PATH = st.text("abcxyzABC0123456789-._~/?#[]@!$&()*+,;=%:", max_size=20)
URL = st.one_of(
    st.builds(lambda s, h, p: f"{s}://{h}/{p}", st.sampled_from(["http", "https"]), _HOST, _PATH),
    st.builds(
        lambda u, h: f"mailto:{u}@{h}", st.from_regex(r"[a-z0-9._+-]{1,10}", fullmatch=True), _HOST
    ),
)
RUN = st.tuples(TEXT, st.booleans(), st.booleans(), st.booleans(), st.none() | URL)
BLOCK = st.tuples(
    st.sampled_from(["p", "h1", "h2", "h3", "ul", "ol"]), st.lists(RUN, min_size=1, max_size=4)
)


def editor_document(
    blocks: list[tuple[str, list[tuple[str, bool, bool, bool, str | None]]]],
) -> Any:
    """A document built as the editor builds one: blocks, lists, character formats, links."""
    from PySide6.QtGui import (
        QFont,
        QTextBlockFormat,
        QTextCharFormat,
        QTextCursor,
        QTextDocument,
        QTextListFormat,
    )

    document = QTextDocument()
    cursor = QTextCursor(document)
    for index, (kind, runs) in enumerate(blocks):
        block_format = QTextBlockFormat()
        if kind.startswith("h"):
            block_format.setHeadingLevel(int(kind[1]))
        if index:
            cursor.insertBlock(block_format, QTextCharFormat())
        else:
            cursor.setBlockFormat(block_format)
        if kind in ("ul", "ol"):
            style = (
                QTextListFormat.Style.ListDisc
                if kind == "ul"
                else QTextListFormat.Style.ListDecimal
            )
            cursor.createList(style)
        for text, bold, italic, underline, href in runs:
            fmt = QTextCharFormat()
            fmt.setFontWeight(QFont.Weight.Bold.value if bold else QFont.Weight.Normal.value)
            fmt.setFontItalic(italic)
            fmt.setFontUnderline(underline)
            if href:
                fmt.setAnchor(True)
                fmt.setAnchorHref(href)
            cursor.insertText(text, fmt)
    return document


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blocks=st.lists(BLOCK, min_size=1, max_size=5))
def test_the_editors_own_output_passes_through_unchanged(qapp: Any, blocks: Any) -> None:
    from desktop.ui.richtext import document_html

    written = document_html(editor_document(blocks))
    assert sanitize(written) == written


@given(st.text())
def test_sanitizing_twice_changes_nothing_more(text: str) -> None:
    once = sanitize(text)
    assert sanitize(once) == once


def test_what_other_editors_write_keeps_its_formatting_and_lines(store: Store) -> None:
    """A browser's contenteditable writes lines as div and bold as b: imported or pasted,
    they become the subset's p and strong instead of running together."""
    gravyjs = {
        "gravyTemplatesOffline": {
            "template-1710000000000-abcdefghi": {
                "templateId": "template-1710000000000-abcdefghi",
                "title": "From the browser",
                "content": "<div>Dear <b>[[name]]</b>,</div><div><i>Thanks</i></div>"
                '<h4 style="color:red">Terms</h4><div onclick="x()">Bye<br></div>',
            }
        }
    }
    store.import_records(read_import(json.dumps(gravyjs)).records)
    assert store.get_template("template-1710000000000-abcdefghi").content == (
        "<p>Dear <strong>[[name]]</strong>,</p><p><em>Thanks</em></p><h3>Terms</h3><p>Bye<br></p>"
    )
