"""Reply -> ticket: References/In-Reply-To to our Message-IDs first, then the subject tag."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dsr.store import find_ticket, find_ticket_by_message_ids
from dsr.tickets import Ticket, TicketRef
from intake.mime import ParsedMessage


def match_ticket(session: Session, msg: ParsedMessage) -> Ticket | None:
    """The existing ticket this message continues, or None for a new conversation."""
    ticket = find_ticket_by_message_ids(session, msg.thread_ids)
    if ticket is not None:
        return ticket
    ref = TicketRef.parse(msg.subject)
    return find_ticket(session, ref) if ref else None
