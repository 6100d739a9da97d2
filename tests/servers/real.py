"""Start a throwaway Dovecot and an aiosmtpd server on 127.0.0.1 (no system services)."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONF_TEMPLATE = Path(__file__).with_name("dovecot.conf.in")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_banner(port: int, proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(64).startswith((b"* OK", b"220")):
                    return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing answered on port {port}")


@dataclass
class Dovecot:
    root: str
    port: int
    conf: str
    proc: subprocess.Popen[bytes]
    host: str = "127.0.0.1"
    users: dict[str, str] = field(default_factory=dict)

    def add_users(self, users: dict[str, str]) -> None:
        """Write the passwd-file. Dovecot notices changes by mtime in whole seconds, so all
        test users are created before the server starts rather than one per test."""
        self.users.update(users)
        with open(os.path.join(self.root, "users"), "w") as handle:
            for name, secret in self.users.items():
                handle.write(f"{name}:{{PLAIN}}{secret}::::::\n")

    def doveadm(self, *args: str) -> str:
        done = subprocess.run(["doveadm", "-c", self.conf, *args], check=True,
                              capture_output=True, text=True)
        return done.stdout

    def start(self) -> None:
        self.proc = subprocess.Popen([_exe(), "-F", "-c", self.conf])
        wait_for_banner(self.port, self.proc)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=15)

    def log(self) -> str:
        try:
            return Path(self.root, "dovecot.log").read_text()
        except OSError:
            return ""


def _exe() -> str:
    exe = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not os.path.exists(exe):
        raise RuntimeError("Dovecot is missing: apt-get install dovecot-imapd dovecot-core "
                           "(make test does this when run as root)")
    return exe


def make_root() -> str:
    """A short, world-traversable directory in /tmp with run/, state/ and home/."""
    root = tempfile.mkdtemp(prefix="dc-")
    # Search only, for others: as root, Dovecot's unprivileged users (dovecot, dovenull,
    # nobody) reach the sockets, users file and homes below it by path; none needs to list it.
    os.chmod(root, 0o701)
    for sub in ("run", "state", "home"):
        os.mkdir(os.path.join(root, sub))
    return root


def run_as(root: str) -> tuple[int, int, str, str]:
    """(mail uid, mail gid, extra settings, imap-login chroot line) for root or a normal user."""
    if os.geteuid() == 0:
        # Dovecot never touches mail as root: mailboxes belong to nobody:nogroup.
        uid, gid = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
        os.chown(os.path.join(root, "home"), uid, gid)
        return uid, gid, "", ""
    uid, gid = os.getuid(), os.getgid()
    me, mygroup = pwd.getpwuid(uid).pw_name, grp.getgrgid(gid).gr_name
    nonroot = (f"default_login_user = {me}\ndefault_internal_user = {me}\n"
               f"default_internal_group = {mygroup}\nfirst_valid_uid = {min(uid, 500)}\n"
               "service anvil {\n  chroot =\n}")
    return uid, gid, nonroot, "chroot ="


def start_dovecot() -> Dovecot:
    # Short path in /tmp: unix sockets live under base_dir (~100 byte limit), and pytest's
    # tmp_path parents are 0700, which Dovecot's unprivileged processes cannot traverse.
    root = make_root()
    uid, gid, nonroot, login_chroot = run_as(root)
    port = free_port()
    conf = os.path.join(root, "dovecot.conf")
    Path(conf).write_text(CONF_TEMPLATE.read_text().format(
        root=root, port=port, uid=uid, gid=gid, nonroot=nonroot, login_chroot=login_chroot))
    server = Dovecot(root=root, port=port, conf=conf, proc=None)  # type: ignore[arg-type]
    server.add_users({f"info{n}@example.org": "secret" for n in range(1, 401)})
    server.start()
    return server


class SmtpRecorder:
    """aiosmtpd handler: keeps every envelope; can refuse the next N messages with a code."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.failures: list[tuple[str, int]] = []
        self.lock = threading.Lock()

    def fail_next(self, stage: str, code: int, times: int = 1) -> None:
        with self.lock:
            self.failures.extend([(stage, code)] * times)

    def _failure(self, stage: str) -> str | None:
        with self.lock:
            if self.failures and self.failures[0][0] == stage:
                _, code = self.failures.pop(0)
                return f"{code} {'try again later' if code < 500 else 'rejected'}"
        return None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        failure = self._failure("rcpt")
        if failure:
            return failure
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        failure = self._failure("data")
        if failure:
            return failure
        with self.lock:
            self.envelopes.append(envelope)
        return "250 OK"

    def take(self) -> list[Any]:
        with self.lock:
            taken, self.envelopes = self.envelopes, []
        return taken
