"""Classifier throughput, load time and memory on 2 KB mails: `python -m bench.classify`.

Prints mails/s through Classifier.classify_many, the spaCy tokenizer alone on the same mails
and their ratio, the model load time in a fresh interpreter, and the peak resident memory.
Runs several rounds, since the machine is shared and timings are noisy.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time

MAIL_BYTES = 2048
LOAD_SNIPPET = (
    "import time; t = time.perf_counter(); import classifier; c = classifier.load(); "
    "loaded = time.perf_counter() - t; c.classify('', 'Bitte löschen Sie meine Daten.'); "
    "print(loaded, time.perf_counter() - t)"
)


def make_mails(count: int, seed: int = 1) -> list[tuple[str, str]]:
    """~2 KB mails in our four languages, stitched from our own training examples."""
    from classifier.examples import read_examples, split

    examples, _ = split(read_examples())
    by_language: dict[str, list[tuple[str, str]]] = {}
    for ex in examples:
        by_language.setdefault(ex.lang, []).append((ex.subject, ex.body))
    rng = random.Random(seed)
    languages = sorted(by_language)
    mails = []
    for index in range(count):
        pool = by_language[languages[index % len(languages)]]
        subject, body = rng.choice(pool)
        while len(body.encode()) < MAIL_BYTES:
            body += "\n\n" + rng.choice(pool)[1]
        mails.append((subject, body.encode()[:MAIL_BYTES].decode(errors="ignore")))
    return mails


def machine() -> str:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as handle:
        total_kb = int(handle.readline().split()[1])
    return (f"nproc {os.cpu_count()}, CPU {cpu}, RAM {total_kb / 1024 / 1024:.1f} GiB, "
            f"Python {platform.python_version()}")


def load_times(rounds: int) -> list[tuple[float, float]]:
    """(load(), load() + first verdict) in seconds, each in a fresh interpreter."""
    out = []
    for _ in range(rounds):
        done = subprocess.run([sys.executable, "-c", LOAD_SNIPPET], capture_output=True,
                              text=True, check=True)
        loaded, first = (float(x) for x in done.stdout.split())
        out.append((loaded, first))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import classifier

    print(f"machine: {machine()}")
    mails = make_mails(args.mails)
    model = classifier.load()
    list(model.classify_many(mails[:100]))  # warm caches (string store, tokenizer cache)
    tokenizer = model.tokenizers["en"]
    texts = [f"{s}\n\n{b}" for s, b in mails]
    rates, ratios = [], []
    for number in range(1, args.rounds + 1):
        started = time.perf_counter()
        count = sum(1 for _ in model.classify_many(iter(mails), batch_size=64))
        classify_s = time.perf_counter() - started
        started = time.perf_counter()
        for text in texts:
            tokenizer(text)
        tokenize_s = time.perf_counter() - started
        rates.append(count / classify_s)
        ratios.append(classify_s / tokenize_s)
        print(f"round {number}: {count / classify_s:7.0f} mails/s classify_many, "
              f"{len(texts) / tokenize_s:7.0f} mails/s tokenizer only, "
              f"ratio {classify_s / tokenize_s:5.1f}x")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"median: {statistics.median(rates):.0f} mails/s ({args.mails} mails of "
          f"{MAIL_BYTES} bytes), classifier/tokenizer ratio {statistics.median(ratios):.1f}x")
    print(f"peak resident memory: {peak_mb:.0f} MB")
    loads = load_times(args.rounds)
    print("model load in a fresh interpreter (import + load / + first verdict): "
          + ", ".join(f"{a:.2f}s / {b:.2f}s" for a, b in loads))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
