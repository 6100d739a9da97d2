"""Deadline arithmetic: calendar month, month ends, weekends, bank holidays, both policies."""

from __future__ import annotations

from datetime import date

import pytest

from dsr.deadlines import add_months, due_on


@pytest.mark.parametrize(("received", "expected"), [
    (date(2026, 3, 10), date(2026, 4, 10)),   # ordinary: same date next month (a Friday)
    (date(2026, 3, 3), date(2026, 4, 7)),     # 3 Apr Good Friday, weekend, 6 Apr Easter Monday
    (date(2026, 1, 31), date(2026, 3, 2)),    # no 31 Feb -> 28 Feb (Sat) -> Mon 2 Mar
    (date(2026, 3, 31), date(2026, 4, 30)),   # no 31 Apr -> 30 Apr (Thu)
    (date(2026, 2, 6), date(2026, 3, 6)),     # Fri -> Fri
    (date(2026, 4, 4), date(2026, 5, 5)),     # 4 May 2026 is the Early May bank holiday
    (date(2026, 11, 25), date(2026, 12, 29)), # 25 Dec, 26 Dec (Sat), 28 Dec substitute holiday
    (date(2026, 7, 31), date(2026, 9, 1)),    # 31 Aug 2026: Summer bank holiday (England)
    (date(2028, 1, 29), date(2028, 2, 29)),   # leap year: 29 Feb exists in 2028
])
def test_uk_policy(received, expected):
    assert due_on(received, "uk") == expected


@pytest.mark.parametrize(("received", "expected"), [
    (date(2026, 3, 27), date(2026, 4, 28)),   # 27 Apr = Koningsdag (Mon) -> Tue 28 Apr
    (date(2026, 7, 31), date(2026, 8, 31)),   # 31 Aug is a working day in the Netherlands
    (date(2026, 11, 25), date(2026, 12, 28)), # 25/26 Dec holidays; 28 Dec is a working day
    (date(2026, 4, 5), date(2026, 5, 5)),     # Bevrijdingsdag 2026: not a day off every year
    (date(2026, 1, 31), date(2026, 3, 2)),    # month end + weekend
])
def test_eu_policy_uses_dutch_public_holidays(received, expected):
    assert due_on(received, "eu") == expected


def test_extension_months():
    assert add_months(date(2026, 1, 31), 3) == date(2026, 4, 30)
    assert due_on(date(2026, 1, 31), "uk", months=3) == date(2026, 4, 30)


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="unknown deadline policy"):
        due_on(date(2026, 1, 1), "mars")
