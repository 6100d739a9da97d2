"""Login throttling in memory: failed attempts per (name, address) and per address.

Kept per process: with one waitress process (what `rightsbot run` starts) that is the whole
picture; several worker processes would each count on their own.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

WINDOW_SECONDS = 15 * 60
FAILURES_PER_NAME = 5      # per name and address: stops guessing one person's password
FAILURES_PER_ADDRESS = 30  # per address over all names: stops spraying many names
MAX_KEYS = 10_000          # oldest keys are forgotten first, so memory stays bounded


class LoginThrottle:
    """Counts failures in a sliding window; `is_blocked` says when to answer 429."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _keys(name: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("name", f"{name.strip().lower()}|{address}"), ("address", address)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - WINDOW_SECONDS:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def is_blocked(self, name: str, address: str) -> bool:
        by_name, by_address = self._keys(name, address)
        with self._lock:
            now = self._clock()
            return (len(self._recent(by_name, now)) >= FAILURES_PER_NAME
                    or len(self._recent(by_address, now)) >= FAILURES_PER_ADDRESS)

    def record_failure(self, name: str, address: str) -> None:
        with self._lock:
            now = self._clock()
            for key in self._keys(name, address):
                times = self._failures.setdefault(key, deque())
                times.append(now)
                self._failures.move_to_end(key)
            while len(self._failures) > MAX_KEYS:
                self._failures.popitem(last=False)

    def record_success(self, name: str, address: str) -> None:
        by_name, _ = self._keys(name, address)
        with self._lock:
            self._failures.pop(by_name, None)
