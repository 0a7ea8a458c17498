"""Finding 11: from which date the 10 business days run, which days count, and the annual report's value."""

from __future__ import annotations

from datetime import UTC, date, datetime

from legal_helpers import D, account, block_listed, check_books, party
from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.enforcement import deadlines, ledger, reports
from proscribe.store import Store
from proscribe.store.casework import Report


def _blocked_report(store: Store, account_id: str) -> Report:
    with Session(store.engine) as s:
        return s.scalars(
            select(Report).where(Report.kind == reports.BLOCKED_PROPERTY, Report.subject_id == account_id)
        ).one()


def test_the_ten_business_days_run_from_the_date_the_property_became_blocked(store: Store) -> None:
    """31 CFR 501.603(b)(1)(i): reports are filed "within 10 business days from the date that property
    becomes blocked". Property of a designated person becomes blocked by operation of law when the
    designation takes effect and the property is in a US person's possession or control (EO 14203 §1:
    property that "is or hereafter comes within the possession or control of any United States
    person"). So the date is the later of the designation (Karim Khan: the EO 14203 annex of
    6 February 2025) and the day the institution came to hold the property, whatever day it froze it:
    an account held since January and frozen on 10 March is counted from 6 February (due 21 February,
    Presidents' Day skipped) and is overdue when it is frozen; an account opened on 3 March is counted
    from 3 March; one opened and frozen the same day, from that day."""
    frozen = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)
    with Session(store.engine) as s, s.begin():
        party(s, "C-1001", "Karim Asad Ahmad Khan")
        account(s, "A-OLD", "C-1001", "1000.00", at=datetime(2025, 1, 10, 15, 0, tzinfo=UTC))
        account(s, "A-MARCH", "C-1001", "200.00", at=datetime(2025, 3, 3, 15, 0, tzinfo=UTC))
        account(s, "A-SAME", "C-1001", "50.00", at=frozen)
        block_listed(s, "C-1001", "icc-khan-karim", "ICC-EO14203", at=frozen)
    old = _blocked_report(store, "BLK-A-OLD")
    assert (old.trigger_date, old.due_date) == (date(2025, 2, 6), date(2025, 2, 21))
    assert old.data["frozen_on"] == "2025-03-10" and old.data["designated_on"] == "2025-02-06"
    march = _blocked_report(store, "BLK-A-MARCH")
    assert (march.trigger_date, march.due_date) == (date(2025, 3, 3), date(2025, 3, 17))
    same = _blocked_report(store, "BLK-A-SAME")
    assert (same.trigger_date, same.due_date) == (date(2025, 3, 10), date(2025, 3, 24))
    with Session(store.engine) as s:
        late = {i.subject_id: i.overdue for i in reports.due(s, on=date(2025, 3, 10))}
    assert late == {"BLK-A-OLD": True, "BLK-A-MARCH": False, "BLK-A-SAME": False}
    check_books(store.engine)


def test_which_days_are_business_days() -> None:
    """31 CFR 501.603(b)(1)(i), 501.603(b)(3) and 501.604 give 10 business days; part 501 does not
    define a business day. Weekends and the legal public holidays (5 U.S.C. 6103(a)) are not business
    days, nor is Inauguration Day in Washington, where OFAC is (5 U.S.C. 6103(c)). A day on which the
    federal government is closed only by executive order is counted: that is the earlier deadline, on
    time under either reading (Treasury's definition for CFIUS real estate reviews, 31 CFR 802.201,
    excludes such days and would give a later one). So property blocked on Wednesday 8 January 2025
    is reported by Thursday 23 January (9 January, the National Day of Mourning, counted; 20 January,
    Inauguration Day and Martin Luther King Jr. Day, not); unblocked on Tuesday 23 December 2025, by
    Thursday 8 January 2026 (24 and 26 December counted; Christmas and New Year's Day not). The day of
    the event itself is not counted."""
    assert deadlines.is_business_day(date(2025, 1, 9))
    assert not deadlines.is_business_day(date(2025, 1, 20))
    assert deadlines.blocked_property_report(date(2025, 1, 8)).due == date(2025, 1, 23)
    assert deadlines.rejected_transaction_report(date(2025, 1, 8)).due == date(2025, 1, 23)
    assert deadlines.is_business_day(date(2025, 12, 24)) and deadlines.is_business_day(date(2025, 12, 26))
    assert not deadlines.is_business_day(date(2025, 12, 25))
    assert deadlines.unblocking_report(date(2025, 12, 23)).due == date(2026, 1, 8)


def test_the_annual_report_values_property_with_the_interest_accrued_by_30_june(store: Store) -> None:
    """31 CFR 501.603(b)(2): blocked property held as of 30 June is reported by 30 September. Blocked
    funds earn interest at a commercially reasonable rate (the program's interest-bearing blocked
    account section); the value as of 30 June includes the interest accrued by the end of that day,
    whether or not it was credited yet: the value the annual report gives is exactly what an accrual
    through 30 June then credits."""
    with Session(store.engine) as s, s.begin():
        party(s, "C-1001", "Karim Asad Ahmad Khan")
        account(s, "A-1001", "C-1001", "10000.00", at=datetime(2025, 2, 10, 15, 0, tzinfo=UTC))
        block_listed(
            s, "C-1001", "icc-khan-karim", "ICC-EO14203", at=datetime(2025, 2, 10, 16, 0, tzinfo=UTC)
        )
        ledger.accrue_all(s, until=datetime(2025, 6, 1, tzinfo=UTC), actor="batch")
    with Session(store.engine) as s:
        content = reports.annual(s, 2025)
        booked = ledger.balance(s, "BLK-A-1001")
    assert (content.trigger_date, content.due_date) == (date(2025, 6, 30), date(2025, 9, 30))
    [prop] = content.to_dict()["sections"]["properties"]["items"]
    assert D(prop["balance_booked"]) == booked
    # June's 30 days on the booked balance at the default 4%, with the remainder carried from May
    assert D(prop["interest_accrued"]) > D("32.00")
    assert D(prop["value"]) == booked + D(prop["interest_accrued"])
    with Session(store.engine) as s, s.begin():
        ledger.accrue_interest(
            s, account_id="BLK-A-1001", until=datetime(2025, 7, 1, tzinfo=UTC), actor="batch"
        )
    with Session(store.engine) as s:
        assert ledger.balance(s, "BLK-A-1001") == D(prop["value"])
        # the credit is booked on 1 July: the report as of 30 June gives the same value
        [again] = reports.annual(s, 2025).to_dict()["sections"]["properties"]["items"]
    assert again["value"] == prop["value"]
    check_books(store.engine)
