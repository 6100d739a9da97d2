"""Render a template into a complete EmailMessage with safe headers and threading.

Every value that came from an email (a name, a subject) reaches a header only through
`safe_header`, so it can never add a header or a recipient.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).parent / "templates"
FALLBACK_LANGUAGE = "en"
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def safe_header(value: str, limit: int = 300) -> str:
    """One header-safe line: CR, LF and other control characters become spaces, and "=?" is
    broken up so no RFC 2047 encoded word can smuggle a line break (CVE-2024-6923)."""
    flat = re.sub(r"\s{2,}", " ", _UNSAFE.sub(" ", value)).strip()
    return flat.replace("=?", "= ?")[:limit]


# Every kind of mail the bot and staff send; each has a template in every language served.
KINDS = ("acknowledgement", "identity_check", "information_request", "extension_notice",
         "staff_reply", "completed", "refused", "withdrawn", "complaint_acknowledgement",
         "marketing_confirmation")

@lru_cache(maxsize=8)
def environment(override_dir: str = "") -> Environment:
    loaders = [FileSystemLoader(override_dir)] if override_dir else []
    loaders.append(FileSystemLoader(str(TEMPLATES)))
    # Plain-text mail: no HTML autoescaping; StrictUndefined so a missing value fails loudly.
    return Environment(loader=ChoiceLoader(loaders), undefined=StrictUndefined,  # noqa: S701
                       keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)


def template_language(kind: str, language: str, override_dir: str = "") -> str:
    env = environment(override_dir)
    try:
        env.get_template(f"{language}/{kind}.txt.j2")
        return language
    except Exception:  # jinja2.TemplateNotFound
        return FALLBACK_LANGUAGE


def render(kind: str, language: str, context: Mapping[str, Any],
           override_dir: str = "") -> tuple[str, str]:
    """(subject, body) from templates/<lang>/<kind>.txt.j2; the first line is 'Subject: ...'."""
    env = environment(override_dir)
    language = template_language(kind, language, override_dir)
    text = env.get_template(f"{language}/{kind}.txt.j2").render(**context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"template {language}/{kind} must start with a 'Subject:' line")
    return first[len("Subject:"):].strip(), body.lstrip("\n")


def new_message_id(domain: str, label: str) -> str:
    return f"<{safe_header(label, 60).replace(' ', '-')}.{secrets.token_hex(8)}@{domain}>"


def build_message(*, sender: str, sender_name: str, recipient: str, recipient_name: str,
                  subject: str, body: str, message_id: str, language: str,
                  in_reply_to: str | None = None, references: Sequence[str] = (),
                  now: datetime | None = None,
                  auto_submitted: str = "auto-replied") -> EmailMessage:
    """A complete outgoing message: RFC 3834 marked, threaded, with injection-proof headers."""
    msg = EmailMessage()
    msg["From"] = Address(display_name=safe_header(sender_name), addr_spec=sender)
    msg["To"] = Address(display_name=safe_header(recipient_name), addr_spec=safe_header(recipient))
    msg["Subject"] = safe_header(subject, 250)
    msg["Date"] = format_datetime((now or datetime.now(UTC)).replace(tzinfo=UTC))
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = safe_header(in_reply_to, 500)
    chain = [safe_header(r, 500) for r in references if r][-10:]
    if in_reply_to and safe_header(in_reply_to, 500) not in chain:
        chain.append(safe_header(in_reply_to, 500))
    if chain:
        msg["References"] = " ".join(chain)
    # RFC 3834: mark our mail as automatic, and ask other robots not to answer it.
    msg["Auto-Submitted"] = auto_submitted
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Rightsbot"] = "1"
    msg.set_content(body)
    msg["Content-Language"] = language  # after set_content, which drops Content-* headers
    return msg
