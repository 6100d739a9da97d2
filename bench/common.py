"""Shared by the benchmarks: private Dovecot and SMTP servers, seeding, the machine, RESULTS.md."""

from __future__ import annotations

import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The project first (tests/ has folders named like our packages), then the test helpers.
sys.path[:0] = [str(ROOT)]
sys.path.append(str(ROOT / "tests"))

from robustness.mailgen import Mail, MailFactory  # noqa: E402
from servers.real import Dovecot, SmtpRecorder, free_port, start_dovecot  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
__all__ = ["Mail", "MailFactory", "SmtpRecorder", "free_port"]


@contextmanager
def dovecot() -> Iterator[Dovecot]:
    server = start_dovecot()
    try:
        yield server
    finally:
        server.stop()


def imap_client(server: Dovecot, user: str) -> Any:
    from imapclient import IMAPClient

    client = IMAPClient(server.host, port=server.port, ssl=False, timeout=60)
    client.login(user, "secret")
    return client


def seed(server: Dovecot, user: str, mails: Iterable[bytes], chunk: int = 500) -> float:
    """APPEND everything with MULTIAPPEND in chunks; returns the seconds it took."""
    client = imap_client(server, user)
    started = time.perf_counter()
    batch: list[bytes] = []
    for raw in mails:
        batch.append(raw)
        if len(batch) == chunk:
            client.multiappend("INBOX", batch)
            batch = []
    if batch:
        client.multiappend("INBOX", batch)
    elapsed = time.perf_counter() - started
    client.logout()
    return elapsed


@contextmanager
def smtp_server() -> Iterator[Any]:
    from aiosmtpd.controller import Controller

    handler = SmtpRecorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def write_config(directory: Path, sections: dict[str, dict[str, Any]]) -> Path:
    """The same rightsbot.toml the tests write (tests/conftest.py)."""
    from conftest import write_config as write

    return Path(write(directory, sections))


def imap_section(server: Dovecot, user: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "imap", "host": server.host, "port": server.port, "security": "none",
            "user": user, "password": "secret", "timeout": 60, **extra}


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    try:
        dovecot_version = subprocess.run(["dovecot", "--version"], capture_output=True,
                                         text=True).stdout.split()[0]
    except (OSError, IndexError):
        dovecot_version = "?"
    cpus = len(os.sched_getaffinity(0))
    return (f"{cpu}, {cpus} CPU(s){memory}; Linux {platform.release()}; Python "
            f"{platform.python_version()}; SQLite {sqlite3.sqlite_version}; Dovecot "
            f"{dovecot_version}")


def model_version() -> str:
    try:
        meta = json.loads((ROOT / "classifier" / "model" / "meta.json").read_text())
        return str(meta.get("version", "?"))
    except (OSError, ValueError):
        return "?"


def _hwm_mib(pid: int | str) -> float:
    """VmHWM, the peak resident set of one process (ru_maxrss would include the memory of
    the parent that forked it: Linux carries the high-water mark across exec)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


class PeakMemory:
    """Peak RSS of this process, and of its child processes (sampled every 0.2 s)."""

    def __init__(self) -> None:
        import threading

        self.children = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.2):
            for pid in self._descendants(os.getpid()):
                self.children = max(self.children, _hwm_mib(pid))

    @staticmethod
    def _descendants(pid: int) -> list[int]:
        found, todo = [], [pid]
        while todo:
            current = todo.pop()
            for task in Path(f"/proc/{current}/task").glob("*"):
                try:
                    kids = [int(k) for k in (task / "children").read_text().split()]
                except OSError:
                    continue
                found.extend(kids)
                todo.extend(kids)
        return found

    def stop(self) -> tuple[float, float]:
        """(this process, largest child) in MiB."""
        self._stop.set()
        self._thread.join()
        return _hwm_mib("self"), self.children


def update_results(section: str, body: str) -> None:
    """Replace (or add) `## section` in RESULTS.md, keeping every other section as it is."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    block = f"## {section}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(section)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: block + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]
