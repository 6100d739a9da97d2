"""What the ticket page shows, built inside the unit of work as plain frozen values.

Mail is shown as text only: the parsed text body (never the mail's HTML), attachments as
name, type and size from the summary the pipeline stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dsr import lifecycle
from dsr.tickets import MailMessage, OutboxItem, RequestKind, Ticket
from intake.mime import parse

MAX_SHOWN_CHARACTERS = 100_000  # a longer body is cut, with a note


@dataclass(frozen=True)
class AttachmentView:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class ThreadEntry:
    """One email on the ticket, incoming or sent by us, ready to show as text."""

    direction: str              # "in" | "out"
    at: datetime
    sender: str
    sender_name: str
    recipient: str
    subject: str
    text: str
    truncated: bool
    status: str                 # in: disposition; out: pending | sent | parked
    note: str = ""              # in: screening reason; out: last delivery error
    purpose: str = ""           # out: which template
    attachments: tuple[AttachmentView, ...] = field(default=())


def _attachments(summary: dict[str, Any]) -> tuple[AttachmentView, ...]:
    found = []
    for item in summary.get("attachments") or []:
        if isinstance(item, dict):
            size = item.get("size")
            found.append(AttachmentView(str(item.get("filename") or "(no name)"),
                                        str(item.get("content_type") or "unknown type"),
                                        size if isinstance(size, int) else 0))
    return tuple(found)


def _text(raw: bytes) -> tuple[str, bool]:
    if not raw:
        return "", False
    text = parse(raw).text
    if len(text) > MAX_SHOWN_CHARACTERS:
        return text[:MAX_SHOWN_CHARACTERS], True
    return text, False


def _incoming(message: MailMessage) -> ThreadEntry:
    text, truncated = _text(message.raw)
    return ThreadEntry(
        direction="in", at=message.received_at, sender=message.sender,
        sender_name=message.sender_name, recipient="", subject=message.subject, text=text,
        truncated=truncated, status=message.disposition, note=message.reason or message.error,
        attachments=_attachments(message.summary or {}))


def _outgoing(item: OutboxItem) -> ThreadEntry:
    parsed = parse(item.raw)
    text = parsed.text[:MAX_SHOWN_CHARACTERS]
    return ThreadEntry(
        direction="out", at=item.sent_at or item.created_at, sender=parsed.sender,
        sender_name=parsed.sender_name, recipient=item.recipient, subject=parsed.subject,
        text=text, truncated=len(parsed.text) > len(text), status=item.state,
        note=item.last_error, purpose=item.purpose)


def thread_of(db: Session, ticket: Ticket) -> list[ThreadEntry]:
    """Every message on the ticket, received and sent, oldest first."""
    entries = [_incoming(m) for m in ticket.messages]
    sent = db.execute(select(OutboxItem).where(OutboxItem.ticket_id == ticket.id)
                      .order_by(OutboxItem.id)).scalars()
    entries.extend(_outgoing(item) for item in sent)
    return sorted(entries, key=lambda e: e.at)


@dataclass(frozen=True)
class LabelView:
    kind: str
    score: float | None
    chosen: bool
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class ClassificationView:
    labels: tuple[LabelView, ...]
    phrases: tuple[str, ...]     # every evidence phrase, highlighted in the mail text
    decision: str
    model_version: str


def classification_of(ticket: Ticket) -> ClassificationView:
    """All kinds, the chosen ones first, then by the model's score."""
    scores = ticket.scores or {}
    evidence = ticket.evidence or {}
    chosen = set(ticket.kinds)
    labels = []
    for kind in RequestKind:
        score = scores.get(kind.value)
        phrases = tuple(str(p) for p in evidence.get(kind.value) or ())
        labels.append(LabelView(kind.value, float(score) if isinstance(score, (int, float))
                                else None, kind.value in chosen, phrases))
    labels.sort(key=lambda label: (not label.chosen, -(label.score or 0.0)))
    phrases = tuple(dict.fromkeys(p for label in labels for p in label.evidence))
    return ClassificationView(tuple(labels), phrases, ticket.decision, ticket.model_version)


@dataclass(frozen=True)
class ClockView:
    received_at: datetime
    statutory_due_on: date | None
    due_on: date
    days_left: int
    clock_started_at: datetime | None
    paused_since: datetime | None
    paused_days: int
    extension_months: int
    extension_reason: str
    complaint_ack_due_on: date | None
    closed_at: datetime | None
    outcome_reason: str


def clock_of(ticket: Ticket, today: date) -> ClockView:
    return ClockView(
        received_at=ticket.received_at, statutory_due_on=ticket.statutory_due_on,
        due_on=ticket.due_on, days_left=lifecycle.days_left(ticket, today),
        clock_started_at=ticket.clock_started_at, paused_since=ticket.paused_since,
        paused_days=ticket.paused_days, extension_months=ticket.extension_months,
        extension_reason=ticket.extension_reason,
        complaint_ack_due_on=ticket.complaint_ack_due_on, closed_at=ticket.closed_at,
        outcome_reason=ticket.outcome_reason)
