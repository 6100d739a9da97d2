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
