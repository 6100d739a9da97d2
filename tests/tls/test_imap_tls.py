"""IMAP over TLS against a real Dovecot: IMAPS and STARTTLS with a private CA, and every way
a certificate can be wrong refuses the connection before a password leaves the machine."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import func, select

from dsr.config import InboxSettings
from dsr.errors import AuthenticationFailed, TransientError
from dsr.tickets import MailboxState, Ticket
from intake.mailbox import ImapMailbox
from intake.runner import poll_once

from .conftest import read_mailbox


def _inbox(account: Any, **changes: Any) -> InboxSettings:
    values: dict[str, Any] = {
        "kind": "imap", "host": "127.0.0.1", "port": account.server.imaps_port,
        "security": "ssl", "user": account.user, "password": account.password,
        "ca_file": account.server.certs.ca, "timeout": 10, "idle": False}
    values.update(changes)
    return InboxSettings(**values)


def _count(services: Any, model: Any) -> int:
    with services.store.unit_of_work() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_imaps_with_the_test_ca_opens_a_ticket(tls_account, make_services):
    tls_account.deliver("access_request_en.eml")
    services = make_services(_inbox(tls_account))
    result = poll_once(services)
    assert result.counts == {"opened": 1}
    assert _count(services, Ticket) == 1


def test_starttls_reads_mail(tls_account):
    tls_account.deliver("access_request_en.eml")
    raws = read_mailbox(_inbox(tls_account, port=tls_account.server.port, security="starttls"))
    assert len(raws) == 1 and b"Subject:" in raws[0]


def test_system_trust_alone_refuses_the_private_ca_and_records_nothing(tls_account,
                                                                      make_services):
    tls_account.deliver("access_request_en.eml")
    services = make_services(_inbox(tls_account, ca_file=""))
    result = poll_once(services)  # a mailbox that cannot be read is reported, not raised
    (failure,) = result.failures
    assert "certificate verify failed" in failure and not result.counts
    assert _count(services, Ticket) == 0
    with services.store.unit_of_work() as session:
        state = session.get(MailboxState, ImapMailbox(services.settings.inbox).name)
        assert state.last_uid == 0 and state.last_success_at is None
        # Not a refused login: the health alert will say "not read", not "check the password".
        assert not state.login_failed and "certificate verify failed" in state.last_error


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_a_certificate_for_another_host_name_is_refused(tls_account, security):
    """Dovecot answers SNI "localhost" with a certificate for mail.other.example (same CA)."""
    port = tls_account.server.imaps_port if security == "ssl" else tls_account.server.port
    with pytest.raises(TransientError, match=r"certificate verify failed.*mismatch"):
        read_mailbox(_inbox(tls_account, host="localhost", port=port, security=security))


def test_a_ca_that_did_not_issue_the_certificate_is_refused(tls_account):
    with pytest.raises(TransientError, match="certificate verify failed"):
        read_mailbox(_inbox(tls_account, ca_file=tls_account.server.certs.unrelated_ca))


def test_an_unreadable_ca_file_says_so(tls_account, tmp_path):
    with pytest.raises(TransientError, match=r"ca_file .*missing.pem cannot be used"):
        read_mailbox(_inbox(tls_account, ca_file=str(tmp_path / "missing.pem")))


def test_starttls_not_offered_never_sends_the_password(imap_account):
    """The plain test Dovecot offers no STARTTLS: refuse rather than log in in clear."""
    settings = InboxSettings(kind="imap", host=imap_account.host, port=imap_account.port,
                             security="starttls", user=imap_account.user,
                             password="secret", timeout=10)  # noqa: S106
    with pytest.raises(TransientError, match="does not offer STARTTLS"):
        ImapMailbox(settings).connect()
    log = ""
    deadline = time.monotonic() + 5
    while "no auth attempts" not in log and time.monotonic() < deadline:
        time.sleep(0.05)
        log = imap_account.dovecot.log()
    assert "no auth attempts" in log
    assert f"user=<{imap_account.user}>" not in log


def test_refused_password_is_an_authentication_failure(tls_account):
    with pytest.raises(AuthenticationFailed, match=f"IMAP login refused for {tls_account.user}"):
        read_mailbox(_inbox(tls_account, password="not-the-password"))  # noqa: S106
