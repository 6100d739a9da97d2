"""Web view fixtures: a migrated database per test, staff accounts, tickets from real mail,
a logged-in test client, and the app served on 127.0.0.1 for Chromium (Playwright)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
PROJECT = HERE.parents[1]
# tests/conftest.py puts tests/ on sys.path, where this folder (no __init__.py) would stand in
# for the real `web` package as an empty namespace package. A regular package anywhere on
# sys.path wins over a namespace portion, so the project root goes on the path, and a
# namespace `web` imported before this file is dropped.
if str(PROJECT) not in sys.path:
    sys.path.append(str(PROJECT))
if getattr(sys.modules.get("web"), "__file__", "") is None:
    for _name in [m for m in sys.modules if m == "web" or m.startswith("web.")]:
        del sys.modules[_name]

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from dsr import casework  # noqa: E402
from dsr.config import Settings, load_settings  # noqa: E402
from dsr.store import Store, utcnow  # noqa: E402
from dsr.tickets import MailMessage, TicketState  # noqa: E402
from intake.mime import parse  # noqa: E402

WEB_MESSAGES = HERE / "messages"
ARTIFACTS = PROJECT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORDS = {"alice": "alice-staff-password", "root": "root-admin-password"}


def _load_root_conftest() -> Any:
    """tests/conftest.py by path: `import conftest` here would find this very file."""
    spec = importlib.util.spec_from_file_location("rightsbot_tests_root_conftest",
                                                  HERE.parent / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_root = _load_root_conftest()
write_config = _root.write_config
store_for = _root.store_for
MESSAGES: Path = _root.MESSAGES


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with alice (staff) and root (admin), copied for each test."""
    from web.accounts import create_user

    path = tmp_path_factory.mktemp("template") / "rightsbot.sqlite3"
    store = Store(f"sqlite:///{path}")
    store.migrate()
    with store.unit_of_work() as session:
        create_user(session, "alice", PASSWORDS["alice"], "staff", utcnow())
        create_user(session, "root", PASSWORDS["root"], "admin", utcnow())
    store.dispose()  # closes the last connection: SQLite folds the WAL into the file
    return path


@pytest.fixture
def settings(tmp_path: Path, template_database: Path) -> Settings:
    shutil.copy(template_database, tmp_path / "rightsbot.sqlite3")
    return load_settings(write_config(tmp_path, {}), {})


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    store = Store(settings.database.url)
    yield store
    store.dispose()


@pytest.fixture
def app(settings: Settings) -> Flask:
    from web import create_app

    app = create_app(settings)
    app.testing = True
    return app


def _read(response: Any) -> Any:
    """Read the body and close the response (a static file stays open otherwise)."""
    response.get_data()
    response.close()
    return response


class StaffClient:
    """The Flask test client of one person, with the session's CSRF token at hand."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = ""
        self.name = ""

    def get(self, url: str, **kwargs: Any) -> Any:
        return _read(self.client.get(url, **kwargs))

    def post(self, url: str, data: Mapping[str, Any] | None = None, csrf: bool = True,
             **kwargs: Any) -> Any:
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.token or self.fresh_token()
        return _read(self.client.post(url, data=form, **kwargs))

    def fresh_token(self) -> str:
        page = self.client.get("/" if self.name else "/login").get_data(as_text=True)
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        return self.token

    def login(self, name: str) -> StaffClient:
        response = self.post("/login", {"name": name, "password": PASSWORDS[name]})
        assert response.status_code == 302, response.get_data(as_text=True)
        self.name = name
        self.fresh_token()
        return self


@pytest.fixture
def anonymous(app: Flask) -> StaffClient:
    return StaffClient(app.test_client())


@pytest.fixture
def staff(app: Flask) -> StaffClient:
    return StaffClient(app.test_client()).login("alice")


@pytest.fixture
def admin(app: Flask) -> StaffClient:
    return StaffClient(app.test_client()).login("root")


@dataclass(frozen=True)
class Opened:
    ref: str
    message_id: str | None


def mail_bytes(name: str, **replace: str) -> bytes:
    """A fixture mail from tests/web/messages (or tests/messages), placeholders replaced."""
    path = WEB_MESSAGES / name if (WEB_MESSAGES / name).exists() else MESSAGES / name
    raw = path.read_bytes()
    for old, new in replace.items():
        raw = raw.replace(old.encode(), new.encode())
    return raw


def open_ticket_from_mail(store: Store, settings: Settings, raw: bytes, *,
                          received_at: datetime | None = None, kinds: tuple[str, ...] = (),
                          state: TicketState = TicketState.RECEIVED, language: str = "en",
                          scores: Mapping[str, float] | None = None,
                          evidence: Mapping[str, list[str]] | None = None) -> Opened:
    """Open a ticket as intake does for a classified mail: ticket, events, the message row.

    The verdict (kinds, scores, evidence) is given rather than taken from the classifier, so
    that these tests do not move when the model is retrained.
    """
    parsed = parse(raw)
    received_at = received_at or utcnow() - timedelta(days=2)
    new = casework.NewTicket(
        requester_email=parsed.sender, requester_name=parsed.sender_name, language=language,
        received_at=received_at, kinds=kinds, state=state,
        decision="request" if state is TicketState.RECEIVED else "triage",
        subject=parsed.subject, scores=dict(scores or {k: 0.91 for k in kinds}),
        evidence={k: list(v) for k, v in (evidence or {}).items()}, model_version="test-model")
    with store.unit_of_work() as session:
        ticket = casework.open_ticket(session, new, settings.deadlines.policy, utcnow())
        session.add(MailMessage(
            direction="in", source_key=f"test:{parsed.message_id}:{ticket.ref}",
            message_id=parsed.message_id, sha256=f"{ticket.ref}-{len(raw)}", raw=raw,
            size=len(raw), received_at=received_at, sender=parsed.sender,
            sender_name=parsed.sender_name, subject=parsed.subject, language=language,
            disposition="opened", summary={
                "attachments": [a.__dict__ for a in parsed.attachments],
                "defects": list(parsed.defects), "html_only": parsed.html_only},
            ticket=ticket, created_at=utcnow()))
        return Opened(ticket.ref, parsed.message_id)


@pytest.fixture
def open_ticket(store: Store, settings: Settings) -> Any:
    def make(name: str = "access_request_en.eml", **kwargs: Any) -> Opened:
        return open_ticket_from_mail(store, settings, mail_bytes(name), **kwargs)

    return make


@pytest.fixture(scope="session")
def reply_only_classifier() -> Any:
    """A Classifier over a blank pipeline: replies join their ticket before classification,
    so the tests that feed replies through the pipeline need no trained model."""
    import spacy

    from classifier import Classifier

    return Classifier(spacy.blank("en"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    # pytest-playwright: Debian's Chromium, never a downloaded browser build.
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served on 127.0.0.1 by werkzeug in a thread, for the browser."""
    from werkzeug.serving import make_server

    app.testing = False
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
