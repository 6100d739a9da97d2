"""`rightsbot suppressions` and `rightsbot digest`: lifecycle commands."""

from __future__ import annotations

import argparse
import csv
import sys
from typing import Any

from dsr.config import Settings


def register(sub: Any) -> None:
    """Add this module's subcommands to the `rightsbot` parser."""
    p = sub.add_parser("suppressions", help="addresses that objected to direct marketing")
    p.add_argument("--export", choices=["csv"], help="write CSV to standard output")
    p.set_defaults(handler=cmd_suppressions)
    p = sub.add_parser("digest", help="queue and send the staff digest of due/overdue tickets now")
    p.set_defaults(handler=cmd_digest)
    register_purge(sub)


def cmd_suppressions(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import select

    from dsr.tickets import Suppression, Ticket
    from rightsbot.cli import _store

    store = _store(settings)
    with store.unit_of_work() as session:
        rows = session.execute(
            select(Suppression.address, Suppression.reason, Suppression.created_at, Ticket.ref)
            .outerjoin(Ticket, Ticket.id == Suppression.ticket_id)
            .order_by(Suppression.created_at)).all()
    if args.export == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["address", "reason", "since", "ticket"])
        for address, reason, since, ref in rows:
            writer.writerow([address, reason, since.isoformat(timespec="seconds") + "Z", ref or ""])
        return 0
    for address, reason, since, ref in rows:
        print(f"{address}  {reason}  since {since:%Y-%m-%d}  {ref or ''}")
    if not rows:
        print("no suppressed addresses")
    return 0


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    from dsr.store import utcnow
    from responders.digest import queue_digest
    from rightsbot.cli import _deliver, _services

    services = _services(settings)
    with services.store.unit_of_work() as session:
        queued = queue_digest(session, settings, utcnow())
    print("digest queued" if queued else "nothing due (or no organisation.staff_address set)")
    _deliver(services)
    return 0


def register_purge(sub: Any) -> None:
    p = sub.add_parser("purge", help="apply the retention policy (see [retention])")
    p.add_argument("--dry-run", action="store_true", help="show what would go; change nothing")
    p.set_defaults(handler=cmd_purge)


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    from dsr.retention import purge
    from dsr.store import utcnow
    from rightsbot.cli import _store

    def progress(done: int, total: int) -> None:
        print(f"\rpurge: {done}/{total}", end="", file=sys.stderr, flush=True)

    store = _store(settings)
    with store.unit_of_work() as session:
        items = purge(session, utcnow(), settings.retention.years_after_closure,
                      settings.retention.delete_attachments_after_verification,
                      dry_run=args.dry_run, progress=progress)
    if items:
        print(file=sys.stderr)
    verb = "would" if args.dry_run else "did"
    for item in items:
        print(f"{item.ref}  {verb} {item.action.replace('_', ' ')}  ({item.detail})")
    print(f"{len(items)} item(s); {'nothing changed (dry run)' if args.dry_run else 'done'}")
    return 0
