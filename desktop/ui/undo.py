"""The window's undo history of record-level actions: deleting a template, snippet,
preset, page or node, and moving a node. Text undo stays with each text field (its own
history, Ctrl+Z while it has the focus); Edit > Undo reaches this history otherwise.

Each action is done first and pushed afterwards, so an action that fails (disk full, the
record deleted by a sync meanwhile) is reported and never enters the history. Undoing a
deletion puts the record back with its id and what went with it (a template's versions, a
page's nodes): see :meth:`desktop.store.services.Store.restore`.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack

from desktop import domain
from desktop.store.db import StoreError
from desktop.store.services import NotFound, Store

Reveal = Callable[[str, str], None]  # (entity, id): show the record that came back
Report = Callable[[str, str], object]  # (what failed, why)


class _Done(QUndoCommand):
    """A command pushed after its action was done: the stack's first redo does nothing."""

    def __init__(self, edits: Edits, text: str) -> None:
        super().__init__(text)
        self.edits = edits
        self._pushed = True

    def redo(self) -> None:
        if self._pushed:
            self._pushed = False
        else:
            self.again()

    def again(self) -> None:
        raise NotImplementedError


class _Delete(_Done):
    def __init__(self, edits: Edits, entity: str, taken: list[tuple[str, domain.Record]]) -> None:
        record = taken[0][1]
        label = getattr(record, "title", None) or getattr(record, "name", "")
        super().__init__(edits, f"Delete {entity} \u201c{label}\u201d")
        self.entity, self.taken = entity, taken
        self.record_id: str = record.id  # type: ignore[attr-defined]

    def again(self) -> None:
        def delete() -> None:
            self.taken = self.edits.delete_now(self.entity, self.record_id)

        self.edits.attempt(self.text(), delete)

    def undo(self) -> None:
        if self.edits.attempt(f"Undo {self.text()}", lambda: self.edits.store.restore(self.taken)):
            self.edits.reveal(self.entity, self.record_id)


class _MoveNode(_Done):
    def __init__(self, edits: Edits, node: domain.Node, to: int) -> None:
        super().__init__(edits, f"Move node \u201c{node.title}\u201d")
        self.node_id, self.before, self.after = node.id, node.position, to

    def _move(self, position: int) -> None:
        if self.edits.attempt(
            self.text(), lambda: self.edits.store.move_node(self.node_id, position)
        ):
            self.edits.reveal("node", self.node_id)

    def again(self) -> None:
        self._move(self.after)

    def undo(self) -> None:
        self._move(self.before)


class Edits:
    """Record-level actions, done through the store and kept on an undo stack."""

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        self.store = store
        self.stack = QUndoStack(parent)
        self.stack.setUndoLimit(100)
        self._reveal: list[Reveal] = []
        self._report: Report = lambda _what, _why: None

    def on_reveal(self, reveal: Reveal) -> None:
        self._reveal.append(reveal)

    def on_failure(self, report: Report) -> None:
        self._report = report

    def reveal(self, entity: str, record_id: str) -> None:
        for reveal in self._reveal:
            reveal(entity, record_id)

    def attempt(self, what: str, action: Callable[[], object]) -> bool:
        """Run ``action``; an environment fault or a record gone meanwhile is reported."""
        try:
            action()
        except (StoreError, NotFound) as error:
            self._report(what, str(error))
            return False
        return True

    def delete(self, entity: str, record_id: str) -> bool:
        """Delete a record (and its versions or nodes); undoable. False if it failed."""
        taken: list[list[tuple[str, domain.Record]]] = []
        if not self.attempt(
            f"Delete {entity}", lambda: taken.append(self.delete_now(entity, record_id))
        ):
            return False
        self.stack.push(_Delete(self, entity, taken[0]))
        return True

    def deleted(self, entity: str, taken: list[tuple[str, domain.Record]], text: str) -> None:
        """Make a deletion done elsewhere (keeping a conflict's deleted side) undoable:
        ``taken`` is what :meth:`Store.with_children` held before it."""
        command = _Delete(self, entity, taken)
        command.setText(text)
        self.stack.push(command)

    def delete_now(self, entity: str, record_id: str) -> list[tuple[str, domain.Record]]:
        """Delete a record; what it took with it (for :meth:`Store.restore`)."""
        taken = self.store.with_children(entity, record_id)
        self.store.delete(entity, record_id)
        return taken

    def move_node(self, node_id: str, to: int) -> bool:
        node = self.store.get_node(node_id)
        if not self.attempt("Move node", lambda: self.store.move_node(node_id, to)):
            return False
        self.stack.push(_MoveNode(self, node, to))
        return True
