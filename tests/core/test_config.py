"""Settings: one typed object; wrong or missing keys fail at start naming key and file."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsr.config import load_settings
from dsr.errors import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rightsbot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_the_embedded_setup(tmp_path):
    settings = load_settings(_write(tmp_path, ""), {})
    assert settings.inbox.kind == "maildir"
    assert settings.inbox.path == tmp_path / "var" / "mail"
    assert settings.outgoing.path == tmp_path / "var" / "outbox"
    assert settings.database.url == f"sqlite:///{tmp_path}/var/rightsbot.sqlite3"
    assert (settings.web.host, settings.web.port) == ("127.0.0.1", 8025)


def test_unknown_key_names_the_key_and_the_file(tmp_path):
    path = _write(tmp_path, "[inbox]\nhots = 'x'\n")
    with pytest.raises(ConfigError, match=r"rightsbot\.toml.*'inbox\.hots'"):
        load_settings(path, {})


def test_unknown_section_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="unknown key 'imapp'"):
        load_settings(_write(tmp_path, "[imapp]\nhost = 'x'\n"), {})


def test_missing_imap_host_is_named(tmp_path):
    path = _write(tmp_path, "[inbox]\nkind = 'imap'\nuser = 'info@example.org'\n")
    with pytest.raises(ConfigError, match=r"'inbox\.host' is required"):
        load_settings(path, {})


def test_wrong_type_and_wrong_choice_are_explained(tmp_path):
    with pytest.raises(ConfigError, match=r"'inbox\.port' .*whole number|'inbox\.port'"):
        load_settings(_write(tmp_path, "[inbox]\nport = 'imap'\n"), {})
    with pytest.raises(ConfigError, match=r"'deadlines\.policy' must be one of"):
        load_settings(_write(tmp_path, "[deadlines]\npolicy = 'mars'\n"), {})


def test_environment_overrides_the_file_with_typed_values(tmp_path):
    path = _write(tmp_path, "[inbox]\nkind = 'imap'\nhost = 'a'\nuser = 'u@example.org'\n")
    settings = load_settings(path, {"RIGHTSBOT_INBOX__HOST": "imap.example.org",
                                    "RIGHTSBOT_INBOX__PORT": "143",
                                    "RIGHTSBOT_INBOX__IDLE": "false",
                                    "RIGHTSBOT_ORGANISATION__OWN_ADDRESSES": "a@x.org, b@x.org"})
    assert settings.inbox.host == "imap.example.org"
    assert settings.inbox.port == 143
    assert settings.inbox.idle is False
    assert settings.organisation.own_addresses == ("a@x.org", "b@x.org")


def test_unknown_environment_setting_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="RIGHTSBOT_NOPE__X"):
        load_settings(_write(tmp_path, ""), {"RIGHTSBOT_NOPE__X": "1"})


def test_password_command_supplies_the_secret(tmp_path):
    path = _write(tmp_path, "[inbox]\nkind = 'imap'\nhost = 'h'\nuser = 'u@example.org'\n"
                            "password_command = \"printf s3cret\"\n")
    assert load_settings(path, {}).inbox.password == "s3cret"  # noqa: S105 - test value


def test_failing_password_command_is_a_config_error(tmp_path):
    path = _write(tmp_path, "[outgoing]\npassword_command = 'false'\n")
    with pytest.raises(ConfigError, match=r"'outgoing\.password_command' failed"):
        load_settings(path, {})


def test_broken_toml_names_the_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(_write(tmp_path, "[inbox\n"), {})


def test_cli_reports_config_errors_with_exit_78(tmp_path, cli, capsys):
    path = _write(tmp_path, "[inbox]\nhots = 'x'\n")
    assert cli(path, "tickets") == 78
    assert "inbox.hots" in capsys.readouterr().err


MAILBOXES = """
[organisation]
reply_from = "info@example.org"

[[mailboxes]]
name = "info"
kind = "imap"
host = "imap.example.org"
user = "info@example.org"
password_command = "echo s3cret"

[[mailboxes]]
name = "privacy"
kind = "maildir"
path = "privacy-mail"
reply_from = "privacy@example.org"
policy = "all_requests"
deadline_policy = "nl"
"""


def test_several_mailboxes_each_with_its_own_address_and_policy(tmp_path):
    settings = load_settings(_write(tmp_path, MAILBOXES), {})
    assert [m.name for m in settings.inboxes] == ["info", "privacy"]
    assert settings.inbox is settings.inboxes[0]
    assert settings.inbox.password == "s3cret"  # noqa: S105 - test value
    assert settings.inboxes[1].path == tmp_path / "privacy-mail"
    assert settings.reply_address("privacy")[0] == "privacy@example.org"
    assert settings.reply_address("info")[0] == "info@example.org"
    assert settings.reply_address("")[0] == "info@example.org"  # piped mail: the first one
    assert (settings.deadline_policy("privacy"), settings.deadline_policy("info")) == ("nl", "uk")
    assert {"privacy@example.org", "info@example.org"} <= settings.our_addresses


@pytest.mark.parametrize("text, message", [
    ("[inbox]\nkind = 'maildir'\n[[mailboxes]]\nname = 'a'\n", "either \\[inbox\\] or"),
    ("[[mailboxes]]\nkind = 'maildir'\n", "mailbox 1 needs a 'name'"),
    ("[[mailboxes]]\nname = 'a'\n[[mailboxes]]\nname = 'a'\npath = 'x'\n", "must be unique"),
    ("[[mailboxes]]\nname = 'a'\npolicy = 'everything'\n", "'mailboxes.a.policy' must be one of"),
    ("[[mailboxes]]\nname = 'a'\nkind = 'imap'\nhost = 'h'\nuser = 'u'\nauth = 'xoauth2'\n",
     "'mailboxes.a.token_command' is required"),
    ("[outgoing]\nauth = 'xoauth2'\n", "'outgoing.token_command' is required"),
    ("[outgoing]\nauth = 'xoauth2'\ntoken_command = 't'\n", "'outgoing.user' is required"),
    ("mailboxes = 'info'\n", "must be a list of tables"),
])
def test_wrong_mailbox_lists_are_refused_with_the_reason(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(_write(tmp_path, text), {})
