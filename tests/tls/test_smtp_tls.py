"""SMTP over TLS (STARTTLS and implicit TLS) with XOAUTH2, against aiosmtpd on loopback:
an acknowledgement goes from the pipeline through send_pending to the server."""

from __future__ import annotations

import email
import itertools
import logging
from datetime import datetime
from email import policy
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dsr.config import OutgoingSettings
from dsr.tickets import OutboxItem
from intake.pipeline import Incoming, process
from responders.outbox import send_pending

MESSAGES = Path(__file__).resolve().parents[1] / "messages"
USER = "bot@harbourline.example"
_tokens = itertools.count(1)


def _outgoing(server: Any, certs: Any, **changes: Any) -> OutgoingSettings:
    values: dict[str, Any] = {
        "kind": "smtp", "host": server.host, "port": server.port, "security": server.security,
        "ca_file": certs.ca, "user": USER, "auth": "xoauth2", "timeout": 5}
    values.update(changes)
    return OutgoingSettings(**values)


def _queue_acknowledgement(services: Any, name: str = "access_request_en.eml") -> str:
    """A request through the pipeline: one ticket, one acknowledgement in the outbox."""
    raw = (MESSAGES / name).read_bytes()
    outcome = process(Incoming(f"tls-test:{next(_tokens)}", raw, datetime(2026, 11, 25, 23)),
                      services)
    assert outcome.disposition.value == "opened"
    return str(outcome.ticket_ref)


def _send(services: Any) -> int:
    return send_pending(services.store, services.settings.outgoing,
                        services.settings.organisation.reply_from)


def _outbox(services: Any) -> list[Any]:
    with services.store.unit_of_work() as session:
        return list(session.execute(select(OutboxItem).order_by(OutboxItem.id)).scalars())


def test_xoauth2_delivers_an_acknowledgement_end_to_end(smtp_tls, certs, token_command,
                                                        make_services, caplog):
    caplog.set_level(logging.DEBUG)
    token = f"smtp-token-{next(_tokens)}"
    smtp_tls.handler.valid[token] = USER
    command = token_command({"access_token": token, "expires_in": 3600})
    services = make_services(outgoing=_outgoing(smtp_tls, certs, token_command=command.command))
    ref = _queue_acknowledgement(services)
    assert _send(services) == 1
    [envelope] = smtp_tls.handler.take()
    assert envelope.rcpt_tos == ["m.okafor@example.com"]
    assert envelope.mail_from == services.settings.organisation.reply_from
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    assert f"[{ref}]" in message["Subject"]
    assert message["In-Reply-To"] == "<CAF1x9q-access-okafor@mail.example.com>"
    assert smtp_tls.handler.auth_attempts == [(USER, token)]
    assert [row.state for row in _outbox(services)] == ["sent"]
    assert token not in caplog.text


def test_a_refused_token_is_replaced_once_and_the_mail_goes(smtp_tls, certs, token_command,
                                                           make_services):
    old, new = f"stale-{next(_tokens)}", f"fresh-{next(_tokens)}"
    smtp_tls.handler.valid[new] = USER
    command = token_command(old, new)
    services = make_services(outgoing=_outgoing(smtp_tls, certs, token_command=command.command))
    _queue_acknowledgement(services)
    assert _send(services) == 1
    assert [token for _, token in smtp_tls.handler.auth_attempts] == [old, new]
    assert command.calls() == 2
    assert len(smtp_tls.handler.take()) == 1


def test_bad_tokens_stop_the_batch_with_login_refused(smtp_tls, certs, token_command,
                                                      make_services):
    command = token_command("bad-smtp-token-1", "bad-smtp-token-2")
    services = make_services(outgoing=_outgoing(smtp_tls, certs, token_command=command.command))
    _queue_acknowledgement(services)
    _queue_acknowledgement(services, "erasure_request_nl.eml")
    assert _send(services) == 0
    rows = _outbox(services)
    # The server or our login, not the letter: nothing counted against either row.
    assert [(row.state, row.attempts) for row in rows] == [("pending", 0), ("pending", 0)]
    assert "login refused" in rows[0].last_error and USER in rows[0].last_error
    assert "bad-smtp-token" not in rows[0].last_error
    assert len(smtp_tls.handler.auth_attempts) == 2  # one fresh token, then give up
    assert smtp_tls.handler.take() == []


def test_a_refused_password_is_reported_as_login_refused(smtp_tls, certs, make_services):
    services = make_services(outgoing=_outgoing(smtp_tls, certs, auth="password",
                                                password="not-the-password"))  # noqa: S106
    _queue_acknowledgement(services)
    assert _send(services) == 0
    [row] = _outbox(services)
    assert row.state == "pending" and "login refused" in row.last_error
    assert "not-the-password" not in row.last_error


def test_a_ca_that_did_not_issue_the_certificate_is_refused(smtp_tls, certs, token_command,
                                                            make_services):
    token = f"never-sent-{next(_tokens)}"
    smtp_tls.handler.valid[token] = USER
    command = token_command(token)
    services = make_services(outgoing=_outgoing(smtp_tls, certs, ca_file=certs.unrelated_ca,
                                                token_command=command.command))
    _queue_acknowledgement(services)
    assert _send(services) == 0
    [row] = _outbox(services)
    assert row.state == "pending" and "certificate verify failed" in row.last_error
    assert smtp_tls.handler.auth_attempts == []
    assert command.calls() == 0  # no TLS, no token


def test_system_trust_alone_refuses_the_private_ca(smtp_tls, certs, make_services):
    services = make_services(outgoing=_outgoing(smtp_tls, certs, ca_file="", auth="password",
                                                user=""))
    _queue_acknowledgement(services)
    assert _send(services) == 0
    [row] = _outbox(services)
    assert "certificate verify failed" in row.last_error
    assert smtp_tls.handler.take() == []


def test_starttls_not_offered_sends_nothing_in_clear(smtp, certs, token_command, make_services):
    """The plain test server offers no STARTTLS: no AUTH, no mail, the row waits."""
    command = token_command("would-leak-in-clear")
    services = make_services(outgoing=OutgoingSettings(
        kind="smtp", host=smtp.host, port=smtp.port, security="starttls", ca_file=certs.ca,
        user=USER, auth="xoauth2", token_command=command.command, timeout=5))
    _queue_acknowledgement(services)
    assert _send(services) == 0
    [row] = _outbox(services)
    assert row.state == "pending" and "does not offer STARTTLS" in row.last_error
    assert command.calls() == 0
    assert smtp.take() == []


def test_a_failing_token_command_stops_the_batch_before_any_login(smtp_tls, certs,
                                                                  token_command,
                                                                  make_services):
    command = token_command(None)
    services = make_services(outgoing=_outgoing(smtp_tls, certs, token_command=command.command))
    _queue_acknowledgement(services)
    _queue_acknowledgement(services, "erasure_request_nl.eml")
    assert _send(services) == 0
    rows = _outbox(services)
    # The server or our login, not the letter: nothing counted against either row.
    assert [(row.state, row.attempts) for row in rows] == [("pending", 0), ("pending", 0)]
    assert "exit code 3" in rows[0].last_error and "invalid_grant" in rows[0].last_error
    assert command.calls() == 1
    assert smtp_tls.handler.auth_attempts == []
