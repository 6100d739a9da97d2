"""Statutory deadline arithmetic: one calendar month from receipt, to the next working day.

UK policy (ICO guidance): the corresponding calendar date in the next month; where that month
has no such date, its last day; a deadline on a weekend or an England & Wales bank holiday
moves to the next working day. EU/NL policy (Regulation 1182/71, Art. 3): the period ends on
the same date in the last month (last day if there is none) and moves past Saturdays, Sundays
and public holidays, here the Dutch ones.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import lru_cache

import holidays

POLICIES = ("uk", "eu", "nl")


def add_months(start: date, months: int) -> date:
    """The same date `months` later, or the last day of that month where there is none."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last_day))


@lru_cache(maxsize=8)
def _calendar(policy: str) -> holidays.HolidayBase:
    if policy == "uk":
        return holidays.country_holidays("GB", subdiv="ENG")
    if policy in ("eu", "nl"):
        return holidays.country_holidays("NL")
    raise ValueError(f"unknown deadline policy {policy!r} (known: {', '.join(POLICIES)})")


def is_working_day(day: date, policy: str) -> bool:
    return day.weekday() < 5 and day not in _calendar(policy)


def next_working_day(day: date, policy: str) -> date:
    """`day` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day, policy):
        day += timedelta(days=1)
    return day


def due_on(received: date, policy: str = "uk", months: int = 1) -> date:
    """The last day to respond to a request received on `received` (Art. 12(3))."""
    return next_working_day(add_months(received, months), policy)
