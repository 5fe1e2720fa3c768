"""Offline work joins an account: the records written while nobody was signed in ("Work
offline for now") move into the account's database the first time the writer signs in and
agrees, with their ids, each queued as one create (sync invariant 3: N offline edits of a
record are one remote write).

The move is three transactions, so that a crash anywhere neither loses nor duplicates:

1. the offline database is *claimed* for the account (a setting, committed): from then on
   no other account is offered these records, even if the move never finishes;
2. holding the offline database's write lock (no edit can slip in unseen), every record is
   copied through :meth:`Store.import_records`: one transaction in the account's database
   that writes each record, its search mark and its queue entry together (invariant 1);
   a record already there (a move that crashed after this step) is skipped, not doubled;
3. still under that lock, once the account's database has committed, the offline database
   is emptied (records, queue, sync bases, search index) and the claim removed.

Re-running after a crash at any point redoes only what is missing. After the move the
offline database is empty, so signing in later as another account offers nothing, and a
signed-out window shows none of the account's records.

A database that has synced with its own settings (AWS keys under Advanced: its records
have server copies under that user id) is never offered: its records are that user's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop import domain
from desktop.store import outbox, syncstate
from desktop.store.entities import ENTITIES, SEARCHED, WRITTEN_HERE
from desktop.store.models import RecordRow
from desktop.store.rows import raw
from desktop.store.services import Store

CLAIM_SETTING = "account.adopting"  # in the offline database: {"sub", "email"} while moving
#: Parents before their children (a version after its template, a node after its page).
ORDER = WRITTEN_HERE
#: What a finished move empties in the offline database: its records (children first),
#: its queue and sync state, its search entries.
EMPTIED = (
    *(ENTITIES[entity].table for entity in reversed(WRITTEN_HERE)),
    "outbox",
    "sync_records",
    "search_pending",
    *SEARCHED.values(),
)


SYNCS_ELSEWHERE = (
    "the offline database syncs with its own settings (Advanced: AWS keys or a profile), so "
    "its records belong to that user id and are not moved into an account"
)


class AdoptionRefused(Exception):
    """The offline records are being moved into another account; ``str()`` says which."""


@dataclass(frozen=True)
class Waiting:
    """What the offline database holds that no account has taken yet."""

    records: dict[str, int]  # entity -> how many
    changes: int  # queue entries not synced
    claimed_by: dict[str, Any] | None = None  # a move into that account began
    synced: int = 0  # records with a server copy: this database syncs elsewhere (Advanced)

    @property
    def total(self) -> int:
        return sum(self.records.values())

    def describe(self) -> str:
        """ "3 templates, 1 snippet" (no kind with none)."""
        return describe(self.records)

    def offered_to(self, sub: str) -> bool:
        """Whether the account ``sub`` may take these records."""
        if self.total == 0 and self.changes == 0:
            return False
        if self.synced:  # another user's data on a server (AWS keys): never another account's
            return False
        return self.claimed_by is None or self.claimed_by.get("sub") == sub


@dataclass(frozen=True)
class Adopted:
    moved: dict[str, int] = field(default_factory=dict)  # copied by this run
    already: int = 0  # there from an earlier, interrupted run

    def describe(self) -> str:
        return describe(self.moved)


def describe(counts: dict[str, int]) -> str:
    parts = []
    for entity in ORDER:
        count = counts.get(entity, 0)
        if count:
            one, many = ENTITIES[entity].label, ENTITIES[entity].plural
            parts.append(f"{count} {one if count == 1 else many}")
    return ", ".join(parts) or "no records"


def _counts(session: Session) -> dict[str, int]:
    found: dict[str, int] = {}
    for entity in ORDER:
        row_type: type[RecordRow] = ENTITIES[entity].row
        count = session.scalar(select(func.count()).select_from(row_type)) or 0
        if count:
            found[entity] = int(count)
    return found


def waiting(offline: Store) -> Waiting:
    with offline.database.read() as session:
        claim = syncstate.get_setting(session, CLAIM_SETTING)
        counts = _counts(session)
        queued = outbox.counts(session)
        synced = raw(session).execute("SELECT count(*) FROM sync_records").fetchone()[0]
    return Waiting(
        records=counts,
        changes=sum(queued.values()),
        claimed_by=claim if isinstance(claim, dict) else None,
        synced=int(synced),
    )


def _records(session: Session) -> list[tuple[str, domain.Record]]:
    found: list[tuple[str, domain.Record]] = []
    for entity in ORDER:
        row_type: Any = ENTITIES[entity].row
        for row in session.scalars(select(row_type).order_by(row_type.created_at)):
            found.append((entity, row.to_domain()))
    return found


def adopt(offline: Store, target: Store, sub: str, email: str) -> Adopted:
    """Move every offline record into ``target`` (the account ``sub``'s database); see the
    module's docstring for why it cannot lose or double a record. Refused when a move into
    another account began."""
    with offline.database.write() as session:  # 1. claim
        claim = syncstate.get_setting(session, CLAIM_SETTING)
        if isinstance(claim, dict) and claim.get("sub") != sub:
            raise AdoptionRefused(
                "the records written offline are being moved into "
                f"{claim.get('email') or claim.get('sub')}'s account; sign in as that "
                "account to finish"
            )
        if raw(session).execute("SELECT 1 FROM sync_records LIMIT 1").fetchone():
            raise AdoptionRefused(SYNCS_ELSEWHERE)
        syncstate.put_setting(session, CLAIM_SETTING, {"sub": sub, "email": email})
    # 2. copy, 3. empty: one offline transaction, announced to the offline window after it
    with offline.operation() as op, op.write() as session:
        records = _records(session)
        imported, skipped = target.import_records(records)
        for table in EMPTIED:
            raw(session).execute(f"DELETE FROM {table}")
        session.flush()
        syncstate.put_setting(session, CLAIM_SETTING, None)
        op.changed(
            *[(entity, str(getattr(r, ENTITIES[entity].id_field))) for entity, r in records]
        )
        op.queue_changed()
    moved: dict[str, int] = {}
    for entity, _record in imported:
        moved[entity] = moved.get(entity, 0) + 1
    return Adopted(moved=moved, already=len(skipped))
