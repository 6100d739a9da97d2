"""SIGTERM (systemd stop, deploy): `rightsbot run` finishes the message in hand and exits 0
within seconds, in the middle of a big batch or while idle; the next start carries on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import store_for, write_config
from servers.real import SmtpRecorder, free_port
from sqlalchemy import select

from dsr.tickets import MailboxState, MailMessage, OutboxItem, Ticket

PROJECT = Path(__file__).resolve().parents[1]
BATCH = 300


class Bot:
    """`rightsbot ARGS` in a process of its own, its log lines kept as they come."""

    def __init__(self, config: Path, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTSBOT_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rightsbot", "--config", str(config), *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=PROJECT, env=env)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.lines.append(raw.decode("utf-8", "replace").rstrip())

    def __enter__(self) -> Bot:
        return self

    def __exit__(self, *exc: object) -> None:
        """A test that failed half-way leaves no bot running."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.finish()

    def count(self, text: str) -> int:
        return sum(1 for line in list(self.lines) if text in line)

    def wait_for(self, text: str, times: int = 1, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.count(text) < times:
            assert self.proc.poll() is None, self.tail()
            assert time.monotonic() < deadline, f"no {text!r} x{times}\n{self.tail()}"
            time.sleep(0.02)

    def terminate(self) -> tuple[int, float]:
        """SIGTERM; (exit status, seconds it took to exit)."""
        sent = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=60)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.reader.join(timeout=10)
            assert self.proc.stderr is not None
            self.proc.stderr.close()
        return code, time.monotonic() - sent

    def finish(self, timeout: float = 300) -> int:
        code = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=10)
        assert self.proc.stderr is not None
        self.proc.stderr.close()
        return code

    def tail(self, n: int = 30) -> str:
        return "\n".join(self.lines[-n:])


def _config(tmp_path: Path, imap_account: Any, smtp: Any, url: str = "", **inbox: Any) -> Path:
    return write_config(tmp_path, {
        "database": {"url": url or f"sqlite:///{tmp_path}/rightsbot.sqlite3"},
        "inbox": {"kind": "imap", "host": imap_account.host, "port": imap_account.port,
                  "security": "none", "user": imap_account.user, "password": "secret",
                  "timeout": 10, **inbox},
        "outgoing": {"kind": "smtp", "host": smtp.host, "port": smtp.port, "security": "none",
                     "timeout": 5, "send_interval": 1},
        "web": {"port": free_port()},
    })


def _state(config: Path) -> tuple[list[Any], int, list[Any]]:
    with store_for(config).unit_of_work() as session:
        rows = session.execute(select(MailMessage.source_key, MailMessage.disposition,
                                      MailMessage.ticket_id, MailMessage.sender)).all()
        last_uid = session.execute(select(MailboxState.last_uid).where(
            MailboxState.name.startswith("imap:"))).scalar_one()
        outbox = session.execute(select(OutboxItem.ticket_id, OutboxItem.state)).all()
    return rows, last_uid, outbox


def test_sigterm_in_a_big_batch_finishes_the_message_in_hand_and_exits_at_once(
        imap_account, smtp, tmp_path, database_url):
    from robustness.mailgen import MailFactory

    mails = MailFactory(11).mixed(BATCH)
    client = imap_account.client()
    client.multiappend("INBOX", [m.raw for m in mails])
    client.logout()
    config = _config(tmp_path, imap_account, smtp, database_url, idle=True, poll_interval=60)

    with Bot(config, "run") as bot:
        bot.wait_for(" disposition=", 30)
        code, took = bot.terminate()
    assert code == 0, bot.tail()
    assert took < 5, f"{took:.1f} s to stop\n{bot.tail()}"
    log = "\n".join(bot.lines)
    assert "finishing the message in hand" in log and "stopping after the message in hand" in log

    rows, last_uid, outbox = _state(config)
    uids = sorted(int(r.source_key.rsplit(":", 1)[1]) for r in rows)
    assert 30 <= len(rows) < BATCH  # it stopped in the batch, not after it
    # Each message recorded whole, with its UID, in order: nothing half-done, no gap.
    assert uids == list(range(1, last_uid + 1))
    assert all(r.disposition for r in rows)
    opened = {r.ticket_id for r in rows if r.disposition == "opened"}
    assert opened <= {o.ticket_id for o in outbox}  # every new ticket's reply is queued
    assert "sending" not in {o.state for o in outbox}  # no reply left in doubt
    stopped_at = len(rows)

    with Bot(config, "poll", "--once") as again:
        assert again.finish() == 0, again.tail()
    rows, last_uid, outbox = _state(config)
    with store_for(config).unit_of_work() as session:
        tickets = session.execute(select(Ticket.requester_email)).scalars().all()
    keys = [r.source_key for r in rows]
    assert len(keys) == len(set(keys)) == BATCH and last_uid == BATCH
    assert again.count(" disposition=") == BATCH - stopped_at  # the rest, and only the rest
    requests = [m.sender for m in mails if m.is_request]
    per_requester = Counter(tickets)
    assert all(per_requester[s] == 1 for s in requests) and max(per_requester.values()) == 1
    delivered = Counter(address for e in smtp.take() for address in e.rcpt_tos)
    assert {o.state for o in outbox} == {"sent"}
    assert len(delivered) == len(outbox) and set(delivered.values()) == {1}
    print(f"\nSIGTERM after {stopped_at} of {BATCH} messages: exited 0 in {took:.2f} s; "
          f"the next pass did the other {BATCH - stopped_at}")


@pytest.mark.parametrize("idle", [True, False], ids=["idle", "polling"])
def test_sigterm_while_waiting_for_mail_exits_promptly(imap_account, smtp, tmp_path, idle):
    config = _config(tmp_path, imap_account, smtp, idle=idle, poll_interval=60)
    with Bot(config, "run") as bot:
        bot.wait_for(f"connected (idle={idle})", timeout=30)
        time.sleep(1.5)  # in IDLE, or asleep until the next poll in a minute
        code, took = bot.terminate()
    assert code == 0, bot.tail()
    assert took < 4, f"{took:.1f} s to stop\n{bot.tail()}"


class StopAfter(SmtpRecorder):
    """Sets `stop` (as SIGTERM would) while the server takes the n-th message."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n
        self.stop = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if len(self.envelopes) == self.n:
            self.stop.set()
        return reply


def test_a_send_pass_stops_after_the_reply_in_hand(database_url):
    from aiosmtpd.controller import Controller
    from test_workers import _fill_outbox

    from dsr.config import OutgoingSettings
    from dsr.store import Store
    from responders.outbox import send_pending

    handler = StopAfter(5)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    store = Store(database_url)
    try:
        store.migrate()
        _fill_outbox(store, 50)
        outgoing = OutgoingSettings(kind="smtp", host="127.0.0.1", port=controller.port,
                                    security="none", timeout=5)
        sent = send_pending(store, outgoing, "info@harbourline.example", stop=handler.stop)
        with store.unit_of_work() as session:
            states = Counter(session.execute(select(OutboxItem.state)).scalars())
    finally:
        store.dispose()
        controller.stop()
    assert sent == len(handler.take()) == 5  # the fifth finished and recorded, no sixth begun
    assert states == {"sent": 5, "pending": 45}
