"""Staff accounts: Argon2id password hashes, creating and checking users.

Shared by the login page and `rightsbot users ...`; only hashes are stored, never passwords.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from dsr.tickets import StaffUser

ROLES = ("staff", "admin")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # Argon2 hashes anything, but a megabyte "password" is an attack
_hasher = PasswordHasher()
# Checked when the name is unknown, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only here to spend the same time")


class AccountError(ValueError):
    """A user cannot be created or changed as asked (name taken, weak password, bad role)."""


@dataclass(frozen=True)
class StaffAccount:
    """What the web view keeps about a logged-in person once the unit of work has ended."""

    id: int
    name: str
    role: str
    session_key: str  # changes with the password hash: a new password ends old sessions

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def account_of(user: StaffUser) -> StaffAccount:
    digest = hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]
    return StaffAccount(id=user.id, name=user.name, role=user.role, session_key=digest)


def check_password_rules(password: str) -> None:
    """Raise AccountError unless the password is long enough (length beats complexity rules)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"the password may have at most {MAX_PASSWORD_LENGTH} characters")


def find_user(session: Session, name: str) -> StaffUser | None:
    return session.execute(
        select(StaffUser).where(StaffUser.name == name.strip())).scalar_one_or_none()


def create_user(session: Session, name: str, password: str, role: str,
                now: datetime) -> StaffUser:
    """Add an active user with an Argon2id hash; AccountError if the name or password won't do."""
    name = name.strip()
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        raise AccountError("a user name is 1-100 characters without spaces")
    if role not in ROLES:
        raise AccountError(f"the role must be one of: {', '.join(ROLES)}")
    check_password_rules(password)
    if find_user(session, name) is not None:
        raise AccountError(f"there is already a user called {name!r}")
    user = StaffUser(name=name, password_hash=_hasher.hash(password), role=role, active=True,
                     created_at=now)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, name: str, password: str, now: datetime) -> StaffUser | None:
    """The active user with this name and password (last login recorded), else None."""
    user = find_user(session, name) if name.strip() else None
    if len(password) > MAX_PASSWORD_LENGTH:
        return None
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now
    return user


def list_users(session: Session) -> list[StaffUser]:
    return list(session.execute(select(StaffUser).order_by(StaffUser.name)).scalars())
