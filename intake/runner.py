"""Drive a mail source through the pipeline: one pass, or an IDLE/poll loop for `run`.

A big backlog is parsed and classified ahead, in worker processes, while this process
writes: every database write stays here, in order, one transaction per message, so the
exactly-once guarantees are those of `process()` alone.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from dsr.errors import TransientError
from dsr.store import release_lease, take_lease, utcnow
from dsr.tickets import Disposition, MailboxState
from intake.mailbox import ImapMailbox
from intake.maildir import MaildirSource
from intake.pipeline import Incoming, Prepared, Services, process
from responders.outbox import notify_queued

log = logging.getLogger(__name__)
LEASE_SECONDS = 300
HOLDER = f"{socket.gethostname()}:{os.getpid()}"
# From this many new messages in one pass, parsing and classifying move to worker processes
# (starting one costs a model load, about two seconds; it pays off from a few hundred mails).
PARALLEL_FROM = 500
_MAY_QUEUE = frozenset({Disposition.OPENED, Disposition.APPENDED})  # replies in the outbox
CHUNK = 32          # messages per task sent to a worker
AHEAD = 8           # tasks in flight: bounds memory to CHUNK * AHEAD raw messages


@dataclass
class PassResult:
    counts: Counter[str] = field(default_factory=Counter)

    def __str__(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in sorted(self.counts.items())) or "nothing new"


def poll_maildir(source: MaildirSource, services: Services) -> PassResult:
    result = PassResult()
    for incoming, path in source.messages():
        outcome = process(incoming, services)  # TransientError: stop; the file stays in new/
        result.counts[outcome.disposition.value] += 1
        if outcome.disposition in _MAY_QUEUE:
            notify_queued()
        source.mark_seen_by_us(path)
    return result


def poll_imap(mailbox: ImapMailbox, services: Services,
              parallel_from: int | None = None) -> PassResult:
    """One pass over the folder; the caller holds the lease and has connected.

    With `parallel_from` (default PARALLEL_FROM) or more new messages, parsing and
    classifying run ahead in a worker process."""
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
    incoming: Iterable[Incoming] = mailbox.fetch(uids, services.settings.inbox.batch_size)
    threshold = PARALLEL_FROM if parallel_from is None else parallel_from
    workers = _worker_count() if len(uids) >= threshold else 0
    with Ahead(services, workers) as ahead:
        for item in ahead.prepare(incoming):
            outcome = process(item, services)
            result.counts[outcome.disposition.value] += 1
            if outcome.disposition in _MAY_QUEUE:
                notify_queued()
    with services.store.unit_of_work() as session:
        state = session.get(MailboxState, mailbox.name)
        if state is not None:
            state.last_success_at = utcnow()
    return result


def poll_once(services: Services) -> PassResult:
    """One pass over the configured inbox (Maildir or IMAP)."""
    inbox = services.settings.inbox
    if inbox.kind == "maildir":
        return poll_maildir(MaildirSource(inbox.path), services)
    mailbox = ImapMailbox(inbox)
    if not take_lease(services.store, mailbox.name, HOLDER, LEASE_SECONDS, utcnow()):
        log.info("mailbox=%s is being polled by another worker; skipping", mailbox.name)
        return PassResult()
    try:
        mailbox.connect()
        return poll_imap(mailbox, services)
    finally:
        mailbox.close()
        release_lease(services.store, mailbox.name, HOLDER)


def watch_imap(services: Services, stop: threading.Event) -> None:
    """Keep one IMAP connection: IDLE where offered, else poll; reconnect with backoff.

    The backoff (1 s doubling to 5 min) is reset only by a pass that worked, so a server
    that accepts the login and then fails every command is not hammered once a second.
    """
    inbox = services.settings.inbox
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
                result = poll_imap(mailbox, services)
                backoff = 1.0
                if result.counts:
                    log.info("mailbox=%s pass: %s", mailbox.name, result)
                take_lease(services.store, mailbox.name, HOLDER, LEASE_SECONDS, utcnow())
                if result.counts:
                    continue  # mail may have come while we worked: look again before waiting
                if idle:
                    # RFC 2177: re-issue IDLE at least every 29 minutes.
                    mailbox.wait_for_news(min(inbox.poll_interval, 25 * 60), stop)
                else:
                    stop.wait(inbox.poll_interval)
        except TransientError as exc:
            log.error("mailbox=%s %s; retrying in %.0fs", mailbox.name, exc, backoff)
            stop.wait(backoff)
            backoff = min(backoff * 2, 300.0)
        finally:
            mailbox.close()
    release_lease(services.store, ImapMailbox(inbox).name, HOLDER)


def _worker_count() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return min(cpus - 1, 3)


class Ahead:
    """Parse and classify the coming messages in a worker process, handing them back in order.

    This process keeps every database write. It also takes a chunk itself whenever it finds
    the worker behind (and while the worker loads its model), so both CPUs stay busy. With
    no workers (a small pass, one CPU) messages go on untouched; a worker that fails only
    costs speed: process() then parses and classifies them itself.
    """

    def __init__(self, services: Services, workers: int) -> None:
        self.services = services
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None
        self.behind = False
        self.done_here = self.done_there = 0
        self.waited = 0.0
        model = services.classifier
        self.signature = (getattr(model, "version", None),
                          getattr(model, "request_threshold", None),
                          getattr(model, "triage_threshold", None))

    def __enter__(self) -> Ahead:
        if self.workers > 0:
            import multiprocessing

            c = self.services.settings.classifier
            # spawn: a fork of a process with threads (scheduler, web server) can deadlock.
            self.pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_start,
                initargs=(c.model_path, c.request_threshold, c.triage_threshold,
                          self.services.settings.our_addresses))
            log.info("parsing and classifying ahead in %d worker process(es)", self.workers)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        if self.workers:
            log.info("prepared %d chunk(s) in the worker, %d here; waited %.1f s for it",
                     self.done_there, self.done_here, self.waited)

    def prepare(self, incoming: Iterable[Incoming]) -> Iterator[Incoming]:
        if self.pool is None:
            yield from incoming
            return
        window: deque[tuple[list[Incoming], Future[_Chunk] | None]] = deque()
        chunk: list[Incoming] = []
        for item in incoming:
            chunk.append(item)
            if len(chunk) == CHUNK:
                window.append((chunk, self._submit(chunk)))
                chunk = []
                while len(window) > AHEAD:
                    yield from self._collect(*window.popleft())
        if chunk:
            window.append((chunk, self._submit(chunk)))
        while window:
            yield from self._collect(*window.popleft())

    def _submit(self, chunk: list[Incoming]) -> Future[_Chunk] | None:
        if self.pool is None or self.behind:
            self.behind = False
            return None  # this one is ours
        try:
            return self.pool.submit(_prepare_chunk, [i.raw for i in chunk])
        except RuntimeError:  # the pool broke (a worker died): carry on without it
            self.pool = None
            return None

    def _collect(self, chunk: list[Incoming], future: Future[_Chunk] | None) -> Iterator[Incoming]:
        if future is not None and not future.done():
            self.behind = True
            if future.cancel():  # not started yet (the worker is still loading): do it here
                future = None
        signature, results = self.signature, None
        if future is not None:
            try:
                waiting = time.monotonic()
                signature, results = future.result()
                self.waited += time.monotonic() - waiting
                self.done_there += 1
            except Exception as exc:  # noqa: BLE001 - BrokenProcessPool, a model that won't load
                log.warning("worker process failed (%s: %s); continuing in this process",
                            type(exc).__name__, exc)
                if self.pool is not None:
                    self.pool.shutdown(wait=False, cancel_futures=True)
                self.pool = None
        if results is None:
            self.done_here += 1
            results = _prepare([i.raw for i in chunk], self.services.classifier,
                               self.services.settings.our_addresses)
        for item, prepared in zip(chunk, results, strict=True):
            if prepared is not None and signature != self.signature:
                # Not the model (or thresholds) this process decides with: parse only.
                prepared = dataclasses.replace(prepared, classification=None)
            yield dataclasses.replace(item, prepared=prepared) if prepared else item


# What a worker returns for a chunk: (model version, thresholds) and one result per message.
_Chunk = tuple[tuple[Any, Any, Any], list[Prepared | None]]
_worker: dict[str, Any] = {}


def _worker_start(model_path: str, request_threshold: float, triage_threshold: float,
                  our_addresses: frozenset[str]) -> None:
    import classifier

    _die_with_parent()
    _worker["model"] = classifier.load(model_path or None, request_threshold, triage_threshold)
    _worker["ours"] = our_addresses


def _prepare_chunk(raws: list[bytes]) -> _Chunk:
    model = _worker["model"]
    return ((model.version, model.request_threshold, model.triage_threshold),
            _prepare(raws, model, _worker["ours"]))


def _prepare(raws: list[bytes], model: Any, ours: frozenset[str]) -> list[Prepared | None]:
    """Parse each message, and classify in one batch those the screening would not drop."""
    from intake import guards, mime

    parsed: list[Any] = []
    for raw in raws:
        try:
            parsed.append(mime.parse(raw))
        except Exception:  # noqa: BLE001 - process() will meet it again and quarantine it
            parsed.append(None)
    wanted = [p for p in parsed
              if p is not None and p.sender and guards.screen_reason(p, ours) is None]
    verdicts: dict[int, Any] = {}
    try:
        texts = ((p.subject, p.text) for p in wanted)
        for p, verdict in zip(wanted, model.classify_many(texts, batch_size=64), strict=True):
            verdicts[id(p)] = verdict
    except Exception:  # noqa: BLE001 - process() classifies them itself
        verdicts = {}
    return [None if p is None else Prepared(p, verdicts.get(id(p))) for p in parsed]


def _die_with_parent() -> None:
    """Linux: a worker gets SIGKILL when the bot dies, even by SIGKILL; no orphans."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:
            os._exit(0)  # the parent is already gone
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
