"""The daily staff digest: tickets due within N days and overdue ones, mailed to staff."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dsr.config import Settings
from dsr.tickets import CLOSED_STATES, Ticket
from responders.compose import build_message, new_message_id
from responders.outbox import queue


def due_soon(session: Session, today: date, days: int) -> list[Ticket]:
    """Open tickets due on or before today + days, the most urgent first."""
    closed = [s.value for s in CLOSED_STATES]
    return list(session.execute(
        select(Ticket).where(Ticket.state.not_in(closed),
                             Ticket.due_on <= today + timedelta(days=days))
        .order_by(Ticket.due_on, Ticket.id)).scalars())


def digest_text(tickets: list[Ticket], today: date, days: int) -> str:
    overdue = [t for t in tickets if t.due_on < today]
    soon = [t for t in tickets if t.due_on >= today]
    lines = [f"rightsbot digest for {today.isoformat()}", ""]
    for title, group in ((f"Overdue ({len(overdue)})", overdue),
                         (f"Due within {days} days ({len(soon)})", soon)):
        lines.append(title)
        for t in group:
            left = (t.due_on - today).days
            lines.append(f"  {t.ref}  due {t.due_on.isoformat()} ({left:+d} days)  {t.state}"
                         f"  {', '.join(t.kinds) or '-'}  {t.assignee or 'unassigned'}")
        if not group:
            lines.append("  none")
        lines.append("")
    return "\n".join(lines)


def queue_digest(session: Session, settings: Settings, now: datetime) -> bool:
    """Queue today's digest for organisation.staff_address; False when there is nothing to send."""
    staff = settings.organisation.staff_address
    days = settings.lifecycle.reminder_days
    tickets = due_soon(session, now.date(), days)
    if not staff or not tickets:
        return False
    org = settings.organisation
    domain = org.reply_from.rsplit("@", 1)[1]
    message = build_message(
        sender=org.reply_from, sender_name="rightsbot", recipient=staff, recipient_name="",
        subject=f"rightsbot: {len(tickets)} request(s) due within {days} days or overdue",
        body=digest_text(tickets, now.date(), days),
        message_id=new_message_id(domain, f"digest.{now.date().isoformat()}"), language="en",
        now=now, auto_submitted="auto-generated")
    queue(session, None, "digest", message, now)
    return True
