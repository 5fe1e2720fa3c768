"""What the sync engine keeps in the local database besides the queue: per-record server
state (the condition of the next write, the merge base) and plain settings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from desktop.domain import now_iso
from desktop.store.models import Setting
from desktop.store.rows import raw


@dataclass(frozen=True)
class RemoteState:
    """The server's copy of a record as this device last saw it: its ``version`` (None: the
    item had none, the web app wrote it) and its ``updatedAt`` (None: the item had none,
    e.g. one the web app's ``ADD usageCount`` made). ``present``: this device saw the item
    (it may carry neither)."""

    version: int | None
    updated_at: str | None
    base: dict[str, Any] | None
    present: bool = False

    @property
    def known(self) -> bool:
        return self.present or self.version is not None or self.updated_at is not None


UNKNOWN = RemoteState(None, None, None)
#: Keys per statement (as the outbox's own IN lists).
CHUNK = 500


def remote_state(session: Session, key: str) -> RemoteState:
    return remote_states(session, [key], with_base=True)[key]


def remote_states(
    session: Session, keys: list[str], with_base: bool = False
) -> dict[str, RemoteState]:
    """remote_state for a batch of keys, one statement per :data:`CHUNK` keys (the base
    only when asked): SQLite allows 32,766 variables in a statement."""
    found: dict[str, RemoteState] = {}
    base_column = "base" if with_base else "NULL"
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        rows = raw(session).execute(
            f"SELECT record_key, version, updated_at, {base_column} FROM sync_records "
            f"WHERE record_key IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        for key, version, updated_at, base in rows:
            found[key] = RemoteState(
                version, updated_at, json.loads(base) if base else None, present=True
            )
    return {key: found.get(key, UNKNOWN) for key in keys}


def record_remote(
    session: Session,
    key: str,
    version: int | None,
    updated_at: str | None,
    base: dict[str, Any] | None,
) -> None:
    """Remember what the server now holds for ``key`` (after a write or a read)."""
    record_remote_many(session, [(key, version, updated_at, base)])


def record_remote_many(
    session: Session, states: list[tuple[str, int | None, str | None, dict[str, Any] | None]]
) -> None:
    """record_remote for a whole batch: (key, version, updated_at, base) each."""
    stamp = now_iso()
    raw(session).executemany(
        "INSERT INTO sync_records (record_key, version, updated_at, base, synced_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (record_key) DO UPDATE SET version = excluded.version, "
        "updated_at = excluded.updated_at, base = excluded.base, synced_at = excluded.synced_at",
        [
            (key, version, updated, json.dumps(base) if base is not None else None, stamp)
            for key, version, updated, base in states
        ],
    )


def known_keys(session: Session, entity: str) -> list[str]:
    """The keys of ``entity``'s records this device has seen on the server."""
    rows = raw(session).execute(
        "SELECT record_key FROM sync_records WHERE record_key >= ? AND record_key < ?",
        (f"{entity}:", f"{entity};"),
    )
    return [key for (key,) in rows]


def forget_remote(session: Session, key: str) -> None:
    raw(session).execute("DELETE FROM sync_records WHERE record_key = ?", (key,))


def get_setting(session: Session, key: str) -> Any:
    row = session.get(Setting, key)
    return None if row is None else row.value


def put_setting(session: Session, key: str, value: Any) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
