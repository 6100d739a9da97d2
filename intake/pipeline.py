"""One incoming message through every step, in one transaction, recorded exactly once.

Steps run in order until one returns a Disposition. The message row (raw bytes, source key,
outcome) is written in the same unit of work as everything the steps did, so a crash at any
point leaves either nothing (the source offers the message again) or the whole outcome.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from classifier import NOT_REQUEST, REQUEST, TRIAGE, Classification, Classifier
from dsr import casework, lifecycle
from dsr.config import Settings
from dsr.errors import DatabaseUnavailable, TransientError
from dsr.store import Store, find_duplicate, is_our_message_id, is_recorded, utcnow
from dsr.tickets import Disposition, MailboxState, MailMessage, Ticket, TicketState
from intake import guards, mime, signals
from intake.fastpath import is_marketing_opt_out
from intake.matching import match_ticket
from intake.mime import ParsedMessage
from responders.replies import acknowledge, confirm_marketing_opt_out
from responders.verification import codes_in, find_valid

log = logging.getLogger(__name__)
_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


@dataclass(frozen=True)
class SourceCursor:
    """Where a mail source got to; saved with the outcome (IMAP: UIDVALIDITY and UID)."""

    mailbox: str
    uidvalidity: int
    uid: int


@dataclass(frozen=True)
class Prepared:
    """Work done ahead of process(), in a worker process: the parse and, unless the message
    is plainly machine mail, the classifier's verdict. Pure functions of the raw bytes."""

    parsed: ParsedMessage
    classification: Classification | None = None


@dataclass(frozen=True)
class Incoming:
    source_key: str
    raw: bytes
    received_at: datetime            # naive UTC
    cursor: SourceCursor | None = None
    prepared: Prepared | None = None
    mailbox: str = ""                # the configured mailbox's name; "" for piped mail


@dataclass(frozen=True)
class Outcome:
    disposition: Disposition
    ticket_ref: str | None = None
    reason: str = ""


@dataclass
class Services:
    settings: Settings
    store: Store
    classifier: Classifier
    clock: Callable[[], datetime] = utcnow


@dataclass
class Work:
    """The message in hand while the steps run; lives for one process() call."""

    incoming: Incoming
    session: Session
    services: Services
    now: datetime
    sha256: str
    parsed: ParsedMessage | None = None
    ticket: Ticket | None = None
    classification: Classification | None = None
    reason: str = ""
    summary: dict[str, object] = field(default_factory=dict)


Step = Callable[[Work], Disposition | None]


def parse(work: Work) -> Disposition | None:
    """Raw bytes -> work.parsed; a message with no usable sender is UNUSABLE (kept, unanswered)."""
    prepared = work.incoming.prepared
    work.parsed = prepared.parsed if prepared else mime.parse(work.incoming.raw)
    work.summary = {"defects": list(work.parsed.defects[:20]),
                    "attachments": [a.__dict__ for a in work.parsed.attachments[:50]],
                    "html_only": work.parsed.html_only}
    if not work.parsed.sender:
        work.reason = "no sender address" if work.incoming.raw.strip() else "empty message"
        return Disposition.UNUSABLE
    return None


def drop_duplicates(work: Work) -> Disposition | None:
    """Same bytes, or same Message-ID from the same sender, already recorded: re-polls are safe."""
    assert work.parsed is not None
    earlier = find_duplicate(work.session, work.sha256, work.parsed.message_id, work.parsed.sender)
    if earlier is None:
        return None
    work.reason = f"same as message #{earlier.id}"
    work.summary["duplicate_of"] = earlier.id
    return Disposition.DUPLICATE


def drop_machine_mail(work: Work) -> Disposition | None:
    """Bounces, auto-replies, lists and our own mail open nothing and are never answered."""
    assert work.parsed is not None
    reason = guards.screen_reason(work.parsed, work.services.settings.our_addresses)
    if reason is None and work.parsed.message_id and is_our_message_id(
            work.session, [work.parsed.message_id]):
        reason = "own_mail"
    if reason is None:
        return None
    work.reason = reason
    work.ticket = match_ticket(work.session, work.parsed)  # kept with its ticket, for the record
    return Disposition.IGNORED


def join_thread(work: Work) -> Disposition | None:
    """A reply to an existing ticket joins it, and is not classified as a new request.

    A reply carrying a valid identity code confirms identity; a reply from the requester to
    a ticket whose clock waits for clarification restarts the clock.
    """
    assert work.parsed is not None
    ticket = match_ticket(work.session, work.parsed)
    if ticket is None:
        return None
    work.ticket = ticket
    from_requester = work.parsed.sender == ticket.requester_email
    casework.add_event(work.session, ticket, "message_received", work.now,
                       detail={"from_requester": from_requester})
    if not from_requester or not lifecycle.is_open(ticket):
        return Disposition.APPENDED
    policy = work.services.settings.deadline_policy(ticket.mailbox)
    if ticket.identity_state == "requested":
        for code in codes_in(f"{work.parsed.subject}\n{work.parsed.new_text}"):
            token = find_valid(work.session, code, work.now, ticket)
            if token is not None:
                token.used_at = work.now
                lifecycle.mark_verified(work.session, ticket, policy, work.now, "requester",
                                        method="reply with code")
                work.reason = "identity confirmed by reply"
                break
    if ticket.paused_since is not None:
        lifecycle.resume_clock(work.session, ticket, policy, work.now, "requester")
    return Disposition.APPENDED


def classify(work: Work) -> Disposition | None:
    """Not a request -> NOT_REQUEST; except in an "all_requests" mailbox (privacy@), where
    people write only to exercise their rights: there a doubt goes to staff, not away."""
    assert work.parsed is not None
    prepared = work.incoming.prepared
    work.classification = (prepared and prepared.classification) or \
        work.services.classifier.classify(work.parsed.subject, work.parsed.text)
    if work.classification.decision != NOT_REQUEST:
        return None
    if work.services.settings.inbox_named(work.incoming.mailbox).policy == "all_requests":
        work.classification = dataclasses.replace(
            work.classification, decision=TRIAGE,
            triage_reasons=(*work.classification.triage_reasons,
                            f"mailbox {work.incoming.mailbox!r} takes every mail as a request"))
        return None
    return Disposition.NOT_REQUEST


def open_ticket(work: Work) -> Disposition | None:
    """Open the ticket; a confident request is answered, a doubtful one waits for staff."""
    assert work.parsed is not None and work.classification is not None
    verdict = work.classification
    settings = work.services.settings
    confident = verdict.decision == REQUEST
    found = signals.collect(work.session, work.parsed, work.now,
                            settings.lifecycle.repeat_window_days,
                            settings.lifecycle.trusted_authserv_id)
    new = casework.NewTicket(
        requester_email=work.parsed.sender, requester_name=work.parsed.sender_name,
        language=verdict.language, received_at=work.incoming.received_at,
        kinds=verdict.labels, decision=verdict.decision, subject=work.parsed.subject,
        state=TicketState.RECEIVED if confident else TicketState.NEEDS_TRIAGE,
        scores=verdict.scores, evidence={k: list(v) for k, v in verdict.evidence.items()},
        model_version=verdict.model_version,
    )
    ticket = casework.open_ticket(work.session, new,
                                  settings.deadline_policy(work.incoming.mailbox), work.now)
    ticket.mailbox = work.incoming.mailbox
    ticket.signals = found
    work.ticket = ticket
    if not confident:
        return Disposition.OPENED
    thread = (work.parsed.message_id, tuple(work.parsed.references))
    if is_marketing_opt_out(ticket.kinds, f"{work.parsed.subject}\n{work.parsed.new_text}"):
        confirm_marketing_opt_out(work.session, settings, ticket, work.now, *thread)
        work.reason = "marketing opt-out: address suppressed"
    else:
        acknowledge(work.session, settings, ticket, work.now, *thread)
    return Disposition.OPENED


STEPS: tuple[Step, ...] = (
    parse,              # raw bytes -> work.parsed; no sender -> UNUSABLE
    drop_duplicates,    # already recorded -> DUPLICATE
    drop_machine_mail,  # bounce, auto-reply, list, our own mail -> IGNORED
    join_thread,        # reply to a ticket -> APPENDED
    classify,           # not a request -> NOT_REQUEST
    open_ticket,        # ticket + acknowledgement in the outbox -> OPENED
)


def process(incoming: Incoming, services: Services) -> Outcome:
    """Run the steps and record the outcome; TransientError means: nothing stored, retry later."""
    sha256 = hashlib.sha256(incoming.raw).hexdigest()
    try:
        with services.store.unit_of_work() as session:
            if is_recorded(session, incoming.source_key):
                return Outcome(Disposition.DUPLICATE, reason="source key already recorded")
            work = Work(incoming, session, services, services.clock(), sha256)
            disposition = Disposition.NOT_REQUEST
            for step in STEPS:
                result = step(work)
                if result is not None:
                    disposition = result
                    break
            _record(session, work, disposition)
            outcome = Outcome(disposition, work.ticket.ref if work.ticket else None, work.reason)
    except TransientError:
        raise
    except Exception as exc:  # quarantine, never stall the batch
        if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
            # The machine, not the mail: a library writing a temporary file on a full disk
            # (py3langid unpacks its model to /tmp on first use). Retry, do not quarantine.
            raise DatabaseUnavailable(f"disk full: {exc}") from exc
        step_name = getattr(exc, "__traceback__", None) and _failed_step(exc)
        log.error("source=%s step=%s failed: %s", incoming.source_key, step_name,
                  type(exc).__name__, exc_info=log.isEnabledFor(logging.DEBUG))
        outcome = _quarantine(incoming, services, sha256, f"{type(exc).__name__}: {exc}"[:2000])
    log.info("source=%s disposition=%s ticket=%s reason=%s", incoming.source_key,
             outcome.disposition.value, outcome.ticket_ref or "-", outcome.reason or "-")
    return outcome


# The two writes every message makes, built once (see dsr.store: building costs more than
# running them). Core statements, so the ORM unit of work stays out of the hot path.
_MESSAGES = cast(Table, MailMessage.__table__)
_STATES = cast(Table, MailboxState.__table__)
_INSERT_MESSAGE = insert(_MESSAGES)
_ADVANCE = (update(_STATES)
            .where(_STATES.c.name == bindparam("b_mailbox"),
                   _STATES.c.uidvalidity == bindparam("b_uidvalidity"),
                   _STATES.c.last_uid < bindparam("b_uid"))
            .values(last_uid=bindparam("b_uid")))
_STATE_EXISTS = select(_STATES.c.name).where(_STATES.c.name == bindparam("b_mailbox"))
_SAME_BYTES = select(_MESSAGES.c.id).where(_MESSAGES.c.sha256 == bindparam("sha256"),
                                           _MESSAGES.c.direction == "in",
                                           func.length(_MESSAGES.c.raw) == _MESSAGES.c.size) \
    .limit(1)


def _record(session: Session, work: Work, disposition: Disposition) -> None:
    parsed = work.parsed
    if work.classification is not None:
        work.summary["classification"] = work.classification.as_json()
    # A byte-identical copy is not stored twice: the original row holds the same bytes. A
    # duplicate by Message-ID (another route, other headers) keeps its own bytes.
    keep_raw = disposition is not Disposition.DUPLICATE or session.execute(
        _SAME_BYTES, {"sha256": work.sha256}).first() is None
    ticket_id = None
    if work.ticket is not None:
        if work.ticket.id is None:
            session.flush()
        ticket_id = work.ticket.id
    session.execute(_INSERT_MESSAGE, {
        "direction": "in", "source_key": work.incoming.source_key,
        "message_id": parsed.message_id if parsed else None, "sha256": work.sha256,
        "raw": work.incoming.raw if keep_raw else b"", "size": len(work.incoming.raw),
        "received_at": work.incoming.received_at,
        "sender": parsed.sender if parsed else "",
        "sender_name": parsed.sender_name if parsed else "",
        "subject": parsed.subject if parsed else "",
        "language": work.classification.language if work.classification else "",
        "disposition": disposition.value, "reason": work.reason, "error": "",
        "summary": work.summary, "ticket_id": ticket_id, "created_at": work.now,
        "mailbox": work.incoming.mailbox,
    })
    _advance_cursor(session, work.incoming.cursor)


def _advance_cursor(session: Session, cursor: SourceCursor | None) -> None:
    if cursor is None:
        return
    values = {"b_mailbox": cursor.mailbox, "b_uidvalidity": cursor.uidvalidity,
              "b_uid": cursor.uid}
    if session.execute(_ADVANCE, values).rowcount:  # type: ignore[attr-defined]
        return
    if session.execute(_STATE_EXISTS, values).first() is None:
        session.execute(insert(_STATES), {"name": cursor.mailbox, "last_uid": cursor.uid,
                                          "uidvalidity": cursor.uidvalidity})


def _quarantine(incoming: Incoming, services: Services, sha256: str, error: str) -> Outcome:
    """Keep the raw bytes and the error where staff can see and retry them."""
    with services.store.unit_of_work() as session:
        session.add(MailMessage(
            direction="in", source_key=incoming.source_key, message_id=None, sha256=sha256,
            raw=incoming.raw, size=len(incoming.raw), received_at=incoming.received_at,
            disposition=Disposition.FAILED.value, reason="processing failed", error=error,
            summary={}, created_at=services.clock(), mailbox=incoming.mailbox,
        ))
        _advance_cursor(session, incoming.cursor)
    return Outcome(Disposition.FAILED, reason="processing failed")


def _failed_step(exc: BaseException) -> str:
    tb = exc.__traceback__
    names = {s.__name__ for s in STEPS}
    found = "record"
    while tb is not None:
        if tb.tb_frame.f_code.co_name in names:
            found = tb.tb_frame.f_code.co_name
        tb = tb.tb_next
    return found
