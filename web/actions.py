"""What staff do to a ticket: each action is a POST (CSRF-checked) that writes audit events.

A change the lifecycle refuses (IllegalTransition) or a form that does not make sense
(FormProblem) rolls the whole unit of work back and comes back as a flash message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, flash, redirect, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from dsr import lifecycle
from dsr.casework import set_rights
from dsr.errors import IllegalTransition
from dsr.store import find_ticket
from dsr.tickets import LabelFeedback, RequestKind, Ticket, TicketRef, TicketState
from responders.compose import template_language
from responders.replies import REFUSAL_TEXT, acknowledge, queue_reply
from web import context
from web.accounts import list_users
from web.triage import ticket_or_404

bp = Blueprint("actions", __name__, url_prefix="/tickets/<ref>")
CLOSING_MAIL = {TicketState.COMPLETED: "completed", TicketState.REFUSED: "refused",
                TicketState.WITHDRAWN: "withdrawn"}
RIGHTS = frozenset(k.value for k in RequestKind)


class FormProblem(Exception):
    """The form cannot be acted on as filled in; the message says what to fix."""


@dataclass(frozen=True)
class Notice:
    """What to tell the member of staff after a change that went through."""

    text: str
    category: str = "success"  # or "warning": done, but something needs their attention


Change = Callable[[Session, Ticket, datetime], str | Notice]


def act(ref: str, change: Change) -> Response:
    """Run `change` on the ticket in one unit of work; flash its outcome; back to the ticket."""
    try:
        with context.store().unit_of_work() as db:
            message = change(db, ticket_or_404(db, ref), context.now())
    except (IllegalTransition, FormProblem) as problem:
        flash(f"Nothing was changed: {problem}", "error")
    else:
        notice = message if isinstance(message, Notice) else Notice(message)
        flash(notice.text, notice.category)
    return redirect(url_for("triage.ticket", ref=ref))


def thread_headers(ticket: Ticket, first: bool = False) -> tuple[str | None, tuple[str, ...]]:
    """In-Reply-To and References for a mail to the requester, from the mail we received."""
    ids = [m.message_id for m in ticket.messages if m.direction == "in" and m.message_id]
    if not ids:
        return None, ()
    return (ids[0] if first else ids[-1]), tuple(ids)


def send(db: Session, ticket: Ticket, kind: str, now: datetime, done: str,
         extra: dict[str, str] | None = None, first: bool = False) -> Notice:
    """Queue `kind` to the requester; the flash text says if the daily limit held it back."""
    in_reply_to, references = thread_headers(ticket, first)
    mail = kind.replace("_", " ")
    if queue_reply(db, context.settings(), ticket, kind, now, in_reply_to=in_reply_to,
                   references=references, extra=extra, actor=context.actor()):
        return Notice(f"{done} The {mail} mail is in the outbox.".strip())
    return Notice(f"{done} The {mail} mail was NOT queued: this address has reached the daily "
                  "limit of automatic mails.".strip(), "warning")


def _field(name: str, limit: int = 5000) -> str:
    return request.form.get(name, "").strip()[:limit]


@bp.post("/labels")
def relabel(ref: str) -> Response:
    chosen = sorted(set(request.form.getlist("rights")))

    def change(db: Session, ticket: Ticket, now: datetime) -> str:
        if not RIGHTS.issuperset(chosen):
            raise FormProblem("unknown label")
        before = ticket.kinds
        if chosen == before:
            raise FormProblem("those are already the ticket's labels")
        set_rights(db, ticket, chosen, now, context.actor())
        first = next((m for m in ticket.messages if m.direction == "in"), None)
        db.add(LabelFeedback(ticket_id=ticket.id, message_id=first.id if first else None,
                             labels_before=before, labels_after=chosen, actor=context.actor(),
                             at=now))
        return "Labels corrected; the correction is kept as a training example."

    return act(ref, change)


@bp.post("/confirm")
def confirm(ref: str) -> Response:
    def change(db: Session, ticket: Ticket, now: datetime) -> Notice:
        if not ticket.kinds:
            raise FormProblem("choose which rights the request invokes first")
        lifecycle.confirm_triage(db, ticket, now, context.actor())
        in_reply_to, references = thread_headers(ticket, first=True)
        # The same acknowledgement the bot sends for a confident request: the complaint
        # variant where it applies, with the identity link and code where the rights need it.
        acknowledge(db, context.settings(), ticket, now, in_reply_to, references,
                    actor=context.actor())
        return Notice("Confirmed as a request. The acknowledgement is in the outbox.")

    return act(ref, change)


@bp.post("/not-request")
def not_request(ref: str) -> Response:
    reason = _field("reason", 500)

    def change(db: Session, ticket: Ticket, now: datetime) -> str:
        lifecycle.mark_not_request(db, ticket, now, context.actor(), reason)
        return "Marked as not a request; no mail is sent."

    return act(ref, change)


@bp.post("/identity")
def verify_identity(ref: str) -> Response:
    note = _field("note", 2000)

    def change(db: Session, ticket: Ticket, now: datetime) -> str:
        if not note:
            raise FormProblem("say how the identity was confirmed")
        policy = context.settings().deadline_policy(ticket.mailbox)
        lifecycle.mark_verified(db, ticket, policy, now, context.actor(), note=note,
                                method="staff")
        return "Identity marked as verified."

    return act(ref, change)


@bp.post("/extend")
def extend(ref: str) -> Response:
    reason = _field("reason", 2000)
    months = 2 if request.form.get("months") == "2" else 1

    def change(db: Session, ticket: Ticket, now: datetime) -> Notice:
        policy = context.settings().deadline_policy(ticket.mailbox)
        lifecycle.extend(db, ticket, months, reason, policy, now, context.actor())
        return send(db, ticket, "extension_notice", now,
                    f"Extended; the new deadline is {ticket.due_on:%d %b %Y}.",
                    extra={"reason": reason})

    return act(ref, change)


@bp.post("/close")
def close(ref: str) -> Response:
    outcome = {s.value: s for s in CLOSING_MAIL}.get(request.form.get("outcome", ""))
    refusal = request.form.get("refusal_reason", "")
    note, message = _field("reason", 2000), _field("message")

    def change(db: Session, ticket: Ticket, now: datetime) -> Notice:
        if outcome is None:
            raise FormProblem("choose completed, refused or withdrawn")
        reason = refusal if outcome is TicketState.REFUSED else note
        lifecycle.close(db, ticket, outcome, reason, now, context.actor())
        kind = CLOSING_MAIL[outcome]
        extra = {"message": message}
        if outcome is TicketState.REFUSED:
            language = template_language(kind, ticket.language,
                                         context.settings().organisation.template_dir)
            extra["reason_text"] = REFUSAL_TEXT.get(language, REFUSAL_TEXT["en"])[refusal]
        return send(db, ticket, kind, now, f"Closed as {outcome.value}.", extra=extra)

    return act(ref, change)


@bp.post("/merge")
def merge(ref: str) -> Response:
    target_ref = TicketRef.parse(_field("into", 50).upper())

    def change(db: Session, ticket: Ticket, now: datetime) -> str:
        target = find_ticket(db, target_ref) if target_ref else None
        if target is None:
            raise FormProblem("there is no ticket with that reference")
        if not lifecycle.is_open(target):
            raise FormProblem(f"{target.ref} is closed; merge into an open ticket")
        lifecycle.merge(db, ticket, target, now, context.actor())
        return f"Merged into {target.ref}; its messages are on that ticket now."

    return act(ref, change)


@bp.post("/assign")
def assign(ref: str) -> Response:
    assignee = _field("assignee", 100)

    def change(db: Session, ticket: Ticket, now: datetime) -> str:
        if assignee and assignee not in {u.name for u in list_users(db) if u.active}:
            raise FormProblem("choose an active staff member")
        if assignee == ticket.assignee:
            raise FormProblem("the ticket is already assigned that way")
        lifecycle.assign(db, ticket, assignee, now, context.actor())
        return f"Assigned to {assignee}." if assignee else "Unassigned."

    return act(ref, change)


@bp.post("/resume")
def resume(ref: str) -> Response:
    def change(db: Session, ticket: Ticket, now: datetime) -> str:
        if ticket.paused_since is None:
            raise FormProblem("the clock is not paused")
        policy = context.settings().deadline_policy(ticket.mailbox)
        lifecycle.resume_clock(db, ticket, policy, now, context.actor())
        return f"Clock running again; the deadline is {ticket.due_on:%d %b %Y}."

    return act(ref, change)
