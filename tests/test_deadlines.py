"""Report deadlines on the federal business-day calendar, across weekends and holidays."""

from __future__ import annotations

from datetime import date

import pytest

from proscribe.enforcement.deadlines import (
    add_business_days,
    annual_blocked_property_report,
    blocked_property_report,
    is_business_day,
    rejected_transaction_report,
)


def test_plain_weeks() -> None:
    # Monday 2025-03-03, no holiday for two weeks: ten business days later is Monday 2025-03-17
    assert blocked_property_report(date(2025, 3, 3)).due == date(2025, 3, 17)
    # blocked on a Saturday: counting starts on Monday
    assert blocked_property_report(date(2025, 3, 1)).due == date(2025, 3, 14)


def test_thanksgiving() -> None:
    # Wednesday 2025-11-19: Thanksgiving (27 Nov) is skipped, so the tenth business day is 4 Dec
    assert blocked_property_report(date(2025, 11, 19)).due == date(2025, 12, 4)


def test_juneteenth_and_independence_day() -> None:
    # Thursday 2025-06-12: Juneteenth (19 Jun) skipped -> Friday 27 June
    assert rejected_transaction_report(date(2025, 6, 12)).due == date(2025, 6, 27)
    # Monday 2026-06-29: Independence Day is observed on Friday 3 July 2026 -> Tuesday 14 July
    assert rejected_transaction_report(date(2026, 6, 29)).due == date(2026, 7, 14)


def test_closures_by_executive_order_alone_are_counted() -> None:
    """Part 501 does not define a business day: legal public holidays (5 U.S.C. 6103) are not
    counted; a day closed only by executive order is (the earlier deadline, on time either way)."""
    # 9 January 2025 (National Day of Mourning) and 24 and 26 December 2025 were closures by
    # executive order, not legal public holidays
    assert is_business_day(date(2025, 1, 9))
    assert is_business_day(date(2025, 12, 24)) and is_business_day(date(2025, 12, 26))
    assert not is_business_day(date(2025, 12, 25)) and not is_business_day(date(2026, 1, 1))
    # Monday 2025-12-22: 23, 24, 26, 29, 30, 31 Dec, 2, 5, 6, 7 Jan -> Wednesday 7 January 2026
    assert blocked_property_report(date(2025, 12, 22)).due == date(2026, 1, 7)


def test_inauguration_day_is_a_holiday_in_washington() -> None:
    """5 U.S.C. 6103(c): Inauguration Day is a legal holiday for federal employees in the Washington
    area, where OFAC is: 20 January 2029 is a Saturday, but 20 January 2025 and 2033 are weekdays."""
    assert not is_business_day(date(2033, 1, 20))
    assert is_business_day(date(2033, 1, 21))


def test_annual_report() -> None:
    deadline = annual_blocked_property_report(2025)
    assert (deadline.event_date, deadline.due) == (date(2025, 6, 30), date(2025, 9, 30))
    assert "501.603" in deadline.rule


def test_negative_days_refused() -> None:
    assert add_business_days(date(2025, 3, 3), 0) == date(2025, 3, 3)
    with pytest.raises(ValueError, match="negative"):
        add_business_days(date(2025, 3, 3), -1)
