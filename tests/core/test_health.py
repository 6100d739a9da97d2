"""Mailbox health rules (dsr.health): what counts as stale, refused or about to expire."""

from __future__ import annotations

from datetime import datetime, timedelta

from dsr import health
from dsr.config import HealthSettings

NOW = datetime(2026, 11, 25, 12, 0)
RULES = HealthSettings(stale_after_minutes=30, token_warning_days=14)


def _kinds(store, now, labels=("info",)):
    with store.unit_of_work() as session:
        return {label: [a.kind for a in alerts] for state, alerts in
                health.current_alerts(session, labels, RULES, now)
                for label in [state.label]}


def test_a_mailbox_read_recently_has_no_alert_and_a_silent_one_goes_stale(migrated_store):
    with migrated_store.unit_of_work() as session:
        health.record_success(session, "imap:info@host/INBOX", "info", NOW)
    assert _kinds(migrated_store, NOW + timedelta(minutes=29)) == {"info": []}
    assert _kinds(migrated_store, NOW + timedelta(minutes=31)) == {"info": [health.STALE]}


def test_a_refused_login_alerts_at_once_and_clears_with_the_next_success(migrated_store):
    with migrated_store.unit_of_work() as session:
        health.record_failure(session, "imap:info@host/INBOX", "info", NOW,
                              "IMAP login refused for info@host", login_failed=True)
    assert _kinds(migrated_store, NOW) == {"info": [health.LOGIN]}
    # Never read at all: stale counts from when we started watching it.
    later = NOW + timedelta(minutes=31)
    assert _kinds(migrated_store, later) == {"info": [health.STALE, health.LOGIN]}
    with migrated_store.unit_of_work() as session:
        health.record_success(session, "imap:info@host/INBOX", "info", NOW + timedelta(hours=1))
    assert _kinds(migrated_store, NOW + timedelta(hours=1)) == {"info": []}


def test_an_oauth_refresh_token_is_flagged_two_weeks_before_it_expires(migrated_store):
    expires = NOW + timedelta(days=20)
    with migrated_store.unit_of_work() as session:
        health.record_success(session, "imap:info@host/INBOX", "info", NOW, expires)
    assert _kinds(migrated_store, NOW) == {"info": []}
    later = NOW + timedelta(days=7)
    with migrated_store.unit_of_work() as session:
        health.record_success(session, "imap:info@host/INBOX", "info", later)
        (_state, alerts), = health.current_alerts(session, ("info",), RULES, later)
    assert [a.kind for a in alerts] == [health.TOKEN]
    assert "expires in 13 day(s) (2026-12-15)" in alerts[0].message


def test_only_configured_mailboxes_count_and_a_moved_one_speaks_by_its_newest_row(migrated_store):
    with migrated_store.unit_of_work() as session:
        health.record_success(session, "imap:info@old-host/INBOX", "info", NOW - timedelta(days=9))
        health.record_success(session, "imap:info@new-host/INBOX", "info", NOW)
        health.record_failure(session, "maildir:/gone", "removed", NOW - timedelta(days=9),
                              "no such folder", login_failed=False)
    assert _kinds(migrated_store, NOW, labels=("info",)) == {"info": []}


def test_the_smtp_token_is_watched_only_for_its_expiry(migrated_store):
    with migrated_store.unit_of_work() as session:
        health.record_token_expiry(session, "smtp:smtp.example.org:587", "outgoing",
                                   NOW + timedelta(days=3))
    # Never "not read": the outbox shows SMTP trouble; only the token can warn here.
    kinds = _kinds(migrated_store, NOW + timedelta(days=1), labels=("info", "outgoing"))
    assert kinds == {"outgoing": [health.TOKEN]}


def test_outgoing_is_watched_when_smtp_uses_oauth(tmp_path):
    from dsr.config import load_settings

    path = tmp_path / "rightsbot.toml"
    path.write_text("[outgoing]\nkind = 'smtp'\nhost = 'smtp.example.org'\n"
                    "user = 'info@example.org'\nauth = 'xoauth2'\ntoken_command = 'x'\n")
    assert load_settings(path, {}).watched == ("inbox", "outgoing")
    path.write_text("[outgoing]\nkind = 'smtp'\nhost = 'smtp.example.org'\n")
    assert load_settings(path, {}).watched == ("inbox",)
