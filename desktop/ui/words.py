"""Words a writer reads: the sync status line, how long ago something happened, why a
change could not be synced (and what to do), and field names as labels. Every sentence
the window shows about sync is built here, so none of them names an endpoint, a table,
a region or an error code (those stay in the settings' Advanced part and the log)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from desktop.store.entities import ENTITIES

if TYPE_CHECKING:
    from desktop.ui.sync import SyncStatus

KEPT = "changes are kept on this computer"


def changes(count: int) -> str:
    return f"{count} change" if count == 1 else f"{count} changes"


def ago(stamp: str | None, now: datetime | None = None) -> str:
    """``2 min ago``, ``3 h ago``, ``yesterday``, ``4 days ago``, else the date; for an
    ISO 8601 UTC stamp as the store writes them."""
    if not stamp:
        return ""
    try:
        then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp[:10]
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    seconds = ((now or datetime.now(UTC)) - then).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86_400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86_400)
    if days == 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    return then.strftime("%d %b %Y").lstrip("0")


def downloading(read: int, total: int | None) -> str:
    """A first sync's progress: ``Downloading 3,400 of 10,000``."""
    if total is None:
        return f"Downloading - {read:,} so far"
    return f"Downloading {min(read, total):,} of {total:,}"


def status_line(status: SyncStatus, now: datetime | None = None) -> str:
    """One line for the status bar: the state first, then what waits, failed or needs a
    decision, counted as changed records (a template and its version are one change)."""
    mode, parts = status.mode, []
    if mode == "not configured":
        parts.append(f"Sync is not set up - {KEPT}")
    elif mode == "syncing" and status.downloaded and not status.sent_this_cycle:
        parts.append(downloading(status.downloaded, status.download_total))
    elif mode == "syncing" and status.sent_this_cycle:
        parts.append(f"Syncing - {status.sent_this_cycle} of {changes(status.to_send)} sent")
    elif mode == "syncing" and status.to_send:
        parts.append(f"Syncing - {changes(status.to_send)} to send")
    elif mode == "syncing":
        parts.append("Syncing...")
    elif mode == "paused":
        parts.append(f"Sync paused - {KEPT}")
    elif mode == "offline":
        parts.append(f"Offline - {KEPT}")
    elif mode == "signed out" and "sign in again" in status.message:
        parts.append(f"Signed out: sign in again to sync - {KEPT}")
    elif mode == "signed out":
        parts.append(f"Sync paused: the sign-in for sync is missing or was refused - {KEPT}")
    elif mode == "trouble":
        parts.append(f"Cannot sync right now - {KEPT}")
    if status.queued and not (mode == "syncing" and status.to_send):  # said just before
        parts.append(f"{changes(status.queued)} waiting to sync")
    if status.failed:
        parts.append(f"{changes(status.failed)} could not be synced - see Failed")
    if status.conflicts:
        need = "needs" if status.conflicts == 1 else "need"
        parts.append(f"{changes(status.conflicts)} {need} your decision - see Conflicts")
    if mode == "online" and not parts:
        when = ago(status.last_success, now)
        parts.append(f"All changes saved and synced - {when}" if when else "All changes saved")
    return " \u00b7 ".join(parts)


#: Server and network reasons, by error code, in plain words with what to do.
_REASONS = {
    "ValidationException": "The server refused this {what} as it is: check its text for "
    "something unusual, edit it and retry",
    "ItemTooLarge": "This {what} is larger than the server accepts: shorten it or split it",
    "ConditionalCheckFailedException": "This {what} was changed elsewhere at the same time: "
    "retry to compare the two versions",
    "AccessDeniedException": "Your account may not change this {what}: sign in again from "
    "the sync settings, then retry",
    "UnrecognizedClientException": "The sign-in for sync was refused: sign in again from "
    "the sync settings, then retry",
    "ResourceNotFoundException": "The place this {what} syncs to was not found: check the "
    "sync settings, then retry",
    "ProvisionedThroughputExceededException": "The server was busy: retry in a minute",
    "ThrottlingException": "The server was busy: retry in a minute",
    "InvalidPayload": "This {what} could not be read to send it: open it, save it again and "
    "retry",
}


def failure_reason(entity: str, code: str | None, message: str | None) -> str:
    """Why a change of an ``entity`` was refused, in plain words, with what to do."""
    what = ENTITIES[entity].label if entity in ENTITIES else entity
    text = message or ""
    if code == "ValidationException" and "size" in text.lower():
        code = "ItemTooLarge"
    template = _REASONS.get(code or "")
    if template is None:
        return (
            f"The server did not accept this {what}: retry, or discard the change "
            "(it stays on this computer)"
        )
    return template.format(what=what)


_LABELS = {"text": "Text", "content": "Text", "html": "Text", "url": "Web address"}


def label(field: str) -> str:
    """``job_title`` -> ``Job title``, ``firstName`` -> ``First name``; ``content`` -> ``Text``."""
    if field in _LABELS:
        return _LABELS[field]
    spaced = "".join(f" {c.lower()}" if c.isupper() else c for c in field)
    words = spaced.replace("_", " ").replace("-", " ").split()
    if not words:
        return field
    phrase = " ".join(words)
    return phrase[0].upper() + phrase[1:]
