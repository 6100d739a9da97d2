"""Classify a long stream of mails on several cores, verdicts in input order.

One classifier process runs at ~450-530 mails/s on 2 KB mails and leaves the second core of
a small server idle; a backlog import or `rightsbot classify --jsonl` over a year of mail is
pure throughput. The loaded classifier is forked into worker processes, so they share its
weights (copy-on-write) instead of each loading the model. Chunks go out through one task
queue and come back tagged with their position, and are handed out in order.

Workers are forked before any thread is started in this process (a fork copies only the
calling thread, and a lock held by another thread would stay locked in the child forever).
If a worker dies (killed, out of memory) the stream stops with an error instead of waiting
for a chunk that will never come.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import queue
import signal
import threading
import traceback
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

from classifier.labels import LANGUAGES
from classifier.language import wait_loaded

if TYPE_CHECKING:
    from classifier import Classification, Classifier

log = logging.getLogger(__name__)
CHUNK = 128
# Chunks queued or in work per worker: enough that no worker waits for the reader, few
# enough that a stream of millions of mails is never all in memory.
IN_FLIGHT_PER_WORKER = 3
# How often the reader checks that every worker is still alive while it waits.
LIVENESS_CHECK_SECONDS = 1.0


class WorkerDied(RuntimeError):
    """A classifier worker process ended without finishing its chunk."""


# Each worker adds ~40-55 MB of its own to the shared model (bench/RESULTS.md, round 7); the
# default stops at four so that a big server does not fork dozens. --workers goes higher.
MAX_DEFAULT_WORKERS = 4


def default_workers() -> int:
    """The cores this process may use, at most MAX_DEFAULT_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_WORKERS))


def classify_parallel(model: Classifier, mails: Iterable[tuple[str, str]], workers: int,
                      chunk: int = CHUNK) -> Iterator[Classification]:
    """Like model.classify_many(mails), on `workers` forked processes; same verdicts, same order.

    With one worker (or no fork on this platform) it is model.classify_many itself.
    """
    # Our own background thread (langid loading) must be done before the fork.
    wait_loaded()
    if workers > 1 and threading.active_count() > 1:
        # Another thread (a scheduler, a server) may hold a lock that a forked child would
        # wait on forever; one process is slower but safe.
        log.warning("classifying in one process: %d threads are running, forking is unsafe",
                    threading.active_count())
        workers = 1
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from model.classify_many(mails, batch_size=chunk)
        return
    # Build every language's tokenizer here, once: the workers inherit them.
    for language in LANGUAGES:
        model.tokenizers[language]
    context = multiprocessing.get_context("fork")
    tasks: Any = context.Queue()
    results: Any = context.Queue()
    processes = [context.Process(target=_serve, args=(model, tasks, results), daemon=True,
                                 name=f"rightsbot-classify-{n}") for n in range(workers)]
    # The collector writes to every object it examines, and each write copies the page into
    # the worker that made it: frozen, the model's objects stay shared (bench/RESULTS.md).
    gc.collect()
    gc.freeze()
    try:
        for process in processes:
            process.start()
    finally:
        gc.unfreeze()  # in this process only; the workers keep theirs frozen
    finished = False
    try:
        yield from _stream(mails, chunk, workers, tasks, results, processes)
        finished = True
    finally:
        # Done: let the workers finish and exit. Interrupted or failed: stop them now.
        for process in processes:
            if finished:
                tasks.put(None)
            else:
                process.terminate()
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
        tasks.close()
        results.close()


def _stream(mails: Iterable[tuple[str, str]], chunk: int, workers: int, tasks: Any,
            results: Any, processes: list[Any]) -> Iterator[Classification]:
    iterator = iter(mails)
    sent = 0
    next_out = 0
    done: dict[int, list[Classification]] = {}
    exhausted = False
    while True:
        while not exhausted and sent - next_out < workers * IN_FLIGHT_PER_WORKER:
            batch = list(islice(iterator, chunk))
            if not batch:
                exhausted = True
                break
            tasks.put((sent, batch))
            sent += 1
        if next_out == sent:
            return
        while next_out not in done:
            index, verdicts, error = _receive(results, processes)
            if error is not None:
                raise RuntimeError(f"classifying chunk {index} failed in a worker:\n{error}")
            done[index] = verdicts
        yield from done.pop(next_out)
        next_out += 1


def _receive(results: Any, processes: list[Any]) -> tuple[int, list[Classification], str | None]:
    while True:
        try:
            message: tuple[int, list[Classification], str | None] = results.get(
                timeout=LIVENESS_CHECK_SECONDS)
            return message
        except queue.Empty:
            dead = [p for p in processes if not p.is_alive()]
            if dead:
                raise WorkerDied(
                    f"classifier worker {dead[0].name} ended (exit code {dead[0].exitcode}) "
                    "before finishing its mails; verdicts were handed out for every mail "
                    "before the missing chunk and for none after it") from None


def _serve(model: Classifier, tasks: Any, results: Any) -> None:
    """A worker: classify chunks until told to stop."""
    # Ctrl-C reaches the whole process group; the reader decides, and stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        task = tasks.get()
        if task is None:
            return
        index, batch = task
        try:
            verdicts = list(model.classify_many(batch, batch_size=len(batch)))
        except Exception:
            results.put((index, [], traceback.format_exc()))
        else:
            results.put((index, verdicts, None))
