"""The only imapclient user: log in, remember UIDVALIDITY and the last UID, fetch with PEEK.

The mailbox is shared with people, so the folder is opened read-only (EXAMINE): no flag,
no move, no delete, ever. Progress lives in the database, written with each outcome.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from dsr.config import InboxSettings
from dsr.errors import AuthenticationFailed, ConfigError, TransientError
from dsr.tokens import token_source_for
from intake.pipeline import Incoming, SourceCursor

log = logging.getLogger(__name__)
IMAP_ERRORS = (IMAPClientError, OSError, socket.timeout, ssl.SSLError, EOFError)


class ImapMailbox:
    """One IMAP folder; connect() before use, close() after."""

    def __init__(self, settings: InboxSettings) -> None:
        self.settings = settings
        self.client: IMAPClient | None = None
        self.uidvalidity = 0
        self.name = f"imap:{settings.user}@{settings.host}:{settings.port}/{settings.folder}"

    @property
    def oauth_refresh_expires_at(self) -> datetime | None:
        """When the OAuth refresh token behind token_command expires, if it said (naive UTC)."""
        if self.settings.auth != "xoauth2" or not self.settings.token_command:
            return None
        return token_source_for(self.settings.token_command,
                                self.settings.timeout).refresh_expires_at

    def connect(self) -> None:
        s = self.settings
        where = f"IMAP {s.host}:{s.port}"
        context = _tls_context(s.ca_file, where) if s.security != "none" else None
        try:
            client = IMAPClient(s.host, port=s.port, ssl=s.security == "ssl",
                                ssl_context=context, timeout=s.timeout)
        except ssl.SSLCertVerificationError as exc:
            raise TransientError(_verify_failed(where, exc)) from exc
        except IMAP_ERRORS as exc:
            raise TransientError(f"{where} unavailable: {exc}") from exc
        try:
            if s.security == "starttls":
                # Without STARTTLS the password would go out in clear: never fall back.
                if b"STARTTLS" not in client.capabilities():
                    raise TransientError(f"{where} does not offer STARTTLS: refusing to log in "
                                         "without TLS (security = \"starttls\")")
                client.starttls(context)
            client.normalise_times = False
            self._login(client)
        except ssl.SSLCertVerificationError as exc:
            _shutdown(client)
            raise TransientError(_verify_failed(where, exc)) from exc
        except TransientError:
            _shutdown(client)
            raise
        except IMAP_ERRORS as exc:
            _shutdown(client)
            raise TransientError(f"{where} unavailable: {exc}") from exc
        try:
            info = client.select_folder(s.folder, readonly=True)
        except IMAPClientAbortError as exc:
            _shutdown(client)
            raise TransientError(f"{where} unavailable: {exc}") from exc
        except IMAPClientError as exc:
            # A missing or renamed folder: say which, the server's words follow.
            _shutdown(client)
            raise TransientError(f"IMAP folder {s.folder!r} cannot be opened: {exc}") from exc
        except IMAP_ERRORS as exc:
            _shutdown(client)
            raise TransientError(f"{where} unavailable: {exc}") from exc
        self.client = client
        self.uidvalidity = int(info[b"UIDVALIDITY"])

    def _login(self, client: IMAPClient) -> None:
        """Password or XOAUTH2; a refused token is fetched afresh once before giving up.

        Raises AuthenticationFailed when the server refuses us (staff must act)."""
        s = self.settings
        if s.auth != "xoauth2":
            try:
                client.login(s.user, s.password)
            except LoginError as exc:
                if isinstance(exc.__context__, IMAPClientAbortError):
                    raise  # imapclient calls a lost connection a LoginError too
                raise AuthenticationFailed(f"IMAP login refused for {s.user}: {exc}") from exc
            return
        tokens = token_source_for(s.token_command, s.timeout)
        for attempt in (1, 2):
            try:
                client.oauth2_login(s.user, tokens.token())
                return
            except LoginError as exc:
                if isinstance(exc.__context__, IMAPClientAbortError):
                    raise  # imapclient calls a lost connection a LoginError too
                # Revoked or expired early (password change, admin action): one fresh token.
                tokens.invalidate()
                if attempt == 2:
                    raise AuthenticationFailed(f"IMAP login refused for {s.user} (XOAUTH2, "
                                               f"also with a fresh token): {exc}") from exc
                log.warning("mailbox=%s XOAUTH2 token refused; fetching a new one", self.name)

    def close(self) -> None:
        if self.client is None:
            return
        try:
            self.client.logout()
        except IMAP_ERRORS:
            _shutdown(self.client)  # a dead connection: close the socket all the same
        self.client = None

    def new_messages(self, last_uid: int, batch_size: int) -> Iterator[Incoming]:
        """Messages with UID > last_uid, oldest first, fetched in batches with BODY.PEEK[]."""
        return self.fetch(self.new_uids(last_uid), batch_size)

    def new_uids(self, last_uid: int) -> list[int]:
        """UIDs above last_uid, ascending."""
        client = self._require()
        try:
            # "UID n:*" always includes the highest UID even when it is below n: filter.
            return sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)
        except IMAP_ERRORS as exc:
            raise TransientError(f"IMAP search failed: {exc}") from exc

    def fetch(self, uids: list[int], batch_size: int) -> Iterator[Incoming]:
        """These messages, in order, fetched in batches with BODY.PEEK[] (never sets \\Seen)."""
        client = self._require()
        for start in range(0, len(uids), batch_size):
            batch = uids[start:start + batch_size]
            try:
                data = client.fetch(batch, ["BODY.PEEK[]", "INTERNALDATE"])
            except IMAP_ERRORS as exc:
                raise TransientError(f"IMAP fetch failed: {exc}") from exc
            for uid in batch:
                item = data.pop(uid, None)  # dropped as we go: a batch holds up to MBs
                if item is None:
                    continue  # expunged by someone between SEARCH and FETCH
                yield Incoming(
                    source_key=f"{self.name}:{self.uidvalidity}:{uid}",
                    raw=bytes(item.get(b"BODY[]") or b""),
                    received_at=_utc(item.get(b"INTERNALDATE")),
                    cursor=SourceCursor(self.name, self.uidvalidity, uid),
                )
            del data

    def has_idle(self) -> bool:
        return b"IDLE" in self._require().capabilities()

    def wait_for_news(self, timeout: float, stop: threading.Event | None = None) -> bool:
        """IDLE until the server reports new mail, `timeout` seconds pass or `stop` is set;
        True on news. The stop flag is looked at every second, so shutdown is prompt."""
        client = self._require()
        deadline = time.monotonic() + timeout
        news, bye = False, None
        try:
            # Mail that arrived since our last SEARCH is not announced once IDLE starts
            # (Dovecot reports only later changes): a NOOP makes the server say so first.
            _, untagged = client.noop()
            if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in untagged):
                return True
            client.idle()
            try:
                while not news and bye is None and time.monotonic() < deadline:
                    if stop is not None and stop.is_set():
                        break
                    wait = min(1.0, max(0.0, deadline - time.monotonic()))
                    started = time.monotonic()
                    responses: list[Any] = client.idle_check(timeout=wait)
                    bye = next((r for r in responses if r and r[0] == b"BYE"), None)
                    news = any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses)
                    if not responses and time.monotonic() - started < wait / 2:
                        # Readable yet nothing to read: imapclient's idle_check hides EOF.
                        # Leave IDLE now; idle_done() meets the closed connection and says so.
                        break
            finally:
                if bye is None:
                    client.idle_done()
        except IMAP_ERRORS as exc:
            raise TransientError(f"IMAP IDLE failed: {type(exc).__name__}: {exc}") from exc
        if bye is not None:
            # Dovecot says BYE when the folder is renamed or its UIDVALIDITY changes.
            text = b" ".join(part for part in bye[1:] if isinstance(part, bytes))
            said = text.decode("utf-8", "replace")
            raise TransientError(f"IMAP server ended the session: {said}")
        return news

    def _require(self) -> IMAPClient:
        if self.client is None:
            raise ConfigError("ImapMailbox used before connect()")
        return self.client


def _tls_context(ca_file: str, where: str) -> ssl.SSLContext:
    """Certificates and host names are always checked; ca_file adds a private CA to the
    system's, it never switches checking off."""
    context = ssl.create_default_context()
    if ca_file:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise TransientError(f"{where}: ca_file {ca_file} cannot be used: {exc}") from exc
    return context


def _verify_failed(where: str, exc: ssl.SSLCertVerificationError) -> str:
    return (f"{where} TLS certificate verify failed: {exc.verify_message} (set ca_file for a "
            "private CA; verification cannot be switched off)")


def _shutdown(client: IMAPClient) -> None:
    try:
        client.shutdown()
    except IMAP_ERRORS:
        pass


def _utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)
    return datetime.now(UTC).replace(tzinfo=None)
