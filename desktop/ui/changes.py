"""How a view learns of changes: the store announces each committed operation
(:meth:`desktop.store.services.Store.operation`, with what changed and who asked); this is
its Qt face, delivered on the GUI thread whichever thread committed."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from desktop.store.services import Store


class StoreSignals(QObject):
    """Qt face of the store's change notifications (queued onto the GUI thread, whichever
    thread the change was committed on)."""

    changed = Signal(object)  # Changes

    def __init__(self, store: Store) -> None:
        super().__init__()
        store.subscribe(self.changed.emit)
