"""Fixtures for TLS and XOAUTH2: a test CA, Dovecot with IMAPS/STARTTLS/oauth2, an RFC 7662
introspection endpoint, aiosmtpd with STARTTLS and with implicit TLS, token commands.

What cannot be tested here: the real Microsoft 365 and Gmail endpoints, their refresh-token
exchange (token_command delegates it to a provider CLI or script) and provider quirks
(Microsoft's "AUTHENTICATE XOAUTH2" without SASL-IR on some tenants, Gmail's throttling).
The servers here implement the same SASL XOAUTH2 exchange and refusal (a 334/"+" challenge
with a JSON error, then NO/535), which is what rightsbot's side depends on.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parents[2]
# tests/ (on sys.path first, for `servers` and `conftest`) has folders named like our
# packages; the project must be importable too.
if str(PROJECT) not in sys.path:
    sys.path.append(str(PROJECT))

from servers.real import free_port  # noqa: E402
from servers.tls import (  # noqa: E402
    CertFiles,
    Introspection,
    TlsDovecot,
    XOAuth2Recorder,
    make_certs,
    server_context,
    start_tls_dovecot,
)

MESSAGES = Path(__file__).resolve().parents[1] / "messages"
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> CertFiles:
    return make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="session")
def introspection() -> Iterator[Introspection]:
    server = Introspection()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tls_dovecot(certs: CertFiles, introspection: Introspection) -> Iterator[TlsDovecot]:
    server = start_tls_dovecot(certs, introspection,
                               [f"tls{n}@example.org" for n in range(1, 61)])
    yield server
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def tls_account(tls_dovecot: TlsDovecot) -> SimpleNamespace:
    """A fresh user on the TLS Dovecot (password "secret"); deliver() saves with doveadm."""
    user = f"tls{next(_numbers)}@example.org"

    def deliver(*names: str) -> None:
        for name in names:
            tls_dovecot.save(user, (MESSAGES / name).read_bytes())

    return SimpleNamespace(user=user, password="secret",  # noqa: S106 - a test account
                           deliver=deliver, server=tls_dovecot)

TOKEN_SCRIPT = textwrap.dedent("""\
    import json, pathlib, sys
    state = pathlib.Path(sys.argv[1])
    data = json.loads(state.read_text())
    n = data["calls"]
    data["calls"] = n + 1
    state.write_text(json.dumps(data))
    out = data["outputs"][min(n, len(data["outputs"]) - 1)]
    if out.get("fail"):
        sys.stderr.write("provider said: invalid_grant\\n")
        sys.exit(3)
    print(out["print"])
""")


@pytest.fixture
def token_command(tmp_path: Path) -> Callable[..., SimpleNamespace]:
    """A token_command that prints the given outputs in turn (the last one repeats) and counts
    its runs: token_command(json_or_text, ...) -> .command, .calls()."""
    script = tmp_path / "token.py"
    script.write_text(TOKEN_SCRIPT)

    def make(*outputs: str | dict[str, Any] | None) -> SimpleNamespace:
        state = tmp_path / f"token-state-{next(_numbers)}.json"
        items = [{"fail": True} if o is None else
                 {"print": json.dumps(o) if isinstance(o, dict) else o} for o in outputs]
        state.write_text(json.dumps({"calls": 0, "outputs": items}))
        return SimpleNamespace(
            command=f"{sys.executable} {script} {state}",
            calls=lambda: json.loads(state.read_text())["calls"])

    return make


def _controller(handler: XOAuth2Recorder, **kwargs: Any) -> Any:
    from aiosmtpd.controller import Controller

    # Explicit host and a real free port: the default host is ::1 and port=0 does not work.
    return Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)


@pytest.fixture(scope="session")
def _smtp_tls_servers(certs: CertFiles) -> Iterator[dict[str, SimpleNamespace]]:
    servers: dict[str, SimpleNamespace] = {}
    controllers = []
    for security in ("starttls", "ssl"):
        handler = XOAuth2Recorder()
        if security == "starttls":
            controller = _controller(handler, tls_context=server_context(certs),
                                     require_starttls=True)
        else:
            # Implicit TLS (SMTPS, port 465 style). aiosmtpd only counts STARTTLS as TLS for
            # auth_require_tls, so that check is off here; the socket is TLS from the start.
            controller = _controller(handler, ssl_context=server_context(certs),
                                     auth_require_tls=False)
        controller.start()
        controllers.append(controller)
        servers[security] = SimpleNamespace(host="127.0.0.1", port=controller.port,
                                            handler=handler, security=security)
    yield servers
    for controller in controllers:
        controller.stop()


@pytest.fixture(params=["starttls", "ssl"])
def smtp_tls(request: pytest.FixtureRequest,
             _smtp_tls_servers: dict[str, SimpleNamespace]) -> SimpleNamespace:
    """aiosmtpd with the test CA's certificate: STARTTLS on one port, SMTPS on another;
    emptied for this test, no tokens valid until the test allows some."""
    server = _smtp_tls_servers[request.param]
    server.handler.take()
    server.handler.valid.clear()
    server.handler.auth_attempts.clear()
    return server


@pytest.fixture(scope="session")
def shipped_classifier() -> Any:
    import classifier

    return classifier.load()


@pytest.fixture
def make_services(tmp_path: Path, shipped_classifier: Any) -> Iterator[Callable[..., Any]]:
    """Services (fresh SQLite, shipped classifier) for these inbox/outgoing settings."""
    from conftest import write_config

    from dsr.config import load_settings
    from dsr.store import Store
    from intake.pipeline import Services

    stores: list[Store] = []

    def make(inbox: Any = None, outgoing: Any = None) -> Any:
        directory = tmp_path / f"config-{next(_numbers)}"
        directory.mkdir()
        settings = load_settings(write_config(directory, {}), {})
        settings = dataclasses.replace(settings, inbox=inbox or settings.inbox,
                                       outgoing=outgoing or settings.outgoing)
        store = Store(settings.database.url)
        store.migrate()
        stores.append(store)
        return Services(settings=settings, store=store, classifier=shipped_classifier)

    yield make
    for store in stores:
        store.dispose()


def read_mailbox(settings: Any) -> list[bytes]:
    """Connect with these InboxSettings, read the first ten messages' bytes, log out."""
    from intake.mailbox import ImapMailbox

    mailbox = ImapMailbox(settings)
    mailbox.connect()
    try:
        return [item.raw for item in mailbox.new_messages(0, 10)]
    finally:
        mailbox.close()
