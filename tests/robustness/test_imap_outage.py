"""Issue 6: the IMAP side failing under the IDLE watcher (`rightsbot run`'s loop): server
restarted mid-IDLE and mid-fetch, UIDVALIDITY changed, folder missing or renamed, wrong
password. Reconnects with backoff and a clear log line, no busy loop, nothing reprocessed.

These tests run their own Dovecot, so restarting it never disturbs the session's server.
"""

from __future__ import annotations

import itertools
import logging
import re
import shutil
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from servers.real import Dovecot, start_dovecot
from sqlalchemy import func, select

from dsr.tickets import MailMessage, OutboxItem, Ticket
from intake.runner import watch_imap

from .mailgen import MailFactory

_users = itertools.count(1)
RETRY = re.compile(r"retrying in (\d+)s")


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        found.extend(int(c) for c in children)
        todo.extend(int(c) for c in children)
    return found


def _kill(pids: list[int]) -> None:
    import os

    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class OwnDovecot:
    """A private Dovecot that can go down as a crash or reboot does: sessions cut off."""

    def __init__(self) -> None:
        self.server: Dovecot = start_dovecot()
        self.processes: list[int] = []

    def go_down(self) -> None:
        self.processes = _descendants(self.server.proc.pid)
        self.server.stop()
        _kill(self.processes)  # the imap processes outlive the master's SIGTERM otherwise

    def come_up(self) -> None:
        self.server.start()

    def ensure_up(self) -> None:
        if self.server.proc.poll() is not None:
            _kill(self.processes)
            self.come_up()

    def close(self) -> None:
        self.processes = _descendants(self.server.proc.pid)
        if self.server.proc.poll() is None:
            self.server.stop()
        _kill(self.processes)
        shutil.rmtree(self.server.root, ignore_errors=True)


@pytest.fixture(scope="module")
def own_dovecot() -> Iterator[OwnDovecot]:
    server = OwnDovecot()
    yield server
    server.close()


@pytest.fixture
def account(own_dovecot: OwnDovecot) -> SimpleNamespace:
    from imapclient import IMAPClient

    user = f"info{next(_users)}@example.org"
    own_dovecot.ensure_up()  # an earlier failure may have left it down
    server = own_dovecot.server

    def client() -> IMAPClient:
        c = IMAPClient(server.host, port=server.port, ssl=False, timeout=10)
        c.login(user, "secret")
        return c

    def deliver(*raws: bytes, folder: str = "INBOX") -> None:
        c = client()
        c.multiappend(folder, list(raws))
        c.logout()

    return SimpleNamespace(user=user, client=client, deliver=deliver, server=own_dovecot)


def _inbox(account: SimpleNamespace, **extra: Any) -> dict[str, dict[str, Any]]:
    server = account.server.server
    return {"inbox": {"kind": "imap", "host": server.host, "port": server.port,
                      "security": "none", "user": account.user, "password": "secret",
                      "idle": True, "poll_interval": 30, "timeout": 5, **extra}}


class Watcher:
    """watch_imap in a thread, as `rightsbot run` starts it; stopped by its Event."""

    def __init__(self, services: Any) -> None:
        self.services = services
        self.stop = threading.Event()
        self.thread = threading.Thread(target=watch_imap, args=(services, self.stop),
                                       daemon=True)

    def __enter__(self) -> Watcher:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=15)
        assert not self.thread.is_alive(), "the watcher did not stop within 15 s"

    def recorded(self) -> int:
        with self.services.store.unit_of_work() as session:
            return int(session.execute(select(func.count(MailMessage.id))).scalar_one())

    def wait_recorded(self, count: int, timeout: float = 30.0) -> None:
        _wait(lambda: self.recorded() >= count, timeout, f"{count} messages recorded")


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what}"
        time.sleep(0.05)


def _retries(caplog: pytest.LogCaptureFixture) -> list[tuple[float, int, str]]:
    """(time, announced wait, message) of each reconnect the watcher logged."""
    out = []
    for record in caplog.records:
        match = RETRY.search(record.getMessage())
        if record.name == "intake.runner" and match:
            out.append((record.created, int(match.group(1)), record.getMessage()))
    return out


def _rows(services: Any) -> list[Any]:
    with services.store.unit_of_work() as session:
        return session.execute(select(MailMessage.source_key, MailMessage.disposition,
                                      MailMessage.sender)).all()


def test_restart_mid_idle_reconnects_with_backoff_and_processes_each_mail_once(
        account, make_services, caplog):
    caplog.set_level(logging.INFO)
    factory = MailFactory(61)
    first, second = factory.request("en"), factory.request("nl")
    services = make_services(_inbox(account))
    with Watcher(services) as watcher:
        account.deliver(first.raw)
        watcher.wait_recorded(1)
        time.sleep(1.0)                 # back in IDLE
        account.server.go_down()
        _wait(lambda: len(_retries(caplog)) >= 3, 20, "three reconnect attempts")
        down_for = time.monotonic()
        account.server.come_up()
        account.deliver(second.raw)
        watcher.wait_recorded(2, timeout=30)
        back_after = time.monotonic() - down_for
    retries = _retries(caplog)
    waits = [w for _, w, _ in retries]
    assert waits[:3] == [1, 2, 4]                       # doubling, not a busy loop
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(retries)]
    assert all(gap >= wait * 0.9 for gap, (_, wait, _) in zip(gaps, retries, strict=False))
    assert "IDLE failed" in retries[0][2] or "unavailable" in retries[0][2]
    assert back_after < 20
    rows = _rows(services)
    assert sorted(r.disposition for r in rows) == ["opened", "opened"]
    assert len({r.source_key for r in rows}) == 2      # nothing fetched twice into the table
    with services.store.unit_of_work() as session:
        assert session.execute(select(func.count(OutboxItem.id))).scalar_one() == 2


def test_restart_mid_fetch_loses_and_repeats_nothing(account, make_services, caplog):
    caplog.set_level(logging.INFO)
    factory = MailFactory(62)
    mails = [factory.padded(factory.quote(padding_words=12_000), 0) for _ in range(120)]
    mails += factory.mixed(60)
    for start in range(0, len(mails), 60):
        account.deliver(*(m.raw for m in mails[start:start + 60]))
    services = make_services(_inbox(account, batch_size=60))
    with Watcher(services) as watcher:
        _wait(lambda: any("connected" in r.getMessage() for r in caplog.records), 20,
              "the watcher to connect")
        time.sleep(0.05)
        account.server.go_down()
        at_restart = watcher.recorded()
        time.sleep(1.5)
        account.server.come_up()
        watcher.wait_recorded(len(mails), timeout=90)
    rows = _rows(services)
    assert len(rows) == len({r.source_key for r in rows}) == len(mails)
    assert "duplicate" not in {r.disposition for r in rows}
    assert at_restart < len(mails), "the restart came after the pass; nothing was interrupted"
    print(f"\nrestart after {at_restart} of {len(mails)} messages were recorded")
    assert _retries(caplog), "the outage was not noticed"


def test_uidvalidity_change_while_watching_rescans_without_answering_twice(
        account, make_services, smtp, caplog):
    caplog.set_level(logging.INFO)
    factory = MailFactory(63)
    requests = [factory.request("en"), factory.request("nl")]
    services = make_services({**_inbox(account), "outgoing": {
        "kind": "smtp", "host": smtp.host, "port": smtp.port, "security": "none"}})
    account.deliver(*(m.raw for m in requests))
    with Watcher(services) as watcher:
        watcher.wait_recorded(2)
        time.sleep(1.0)
        server = account.server.server
        old = int(server.doveadm("mailbox", "status", "-u", account.user, "uidvalidity",
                                 "INBOX").split("=")[1])
        server.doveadm("mailbox", "update", "--uid-validity", str(old + 11), "-u",
                       account.user, "INBOX")
        third = factory.request("en")
        account.deliver(third.raw)
        watcher.wait_recorded(5, timeout=30)   # 2 + the rescan's 2 duplicates + the new one
    rows = _rows(services)
    assert Counter(r.disposition for r in rows) == {"opened": 3, "duplicate": 2}
    assert any("UIDVALIDITY changed" in r.getMessage() for r in caplog.records)
    with services.store.unit_of_work() as session:
        assert session.execute(select(func.count(Ticket.id))).scalar_one() == 3
        assert session.execute(select(func.count(OutboxItem.id))).scalar_one() == 3


def test_missing_folder_is_named_retried_with_backoff_and_picked_up_once_created(
        account, make_services, caplog):
    caplog.set_level(logging.INFO)
    services = make_services(_inbox(account, folder="Requests"))
    with Watcher(services) as watcher:
        _wait(lambda: len(_retries(caplog)) >= 3, 15, "three attempts")
        retries = _retries(caplog)
        assert "folder 'Requests' cannot be opened" in retries[0][2]
        assert [w for _, w, _ in retries[:3]] == [1, 2, 4]
        client = account.client()
        client.create_folder("Requests")
        client.logout()
        account.deliver(MailFactory(64).request("en").raw, folder="Requests")
        watcher.wait_recorded(1, timeout=20)
        # Renamed under the watcher: the server ends the session; the log says so.
        client = account.client()
        client.rename_folder("Requests", "Requests-2026")
        client.logout()
        _wait(lambda: any("ended the session" in m for _, _, m in _retries(caplog)), 15,
              "the rename to be noticed")
        _wait(lambda: any("cannot be opened" in m for _, _, m in _retries(caplog)[3:]), 15,
              "the missing folder to be logged again")
    assert watcher.recorded() == 1


def test_wrong_password_backs_off_instead_of_hammering(account, make_services, caplog):
    """Last in this module: Dovecot slows down a client after failed logins (auth penalty)."""
    caplog.set_level(logging.INFO)
    wrong = "not-the-password"
    services = make_services(_inbox(account, password=wrong, timeout=20))
    with Watcher(services):
        time.sleep(8)
    attempts = _retries(caplog)
    # 1 + 2 + 4 s of waiting fit in 8 s: at most four attempts (Dovecot's growing delay for
    # failed logins may make it fewer), never a loop.
    assert 2 <= len(attempts) <= 4, [m for _, _, m in attempts]
    assert [w for _, w, _ in attempts] == [1, 2, 4, 8][:len(attempts)]
    assert all(f"login refused for {account.user}" in m for _, _, m in attempts)
    assert wrong not in caplog.text
