"""Backlog: N messages (2 KB-200 KB, a shared mailbox's mix) waiting in Dovecot.

Measures the time until every message is processed and every acknowledgement queued
(`poll_once`, in a fresh process as `rightsbot poll --once` runs it, minus the SMTP
delivery), and, on the same mailbox, a bare imapclient fetch (batches of 500, BODY.PEEK[])
and a stdlib `policy.default` parse, the floor any intake could reach.

    python -m bench.backlog --messages 10000 [--seed 7] [--record]
"""

from __future__ import annotations

import argparse
import email
import json
import subprocess
import sys
import tempfile
import time
from email import policy
from pathlib import Path
from typing import Any

from bench.common import (
    ROOT,
    MailFactory,
    dovecot,
    imap_client,
    imap_section,
    machine,
    model_version,
    seed,
    update_results,
    write_config,
)

USER = "info1@example.org"


def bare_fetch_and_parse(server, user: str, batch: int = 500) -> dict[str, float]:  # type: ignore[no-untyped-def]
    client = imap_client(server, user)
    client.select_folder("INBOX", readonly=True)
    uids = client.search(["ALL"])
    raws: list[bytes] = []
    started = time.perf_counter()
    for start in range(0, len(uids), batch):
        data = client.fetch(uids[start:start + batch], ["BODY.PEEK[]"])
        raws.extend(data[u][b"BODY[]"] for u in uids[start:start + batch])
    fetch = time.perf_counter() - started
    client.logout()
    started = time.perf_counter()
    for raw in raws:
        email.message_from_bytes(raw, policy=policy.default)
    parse = time.perf_counter() - started
    n = len(raws)
    return {"messages": n, "fetch_s": fetch, "parse_s": parse, "fetch_per_s": n / fetch,
            "parse_per_s": n / parse, "fetch_parse_per_s": n / (fetch + parse),
            "megabytes": sum(len(r) for r in raws) / 1e6}


def run_child(config: Path, serial: bool = False) -> dict[str, object]:
    """`poll_once` in a fresh interpreter (the way `rightsbot poll --once` runs)."""
    extra = ["--serial"] if serial else []
    done = subprocess.run([sys.executable, "-m", "bench.backlog", "--child", str(config),
                           *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def child(config: Path, serial: bool) -> None:
    import logging
    import os

    import classifier
    from bench.common import PeakMemory
    from dsr.config import load_settings
    from dsr.logs import configure_logging
    from dsr.store import Store
    from intake import runner
    from intake.pipeline import Services
    from intake.runner import poll_once

    if serial:
        runner.PARALLEL_FROM = 10**9   # one process, as before the worker pool
    memory = PeakMemory()
    started = time.perf_counter()
    settings = load_settings(config, os.environ)
    configure_logging("WARNING")
    logging.getLogger("intake.runner").setLevel(logging.INFO)
    model = classifier.load(settings.classifier.model_path or None,
                            settings.classifier.request_threshold,
                            settings.classifier.triage_threshold)
    store = Store(settings.database.url)
    store.migrate()
    services = Services(settings=settings, store=store, classifier=model)
    ready = time.perf_counter()
    result = poll_once(services)
    finished = time.perf_counter()
    from sqlalchemy import func, select

    from dsr.tickets import OutboxItem

    with store.unit_of_work() as session:
        queued = session.execute(select(func.count(OutboxItem.id))).scalar_one()
    own, children = memory.stop()
    print(json.dumps({"startup_s": ready - started, "pass_s": finished - ready,
                      "counts": dict(result.counts), "acknowledgements_queued": queued,
                      "peak_rss_mib": own, "peak_rss_worker_mib": children}))


def config_serial(config: Path) -> Path:
    """The same settings, another database (so the second pass starts from nothing)."""
    other = config.parent / "serial"
    other.mkdir(exist_ok=True)
    text = config.read_text().replace('url = "sqlite:///', f'url = "sqlite:///{other}/')
    target = other / "rightsbot.toml"
    target.write_text(text)
    return target


def run(messages: int, seed_value: int, compare: bool = False) -> dict[str, object]:
    mails = MailFactory(seed_value).realistic(messages)
    with dovecot() as server, tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        seeding = seed(server, USER, (m.raw for m in mails))
        del mails
        config = write_config(Path(tmp), {"inbox": imap_section(server, USER, batch_size=500)})
        bare = bare_fetch_and_parse(server, USER)
        end_to_end = run_child(config)
        serial = run_child(config_serial(config), serial=True) if compare else None
    rate = messages / float(end_to_end["pass_s"])  # type: ignore[arg-type]
    return {"messages": messages, "seed": seed_value, "seeding_s": seeding, "bare": bare,
            "end_to_end": end_to_end, "end_to_end_per_s": rate,
            "share_of_bare": rate / bare["fetch_parse_per_s"], "machine": machine(),
            "serial": serial,
            "model": model_version()}


def report(result: dict[str, object]) -> str:
    bare = result["bare"]
    e2e = result["end_to_end"]
    serial: Any = result.get("serial")
    assert isinstance(bare, dict) and isinstance(e2e, dict)
    return (
        f"- {result['messages']} messages ({bare['megabytes']:.0f} MB, seed {result['seed']}), "
        f"model {result['model']}\n"
        f"- end to end (all processed, acknowledgements queued): {e2e['pass_s']:.1f} s = "
        f"**{result['end_to_end_per_s']:.0f} messages/s** (+ {e2e['startup_s']:.1f} s start-up: "
        f"imports, model load, migrations); {e2e['acknowledgements_queued']} acknowledgements; "
        f"{e2e['counts']}\n"
        f"- bare imapclient fetch (batches of 500, BODY.PEEK[]): {bare['fetch_per_s']:.0f}/s; "
        f"stdlib policy.default parse: {bare['parse_per_s']:.0f}/s; together "
        f"{bare['fetch_parse_per_s']:.0f}/s\n"
        f"- end to end / bare fetch+parse: **{result['share_of_bare']:.2f}**\n"
        f"- peak RSS: bot {e2e['peak_rss_mib']:.0f} MiB, largest worker "
        f"{e2e['peak_rss_worker_mib']:.0f} MiB\n"
        f"- seeding with MULTIAPPEND: {result['seeding_s']:.1f} s\n"
        + (f"- the same pass in one process (no worker): {serial['pass_s']:.1f} s = "
           f"{result['messages'] / serial['pass_s']:.0f} messages/s\n" if serial else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--record", action="store_true", help="write bench/RESULTS.md")
    parser.add_argument("--compare", action="store_true",
                        help="also time the pass in one process, without the worker")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--serial", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.serial)
        return
    result = run(args.messages, args.seed, args.compare)
    text = report(result)
    print(text)
    print(json.dumps(result, default=str))
    if args.record:
        update_results("Backlog", f"Machine: {result['machine']}\n\n{text}")


if __name__ == "__main__":
    main()
