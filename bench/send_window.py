"""The duplicate window, measured: how long a reply is "in doubt" while it is being sent.

An outbox row is claimed ("sending", committed) just before the final "." of DATA and
marked sent right after the server's 250. A crash between the two leaves the row parked
for staff ("delivery in doubt"), never re-sent by itself. This measures, per message, the
time from the claim to the server accepting the message and from acceptance to `sent_at`
(the commit follows at once), over real SMTP (aiosmtpd) and SQLite.

    python -m bench.send_window [--messages 500] [--record]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import MailFactory, free_port, machine, percentile, update_results, write_config
from bench.latency import TimedRecorder


def run(messages: int) -> dict[str, Any]:
    from aiosmtpd.controller import Controller
    from sqlalchemy import select

    import classifier
    from dsr.config import load_settings
    from dsr.store import Store, utcnow
    from dsr.tickets import OutboxItem
    from intake.pipeline import Incoming, Services, process
    from responders.outbox import send_pending

    recorder = TimedRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-win-") as tmp:
            config = write_config(Path(tmp), {"outgoing": {
                "kind": "smtp", "host": "127.0.0.1", "port": controller.port,
                "security": "none", "timeout": 30, "per_recipient_daily_limit": 1000}})
            settings = load_settings(config, {})
            store = Store(settings.database.url)
            store.migrate()
            services = Services(settings=settings, store=store, classifier=classifier.load())
            factory = MailFactory(41)
            for n in range(messages):
                mail = factory.request("en")
                process(Incoming(f"window:{n}", mail.raw, utcnow()), services)
            started = time.perf_counter()
            sent = send_pending(store, settings.outgoing, settings.organisation.reply_from,
                                limit=messages)
            elapsed = time.perf_counter() - started
            lease = timedelta(seconds=2 * settings.outgoing.timeout + 60)
            with store.unit_of_work() as session:
                rows = session.execute(select(OutboxItem.message_id, OutboxItem.next_attempt_at,
                                              OutboxItem.sent_at)).all()
            store.dispose()
    finally:
        controller.stop()
    to_server, to_commit, whole = [], [], []
    for message_id, next_attempt_at, sent_at in rows:
        claimed = next_attempt_at - lease
        arrived = recorder.by_message_id[message_id]
        accepted = datetime.fromtimestamp(arrived, UTC).replace(tzinfo=None)
        to_server.append((accepted - claimed).total_seconds() * 1000)
        to_commit.append((sent_at - accepted).total_seconds() * 1000)
        whole.append((sent_at - claimed).total_seconds() * 1000)
    return {"messages": messages, "sent": sent, "send_s": elapsed,
            "claim_to_accept_ms": _stats(to_server), "accept_to_sent_ms": _stats(to_commit),
            "claim_to_sent_ms": _stats(whole), "machine": machine()}


def _stats(values: list[float]) -> dict[str, float]:
    return {"p50": percentile(values, 0.5), "p99": percentile(values, 0.99), "max": max(values)}


def report(r: dict[str, Any]) -> str:
    def row(label: str, s: dict[str, float]) -> str:
        return f"| {label} | {s['p50']:.2f} ms | {s['p99']:.2f} ms | {s['max']:.2f} ms |"

    return "\n".join([
        f"- {r['sent']} acknowledgements sent in {r['send_s']:.1f} s "
        f"({r['sent'] / r['send_s']:.0f}/s) over one SMTP connection to aiosmtpd",
        "", "| interval | p50 | p99 | max |", "|---|---|---|---|",
        row("claim committed -> server accepted (a crash here: parked, not delivered)",
            r["claim_to_accept_ms"]),
        row("server accepted -> `sent` recorded (a crash here: parked, delivered)",
            r["accept_to_sent_ms"]),
        row("whole in-doubt window (claim -> sent; + one SQLite commit)", r["claim_to_sent_ms"]),
    ]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--record", action="store_true", help="write bench/RESULTS.md")
    args = parser.parse_args()
    result = run(args.messages)
    text = report(result)
    print(text)
    print(json.dumps(result, default=str))
    if args.record:
        update_results("Send window", f"Machine: {result['machine']}\n\n{text}")


if __name__ == "__main__":
    main()
