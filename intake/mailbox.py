"""The only imapclient user: log in, remember UIDVALIDITY and the last UID, fetch with PEEK.

The mailbox is shared with people, so the folder is opened read-only (EXAMINE): no flag,
no move, no delete, ever. Progress lives in the database, written with each outcome.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from dsr.config import InboxSettings
from dsr.errors import ConfigError, TransientError
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

    def connect(self) -> None:
        s = self.settings
        try:
            context = ssl.create_default_context(cafile=s.ca_file or None)
            client = IMAPClient(s.host, port=s.port, ssl=s.security == "ssl",
                                ssl_context=context, timeout=s.timeout)
        except IMAP_ERRORS as exc:
            raise TransientError(f"IMAP {s.host}:{s.port} unavailable: {exc}") from exc
        try:
            if s.security == "starttls":
                client.starttls(context)
            client.normalise_times = False
            client.login(s.user, s.password)
            info = client.select_folder(s.folder, readonly=True)
        except LoginError as exc:
            _shutdown(client)
            raise TransientError(f"IMAP login refused for {s.user}: {exc}") from exc
        except IMAP_ERRORS as exc:
            _shutdown(client)
            raise TransientError(f"IMAP {s.host}:{s.port} unavailable: {exc}") from exc
        self.client = client
        self.uidvalidity = int(info[b"UIDVALIDITY"])

    def close(self) -> None:
        if self.client is None:
            return
        try:
            self.client.logout()
        except IMAP_ERRORS:
            pass
        self.client = None

    def new_messages(self, last_uid: int, batch_size: int) -> Iterator[Incoming]:
        """Messages with UID > last_uid, oldest first, fetched in batches with BODY.PEEK[]."""
        client = self._require()
        try:
            # "UID n:*" always includes the highest UID even when it is below n: filter.
            uids = sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)
        except IMAP_ERRORS as exc:
            raise TransientError(f"IMAP search failed: {exc}") from exc
        for start in range(0, len(uids), batch_size):
            batch = uids[start:start + batch_size]
            try:
                data = client.fetch(batch, ["BODY.PEEK[]", "INTERNALDATE"])
            except IMAP_ERRORS as exc:
                raise TransientError(f"IMAP fetch failed: {exc}") from exc
            for uid in batch:
                item = data.get(uid)
                if item is None:
                    continue  # expunged by someone between SEARCH and FETCH
                yield Incoming(
                    source_key=f"{self.name}:{self.uidvalidity}:{uid}",
                    raw=bytes(item.get(b"BODY[]") or b""),
                    received_at=_utc(item.get(b"INTERNALDATE")),
                    cursor=SourceCursor(self.name, self.uidvalidity, uid),
                )

    def has_idle(self) -> bool:
        return b"IDLE" in self._require().capabilities()

    def wait_for_news(self, timeout: float) -> bool:
        """IDLE until the server reports new mail or `timeout` seconds pass; True on news."""
        client = self._require()
        try:
            client.idle()
            try:
                responses: list[Any] = client.idle_check(timeout=timeout)
            finally:
                client.idle_done()
        except IMAP_ERRORS as exc:
            raise TransientError(f"IMAP IDLE failed: {exc}") from exc
        return any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses)

    def _require(self) -> IMAPClient:
        if self.client is None:
            raise ConfigError("ImapMailbox used before connect()")
        return self.client


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
