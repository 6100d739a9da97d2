"""OAuth2 access tokens for XOAUTH2 logins, obtained by running the configured token_command.

rightsbot never talks to Microsoft or Google itself: `token_command` (a provider CLI, a
script around a refresh token) prints either a bare access token or JSON
{"access_token", "expires_in" | "expires_at", "refresh_token_expires_at"}. The token is
cached and the command runs again when there is none, when it is within a minute of expiry,
or after invalidate() (the server refused it). Tokens never reach a log or an error message.
"""

from __future__ import annotations

import json
import logging
import shlex
import subprocess
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from dsr.errors import AuthenticationFailed

log = logging.getLogger(__name__)
# Refresh this long before the token expires: a login must not race the expiry.
EARLY = timedelta(seconds=60)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class TokenSource:
    """The access token printed by one token_command, cached until shortly before expiry."""

    def __init__(self, command: str, timeout: float = 30.0,
                 clock: Callable[[], datetime] = _utcnow) -> None:
        self.command = command
        self.timeout = timeout
        self.clock = clock
        self.refresh_expires_at: datetime | None = None  # naive UTC, when the command says
        self._token = ""
        self._expires_at: datetime | None = None
        self._lock = threading.Lock()

    def token(self) -> str:
        """A current access token. Raises AuthenticationFailed when the command fails."""
        with self._lock:
            if not self._token or (self._expires_at is not None
                                   and self.clock() >= self._expires_at - EARLY):
                self._token, self._expires_at = self._run()
            return self._token

    def invalidate(self) -> None:
        """Forget the cached token: the server refused it, the next token() runs the command."""
        with self._lock:
            self._token, self._expires_at = "", None

    def _run(self) -> tuple[str, datetime | None]:
        name = shlex.split(self.command)[0] if self.command.strip() else "''"
        try:
            done = subprocess.run(shlex.split(self.command), capture_output=True, text=True,
                                  timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired:
            raise AuthenticationFailed(f"token_command {name} did not finish within "
                                       f"{self.timeout:.0f}s") from None
        except (OSError, ValueError) as exc:
            raise AuthenticationFailed(f"token_command {name} cannot be run: {exc}") from None
        if done.returncode != 0:
            raise AuthenticationFailed(f"token_command {name} failed with exit code "
                                       f"{done.returncode}: {_last_line(done.stderr)}")
        token, expires_at, refresh = _parse(done.stdout, self.clock(), name)
        if refresh is not None:
            self.refresh_expires_at = refresh
        log.info("token_command %s gave a new access token (expires %s)", name,
                 expires_at.isoformat(timespec="seconds") if expires_at else "unknown")
        return token, expires_at


def _parse(output: str, now: datetime,
           name: str) -> tuple[str, datetime | None, datetime | None]:
    text = output.strip()
    if not text:
        raise AuthenticationFailed(f"token_command {name} printed nothing")
    if not text.endswith("}"):
        # A bare access token: the last non-empty line (some CLIs print a banner first).
        return text.splitlines()[-1].strip(), None, None
    try:
        data = json.loads(text[text.find("{"):])  # JSON, perhaps after a banner line
        token = data["access_token"]
        if not isinstance(token, str) or not token.strip():
            raise ValueError("access_token is empty")
        expires_at: datetime | None = None
        if data.get("expires_in") is not None:
            expires_at = now + timedelta(seconds=float(data["expires_in"]))
        elif data.get("expires_at"):
            expires_at = _naive_utc(data["expires_at"])
        refresh = data.get("refresh_token_expires_at")
        return token.strip(), expires_at, _naive_utc(refresh) if refresh else None
    except (ValueError, KeyError, TypeError) as exc:
        # The message names what is wrong, never the output (it holds the token).
        what = f"no {exc}" if isinstance(exc, KeyError) else type(exc).__name__
        raise AuthenticationFailed(f"token_command {name} printed JSON rightsbot cannot use "
                                   f"({what}); expected access_token, expires_in or "
                                   "expires_at") from None


def _naive_utc(value: str) -> datetime:
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _last_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(nothing on stderr)"


_sources: dict[str, TokenSource] = {}
_sources_lock = threading.Lock()


def token_source_for(command: str, timeout: float = 30.0) -> TokenSource:
    """The one TokenSource for this command: reconnects reuse its cached token."""
    with _sources_lock:
        source = _sources.get(command)
        if source is None:
            source = _sources[command] = TokenSource(command, timeout)
        return source
