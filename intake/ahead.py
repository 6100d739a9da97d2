"""Parse and classify a big backlog ahead, in a worker process, while the bot writes.

Every database write stays in the calling process, in order, one transaction per message,
so the exactly-once guarantees are those of `intake.pipeline.process()` alone; the worker
only computes what is a pure function of the raw bytes (the parse, the classifier's verdict).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from intake.pipeline import Incoming, Prepared, Services

log = logging.getLogger(__name__)
CHUNK = 32          # messages per task sent to a worker
AHEAD = 8           # tasks in flight: bounds memory to CHUNK * AHEAD raw messages


def worker_count() -> int:
    """Worker processes worth starting: one CPU stays with the process that writes."""
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
            except Exception as exc:  # BrokenProcessPool, a model that won't load
                if self.pool is not None:  # said once; the chunks still in flight fail too
                    log.warning("worker process failed (%s: %s); continuing in this process",
                                type(exc).__name__, exc)
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
        except Exception:  # process() will meet it again and quarantine it
            parsed.append(None)
    wanted = [p for p in parsed
              if p is not None and p.sender and guards.screen_reason(p, ours) is None]
    verdicts: dict[int, Any] = {}
    try:
        texts = ((p.subject, p.text) for p in wanted)
        for p, verdict in zip(wanted, model.classify_many(texts, batch_size=64), strict=True):
            verdicts[id(p)] = verdict
    except Exception:  # process() classifies them itself
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
