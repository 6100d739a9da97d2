"""The request lifecycle a DPO must be able to prove: deadlines, clock, identity, closure.

Every function changes one ticket inside the caller's unit of work and writes an audit event
with actor and time; a change the rules do not allow raises IllegalTransition.

Deadlines (see dsr.deadlines for the calendar arithmetic):
- statutory_due_on: one month from receipt, as the law counts it (shown for reference);
- due_on: the effective date the queue sorts by. Under `uk`, UK GDPR Art. 12A (in force
  since 5 February 2026) lets the period run from the latest of receipt of the request and
  receipt of identity information asked for, and stops it while clarification is awaited.
  Under `eu`/`nl` it always runs from receipt, with no pause.
- an extension adds up to two further months (Art. 12(3)), only while the first month runs.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from dsr.casework import add_event, move
from dsr.deadlines import add_months, next_working_day
from dsr.errors import IllegalTransition
from dsr.tickets import CLOSED_STATES, Ticket, TicketState

REFUSAL_REASONS = {
    "manifestly_unfounded": "manifestly unfounded",
    "manifestly_excessive": "manifestly excessive",
    "identity_not_confirmed": "identity not confirmed",
    "exemption": "an exemption applies",
}
COMPLAINT_ACK_DAYS = 30
MAX_EXTENSION_MONTHS = 2


def clock_start(ticket: Ticket, policy: str) -> datetime:
    if policy == "uk" and ticket.clock_started_at is not None:
        return max(ticket.clock_started_at, ticket.received_at)
    return ticket.received_at


def first_month_due(ticket: Ticket, policy: str) -> date:
    """The deadline without any extension (used to check an extension is still allowed)."""
    return _due(clock_start(ticket, policy).date(), 1, _paused(ticket, policy), policy)


def _paused(ticket: Ticket, policy: str) -> int:
    return ticket.paused_days if policy == "uk" else 0


def _due(start: date, months: int, paused_days: int, policy: str) -> date:
    return next_working_day(add_months(start, months) + timedelta(days=paused_days), policy)


def recompute_deadline(ticket: Ticket, policy: str) -> None:
    """Set statutory_due_on (from receipt) and due_on (effective, under the policy)."""
    ticket.statutory_due_on = _due(ticket.received_at.date(), 1, 0, policy)
    months = 1 + ticket.extension_months
    ticket.due_on = _due(clock_start(ticket, policy).date(), months, _paused(ticket, policy),
                         policy)


def days_left(ticket: Ticket, today: date) -> int:
    return (ticket.due_on - today).days


def is_open(ticket: Ticket) -> bool:
    return TicketState(ticket.state) not in CLOSED_STATES


def _require_open(ticket: Ticket) -> None:
    if not is_open(ticket):
        raise IllegalTransition(f"{ticket.ref} is closed ({ticket.state})")


def start_ticket(ticket: Ticket, policy: str) -> None:
    """Deadline fields of a new ticket; a complaint also gets its 30-day acknowledgement clock."""
    ticket.clock_started_at = ticket.received_at
    recompute_deadline(ticket, policy)
    if "complaint" in ticket.kinds:
        ticket.complaint_ack_due_on = ticket.received_at.date() + timedelta(days=COMPLAINT_ACK_DAYS)


def extend(session: Session, ticket: Ticket, months: int, reason: str, policy: str,
           now: datetime, actor: str) -> None:
    """Extend by 1-2 further months, with a reason, only while the first month runs."""
    _require_open(ticket)
    if not reason.strip():
        raise IllegalTransition("an extension needs a reason (Art. 12(3))")
    if not 1 <= months <= MAX_EXTENSION_MONTHS:
        raise IllegalTransition("an extension is one or two further months")
    if ticket.extension_months:
        raise IllegalTransition(f"{ticket.ref} has already been extended")
    limit = first_month_due(ticket, policy)
    if now.date() > limit:
        raise IllegalTransition(f"the first month ended on {limit.isoformat()}: too late to extend")
    before = ticket.due_on
    ticket.extension_months = months
    ticket.extension_reason = reason.strip()
    recompute_deadline(ticket, policy)
    if ticket.state != TicketState.EXTENDED.value:
        move(session, ticket, TicketState.EXTENDED, now, actor, reason)
    add_event(session, ticket, "extended", now, actor, {
        "months": months, "reason": ticket.extension_reason,
        "from": before.isoformat(), "to": ticket.due_on.isoformat()})


def request_identity(session: Session, ticket: Ticket, now: datetime, actor: str,
                     what: str = "") -> None:
    """We asked the requester to confirm identity: the UK clock waits for the answer."""
    _require_open(ticket)
    ticket.identity_state = "requested"
    if ticket.state != TicketState.AWAITING_IDENTITY.value:
        move(session, ticket, TicketState.AWAITING_IDENTITY, now, actor, "identity requested")
    add_event(session, ticket, "identity_requested", now, actor, {"what": what})


def mark_verified(session: Session, ticket: Ticket, policy: str, now: datetime, actor: str,
                  note: str = "", method: str = "staff") -> None:
    """Identity confirmed; under `uk` the period runs from now if we had asked for it."""
    _require_open(ticket)
    was_requested = ticket.identity_state == "requested"
    ticket.identity_state = "verified"
    ticket.identity_verified_at = now
    ticket.identity_note = note.strip()
    if policy == "uk" and was_requested:
        ticket.clock_started_at = now
    before = ticket.due_on
    recompute_deadline(ticket, policy)
    if ticket.state == TicketState.AWAITING_IDENTITY.value:
        move(session, ticket, TicketState.IN_PROGRESS, now, actor, "identity verified")
    add_event(session, ticket, "identity_verified", now, actor, {
        "method": method, "note": ticket.identity_note, "due_from": before.isoformat(),
        "due_to": ticket.due_on.isoformat()})


def pause_for_clarification(session: Session, ticket: Ticket, policy: str, now: datetime,
                            actor: str, question: str = "") -> None:
    """We asked what exactly they want: under `uk` the clock stops until they answer."""
    _require_open(ticket)
    if policy == "uk" and ticket.paused_since is None:
        ticket.paused_since = now
    add_event(session, ticket, "clarification_requested", now, actor,
              {"question": question, "clock_paused": policy == "uk"})


def resume_clock(session: Session, ticket: Ticket, policy: str, now: datetime,
                 actor: str) -> None:
    """The clarification arrived: add the paused days and restart the clock."""
    if ticket.paused_since is None:
        return
    days = max(0, (now.date() - ticket.paused_since.date()).days)
    ticket.paused_days += days
    ticket.paused_since = None
    before = ticket.due_on
    recompute_deadline(ticket, policy)
    add_event(session, ticket, "clock_resumed", now, actor, {
        "paused_days": days, "due_from": before.isoformat(), "due_to": ticket.due_on.isoformat()})


def close(session: Session, ticket: Ticket, outcome: TicketState, reason: str, now: datetime,
          actor: str) -> None:
    """Completed, refused (with one of REFUSAL_REASONS) or withdrawn by the requester."""
    if outcome not in (TicketState.COMPLETED, TicketState.REFUSED, TicketState.WITHDRAWN):
        raise IllegalTransition(f"{outcome} is not a closing outcome")
    if outcome is TicketState.REFUSED and reason not in REFUSAL_REASONS:
        raise IllegalTransition(f"a refusal needs one of: {', '.join(REFUSAL_REASONS)}")
    move(session, ticket, outcome, now, actor, reason)
    ticket.closed_at = now
    ticket.outcome_reason = reason
    ticket.paused_since = None


def confirm_triage(session: Session, ticket: Ticket, now: datetime, actor: str) -> None:
    """Staff confirm a needs-triage ticket is a request (the caller sends the acknowledgement)."""
    if ticket.state != TicketState.NEEDS_TRIAGE.value:
        raise IllegalTransition(f"{ticket.ref} is not waiting for triage")
    move(session, ticket, TicketState.RECEIVED, now, actor, "confirmed by staff")


def mark_not_request(session: Session, ticket: Ticket, now: datetime, actor: str,
                     reason: str = "") -> None:
    move(session, ticket, TicketState.NOT_A_REQUEST, now, actor, reason or "not a request")
    ticket.closed_at = now


def assign(session: Session, ticket: Ticket, assignee: str, now: datetime, actor: str) -> None:
    before = ticket.assignee
    ticket.assignee = assignee
    add_event(session, ticket, "assigned", now, actor, {"from": before, "to": assignee})


def merge(session: Session, duplicate: Ticket, target: Ticket, now: datetime,
          actor: str) -> None:
    """Fold a duplicate ticket into `target`: its messages move, it closes pointing there."""
    if duplicate.id == target.id:
        raise IllegalTransition("a ticket cannot be merged into itself")
    _require_open(duplicate)
    for message in list(duplicate.messages):
        message.ticket = target
    for kind in duplicate.kinds:
        if kind not in target.kinds:
            from dsr.tickets import TicketRight

            target.rights.append(TicketRight(kind=kind))
    duplicate.merged_into_id = target.id
    move(session, duplicate, TicketState.WITHDRAWN, now, actor, f"merged into {target.ref}")
    duplicate.closed_at = now
    duplicate.outcome_reason = f"merged into {target.ref}"
    add_event(session, target, "merged", now, actor, {"from": duplicate.ref})
