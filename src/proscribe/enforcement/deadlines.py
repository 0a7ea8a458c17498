"""When reports to OFAC are due, on the US federal business-day calendar.

* A report of blocked property is due within 10 business days of the property becoming blocked
  (31 CFR 501.603), and a report of a rejected transaction within 10 business days of the
  rejection (31 CFR 501.604).
* The annual report of blocked property covers what is held on 30 June and is due by
  30 September (31 CFR 501.603(b)(2)).

A business day is a weekday that is not a legal public holiday (5 U.S.C. 6103(a), the `holidays`
package's US "public" calendar: New Year's Day through Christmas) and not Inauguration Day, a
holiday by statute for federal employees in the Washington area, where OFAC is (5 U.S.C. 6103(c)).
Part 501 does not define "business day". Days the federal government is closed **only by executive
order** (Christmas Eve 2024, the National Day of Mourning of 9 January 2025, 24 and 26 December 2025)
are **counted** as business days: that gives the earlier deadline, which is on time under either
reading, where Treasury's definition for another part (31 CFR 802.201, which excludes such days)
would give a later one. The day of the event itself is not counted: property blocked on a Monday
with no holiday that week has its report due ten business days later, on the second Monday after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

#: business days allowed for the blocked-property and rejected-transaction reports
REPORT_BUSINESS_DAYS = 10


def inauguration_day(year: int) -> date | None:
    """20 January after a presidential election (21 January when the 20th is a Sunday), else None."""
    if year < 1965 or (year - 1965) % 4:
        return None
    day = date(year, 1, 20)
    return day + timedelta(days=1) if day.weekday() == 6 else day


@lru_cache(maxsize=64)
def _legal_holidays(year: int) -> frozenset[date]:
    """The legal public holidays of 5 U.S.C. 6103 (as observed), and Inauguration Day."""
    calendar = set(holidays.country_holidays("US", years=year, categories=("public",)))
    inauguration = inauguration_day(year)
    if inauguration is not None:
        calendar.add(inauguration)
    return frozenset(calendar)


def is_business_day(day: date) -> bool:
    """A weekday that is not a legal public holiday; a closure by executive order alone counts."""
    return day.weekday() < 5 and day not in _legal_holidays(day.year)


def add_business_days(start: date, days: int) -> date:
    """The ``days``-th business day after ``start`` (``start`` itself is not counted)."""
    if days < 0:
        raise ValueError(f"days must not be negative, not {days}")
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_business_day(day):
            counted += 1
    return day


@dataclass(frozen=True)
class Deadline:
    """A report that is due: what, on what event, by when, under which rule."""

    report: str
    event_date: date
    due: date
    rule: str


def blocked_property_report(blocked_on: date) -> Deadline:
    return Deadline(
        "blocked property report",
        blocked_on,
        add_business_days(blocked_on, REPORT_BUSINESS_DAYS),
        "31 CFR 501.603: within 10 business days of the property becoming blocked",
    )


def rejected_transaction_report(rejected_on: date) -> Deadline:
    return Deadline(
        "rejected transaction report",
        rejected_on,
        add_business_days(rejected_on, REPORT_BUSINESS_DAYS),
        "31 CFR 501.604: within 10 business days of the rejection",
    )


def unblocking_report(unblocked_on: date) -> Deadline:
    """A report of blocked property unblocked or transferred: 10 business days (31 CFR 501.603(b)(3))."""
    return Deadline(
        "unblocking report",
        unblocked_on,
        add_business_days(unblocked_on, REPORT_BUSINESS_DAYS),
        "31 CFR 501.603(b)(3): within 10 business days from the date blocked property is unblocked "
        "or transferred (89 FR 40372; exceptions added by 89 FR 81358, effective 7 November 2024)",
    )


def annual_blocked_property_report(year: int) -> Deadline:
    """The annual report of property blocked as of 30 June ``year``, due 30 September."""
    return Deadline(
        "annual report of blocked property",
        date(year, 6, 30),
        date(year, 9, 30),
        "31 CFR 501.603(b)(2): property blocked as of 30 June, reported by 30 September",
    )
