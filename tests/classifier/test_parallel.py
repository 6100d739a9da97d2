"""classify_parallel: the shipped model forked into worker processes.

Each test runs in a fresh interpreter: pytest's own process has threads (test servers), and
classify_parallel rightly refuses to fork a process with threads.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

MAILS = """
from classifier.examples import read_examples
mails = [(e.subject, e.body) for e in read_examples()[:260]]
mails += [("", ""), ("Re:", "> only quoted"), ("Huge", "Bitte löschen Sie meine Daten. " * 20000)]
"""


def run(*parts: str) -> subprocess.CompletedProcess[str]:
    script = "".join(textwrap.dedent(part) for part in parts)
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)


def test_two_workers_give_the_same_verdicts_in_the_same_order_as_one_process() -> None:
    done = run("""
        import classifier
        from classifier.parallel import classify_parallel
        model = classifier.load()
        """, MAILS, """
        alone = list(model.classify_many(mails))
        forked = list(classify_parallel(classifier.load(), iter(mails), workers=2, chunk=16))
        print(len(alone), len(forked), sum(a == b for a, b in zip(alone, forked)))
        print(sorted({v.decision for v in forked}))
        """)
    assert done.returncode == 0, done.stderr
    counts, decisions = done.stdout.splitlines()
    assert counts == "263 263 263"
    assert decisions == "['not_request', 'request', 'triage']"


def test_a_worker_that_dies_stops_the_stream_with_an_error_instead_of_hanging() -> None:
    done = run("""
        import os, time
        import classifier
        from classifier.parallel import WorkerDied, classify_parallel

        class DiesOnPoison(classifier.Classifier):
            def classify_many(self, mails, batch_size=64):
                mails = list(mails)
                if any(subject == "poison" for subject, _body in mails):
                    os._exit(9)
                return super().classify_many(mails, batch_size)

        shipped = classifier.load()
        model = DiesOnPoison(shipped.nlp, tokenizers=shipped.tokenizers)
        mails = [("poison", "")] * 8 + [("hello", "Please delete my data.")] * 40
        started = time.monotonic()
        got = []
        try:
            for verdict in classify_parallel(model, mails, workers=2, chunk=8):
                got.append(verdict)
        except WorkerDied as exc:
            print("died", len(got), round(time.monotonic() - started) < 60, exc)
        """)
    assert done.returncode == 0, done.stderr
    word, verdicts, quick, message = done.stdout.split(" ", 3)
    assert word == "died" and quick == "True"
    # The other worker classified the later chunks, but no verdict is handed out past a gap.
    assert verdicts == "0"
    assert "exit code 9" in message


def test_an_error_in_a_worker_is_raised_in_the_reader_with_the_workers_traceback() -> None:
    done = run("""
        import classifier
        from classifier.parallel import classify_parallel

        class Broken(classifier.Classifier):
            def classify_many(self, mails, batch_size=64):
                raise ValueError("unreadable chunk")

        shipped = classifier.load()
        model = Broken(shipped.nlp, tokenizers=shipped.tokenizers)
        try:
            list(classify_parallel(model, [("a", "b")] * 20, workers=2, chunk=4))
        except RuntimeError as exc:
            print("raised", "ValueError: unreadable chunk" in str(exc))
        """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "raised True"


def test_with_other_threads_running_it_classifies_in_one_process() -> None:
    done = run("""
        import logging, os, threading
        logging.basicConfig(level=logging.WARNING)
        import classifier
        from classifier.parallel import classify_parallel

        stop = threading.Event()
        threading.Thread(target=stop.wait, daemon=True).start()
        pids = set()

        class Where(classifier.Classifier):
            def classify_many(self, mails, batch_size=64):
                pids.add(os.getpid())
                return super().classify_many(mails, batch_size)

        shipped = classifier.load()
        verdicts = list(classify_parallel(Where(shipped.nlp, tokenizers=shipped.tokenizers),
                                          [("x", "Delete my data")] * 10, workers=2, chunk=2))
        print(len(verdicts), pids == {os.getpid()})
        stop.set()
        """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "10 True"
    assert "forking is unsafe" in done.stderr
