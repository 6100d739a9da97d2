"""Issue 4 end to end: identity by link and by reply, threading, fast path, complaints, loops."""

from __future__ import annotations

import email
import http.cookiejar
import re
import threading
import urllib.parse
import urllib.request
from email import policy
from pathlib import Path

import pytest
from conftest import store_for, write_config
from sqlalchemy import select

from dsr.tickets import MailMessage, OutboxItem, Suppression, Ticket


def _mail(sender: str, subject: str, body: str, message_id: str, extra: str = "") -> bytes:
    return (f"From: {sender}\r\nTo: info@harbourline.example\r\nSubject: {subject}\r\n"
            f"Message-ID: {message_id}\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n{extra}"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()


def _ticket(config: Path, sender: str) -> Ticket:
    with store_for(config).unit_of_work() as session:
        ticket = session.execute(select(Ticket).where(Ticket.requester_email == sender)
                                 .order_by(Ticket.id.desc())).scalars().first()
        assert ticket is not None
        _ = (ticket.kinds, [m.disposition for m in ticket.messages],
             [e.kind for e in ticket.events])
        return ticket


@pytest.fixture
def served_app(imap_config):
    """The real web app on 127.0.0.1 (werkzeug server in a thread), same config as the bot."""
    from werkzeug.serving import make_server

    from dsr.config import load_settings
    from web import create_app

    app = create_app(load_settings(imap_config, {}))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def test_requester_confirms_by_link_and_the_clock_starts(imap_account, imap_config, smtp, cli,
                                                         served_app):
    imap_account.deliver("access_request_en.eml")
    assert cli(imap_config, "poll", "--once") == 0
    (ack,) = [email.message_from_bytes(e.content, policy=policy.default) for e in smtp.take()]
    body = ack.get_body(("plain",)).get_content()
    link = re.search(r"http://\S+/verify/\S+", body).group(0)
    path = urllib.parse.urlsplit(link).path
    assert _ticket(imap_config, "m.okafor@example.com").state == "awaiting_identity"

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(served_app + path) as response:
        page = response.read().decode()
    # GET only shows the page: a mail scanner following the link confirms nothing.
    assert "Confirm" in page
    assert _ticket(imap_config, "m.okafor@example.com").identity_state == "requested"
    token = re.search(r'name="csrf_token" value="([^"]*)"', page).group(1)
    data = urllib.parse.urlencode({"csrf_token": token}).encode()
    # S310: served_app is the fixture's http://127.0.0.1 server; only the path is from the mail
    request = urllib.request.Request(served_app + path, data=data)  # noqa: S310
    with opener.open(request) as response:
        done = response.read().decode()
    assert "confirmed" in done

    ticket = _ticket(imap_config, "m.okafor@example.com")
    assert ticket.identity_state == "verified" and ticket.state == "in_progress"
    assert ticket.clock_started_at is not None and ticket.clock_started_at > ticket.received_at
    assert "identity_verified" in [e.kind for e in ticket.events]
    # Single use: the same link now answers 410 Gone.
    with pytest.raises(urllib.error.HTTPError) as gone:
        opener.open(served_app + path)
    gone.value.close()
    assert gone.value.code == 410



@pytest.mark.parametrize("language, sender, subject, body, button", [
    ("de", "Jonas Weber <j.weber@example.de>", "Löschung meiner Daten",
     "Sehr geehrte Damen und Herren,\n\nbitte löschen Sie alle personenbezogenen Daten, "
     "die Sie über mich gespeichert haben, gemäß Art. 17 DSGVO.\n\nMit freundlichen "
     "Grüßen\nJonas Weber", "Bestätigen"),
    ("fr", "Claire Moreau <c.moreau@example.fr>", "Suppression de mes données",
     "Bonjour,\n\nje vous demande d'effacer toutes les données personnelles que vous "
     "détenez sur moi (article 17 du RGPD).\n\nCordialement,\nClaire Moreau", "Confirmer"),
])
def test_german_and_french_requesters_get_mail_and_page_in_their_language(
        imap_account, imap_config, smtp, cli, served_app, language, sender, subject, body,
        button):
    imap_account.deliver(_mail(sender, subject, body, f"<{language}-1@example.{language}>"))
    assert cli(imap_config, "poll", "--once") == 0
    (ack,) = [email.message_from_bytes(e.content, policy=policy.default) for e in smtp.take()]
    assert ack["Content-Language"] == language
    link = re.search(r"http://\S+/verify/\S+", ack.get_body(("plain",)).get_content()).group(0)
    # S310: served_app is the fixture's http://127.0.0.1 server; only the path is from the mail
    url = served_app + urllib.parse.urlsplit(link).path
    with urllib.request.urlopen(url) as response:  # noqa: S310
        page = response.read().decode()
    assert f'lang="{language}"' in page and f">{button}<" in page

def test_reply_with_the_code_verifies_and_joins_the_ticket(imap_account, imap_config, smtp, cli):
    imap_account.deliver("erasure_request_nl.eml")
    assert cli(imap_config, "poll", "--once") == 0
    (ack,) = [email.message_from_bytes(e.content, policy=policy.default) for e in smtp.take()]
    assert re.search(r"\(code RB-[A-Z2-9]{4}-[A-Z2-9]{4}\)", ack["Subject"])
    reply = _mail("Anouk Visser <anouk.visser@example.nl>", f"Re: {ack['Subject']}",
                  "Ja, dat verzoek komt van mij.\n\n> eerder bericht", "<reply-1@example.nl>",
                  f"In-Reply-To: {ack['Message-ID']}\r\nReferences: {ack['Message-ID']}\r\n")
    imap_account.deliver(reply)
    assert cli(imap_config, "poll", "--once") == 0

    ticket = _ticket(imap_config, "anouk.visser@example.nl")
    assert ticket.identity_state == "verified"
    assert [m.disposition for m in ticket.messages] == ["opened", "appended"]
    assert smtp.take() == []  # a reply is never a new ticket and gets no acknowledgement
    with store_for(imap_config).unit_of_work() as session:
        assert len(session.execute(select(Ticket)).scalars().all()) == 1


def test_marketing_objection_is_suppressed_at_once_without_identity_check(tmp_path, cli, capsys):
    config = write_config(tmp_path, {})
    assert cli(config, "init") == 0
    (tmp_path / "mail" / "new" / "m.eml").write_bytes(_mail(
        "Ruth Evans <ruth.evans@example.co.uk>", "Tariff Watch",
        "Please stop sending me the Tariff Watch newsletter and any other marketing. "
        "I do not want to receive it any more.", "<optout-1@example.co.uk>"))
    assert cli(config, "poll", "--once") == 0
    ticket = _ticket(config, "ruth.evans@example.co.uk")
    assert ticket.kinds == ["objection"] and ticket.identity_state == "not_needed"
    (sent,) = (tmp_path / "outbox").glob("*.eml")
    assert "marketing" in sent.name
    with store_for(config).unit_of_work() as session:
        assert session.get(Suppression, "ruth.evans@example.co.uk") is not None
    capsys.readouterr()
    assert cli(config, "suppressions", "--export", "csv") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "address,reason,since,ticket"
    assert out[1].startswith("ruth.evans@example.co.uk,marketing objection,")


def test_auto_reply_storm_with_another_bot_stops(imap_account, imap_config, smtp, cli):
    """A badly behaved bot answers every mail we send, without any auto-reply header."""
    imap_account.deliver("access_request_en.eml")
    assert cli(imap_config, "poll", "--once") == 0
    sent = smtp.take()
    bot_replies = 0
    while sent and bot_replies < 5:
        ours = email.message_from_bytes(sent[-1].content, policy=policy.default)
        bot_replies += 1
        imap_account.deliver(_mail("m.okafor@example.com", f"Re: {ours['Subject']}",
                                   "Thank you for your message. We will get back to you.",
                                   f"<bot-{bot_replies}@mail.example.com>",
                                   f"In-Reply-To: {ours['Message-ID']}\r\n"))
        assert cli(imap_config, "poll", "--once") == 0
        sent = smtp.take()
    assert bot_replies == 1  # our acknowledgement, its answer, then silence

    # A bot that does not even thread: each mail looks new. The per-recipient daily limit
    # (5 automatic mails) caps what we send, whatever it does.
    for n in range(8):
        imap_account.deliver(_mail("m.okafor@example.com", f"Request {n}",
                                   "Please delete my personal data from your systems.",
                                   f"<loop-{n}@mail.example.com>"))
    assert cli(imap_config, "poll", "--once") == 0
    assert len(smtp.take()) == 4  # 1 earlier + 4 = the limit of 5 in 24 hours
    ticket = _ticket(imap_config, "m.okafor@example.com")
    assert ticket.signals["possibly_repeated"]
    assert "reply_suppressed" in [e.kind for e in ticket.events]


def test_complaint_goes_to_triage_with_a_thirty_day_clock_and_signals(tmp_path, cli):
    config = write_config(tmp_path, {})
    assert cli(config, "init") == 0
    (tmp_path / "mail" / "new" / "c.eml").write_bytes(_mail(
        "Tom Baker <tom.baker@example.org>", "Complaint",
        "Last week you emailed my customs declaration, with my passport number, to a "
        "stranger. This is a data breach and I am complaining about it. I will report it "
        "to the ICO if I do not hear from you. I write on behalf of my father, "
        "john.baker@example.org, too.", "<complaint-1@example.org>",
        "Authentication-Results: mx.harbourline.example; spf=pass smtp.mailfrom=example.org;"
        " dkim=fail header.d=example.org; dmarc=fail header.from=example.org\r\n"))
    assert cli(config, "poll", "--once") == 0
    ticket = _ticket(config, "tom.baker@example.org")
    assert "complaint" in ticket.kinds
    assert ticket.state == "needs_triage"
    assert ticket.complaint_ack_due_on is not None
    assert (ticket.complaint_ack_due_on - ticket.received_at.date()).days == 30
    assert ticket.signals["authentication"]["dmarc"] == "fail"
    assert ticket.signals["third_party"]["other_addresses"] == ["john.baker@example.org"]
    assert list((tmp_path / "outbox").glob("*.eml")) == []  # triage: no automatic reply


def test_staff_digest_lists_due_and_overdue_tickets(tmp_path, cli):
    config = write_config(tmp_path, {"organisation": {"staff_address": "dpo@harbourline.example"},
                                     "lifecycle": {"reminder_days": 60}})
    assert cli(config, "init") == 0
    (tmp_path / "mail" / "new" / "a.eml").write_bytes(_mail(
        "Jo <jo@example.com>", "my data", "Please send me a copy of all my personal data.",
        "<d-1@example.com>"))
    assert cli(config, "poll", "--once") == 0
    assert cli(config, "digest") == 0
    (digest,) = [p for p in (tmp_path / "outbox").glob("*.eml") if "digest" in p.name]
    msg = email.message_from_bytes(digest.read_bytes(), policy=policy.default)
    assert msg["To"].addresses[0].addr_spec == "dpo@harbourline.example"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert _ticket(config, "jo@example.com").ref in msg.get_content()


def test_bounce_of_our_own_acknowledgement_is_recorded_not_answered(imap_account, imap_config,
                                                                   smtp, cli):
    imap_account.deliver("access_request_en.eml")
    assert cli(imap_config, "poll", "--once") == 0
    (ack,) = [email.message_from_bytes(e.content, policy=policy.default) for e in smtp.take()]
    bounce = _mail("Mail Delivery System <MAILER-DAEMON@mail.example.com>",
                   "Undelivered Mail Returned to Sender", "The mail could not be delivered.",
                   "<dsn-77@mail.example.com>", f"References: {ack['Message-ID']}\r\n")
    imap_account.deliver(bounce)
    assert cli(imap_config, "poll", "--once") == 0
    assert smtp.take() == []
    with store_for(imap_config).unit_of_work() as session:
        row = session.execute(select(MailMessage).where(
            MailMessage.message_id == "<dsn-77@mail.example.com>")).scalar_one()
        assert (row.disposition, row.reason) == ("ignored", "bounce")
        assert row.ticket_id is not None  # kept with its ticket, for the record
        assert session.execute(select(OutboxItem)).scalars().all()[0].state == "sent"


@pytest.mark.parametrize(("name", "reason"), [
    ("auto_reply_ooo.eml", "auto_reply"), ("auto_reply_ooo_nl.eml", "auto_reply"),
    ("bounce_dsn.eml", "bounce"), ("bounce_nl.eml", "bounce"),
    ("out_of_office_no_headers_en.eml", "auto_reply"), ("newsletter.eml", "list")])
def test_realistic_machine_mail_in_english_and_dutch_is_never_answered(tmp_path, cli, name,
                                                                       reason):
    import shutil

    from conftest import MESSAGES

    config = write_config(tmp_path, {})
    assert cli(config, "init") == 0
    shutil.copy(MESSAGES / name, tmp_path / "mail" / "new" / name)
    assert cli(config, "poll", "--once") == 0
    with store_for(config).unit_of_work() as session:
        (row,) = session.execute(select(MailMessage)).scalars().all()
        assert (row.disposition, row.reason) == ("ignored", reason)
        assert session.execute(select(Ticket)).scalars().all() == []
    assert list((tmp_path / "outbox").glob("*.eml")) == []
