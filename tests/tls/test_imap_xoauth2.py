"""IMAP XOAUTH2 through Dovecot's real oauth2 passdb, which asks a loopback introspection
endpoint about every token: the tokens come from token_command, as in production."""

from __future__ import annotations

import base64
import dataclasses
import itertools
import logging
from datetime import datetime
from typing import Any

import pytest

from dsr.config import InboxSettings
from dsr.errors import AuthenticationFailed
from intake.mailbox import ImapMailbox

from .conftest import read_mailbox

_tokens = itertools.count(1)


def _token(account: Any) -> str:
    return f"access-{next(_tokens)}-{account.user}"


def _inbox(account: Any, command: str) -> InboxSettings:
    return InboxSettings(kind="imap", host="127.0.0.1", port=account.server.imaps_port,
                         security="ssl", user=account.user, ca_file=account.server.certs.ca,
                         auth="xoauth2", token_command=command, timeout=10, idle=False)


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_login_with_a_token_from_the_command_reads_mail(tls_account, introspection,
                                                        token_command, security, caplog):
    caplog.set_level(logging.DEBUG)  # imapclient logs the protocol at DEBUG
    token = _token(tls_account)
    introspection.allow(token, tls_account.user)
    command = token_command({"access_token": token, "expires_in": 3600})
    tls_account.deliver("access_request_en.eml")
    port = tls_account.server.imaps_port if security == "ssl" else tls_account.server.port
    settings = dataclasses.replace(_inbox(tls_account, command.command), port=port,
                                   security=security)
    assert len(read_mailbox(settings)) == 1
    assert len(read_mailbox(settings)) == 1  # a reconnect (new ImapMailbox) reuses the cached token
    assert command.calls() == 1
    assert introspection.asked.count(token) == 2  # Dovecot asked about it for each login
    sasl = base64.b64encode(f"user={tls_account.user}\x01auth=Bearer {token}\x01\x01".encode())
    assert token not in caplog.text and sasl.decode() not in caplog.text


def test_a_revoked_token_is_replaced_by_running_the_command_once_more(tls_account,
                                                                     introspection,
                                                                     token_command):
    old, new = _token(tls_account), _token(tls_account)
    introspection.allow(old, tls_account.user)
    command = token_command({"access_token": old, "expires_in": 3600},
                            {"access_token": new, "expires_in": 3600})
    tls_account.deliver("access_request_en.eml")
    settings = _inbox(tls_account, command.command)
    assert len(read_mailbox(settings)) == 1
    # The provider revokes the token before its stated expiry (password change, admin).
    introspection.revoke(old)
    introspection.allow(new, tls_account.user)
    assert len(read_mailbox(settings)) == 1
    assert command.calls() == 2
    assert introspection.asked[-2:] == [old, new]


def test_an_expired_token_is_refreshed_before_login(tls_account, introspection, token_command):
    """expires_in below the one-minute margin: the command runs again for every login."""
    first, second = _token(tls_account), _token(tls_account)
    introspection.allow(first, tls_account.user)
    introspection.allow(second, tls_account.user)
    command = token_command({"access_token": first, "expires_in": 30},
                            {"access_token": second, "expires_in": 3600})
    settings = _inbox(tls_account, command.command)
    read_mailbox(settings)
    read_mailbox(settings)
    assert command.calls() == 2
    assert introspection.asked[-2:] == [first, second]


def test_a_command_that_keeps_giving_bad_tokens_fails_authentication(tls_account,
                                                                    introspection,
                                                                    token_command):
    command = token_command("bad-token-one", "bad-token-two")
    with pytest.raises(AuthenticationFailed,
                       match=f"IMAP login refused for {tls_account.user}") as caught:
        read_mailbox(_inbox(tls_account, command.command))
    assert command.calls() == 2  # one fresh try, not a loop
    assert introspection.asked[-2:] == ["bad-token-one", "bad-token-two"]
    assert "bad-token" not in str(caught.value)


def test_a_failing_command_never_reaches_the_server(tls_account, introspection, token_command):
    command = token_command(None)
    asked = len(introspection.asked)
    with pytest.raises(AuthenticationFailed, match=r"exit code 3.*invalid_grant"):
        read_mailbox(_inbox(tls_account, command.command))
    assert len(introspection.asked) == asked


def test_refresh_token_expiry_is_exposed_for_health_alerts(tls_account, introspection,
                                                           token_command):
    token = _token(tls_account)
    introspection.allow(token, tls_account.user)
    command = token_command({"access_token": token, "expires_in": 3600,
                             "refresh_token_expires_at": "2027-02-01T00:00:00Z"})
    mailbox = ImapMailbox(_inbox(tls_account, command.command))
    assert mailbox.oauth_refresh_expires_at is None  # not known before the first run
    mailbox.connect()
    mailbox.close()
    assert mailbox.oauth_refresh_expires_at == datetime(2027, 2, 1)
    assert ImapMailbox(_inbox(tls_account, command.command)).oauth_refresh_expires_at == \
        datetime(2027, 2, 1)
    password = InboxSettings(kind="imap", host="127.0.0.1", user=tls_account.user)
    assert ImapMailbox(password).oauth_refresh_expires_at is None
