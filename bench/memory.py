"""Memory: peak resident memory of a backlog pass at 1,000 and at 10,000 messages.

The same pass as bench.backlog (`poll_once` in a fresh process); the bot's own peak and the
largest worker process's peak are reported separately (ru_maxrss of self and children).

    python -m bench.memory [--sizes 1000 10000] [--record]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from bench.backlog import USER, run_child
from bench.common import (
    MailFactory,
    dovecot,
    imap_section,
    machine,
    seed,
    update_results,
    write_config,
)


def measure(messages: int, seed_value: int) -> dict[str, Any]:
    with dovecot() as server, tempfile.TemporaryDirectory(prefix="bench-mem-") as tmp:
        seed(server, USER, (m.raw for m in MailFactory(seed_value).realistic(messages)))
        config = write_config(Path(tmp), {"inbox": imap_section(server, USER, batch_size=500)})
        result = run_child(config)
    result["messages"] = messages
    return result


def report(results: list[dict[str, Any]]) -> str:
    lines = ["| messages | pass | bot peak RSS | worker peak RSS |", "|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['messages']} | {r['pass_s']:.1f} s | **{r['peak_rss_mib']:.0f} MiB** "
                     f"| {r['peak_rss_worker_mib']:.0f} MiB |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--record", action="store_true", help="write bench/RESULTS.md")
    args = parser.parse_args()
    results = [measure(n, args.seed) for n in args.sizes]
    text = report(results)
    print(text)
    print(json.dumps(results))
    if args.record:
        update_results("Memory", f"Machine: {machine()}\n\n{text}")


if __name__ == "__main__":
    main()
