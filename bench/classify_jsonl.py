"""`rightsbot classify --jsonl` end to end: `python -m bench.classify_jsonl`.

The issue's speed target is stated for the command line, so this runs the real command in a
subprocess on a file of 2 KB mails (stitched from our examples, see bench.classify) with one
and with two worker processes, and prints:
  - wall time and mails/s end to end (start-up included), and after start-up (the time of the
    same command on one mail subtracted);
  - peak memory of the whole process tree, sampled every 50 ms: the sum of RSS (pages shared
    by the forked workers counted in each) and the sum of PSS (shared pages split between
    the processes that share them: the memory the command really takes).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.classify import machine, make_mails

ROOT = Path(__file__).resolve().parents[1]


def _tree(pid: int) -> list[int]:
    """pid and its descendants."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo.extend(int(child) for child in children)
    return out


def _memory_kb(pid: int) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) in KB over the process tree."""
    rss = pss = 0
    for member in _tree(pid):
        try:
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue
    return rss, pss


def run(command: list[str], stdin_path: Path) -> tuple[float, int, int, int]:
    """(seconds, output lines, peak RSS sum KB, peak PSS sum KB)."""
    peak = [0, 0]
    with open(stdin_path, "rb") as stdin, tempfile.TemporaryFile() as stdout:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdin=stdin, stdout=stdout, cwd=ROOT)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                rss, pss = _memory_kb(process.pid)
                peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = process.wait()
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        if code != 0:
            raise SystemExit(f"{' '.join(command)} failed with exit code {code}")
        stdout.seek(0)
        lines = sum(1 for _ in stdout)
    return seconds, lines, peak[0], peak[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=8000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    args = parser.parse_args()

    print(machine())
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "rightsbot.toml"
        config.write_text('[web]\nsecret_key = "bench"\n', encoding="utf-8")
        mails = Path(folder) / "mails.jsonl"
        one = Path(folder) / "one.jsonl"
        with open(mails, "w", encoding="utf-8") as handle:
            for index, (subject, body) in enumerate(make_mails(args.mails)):
                handle.write(json.dumps({"id": index, "subject": subject, "body": body},
                                        ensure_ascii=False) + "\n")
        one.write_text(json.dumps({"id": 0, "subject": "x", "body": "Delete my data"}) + "\n",
                       encoding="utf-8")
        size_mb = mails.stat().st_size / 1e6
        print(f"{args.mails} mails, {size_mb:.1f} MB of JSON lines")
        base = [sys.executable, "-m", "rightsbot", "--config", str(config), "classify",
                "--jsonl"]
        for workers in (int(w) for w in args.workers.split(",")):
            command = [*base, "--workers", str(workers)]
            startup = min(run(command, one)[0] for _ in range(2))
            for round_ in range(1, args.rounds + 1):
                seconds, lines, rss, pss = run(command, mails)
                if lines != args.mails:
                    raise SystemExit(f"{lines} verdicts for {args.mails} mails")
                print(f"workers {workers} round {round_}: {seconds:.2f} s, "
                      f"{args.mails / seconds:.0f} mails/s end to end, "
                      f"{args.mails / max(seconds - startup, 1e-9):.0f} mails/s after "
                      f"{startup:.2f} s start-up; peak memory: RSS sum {rss / 1024:.0f} MB, "
                      f"PSS sum {pss / 1024:.0f} MB")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
