"""`rightsbot` command line: one Settings per invocation, the parts wired here and only here."""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dsr.config import Settings, load_settings
from dsr.errors import ConfigError, TransientError
from dsr.logs import configure_logging

log = logging.getLogger("rightsbot")
EX_TEMPFAIL = 75  # sysexits.h: the MTA keeps the message and tries again later
EX_CONFIG = 78

CONFIG_TEMPLATE = """\
# rightsbot configuration. Every key can also come from the environment as
# RIGHTSBOT_<SECTION>__<KEY> (for example RIGHTSBOT_INBOX__PASSWORD), and secrets
# from a command (password_command, secret_key_command). Relative paths are
# relative to this file.

[organisation]
name = "Example Ltd"
reply_from = "info@example.org"        # acknowledgements come from this address
reply_name = "Example Ltd privacy team"
# own_addresses = ["privacy@example.org"]   # never answer mail from these
regulator_name = "the Information Commissioner's Office (ICO)"
regulator_url = "https://ico.org.uk/make-a-complaint/"

[inbox]
kind = "maildir"                        # "maildir" (embedded default) or "imap"
path = "var/mail"                       # drop .eml files into var/mail/new
poll_interval = 5                       # seconds between passes (IMAP without IDLE too)
# kind = "imap"
# host = "imap.example.org"
# port = 993
# security = "ssl"                      # "ssl", "starttls" or "none"
# user = "info@example.org"
# password_command = "pass show rightsbot/imap"
# folder = "INBOX"
# auth = "xoauth2"                      # Microsoft 365 / Gmail: an OAuth2 access token from
# token_command = "my-token-helper"     # a command (a bare token, or JSON with access_token,
#                                       # expires_in and refresh_token_expires_at)

# Several mailboxes: replace [inbox] with one [[mailboxes]] table each (the keys of
# [inbox], plus a name). Each is read on its own; replies come from its reply_from.
# [[mailboxes]]
# name = "privacy"
# kind = "imap"
# host = "imap.example.org"
# user = "privacy@example.org"
# password_command = "pass show rightsbot/privacy"
# reply_from = "privacy@example.org"
# policy = "all_requests"               # every mail is at least triaged ("classify": model decides)
# deadline_policy = "nl"                # this mailbox's calendar (default: [deadlines] policy)

[outgoing]
kind = "folder"                         # "folder" (embedded default) or "smtp"
path = "var/outbox"                     # one .eml file per outgoing message
# kind = "smtp"
# host = "smtp.example.org"
# port = 587
# security = "starttls"
# user = "info@example.org"
# password_command = "pass show rightsbot/smtp"

[database]
url = "sqlite:///var/rightsbot.sqlite3"  # or postgresql+psycopg://user@host/rightsbot

[web]
host = "127.0.0.1"
port = 8025
secret_key = "{secret}"

[classifier]
request_threshold = 0.9                 # at or above: ticket + acknowledgement
triage_threshold = 0.05                 # at or above (below request): ticket for staff, no reply

[deadlines]
policy = "uk"                           # "uk" (ICO) or "eu"/"nl" (Regulation 1182/71)

[lifecycle]
identity_check = "auto"                 # "auto": ask to confirm the address; "manual": staff decide
verification_days = 14                  # how long a confirmation link/code stays valid
repeat_window_days = 30                 # flag a new request from the same address within this
reminder_days = 7                       # the daily staff digest lists tickets due within this
digest_hour = 8                         # UTC hour of the daily digest to organisation.staff_address
# trusted_authserv_id = "mx.example.org"  # only this server's Authentication-Results count

[health]
stale_after_minutes = 30                # alert staff when a mailbox was not read for this long
token_warning_days = 14                 # ... and this long before an OAuth refresh token expires
repeat_alert_hours = 24                 # the same alert is mailed again at most this often

[retention]
years_after_closure = 6                 # then a closed ticket shrinks to a register entry
delete_attachments_after_verification = true  # identity documents go once identity is confirmed
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "init":
            return cmd_init(args)
        settings = _settings(args)
        configure_logging(settings.log_level)
        try:
            return int(args.handler(args, settings))
        finally:
            while _open_stores:
                _open_stores.pop().dispose()
    except ConfigError as exc:
        print(f"rightsbot: configuration error: {exc}", file=sys.stderr)
        return EX_CONFIG
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rightsbot", description=__doc__)
    parser.add_argument("--config", type=Path, help="config file (default: $RIGHTSBOT_CONFIG "
                        "or ./rightsbot.toml)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="write rightsbot.toml if missing and create/upgrade the database")
    p = sub.add_parser("run", help="poller + sender + web view until Ctrl-C")
    p.set_defaults(handler=cmd_run)
    p = sub.add_parser("poll", help="one pass over the inbox, then deliver the outbox")
    p.add_argument("--once", action="store_true", required=True)
    p.set_defaults(handler=cmd_poll)
    p = sub.add_parser("ingest", help="process .eml files or one message on stdin (MTA pipe)")
    p.add_argument("files", nargs="*", default=["-"])
    p.add_argument("--received", help="receipt time (ISO 8601) for backlog imports")
    p.set_defaults(handler=cmd_ingest)
    p = sub.add_parser("classify", help="labels, scores, evidence; no side effects")
    p.add_argument("files", nargs="*", default=["-"])
    p.add_argument("--jsonl", action="store_true",
                   help='JSON lines {"id","subject","body"} in, one verdict per line out')
    p.add_argument("--workers", type=int, default=None,
                   help="processes for --jsonl (default: one per core, at most 4)")
    p.set_defaults(handler=cmd_classify)
    p = sub.add_parser("tickets", help="list tickets")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_tickets)
    p = sub.add_parser("train", help="rebuild the classifier from classifier/examples")
    p.set_defaults(handler=cmd_train)
    p = sub.add_parser("evaluate", help="score the classifier on the held-out split")
    p.set_defaults(handler=cmd_evaluate)
    from rightsbot import doctor, lifecycle_commands, staff_commands

    staff_commands.register(sub)
    lifecycle_commands.register(sub)
    doctor.register(sub)
    return parser


def _config_path(args: argparse.Namespace) -> tuple[Path, bool]:
    if args.config:
        return args.config, True
    if os.environ.get("RIGHTSBOT_CONFIG"):
        return Path(os.environ["RIGHTSBOT_CONFIG"]), True
    return Path("rightsbot.toml"), False


def _settings(args: argparse.Namespace) -> Settings:
    path, explicit = _config_path(args)
    if not path.exists() and not explicit:
        return load_settings(None, os.environ)
    return load_settings(path, os.environ)


def cmd_init(args: argparse.Namespace) -> int:
    path, _ = _config_path(args)
    if not path.exists():
        path.write_text(CONFIG_TEMPLATE.format(secret=secrets.token_urlsafe(32)), encoding="utf-8")
        os.chmod(path, 0o600)
        print(f"wrote {path}")
    try:
        settings = load_settings(path, os.environ)
    except ConfigError as exc:
        print(f"rightsbot: configuration error: {exc}", file=sys.stderr)
        return EX_CONFIG
    configure_logging(settings.log_level)
    from intake.maildir import MaildirSource

    for inbox in settings.inboxes:
        if inbox.kind == "maildir":
            MaildirSource(inbox.path).ensure()
    if settings.outgoing.kind == "folder":
        settings.outgoing.path.mkdir(parents=True, exist_ok=True)
    _open_stores.remove(store := _store(settings))
    store.dispose()
    print(f"database ready: {_redact(settings.database.url)}")
    return 0


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


_open_stores: list[Any] = []


def _store(settings: Settings):  # type: ignore[no-untyped-def]
    """A migrated Store, disposed when the command ends."""
    from dsr.store import Store

    store = Store(settings.database.url)
    _open_stores.append(store)
    store.migrate()
    return store


def _services(settings: Settings):  # type: ignore[no-untyped-def]
    import classifier
    from intake.pipeline import Services

    model = classifier.load(settings.classifier.model_path or None,
                            settings.classifier.request_threshold,
                            settings.classifier.triage_threshold)
    return Services(settings=settings, store=_store(settings), classifier=model)


def _deliver(services, stop: threading.Event | None = None) -> int:  # type: ignore[no-untyped-def]
    from responders.outbox import send_pending

    return send_pending(services.store, services.settings.outgoing,
                        services.settings.organisation.reply_from, stop=stop)


def _record_smtp_token(services, recorded: datetime | None) -> datetime | None:  # type: ignore[no-untyped-def]
    """Keep the SMTP refresh token's expiry where the health alerts look (when it changes)."""
    from dsr import health
    from dsr.config import OUTGOING
    from dsr.tokens import token_source_for

    out = services.settings.outgoing
    expires = token_source_for(out.token_command).refresh_expires_at
    if expires is None or expires == recorded:
        return recorded
    try:
        with services.store.unit_of_work() as session:
            health.record_token_expiry(session, f"smtp:{out.host}:{out.port}", OUTGOING,
                                       expires)
    except TransientError as exc:
        log.error("SMTP token expiry not recorded: %s", exc)
        return recorded
    return expires


def cmd_poll(args: argparse.Namespace, settings: Settings) -> int:
    from intake.runner import poll_once

    services = _services(settings)
    try:
        result = poll_once(services)
    except TransientError as exc:
        log.error("poll stopped: %s (nothing lost; the next pass retries)", exc)
        try:
            _deliver(services)
        except TransientError as again:
            log.error("outbox not delivered now: %s", again)
        return EX_TEMPFAIL
    sent = _deliver(services)
    log.info("pass done: %s; sent %d", result, sent)
    # Some mailbox could not be read (the others were): worth a retry, like an outage.
    return EX_TEMPFAIL if result.failures else 0


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 for every message stored (garbage too), 75 when one could not be stored."""
    import hashlib

    from intake.pipeline import Incoming, process

    received = _parse_received(args.received)
    try:
        services = _services(settings)
    except TransientError as exc:
        log.error("cannot open the database: %s", exc)
        return EX_TEMPFAIL
    status = 0
    total = len(args.files)
    counts: dict[str, int] = {}
    started = shown = time.monotonic()
    for number, name in enumerate(args.files, 1):
        try:
            raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            log.error("cannot read %s: %s", name, exc)
            status = EX_TEMPFAIL if name == "-" else max(status, 1)
            continue
        key = f"pipe:{hashlib.sha256(raw).hexdigest()}"
        try:
            outcome = process(Incoming(key, raw, received or _now()), services)
            counts[outcome.disposition.value] = counts.get(outcome.disposition.value, 0) + 1
        except TransientError as exc:
            log.error("source=%s not stored: %s", key, exc)
            status = EX_TEMPFAIL
        if total > 1 and (time.monotonic() - shown > 1 or number == total):
            # A backlog import: say how far it got, so a long one is visibly alive.
            shown = time.monotonic()
            rate = number / max(shown - started, 1e-6)
            print(f"ingest: {number}/{total} ({rate:.0f}/s, about "
                  f"{(total - number) / rate:.0f} s left) " +
                  " ".join(f"{k}={v}" for k, v in sorted(counts.items())),
                  file=sys.stderr, flush=True)
    try:
        _deliver(services)
    except TransientError as exc:
        log.warning("outbox not delivered now: %s", exc)
    return status


def _parse_received(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--received {value!r} is not an ISO 8601 date/time") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def cmd_classify(args: argparse.Namespace, settings: Settings) -> int:
    import classifier
    from intake.mime import parse

    model = classifier.load(settings.classifier.model_path or None,
                            settings.classifier.request_threshold,
                            settings.classifier.triage_threshold)
    if args.jsonl:
        from classifier.parallel import default_workers

        workers = args.workers if args.workers is not None else default_workers()
        if workers < 1:
            raise ConfigError("--workers must be at least 1")
        return _classify_jsonl(model, args.files, workers)
    for name in args.files:
        raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        parsed = parse(raw)
        verdict = model.classify(parsed.subject, parsed.text)
        print(json.dumps({"file": name, **verdict.as_json()}, ensure_ascii=False))
    return 0


def _classify_jsonl(model, files: list[str], workers: int) -> int:  # type: ignore[no-untyped-def]
    from classifier.parallel import classify_parallel

    def rows() -> Iterator[dict[str, object]]:
        for name in files:
            handle = sys.stdin if name == "-" else open(name, encoding="utf-8")
            with handle:
                for number, line in enumerate(handle, 1):
                    if not line.strip():
                        continue
                    try:
                        row = json.loads(line)
                        if not isinstance(row, dict):
                            raise ValueError("not an object")
                    except ValueError as exc:
                        log.error("%s:%d: not a JSON object (%s); skipped", name, number, exc)
                        continue
                    yield row

    pending: deque[dict[str, object]] = deque()

    def mails() -> Iterator[tuple[str, str]]:
        for row in rows():
            pending.append(row)
            yield str(row.get("subject") or ""), str(row.get("body") or "")

    out = sys.stdout
    for verdict in classify_parallel(model, mails(), workers):
        row = pending.popleft()
        payload = verdict.as_json()
        payload.pop("model_version", None)
        out.write(json.dumps({"id": row.get("id"), **payload}, ensure_ascii=False) + "\n")
    out.flush()
    return 0


def cmd_tickets(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import select

    from dsr.lifecycle import days_left
    from dsr.tickets import Ticket

    store = _store(settings)
    today = _now().date()
    with store.unit_of_work() as session:
        rows = [{
            "reference": t.ref, "state": t.state, "rights": t.kinds,
            "requester": t.requester_email, "name": t.requester_name, "language": t.language,
            "received": t.received_at.isoformat(timespec="seconds") + "Z",
            "deadline": t.due_on.isoformat(),
            "statutory_deadline": t.statutory_due_on.isoformat() if t.statutory_due_on else None,
            "days_left": days_left(t, today), "extended": bool(t.extension_months),
            "paused": t.paused_since is not None, "identity": t.identity_state,
            "decision": t.decision, "signals": t.signals, "mailbox": t.mailbox,
        } for t in session.execute(select(Ticket).order_by(Ticket.due_on, Ticket.id)).scalars()]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        rights = ",".join(r["rights"]) or "-"
        where = f"  ({r['mailbox']})" if settings.mailboxes and r["mailbox"] else ""
        print(f"{r['reference']}  {r['state']:<18} {r['deadline']}  {rights:<28}"
              f" {r['language']}  {r['requester']}{where}")
    if not rows:
        print("no tickets yet")
    return 0


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    import time

    from classifier.train import print_progress, train

    started = time.monotonic()
    train(progress=print_progress)
    print(f"trained in {time.monotonic() - started:.1f}s")
    return 0


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    import classifier
    from classifier.evaluate import format_report, heldout_report

    model = classifier.load(settings.classifier.model_path or None,
                            settings.classifier.request_threshold,
                            settings.classifier.triage_threshold)
    print(format_report(heldout_report(model)))
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from apscheduler.schedulers.background import BackgroundScheduler
    from waitress.server import create_server

    from intake.runner import poll_mailbox, record_mailbox_failure, watch_imap
    from web import create_app

    services = _services(settings)
    stop = threading.Event()
    scheduler = BackgroundScheduler(timezone="UTC")
    job_defaults = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 60}

    def poll_job(inbox: Any) -> None:
        try:
            result = poll_mailbox(inbox, services, stop)
            if result.counts:
                log.info("mailbox=%s pass: %s", inbox.name, result)
        except TransientError as exc:
            log.error("mailbox=%s pass stopped: %s (retried next pass)", inbox.name, exc)
            record_mailbox_failure(services, inbox, exc)

    def send_job() -> None:
        try:
            _deliver(services, stop)
        except TransientError as exc:
            log.error("outbox pass stopped: %s (retried next pass)", exc)

    # One watcher thread per IMAP mailbox and one job per Maildir: each mailbox on its own,
    # so a refused login on one does not hold up the others.
    watchers: list[threading.Thread] = []
    for inbox in settings.inboxes:
        if inbox.kind == "imap":
            watcher = threading.Thread(target=watch_imap, args=(services, stop, inbox),
                                       name=f"imap-{inbox.name}", daemon=True)
            watcher.start()
            watchers.append(watcher)
        else:
            scheduler.add_job(poll_job, "interval", args=(inbox,), seconds=inbox.poll_interval,
                              id=f"poll-{inbox.name}", next_run_time=datetime.now(UTC),
                              **job_defaults)
    def sender() -> None:
        """Deliver, then sleep until intake queues mail here or send_interval passes (mail
        queued by another worker or by the web view is picked up within the interval)."""
        from responders.outbox import wait_for_queued

        recorded = None
        while not stop.is_set():
            send_job()
            if settings.outgoing.auth == "xoauth2":
                recorded = _record_smtp_token(services, recorded)
            wait_for_queued(settings.outgoing.send_interval)

    sending = threading.Thread(target=sender, name="sender", daemon=True)
    sending.start()

    def only_one_worker(job: str, seconds: int) -> bool:
        """Jobs that must run once, not once per worker (a digest, a purge, an alert):
        the first worker takes the job's lease and holds it for `seconds`."""
        from dsr.store import take_lease, utcnow
        from intake.runner import HOLDER

        return take_lease(services.store, f"job:{job}", HOLDER, seconds, utcnow())

    def digest_job() -> None:
        from dsr.store import utcnow
        from responders.digest import queue_digest

        try:
            if not only_one_worker("digest", 3600):
                return
            with services.store.unit_of_work() as session:
                queue_digest(session, settings, utcnow())
        except TransientError as exc:
            log.error("digest not queued: %s", exc)

    if settings.organisation.staff_address:
        scheduler.add_job(digest_job, "cron", hour=settings.lifecycle.digest_hour, id="digest",
                          **job_defaults)

    def retention_job() -> None:
        from dsr.retention import purge
        from dsr.store import utcnow

        try:
            if not only_one_worker("retention", 3600):
                return
            with services.store.unit_of_work() as session:
                items = purge(session, utcnow(), settings.retention.years_after_closure,
                              settings.retention.delete_attachments_after_verification,
                              dry_run=False)
            if items:
                log.info("retention: %d item(s) purged", len(items))
        except TransientError as exc:
            log.error("retention pass stopped: %s", exc)

    scheduler.add_job(retention_job, "cron", hour=3, id="retention", **job_defaults)

    def health_job() -> None:
        from dsr.store import utcnow
        from responders.alerts import queue_health_alerts

        try:
            if not only_one_worker("health", 50):
                return
            with services.store.unit_of_work() as session:
                queue_health_alerts(session, settings, utcnow())
        except TransientError as exc:
            log.error("health check not done: %s", exc)

    scheduler.add_job(health_job, "interval", seconds=60, id="health", **job_defaults)
    scheduler.start()
    app = create_app(settings)
    server = create_server(app, host=settings.web.host, port=settings.web.port, threads=8)

    def shutdown(signum: int, _frame: object) -> None:
        log.info("signal %d: finishing the message in hand, then stopping", signum)
        stop.set()
        server.close()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    log.info("web view on http://%s:%d/ ; mailboxes %s ; outgoing %s", settings.web.host,
             settings.web.port, ", ".join(f"{i.name} ({i.kind})" for i in settings.inboxes),
             settings.outgoing.kind)
    try:
        server.run()
    except (OSError, ValueError):
        if not stop.is_set():
            raise
    finally:
        stop.set()
        scheduler.shutdown(wait=True)
        for watcher in [*watchers, sending]:
            watcher.join(timeout=30)
        services.store.dispose()
    return 0
