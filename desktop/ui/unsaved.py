"""What the editors do with an edit the store refuses (an empty title, a text over the
400 KB a record can hold, a full disk): save every other field, keep the refused one on
screen, and never let it go without the writer choosing to (README "Autosave")."""

from __future__ import annotations

import enum
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.domain import InvalidInput
from desktop.store.db import StoreError
from desktop.store.services import NotFound, Store
from desktop.ui.dialogs import copy_to_clipboard


def write_fields(
    write: Callable[[dict[str, Any]], object], changes: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Write ``changes``; when the store refuses them, write each field on its own so one
    invalid field never holds back the valid ones. Returns (written, refused: each refused
    field and why). Faults of the environment (``StoreError``) and ``NotFound`` propagate."""
    try:
        write(changes)
        return dict(changes), {}
    except InvalidInput as error:
        if len(changes) == 1:
            return {}, {name: error.problems for name in changes}
    written: dict[str, Any] = {}
    refused: dict[str, list[str]] = {}
    for name, value in changes.items():
        try:
            write({name: value})
        except InvalidInput as error:
            refused[name] = error.problems
        else:
            written[name] = value
    return written, refused


@dataclass
class Saved:
    """What :func:`save_fields` did: the fields written, why others were refused, or that
    nothing was written because the record is gone or the environment refused (``fault``:
    a full disk, a locked database; the caller keeps the text and retries)."""

    written: dict[str, Any] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # the store's reasons, every field's
    gone: bool = False
    fault: StoreError | None = None


def save_fields(
    store: Store, editor: object, write: Callable[[dict[str, Any]], object], changes: dict[str, Any]
) -> Saved:
    """An editor's field-by-field save (the template editor's and every record form's):
    ``changes`` written as the editor's own (``editor`` the initiator, so it does not reload
    its own save), each field the store refuses left out with its reasons."""
    try:
        with store.initiator(editor):
            written, refused = write_fields(write, changes)
    except NotFound:
        return Saved(gone=True)
    except StoreError as error:
        return Saved(fault=error)
    return Saved(written, [problem for problems in refused.values() for problem in problems])


class Choice(enum.Enum):
    KEEP_EDITING = "keep"
    COPY = "copy"
    DISCARD = "discard"


def ask_before_leaving(parent: QWidget, what: str, problems: list[str]) -> Choice:
    """Ask what to do with edits that could not be saved; Keep editing is the default
    (Escape and Enter choose it), so no stray key throws text away."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Not saved")
    box.setText(f"{what} could not be saved, so it is still only on this screen.")
    box.setInformativeText(
        "\n".join(problems) + "\n\nEverything else you changed is saved. Keep editing to "
        "fix it, copy it to the clipboard, or let it go."
    )
    keep = box.addButton("Keep editing", QMessageBox.ButtonRole.RejectRole)
    copy = box.addButton("Copy it and go on", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Discard it", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    box.exec()
    clicked = box.clickedButton()
    if clicked is keep or clicked is None:
        return Choice.KEEP_EDITING
    return Choice.COPY if clicked is copy else Choice.DISCARD


def copy_unsaved(plain: str, rich: str | None = None) -> None:
    """Put what could not be saved on the clipboard (rich editors paste the HTML)."""
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in plain.split("\n"))
    copy_to_clipboard(rich or paragraphs, plain)


FIELD_WORDS = {
    "title": "the title",
    "name": "the name",
    "category": "the category",
    "tags": "the tags",
    "description": "the description",
    "isShared": "Shared",
    "isPublished": "Published",
    "content": "the text",
    "values": "the variables",
    "prompt": "the prompt",
    "generatedImages": "the image URLs",
    "predictionId": "the prediction id",
    "predictionStatus": "the status",
}


def describe(fields: list[str]) -> str:
    """``["title", "content"]`` -> "The title and the text"."""
    words = [FIELD_WORDS.get(name, name) for name in fields]
    text = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return text[:1].upper() + text[1:]
