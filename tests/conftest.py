"""Fixtures: a real Dovecot and a real SMTP server on loopback, config files, the CLI."""

from __future__ import annotations

import itertools
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from servers.real import Dovecot, SmtpRecorder, free_port, start_dovecot

MESSAGES = Path(__file__).parent / "messages"
_user_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    server = start_dovecot()
    yield server
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def imap_account(dovecot: Dovecot) -> Iterator[SimpleNamespace]:
    """A fresh Dovecot user (an empty INBOX) and helpers to deliver and inspect mail."""
    yield _account(dovecot)


@pytest.fixture
def second_imap_account(dovecot: Dovecot) -> Iterator[SimpleNamespace]:
    """Another fresh Dovecot user, for tests with several mailboxes."""
    yield _account(dovecot)


def _account(dovecot: Dovecot) -> SimpleNamespace:
    from imapclient import IMAPClient

    user = f"info{next(_user_numbers)}@example.org"  # created at server start (servers/real.py)

    def client() -> IMAPClient:
        c = IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10)
        c.login(user, "secret")
        return c

    def deliver(*items: str | bytes) -> None:
        c = client()
        for item in items:
            raw = item if isinstance(item, bytes) else (MESSAGES / item).read_bytes()
            c.append("INBOX", raw)
        c.logout()

    def flags() -> dict[int, tuple[bytes, ...]]:
        c = client()
        c.select_folder("INBOX", readonly=True)
        data = c.fetch(c.search(["ALL"]), ["FLAGS"])
        c.logout()
        return {uid: tuple(v[b"FLAGS"]) for uid, v in data.items()}

    return SimpleNamespace(user=user, password="secret",  # noqa: S106 - a test account
                           host=dovecot.host, port=dovecot.port,
                           client=client, deliver=deliver, flags=flags, dovecot=dovecot)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    from servers.postgres import start_postgres

    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on SQLite and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/rightsbot.sqlite3"
    return str(request.getfixturevalue("postgres").new_database())


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SimpleNamespace]:
    from aiosmtpd.controller import Controller

    handler = SmtpRecorder()
    # Explicit host and a real free port: the default host is ::1 and port=0 does not work.
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield SimpleNamespace(host="127.0.0.1", port=controller.port, take=handler.take,
                          fail_next=handler.fail_next, handler=handler)
    controller.stop()


@pytest.fixture
def smtp(smtp_server: SimpleNamespace) -> SimpleNamespace:
    """The session SMTP server, emptied for this test."""
    smtp_server.take()
    smtp_server.handler.failures.clear()
    return smtp_server


def write_config(directory: Path, sections: dict[str, Any]) -> Path:
    """A rightsbot.toml with the embedded defaults plus `sections` (tests' own settings);
    sections["mailboxes"], a list of dicts, becomes [[mailboxes]] in place of [inbox]."""
    base: dict[str, dict[str, Any]] = {
        "organisation": {"name": "Harbourline Customs", "reply_from": "info@harbourline.example",
                         "reply_name": "Harbourline privacy team"},
        "inbox": {"kind": "maildir", "path": "mail", "poll_interval": 1},
        "outgoing": {"kind": "folder", "path": "outbox"},
        "database": {"url": "sqlite:///rightsbot.sqlite3"},
        "web": {"secret_key": "test-secret-key-not-for-production"},
    }
    mailboxes = sections.pop("mailboxes", None)  # a list of tables: [[mailboxes]]
    if mailboxes is not None:
        del base["inbox"]
    for name, values in sections.items():
        base.setdefault(name, {}).update(values)
    lines = []
    for name, values in base.items():
        lines.append(f"[{name}]")
        for key, value in values.items():
            lines.append(f"{key} = {_toml(value)}")
        lines.append("")
    for values in mailboxes or ():
        lines.append("[[mailboxes]]")
        lines.extend(f"{key} = {_toml(value)}" for key, value in values.items())
        lines.append("")
    path = directory / "rightsbot.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture
def imap_config(tmp_path: Path, imap_account: SimpleNamespace, smtp: SimpleNamespace) -> Path:
    return write_config(tmp_path, {
        "inbox": {"kind": "imap", "host": imap_account.host, "port": imap_account.port,
                  "security": "none", "user": imap_account.user, "password": "secret",
                  "timeout": 10},
        "outgoing": {"kind": "smtp", "host": smtp.host, "port": smtp.port, "security": "none",
                     "timeout": 10},
    })


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run `rightsbot ARGS` in this process (the real entry point); returns the exit status."""
    from rightsbot.cli import main

    for name in list(os.environ):
        if name.startswith("RIGHTSBOT_"):
            monkeypatch.delenv(name)

    def run(config: Path, *args: str) -> int:
        return main(["--config", str(config), *args])

    return run


_stores: dict[str, Any] = {}


def store_for(config: Path) -> Any:
    """The store a config points at (environment overrides included), one per URL."""
    from dsr.config import load_settings
    from dsr.store import Store

    url = load_settings(config, os.environ).database.url
    if url not in _stores:
        _stores[url] = Store(url)
    return _stores[url]


@pytest.fixture(autouse=True, scope="session")
def _dispose_stores() -> Iterator[None]:
    yield
    for store in _stores.values():
        store.dispose()


@pytest.fixture
def migrated_store(database_url: str) -> Iterator[Any]:
    """A migrated Store on SQLite and on PostgreSQL (the database_url params)."""
    from dsr.store import Store

    store = Store(database_url)
    store.migrate()
    yield store
    store.dispose()
