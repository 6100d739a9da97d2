"""Retention: identity documents go once identity is confirmed; old closed tickets shrink to a
register entry; --dry-run changes nothing; every purge is an audit event."""

from __future__ import annotations

from datetime import datetime, timedelta

from conftest import store_for, write_config
from sqlalchemy import select

from dsr import lifecycle
from dsr.tickets import MailMessage, Ticket, TicketState

REQUEST_WITH_PASSPORT = (
    b"From: Jo Smith <jo@example.com>\r\nTo: info@harbourline.example\r\n"
    b"Subject: My data\r\nMessage-ID: <pp-1@example.com>\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Please delete all my personal data. A copy of my passport is attached.\r\n--zz\r\n"
    b"Content-Type: image/jpeg; name=passport.jpg\r\n"
    b"Content-Disposition: attachment; filename=passport.jpg\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n/9j/4AAQSkZJRgABAQAAAQABAAD/2wBD\r\n--zz--\r\n")


def test_purge_strips_identity_documents_and_reduces_old_tickets(tmp_path, cli, capsys):
    config = write_config(tmp_path, {})
    assert cli(config, "init") == 0
    (tmp_path / "mail" / "new" / "p.eml").write_bytes(REQUEST_WITH_PASSPORT)
    assert cli(config, "poll", "--once") == 0
    store = store_for(config)
    with store.unit_of_work() as session:
        ticket = session.execute(select(Ticket)).scalar_one()
        lifecycle.mark_verified(session, ticket, "uk", datetime.now(), "alice", "called back")
    capsys.readouterr()

    assert cli(config, "purge", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "would strip attachments" in out and "passport.jpg" in out
    with store.unit_of_work() as session:
        assert b"/9j/4AAQ" in session.execute(select(MailMessage.raw)).scalar_one()

    assert cli(config, "purge") == 0
    with store.unit_of_work() as session:
        raw = session.execute(select(MailMessage.raw)).scalar_one()
        ticket = session.execute(select(Ticket)).scalar_one()
        assert b"/9j/4AAQ" not in raw and b"passport.jpg deleted" in raw
        assert b"Please delete all my personal data" in raw  # the request itself stays
        assert "attachments_deleted" in [e.kind for e in ticket.events]
        # Closed more than six years ago: reduced to a register entry.
        lifecycle.close(session, ticket, TicketState.COMPLETED, "", datetime.now(), "alice")
        ticket.closed_at = datetime.now() - timedelta(days=6 * 366 + 2)
    capsys.readouterr()
    assert cli(config, "purge") == 0
    assert "did reduce" in capsys.readouterr().out
    with store.unit_of_work() as session:
        ticket = session.execute(select(Ticket)).scalar_one()
        assert (ticket.requester_email, ticket.requester_name) == ("", "")
        # The purge keeps the ticket's kinds (which labels the classifier gave is its own
        # tests' business: this mail also gets `access` from the round-6 model).
        assert "erasure" in ticket.kinds and ticket.state == "completed"
        assert all(m.raw == b"" for m in ticket.messages)
        assert ticket.events[-1].kind == "purged"
