"""The headless command line: the same store (and sync engine) as the window, for scripts.

Exit codes: 0 success, 1 something failed or is left failed, 2 the environment is at fault
(database unreadable, busy, ...), 3 invalid input (a usage error included: argparse's own 2
would read as the environment's fault). Whatever the input, the answer is one of these
with a plain message, never a traceback: arguments and standard input that are not valid
UTF-8 (or hold lone surrogates), files that cannot be read or are nested too deeply, too.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from desktop import account_cli

# The store (SQLAlchemy), the sync engine and boto3 load where a command needs them:
# `sync status` and an empty `sync push` answer without them (see `quick`, README).
if TYPE_CHECKING:
    from desktop.store.outbox import Entry
    from desktop.store.services import Store
    from desktop.sync.config import SyncSettings
    from desktop.sync.resolution import Conflict

EXIT_OK, EXIT_FAILED, EXIT_ENVIRONMENT, EXIT_INVALID = 0, 1, 2, 3
#: The largest id or number an argument may hold (SQLite's integers are 64-bit).
_MAX_INTEGER = 2**63 - 1


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error ending in exit 3 (invalid input) like every other."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_INVALID, f"{self.prog}: error: {message}\n")


def integer(text: str) -> int:
    value = int(text)
    if abs(value) > _MAX_INTEGER:
        raise ValueError(text)
    return value


def seconds(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 86_400:  # also refuses nan and inf
        raise ValueError(text)
    return value


def _unencodable(argv: list[str]) -> int | None:
    """The position of the first argument that is not valid text (Python keeps an argument
    that was not valid UTF-8 as lone surrogates, which nothing can store or print)."""
    for position, argument in enumerate(argv, start=1):
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError:
            return position
    return None


def read_stdin(line: bool = False) -> str:
    """Standard input (or its first line) as text; :class:`InvalidInput` if it is not
    valid UTF-8."""
    from desktop.domain import InvalidInput

    stream = getattr(sys.stdin, "buffer", None)
    try:
        if stream is not None:
            return bytes(stream.readline() if line else stream.read()).decode("utf-8")
        text = sys.stdin.readline() if line else sys.stdin.read()
        text.encode("utf-8")
        return text
    except UnicodeError:
        raise InvalidInput(["standard input is not valid UTF-8 text"]) from None


def read_text(name: str) -> str:
    """A file's text ('-': standard input); :class:`InvalidInput` saying why it cannot be."""
    from desktop.domain import InvalidInput

    if name == "-":
        return read_stdin()
    try:
        return Path(name).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput([f"cannot read {name}: it is not valid UTF-8 text"]) from None
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise InvalidInput([f"cannot read {name}: {reason}"]) from None


def parse(argv: list[str]) -> argparse.Namespace:
    parser = _Parser(
        prog="gravy-desktop",
        description="Offline-first GravyJS template editor. With no command, opens the window.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation on a throw-away database (with --endpoint-url: and "
        "a push to it) and exit 0 if it works",
    )
    parser.add_argument(
        "--screenshot", metavar="PNG", help="with --self-test: save the window's picture here"
    )
    parser.add_argument(
        "--db", help="database file (default: per-user data folder, or $GRAVY_DESKTOP_DB)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument(
        "--endpoint-url",
        help="sync with this DynamoDB endpoint for this run, e.g. DynamoDB Local at "
        "http://localhost:8000 (the user id defaults to your login name)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    templates = commands.add_parser("templates", help="list, show, add or delete templates")
    t_commands = templates.add_subparsers(dest="action", required=True)
    t_list = t_commands.add_parser("list", help="list templates, newest first")
    t_list.add_argument("--category")
    t_show = t_commands.add_parser("show", help="print one template")
    t_show.add_argument("id")
    t_add = t_commands.add_parser("add", help="create a template")
    t_add.add_argument("title")
    t_add.add_argument("--content", default="", help="HTML content ('-' reads standard input)")
    t_add.add_argument("--description", default="")
    t_add.add_argument("--category", default="")
    t_add.add_argument("--tag", action="append", default=[], dest="tags")
    t_edit = t_commands.add_parser("edit", help="change a template's fields")
    t_edit.add_argument("id")
    t_edit.add_argument("--title")
    t_edit.add_argument("--content", help="HTML content ('-' reads standard input)")
    t_edit.add_argument("--description")
    t_edit.add_argument("--category")
    t_edit.add_argument("--tag", action="append", dest="tags", help="replaces the tags")
    t_delete = t_commands.add_parser("delete", help="delete a template")
    t_delete.add_argument("id")

    find = commands.add_parser("search", help="full-text search over templates")
    find.add_argument("query")
    find.add_argument("--category")

    queue = commands.add_parser("queue", help="the changes waiting to be synced")
    q_commands = queue.add_subparsers(dest="action", required=True)
    q_list = q_commands.add_parser("list", help="list queued changes")
    which = q_list.add_mutually_exclusive_group()
    which.add_argument("--failed", action="store_true", help="only failed entries")
    which.add_argument("--conflicts", action="store_true", help="only conflicts")
    q_retry = q_commands.add_parser("retry", help="try a failed entry again")
    target = q_retry.add_mutually_exclusive_group(required=True)
    target.add_argument("id", nargs="?", type=integer)
    target.add_argument("--all-failed", action="store_true")
    q_discard = q_commands.add_parser("discard", help="drop a queued change for good")
    q_discard.add_argument("id", type=integer)

    importer = commands.add_parser(
        "import", help="import a GravyJS export, a Page Manager export or a backup (JSON)"
    )
    importer.add_argument("file", help="the file ('-': standard input)")
    importer.add_argument("--dry-run", action="store_true", help="only report what would happen")
    exporter = commands.add_parser("export", help="write everything to a JSON backup")
    exporter.add_argument("file", help="the backup file ('-': standard output)")

    config = commands.add_parser("config", help="show or change the sync settings")
    c_commands = config.add_subparsers(dest="action", required=True)
    c_commands.add_parser("show", help="print the settings (secrets are never shown)")
    c_set = c_commands.add_parser("set", help="change settings")
    c_set.add_argument("--user-id")
    c_set.add_argument("--region")
    c_set.add_argument("--endpoint-url", dest="set_endpoint_url", help="'' to clear")
    c_set.add_argument("--table-prefix")
    c_set.add_argument("--profile", help="an AWS profile name ('' to clear)")
    c_set.add_argument("--access-key-id", help="'' to clear")
    c_set.add_argument("--sync-interval", type=integer, dest="sync_interval_s", help="seconds")
    c_set.add_argument(
        "--pull-overlap",
        type=integer,
        dest="pull_overlap_s",
        help="seconds a pull re-reads before its checkpoint (tolerated clock skew)",
    )
    c_set.add_argument(
        "--full-sync-interval",
        type=integer,
        dest="full_sync_interval_s",
        help="seconds between full reconciliations",
    )
    c_commands.add_parser(
        "set-secret", help="read the secret access key from standard input into the OS keyring"
    )
    account_cli.add_config_import(c_commands)

    account_cli.add_parsers(commands)

    tables = commands.add_parser("tables", help="the DynamoDB tables")
    tb_commands = tables.add_subparsers(dest="action", required=True)
    tb_create = tb_commands.add_parser(
        "create",
        help="create missing tables and indexes and wait for them; safe to repeat (it "
        "resumes: waits for what is being built, adds what is missing)",
    )
    tb_create.add_argument(
        "--wait",
        type=seconds,
        default=600.0,
        metavar="S",
        help="seconds to wait for tables and for the indexes (default 600); when they are "
        "still being built then, exit 2 and run the command again later",
    )
    tb_commands.add_parser(
        "migrate", help="rebuild tables made with older key schemas (a backup table is kept)"
    )
    tb_commands.add_parser("cloudformation", help="print a CloudFormation template (JSON)")
    iam = tb_commands.add_parser("iam-policy", help="print a least-privilege IAM policy (JSON)")
    iam.add_argument("--region", default="*")
    iam.add_argument("--account", default="*")

    sync = commands.add_parser("sync", help="send queued changes to DynamoDB")
    s_commands = sync.add_subparsers(dest="action", required=True)
    s_commands.add_parser("push", help="drain the queue once and print a summary")
    s_run = s_commands.add_parser(
        "run", help="one sync cycle: pull (merging with queued edits), then push"
    )
    s_run.add_argument(
        "--full", action="store_true", help="read every record (finds remote deletions)"
    )
    s_run.add_argument(
        "--watch", action="store_true", help="repeat every interval until interrupted"
    )
    s_run.add_argument(
        "--interval", type=float, help="seconds between cycles (default: the setting)"
    )
    s_commands.add_parser("status", help="print the sync target and the queue's state")

    conflicts = commands.add_parser("conflicts", help="edits that met a different server copy")
    x_commands = conflicts.add_subparsers(dest="action", required=True)
    x_commands.add_parser("list", help="list conflicts")
    x_show = x_commands.add_parser("show", help="print mine, theirs and base of a conflict")
    x_show.add_argument("id", type=integer)
    x_resolve = x_commands.add_parser("resolve", help="settle a conflict")
    x_resolve.add_argument("id", type=integer)
    how = x_resolve.add_mutually_exclusive_group(required=True)
    how.add_argument("--mine", action="store_true", help="this device's version wins")
    how.add_argument("--theirs", action="store_true", help="the server's version wins")
    how.add_argument("--merged", metavar="FILE", help="use the text in FILE ('-': standard input)")
    x_resolve.add_argument("--field", help="the text field FILE is for (default: the one)")
    commands.add_parser(
        "fill",
        help="show Quick Fill in the running window (bind this to a key where the desktop "
        "owns global shortcuts, e.g. on Wayland)",
    )
    position = _unencodable(argv)
    if position is not None:
        parser.error(f"argument {position} is not valid text (invalid UTF-8 or a lone surrogate)")
    return parser.parse_args(argv)


def _print(args: argparse.Namespace, data: Any, lines: list[str]) -> None:
    if args.json:
        json.dump(data, sys.stdout, indent=2, default=str)
        print()
    else:
        for line in lines:
            print(line)


def _entry_data(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "record": entry.record_key,
        "op": entry.op,
        "state": entry.state,
        "attempts": entry.attempts,
        "error_code": entry.last_error_code,
        "error": entry.last_error_message,
        "error_at": entry.last_error_at,
        "queued_at": entry.created_at,
    }


def _templates(args: argparse.Namespace, store: Store) -> int:
    if args.action == "list":
        found = store.list_templates(category=args.category)
        _print(
            args,
            [t.model_dump() for t in found],
            [f"{t.templateId}  {t.title}  [{t.category}]" for t in found],
        )
    elif args.action == "show":
        template = store.get_template(args.id)
        _print(args, template.model_dump(), [json.dumps(template.model_dump(), indent=2)])
    elif args.action == "add":
        content = read_stdin() if args.content == "-" else args.content
        template = store.create_template(
            args.title,
            content=content,
            description=args.description,
            category=args.category,
            tags=args.tags,
        )
        _print(args, template.model_dump(), [template.templateId])
    elif args.action == "edit":
        changes = {
            name: value
            for name, value in {
                "title": args.title,
                "content": read_stdin() if args.content == "-" else args.content,
                "description": args.description,
                "category": args.category,
                "tags": args.tags,
            }.items()
            if value is not None
        }
        template = store.update_template(args.id, **changes)
        _print(args, template.model_dump(), [f"{template.templateId} saved"])
    elif args.action == "delete":
        store.delete_template(args.id)
    return EXIT_OK


def _search(args: argparse.Namespace, store: Store) -> int:
    found = store.search_templates(args.query, category=args.category)
    _print(
        args,
        [t.model_dump() for t in found],
        [f"{t.templateId}  {t.title}  [{t.category}]" for t in found],
    )
    return EXIT_OK


def _queue(args: argparse.Namespace, store: Store) -> int:
    from desktop.store.outbox import State

    if args.action == "list":
        state = State.FAILED if args.failed else State.CONFLICT if args.conflicts else None
        entries = store.queue_entries(state)
        lines = [
            f"{e.id:>6}  {e.state:<9} {e.op:<9} {e.record_key}  attempts={e.attempts}"
            + (
                f"  {e.last_error_code}: {e.last_error_message} ({e.last_error_at})"
                if e.last_error_code
                else ""
            )
            for e in entries
        ]
        counts = store.queue_counts()
        lines.append(", ".join(f"{count} {state}" for state, count in counts.items()))
        _print(args, [_entry_data(e) for e in entries], lines)
        return (
            EXIT_FAILED
            if state is None and (counts[State.FAILED] or counts[State.CONFLICT])
            else EXIT_OK
        )
    if args.action == "retry":
        if args.all_failed:
            print(f"{store.retry_all_failed()} entries will be tried again")
        else:
            store.retry_entry(args.id)
        return EXIT_OK
    store.discard_entry(args.id)
    return EXIT_OK


def _import(args: argparse.Namespace, store: Store) -> int:
    from desktop.store import transfer

    plan = transfer.read_import(read_text(args.file))
    imported, skipped = ([], []) if args.dry_run else store.import_records(plan.records)
    would = plan.counts() if args.dry_run else {}
    counts: dict[str, int] = dict(would)
    for entity, _ in imported:
        counts[entity] = counts.get(entity, 0) + 1
    rejected = [(r.kind, r.name, r.reason) for r in plan.rejected] + [
        (entity, getattr(record, "title", None) or getattr(record, "name", "?"), reason)
        for entity, record, reason in skipped
    ]
    verb = "would import" if args.dry_run else "imported"
    done = ", ".join(transfer.plural(n, entity) for entity, n in counts.items())
    lines = [f"{plan.source}: {verb} {done or 'nothing'}"]
    lines += [f"  not imported: {kind} {name!r}: {reason}" for kind, name, reason in rejected]
    _print(
        args,
        {
            "source": plan.source,
            "dry_run": args.dry_run,
            "imported": counts,
            "rejected": [{"kind": k, "name": n, "reason": r} for k, n, r in rejected],
        },
        lines,
    )
    return EXIT_FAILED if rejected else EXIT_OK


def _export(args: argparse.Namespace, store: Store) -> int:
    from desktop.domain import InvalidInput
    from desktop.store import transfer

    if args.file == "-":
        document = transfer.backup_document(store.export_sections())
        print(json.dumps(document, indent=1, ensure_ascii=False))
        return EXIT_OK
    try:
        counts = transfer.write_backup(Path(args.file), store.export_sections())
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise InvalidInput([f"cannot write {args.file}: {reason}"]) from None
    except OSError as error:
        print(f"gravy-desktop: cannot write {args.file}: {error.strerror}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    print(f"wrote {args.file}: " + ", ".join(f"{n} {name}" for name, n in counts.items()))
    return EXIT_OK


def _settings(args: argparse.Namespace, store: Store) -> SyncSettings:
    """The stored settings, with this run's --endpoint-url on top."""
    from desktop.sync.config import load_settings

    return _this_run(args, load_settings(store))


def _this_run(args: argparse.Namespace, settings: SyncSettings) -> SyncSettings:
    """``settings`` with this run's --endpoint-url on top."""
    from getpass import getuser

    if args.endpoint_url:
        settings = settings.model_copy(
            update={"endpoint_url": args.endpoint_url, "user_id": settings.user_id or getuser()}
        )
    return settings


def _config(args: argparse.Namespace, store: Store) -> int:
    from pydantic import ValidationError

    from desktop.domain import InvalidInput
    from desktop.sync.config import (
        SyncSettings,
        load_secret,
        load_settings,
        save_secret,
        save_settings,
    )
    from desktop.sync.errors import MissingCredentials

    settings = load_settings(store)
    if args.action == "set":
        changes = {
            name: (None if value == "" and name != "table_prefix" else value)
            for name, value in {
                "user_id": args.user_id,
                "region": args.region,
                "endpoint_url": args.set_endpoint_url,
                "table_prefix": args.table_prefix,
                "profile": args.profile,
                "access_key_id": args.access_key_id,
                "sync_interval_s": args.sync_interval_s,
                "pull_overlap_s": args.pull_overlap_s,
                "full_sync_interval_s": args.full_sync_interval_s,
            }.items()
            if value is not None
        }
        try:
            settings = SyncSettings.model_validate(settings.model_dump() | changes)
        except ValidationError as error:
            raise InvalidInput.from_validation_error(error, "setting") from None
        save_settings(store, settings)
    elif args.action == "set-secret":
        if not settings.access_key_id:
            print("gravy-desktop: set --access-key-id first", file=sys.stderr)
            return EXIT_INVALID
        secret = read_stdin(line=True).strip()
        if not secret:
            print("gravy-desktop: no secret on standard input", file=sys.stderr)
            return EXIT_INVALID
        save_secret(settings.access_key_id, secret)
        print(f"secret for {settings.access_key_id} stored in the OS keyring")
        return EXIT_OK
    try:
        has_secret = bool(settings.access_key_id and load_secret(settings.access_key_id))
        secret = "in keyring" if has_secret else "none"
    except MissingCredentials:
        secret = "none (no OS keyring available)"
    shown = settings.model_dump() | {"secret": secret, "configured": settings.configured}
    _print(args, shown, [f"{name}: {value}" for name, value in shown.items()])
    return EXIT_OK


def _tables(args: argparse.Namespace, store: Store) -> int:
    from desktop.sync import tables
    from desktop.sync.config import make_client

    settings = _settings(args, store)
    if args.action == "cloudformation":
        print(json.dumps(tables.cloudformation(settings.table_prefix), indent=2))
        return EXIT_OK
    if args.action == "iam-policy":
        policy = tables.iam_policy(args.region, args.account, settings.table_prefix)
        print(json.dumps(policy, indent=2))
        return EXIT_OK
    client = make_client(settings)
    if args.action == "migrate":
        try:
            migrated = tables.migrate_tables(client, settings.table_prefix, say=print)
        except tables.MigrationError as error:
            print(f"gravy-desktop: {error}", file=sys.stderr)
            return EXIT_ENVIRONMENT
        print(f"migrated {len(migrated)} tables" + (f": {', '.join(migrated)}" if migrated else ""))
        return EXIT_OK

    def progress(line: str) -> None:
        print(f"gravy-desktop: {line}", file=sys.stderr, flush=True)

    try:
        created = tables.create_tables(client, settings.table_prefix, args.wait, progress)
        outdated = tables.outdated_tables(client, settings.table_prefix)
        for name in outdated:
            print(
                f"gravy-desktop: {name} has keys of an earlier release; "
                "run `gravy-desktop tables migrate`",
                file=sys.stderr,
            )
        if outdated:
            return EXIT_ENVIRONMENT
        added = tables.ensure_indexes(client, settings.table_prefix, args.wait, progress)
    except tables.StillBuilding as waiting:
        print(f"gravy-desktop: {waiting}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    print(f"created {len(created)} tables, {len(added)} indexes; all tables ready")
    return EXIT_OK


#: Settings keys `quick` reads (equal to desktop.sync.engine's: a test checks them).
LAST_CYCLE = "sync.last_cycle"
LAST_SUCCESS = "sync.last_success"


def quick(args: argparse.Namespace, path: Path) -> int | None:
    """``sync status``, and ``sync push`` with nothing to send, answered from a glance at
    the database (:mod:`desktop.store.peek`) without loading the store (SQLAlchemy), the
    engine or boto3: headless use runs them from timers. None: run the command the
    ordinary way (a database to create or migrate, settings never saved, entries to send
    or to recover, a sync under way, an account mismatch)."""
    if args.command != "sync" or args.action not in ("status", "push"):
        return None
    from desktop.store import peek
    from desktop.sync.account import OWNER_SETTING
    from desktop.sync.config import SETTINGS_KEY, SyncSettings

    seen = peek.glance(path, (SETTINGS_KEY, LAST_CYCLE, LAST_SUCCESS, OWNER_SETTING))
    if seen is None or SETTINGS_KEY not in seen.settings:
        return None
    settings = _this_run(args, SyncSettings.model_validate(seen.settings[SETTINGS_KEY]))
    counts = seen.counts
    if args.action == "status":
        last = seen.settings.get(LAST_CYCLE)
        success = seen.settings.get(LAST_SUCCESS)
        return _status(
            args,
            settings,
            counts,
            last if isinstance(last, dict) else None,
            str(success) if success else None,
        )
    owner = seen.settings.get(OWNER_SETTING)
    if (
        not settings.configured
        or counts["pending"]
        or counts["in_flight"]
        or (isinstance(owner, dict) and owner.get("sub") != settings.user_id)
        or not peek.lock_is_free(path, "sync")
    ):
        return None
    return _pushed(args, 0, 0, 0, 0, 0, "idle", "", counts, 0, None)


def _status(
    args: argparse.Namespace,
    settings: SyncSettings,
    counts: dict[str, int],
    last: dict[str, Any] | None,
    success: str | None,
) -> int:
    target = (
        f"{settings.endpoint_url or settings.region} as {settings.user_id}"
        if settings.configured
        else "none configured: changes wait in the queue"
    )
    lines = [f"sync target: {target}"] + [f"{state}: {n}" for state, n in counts.items()]
    lines.append(f"last successful sync: {success or 'never'}")
    if last and last.get("state") != "idle":
        lines.append(f"last attempt ({last['at']}): {last['state']}: {last['message']}")
    data = {
        "configured": settings.configured,
        "queue": counts,
        "last_success": success,
        "last_cycle": last,
    }
    _print(args, data, lines)
    return EXIT_FAILED if counts["failed"] or counts["conflict"] else EXIT_OK


def _pushed(
    args: argparse.Namespace,
    sent: int,
    retried: int,
    failed: int,
    conflicts: int,
    requests: int,
    state: str,
    message: str,
    after: dict[str, int],
    waiting: int,
    due: float | None,
) -> int:
    summary = {
        "sent": sent,
        "retrying": retried,
        "failed": failed,
        "conflicts": conflicts,
        "requests": requests,
        "state": state,
        "message": message,
        "queue": after,
        "in_backoff": waiting,
        "next_attempt_at": _iso(due) if due is not None else None,
    }
    _print(
        args,
        summary,
        [
            f"sent {sent}, retrying {retried}, newly failed {failed}, "
            f"new conflicts {conflicts} ({requests} requests)",
            f"queue: {after['pending']} pending, {after['failed']} failed, "
            f"{after['conflict']} conflicts",
        ]
        + (
            [
                f"{waiting} waiting in backoff; next attempt due at {_iso(due)} "
                f"(in {max(0.0, due - time.time()):.1f} s)"
            ]
            if due is not None
            else []
        )
        + ([f"stopped: {state}: {message}"] if state != "idle" else []),
    )
    if state != "idle":
        return EXIT_ENVIRONMENT
    return EXIT_FAILED if after["failed"] or after["conflict"] else EXIT_OK


def _sync(args: argparse.Namespace, store: Store) -> int:
    from desktop.sync.engine import last_cycle, last_success

    settings = _settings(args, store)
    counts = {str(state): n for state, n in store.queue_counts().items()}
    if args.action == "status":
        return _status(args, settings, counts, last_cycle(store), last_success(store))
    if not settings.configured:
        print("gravy-desktop: no sync target is configured (see `config set`)", file=sys.stderr)
        return EXIT_ENVIRONMENT
    if args.action == "run":
        return _sync_run(args, store, settings)
    from desktop.sync.config import make_client
    from desktop.sync.push import PushEngine

    engine = PushEngine(store, make_client(settings), settings)
    report = engine.drain()
    waiting, due = store.queue_backoff()
    return _pushed(
        args,
        report.sent,
        report.retried,
        report.failed,
        report.conflicts,
        report.requests,
        report.state,
        report.message,
        {str(state): n for state, n in store.queue_counts().items()},
        waiting,
        due,
    )


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _sync_run(args: argparse.Namespace, store: Store, settings: SyncSettings) -> int:
    import signal
    import threading

    from desktop.store.outbox import State
    from desktop.sync.config import make_client
    from desktop.sync.engine import CycleReport, SyncEngine

    engine = SyncEngine(store, make_client(settings), settings)

    def show(report: CycleReport) -> None:
        pulled, pushed = report.pull, report.push
        lines = [
            f"{report.finished_at}  pulled {pulled.received} ({pulled.applied} applied, "
            f"{pulled.merged} merged, {pulled.conflicts} conflicts"
            + (f", read in full: {len(pulled.full_tables)} tables" if pulled.full_tables else "")
            + f"); pushed {pushed.sent} ({pushed.merged} merged, {pushed.retried} retrying, "
            f"{pushed.failed} failed, {pushed.conflicts} conflicts)"
        ]
        if not report.ok:
            lines.append(f"stopped: {report.state}: {report.message}")
        for name in pulled.missing_indexes:
            lines.append(f"note: {name} is missing; run `gravy-desktop tables create`")
        _print(args, report.summary() | {"queue": store.queue_counts()}, lines)
        sys.stdout.flush()

    try:
        if args.watch:
            stop = threading.Event()
            # A service manager's stop (SIGTERM) ends the loop between cycles.
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            try:
                engine.watch(stop, args.interval, on_cycle=show)
            except KeyboardInterrupt:
                stop.set()
            return EXIT_OK
        report = engine.run_once(full=True if args.full else None)
        show(report)
    finally:
        engine.close()
    if not report.ok:
        return EXIT_ENVIRONMENT
    after = store.queue_counts()
    return EXIT_FAILED if after[State.FAILED] or after[State.CONFLICT] else EXIT_OK


def _conflicts(args: argparse.Namespace, store: Store) -> int:
    from desktop.sync.resolution import Resolution, get_conflict, list_conflicts, resolve

    if args.action == "list":
        found = list_conflicts(store)
        _print(
            args,
            [c.to_json() for c in found],
            [
                f"{c.entry_id:>6}  {c.entity:<8} {c.title}  [{', '.join(c.fields)}]  {c.message}"
                for c in found
            ]
            + [f"{len(found)} conflicts"],
        )
        return EXIT_FAILED if found else EXIT_OK
    if args.action == "show":
        conflict = get_conflict(store, args.id)
        _print(args, conflict.to_json(), _conflict_lines(conflict))
        return EXIT_OK
    if args.merged is not None:
        text = read_text(args.merged)
        how, merged = Resolution.MERGED, text
    else:
        how, merged = (Resolution.MINE if args.mine else Resolution.THEIRS), None
    result = resolve(store, args.id, how, merged_text=merged, field=args.field)
    _print(
        args,
        {"id": args.id, "resolution": str(how), "state": result},
        [f"conflict {args.id} resolved ({how}); the result is queued for the next sync"],
    )
    return EXIT_OK


def _conflict_lines(conflict: Conflict) -> list[str]:
    lines = [
        f"conflict {conflict.entry_id}: {conflict.entity} {conflict.record_id} ({conflict.title})",
        f"  {conflict.message} (since {conflict.since})",
        f"  fields to decide: {', '.join(conflict.fields)}",
    ]
    for name in conflict.fields:
        for side, state in (
            ("base", conflict.base),
            ("mine", conflict.mine),
            ("theirs", conflict.theirs),
        ):
            value = "(deleted)" if state is None else json.dumps(state.get(name))
            lines.append(f"  {side:>6} {name}: {value}")
    return lines


HANDLERS: dict[str, Callable[[argparse.Namespace, Store], int]] = {
    "templates": _templates,
    "search": _search,
    "queue": _queue,
    "config": _config,
    "tables": _tables,
    "sync": _sync,
    "conflicts": _conflicts,
    "import": _import,
    "export": _export,
}


def run(args: argparse.Namespace, store: Store) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from desktop.domain import InvalidInput
    from desktop.store.outbox import NoSuchEntry, QueueError
    from desktop.store.services import NotFound
    from desktop.sync.errors import MissingCredentials, classify

    try:
        return HANDLERS[args.command](args, store)
    except InvalidInput as error:
        for problem in error.problems:
            print(f"gravy-desktop: {problem}", file=sys.stderr)
        return EXIT_INVALID
    except (NotFound, NoSuchEntry, QueueError) as error:
        print(f"gravy-desktop: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (MissingCredentials, BotoCoreError, ClientError) as error:
        fault = classify(error)
        assert fault is not None  # these three are always faults of the environment
        print(f"gravy-desktop: {fault.kind}: {fault.code}: {fault.message}", file=sys.stderr)
        return EXIT_ENVIRONMENT
