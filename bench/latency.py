"""Latency with IDLE: a request APPENDed to Dovecot -> its acknowledgement at the SMTP server.

Runs `rightsbot run` as a subprocess (IDLE on, poll_interval 300 s, so only IDLE helps) with
a small outgoing.send_interval, appends requests at a steady pace and matches each
acknowledgement (In-Reply-To) to the APPEND time.

    python -m bench.latency [--messages 200] [--spacing 0.5] [--send-interval 1] [--record]
"""

from __future__ import annotations

import argparse
import email
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from email import policy
from pathlib import Path
from typing import Any

from bench.common import (
    ROOT,
    MailFactory,
    SmtpRecorder,
    dovecot,
    free_port,
    imap_client,
    imap_section,
    machine,
    percentile,
    update_results,
    write_config,
)

USER = "info2@example.org"


class TimedRecorder(SmtpRecorder):
    """Notes when each message arrived (the server's clock, the same as ours)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[str, float] = {}      # by the request it answers (In-Reply-To)
        self.by_message_id: dict[str, float] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        now = time.time()
        self.arrivals[str(parsed["In-Reply-To"]).strip()] = now
        self.by_message_id[str(parsed["Message-ID"]).strip()] = now
        return reply


def run(messages: int, spacing: float, send_interval: int) -> dict[str, Any]:
    from aiosmtpd.controller import Controller

    recorder = TimedRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    factory = MailFactory(31)
    mails = [factory.request("en" if n % 2 else "nl") for n in range(messages)]
    try:
        with dovecot() as server, tempfile.TemporaryDirectory(prefix="bench-lat-") as tmp:
            port = free_port()
            config = write_config(Path(tmp), {
                "inbox": imap_section(server, USER, idle=True, poll_interval=300),
                "outgoing": {"kind": "smtp", "host": "127.0.0.1", "port": controller.port,
                             "security": "none", "send_interval": send_interval},
                "web": {"port": port}})
            env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTSBOT_")}
            bot = subprocess.Popen([sys.executable, "-m", "rightsbot", "--config", str(config),
                                    "run"], cwd=ROOT, env=env, stderr=subprocess.PIPE)
            log: list[str] = []
            reader = threading.Thread(target=lambda: log.extend(
                line.decode(errors="replace") for line in bot.stderr), daemon=True)  # type: ignore[union-attr]
            reader.start()
            try:
                _wait(lambda: any("connected (idle=True)" in line for line in log), 60)
                time.sleep(1.0)
                client = imap_client(server, USER)
                sent: dict[str, float] = {}
                for mail in mails:
                    sent[mail.message_id] = time.time()
                    client.append("INBOX", mail.raw)
                    time.sleep(spacing)
                client.logout()
                _settle(lambda: len(recorder.arrivals), messages, quiet=10)
            finally:
                bot.terminate()
                bot.wait(timeout=60)
            decisions = _decisions(config)
    finally:
        controller.stop()
    latencies = [recorder.arrivals[mid] - t for mid, t in sent.items() if mid in recorder.arrivals]
    return {"messages": messages, "answered": len(latencies), "decisions": decisions,
            "spacing_s": spacing,
            "send_interval_s": send_interval, "p50_s": percentile(latencies, 0.5),
            "p95_s": percentile(latencies, 0.95), "max_s": max(latencies),
            "min_s": min(latencies), "machine": machine()}


def _settle(count: Any, target: int, quiet: float) -> None:
    """Until `count()` reaches target, or stops moving for `quiet` seconds."""
    last, since = -1, time.monotonic()
    while count() < target:
        if count() != last:
            last, since = count(), time.monotonic()
        elif time.monotonic() - since > quiet:
            return
        time.sleep(0.1)


def _wait(predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout} s")
        time.sleep(0.05)


def _decisions(config: Path) -> dict[str, int]:
    from collections import Counter

    from sqlalchemy import select

    from dsr.config import load_settings
    from dsr.store import Store
    from dsr.tickets import Ticket

    store = Store(load_settings(config, {}).database.url)
    with store.unit_of_work() as session:
        found = Counter(session.execute(select(Ticket.decision)).scalars())
    store.dispose()
    return dict(found)


def report(result: dict[str, Any]) -> str:
    return (f"- {result['answered']}/{result['messages']} requests acknowledged (tickets by "
            f"decision: {result['decisions']}; triage gets no automatic reply), one every "
            f"{result['spacing_s']} s, `rightsbot run` with IDLE and outgoing.send_interval = "
            f"{result['send_interval_s']} s\n"
            f"- APPEND -> acknowledgement at the SMTP server: p50 **{result['p50_s']:.2f} s**, "
            f"p95 **{result['p95_s']:.2f} s**, min {result['min_s']:.2f} s, max "
            f"{result['max_s']:.2f} s\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--spacing", type=float, default=0.5)
    parser.add_argument("--send-interval", type=int, default=1)
    parser.add_argument("--record", action="store_true", help="write bench/RESULTS.md")
    args = parser.parse_args()
    result = run(args.messages, args.spacing, args.send_interval)
    text = report(result)
    print(text)
    print(json.dumps(result))
    if args.record:
        update_results("Latency with IDLE", f"Machine: {result['machine']}\n\n{text}")


if __name__ == "__main__":
    main()
