"""The ticket domain: kinds of request, states, references, and the rows that record them.

Pure rules (state transitions, references) live here beside the SQLAlchemy 2 mapping;
nothing here knows about IMAP, SMTP, spaCy or Flask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from dsr.errors import IllegalTransition


class RequestKind(StrEnum):
    """The six rights a ticket can carry, plus two that always go to staff."""

    ACCESS = "access"                # Art. 15
    RECTIFICATION = "rectification"  # Art. 16
    ERASURE = "erasure"              # Art. 17
    RESTRICTION = "restriction"      # Art. 18
    OBJECTION = "objection"          # Art. 21
    WITHDRAWAL = "withdrawal"        # Art. 7(3)
    PORTABILITY = "portability"      # Art. 20: routed to triage
    COMPLAINT = "complaint"          # complaint about our handling of data: routed to triage


SIX_RIGHTS: tuple[RequestKind, ...] = (
    RequestKind.ACCESS, RequestKind.RECTIFICATION, RequestKind.ERASURE,
    RequestKind.OBJECTION, RequestKind.RESTRICTION, RequestKind.WITHDRAWAL,
)
TRIAGE_ONLY: tuple[RequestKind, ...] = (RequestKind.PORTABILITY, RequestKind.COMPLAINT)


class TicketState(StrEnum):
    RECEIVED = "received"
    NEEDS_TRIAGE = "needs_triage"
    AWAITING_IDENTITY = "awaiting_identity"
    IN_PROGRESS = "in_progress"
    EXTENDED = "extended"
    COMPLETED = "completed"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    NOT_A_REQUEST = "not_a_request"


CLOSED_STATES = frozenset({TicketState.COMPLETED, TicketState.REFUSED, TicketState.WITHDRAWN,
                           TicketState.NOT_A_REQUEST})
_OPEN_TARGETS = {TicketState.AWAITING_IDENTITY, TicketState.IN_PROGRESS, TicketState.EXTENDED,
                 TicketState.COMPLETED, TicketState.REFUSED, TicketState.WITHDRAWN}
ALLOWED_TRANSITIONS: dict[TicketState, frozenset[TicketState]] = {
    TicketState.RECEIVED: frozenset(_OPEN_TARGETS | {TicketState.NEEDS_TRIAGE,
                                                     TicketState.NOT_A_REQUEST}),
    TicketState.NEEDS_TRIAGE: frozenset({TicketState.RECEIVED, TicketState.AWAITING_IDENTITY,
                                         TicketState.IN_PROGRESS, TicketState.NOT_A_REQUEST,
                                         TicketState.WITHDRAWN, TicketState.REFUSED,
                                         TicketState.COMPLETED}),
    TicketState.AWAITING_IDENTITY: frozenset(_OPEN_TARGETS - {TicketState.AWAITING_IDENTITY}),
    TicketState.IN_PROGRESS: frozenset(_OPEN_TARGETS - {TicketState.IN_PROGRESS}),
    TicketState.EXTENDED: frozenset({TicketState.AWAITING_IDENTITY, TicketState.COMPLETED,
                                     TicketState.REFUSED, TicketState.WITHDRAWN}),
    TicketState.COMPLETED: frozenset(),
    TicketState.REFUSED: frozenset(),
    TicketState.WITHDRAWN: frozenset(),
    TicketState.NOT_A_REQUEST: frozenset({TicketState.NEEDS_TRIAGE}),
}


def check_transition(current: TicketState, target: TicketState) -> None:
    """Raise IllegalTransition unless `current -> target` is allowed."""
    if target not in ALLOWED_TRANSITIONS[current]:
        raise IllegalTransition(f"a ticket cannot go from {current} to {target}")


class Disposition(StrEnum):
    """What intake did with one incoming message."""

    OPENED = "opened"              # a new ticket (confident request or needs triage)
    APPENDED = "appended"          # a reply joined an existing ticket
    NOT_REQUEST = "not_request"    # classified as ordinary mail; left alone
    IGNORED = "ignored"            # screened: bounce, auto-reply, list, our own mail
    DUPLICATE = "duplicate"        # already recorded (re-poll, UIDVALIDITY change, resend)
    UNUSABLE = "unusable"          # not a usable email (no sender, not MIME); raw kept
    FAILED = "failed"              # a step raised: quarantined with the error, raw kept


_REF_RE = re.compile(r"\bDSR-(\d{4})-(\d{4,6})\b")


@dataclass(frozen=True, order=True)
class TicketRef:
    """A ticket reference such as DSR-2026-0001; the only code that knows the format."""

    year: int
    number: int

    def format(self) -> str:
        return f"DSR-{self.year:04d}-{self.number:04d}"

    def tag(self) -> str:
        return f"[{self.format()}]"

    def __str__(self) -> str:
        return self.format()

    @classmethod
    def parse(cls, text: str) -> TicketRef | None:
        """First reference found in `text` (a subject line, a search box), or None."""
        match = _REF_RE.search(text or "")
        return cls(int(match.group(1)), int(match.group(2))) if match else None


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class MailMessage(Base):
    """One email, incoming or outgoing, with its raw bytes: the evidence."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_sender_created", "sender", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3), default="in")
    source_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(500), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    sender: Mapped[str] = mapped_column(String(320), default="")
    sender_name: Mapped[str] = mapped_column(String(300), default="")
    subject: Mapped[str] = mapped_column(String(1000), default="")
    language: Mapped[str] = mapped_column(String(8), default="")
    disposition: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # The configured mailbox (its name) the message arrived in; "" for piped mail.
    mailbox: Mapped[str] = mapped_column(String(100), default="")

    ticket: Mapped[Ticket | None] = relationship(back_populates="messages")


class Ticket(Base):
    """One rights request, from receipt to closure."""

    __tablename__ = "tickets"
    __table_args__ = (UniqueConstraint("year", "number"),
                      Index("ix_tickets_state_due", "state", "due_on"),
                      # The queue's order: deep pages walk this index instead of sorting.
                      Index("ix_tickets_due_id", "due_on", "id"),
                      Index("ix_tickets_language", "language"))

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    requester_email: Mapped[str] = mapped_column(String(320), index=True)
    requester_name: Mapped[str] = mapped_column(String(300), default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    received_at: Mapped[datetime] = mapped_column(DateTime)
    due_on: Mapped[date] = mapped_column(Date)
    decision: Mapped[str] = mapped_column(String(20), default="")
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    model_version: Mapped[str] = mapped_column(String(80), default="")
    subject: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # Deadline bookkeeping: due_on is the effective date the queue sorts by; the statutory
    # date is counted from receipt; the clock may start later (UK Art. 12A) or pause.
    statutory_due_on: Mapped[date | None] = mapped_column(Date)
    clock_started_at: Mapped[datetime | None] = mapped_column(DateTime)
    paused_since: Mapped[datetime | None] = mapped_column(DateTime)
    paused_days: Mapped[int] = mapped_column(Integer, default=0)
    extension_months: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    complaint_ack_due_on: Mapped[date | None] = mapped_column(Date)
    # Identity: unverified | requested | verified | not_needed
    identity_state: Mapped[str] = mapped_column(String(20), default="unverified")
    identity_verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    identity_note: Mapped[str] = mapped_column(Text, default="")
    # Signals for staff: authentication results, third party, forwarding service, repeats.
    signals: Mapped[dict[str, Any]] = mapped_column(default=dict)
    assignee: Mapped[str] = mapped_column(String(100), default="")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome_reason: Mapped[str] = mapped_column(Text, default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # The mailbox the request came in to: replies come from its address, its calendar counts.
    mailbox: Mapped[str] = mapped_column(String(100), default="")

    rights: Mapped[list[TicketRight]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketRight.kind")
    messages: Mapped[list[MailMessage]] = relationship(
        back_populates="ticket", order_by="MailMessage.id")
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id")

    @property
    def kinds(self) -> list[str]:
        return [r.kind for r in self.rights]


class TicketRight(Base):
    __tablename__ = "ticket_rights"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)

    ticket: Mapped[Ticket] = relationship(back_populates="rights")


class TicketEvent(Base):
    """The audit trail: one row for everything that happens to a ticket, with actor and time."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    ticket: Mapped[Ticket | None] = relationship(back_populates="events")


class OutboxItem(Base):
    """A rendered outgoing mail, queued in the same transaction as the event that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),
                      Index("ix_outbox_recipient_created", "recipient", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    recipient: Mapped[str] = mapped_column(String(320))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    ticket: Mapped[Ticket | None] = relationship()


class StaffUser(Base):
    """A person who logs in to the web view; the password is an Argon2id hash."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(10), default="staff")  # staff | admin
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)


class VerificationToken(Base):
    """A single-use identity check: only the hash of the code is stored, with its expiry."""

    __tablename__ = "verification_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)

    ticket: Mapped[Ticket] = relationship()


class Suppression(Base):
    """An address that objected to direct marketing (Art. 21(3)): never market to it again."""

    __tablename__ = "suppressions"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    reason: Mapped[str] = mapped_column(String(40))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    ticket: Mapped[Ticket | None] = relationship()


class LabelFeedback(Base):
    """Staff corrected a ticket's labels: kept as a future training example."""

    __tablename__ = "label_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    labels_before: Mapped[list[Any]] = mapped_column(default=list)
    labels_after: Mapped[list[Any]] = mapped_column(default=list)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime)


class MailboxState(Base):
    """Where a mail source got to: (UIDVALIDITY, last UID) for IMAP; a lease for one poller;
    and its health: when it was last read, what failed since, which alerts went out."""

    __tablename__ = "mailbox_state"

    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(Integer, default=0)
    last_uid: Mapped[int] = mapped_column(Integer, default=0)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime)
    lease_holder: Mapped[str] = mapped_column(String(200), default="")
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    # The configured name staff know it by ("info", "privacy").
    label: Mapped[str] = mapped_column(String(100), default="")
    watched_since: Mapped[datetime | None] = mapped_column(DateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    failing_since: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    login_failed: Mapped[bool] = mapped_column(default=False)
    token_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Alert kind -> ISO time it was last mailed to staff, so one alert is not repeated hourly.
    alerts_sent: Mapped[dict[str, Any]] = mapped_column(default=dict)


class LoginFailure(Base):
    """A failed staff login, kept for the throttle's window (shared by every worker)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_key: Mapped[str] = mapped_column(String(400), index=True)
    address: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)


class RefCounter(Base):
    """Next ticket number per year, taken under a row lock so numbers never repeat."""

    __tablename__ = "ref_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
