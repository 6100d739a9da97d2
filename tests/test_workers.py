"""Several workers on one PostgreSQL database: the outbox shared with FOR UPDATE SKIP LOCKED,
one mailbox poller elected by the lease, and a takeover when the holder dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from conftest import store_for, write_config
from servers.real import SmtpRecorder, free_port
from sqlalchemy import select

from dsr.config import OutgoingSettings, load_settings
from dsr.store import Store, holder_name, utcnow
from dsr.tickets import MailboxState, MailMessage, OutboxItem, Ticket
from responders.outbox import IN_DOUBT, queue, send_pending

PROJECT = Path(__file__).resolve().parents[1]
ROWS = 200


class RcptCounter(SmtpRecorder):
    """Also counts RCPT commands: a conversation started for a row, whether or not it ended."""

    def __init__(self) -> None:
        super().__init__()
        self.rcpts: Counter[str] = Counter()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        with self.lock:
            self.rcpts[address] += 1
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


@pytest.fixture
def counting_smtp() -> Any:
    from aiosmtpd.controller import Controller

    handler = RcptCounter()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def _fill_outbox(store: Store, rows: int) -> None:
    now = utcnow()
    with store.unit_of_work() as session:
        for n in range(rows):
            message = EmailMessage()
            message["From"] = "info@harbourline.example"
            message["To"] = f"requester{n}@example.org"
            message["Subject"] = f"Your request {n}"
            message["Message-ID"] = f"<outbox-{n}@harbourline.example>"
            message.set_content("We received your request.\n")
            queue(session, None, "acknowledgement", message, now)


def test_two_senders_share_the_outbox_and_send_every_row_once(database_url, counting_smtp):
    controller, handler = counting_smtp
    stores = [Store(database_url) for _ in range(2)]  # two engines, as two processes have
    stores[0].migrate()
    _fill_outbox(stores[0], ROWS)
    outgoing = OutgoingSettings(kind="smtp", host="127.0.0.1", port=controller.port,
                                security="none", timeout=5)
    ready = threading.Barrier(2)
    sent = [0, 0]

    def sender(n: int) -> None:
        ready.wait()
        sent[n] = send_pending(stores[n], outgoing, "info@harbourline.example")

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    with stores[0].unit_of_work() as session:
        states = Counter(session.execute(select(OutboxItem.state)).scalars())
        attempts = Counter(session.execute(select(OutboxItem.attempts)).scalars())
    for store in stores:
        store.dispose()

    delivered = Counter(e.rcpt_tos[0] for e in handler.take())
    assert states == {"sent": ROWS}
    assert attempts == {1: ROWS}
    assert len(delivered) == ROWS and set(delivered.values()) == {1}
    assert sum(sent) == ROWS
    if database_url.startswith("postgresql"):
        assert min(sent) > 0, sent  # both did some of the work
        # Row locks: no row's conversation was even started twice.
        assert set(handler.rcpts.values()) == {1}, handler.rcpts.most_common(3)
    # SQLite: one writer. Both senders go down the same list, and the one behind loses every
    # claim, dropping its conversation before the dot: wasted, never sent twice.
    print(f"\nsenders on {database_url.split(':')[0]}: {sent}; conversations abandoned "
          f"to the other sender's claim: {sum(handler.rcpts.values()) - ROWS}")


# -- two `rightsbot run` processes, one database, one mailbox -------------------------------

class Worker:
    """`rightsbot run` in its own process; its log lines are kept and counted as they come."""

    def __init__(self, config: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTSBOT_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rightsbot", "--config", str(config), "run"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=PROJECT, env=env)
        self.holder = holder_name(self.proc.pid)
        self.lines: list[str] = []
        self.dispositions = 0
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            self.lines.append(line)
            if " disposition=" in line:
                self.dispositions += 1

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=60)
        self.reader.join(timeout=10)
        assert self.proc.stderr is not None
        self.proc.stderr.close()
        return code

    def tail(self, n: int = 30) -> str:
        return "\n".join(self.lines[-n:])


def _worker_config(directory: Path, url: str, imap_account: Any, smtp: Any) -> Path:
    directory.mkdir()
    return write_config(directory, {
        "inbox": {"kind": "imap", "host": imap_account.host, "port": imap_account.port,
                  "security": "none", "user": imap_account.user, "password": "secret",
                  "idle": True, "poll_interval": 5, "timeout": 10},
        "outgoing": {"kind": "smtp", "host": smtp.host, "port": smtp.port, "security": "none",
                     "timeout": 2, "send_interval": 1},
        "database": {"url": url},
        "web": {"port": free_port()},
    })


def _wait_for(predicate: Any, timeout: float, what: str, *workers: Worker) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n"
                                 + "\n---\n".join(w.tail() for w in workers))
        time.sleep(0.1)


def _lease(store: Store) -> tuple[str, Any]:
    with store.unit_of_work() as session:
        state = session.execute(select(MailboxState).where(
            MailboxState.name.startswith("imap:"))).scalar_one_or_none()
    return (state.lease_holder, state.lease_until) if state else ("", None)


def _recorded(store: Store) -> int:
    with store.unit_of_work() as session:
        return len(session.execute(select(MailMessage.id)).all())


def _pending(store: Store) -> int:
    with store.unit_of_work() as session:
        return len(session.execute(select(OutboxItem.id).where(
            OutboxItem.state == "pending")).all())


def _deliver_slowly(imap_account: Any, mails: list[Any], per_append: int = 3,
                    pause: float = 0.05) -> threading.Thread:
    """Mail keeps arriving while the workers run: a few messages every `pause` seconds."""
    def run() -> None:
        client = imap_account.client()
        for start in range(0, len(mails), per_append):
            client.multiappend("INBOX", [m.raw for m in mails[start:start + per_append]])
            time.sleep(pause)
        client.logout()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _check_every_message_once(config: Path, mails: list[Any], smtp: Any) -> int:
    """Each message one outcome, each request one ticket and at most one acknowledgement
    (exactly one unless parked in doubt). Returns how many rows were parked in doubt."""
    store = store_for(config)
    settings = load_settings(config, {})
    # A row left "sending" by the killed worker is settled once its lease has run out:
    # parked for staff (in doubt), never sent again by itself.
    later = utcnow() + timedelta(hours=1)
    send_pending(store, settings.outgoing, settings.organisation.reply_from,
                 now=lambda: later)
    with store.unit_of_work() as session:
        rows = session.execute(select(MailMessage.source_key, MailMessage.disposition,
                                      MailMessage.sender)).all()
        tickets = session.execute(select(Ticket.requester_email)).scalars().all()
        outbox = session.execute(select(OutboxItem.recipient, OutboxItem.state,
                                        OutboxItem.last_error)).all()
    requests = {m.sender for m in mails if m.is_request}
    keys = [r.source_key for r in rows]
    assert len(keys) == len(set(keys)) == len(mails)
    assert {int(k.rsplit(":", 1)[1]) for k in keys} == set(range(1, len(mails) + 1))
    assert not [r for r in rows if r.disposition == "failed"]
    # One ticket per request (a doubtful non-request may open one for triage, once).
    per_requester = Counter(tickets)
    assert all(per_requester[s] == 1 for s in requests) and max(per_requester.values()) == 1
    # One acknowledgement queued per answered ticket, to requesters only; each sent once,
    # unless its sender was killed during DATA (parked in doubt, then at most once).
    queued = Counter(o.recipient for o in outbox)
    assert set(queued) <= requests and max(queued.values()) == 1
    assert len(queued) >= 0.9 * len(requests)
    delivered = Counter(address for e in smtp.take() for address in e.rcpt_tos)
    assert set(delivered) <= set(queued) and max(delivered.values()) == 1
    in_doubt = 0
    for row in outbox:
        if row.state == "sent":
            assert delivered[row.recipient] == 1
        else:
            assert row.state == "parked" and row.last_error.startswith(IN_DOUBT), row
            in_doubt += 1
    return in_doubt


def test_one_worker_polls_and_the_other_takes_over_when_it_is_killed(
        postgres, imap_account, smtp, tmp_path):
    from robustness.mailgen import MailFactory

    url = postgres.new_database()
    migrated = Store(url)
    migrated.migrate()  # as `rightsbot init` would, once, before the workers start
    migrated.dispose()
    started = time.monotonic()
    store = store_for(_worker_config(tmp_path / "probe", url, imap_account, smtp))
    mails = MailFactory(7).mixed(120, request_share=0.5)
    first = Worker(_worker_config(tmp_path / "a", url, imap_account, smtp))
    second = None
    try:
        _wait_for(lambda: _lease(store)[0] == first.holder, 30, "the first worker's lease", first)
        second = Worker(_worker_config(tmp_path / "b", url, imap_account, smtp))
        _wait_for(lambda: "web view on" in "\n".join(second.lines), 30, "the second worker",
                  second)
        arriving = _deliver_slowly(imap_account, mails)
        _wait_for(lambda: first.dispositions >= 25, 30, "the first messages", first)
        assert second.dispositions == 0  # one poller: the lease holder
        first.stop(signal.SIGKILL)  # mid-stream: mail still arriving and being processed
        killed = time.monotonic()
        killed_at = _recorded(store)
        arriving.join(timeout=30)
        assert killed_at < len(mails)
        # Same host: the standby sees the holder's pid is gone, at its next look (<= 30 s).
        _wait_for(lambda: _lease(store)[0] == second.holder, 45, "the takeover", second)
        taken_over = time.monotonic()
        _wait_for(lambda: _recorded(store) == len(mails) and _pending(store) == 0, 30,
                  "every message", second)
        assert second.dispositions == len(mails) - killed_at
        assert second.stop() == 0, second.tail()
    finally:
        for worker in (first, second):
            if worker is not None and worker.proc.poll() is None:
                worker.stop(signal.SIGKILL)
    in_doubt = _check_every_message_once(tmp_path / "probe" / "rightsbot.toml", mails, smtp)
    print(f"\nkilled after {killed_at} of {len(mails)} messages; taken over after "
          f"{taken_over - killed:.1f} s; {in_doubt} parked in doubt; "
          f"{time.monotonic() - started:.0f} s")


def test_a_lease_held_on_another_host_is_waited_out_then_taken_by_one_worker(
        postgres, imap_account, smtp, tmp_path):
    """A holder elsewhere cannot be asked whether it still runs: its lease must run out."""
    from robustness.mailgen import MailFactory

    url = postgres.new_database()
    migrated = Store(url)
    migrated.migrate()
    name = f"imap:{imap_account.user}@{imap_account.host}:{imap_account.port}/INBOX"
    with migrated.unit_of_work() as session:  # a worker on another machine, gone silent
        session.add(MailboxState(name=name, uidvalidity=0, last_uid=0,
                                 lease_holder="elsewhere.example:4242",
                                 lease_until=utcnow() + timedelta(seconds=300)))
    store = store_for(_worker_config(tmp_path / "probe", url, imap_account, smtp))
    mails = MailFactory(8).mixed(60, request_share=0.5)
    imap_account.deliver(*[m.raw for m in mails])
    started = time.monotonic()
    workers = [Worker(_worker_config(tmp_path / label, url, imap_account, smtp))
               for label in ("a", "b")]
    try:
        _wait_for(lambda: all("web view on" in "\n".join(w.lines) for w in workers), 30,
                  "the workers", *workers)
        time.sleep(1.0)
        assert _recorded(store) == 0  # both looked, and left the mailbox to its holder
        assert _lease(store)[0] == "elsewhere.example:4242"
        with migrated.unit_of_work() as session:  # its last renewal is running out
            remote = session.get(MailboxState, name)
            assert remote is not None
            remote.lease_until = utcnow() + timedelta(seconds=2)
        # The standbys look again every 30 s: one of them takes the expired lease.
        _wait_for(lambda: _lease(store)[0] in {w.holder for w in workers}, 45,
                  "the takeover", *workers)
        taken = time.monotonic()
        _wait_for(lambda: _recorded(store) == len(mails) and _pending(store) == 0, 30,
                  "every message", *workers)
        holder = _lease(store)[0]
        (poller,) = [w for w in workers if w.holder == holder]
        assert poller.dispositions == len(mails)
        assert sum(w.dispositions for w in workers) == len(mails)  # the other one polled none
        assert [w.stop() for w in workers] == [0, 0], "\n---\n".join(w.tail() for w in workers)
    finally:
        migrated.dispose()
        for worker in workers:
            if worker.proc.poll() is None:
                worker.stop(signal.SIGKILL)
    in_doubt = _check_every_message_once(tmp_path / "probe" / "rightsbot.toml", mails, smtp)
    assert in_doubt == 0  # nobody was killed
    print(f"\nremote lease taken over {taken - started:.0f} s after the workers started; "
          f"{time.monotonic() - started:.0f} s")
