"""Drive a mail source through the pipeline: one pass, or an IDLE/poll loop for `run`."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from dsr import health
from dsr.config import InboxSettings
from dsr.errors import AuthenticationFailed, DatabaseUnavailable, TransientError
from dsr.store import holder_name, release_lease, take_lease, utcnow
from dsr.tickets import Disposition, MailboxState
from intake.ahead import Ahead, worker_count
from intake.mailbox import ImapMailbox
from intake.maildir import MaildirSource
from intake.pipeline import Incoming, Services, process
from responders.outbox import notify_queued

log = logging.getLogger(__name__)
LEASE_SECONDS = 300
HOLDER = holder_name()
# From this many new messages in one pass, parsing and classifying move to worker processes
# (starting one costs a model load, about two seconds; it pays off from a few hundred mails).
PARALLEL_FROM = 500
PROGRESS_SECONDS = 10  # a long pass (a backlog) logs how far it got this often
_MAY_QUEUE = frozenset({Disposition.OPENED, Disposition.APPENDED})  # replies in the outbox


@dataclass
class PassResult:
    counts: Counter[str] = field(default_factory=Counter)
    # "name: error" for each mailbox that could not be read this pass.
    failures: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = ", ".join(f"{k}={v}" for k, v in sorted(self.counts.items())) or "nothing new"
        return text + "".join(f"; {failure}" for failure in self.failures)


def mailbox_key(inbox: InboxSettings) -> str:
    """The MailboxState row of a configured mailbox: its place, not its name, so renaming
    one in the config does not restart an IMAP folder from UID 1."""
    if inbox.kind == "maildir":
        return f"maildir:{inbox.path}"
    return ImapMailbox(inbox).name


def _record_success(services: Services, inbox: InboxSettings,
                    mailbox: ImapMailbox | None = None) -> None:
    expires = mailbox.oauth_refresh_expires_at if mailbox else None
    with services.store.unit_of_work() as session:
        health.record_success(session, mailbox_key(inbox), inbox.name, utcnow(), expires)


def record_mailbox_failure(services: Services, inbox: InboxSettings, exc: TransientError) -> None:
    """Best effort: the failure may be the database itself, which then cannot record it."""
    try:
        with services.store.unit_of_work() as session:
            health.record_failure(session, mailbox_key(inbox), inbox.name, utcnow(), str(exc),
                                  login_failed=isinstance(exc, AuthenticationFailed))
    except TransientError as again:
        log.error("mailbox=%s health not recorded: %s", inbox.name, again)


def poll_maildir(source: MaildirSource, services: Services,
                 stop: threading.Event | None = None) -> PassResult:
    """One pass over new/; with `stop` set (SIGTERM), ends after the message in hand."""
    result = PassResult()
    for incoming, path in source.messages():
        incoming = dataclasses.replace(incoming, mailbox=source.mailbox)
        outcome = process(incoming, services)  # TransientError: stop; the file stays in new/
        result.counts[outcome.disposition.value] += 1
        if outcome.disposition in _MAY_QUEUE:
            notify_queued()
        source.mark_seen_by_us(path)
        if stop is not None and stop.is_set():
            break
    return result


def poll_imap(mailbox: ImapMailbox, services: Services,
              parallel_from: int | None = None,
              stop: threading.Event | None = None) -> PassResult:
    """One pass over the folder; the caller holds the lease and has connected.

    With `parallel_from` (default PARALLEL_FROM) or more new messages, parsing and
    classifying run ahead in a worker process. With `stop` set (SIGTERM) the pass ends
    after the message in hand: each outcome is committed with its UID, so the next
    start carries on from there."""
    result = PassResult()
    with services.store.unit_of_work() as session:
        state = session.get(MailboxState, mailbox.name)
        if state is None:
            state = MailboxState(name=mailbox.name, uidvalidity=mailbox.uidvalidity, last_uid=0)
            session.add(state)
        elif state.uidvalidity == 0:
            state.uidvalidity = mailbox.uidvalidity  # first pass over this folder
        elif state.uidvalidity != mailbox.uidvalidity:
            # RFC 3501: old UIDs mean nothing now. Start over; content hashes catch the
            # messages we already handled, so nothing is answered twice.
            log.warning("mailbox=%s UIDVALIDITY changed %s -> %s: rescanning",
                        mailbox.name, state.uidvalidity, mailbox.uidvalidity)
            state.uidvalidity, state.last_uid = mailbox.uidvalidity, 0
        last_uid = state.last_uid
    uids = mailbox.new_uids(last_uid)
    label = mailbox.settings.name
    incoming: Iterable[Incoming] = (dataclasses.replace(item, mailbox=label) for item in
                                    mailbox.fetch(uids, mailbox.settings.batch_size))
    threshold = PARALLEL_FROM if parallel_from is None else parallel_from
    workers = worker_count() if len(uids) >= threshold else 0
    renewed = reported = started = time.monotonic()
    with Ahead(services, workers) as ahead:
        for done, item in enumerate(ahead.prepare(incoming), 1):
            outcome = process(item, services)
            result.counts[outcome.disposition.value] += 1
            if time.monotonic() - reported > PROGRESS_SECONDS:
                reported = time.monotonic()
                log.info("mailbox=%s backlog: %d/%d (%.0f/s) %s", mailbox.name, done,
                         len(uids), done / (reported - started), result)
            if outcome.disposition in _MAY_QUEUE:
                notify_queued()
            if stop is not None and stop.is_set():
                log.info("mailbox=%s stopping after the message in hand", mailbox.name)
                break
            if time.monotonic() - renewed > LEASE_SECONDS / 3:
                # A long backlog outlasts the lease: renew it as we go, and should another
                # worker hold it now (we were too slow), leave the rest to that one.
                if not take_lease(services.store, mailbox.name, HOLDER, LEASE_SECONDS,
                                  utcnow()):
                    log.warning("mailbox=%s lease lost mid-pass; leaving the rest to its "
                                "holder", mailbox.name)
                    break
                renewed = time.monotonic()
    _record_success(services, mailbox.settings, mailbox)
    return result


def poll_once(services: Services, stop: threading.Event | None = None) -> PassResult:
    """One pass over every configured mailbox. Each is isolated: one that cannot be read
    (login refused, server down) is recorded in `failures` and the others are still read.
    A database outage stops the pass (TransientError): nothing could be recorded anyway."""
    result = PassResult()
    for inbox in services.settings.inboxes:
        if stop is not None and stop.is_set():
            break
        try:
            one = poll_mailbox(inbox, services, stop)
        except DatabaseUnavailable:
            raise
        except TransientError as exc:
            record_mailbox_failure(services, inbox, exc)
            log.error("mailbox=%s not read: %s (retried next pass)", inbox.name, exc)
            result.failures.append(f"{inbox.name}: {exc}")
            continue
        result.counts.update(one.counts)
    return result


def poll_mailbox(inbox: InboxSettings, services: Services,
                 stop: threading.Event | None = None) -> PassResult:
    """One pass over one mailbox (Maildir or IMAP); TransientError when it cannot be read."""
    if inbox.kind == "maildir":
        # Two workers on one host would read the same folder: one at a time, as for IMAP.
        key = mailbox_key(inbox)
        if not take_lease(services.store, key, HOLDER, LEASE_SECONDS, utcnow()):
            log.info("mailbox=%s is being read by another worker; skipping", inbox.name)
            return PassResult()
        try:
            result = poll_maildir(MaildirSource(inbox.path, inbox.name), services, stop)
        finally:
            release_lease(services.store, key, HOLDER)
        _record_success(services, inbox)
        return result
    mailbox = ImapMailbox(inbox)
    if not take_lease(services.store, mailbox.name, HOLDER, LEASE_SECONDS, utcnow()):
        log.info("mailbox=%s is being polled by another worker; skipping", mailbox.name)
        return PassResult()
    try:
        mailbox.connect()
        return poll_imap(mailbox, services, stop=stop)
    finally:
        mailbox.close()
        release_lease(services.store, mailbox.name, HOLDER)


def _wait_holding_the_lease(mailbox: ImapMailbox, services: Services, idle: bool,
                            stop: threading.Event) -> bool:
    """Wait for news (IDLE) or the poll interval, renewing the lease every LEASE_SECONDS/3 so
    that a long interval never lets it lapse while we still hold the connection. False when
    another worker holds the lease now: the caller must let go of the mailbox."""
    inbox = mailbox.settings
    # RFC 2177: re-issue IDLE at least every 29 minutes.
    deadline = time.monotonic() + (min(inbox.poll_interval, 25 * 60) if idle
                                   else inbox.poll_interval)
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return True
        chunk = min(left, LEASE_SECONDS / 3)
        if idle:
            if mailbox.wait_for_news(chunk, stop):
                return True
        else:
            stop.wait(chunk)
        if not take_lease(services.store, mailbox.name, HOLDER, LEASE_SECONDS, utcnow()):
            return False
    return True


def watch_imap(services: Services, stop: threading.Event,
               inbox: InboxSettings | None = None) -> None:
    """Keep one IMAP connection: IDLE where offered, else poll; reconnect with backoff.

    The backoff (1 s doubling to 5 min) is reset only by a pass that worked, so a server
    that accepts the login and then fails every command is not hammered once a second.
    Each configured IMAP mailbox has its own watcher thread: one failing leaves the others.
    """
    inbox = inbox or services.settings.inbox
    backoff = 1.0
    while not stop.is_set():
        mailbox = ImapMailbox(inbox)
        try:
            if not take_lease(services.store, mailbox.name, HOLDER, LEASE_SECONDS, utcnow()):
                stop.wait(30)
                continue
            mailbox.connect()
            log.info("mailbox=%s connected (idle=%s)", mailbox.name, inbox.idle)
            idle = inbox.idle and mailbox.has_idle()
            while not stop.is_set():
                result = poll_imap(mailbox, services, stop=stop)
                backoff = 1.0
                if result.counts:
                    log.info("mailbox=%s pass: %s", mailbox.name, result)
                held = take_lease(services.store, mailbox.name, HOLDER, LEASE_SECONDS,
                                  utcnow())
                if held and result.counts:
                    continue  # mail may have come while we worked: look again before waiting
                if not held or not _wait_holding_the_lease(mailbox, services, idle, stop):
                    log.warning("mailbox=%s lease lost to another worker; standing by",
                                inbox.name)
                    break
        except TransientError as exc:
            log.error("mailbox=%s %s; retrying in %.0fs", inbox.name, exc, backoff)
            record_mailbox_failure(services, inbox, exc)
            stop.wait(backoff)
            backoff = min(backoff * 2, 300.0)
        finally:
            mailbox.close()
    release_lease(services.store, ImapMailbox(inbox).name, HOLDER)
