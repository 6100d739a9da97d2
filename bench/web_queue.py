"""Web: the staff queue page with 50,000 tickets in the database.

Seeds tickets (with their rights, opening message and event) by SQL bulk inserts, logs a
staff user in through /login (CSRF token and all) and times GET requests through the Flask
test client: the whole Flask/SQLAlchemy/Jinja2 path, no network.

    python -m bench.web_queue [--tickets 50000] [--requests 200] [--record]
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import machine, percentile, update_results, write_config

VIEWS = {
    "queue (open tickets, page 1)": "/",
    "queue, all states, page 1": "/?state=all",
    "queue, all states, last page": "/?state=all&page=2000",
    "queue, erasure only": "/?right=erasure",
    "queue, needs triage": "/?triage=1",
    "queue, search by name": "/?q=visser&state=all",
}
STATES = (["completed"] * 70 + ["refused"] * 4 + ["withdrawn"] * 3 + ["not_a_request"] * 3
          + ["received"] * 6 + ["in_progress"] * 6 + ["awaiting_identity"] * 4
          + ["needs_triage"] * 3 + ["extended"] * 1)
KINDS = ("access", "erasure", "objection", "rectification", "restriction", "withdrawal")
NAMES = ("Anouk Visser", "Michael Okafor", "Ruth Evans", "Joris Meijer", "Priya Patel",
         "Tess de Boer", "George Hughes", "Noor Bakker")


def seed(store: Any, count: int, rng: random.Random) -> float:
    from sqlalchemy import insert

    from dsr.store import utcnow
    from dsr.tickets import MailMessage, RefCounter, Ticket, TicketEvent, TicketRight

    started = time.perf_counter()
    now = utcnow()
    raw = (b"From: x@example.com\r\nSubject: request\r\n\r\n" + b"Please delete my data. " * 90)
    with store.unit_of_work() as session:
        for first in range(1, count + 1, 5000):
            tickets, rights, messages, events = [], [], [], []
            for n in range(first, min(first + 5000, count + 1)):
                received = now - timedelta(days=rng.randrange(0, 900), minutes=n % 1440)
                year = received.year
                state = rng.choice(STATES)
                name = rng.choice(NAMES)
                email = f"{name.split()[0].lower()}.{n}@example.com"
                due = (received + timedelta(days=30)).date()
                tickets.append({
                    "id": n, "year": year, "number": n, "ref": f"DSR-{year}-{n:06d}",
                    "state": state, "requester_email": email, "requester_name": name,
                    "language": rng.choice(("en", "en", "nl", "de", "fr")),
                    "received_at": received, "due_on": due, "decision": "request",
                    "scores": {}, "evidence": {}, "model_version": "bench",
                    "subject": "Please delete my personal data", "created_at": received,
                    "updated_at": received, "statutory_due_on": due,
                    "clock_started_at": received, "paused_since": None, "paused_days": 0,
                    "extension_months": 0, "extension_reason": "",
                    "complaint_ack_due_on": None, "identity_state": "unverified",
                    "identity_verified_at": None, "identity_note": "", "signals": {},
                    "assignee": "", "closed_at": received + timedelta(days=20)
                    if state in ("completed", "refused", "withdrawn", "not_a_request") else None,
                    "outcome_reason": "", "merged_into_id": None})
                for kind in rng.sample(KINDS, rng.choice((1, 1, 1, 2))):
                    rights.append({"ticket_id": n, "kind": kind})
                messages.append({
                    "direction": "in", "source_key": f"bench:{n}", "message_id": f"<b{n}@x>",
                    "sha256": f"{n:064d}", "raw": raw, "size": len(raw), "received_at": received,
                    "sender": email, "sender_name": name, "subject": "request",
                    "language": "en", "disposition": "opened", "reason": "", "error": "",
                    "summary": {}, "ticket_id": n, "created_at": received})
                events.append({"ticket_id": n, "at": received, "actor": "rightsbot",
                               "kind": "opened", "detail": {}})
            session.execute(insert(Ticket), tickets)
            session.execute(insert(TicketRight), rights)
            session.execute(insert(MailMessage), messages)
            session.execute(insert(TicketEvent), events)
        for year in range(now.year - 3, now.year + 1):
            session.merge(RefCounter(year=year, last=count + 1))
    return time.perf_counter() - started


def login(app: Any, name: str, password: str) -> Any:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data={"name": name, "password": password,
                                           "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def run(count: int, requests: int, seed_value: int) -> dict[str, Any]:
    from dsr.config import load_settings
    from dsr.store import Store, utcnow
    from web import create_app
    from web.accounts import create_user

    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        config = write_config(Path(tmp), {})
        settings = load_settings(config, {})
        store = Store(settings.database.url)
        store.migrate()
        seeding = seed(store, count, random.Random(seed_value))
        with store.unit_of_work() as session:
            create_user(session, "bench", "bench-staff-password", "staff", utcnow())
        store.dispose()
        size = Path(settings.database.url[len("sqlite:///"):]).stat().st_size
        app = create_app(settings)
        client = login(app, "bench", "bench-staff-password")
        results: dict[str, Any] = {}
        for label, url in VIEWS.items():
            timings = []
            for n in range(requests + 5):
                started = time.perf_counter()
                response = client.get(url)
                body = response.get_data()
                elapsed = time.perf_counter() - started
                assert response.status_code == 200, (url, response.status_code)
                assert b"DSR-" in body, url
                if n >= 5:   # the first few warm caches
                    timings.append(elapsed * 1000)
            results[label] = {"p50_ms": percentile(timings, 0.5),
                              "p95_ms": percentile(timings, 0.95), "max_ms": max(timings)}
    return {"tickets": count, "requests": requests, "seeding_s": seeding,
            "database_mb": size / 1e6, "views": results, "machine": machine()}


def report(result: dict[str, Any]) -> str:
    lines = [f"- {result['tickets']} tickets ({result['database_mb']:.0f} MB SQLite, seeded in "
             f"{result['seeding_s']:.1f} s), {result['requests']} requests per view, Flask test "
             f"client, logged in as staff", "", "| view | p50 | p95 | max |", "|---|---|---|---|"]
    for label, t in result["views"].items():
        lines.append(f"| {label} | {t['p50_ms']:.0f} ms | **{t['p95_ms']:.0f} ms** | "
                     f"{t['max_ms']:.0f} ms |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--record", action="store_true", help="write bench/RESULTS.md")
    args = parser.parse_args()
    result = run(args.tickets, args.requests, args.seed)
    text = report(result)
    print(text)
    if args.record:
        update_results("Web queue", f"Machine: {result['machine']}\n\n{text}")


if __name__ == "__main__":
    main()
