"""`rightsbot doctor`: check config, database, migrations, mailbox, SMTP and templates."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from dsr.config import InboxSettings, Settings

Check = tuple[str, Callable[[Settings], str]]


def register(sub: Any) -> None:
    p = sub.add_parser("doctor",
                       help="check the configuration and every connection; say what to fix")
    p.set_defaults(handler=cmd_doctor)


def check_database(settings: Settings) -> str:
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from dsr.store import MIGRATIONS, Store

    store = Store(settings.database.url)
    try:
        with store.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        store.dispose()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    if current != head:
        raise RuntimeError(f"schema at {current or 'nothing'}, code expects {head}: "
                           "run `rightsbot init`")
    return f"reachable, schema {current} (newest)"


def check_inbox(inbox: InboxSettings) -> str:
    if inbox.kind == "maildir":
        missing = [s for s in ("new", "cur", "tmp") if not (inbox.path / s).is_dir()]
        if missing:
            raise RuntimeError(f"{inbox.path} lacks {', '.join(missing)}: run "
                               "`rightsbot init`")
        return f"Maildir {inbox.path}"
    from intake.mailbox import ImapMailbox

    mailbox = ImapMailbox(inbox)
    mailbox.connect()
    try:
        idle = mailbox.has_idle()
    finally:
        mailbox.close()
    return (f"IMAP login as {inbox.user} ok, folder {inbox.folder!r} "
            f"opened read-only, IDLE {'offered' if idle else 'not offered (polling)'}")


def check_outgoing(settings: Settings) -> str:
    out = settings.outgoing
    if out.kind == "folder":
        out.path.mkdir(parents=True, exist_ok=True)
        probe = out.path / ".doctor-probe"
        probe.write_bytes(b"")
        probe.unlink()
        return f"writing .eml files to {out.path}"
    from responders.outbox import open_smtp

    connection = open_smtp(out, settings.organisation.reply_from)
    try:
        code, _ = connection.noop()
    finally:
        connection.quit()
    login = ", XOAUTH2 login ok" if out.auth == "xoauth2" else ", login ok" if out.user else ""
    return f"SMTP {out.host}:{out.port} ({out.security}) answers ({code}){login}"


def check_templates(settings: Settings) -> str:
    from responders.compose import KINDS as kinds
    from responders.compose import environment

    env = environment(settings.organisation.template_dir)
    missing = []
    for language in ("en", "nl", "de", "fr"):
        for kind in kinds:
            try:
                env.get_template(f"{language}/{kind}.txt.j2")
            except Exception:
                missing.append(f"{language}/{kind}")
    english = [m for m in missing if m.startswith("en/")]
    if english:
        raise RuntimeError(f"missing English templates (no fallback): {', '.join(english)}")
    note = f"; falls back to English for {len(missing)}: {', '.join(missing)}" if missing else ""
    return f"{len(kinds)} kinds in en{note}"


def check_classifier(settings: Settings) -> str:
    import time

    import classifier

    started = time.monotonic()
    model = classifier.load(settings.classifier.model_path or None)
    return f"model {model.version} loaded in {time.monotonic() - started:.1f}s"


def checks(settings: Settings) -> list[Check]:
    """The database first, then every mailbox (each on its own line), SMTP, the rest."""
    mailboxes: list[Check] = [
        ("inbox" if not settings.mailboxes else f"mailbox {inbox.name}",
         lambda _settings, inbox=inbox: check_inbox(inbox))  # type: ignore[misc]
        for inbox in settings.inboxes]
    return [("database", check_database), *mailboxes, ("outgoing", check_outgoing),
            ("templates", check_templates), ("classifier", check_classifier)]


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    print(f"config     ok: {settings.source}")
    failed = 0
    for name, check in checks(settings):
        try:
            print(f"{name:<10} ok: {check(settings)}")
        except Exception as exc:
            failed += 1
            print(f"{name:<10} FAILED: {type(exc).__name__}: {exc}")
    print("all checks passed" if not failed else f"{failed} check(s) failed: fix those above")
    return 1 if failed else 0
