"""The queue (open tickets by deadline, filtered, searched, paged) and the ticket page."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flask import Blueprint, abort, render_template, request
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from dsr import lifecycle
from dsr.lifecycle import REFUSAL_REASONS
from dsr.store import find_ticket
from dsr.tickets import CLOSED_STATES, RequestKind, Ticket, TicketRef, TicketRight, TicketState
from web import context
from web.accounts import list_users
from web.thread import classification_of, clock_of, thread_of

bp = Blueprint("triage", __name__)
PAGE_SIZE = 25
OPEN_STATES = tuple(s.value for s in TicketState if s not in CLOSED_STATES)
STATE_CHOICES = ("open", "all", *(s.value for s in TicketState))
RIGHTS = tuple(k.value for k in RequestKind)


@dataclass(frozen=True)
class QueueFilters:
    """The queue's query string, validated: unknown values fall back to the defaults."""

    state: str = "open"
    right: str = ""
    language: str = ""
    triage_only: bool = False
    search: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> QueueFilters:
        state = args.get("state", "open")
        right = args.get("right", "")
        page = args.get("page", "1")
        return cls(state=state if state in STATE_CHOICES else "open",
                   right=right if right in RIGHTS else "",
                   language=args.get("language", "")[:8],
                   triage_only=args.get("triage") == "1",
                   search=args.get("q", "").strip()[:200],
                   page=max(1, int(page)) if page.isdigit() else 1)

    def args(self, **changes: Any) -> dict[str, str]:
        """Query arguments for a link to this view with `changes` (e.g. another page)."""
        f = replace(self, **changes)
        out = {"state": f.state, "right": f.right, "language": f.language,
               "triage": "1" if f.triage_only else "", "q": f.search, "page": str(f.page)}
        return {k: v for k, v in out.items() if v and (k, v) not in (("state", "open"),
                                                                      ("page", "1"))}

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.triage_only:
            query = query.where(Ticket.state == TicketState.NEEDS_TRIAGE.value)
        elif self.state == "open":
            query = query.where(Ticket.state.in_(OPEN_STATES))
        elif self.state != "all":
            query = query.where(Ticket.state == self.state)
        if self.right:
            query = query.where(Ticket.rights.any(TicketRight.kind == self.right))
        if self.language:
            query = query.where(Ticket.language == self.language)
        if self.search:
            ref = TicketRef.parse(self.search.upper())
            if ref is not None:
                return query.where(Ticket.ref == ref.format())
            pattern = "%" + self.search.replace("\\", "\\\\").replace("%", "\\%").replace(
                "_", "\\_") + "%"
            query = query.where(or_(Ticket.requester_name.ilike(pattern, escape="\\"),
                                    Ticket.requester_email.ilike(pattern, escape="\\"),
                                    Ticket.ref.ilike(pattern, escape="\\")))
        return query


@dataclass(frozen=True)
class QueueRow:
    ref: str
    requester_name: str
    requester_email: str
    rights: list[str]
    state: str
    language: str
    received_at: Any
    due_on: Any
    days_left: int
    paused: bool
    assignee: str
    subject: str
    mailbox: str


def _row(ticket: Ticket, today: Any) -> QueueRow:
    return QueueRow(ticket.ref, ticket.requester_name, ticket.requester_email, ticket.kinds,
                    ticket.state, ticket.language, ticket.received_at, ticket.due_on,
                    lifecycle.days_left(ticket, today), ticket.paused_since is not None,
                    ticket.assignee, ticket.subject, ticket.mailbox)


@bp.get("/")
def queue() -> str:
    filters = QueueFilters.from_args(request.args)
    today = context.now().date()
    with context.store().unit_of_work() as db:
        base = filters.apply(select(Ticket))
        total = db.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        pages = max(1, -(-total // PAGE_SIZE))
        filters = replace(filters, page=min(filters.page, pages))
        tickets = db.execute(base.order_by(Ticket.due_on, Ticket.id)
                             .offset((filters.page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).scalars()
        rows = [_row(t, today) for t in tickets]
        languages = sorted(language for language in db.execute(
            select(Ticket.language).distinct()).scalars() if language)
        triage_count = db.execute(select(func.count()).where(
            Ticket.state == TicketState.NEEDS_TRIAGE.value)).scalar_one()
    return render_template("queue.html", rows=rows, filters=filters, total=total, pages=pages,
                           languages=languages, rights=RIGHTS, states=STATE_CHOICES,
                           triage_count=triage_count)


def ticket_or_404(db: Session, ref: str) -> Ticket:
    ticket = find_ticket(db, ref) if TicketRef.parse(ref) else None
    if ticket is None:
        abort(404)
    return ticket


@bp.get("/tickets/<ref>")
def ticket(ref: str) -> str:
    today = context.now().date()
    with context.store().unit_of_work() as db:
        found = ticket_or_404(db, ref)
        page = {
            "ticket": _row(found, today),
            "clock": clock_of(found, today),
            "classification": classification_of(found),
            "thread": thread_of(db, found),
            "events": [(e.at, e.actor, e.kind, e.detail) for e in found.events],
            "identity": {"state": found.identity_state, "note": found.identity_note,
                         "verified_at": found.identity_verified_at},
            "signals": dict(found.signals or {}),
            "is_open": lifecycle.is_open(found),
            "merged_into": _merged_into(db, found),
            "staff": [u.name for u in list_users(db) if u.active],
        }
    return render_template("ticket.html", rights=RIGHTS, refusal_reasons=REFUSAL_REASONS,
                           **page)


def _merged_into(db: Session, ticket: Ticket) -> str:
    if ticket.merged_into_id is None:
        return ""
    target = db.get(Ticket, ticket.merged_into_id)
    return target.ref if target else ""
