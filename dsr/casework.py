"""Ticket actions shared by intake and the web view; each one writes an audit event."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dsr.deadlines import due_on
from dsr.store import next_ref
from dsr.tickets import (
    Suppression,
    Ticket,
    TicketEvent,
    TicketRight,
    TicketState,
    check_transition,
)

SYSTEM = "rightsbot"


@dataclass(frozen=True)
class NewTicket:
    """What intake knows when it opens a ticket."""

    requester_email: str
    requester_name: str
    language: str
    received_at: datetime
    kinds: tuple[str, ...]
    state: TicketState
    decision: str
    subject: str = ""
    scores: Mapping[str, float] = field(default_factory=dict)
    evidence: Mapping[str, list[str]] = field(default_factory=dict)
    model_version: str = ""


def open_ticket(session: Session, new: NewTicket, policy: str, now: datetime) -> Ticket:
    """Create the ticket with its reference and statutory deadline, and log `opened`."""
    ref = next_ref(session, new.received_at.year)
    ticket = Ticket(
        year=ref.year, number=ref.number, ref=ref.format(), state=new.state.value,
        requester_email=new.requester_email, requester_name=new.requester_name,
        language=new.language, received_at=new.received_at,
        due_on=due_on(new.received_at.date(), policy), decision=new.decision,
        scores=dict(new.scores), evidence={k: list(v) for k, v in new.evidence.items()},
        model_version=new.model_version, subject=new.subject, created_at=now, updated_at=now,
        # Column defaults apply only at flush; the deadline rules need the values now.
        paused_days=0, extension_months=0, extension_reason="", identity_state="unverified",
        identity_note="", signals={}, assignee="", outcome_reason="",
    )
    ticket.rights = [TicketRight(kind=k) for k in sorted(set(new.kinds))]
    from dsr.lifecycle import start_ticket

    start_ticket(ticket, policy)
    session.add(ticket)
    session.flush()
    add_event(session, ticket, "opened", now, SYSTEM, {
        "state": ticket.state, "rights": ticket.kinds, "decision": new.decision,
        "due_on": ticket.due_on.isoformat(), "policy": policy,
        "model_version": new.model_version,
    })
    return ticket


def add_event(session: Session, ticket: Ticket | None, kind: str, now: datetime,
              actor: str = SYSTEM, detail: Mapping[str, Any] | None = None) -> TicketEvent:
    event = TicketEvent(ticket=ticket, at=now, actor=actor, kind=kind, detail=dict(detail or {}))
    session.add(event)
    if ticket is not None:
        ticket.updated_at = now
    return event


def move(session: Session, ticket: Ticket, target: TicketState, now: datetime,
         actor: str, reason: str = "") -> None:
    """Change state if the lifecycle allows it (else IllegalTransition), with an event."""
    current = TicketState(ticket.state)
    check_transition(current, target)
    ticket.state = target.value
    add_event(session, ticket, "state_changed", now, actor,
              {"from": current.value, "to": target.value, "reason": reason})


def set_rights(session: Session, ticket: Ticket, kinds: Iterable[str], now: datetime,
               actor: str) -> None:
    before = ticket.kinds
    after = sorted(set(kinds))
    ticket.rights = [TicketRight(kind=k) for k in after]
    add_event(session, ticket, "relabelled", now, actor, {"from": before, "to": after})


def suppress(session: Session, address: str, reason: str, ticket: Ticket | None,
             now: datetime, actor: str = SYSTEM) -> bool:
    """Put `address` on the do-not-market list; False when it was already there."""
    address = address.strip().lower()
    if session.get(Suppression, address) is not None:
        return False
    session.add(Suppression(address=address, reason=reason, ticket=ticket, created_at=now))
    add_event(session, ticket, "suppressed", now, actor, {"reason": reason})
    return True
