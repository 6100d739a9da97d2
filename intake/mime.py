"""Raw bytes -> ParsedMessage: headers, the best text body, attachments as metadata.

Built on the stdlib `email` package with `policy.default`. Broken MIME, unknown or lying
charsets, NUL bytes and huge parts degrade into replacement characters and recorded defects;
nothing here raises for a bad message.
"""

from __future__ import annotations

import email
import email.utils
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage, Message
from functools import lru_cache
from typing import Any

from classifier.normalize import html_to_text, new_text

# Bounds that keep one hostile message from eating the machine.
MAX_PARTS = 200
MAX_DEPTH = 20
MAX_TEXT_BYTES = 2_000_000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# What str.splitlines() (and so the email package) also takes for a line end.
_LINE_ENDS = re.compile("[\r\n\x85\u2028\u2029]")
# Parsed once per distinct value: header objects are immutable.
_REUSED_HEADERS = frozenset({"content-type", "content-disposition", "content-transfer-encoding"})
_FALLBACK_CHARSETS = ("utf-8", "cp1252")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class ParsedMessage:
    """What the pipeline needs to know about one email; safe to pass between packages."""

    message_id: str | None
    sender: str                      # lower-cased address from From ("" when there is none)
    sender_name: str
    reply_to: str
    return_path: str | None          # None = header absent; "" = null sender <>
    subject: str                     # decoded, one line, control characters removed
    date: datetime | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    headers: dict[str, str]          # selected headers, lower-case names, for the guards
    content_type: str
    text: str                        # best text body (HTML converted when there is no text)
    html_only: bool
    attachments: tuple[Attachment, ...]
    defects: tuple[str, ...] = field(default=())

    @property
    def new_text(self) -> str:
        return new_text(self.text, self.subject)

    @property
    def thread_ids(self) -> list[str]:
        return list(dict.fromkeys([*self.in_reply_to, *self.references]))


_SCREEN_HEADERS = (
    "auto-submitted", "precedence", "list-id", "list-unsubscribe", "list-post", "x-autoreply",
    "x-autorespond", "x-auto-response-suppress", "x-failed-recipients", "x-loop",
    "authentication-results", "x-mailer", "feedback-id", "x-rightsbot",
    # forwarding services (intake.signals.forwarded)
    "resent-from", "x-forwarded-for", "x-forwarded-to", "x-original-from",
)


class _Registry(HeaderRegistry):
    """policy.default's header registry, minus its two costs that do not change results.

    The stock registry builds a new class on every lookup, and the feed parser asks for the
    same Content-Type several times per part; here classes are made once per kind and MIME
    headers are parsed once per distinct (name, value).
    """

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[type[Any], type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        kind = self.registry.get(name.lower(), self.default_class)
        made = self._classes.get(kind)
        if made is None:
            made = self._classes[kind] = type("_" + kind.__name__, (kind, self.base_class), {})
        return made

    def __call__(self, name: str, value: str) -> BaseHeader:
        if name.lower() in _REUSED_HEADERS and len(value) <= 1000:
            return _reused_header(self, name, value)
        return self[name](name, value)


@lru_cache(maxsize=2048)
def _reused_header(registry: _Registry, name: str, value: str) -> BaseHeader:
    return registry[name](name, value)


POLICY = policy.default.clone(header_factory=_Registry())


def parse(raw: bytes) -> ParsedMessage:
    """Parse raw bytes; never raises for a bad message, records what it had to repair."""
    defects: list[str] = []
    msg: EmailMessage = email.message_from_bytes(raw, policy=POLICY)
    first = _first_values(msg)
    sender_name, sender = _address(msg, "from", defects)
    _, reply_to = _address(msg, "reply-to", defects)
    return_path = _plain(msg, first, "return-path", defects)
    if return_path is not None:
        return_path = email.utils.parseaddr(return_path)[1].strip().lower()
    headers = {}
    for name in _SCREEN_HEADERS:
        value = _plain(msg, first, name, defects)
        if value is not None:
            headers[name] = value
    text, html_only, attachments, content_type = _body(msg, defects)
    defects.extend(type(d).__name__ for d in msg.defects)
    return ParsedMessage(
        message_id=_message_id(_header(msg, "message-id", defects)),
        sender=sender, sender_name=sender_name, reply_to=reply_to, return_path=return_path,
        subject=one_line(_header(msg, "subject", defects) or ""),
        date=_date(_plain(msg, first, "date", defects)),
        in_reply_to=tuple(_ids(_plain(msg, first, "in-reply-to", defects))),
        references=tuple(_ids(_plain(msg, first, "references", defects))),
        headers=headers, content_type=content_type, text=text, html_only=html_only,
        attachments=tuple(attachments), defects=tuple(dict.fromkeys(defects)),
    )


def one_line(value: str, limit: int = 998) -> str:
    """A header value safe to store, show and reuse: no CR/LF or control characters, and no
    RFC 2047 encoded word left undecoded (an unknown charset, a quoted string): put back in
    a header, Python's email package would decode it, CR/LF and all (CVE-2024-6923)."""
    value = _CONTROL.sub("", _LINE_ENDS.sub(" ", value))
    return value.replace("=?", "= ?").strip()[:limit]


def _first_values(msg: Message) -> dict[str, str]:
    """Lower-case name -> the first raw value, as msg.get() would find it, without parsing."""
    first: dict[str, str] = {}
    for name, value in msg.raw_items():
        first.setdefault(name.lower(), value)
    return first


def _plain(msg: Message, first: dict[str, str], name: str, defects: list[str]) -> str | None:
    """A header we only read as text: the raw value unfolded, as policy.default would give it.

    Parsing every header through the header registry costs more than the rest of the parse;
    only values with RFC 2047 encoded words need it, and they still get it.
    """
    value = first.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or "=?" in value:
        return _header(msg, name, defects)
    return _unfold(value)


def _unfold(value: str) -> str:
    value = "".join(value.splitlines())
    if not value.isascii():
        # 8-bit header bytes arrive surrogate-escaped; decode them as the policy does.
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value


def _header(msg: Message, name: str, defects: list[str]) -> str | None:
    try:
        value = msg.get(name)
        return None if value is None else str(value)
    except Exception as exc:  # the email package raises many kinds on bad headers
        # e.g. IndexError from the stdlib's Message-ID parser on "<<<>>>": use the raw text.
        defects.append(f"header {name}: {type(exc).__name__}")
        for key, raw in msg.raw_items():
            if key.lower() == name:
                return _unfold(str(raw))
        return None


def _address(msg: Message, name: str, defects: list[str]) -> tuple[str, str]:
    value = _header(msg, name, defects)
    if not value:
        return "", ""
    display, address = email.utils.parseaddr(value)
    if "@" not in address:
        return one_line(display, 300), ""
    return one_line(display, 300), address.strip().lower()[:320]


def _message_id(value: str | None) -> str | None:
    ids = _ids(value)
    return ids[0] if ids else None


def _ids(value: str | None) -> list[str]:
    if not value:
        return []
    # An id with an encoded word in it would be decoded, CR/LF and all, when we put it in
    # In-Reply-To (CVE-2024-6923); no mail system makes such ids, so they are dropped.
    return [f"<{m}>" for m in re.findall(r"<([^<>\s]{1,490})>", value) if "=?" not in m][:100]


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return parsed
    return parsed.astimezone(UTC).replace(tzinfo=None)


def _content_type(msg: Message) -> str:
    try:
        return msg.get_content_type()
    except Exception:
        return "text/plain"


def _body(msg: Message, defects: list[str]) -> tuple[str, bool, list[Attachment], str]:
    """Best text, HTML-only flag, attachments, and the top-level content type."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    top = "text/plain"
    for part, depth in _walk(msg, defects):
        if depth == 0:
            top = _content_type(part)
        if part.is_multipart():
            continue
        ctype = top if depth == 0 else _content_type(part)
        disposition = _disposition(part)
        filename = _filename(part)
        if disposition == "attachment" or filename or not ctype.startswith("text/"):
            payload = _payload_bytes(part)
            attachments.append(Attachment(one_line(filename or "", 255), ctype, len(payload)))
            continue
        if ctype == "text/plain":
            plain.append(_decode_text(part, defects))
        elif ctype == "text/html":
            html.append(_decode_text(part, defects))
    if any(p.strip() for p in plain):
        return "\n\n".join(p for p in plain if p.strip()), False, attachments, top
    if html:
        return html_to_text("\n".join(html)), True, attachments, top
    return "", False, attachments, top


def _walk(msg: Message, defects: list[str]) -> list[tuple[Message, int]]:
    """Depth-first parts, bounded in depth and count (a 100-deep multipart is an attack)."""
    out: list[tuple[Message, int]] = []
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack and len(out) < MAX_PARTS:
        part, depth = stack.pop()
        out.append((part, depth))
        if part.is_multipart():
            if depth >= MAX_DEPTH:
                defects.append("multipart nested too deep; inner parts skipped")
                continue
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend((c, depth + 1) for c in reversed(children) if isinstance(c, Message))
    if stack:
        defects.append(f"more than {MAX_PARTS} parts; the rest skipped")
    return out


def _disposition(part: Message) -> str:
    try:
        return part.get_content_disposition() or ""
    except Exception:
        return ""


def _filename(part: Message) -> str | None:
    try:
        return part.get_filename()
    except Exception:
        return None


def _payload_bytes(part: Message) -> bytes:
    try:
        payload: Any = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", "replace") if isinstance(raw, str) else b""


def _decode_text(part: Message, defects: list[str]) -> str:
    data = _payload_bytes(part)[:MAX_TEXT_BYTES]
    declared = None
    try:
        declared = part.get_content_charset()
    except Exception:
        defects.append("unreadable charset parameter")
    for charset in ([declared] if declared else []) + list(_FALLBACK_CHARSETS):
        try:
            text = data.decode(charset)
        except (LookupError, ValueError):  # ValueError: a NUL in the charset name, too
            if charset == declared:
                defects.append(f"charset {declared!r} unknown or wrong; decoded by fallback")
            continue
        return text.replace("\x00", "")
    return data.decode("utf-8", "replace").replace("\x00", "")  # pragma: no cover
