"""The headless command line: the same store (and sync engine) as the window, for scripts.

Exit codes: 0 success, 1 something failed or is left failed, 2 the environment is at fault
(database unreadable, busy, ...), 3 invalid input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from desktop.domain import InvalidInput
from desktop.store.models import OutboxEntry
from desktop.store.outbox import QueueError, State
from desktop.store.services import NotFound, Store

EXIT_OK, EXIT_FAILED, EXIT_ENVIRONMENT, EXIT_INVALID = 0, 1, 2, 3


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="gravy-desktop",
        description="Offline-first GravyJS template editor. With no command, opens the window.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument(
        "--db", help="database file (default: per-user data folder, or $GRAVY_DESKTOP_DB)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
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
    target.add_argument("id", nargs="?", type=int)
    target.add_argument("--all-failed", action="store_true")
    q_discard = q_commands.add_parser("discard", help="drop a queued change for good")
    q_discard.add_argument("id", type=int)
    return parser.parse_args(argv)


def _print(args: argparse.Namespace, data: Any, lines: list[str]) -> None:
    if args.json:
        json.dump(data, sys.stdout, indent=2, default=str)
        print()
    else:
        for line in lines:
            print(line)


def _entry_data(entry: OutboxEntry) -> dict[str, Any]:
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
        content = sys.stdin.read() if args.content == "-" else args.content
        template = store.create_template(
            args.title,
            content=content,
            description=args.description,
            category=args.category,
            tags=args.tags,
        )
        _print(args, template.model_dump(), [template.templateId])
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


HANDLERS: dict[str, Callable[[argparse.Namespace, Store], int]] = {
    "templates": _templates,
    "search": _search,
    "queue": _queue,
}


def run(args: argparse.Namespace, store: Store) -> int:
    try:
        return HANDLERS[args.command](args, store)
    except InvalidInput as error:
        for problem in error.problems:
            print(f"gravy-desktop: {problem}", file=sys.stderr)
        return EXIT_INVALID
    except (NotFound, QueueError) as error:
        print(f"gravy-desktop: {error}", file=sys.stderr)
        return EXIT_FAILED
