"""Writing to the requester: a free-text reply or a request for information, previewed first.

The form works without JavaScript: "Preview" renders the mail exactly as it will go out
(from the reply templates), "Send" queues it in the outbox and records the events.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, render_template, request
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from dsr import lifecycle
from dsr.tickets import Ticket
from responders.compose import render, template_language
from responders.replies import ticket_context
from web import context
from web.actions import FormProblem, Notice, act, send
from web.triage import ticket_or_404

bp = Blueprint("compose", __name__, url_prefix="/tickets/<ref>")
KINDS = {"staff_reply": "Reply to the requester",
         "information_request": "Ask the requester for information"}
# What an information request is for decides what happens to the clock (lifecycle).
ASKING_FOR = {"clarification": "What exactly they are asking for (the clock pauses under UK rules)",
              "identity": "Information to confirm their identity (awaiting identity)",
              "other": "Something else (no change to the clock)"}


def _form() -> dict[str, str]:
    form = request.form if request.method == "POST" else request.args
    asking = form.get("asking_for", "clarification")
    return {"subject_line": form.get("subject_line", "").strip()[:200],
            "message": form.get("message", "").strip()[:20000],
            "asking_for": asking if asking in ASKING_FOR else "clarification"}


def _extra(kind: str, fields: dict[str, str]) -> dict[str, str]:
    extra = {"message": fields["message"]}
    if kind == "staff_reply" and fields["subject_line"]:
        extra["subject_line"] = fields["subject_line"]
    return extra


def _preview(ticket: Ticket, kind: str, fields: dict[str, str]) -> tuple[str, str]:
    settings = context.settings()
    override = settings.organisation.template_dir
    language = template_language(kind, ticket.language, override)
    values = ticket_context(settings, ticket, language) | _extra(kind, fields)
    subject, body = render(kind, language, values, override)
    return f"[{ticket.ref}] {subject}", body


@bp.route("/write/<kind>", methods=["GET", "POST"])
def write(ref: str, kind: str) -> Response | str:
    if kind not in KINDS:
        abort(404)
    fields = _form()
    if request.method == "POST" and request.form.get("intent") == "send":
        return act(ref, lambda db, ticket, now: _send(db, ticket, now, kind, fields))
    preview = None
    problem = ""
    with context.store().unit_of_work() as db:
        ticket = ticket_or_404(db, ref)
        if request.method == "POST":
            if fields["message"]:
                preview = _preview(ticket, kind, fields)
            else:
                problem = "Write the message first."
        header = {"ref": ticket.ref, "name": ticket.requester_name,
                  "email": ticket.requester_email, "language": ticket.language}
    return render_template("compose.html", kind=kind, title=KINDS[kind], ticket=header,
                           fields=fields, preview=preview, problem=problem,
                           asking_for=ASKING_FOR)


def _send(db: Session, ticket: Ticket, now: datetime, kind: str,
          fields: dict[str, str]) -> Notice:
    if not fields["message"]:
        raise FormProblem("the message was empty")
    settings, actor = context.settings(), context.actor()
    if kind == "information_request":
        asking = fields["asking_for"]
        if asking == "clarification":
            policy = settings.deadline_policy(ticket.mailbox)
            lifecycle.pause_for_clarification(db, ticket, policy, now, actor,
                                              question=fields["message"][:1000])
        elif asking == "identity":
            lifecycle.request_identity(db, ticket, now, actor, what=fields["message"][:1000])
    return send(db, ticket, kind, now, "", extra=_extra(kind, fields))
