"""The outbox: queue() inside the caller's unit of work; send_pending() delivers with retries.

Only send_pending talks to SMTP (or writes the .eml folder of the embedded default), so an
SMTP outage delays replies but never loses a ticket. 4xx and network errors are retried
with exponential backoff; 5xx answers are parked for staff.

The one duplicate window: the SMTP server accepts a message and the process dies before the
row is marked sent. On restart the row is sent again, with the same Message-ID.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dsr.config import OutgoingSettings
from dsr.errors import TransientError
from dsr.store import Store, utcnow
from dsr.tickets import OutboxItem, Ticket

log = logging.getLogger(__name__)
PENDING, SENT, PARKED = "pending", "sent", "parked"
BASE_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=2)


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): park it for staff."""


def sent_today(session: Session, recipient: str, now: datetime) -> int:
    return session.execute(
        select(func.count(OutboxItem.id)).where(
            OutboxItem.recipient == recipient, OutboxItem.created_at >= now - timedelta(days=1))
    ).scalar_one()


def queue(session: Session, ticket: Ticket | None, purpose: str, message: EmailMessage,
          now: datetime) -> OutboxItem:
    """Add a rendered message to the outbox in the caller's transaction."""
    item = OutboxItem(ticket=ticket, purpose=purpose, message_id=str(message["Message-ID"]),
                      recipient=message["To"].addresses[0].addr_spec.lower(),
                      raw=message.as_bytes(policy=SMTP_POLICY), state=PENDING, attempts=0, next_attempt_at=now,
                      created_at=now)
    session.add(item)
    return item


Transport = Callable[[OutboxItem], None]


def send_pending(store: Store, outgoing: OutgoingSettings, sender: str,
                 now: Callable[[], datetime] = utcnow, limit: int = 500) -> int:
    """Deliver what is due; returns how many were sent. Never raises for a delivery failure."""
    with store.unit_of_work() as session:
        due = session.execute(
            select(OutboxItem.id).where(OutboxItem.state == PENDING,
                                        OutboxItem.next_attempt_at <= now())
            .order_by(OutboxItem.id).limit(limit)
        ).scalars().all()
    if not due:
        return 0
    sent = 0
    with _transport(outgoing, sender) as deliver:
        for item_id in due:
            with store.unit_of_work() as session:
                item = session.get(OutboxItem, item_id)
                if item is None or item.state != PENDING:
                    continue
                try:
                    deliver(item)
                except PermanentFailure as exc:
                    _fail(item, now(), str(exc), outgoing.max_attempts, permanent=True)
                    continue
                except TransientError as exc:
                    _fail(item, now(), str(exc), outgoing.max_attempts, permanent=False)
                    deliver.reset()  # the connection may be dead: reconnect for the next one
                    continue
                item.state, item.sent_at, item.attempts = SENT, now(), item.attempts + 1
                item.last_error = ""
                sent += 1
                log.info("outbox=%d ticket=%s purpose=%s sent", item.id,
                         item.ticket.ref if item.ticket else "-", item.purpose)
    return sent


def _fail(item: OutboxItem, now: datetime, error: str, max_attempts: int, permanent: bool) -> None:
    item.attempts += 1
    item.last_error = error[:2000]
    if permanent or item.attempts >= max_attempts:
        item.state = PARKED
        log.error("outbox=%d parked after %d attempts: %s", item.id, item.attempts, error[:200])
        return
    delay = min(BASE_BACKOFF * (2 ** (item.attempts - 1)), MAX_BACKOFF)
    item.next_attempt_at = now + delay
    log.warning("outbox=%d attempt %d failed, retry in %ds: %s", item.id, item.attempts,
                delay.total_seconds(), error[:200])


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

    def __call__(self, item: OutboxItem) -> None:
        name = f"{item.id:08d}-{item.purpose}.eml"
        try:
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(item.raw)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.folder / name)
        except OSError as exc:
            raise TransientError(f"cannot write {self.folder / name}: {exc}") from exc


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

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context(cafile=s.ca_file or None)
        if s.security == "ssl":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                                        context=context)
        else:
            connection = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.security == "starttls":
                connection.starttls(context=context)
        if s.user:
            connection.login(s.user, s.password)
        return connection

    def __call__(self, item: OutboxItem) -> None:
        try:
            if self.connection is None:
                self.connection = self._connect()
            refused = self.connection.sendmail(self.sender, [item.recipient], item.raw)
        except smtplib.SMTPRecipientsRefused as exc:
            code, message = next(iter(exc.recipients.values()))
            self._raise_for(code, message)
        except smtplib.SMTPResponseException as exc:
            self.reset()
            self._raise_for(exc.smtp_code, exc.smtp_error)
        except (smtplib.SMTPException, OSError, socket.timeout) as exc:
            self.reset()
            raise TransientError(f"SMTP unavailable: {type(exc).__name__}: {exc}") from exc
        if refused:
            code, message = next(iter(refused.values()))
            self._raise_for(code, message)

    @staticmethod
    def _raise_for(code: int, message: bytes | str) -> None:
        text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
        if 500 <= code < 600:
            raise PermanentFailure(f"SMTP {code} {text}")
        raise TransientError(f"SMTP {code} {text}")


def _transport(outgoing: OutgoingSettings, sender: str) -> _FolderTransport | _SmtpTransport:
    if outgoing.kind == "folder":
        return _FolderTransport(outgoing.path)
    return _SmtpTransport(outgoing, sender)
