"""`rightsbot users ...` and `rightsbot feedback ...`: the staff-facing commands."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from dsr.config import Settings

EX_USAGE = 64  # sysexits.h


def register(sub: Any) -> None:
    """Add this module's subcommands to the `rightsbot` parser."""
    users = sub.add_parser("users", help="staff accounts for the web view")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    p = users_sub.add_parser("add", help="add a user; the password is asked for (or read from "
                             "stdin when it is not a terminal)")
    p.add_argument("name")
    p.add_argument("--role", choices=("staff", "admin"), default="staff")
    p.set_defaults(handler=cmd_users_add)
    p = users_sub.add_parser("list", help="list users with role, status and last login")
    p.set_defaults(handler=cmd_users_list)
    feedback = sub.add_parser("feedback", help="staff label corrections")
    feedback_sub = feedback.add_subparsers(dest="feedback_command", required=True)
    p = feedback_sub.add_parser("export", help="write corrections as JSONL training examples "
                                "in the format of classifier/examples")
    p.add_argument("--output", type=Path, help="file to write (default: standard output)")
    p.set_defaults(handler=cmd_feedback_export)


def _store(settings: Settings) -> Any:
    from rightsbot.cli import _store as migrated_store

    return migrated_store(settings)


def read_password(stdin: TextIO = sys.stdin) -> str:
    """Ask twice on a terminal; otherwise take the first line of stdin (for scripts)."""
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise ValueError("the two passwords differ")
        return first
    return stdin.readline().rstrip("\r\n")


def cmd_users_add(args: argparse.Namespace, settings: Settings) -> int:
    from dsr.store import utcnow
    from web.accounts import AccountError, create_user

    try:
        password = read_password()
        with _store(settings).unit_of_work() as session:
            create_user(session, args.name, password, args.role, utcnow())
    except (AccountError, ValueError) as problem:
        print(f"rightsbot: no user added: {problem}", file=sys.stderr)
        return EX_USAGE
    print(f"added {args.role} {args.name.strip()}")
    return 0


def cmd_users_list(args: argparse.Namespace, settings: Settings) -> int:
    from web.accounts import list_users

    with _store(settings).unit_of_work() as session:
        rows = [(u.name, u.role, "active" if u.active else "inactive",
                 u.last_login_at.isoformat(timespec="minutes") if u.last_login_at else "never")
                for u in list_users(session)]
    for name, role, status, last in rows:
        print(f"{name:<24} {role:<6} {status:<9} last login {last}")
    if not rows:
        print("no users yet: rightsbot users add NAME --role admin")
    return 0


def feedback_examples(session: Any) -> list[dict[str, Any]]:
    """The latest correction per ticket, with the ticket's first incoming mail as the text."""
    from sqlalchemy import select

    from dsr.tickets import LabelFeedback, MailMessage, Ticket
    from intake.mime import parse

    latest: dict[int, LabelFeedback] = {}
    for row in session.execute(select(LabelFeedback).order_by(LabelFeedback.id)).scalars():
        latest[row.ticket_id] = row
    examples = []
    for ticket_id, row in sorted(latest.items()):
        ticket = session.get(Ticket, ticket_id)
        first = session.execute(
            select(MailMessage).where(MailMessage.ticket_id == ticket_id,
                                      MailMessage.direction == "in")
            .order_by(MailMessage.id).limit(1)).scalar_one_or_none()
        if ticket is None or first is None or not first.raw:
            continue
        parsed = parse(first.raw)
        examples.append({"id": f"feedback-{ticket.ref}", "lang": ticket.language,
                         "subject": parsed.subject, "body": parsed.text,
                         "labels": sorted(row.labels_after)})
    return examples


def cmd_feedback_export(args: argparse.Namespace, settings: Settings) -> int:
    with _store(settings).unit_of_work() as session:
        examples = feedback_examples(session)
    lines = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in examples)
    if args.output:
        args.output.write_text(lines, encoding="utf-8")
        print(f"wrote {len(examples)} examples to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(lines)
    return 0
