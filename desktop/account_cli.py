"""The CLI's ``account`` commands and ``config import``: signing in with the Gravy account.

They run before any database is opened (which database is the account's), so they take
the data folder, not a store. Passwords are read without echo (``getpass``), or, for
scripts, one per line from standard input with ``--password-stdin`` (a challenge's new
password or code on the following lines). Nothing secret is printed or logged.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from desktop.sync import account
from desktop.sync.account import AccountError, Challenge, Cognito, Deployment
from desktop.sync.errors import MissingCredentials, classify

if TYPE_CHECKING:  # the store (SQLAlchemy) loads on use: the CLI's parser goes without it
    from desktop.store.services import Store

EXIT_OK, EXIT_FAILED, EXIT_ENVIRONMENT, EXIT_INVALID = 0, 1, 2, 3
#: Every queue state (desktop.store.outbox.State's values): all of them are unsynced changes.
UNSYNCED = ("pending", "in_flight", "failed", "conflict")


def add_parsers(commands: Any) -> None:
    """``account ...`` under the CLI's commands."""
    parser = commands.add_parser("account", help="sign in with your Gravy account")
    actions = parser.add_subparsers(dest="action", required=True)
    sign_in = actions.add_parser("sign-in", help="sign in (switches this computer to it)")
    sign_in.add_argument("email", nargs="?")
    sign_in.add_argument(
        "--browser",
        action="store_true",
        help="sign in on the account's web page in your browser (single sign-on)",
    )
    sign_in.add_argument("--code", help="the code from your authenticator app, if asked")
    sign_in.add_argument(
        "--adopt-offline",
        action="store_true",
        help="also move the records written offline (nobody signed in) into this account",
    )
    sign_up = actions.add_parser("sign-up", help="create an account")
    sign_up.add_argument("email")
    confirm = actions.add_parser("confirm", help="confirm a new account with its emailed code")
    confirm.add_argument("email")
    confirm.add_argument("code", nargs="?")
    confirm.add_argument("--resend", action="store_true", help="send a new code instead")
    forgot = actions.add_parser(
        "forgot-password", help="email a code, then (with --code) choose a new password"
    )
    forgot.add_argument("email")
    forgot.add_argument("--code", help="the code from the email")
    out = actions.add_parser("sign-out", help="sign out (your records stay on this computer)")
    out.add_argument(
        "--sync-first", action="store_true", help="send the unsynced changes, then sign out"
    )
    out.add_argument(
        "--force", action="store_true", help="sign out even with unsynced changes (kept here)"
    )
    actions.add_parser("status", help="who is signed in, and what is not synced yet")
    actions.add_parser(
        "adopt-offline",
        help="move the records written offline (nobody signed in) into the signed-in account",
    )
    for command in (sign_in, sign_up, forgot):
        command.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password(s) from standard input, one per line",
        )


def add_config_import(config_commands: Any) -> None:
    """``config import FILE`` under the CLI's ``config``."""
    importer = config_commands.add_parser(
        "import",
        help="use the deployment file your organisation ships (region, user pool, app "
        "client, identity pool), or a CloudFormation stack's outputs (JSON)",
    )
    importer.add_argument("file")


def handles(args: argparse.Namespace) -> bool:
    return bool(args.command == "account" or (args.command == "config" and args.action == "import"))


def run(args: argparse.Namespace, open_store: Callable[[Path], Store]) -> int:
    home = account.data_home()
    try:
        if args.command == "config":
            return _import(args, home)
        return ACTIONS[args.action](args, home, open_store)
    except Challenge as challenge:
        print(f"gravy-desktop: {challenge}", file=sys.stderr)
        return EXIT_INVALID
    except AccountError as error:
        print(f"gravy-desktop: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (MissingCredentials, BotoCoreError, ClientError) as error:
        fault = classify(error)
        assert fault is not None  # these three are always faults of the environment
        print(f"gravy-desktop: {fault.kind}: {fault.message}", file=sys.stderr)
        return EXIT_ENVIRONMENT


def _out(args: argparse.Namespace, data: Any, lines: list[str]) -> None:
    if args.json:
        print(json.dumps(data, indent=2, default=str))
    else:
        print("\n".join(lines))


class _Secrets:
    """Passwords and codes: from standard input (one per line) or typed without echo."""

    def __init__(self, from_stdin: bool) -> None:
        self.from_stdin = from_stdin

    def password(self, prompt: str, twice: bool = False) -> str:
        if self.from_stdin:
            value = sys.stdin.readline().rstrip("\n")
            if not value:
                raise AccountError("no password on standard input")
            return value
        value = getpass.getpass(prompt)
        if twice and getpass.getpass("Again: ") != value:
            raise AccountError("the two passwords differ")
        return value

    def code(self, given: str | None) -> str:
        if given:
            return given
        if self.from_stdin:
            return sys.stdin.readline().strip()
        return input("Code from your authenticator app: ").strip()


def _deployment(home: Path) -> Deployment:
    deployment = account.load_deployment(home)
    if deployment is None:
        raise AccountError(
            "this installation does not know where the Gravy account lives: put the "
            f"{account.DEPLOYMENT_FILE} your organisation gives you next to the app, or run "
            "`gravy-desktop config import FILE`"
        )
    return deployment


def _import(args: argparse.Namespace, home: Path) -> int:
    deployment = account.import_deployment(home, Path(args.file))
    _out(
        args,
        deployment.model_dump(),
        [
            f"deployment imported: region {deployment.region}, user pool "
            f"{deployment.user_pool_id}, app client {deployment.app_client_id}, identity pool "
            f"{deployment.identity_pool_id}",
            "sign in with: gravy-desktop account sign-in EMAIL",
        ],
    )
    return EXIT_OK


def _sign_in(args: argparse.Namespace, home: Path, open_store: Callable[[Path], Store]) -> int:
    deployment = _deployment(home)
    if not args.email and not args.browser:
        raise AccountError("give your email address, or --browser to sign in on the web page")
    current = account.load_registry(home).signed_in
    cognito = Cognito(deployment)
    if args.browser:
        tokens = _browser_tokens(deployment, cognito)
        email = tokens.email or args.email or tokens.sub
    else:
        email = args.email
    if current is not None and current.email.lower() != email.lower():
        raise AccountError(
            f"{current.email} is signed in on this computer; sign out first "
            "(`gravy-desktop account sign-out`)"
        )
    if not args.browser:
        tokens = _password_tokens(args, cognito)
    signed_in = account.sign_in_result(home, deployment, email, tokens, cognito)
    path = account.account_database_path(home, signed_in.sub)
    store = open_store(path)
    try:
        account.bind_database(store, signed_in, deployment)
        unsynced = _unsynced(store)
        offline = _offline(home, signed_in.sub, open_store, store if args.adopt_offline else None)
    finally:
        store.database.close()
    _out(
        args,
        {"email": signed_in.email, "sub": signed_in.sub, "database": str(path)} | offline[0],
        [f"signed in as {signed_in.email}; records on this computer: {path}"]
        + (
            [f"{account.changes(unsynced)} from an earlier session will be synced"]
            if unsynced
            else []
        )
        + offline[1],
    )
    return EXIT_OK


def _password_tokens(args: argparse.Namespace, cognito: Cognito) -> account.Tokens:
    secrets = _Secrets(args.password_stdin)
    password = secrets.password("Password: ")
    try:
        return cognito.sign_in(args.email, password)
    except Challenge as challenge:
        if challenge.kind == "new_password":
            print("A new password is required for this account.", file=sys.stderr)
            return cognito.answer_new_password(
                challenge, secrets.password("New password: ", twice=True)
            )
        return cognito.answer_mfa(challenge, secrets.code(args.code))


def _browser_tokens(deployment: Deployment, cognito: Cognito) -> account.Tokens:
    """Sign in on the hosted page: the system browser opens it (the address is printed too,
    for a machine whose browser does not open)."""
    from desktop.sync.browser import BrowserSignIn

    def open_page(url: str) -> bool:
        print(f"Sign in in your browser; if it did not open, visit:\n{url}", file=sys.stderr)
        return webbrowser.open(url)

    return BrowserSignIn(deployment, open_browser=open_page, cognito=cognito).sign_in()


def _offline(
    home: Path, sub: str, open_store: Callable[[Path], Store], target: Store | None
) -> tuple[dict[str, Any], list[str]]:
    """What waits in the offline database for the account ``sub``; moved into ``target``
    when given. (JSON fields, lines to print.)"""
    path = account.offline_database_path(home)
    if not path.exists():
        return {}, []
    from desktop.store import adoption

    offline = open_store(path)
    try:
        waiting = adoption.waiting(offline)
        if not waiting.offered_to(sub):
            if waiting.synced and waiting.total:
                return {}, [f"not moved: {adoption.SYNCS_ELSEWHERE}"]
            if waiting.claimed_by is None:
                return {}, []
            other = waiting.claimed_by.get("email") or waiting.claimed_by.get("sub")
            return {}, [f"the records written offline belong to {other}'s account now"]
        if target is None:
            return {"offline": {"records": waiting.records, "changes": waiting.changes}}, [
                f"written offline on this computer and not in this account yet: "
                f"{waiting.describe()}; to move them into it (and sync them): "
                "gravy-desktop account adopt-offline"
            ]
        moved = adoption.adopt(offline, target, sub, _owner_email(target))
    finally:
        offline.database.close()
    return {"adopted": moved.moved}, [
        f"moved into this account from the offline records: {moved.describe()}"
        + (f" ({moved.already} moved already by an earlier run)" if moved.already else "")
        + "; they are synced with the next sync"
    ]


def _owner_email(store: Store) -> str:
    owner = account.bound_owner(store) or {}
    return str(owner.get("email") or "")


def _adopt(args: argparse.Namespace, home: Path, open_store: Callable[[Path], Store]) -> int:
    from desktop.store import adoption

    current = account.load_registry(home).signed_in
    if current is None:
        raise AccountError(
            "nobody is signed in: sign in first (gravy-desktop account sign-in EMAIL "
            "--adopt-offline)"
        )
    store = open_store(account.account_database_path(home, current.sub))
    try:
        if (account.bound_owner(store) or {}).get("sub") != current.sub:
            raise AccountError(f"sign in again as {current.email} first")
        data, lines = _offline(home, current.sub, open_store, store)
    except adoption.AdoptionRefused as refused:
        raise AccountError(str(refused)) from None
    finally:
        store.database.close()
    if not lines:
        lines = ["nothing written offline is waiting to be moved into this account"]
        data = {"adopted": {}}
    _out(args, data, lines)
    return EXIT_OK


def _sign_up(args: argparse.Namespace, home: Path, open_store: Callable[[Path], Store]) -> int:
    cognito = Cognito(_deployment(home))
    confirmed = cognito.sign_up(
        args.email, _Secrets(args.password_stdin).password("Choose a password: ", twice=True)
    )
    print(
        f"account created for {args.email}; sign in with: gravy-desktop account sign-in "
        f"{args.email}"
        if confirmed
        else f"account created; enter the code emailed to {args.email} with: "
        f"gravy-desktop account confirm {args.email} CODE"
    )
    return EXIT_OK


def _confirm(args: argparse.Namespace, home: Path, open_store: Callable[[Path], Store]) -> int:
    cognito = Cognito(_deployment(home))
    if args.resend or not args.code:
        cognito.resend_code(args.email)
        print(f"a new code was emailed to {args.email}")
        return EXIT_OK
    cognito.confirm(args.email, args.code.strip())
    print(f"{args.email} is confirmed; sign in with: gravy-desktop account sign-in {args.email}")
    return EXIT_OK


def _forgot(args: argparse.Namespace, home: Path, open_store: Callable[[Path], Store]) -> int:
    cognito = Cognito(_deployment(home))
    if not args.code:
        cognito.forgot_password(args.email)
        print(
            f"if {args.email} has an account, a code is on its way; then: gravy-desktop "
            f"account forgot-password {args.email} --code CODE"
        )
        return EXIT_OK
    new = _Secrets(args.password_stdin).password("New password: ", twice=True)
    cognito.reset_password(args.email, args.code.strip(), new)
    print(f"password changed; sign in with: gravy-desktop account sign-in {args.email}")
    return EXIT_OK


def _unsynced(store: Store) -> int:
    counts = store.queue_counts()
    return sum(n for state, n in counts.items() if state in UNSYNCED)


def _sign_out(args: argparse.Namespace, home: Path, open_store: Callable[[Path], Store]) -> int:
    current = account.load_registry(home).signed_in
    if current is None:
        print("nobody is signed in")
        return EXIT_OK
    store = open_store(account.account_database_path(home, current.sub))
    try:
        if args.sync_first:
            _sync_once(store)
        unsynced = _unsynced(store)
    finally:
        store.database.close()
    if unsynced and not args.force:
        print(
            f"{account.not_synced(unsynced)}. They stay on this computer and are "
            f"sent when {current.email} signs in again. To send them now: gravy-desktop "
            "account sign-out --sync-first; to sign out anyway: --force",
            file=sys.stderr,
        )
        return EXIT_FAILED
    account.sign_out(home, account.load_deployment(home))
    kept = f" ({account.changes(unsynced)} kept for the next sign-in)" if unsynced else ""
    print(f"signed out {current.email}{kept}")
    return EXIT_OK


def _sync_once(store: Store) -> None:
    from desktop.sync.config import load_settings, make_client
    from desktop.sync.engine import SyncEngine

    settings = load_settings(store)
    engine = SyncEngine(store, make_client(settings), settings)
    try:
        report = engine.run_once()
    finally:
        engine.close()
    print(f"synced: pushed {report.push.sent}" + ("" if report.ok else f"; {report.message}"))


def _status(args: argparse.Namespace, home: Path, open_store: Callable[[Path], Store]) -> int:
    current = account.load_registry(home).signed_in
    deployment = account.load_deployment(home)
    where = f"{deployment.region} {deployment.user_pool_id}" if deployment else "not set up"
    if current is None:
        _out(
            args,
            {"signed_in": False, "deployment": deployment and deployment.model_dump()},
            ["nobody is signed in (records go to the offline database)", f"account: {where}"],
        )
        return EXIT_OK
    path = account.account_database_path(home, current.sub)
    store = open_store(path)
    try:
        unsynced = _unsynced(store)
    finally:
        store.database.close()
    session = "kept in the OS keyring" if account.load_refresh_token(current.sub) else "ended"
    _out(
        args,
        {
            "signed_in": True,
            "email": current.email,
            "sub": current.sub,
            "database": str(path),
            "session": session,
            "unsynced": unsynced,
        },
        [
            f"signed in as {current.email} (user id {current.sub})",
            f"account: {where}; session {session}",
            f"records: {path}; {account.changes(unsynced)} not synced yet",
        ],
    )
    return EXIT_OK


ACTIONS: dict[str, Callable[[argparse.Namespace, Path, Callable[[Path], Store]], int]] = {
    "sign-in": _sign_in,
    "sign-up": _sign_up,
    "confirm": _confirm,
    "forgot-password": _forgot,
    "sign-out": _sign_out,
    "status": _status,
    "adopt-offline": _adopt,
}
