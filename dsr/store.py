"""Storage: the engine, one unit of work per transaction, migrations, and the shared queries."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, Table, bindparam, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, defer, sessionmaker

from dsr.errors import DatabaseUnavailable
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
            raise DatabaseUnavailable(f"database unavailable: {exc.orig}") from exc
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
                # Batch migrations rebuild tables; SQLite must not enforce foreign keys
                # meanwhile, and the pragma only works outside a transaction, so it goes to
                # the driver's connection (an open pooled connection always has one).
                driver = connection.connection.driver_connection
                if sqlite and driver is not None:
                    driver.execute("PRAGMA foreign_keys=OFF")
                with connection.begin():
                    if not sqlite:
                        # Several workers starting at once on an empty database: one migrates,
                        # the others wait for it and then find nothing to do.
                        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(727361)")
                    config.attributes["connection"] = connection
                    command.upgrade(config, "head")
                if sqlite and driver is not None:
                    driver.execute("PRAGMA foreign_keys=ON")
        except OperationalError as exc:
            raise DatabaseUnavailable(f"database unavailable: {exc.orig}") from exc

    def dispose(self) -> None:
        self.engine.dispose()


def make_engine(url: str) -> Engine:
    """An engine; for SQLite, `?timeout=SECONDS` in the URL sets the lock wait (default 15 s)."""
    if url.startswith("sqlite:///") and ":memory:" not in url:
        Path(url[len("sqlite:///"):].split("?", 1)[0]).parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {}
    busy_ms = 15000
    if url.startswith("sqlite"):
        busy_ms = int(float(make_url(url).query.get("timeout", "15")) * 1000)  # type: ignore[arg-type]
        kwargs["connect_args"] = {"timeout": busy_ms / 1000}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the sqlite3 module, open transactions, so that DDL in a
            # migration is transactional too (the module would autocommit it).
            dbapi_connection.isolation_level = None
            # WAL lets the web view read while the bot writes; a busy timeout turns short
            # lock waits into waits rather than errors.
            for pragma in ("journal_mode=WAL", f"busy_timeout={busy_ms}", "foreign_keys=ON",
                           "synchronous=NORMAL"):
                dbapi_connection.execute(f"PRAGMA {pragma}")

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # IMMEDIATE: take the write lock at the start. A deferred transaction that read
            # first and then writes after another connection committed fails at once with
            # "database is locked" (WAL snapshot), whatever the busy timeout; with intake, the
            # sender and the web view writing side by side that stalled intake for seconds.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
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


# Hot-path lookups, built once: intake runs them for every message, and building a
# statement costs several times more than SQLite takes to answer it.
_MESSAGES = cast(Table, MailMessage.__table__)
_OUTBOX = cast(Table, OutboxItem.__table__)
_OUR_TICKET = (select(_OUTBOX.c.ticket_id)
               .where(_OUTBOX.c.message_id.in_(bindparam("ids", expanding=True)),
                      _OUTBOX.c.ticket_id.is_not(None)).limit(1))
_THEIR_TICKET = (select(_MESSAGES.c.ticket_id)
                 .where(_MESSAGES.c.message_id.in_(bindparam("ids", expanding=True)),
                        _MESSAGES.c.ticket_id.is_not(None)).limit(1))
_OURS = select(_OUTBOX.c.id).where(_OUTBOX.c.message_id.in_(bindparam("ids", expanding=True))) \
    .limit(1)
_RECORDED = select(_MESSAGES.c.id).where(_MESSAGES.c.source_key == bindparam("key")).limit(1)
_SAME_BYTES = select(_MESSAGES.c.id).where(_MESSAGES.c.sha256 == bindparam("sha256"),
                                           _MESSAGES.c.direction == "in").limit(1)
_SAME_ID = select(_MESSAGES.c.id).where(_MESSAGES.c.message_id == bindparam("message_id"),
                                        _MESSAGES.c.sender == bindparam("sender"),
                                        _MESSAGES.c.direction == "in").limit(1)


def find_ticket_by_message_ids(session: Session, message_ids: list[str]) -> Ticket | None:
    """The ticket that one of `message_ids` (ours, outgoing, or a recorded incoming) belongs to."""
    if not message_ids:
        return None
    ids = {"ids": list(message_ids)}
    found = session.execute(_OUR_TICKET, ids).scalar_one_or_none()
    if found is None:
        found = session.execute(_THEIR_TICKET, ids).scalar_one_or_none()
    return session.get(Ticket, found) if found is not None else None


def is_our_message_id(session: Session, message_ids: list[str]) -> bool:
    """True when any of these Message-IDs is one we sent (a bounce or loop of our own mail)."""
    if not message_ids:
        return False
    return session.execute(_OURS, {"ids": list(message_ids)}).first() is not None


def is_recorded(session: Session, source_key: str) -> bool:
    return session.execute(_RECORDED, {"key": source_key}).first() is not None


def find_duplicate(session: Session, sha256: str, message_id: str | None,
                   sender: str) -> MailMessage | None:
    """An incoming message already recorded with the same bytes, or same Message-ID and sender."""
    found = session.execute(_SAME_BYTES, {"sha256": sha256}).scalar_one_or_none()
    if found is None and message_id:
        found = session.execute(_SAME_ID, {"message_id": message_id, "sender": sender}) \
            .scalar_one_or_none()
    if found is None:
        return None
    # The caller wants the row, rarely its raw bytes (megabytes, perhaps): load those lazily.
    return session.get(MailMessage, found, options=[defer(MailMessage.raw)])


def utcnow() -> datetime:
    """Naive UTC: how every timestamp is stored, on SQLite and PostgreSQL alike."""
    from datetime import UTC

    return datetime.now(UTC).replace(tzinfo=None)


def take_lease(store: Store, name: str, holder: str, seconds: int, now: datetime) -> bool:
    """Hold `name` (one poller per mailbox) until now+seconds, unless someone else holds it.

    A holder on this host whose process is gone (killed, crashed) holds nothing: without
    this, a restart after SIGKILL would skip the mailbox until the dead lease ran out.
    """
    from datetime import timedelta

    from sqlalchemy import false, or_, update

    from dsr.tickets import MailboxState

    with store.unit_of_work() as session:
        state = session.get(MailboxState, name)
        if state is None:
            session.add(MailboxState(name=name, uidvalidity=0, last_uid=0))
            try:
                session.flush()
            except Exception:  # another worker created it first
                session.rollback()
        dead = ""
        if state is not None and state.lease_holder not in ("", holder) \
                and _holder_is_gone(state.lease_holder):
            dead = state.lease_holder
        result = session.execute(
            update(MailboxState).where(
                MailboxState.name == name,
                or_(MailboxState.lease_until.is_(None), MailboxState.lease_until < now,
                    MailboxState.lease_holder == holder,
                    MailboxState.lease_holder == dead if dead else false()))
            .values(lease_holder=holder, lease_until=now + timedelta(seconds=seconds))
        )
        taken = bool(result.rowcount)  # type: ignore[attr-defined]
    if taken and dead:
        log.warning("lease %s: holder %s is no longer running; taken over", name, dead)
    return taken


def _machine() -> str:
    """This host, and its PID namespace: containers that share a host name (or run on one
    host) do not see each other's processes, so they must not judge each other's leases."""
    import os
    import socket

    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        namespace = 0
    return f"{socket.gethostname()}#{namespace}"


def holder_name(pid: int | None = None) -> str:
    """How a process signs its leases: "host#pid-namespace:pid"."""
    import os

    return f"{_machine()}:{os.getpid() if pid is None else pid}"


def _holder_is_gone(holder: str) -> bool:
    """True for a holder on this machine (same host and PID namespace) whose process is gone."""
    import os

    machine, _, pid = holder.rpartition(":")
    if machine != _machine() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # it exists, under another user
    return False


def release_lease(store: Store, name: str, holder: str) -> None:
    from sqlalchemy import update

    from dsr.tickets import MailboxState

    with store.unit_of_work() as session:
        session.execute(update(MailboxState).where(
            MailboxState.name == name, MailboxState.lease_holder == holder)
            .values(lease_holder="", lease_until=None))
