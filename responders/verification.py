"""Identity checks by control of the address: a signed single-use link, or a code in a reply.

Only a hash of the code is stored. The link carries the code signed with the web secret
(itsdangerous), so a forged or altered link fails before the database is asked; the expiry
is checked twice (signature age and the stored row) and the row is marked used on success.
The page behind the link confirms only on POST, so mail scanners that fetch links do not.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from dsr.tickets import Ticket, VerificationToken

SALT = "rightsbot-verify-v1"
# Unambiguous letters and digits (no 0/O, 1/I/L) so a code read aloud or retyped works.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_RE = re.compile(r"\bRB-([A-Z2-9]{4})-([A-Z2-9]{4})\b")


@dataclass(frozen=True)
class IssuedCheck:
    code: str
    link_token: str
    expires_at: datetime


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    if not secret_key:
        raise ValueError("web.secret_key is empty: verification links cannot be signed")
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def issue_check(session: Session, ticket: Ticket, secret_key: str, now: datetime,
                days: int) -> IssuedCheck:
    """A fresh code and signed link for `ticket`; only the code's hash is stored."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(8))
    code = f"RB-{raw[:4]}-{raw[4:]}"
    expires = now + timedelta(days=days)
    session.add(VerificationToken(ticket=ticket, code_hash=_hash(code), created_at=now,
                                  expires_at=expires))
    return IssuedCheck(code, _serializer(secret_key).dumps(code), expires)


def code_from_link(link_token: str, secret_key: str, max_age_days: int) -> str | None:
    """The code inside a signed link, or None if it was forged, altered or is too old."""
    try:
        code = _serializer(secret_key).loads(link_token, max_age=max_age_days * 86400)
    except (SignatureExpired, BadSignature):
        return None
    return code if isinstance(code, str) else None


def find_valid(session: Session, code: str, now: datetime,
               ticket: Ticket | None = None) -> VerificationToken | None:
    """The unused, unexpired token for `code` (and `ticket`, when given)."""
    query = select(VerificationToken).where(VerificationToken.code_hash == _hash(code))
    token = session.execute(query).scalar_one_or_none()
    if token is None or token.used_at is not None or token.expires_at < now:
        return None
    if ticket is not None and token.ticket_id != ticket.id:
        return None
    return token


def codes_in(text: str) -> list[str]:
    """Codes of the form RB-XXXX-XXXX found in a subject or body."""
    return [f"RB-{a}-{b}" for a, b in CODE_RE.findall(text.upper())]


