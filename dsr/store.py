"""Storage: the engine, one unit of work per transaction, migrations, and the shared queries."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from dsr.errors import TransientError
from dsr.tickets import MailMessage, OutboxItem, RefCounter, Ticket, TicketRef

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


class Store:
    """The database: an engine and a session factory; sessions never leave unit_of_work()."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction: commit on success, roll back on error; a lock becomes TransientError."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise TransientError(f"database unavailable: {exc.orig}") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def migrate(self) -> None:
        """Create or upgrade the schema to the newest Alembic revision."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection_url"] = self.url
        try:
            with self.engine.connect() as connection:
                sqlite = self.engine.dialect.name == "sqlite"
                if sqlite:
                    # Batch migrations rebuild tables; SQLite must not enforce foreign keys
                    # meanwhile, and the pragma only works outside a transaction.
                    connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
                with connection.begin():
                    config.attributes["connection"] = connection
                    command.upgrade(config, "head")
                if sqlite:
                    connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
        except OperationalError as exc:
            raise TransientError(f"database unavailable: {exc.orig}") from exc

    def dispose(self) -> None:
        self.engine.dispose()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///") and ":memory:" not in url:
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 15}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the sqlite3 module, open transactions, so that DDL in a
            # migration is transactional too (the module would autocommit it).
            dbapi_connection.isolation_level = None
            # WAL lets the web view read while the bot writes; a busy timeout turns short
            # lock waits into waits rather than errors.
            for pragma in ("journal_mode=WAL", "busy_timeout=15000", "foreign_keys=ON",
                           "synchronous=NORMAL"):
                dbapi_connection.execute(f"PRAGMA {pragma}")

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN")
    return engine


def next_ref(session: Session, year: int) -> TicketRef:
    """Take the next ticket number for `year` under a row lock (FOR UPDATE on PostgreSQL)."""
    counter = session.execute(
        select(RefCounter).where(RefCounter.year == year).with_for_update()
    ).scalar_one_or_none()
    if counter is None:
        counter = RefCounter(year=year, last=0)
        session.add(counter)
    counter.last += 1
    session.flush()
    return TicketRef(year, counter.last)


def find_ticket(session: Session, ref: TicketRef | str) -> Ticket | None:
    text = ref.format() if isinstance(ref, TicketRef) else ref
    return session.execute(select(Ticket).where(Ticket.ref == text)).scalar_one_or_none()


def find_ticket_by_message_ids(session: Session, message_ids: list[str]) -> Ticket | None:
    """The ticket that one of `message_ids` (ours, outgoing, or a recorded incoming) belongs to."""
    if not message_ids:
        return None
    outgoing = session.execute(
        select(OutboxItem.ticket_id).where(OutboxItem.message_id.in_(message_ids),
                                           OutboxItem.ticket_id.is_not(None)).limit(1)
    ).scalar_one_or_none()
    if outgoing is None:
        outgoing = session.execute(
            select(MailMessage.ticket_id).where(MailMessage.message_id.in_(message_ids),
                                                MailMessage.ticket_id.is_not(None)).limit(1)
        ).scalar_one_or_none()
    return session.get(Ticket, outgoing) if outgoing is not None else None


def is_our_message_id(session: Session, message_ids: list[str]) -> bool:
    """True when any of these Message-IDs is one we sent (a bounce or loop of our own mail)."""
    if not message_ids:
        return False
    return session.execute(
        select(OutboxItem.id).where(OutboxItem.message_id.in_(message_ids)).limit(1)
    ).first() is not None


def is_recorded(session: Session, source_key: str) -> bool:
    return session.execute(
        select(MailMessage.id).where(MailMessage.source_key == source_key)
    ).first() is not None


def find_duplicate(session: Session, sha256: str, message_id: str | None,
                   sender: str) -> MailMessage | None:
    """An incoming message already recorded with the same bytes, or same Message-ID and sender."""
    same = session.execute(
        select(MailMessage).where(MailMessage.sha256 == sha256,
                                  MailMessage.direction == "in").limit(1)
    ).scalar_one_or_none()
    if same is None and message_id:
        same = session.execute(
            select(MailMessage).where(MailMessage.message_id == message_id,
                                      MailMessage.sender == sender,
                                      MailMessage.direction == "in").limit(1)
        ).scalar_one_or_none()
    return same


def utcnow() -> datetime:
    """Naive UTC: how every timestamp is stored, on SQLite and PostgreSQL alike."""
    from datetime import UTC

    return datetime.now(UTC).replace(tzinfo=None)


def take_lease(store: Store, name: str, holder: str, seconds: int, now: datetime) -> bool:
    """Hold `name` (one poller per mailbox) until now+seconds, unless someone else holds it."""
    from datetime import timedelta

    from sqlalchemy import or_, update

    from dsr.tickets import MailboxState

    with store.unit_of_work() as session:
        if session.get(MailboxState, name) is None:
            session.add(MailboxState(name=name, uidvalidity=0, last_uid=0))
            try:
                session.flush()
            except Exception:  # noqa: BLE001 - another worker created it first
                session.rollback()
        result = session.execute(
            update(MailboxState).where(
                MailboxState.name == name,
                or_(MailboxState.lease_until.is_(None), MailboxState.lease_until < now,
                    MailboxState.lease_holder == holder))
            .values(lease_holder=holder, lease_until=now + timedelta(seconds=seconds))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def release_lease(store: Store, name: str, holder: str) -> None:
    from sqlalchemy import update

    from dsr.tickets import MailboxState

    with store.unit_of_work() as session:
        session.execute(update(MailboxState).where(
            MailboxState.name == name, MailboxState.lease_holder == holder)
            .values(lease_holder="", lease_until=None))
