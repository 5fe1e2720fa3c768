"""The sync badges every list shows (templates, snippets, presets, pages): a mark, its
colour and its meaning for each queue state; nothing once synced."""

from __future__ import annotations

from PySide6.QtGui import QColor

from desktop.store.outbox import State
from desktop.ui import theme

#: The list marks of the sync states (as in the template list): waiting, syncing, failed,
#: conflict; nothing once synced.
BADGES: dict[State, tuple[str, str, str]] = {
    State.PENDING: ("●", "pending", "waiting to sync"),
    State.IN_FLIGHT: ("●", "in_flight", "syncing"),
    State.FAILED: ("▲", "failed", "failed to sync"),
    State.CONFLICT: ("◆", "conflict", "in conflict"),
}


def badge_color(state: State) -> QColor:
    """The colour of a sync badge in the current appearance."""
    color: QColor = getattr(theme.colors(), BADGES[state][1])
    return color
