"""Login throttling: failed attempts per (name, address) and per address, in the database.

Kept in the database rather than in memory so that several `rightsbot run` workers behind
one proxy count together: in memory, N workers would allow N times the guesses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select

from dsr.store import Store, utcnow
from dsr.tickets import LoginFailure

WINDOW = timedelta(minutes=15)
FAILURES_PER_NAME = 5      # per name and address: stops guessing one person's password
FAILURES_PER_ADDRESS = 30  # per address over all names: stops spraying many names


class LoginThrottle:
    """Counts failures in a sliding window; `is_blocked` says when to answer 429."""

    def __init__(self, store: Callable[[], Store], clock: Callable[[], datetime] = utcnow) -> None:
        self._store = store
        self._clock = clock

    @staticmethod
    def _name_key(name: str, address: str) -> str:
        return f"{name.strip().lower()}|{address}"[:400]

    def is_blocked(self, name: str, address: str) -> bool:
        since = self._clock() - WINDOW
        with self._store().unit_of_work() as db:
            def count(*where: ColumnElement[bool]) -> int:
                return int(db.execute(select(func.count()).select_from(LoginFailure)
                                      .where(LoginFailure.at > since, *where)).scalar_one())
            return (count(LoginFailure.name_key == self._name_key(name, address))
                    >= FAILURES_PER_NAME
                    or count(LoginFailure.address == address[:100]) >= FAILURES_PER_ADDRESS)

    def record_failure(self, name: str, address: str) -> None:
        now = self._clock()
        with self._store().unit_of_work() as db:
            db.add(LoginFailure(name_key=self._name_key(name, address), address=address[:100],
                                at=now))
            # Forget what has left the window: the table stays as small as the attacks.
            db.execute(delete(LoginFailure).where(LoginFailure.at <= now - WINDOW))

    def record_success(self, name: str, address: str) -> None:
        with self._store().unit_of_work() as db:
            db.execute(delete(LoginFailure).where(
                LoginFailure.name_key == self._name_key(name, address)))
