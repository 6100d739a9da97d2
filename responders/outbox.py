"""The outbox: queue() inside the caller's unit of work; send_pending() delivers with retries.

Only send_pending talks to SMTP (or writes the .eml folder of the embedded default), so an
SMTP outage delays replies but never loses a ticket. 4xx and network errors are retried
with exponential backoff; 5xx answers are parked for staff.

A row is claimed (state "sending", the attempt counted) in its own commit just before the
final "." of DATA: a second sender cannot take it, and a crash leaves a trace. Until that
dot the server keeps nothing, so any failure before it is an ordinary retry. After it, a
crash or a lost connection leaves the message "in doubt": the server may have accepted it.
Such a row is never sent again automatically; it is parked with the reason, for staff to
check and retry from the dashboard (DESIGN.md: never two acknowledgements after a restart).
The folder transport can tell: the file is there or not, so it settles on its own.

Several workers on PostgreSQL share the queue: each takes one due row at a time with
SELECT ... FOR UPDATE SKIP LOCKED and keeps it locked through MAIL/RCPT/DATA, so no two
senders start the same conversation; the claim's commit (before the dot) ends the lock.
SQLite has one writer: rows are listed, then claimed by a conditional UPDATE.
"""

from __future__ import annotations

import email
import email.policy
import logging
import os
import re
import smtplib
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from dsr.config import OutgoingSettings
from dsr.errors import AuthenticationFailed, TransientError
from dsr.store import Store, utcnow
from dsr.tickets import OutboxItem, Ticket
from dsr.tokens import token_source_for

log = logging.getLogger(__name__)
PENDING, SENDING, SENT, PARKED = "pending", "sending", "sent", "parked"
UNREACHABLE = "unreachable"  # an outcome, not a state: the row stays pending, uncounted
SERVER_RETRY = timedelta(seconds=60)
BASE_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=2)
# Set when intake commits mail to the outbox, so a sender can wait on it (wait_for_queued)
# instead of sleeping out its whole send_interval.
_queued = threading.Event()
IN_DOUBT = ("delivery in doubt: interrupted after the SMTP server received the whole message; "
            "it may have been delivered. Check before retrying.")


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): park it for staff."""


class InDoubt(Exception):
    """No answer to the end of DATA: the server may have the message. Never resend it."""


class _Unreachable(TransientError):
    """No SMTP session could be opened: the rest of the batch would fail the same way."""


class _NotClaimed(Exception):
    """Another sender claimed the row first."""


class _DatabaseDown(_NotClaimed):
    """The claim could not be written: stop this pass, send nothing more."""


@dataclass(frozen=True)
class Letter:
    """What a transport needs of one outbox row, read before any network traffic."""

    id: int
    purpose: str
    recipient: str
    raw: bytes
    ref: str
    # The envelope sender: the letter's own From address (privacy@ tickets are answered
    # from privacy@, and bounce there); "" for the transport's default.
    sender: str = ""


Claim = Callable[[], bool]


def sent_today(session: Session, recipient: str, now: datetime) -> int:
    return session.execute(
        select(func.count(OutboxItem.id)).where(
            OutboxItem.recipient == recipient, OutboxItem.created_at >= now - timedelta(days=1))
    ).scalar_one()


def queue(session: Session, ticket: Ticket | None, purpose: str, message: EmailMessage,
          now: datetime) -> OutboxItem:
    """Add a rendered message to the outbox in the caller's transaction.

    Raises ValueError when the bytes would carry headers or recipients the message was not
    given (header injection through a name or subject): better quarantined than sent.
    """
    raw = message.as_bytes(policy=SMTP_POLICY)
    recipient = message["To"].addresses[0].addr_spec.lower()
    _check_headers(message, raw, recipient)
    item = OutboxItem(ticket=ticket, purpose=purpose, message_id=str(message["Message-ID"]),
                      recipient=recipient, raw=raw, state=PENDING, attempts=0,
                      next_attempt_at=now, created_at=now)
    session.add(item)
    return item


def notify_queued() -> None:
    """Wake a sender waiting in wait_for_queued(): mail was committed to the outbox."""
    _queued.set()


def wait_for_queued(timeout: float) -> bool:
    """Sleep until notify_queued() or `timeout` seconds; True when woken by new mail.

    A notification that comes while the sender is busy is kept for its next wait."""
    woken = _queued.wait(timeout)
    _queued.clear()
    return woken


def _check_headers(message: EmailMessage, raw: bytes, recipient: str) -> None:
    """What goes on the wire has the headers we set, and one recipient: nothing smuggled."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    wire = email.message_from_bytes(head + b"\r\n\r\n", policy=email.policy.default)
    given = sorted(k.lower() for k in message.keys())
    found = sorted(k.lower() for k in wire.keys())
    to = wire.get_all("To") or []
    addresses = [a.addr_spec.lower() for header in to for a in header.addresses]
    if found != given or addresses != [recipient] or b"\0" in head:
        extra = sorted(set(found) - set(given)) or ["recipients"]
        raise ValueError(f"refusing to queue: the message would carry {', '.join(extra)} "
                         "it was not given (header injection?)")


@dataclass(frozen=True)
class _Batch:
    """One send_pending pass: its clock, the claim lease, its bounds."""

    now: Callable[[], datetime]
    lease: timedelta
    limit: int
    max_attempts: int
    stop: threading.Event


def send_pending(store: Store, outgoing: OutgoingSettings, sender: str,
                 now: Callable[[], datetime] = utcnow, limit: int = 500,
                 stop: threading.Event | None = None) -> int:
    """Deliver what is due; returns how many were sent. Never raises for a delivery failure.

    With `stop` set (SIGTERM) the pass ends after the message in hand.
    Raises TransientError when the database cannot be reached (nothing is sent then).
    """
    lease = timedelta(seconds=2 * outgoing.timeout + 60)  # a live sender finishes well within
    batch = _Batch(now, lease, limit, outgoing.max_attempts, stop or threading.Event())
    with _transport(outgoing, sender) as deliver:
        _settle_interrupted(store, deliver, now())
        if store.engine.dialect.name == "postgresql":
            return _send_locked(store, deliver, batch)
        return _send_listed(store, deliver, batch)


def _send_listed(store: Store, deliver: _FolderTransport | _SmtpTransport, batch: _Batch) -> int:
    """SQLite (one writer at a time): list the due rows, claim each by a conditional UPDATE.

    No write transaction stays open during network traffic, which would lock intake out;
    two senders may both start a conversation, but only the one whose claim wins sends
    the final dot."""
    sent = 0
    with store.unit_of_work() as session:
        due = session.execute(
            select(OutboxItem.id).where(OutboxItem.state == PENDING,
                                        OutboxItem.next_attempt_at <= batch.now())
            .order_by(OutboxItem.id).limit(batch.limit)
        ).scalars().all()
    for item_id in due:
        if batch.stop.is_set():
            break
        letter = _letter(store, item_id)
        if letter is None:
            continue
        claim = _claimer(store, item_id, batch.now, batch.lease)
        outcome, error, go_on = _attempt(deliver, letter, claim)
        if outcome:
            _settle(store, letter, batch.now(), outcome, error, batch.max_attempts)
            sent += outcome == SENT
        if not go_on:
            break
    return sent


def _send_locked(store: Store, deliver: _FolderTransport | _SmtpTransport, batch: _Batch) -> int:
    """PostgreSQL (several workers): take one due row at a time with FOR UPDATE SKIP LOCKED.

    The row stays locked through MAIL, RCPT and DATA, so no other sender starts the same
    conversation; the claim commits right before the final dot (and releases the lock, the
    row now "sending"). A failure before the claim is recorded in the locked transaction.
    A sender that dies before its claim leaves the row as it was: its lock goes with its
    connection."""
    sent, last = 0, 0
    for _ in range(batch.limit):
        if batch.stop.is_set():
            break
        with store.unit_of_work() as session:
            item = session.execute(
                select(OutboxItem).where(OutboxItem.state == PENDING,
                                         OutboxItem.next_attempt_at <= batch.now(),
                                         OutboxItem.id > last)
                .order_by(OutboxItem.id).limit(1).with_for_update(skip_locked=True)
            ).scalar_one_or_none()
            if item is None:
                break
            last = item.id  # each row at most once a pass, whatever happens to it
            letter = _letter_of(item)
            claim = _locked_claimer(session, item, batch.now, batch.lease)
            outcome, error, go_on = _attempt(deliver, letter, claim)
            if outcome:
                _record(item, letter, batch.now(), outcome, error, batch.max_attempts)
                sent += outcome == SENT
        if not go_on:
            break
    return sent


def _attempt(deliver: _FolderTransport | _SmtpTransport, letter: Letter,
             claim: Claim) -> tuple[str, str, bool]:
    """Hand one letter to the transport: (outcome to record or "", error, go on with the pass)."""
    try:
        deliver(letter, claim)
    except _DatabaseDown:
        return "", "", False
    except _NotClaimed:
        return "", "", True
    except PermanentFailure as exc:
        return PARKED, str(exc), True
    except InDoubt as exc:
        return PARKED, f"{IN_DOUBT} ({exc})", True
    except _Unreachable as exc:
        # The server is down or refuses our login: not this letter's fault, so no attempt
        # is counted (a long outage must not park mail); the pass stops, all wait.
        return UNREACHABLE, str(exc), False
    except TransientError as exc:
        deliver.reset()  # the connection may be dead: reconnect for the next one
        return PENDING, str(exc), True
    except Exception as exc:  # one poisoned row must not block the queue
        deliver.reset()
        return PARKED, f"cannot be sent: {type(exc).__name__}: {exc}", True
    return SENT, "", True


def _letter(store: Store, item_id: int) -> Letter | None:
    with store.unit_of_work() as session:
        item = session.get(OutboxItem, item_id)
        if item is None or item.state != PENDING:
            return None
        return _letter_of(item)


def _letter_of(item: OutboxItem) -> Letter:
    return Letter(item.id, item.purpose, item.recipient, item.raw,
                  item.ticket.ref if item.ticket else "-", _from_address(item.raw))


def _from_address(raw: bytes) -> str:
    """The address in the From header of a message we composed ("" if there is none)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    parsed = email.message_from_bytes(head + b"\r\n\r\n", policy=email.policy.default)
    try:
        addresses: tuple[Any, ...] = parsed["From"].addresses if parsed["From"] else ()
    except (AttributeError, IndexError, ValueError):
        return ""
    return addresses[0].addr_spec if len(addresses) == 1 else ""


def _claimer(store: Store, item_id: int, now: Callable[[], datetime], lease: timedelta) -> Claim:
    """The commit that makes a row ours, counted as an attempt; False if someone was first."""
    def claim() -> bool:
        try:
            with store.unit_of_work() as session:
                result = session.execute(
                    update(OutboxItem).where(OutboxItem.id == item_id,
                                             OutboxItem.state == PENDING)
                    .values(state=SENDING, attempts=OutboxItem.attempts + 1,
                            next_attempt_at=now() + lease))
                return bool(result.rowcount)  # type: ignore[attr-defined]
        except TransientError as exc:
            log.error("outbox=%d not sent: %s", item_id, exc)
            raise _DatabaseDown from exc
    return claim


def _locked_claimer(session: Session, item: OutboxItem, now: Callable[[], datetime],
                    lease: timedelta) -> Claim:
    """The claim of a row this session holds locked: commit it as "sending", an attempt."""
    item_id = item.id  # a rollback expires `item`: reading it again would need the database

    def claim() -> bool:
        item.state, item.attempts = SENDING, item.attempts + 1
        item.next_attempt_at = now() + lease
        try:
            session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            log.error("outbox=%d not sent: database unavailable: %s", item_id, exc)
            raise _DatabaseDown from exc
        return True
    return claim


def _settle(store: Store, letter: Letter, now: datetime, outcome: str, error: str,
            max_attempts: int) -> None:
    """Record what happened to a claimed (or refused before its claim) row."""
    with store.unit_of_work() as session:
        # Write first: on SQLite a transaction that reads and then writes fails at once
        # ("database is locked", no busy wait) when another connection wrote in between,
        # and a sent row would be left "sending", to be parked in doubt. Writing first
        # waits for the lock instead (on PostgreSQL it locks the row).
        session.execute(update(OutboxItem).where(OutboxItem.id == letter.id)
                        .values(last_error=error[:2000]))
        item = session.get(OutboxItem, letter.id)
        if item is not None:
            _record(item, letter, now, outcome, error, max_attempts)


def _record(item: OutboxItem, letter: Letter, now: datetime, outcome: str, error: str,
            max_attempts: int) -> None:
    if outcome == UNREACHABLE:
        item.state, item.last_error = PENDING, error[:2000]
        item.next_attempt_at = now + SERVER_RETRY
        log.warning("outbox=%d SMTP unavailable, retry in %ds: %s", letter.id,
                    SERVER_RETRY.total_seconds(), error[:200])
        return
    if item.state == PENDING:
        item.attempts += 1  # refused before the claim: still an attempt
    item.last_error = error[:2000]
    if outcome == SENT:
        item.state, item.sent_at = SENT, now
        log.info("outbox=%d ticket=%s purpose=%s sent", letter.id, letter.ref,
                 letter.purpose)
    elif outcome == PARKED or item.attempts >= max_attempts:
        item.state = PARKED
        log.error("outbox=%d ticket=%s parked after %d attempts: %s", letter.id, letter.ref,
                  item.attempts, error[:200])
    else:
        delay = min(BASE_BACKOFF * (2 ** (item.attempts - 1)), MAX_BACKOFF)
        item.state, item.next_attempt_at = PENDING, now + delay
        log.warning("outbox=%d attempt %d failed, retry in %ds: %s", letter.id,
                    item.attempts, delay.total_seconds(), error[:200])


def _settle_interrupted(store: Store, deliver: _FolderTransport | _SmtpTransport,
                        now: datetime) -> None:
    """Rows left "sending" by a sender that died: settle them from what the transport knows."""
    with store.unit_of_work() as session:
        # SKIP LOCKED: two workers starting a pass at once settle each row once.
        stale = session.execute(
            select(OutboxItem).where(OutboxItem.state == SENDING,
                                     OutboxItem.next_attempt_at <= now)
            .with_for_update(skip_locked=True)).scalars().all()
        for item in stale:
            letter = Letter(item.id, item.purpose, item.recipient, b"",
                            item.ticket.ref if item.ticket else "-")
            delivered = deliver.was_delivered(letter)
            if delivered:
                item.state, item.sent_at = SENT, now
                log.info("outbox=%d ticket=%s found delivered after an interruption",
                         item.id, letter.ref)
            elif delivered is None:
                item.state, item.last_error = PARKED, IN_DOUBT
                log.error("outbox=%d ticket=%s parked: %s", item.id, letter.ref, IN_DOUBT)
            else:
                item.state, item.next_attempt_at = PENDING, now
                log.warning("outbox=%d ticket=%s was interrupted before delivery; retrying",
                            item.id, letter.ref)


class _FolderTransport:
    """Embedded default: each message becomes an .eml file, written atomically."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> _FolderTransport:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def reset(self) -> None:
        return None

    def _path(self, letter: Letter) -> Path:
        return self.folder / f"{letter.id:08d}-{letter.purpose}.eml"

    def was_delivered(self, letter: Letter) -> bool:
        return self._path(letter).exists()

    def __call__(self, letter: Letter, claim: Claim) -> None:
        target = self._path(letter)
        try:
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(letter.raw)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise TransientError(f"cannot write {target}: {exc}") from exc
        claimed = False
        try:
            claimed = claim()
        finally:
            if not claimed:
                os.unlink(tmp)
        if not claimed:
            raise _NotClaimed
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise TransientError(f"cannot write {target}: {exc}") from exc


class _SmtpTransport:
    """One SMTP connection for a batch, opened lazily and reopened after an error."""

    def __init__(self, settings: OutgoingSettings, sender: str) -> None:
        self.settings = settings
        self.sender = sender
        self.connection: smtplib.SMTP | None = None

    def __enter__(self) -> _SmtpTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.reset()

    def reset(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.connection = None

    def _drop(self) -> None:
        """Close without QUIT: mid-DATA, a QUIT would be taken as message text."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def was_delivered(self, letter: Letter) -> None:
        return None  # SMTP cannot be asked afterwards

    def _connect(self) -> smtplib.SMTP:
        """An SMTP session, TLS verified as configured and logged in.

        Raises _Unreachable ("login refused") when the server refuses our credentials."""
        s = self.settings
        context = self._tls_context(s.ca_file) if s.security != "none" else None
        if s.security == "ssl":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                                        context=context)
        else:
            connection = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            if s.security == "starttls":
                connection.ehlo()
                if not connection.has_extn("starttls"):
                    # Never fall back to plaintext: the password or token would go out in clear.
                    raise smtplib.SMTPNotSupportedError(
                        "the server does not offer STARTTLS: refusing to continue without TLS "
                        '(security = "starttls")')
                connection.starttls(context=context)
            if s.auth == "xoauth2":
                self._xoauth2(connection)
            elif s.user:
                try:
                    connection.login(s.user, s.password)
                except smtplib.SMTPAuthenticationError as exc:
                    raise self._login_refused(exc) from exc
        except BaseException:
            connection.close()
            raise
        if connection.sock is not None:
            # The final "." goes out alone, after the claim: without this, Nagle's algorithm
            # holds it back until the server's delayed ACK (40 ms a message on Linux).
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    @staticmethod
    def _tls_context(ca_file: str) -> ssl.SSLContext:
        """Certificates and host names are always checked; ca_file adds a private CA to the
        system's, it never switches checking off."""
        context = ssl.create_default_context()
        if ca_file:
            context.load_verify_locations(cafile=ca_file)  # OSError/SSLError: unreachable
        return context

    def _xoauth2(self, connection: smtplib.SMTP) -> None:
        """SASL XOAUTH2 (Gmail, Microsoft 365); a refused token is fetched afresh once."""
        s = self.settings
        connection.ehlo_or_helo_if_needed()
        offered = connection.esmtp_features.get("auth", "").upper().split()
        if "XOAUTH2" not in offered:
            raise _Unreachable(f"SMTP login refused for {s.user}: the server does not offer "
                               f"XOAUTH2 (it offers: {' '.join(offered) or 'no AUTH'})")
        tokens = token_source_for(s.token_command, s.timeout)
        for attempt in (1, 2):
            try:
                token = tokens.token()
            except AuthenticationFailed as exc:
                # No token, no session: the rest of the batch would fail the same way.
                raise _Unreachable(f"SMTP login not attempted for {s.user}: {exc}") from exc

            def respond(challenge: bytes | None = None, token: str = token) -> str:
                # A refusal comes as a 334 challenge with a JSON error: answer it with an
                # empty line and the server sends the final 535.
                if challenge is not None:
                    return ""
                return f"user={s.user}\x01auth=Bearer {token}\x01\x01"

            try:
                connection.auth("XOAUTH2", respond, initial_response_ok=True)
                return
            except smtplib.SMTPAuthenticationError as exc:
                tokens.invalidate()
                if attempt == 2:
                    raise self._login_refused(exc, " (XOAUTH2, also with a fresh token)") from exc
                log.warning("SMTP XOAUTH2 token refused; fetching a new one")

    def _login_refused(self, exc: smtplib.SMTPAuthenticationError,
                       how: str = "") -> _Unreachable:
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) \
            else str(exc.smtp_error)
        return _Unreachable(f"SMTP {self.settings.host}:{self.settings.port} login refused for "
                            f"{self.settings.user}{how}: {exc.smtp_code} {text}")

    def __call__(self, letter: Letter, claim: Claim) -> None:
        sender = letter.sender or self.sender
        if not (letter.recipient.isascii() and sender.isascii()):
            raise PermanentFailure("the address is not ASCII (internationalised addresses "
                                   "are not sent automatically)")
        if self.connection is None:
            try:
                self.connection = self._connect()
            except (smtplib.SMTPException, OSError) as exc:
                raise _Unreachable(f"SMTP {self.settings.host}:{self.settings.port} "
                                   f"unreachable: {type(exc).__name__}: {exc}") from exc
        connection = self.connection
        try:
            connection.ehlo_or_helo_if_needed()
            options = []
            if connection.does_esmtp and connection.has_extn("size"):
                options.append(f"SIZE={len(letter.raw)}")
            self._expect(connection.mail(sender, options), 250)
            self._expect(connection.rcpt(letter.recipient), 250, 251)
            self._expect(connection.docmd("DATA"), 354)
            connection.send(_stuffed(letter.raw))  # all of it but the final "."
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise TransientError(f"SMTP unavailable: {type(exc).__name__}: {exc}") from exc
        claimed = False
        try:
            claimed = claim()
        finally:
            if not claimed:
                self._drop()  # no final dot: the server discards the message
        if not claimed:
            raise _NotClaimed
        try:
            connection.send(b".\r\n")
            code, message = connection.getreply()
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise InDoubt(f"{type(exc).__name__}: {exc}") from exc
        if code != 250:
            self._refused(code, message)

    def _expect(self, reply: tuple[int, bytes], *codes: int) -> None:
        code, message = reply
        if code not in codes:
            self._refused(code, message)

    def _refused(self, code: int, message: bytes | str) -> None:
        self.reset()
        text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
        if 500 <= code < 600:
            raise PermanentFailure(f"SMTP {code} {text}")
        raise TransientError(f"SMTP {code} {text}")


_LINE_ENDS = re.compile(rb"\r\n|\n|\r")
_DOT_LINES = re.compile(rb"(?m)^\.")


def _stuffed(raw: bytes) -> bytes:
    """RFC 5321 4.5.2: CRLF line ends and dot-stuffing, ending in CRLF (the dot comes later)."""
    data = _DOT_LINES.sub(b"..", _LINE_ENDS.sub(b"\r\n", raw))
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def _transport(outgoing: OutgoingSettings, sender: str) -> _FolderTransport | _SmtpTransport:
    if outgoing.kind == "folder":
        return _FolderTransport(outgoing.path)
    return _SmtpTransport(outgoing, sender)


def open_smtp(outgoing: OutgoingSettings, sender: str) -> smtplib.SMTP:
    """A logged-in SMTP session exactly as the sender opens one (for `rightsbot doctor`)."""
    return _SmtpTransport(outgoing, sender)._connect()
