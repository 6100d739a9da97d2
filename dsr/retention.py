"""Retention: reduce closed tickets to a register entry after the retention period, and
delete attachments (identity documents) from stored mail once identity is confirmed.

Everything is an audited event; `dry_run` reports what would go and changes nothing.
"""

from __future__ import annotations

import email
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email import policy

from sqlalchemy import select
from sqlalchemy.orm import Session

from dsr.casework import add_event
from dsr.deadlines import add_months
from dsr.tickets import MailMessage, OutboxItem, Ticket

ACTOR = "retention"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PurgeItem:
    ref: str
    action: str       # "reduce" | "strip_attachments"
    detail: str


def retention_cutoff(now: datetime, years: int) -> datetime:
    return datetime.combine(add_months(now.date(), -12 * years), now.time())


def due_for_reduction(session: Session, now: datetime, years: int) -> list[Ticket]:
    cutoff = retention_cutoff(now, years)
    return list(session.execute(
        select(Ticket).where(Ticket.closed_at.is_not(None), Ticket.closed_at < cutoff,
                             Ticket.requester_email != "")
        .order_by(Ticket.closed_at)).scalars())


def reduce_ticket(session: Session, ticket: Ticket, now: datetime) -> int:
    """Keep reference, dates, rights, state and outcome; drop the mail and the person."""
    removed = 0
    for message in ticket.messages:
        removed += len(message.raw)
        message.raw, message.subject, message.sender_name = b"", "", ""
        message.sender, message.summary = "", {}
    outbox = select(OutboxItem).where(OutboxItem.ticket_id == ticket.id)
    for item in session.execute(outbox).scalars():
        removed += len(item.raw)
        item.raw, item.recipient = b"", ""
    ticket.requester_email, ticket.requester_name, ticket.subject = "", "", ""
    ticket.evidence, ticket.signals, ticket.identity_note = {}, {}, ""
    add_event(session, ticket, "purged", now, ACTOR,
              {"bytes_removed": removed, "kept": "register entry"})
    return removed


def with_attachments_removed(raw: bytes) -> bytes | None:
    """The message without its attachment parts, or None when it has none."""
    msg = email.message_from_bytes(raw, policy=policy.default)
    if not msg.is_multipart():
        return None
    attachments = [p for p in msg.walk() if not p.is_multipart()
                   and (p.get_content_disposition() == "attachment" or p.get_filename())]
    if not attachments:
        return None
    for part in attachments:
        name = part.get_filename() or "attachment"
        part.set_content(f"[{name} deleted after identity was confirmed]",
                         disposition="inline")
    return msg.as_bytes(policy=policy.SMTP)


def verified_with_attachments(session: Session) -> list[tuple[Ticket, MailMessage]]:
    rows = session.execute(
        select(Ticket, MailMessage).join(MailMessage, MailMessage.ticket_id == Ticket.id)
        .where(Ticket.identity_state == "verified", MailMessage.direction == "in",
               MailMessage.raw != b"")).all()
    return [(t, m) for t, m in rows if (m.summary or {}).get("attachments")
            and not (m.summary or {}).get("attachments_deleted")]


def purge(session: Session, now: datetime, years: int, strip_attachments: bool,
          dry_run: bool, progress: Progress | None = None) -> list[PurgeItem]:
    """Apply the retention policy in the caller's transaction (or only report it)."""
    items: list[PurgeItem] = []
    old = due_for_reduction(session, now, years)
    stripping = verified_with_attachments(session) if strip_attachments else []
    total = len(old) + len(stripping)
    for done, ticket in enumerate(old, 1):
        closed = ticket.closed_at.date().isoformat() if ticket.closed_at else "?"
        if not dry_run:
            reduce_ticket(session, ticket, now)
        items.append(PurgeItem(ticket.ref, "reduce", f"closed {closed}"))
        if progress:
            progress(done, total)
    for done, (ticket, message) in enumerate(stripping, len(old) + 1):
        names = [a.get("filename") or a.get("content_type") for a in message.summary["attachments"]]
        if not dry_run:
            stripped = with_attachments_removed(message.raw)
            if stripped is not None:
                message.raw = stripped
                message.summary = {**message.summary, "attachments_deleted": True}
                add_event(session, ticket, "attachments_deleted", now, ACTOR,
                          {"message": message.id, "files": names})
        items.append(PurgeItem(ticket.ref, "strip_attachments", ", ".join(map(str, names))))
        if progress:
            progress(done, total)
    return items
