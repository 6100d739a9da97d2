"""Signals for staff on a new ticket: sender authentication, third parties, forwarders, repeats.

None of these decide anything; they are shown on the ticket so staff can judge identity.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import authres
from sqlalchemy import select
from sqlalchemy.orm import Session

from dsr.tickets import Ticket
from intake.mime import ParsedMessage

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ON_BEHALF = re.compile(
    r"\b(on behalf of|acting for|my client|our client|namens|in opdracht van|mijn cliënt|"
    r"im auftrag|im namen|meines mandanten|meiner mandantin|au nom de|pour le compte de|"
    r"mon client|ma cliente)\b", re.IGNORECASE)
_FORWARD_HEADERS = ("resent-from", "x-forwarded-for", "x-forwarded-to", "x-original-from")


def authentication(msg: ParsedMessage, trusted_authserv_id: str) -> dict[str, str]:
    """SPF/DKIM/DMARC verdicts from the receiving server's Authentication-Results header.

    Only the topmost header (added by our own server) counts, and only when its authserv-id
    matches the configured one, when one is configured: senders can forge lower ones.
    """
    value = msg.headers.get("authentication-results")
    if not value:
        return {}
    try:
        header = authres.AuthenticationResultsHeader.parse(f"Authentication-Results: {value}")
    except Exception:  # authres raises its own and generic errors on bad input
        return {"error": "unreadable Authentication-Results header"}
    if trusted_authserv_id and header.authserv_id != trusted_authserv_id:
        return {"untrusted": str(header.authserv_id)}
    verdicts: dict[str, str] = {"authserv_id": str(header.authserv_id)}
    for result in header.results:
        if result.method in ("spf", "dkim", "dmarc") and result.method not in verdicts:
            verdicts[result.method] = str(result.result)
    return verdicts


def third_party(msg: ParsedMessage) -> dict[str, Any]:
    """The request names another address or speaks for someone else."""
    text = msg.new_text
    others = sorted({a.lower() for a in _EMAIL.findall(text)} - {msg.sender})[:5]
    phrase = _ON_BEHALF.search(text)
    found: dict[str, Any] = {}
    if others:
        found["other_addresses"] = others
    if phrase:
        found["phrase"] = phrase.group(0)
    return found


def forwarded(msg: ParsedMessage) -> dict[str, Any]:
    """Arrived through a forwarding service or with a reply address that is not the sender."""
    found: dict[str, Any] = {}
    headers = [h for h in _FORWARD_HEADERS if h in msg.headers]
    if headers:
        found["headers"] = headers
    if msg.reply_to and msg.reply_to != msg.sender:
        found["reply_to"] = msg.reply_to
    if msg.return_path and msg.return_path.lower().startswith(("srs0=", "srs1=")):
        found["srs_return_path"] = True
    return found


def repeated(session: Session, sender: str, now: datetime, window_days: int) -> list[str]:
    """References of tickets the same address opened within the window."""
    since = now - timedelta(days=window_days)
    return list(session.execute(
        select(Ticket.ref).where(Ticket.requester_email == sender, Ticket.created_at >= since)
        .order_by(Ticket.id)).scalars())


def collect(session: Session, msg: ParsedMessage, now: datetime, window_days: int,
            trusted_authserv_id: str) -> dict[str, Any]:
    signals: dict[str, Any] = {}
    for name, value in (("authentication", authentication(msg, trusted_authserv_id)),
                        ("third_party", third_party(msg)), ("forwarded", forwarded(msg)),
                        ("possibly_repeated", repeated(session, msg.sender, now, window_days))):
        if value:
            signals[name] = value
    return signals
