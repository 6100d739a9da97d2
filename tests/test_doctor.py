"""`rightsbot doctor` checks every part against the real servers and says what to fix."""

from __future__ import annotations

from conftest import write_config


def test_doctor_passes_on_a_working_setup(imap_account, imap_config, smtp, cli, capsys):
    assert cli(imap_config, "init") == 0
    capsys.readouterr()
    assert cli(imap_config, "doctor") == 0
    out = capsys.readouterr().out
    assert f"IMAP login as {imap_account.user} ok" in out and "IDLE offered" in out
    assert "SMTP 127.0.0.1" in out and "all checks passed" in out


def test_doctor_names_what_is_broken(imap_account, tmp_path, cli, capsys):
    config = write_config(tmp_path, {"inbox": {
        "kind": "imap", "host": imap_account.host, "port": imap_account.port, "security": "none",
        "user": imap_account.user, "password": "wrong"}})
    assert cli(config, "doctor") == 1
    out = capsys.readouterr().out
    assert "database   FAILED" in out and "rightsbot init" in out  # not migrated yet
    assert "inbox      FAILED" in out and "login refused" in out


def test_doctor_checks_every_mailbox_on_its_own_line(tmp_path, imap_account, cli, capsys):
    config = write_config(tmp_path, {"mailboxes": [
        {"name": "info", "kind": "imap", "host": imap_account.host, "port": imap_account.port,
         "security": "none", "user": imap_account.user, "password": "secret", "timeout": 10},
        {"name": "privacy", "kind": "imap", "host": imap_account.host,
         "port": imap_account.port, "security": "none", "user": imap_account.user,
         "password": "not-the-password", "timeout": 10},
    ]})
    assert cli(config, "init") == 0
    assert cli(config, "doctor") == 1
    out = capsys.readouterr().out
    assert f"mailbox info ok: IMAP login as {imap_account.user} ok" in out
    assert "mailbox privacy FAILED: AuthenticationFailed: IMAP login refused" in out
    assert "1 check(s) failed" in out
