"""The embedded default source: a local Maildir (drop an .eml into var/mail/new).

After a message's outcome is committed it moves from new/ to cur/ without flags, as any
mail reader does, so it still shows as unread. Files in cur/ that were never recorded
(a crash between commit and move, or a reader that moved them) are picked up too.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from intake.pipeline import Incoming

log = logging.getLogger(__name__)
MAX_BYTES = 50 * 1024 * 1024


class MaildirSource:
    def __init__(self, path: Path, mailbox: str = "inbox") -> None:
        self.path = path
        self.mailbox = mailbox  # the configured name, recorded with each message
        # cur/ files already handled in this process: not re-read on every pass.
        self._known: set[str] = set()

    def ensure(self) -> None:
        for sub in ("new", "cur", "tmp"):
            (self.path / sub).mkdir(parents=True, exist_ok=True)

    def messages(self) -> Iterator[tuple[Incoming, Path]]:
        """Every message file, oldest delivery first, as Incoming plus its path."""
        self.ensure()
        entries: list[tuple[float, Path]] = []
        for sub in ("new", "cur"):
            with os.scandir(self.path / sub) as it:
                for entry in it:
                    if entry.is_file() and not entry.name.startswith("."):
                        entries.append((entry.stat().st_mtime, Path(entry.path)))
        entries.sort()
        for mtime, path in entries:
            if path.name in self._known:
                continue
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                continue  # moved by a mail reader meanwhile; it will show up in cur/
            base = path.name.split(":2,", 1)[0]
            # Name plus content hash: a file name reused for another message is a new key.
            key = f"maildir:{base}:{hashlib.sha256(raw).hexdigest()[:16]}"
            received = datetime.fromtimestamp(mtime, UTC).replace(tzinfo=None)
            yield Incoming(source_key=key, raw=raw, received_at=received), path

    def mark_seen_by_us(self, path: Path) -> None:
        """new/ -> cur/ with no flags: handled by us, still unread for people."""
        if path.parent.name != "new":
            self._known.add(path.name)
            return
        target = self.path / "cur" / (path.name if ":2," in path.name else path.name + ":2,")
        try:
            os.replace(path, target)
        except FileNotFoundError:
            return
        self._known.add(target.name)
