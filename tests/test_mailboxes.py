"""Several mailboxes in one config (issue 7): each read on its own, each with its own reply
address, intake policy and deadline calendar; a failing one is reported, the others go on."""

from __future__ import annotations

import email
import re
from datetime import datetime, timedelta
from email import policy
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import MESSAGES, store_for, write_config
from sqlalchemy import select

from dsr import health
from dsr.config import load_settings
from dsr.deadlines import due_on
from dsr.store import Store, utcnow
from dsr.tickets import MailboxState, MailMessage, OutboxItem, Ticket
from intake.pipeline import Incoming, Services, process
from responders.alerts import queue_health_alerts

QUOTE = (b"From: Jan de Boer <jan@example.nl>\r\nTo: privacy@harbourline.example\r\n"
         b"Subject: Offerte douane-aangifte\r\nMessage-ID: <quote-1@example.nl>\r\n"
         b"Date: Wed, 25 Nov 2026 09:00:00 +0100\r\n\r\n"
         b"Goedemorgen, kunnen jullie een offerte sturen voor 40 containers per maand?\r\n")


def _imap(account: SimpleNamespace, name: str, **extra: object) -> dict[str, object]:
    return {"name": name, "kind": "imap", "host": account.host, "port": account.port,
            "security": "none", "user": account.user, "password": account.password,
            "timeout": 10, **extra}


def _config(tmp_path: Path, smtp: SimpleNamespace, mailboxes: list[dict[str, object]],
            **sections: dict[str, object]) -> Path:
    return write_config(tmp_path, {
        "mailboxes": mailboxes,
        "outgoing": {"kind": "smtp", "host": smtp.host, "port": smtp.port, "security": "none",
                     "timeout": 10},
        **sections,
    })


def _rows(config: Path, model: type) -> list:  # type: ignore[type-arg]
    with store_for(config).unit_of_work() as session:
        return list(session.execute(select(model)).scalars())


def test_two_imap_mailboxes_keep_their_own_address_and_policy(
        tmp_path, imap_account, second_imap_account, smtp, cli):
    config = _config(tmp_path, smtp, [
        _imap(imap_account, "info"),
        _imap(second_imap_account, "privacy", reply_from="privacy@harbourline.example",
              reply_name="Harbourline DPO", policy="all_requests", deadline_policy="nl"),
    ])
    imap_account.deliver("access_request_en.eml")
    second_imap_account.deliver("erasure_request_nl.eml", QUOTE)

    assert cli(config, "poll", "--once") == 0

    tickets = {t.requester_email: t for t in _rows(config, Ticket)}
    assert set(tickets) == {"m.okafor@example.com", "anouk.visser@example.nl", "jan@example.nl"}
    assert tickets["m.okafor@example.com"].mailbox == "info"
    assert tickets["anouk.visser@example.nl"].mailbox == "privacy"
    # privacy@ takes every mail as a request: the quote is for staff to look at, unanswered.
    quote = tickets["jan@example.nl"]
    assert (quote.mailbox, quote.state) == ("privacy", "needs_triage")
    assert {m.mailbox for m in _rows(config, MailMessage)} == {"info", "privacy"}
    # Each acknowledgement comes from the address the requester wrote to.
    sent, envelope_from = {}, {}
    for envelope in smtp.take():
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        sent[envelope.rcpt_tos[0]] = message
        envelope_from[envelope.rcpt_tos[0]] = envelope.mail_from
    # Bounces go back to the mailbox the requester wrote to, as the From header says.
    assert envelope_from == {"m.okafor@example.com": "info@harbourline.example",
                             "anouk.visser@example.nl": "privacy@harbourline.example"}
    assert set(sent) == {"m.okafor@example.com", "anouk.visser@example.nl"}
    assert "info@harbourline.example" in str(sent["m.okafor@example.com"]["From"])
    assert str(sent["anouk.visser@example.nl"]["From"]) == \
        "Harbourline DPO <privacy@harbourline.example>"
    assert "privacy@harbourline.example" in sent["anouk.visser@example.nl"].get_content()


def test_a_mailbox_whose_login_fails_does_not_stop_the_others(
        tmp_path, imap_account, second_imap_account, smtp, cli):
    config = _config(tmp_path, smtp, [
        _imap(imap_account, "info", password="wrong-password"),  # noqa: S106 - test value
        _imap(second_imap_account, "privacy"),
    ], organisation={"staff_address": "dpo@harbourline.example"})
    second_imap_account.deliver("access_request_en.eml")

    assert cli(config, "poll", "--once") == 75  # worth a retry: one mailbox was not read

    tickets = _rows(config, Ticket)
    assert [(t.mailbox, t.requester_email) for t in tickets] == \
        [("privacy", "m.okafor@example.com")]
    states = {s.label: s for s in _rows(config, MailboxState)}
    assert states["info"].login_failed and "login refused" in states["info"].last_error
    assert states["info"].last_success_at is None
    assert not states["privacy"].login_failed and states["privacy"].last_success_at

    settings = load_settings(config, {})
    store = store_for(config)
    now = utcnow()
    with store.unit_of_work() as session:
        mailed = queue_health_alerts(session, settings, now)
    assert [(a.mailbox, a.kind) for a in mailed] == [("info", health.LOGIN)]
    with store.unit_of_work() as session:  # not repeated within repeat_alert_hours
        assert queue_health_alerts(session, settings, now + timedelta(minutes=5)) == []
    alerts = [o for o in _rows(config, OutboxItem) if o.purpose == "health_alert"]
    assert [a.recipient for a in alerts] == ["dpo@harbourline.example"]
    assert b"Login to mailbox info is refused" in alerts[0].raw


def test_maildir_and_imap_mailboxes_side_by_side(tmp_path, imap_account, smtp, cli, capsys):
    config = _config(tmp_path, smtp, [
        {"name": "info", "kind": "maildir", "path": "mail"},
        _imap(imap_account, "privacy", reply_from="privacy@harbourline.example"),
    ])
    (tmp_path / "mail" / "new").mkdir(parents=True)
    (tmp_path / "mail" / "new" / "1.eml").write_bytes(
        (MESSAGES / "access_request_en.eml").read_bytes())
    imap_account.deliver("erasure_request_nl.eml")

    assert cli(config, "poll", "--once") == 0

    assert sorted((t.mailbox, t.language) for t in _rows(config, Ticket)) == \
        [("info", "en"), ("privacy", "nl")]
    assert cli(config, "tickets") == 0
    listed = capsys.readouterr().out
    assert "m.okafor@example.com  (info)" in listed
    assert "anouk.visser@example.nl  (privacy)" in listed
    assert {s.label for s in _rows(config, MailboxState) if s.last_success_at} == \
        {"info", "privacy"}


@pytest.mark.parametrize("mailbox, calendar", [("info", "uk"), ("rotterdam", "nl")])
def test_the_deadline_follows_the_mailbox_calendar(tmp_path, mailbox, calendar):
    # 25 November 2026 + one month = Friday 25 December. The next working day is Monday
    # 28 December in the Netherlands, Tuesday 29 December in England (Boxing Day moved).
    config = write_config(tmp_path, {"mailboxes": [
        {"name": "info", "kind": "maildir", "path": "mail"},
        {"name": "rotterdam", "kind": "maildir", "path": "mail-nl", "deadline_policy": "nl"},
    ]})
    settings = load_settings(config, {})
    import classifier

    store = Store(settings.database.url)
    store.migrate()
    services = Services(settings=settings, store=store, classifier=classifier.load(
        None, settings.classifier.request_threshold, settings.classifier.triage_threshold))
    received = datetime(2026, 11, 25, 10, 0)
    raw = (MESSAGES / "erasure_request_nl.eml").read_bytes()
    outcome = process(Incoming("test:1", raw, received, mailbox=mailbox), services)
    with store.unit_of_work() as session:
        ticket = session.execute(select(Ticket)).scalar_one()
        assert (outcome.ticket_ref, ticket.mailbox) == (ticket.ref, mailbox)
        assert ticket.statutory_due_on == due_on(received.date(), calendar)
        expected = {"uk": "2026-12-29", "nl": "2026-12-28"}[calendar]
        assert ticket.statutory_due_on.isoformat() == expected
    store.dispose()


def test_the_ticket_page_names_the_mailbox(tmp_path, imap_account, smtp, cli):
    from web import create_app
    from web.accounts import create_user

    config = _config(tmp_path, smtp, [_imap(imap_account, "privacy")])
    imap_account.deliver("access_request_en.eml")
    assert cli(config, "poll", "--once") == 0
    (ticket,) = _rows(config, Ticket)
    app = create_app(load_settings(config, {}))
    with store_for(config).unit_of_work() as session:
        create_user(session, "alice", "a-long-staff-password", "staff", utcnow())
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"name": "alice", "password": "a-long-staff-password",
                                "csrf_token": token})
    page = client.get(f"/tickets/{ticket.ref}").get_data(as_text=True)
    meta = page[page.index("ticket-meta"):][:600]
    assert " in privacy</span>" in meta, meta


def test_a_maildir_read_by_another_worker_is_left_to_it(tmp_path):
    """Two workers on one host share the embedded Maildir: the one without the lease waits."""
    from datetime import timedelta

    import classifier
    from dsr.store import take_lease
    from intake.runner import mailbox_key, poll_once

    config = write_config(tmp_path, {})
    settings = load_settings(config, {})
    store = Store(settings.database.url)
    store.migrate()
    services = Services(settings=settings, store=store, classifier=classifier.load(
        None, settings.classifier.request_threshold, settings.classifier.triage_threshold))
    (tmp_path / "mail" / "new").mkdir(parents=True)
    (tmp_path / "mail" / "new" / "1.eml").write_bytes(
        (MESSAGES / "access_request_en.eml").read_bytes())
    key = mailbox_key(settings.inbox)
    assert take_lease(store, key, "other-host#1:77", 300, utcnow())
    assert sum(poll_once(services).counts.values()) == 0
    assert (tmp_path / "mail" / "new" / "1.eml").exists()
    assert take_lease(store, key, "other-host#1:77", -1, utcnow() - timedelta(seconds=1))
    assert poll_once(services).counts == {"opened": 1}
    store.dispose()


def test_the_smtp_refresh_token_expiry_reaches_the_health_alerts(tmp_path):
    import sys

    import classifier
    from dsr.tokens import token_source_for
    from rightsbot.cli import _record_smtp_token

    script = tmp_path / "token.py"
    script.write_text("import json\nprint(json.dumps({'access_token': 'tok', 'expires_in': 3600,"
                      " 'refresh_token_expires_at': '2026-12-01T00:00:00Z'}))\n")
    command = f"{sys.executable} {script}"
    config = write_config(tmp_path, {"outgoing": {
        "kind": "smtp", "host": "smtp.example.org", "user": "info@harbourline.example",
        "auth": "xoauth2", "token_command": command}})
    settings = load_settings(config, {})
    store = Store(settings.database.url)
    store.migrate()
    services = Services(settings=settings, store=store, classifier=classifier.load(None))
    assert token_source_for(command).token() == "tok"  # as the sender's login would

    recorded = _record_smtp_token(services, None)

    assert recorded == datetime(2026, 12, 1)
    with store.unit_of_work() as session:
        (_state, alerts), = health.current_alerts(session, settings.watched, settings.health,
                                                  datetime(2026, 11, 26))
    assert [(a.mailbox, a.kind) for a in alerts] == [("outgoing", health.TOKEN)]
    assert "expires in 5 day(s)" in alerts[0].message
    store.dispose()
