"""`rightsbot run`: scheduler + IDLE watcher + web view in one process, stopped by SIGTERM."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import MESSAGES, store_for, write_config
from servers.real import free_port
from sqlalchemy import select

from dsr.tickets import MailMessage, Ticket


def _start(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "rightsbot", "--config", str(config), "run"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _wait_for(predicate, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def _stop(proc: subprocess.Popen[bytes]) -> str:
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=60)
    return output.decode()


def test_run_processes_a_dropped_eml_and_stops_on_sigterm(tmp_path):
    port = free_port()
    config = write_config(tmp_path, {"web": {"port": port}, "outgoing": {"send_interval": 1}})
    proc = _start(config)
    try:
        assert _wait_for(lambda: _healthy(port)), "web view did not come up"
        shutil.copy(MESSAGES / "access_request_en.eml", tmp_path / "mail" / "new" / "r.eml")
        assert _wait_for(lambda: len(list((tmp_path / "outbox").glob("*.eml"))) == 1)
    finally:
        output = _stop(proc)
    assert proc.returncode == 0, output
    assert "disposition=opened" in output
    assert "m.okafor" not in output  # logs carry identifiers, never addresses or bodies


def test_run_with_imap_idle_answers_within_seconds(imap_account, tmp_path, smtp):
    port = free_port()
    config = write_config(tmp_path, {
        "web": {"port": port},
        "inbox": {"kind": "imap", "host": imap_account.host, "port": imap_account.port,
                  "security": "none", "user": imap_account.user, "password": "secret",
                  "idle": True, "poll_interval": 300},
        "outgoing": {"kind": "smtp", "host": smtp.host, "port": smtp.port, "security": "none",
                     "send_interval": 1},
    })
    proc = _start(config)
    try:
        assert _wait_for(lambda: _healthy(port))
        time.sleep(1.0)  # let the watcher reach IDLE; poll_interval is 300 s, so only IDLE helps
        imap_account.deliver("erasure_request_nl.eml")
        assert _wait_for(lambda: len(smtp.handler.envelopes) == 1, timeout=20)
    finally:
        output = _stop(proc)
    assert proc.returncode == 0, output
    assert "idle=True" in output


def test_uidvalidity_change_rescans_without_answering_twice(imap_account, imap_config, smtp, cli):
    imap_account.deliver("access_request_en.eml", "erasure_request_nl.eml")
    assert cli(imap_config, "poll", "--once") == 0
    assert len(smtp.take()) == 2
    status = imap_account.dovecot.doveadm("mailbox", "status", "-u", imap_account.user,
                                          "uidvalidity", "INBOX")
    old = int(status.split("=")[1])
    imap_account.dovecot.doveadm("mailbox", "update", "--uid-validity", str(old + 7), "-u",
                                 imap_account.user, "INBOX")
    assert cli(imap_config, "poll", "--once") == 0
    assert smtp.take() == []
    with store_for(imap_config).unit_of_work() as session:
        tickets = session.execute(select(Ticket)).scalars().all()
        dispositions = session.execute(select(MailMessage.disposition)).scalars().all()
    assert len(tickets) == 2
    assert sorted(dispositions) == ["duplicate", "duplicate", "opened", "opened"]


def test_wrong_imap_password_is_a_clear_error_not_a_crash(imap_account, tmp_path, cli, caplog):
    config = write_config(tmp_path, {"inbox": {
        "kind": "imap", "host": imap_account.host, "port": imap_account.port,
        "security": "none", "user": imap_account.user, "password": "wrong"}})
    assert cli(config, "poll", "--once") == 75
    assert "login refused" in caplog.text
