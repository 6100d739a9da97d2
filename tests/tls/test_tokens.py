"""TokenSource: runs token_command, caches the access token, refreshes it before expiry."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

import pytest

from dsr.errors import AuthenticationFailed
from dsr.tokens import TokenSource, token_source_for

T0 = datetime(2026, 11, 25, 23, 0, 0)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_plain_output_is_the_token_and_is_cached(token_command):
    command = token_command("plain-token-1\n")
    source = TokenSource(command.command)
    assert source.token() == "plain-token-1"
    assert source.token() == "plain-token-1"
    assert command.calls() == 1
    assert source.refresh_expires_at is None


def test_banner_lines_before_the_token_are_skipped(token_command):
    command = token_command("Using cached credentials for privacy@example.org\nplain-token-2")
    assert TokenSource(command.command).token() == "plain-token-2"
    command = token_command('Refreshed.\n{\n  "access_token": "json-token-3",\n'
                            '  "expires_in": 3599\n}')
    assert TokenSource(command.command).token() == "json-token-3"


def test_json_token_is_refreshed_within_a_minute_of_expiry(token_command):
    command = token_command({"access_token": "first", "expires_in": 3600},
                            {"access_token": "second", "expires_in": 3600})
    clock = Clock()
    source = TokenSource(command.command, clock=clock)
    assert source.token() == "first"
    clock.now = T0 + timedelta(seconds=3600 - 61)
    assert source.token() == "first"
    assert command.calls() == 1
    clock.now = T0 + timedelta(seconds=3600 - 59)
    assert source.token() == "second"
    assert command.calls() == 2


def test_expires_at_and_refresh_token_expiry_are_read_as_naive_utc(token_command):
    command = token_command({"access_token": "tok", "expires_at": "2026-11-25T23:30:00Z",
                             "refresh_token_expires_at": "2027-02-01T02:00:00+02:00"})
    clock = Clock()
    source = TokenSource(command.command, clock=clock)
    assert source.token() == "tok"
    assert source.refresh_expires_at == datetime(2027, 2, 1, 0, 0, 0)
    clock.now = datetime(2026, 11, 25, 23, 28, 0)
    assert source.token() == "tok"
    clock.now = datetime(2026, 11, 25, 23, 29, 30)
    source.token()
    assert command.calls() == 2


def test_invalidate_runs_the_command_again(token_command):
    command = token_command("old-token", "new-token")
    source = TokenSource(command.command)
    assert source.token() == "old-token"
    source.invalidate()
    assert source.token() == "new-token"
    assert command.calls() == 2


def test_failing_command_names_exit_code_and_stderr_not_the_token(token_command):
    command = token_command("good-token-abc", None)
    source = TokenSource(command.command)
    assert source.token() == "good-token-abc"
    source.invalidate()
    with pytest.raises(AuthenticationFailed) as caught:
        source.token()
    message = str(caught.value)
    assert "exit code 3" in message and "invalid_grant" in message
    assert "good-token-abc" not in message


def test_json_without_access_token_is_refused_without_echoing_it(token_command):
    command = token_command({"token": "secret-in-wrong-field", "expires_in": 60})
    with pytest.raises(AuthenticationFailed) as caught:
        TokenSource(command.command).token()
    assert "access_token" in str(caught.value)
    assert "secret-in-wrong-field" not in str(caught.value)


def test_empty_output_and_missing_program_are_authentication_failures(token_command, tmp_path):
    with pytest.raises(AuthenticationFailed, match="printed nothing"):
        TokenSource(token_command("  \n").command).token()
    with pytest.raises(AuthenticationFailed, match="cannot be run"):
        TokenSource(f"{tmp_path}/no-such-program --json").token()


def test_slow_command_times_out(tmp_path):
    source = TokenSource("sleep 5", timeout=0.2)
    with pytest.raises(AuthenticationFailed, match="did not finish"):
        source.token()


def test_shared_source_runs_the_command_once_for_many_threads(token_command):
    command = token_command({"access_token": "shared", "expires_in": 3600})
    assert token_source_for(command.command) is token_source_for(command.command)
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(token_source_for(command.command)
                                                          .token())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == ["shared"] * 8
    assert command.calls() == 1


def test_tokens_are_never_logged(token_command, caplog):
    caplog.set_level(logging.DEBUG)
    command = token_command({"access_token": "never-log-me", "expires_in": 3600})
    TokenSource(command.command).token()
    assert "new access token" in caplog.text
    assert "never-log-me" not in caplog.text
