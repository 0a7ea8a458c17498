"""Finding 1: a general licence authorises dealings, not debits of blocked property."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from legal_helpers import T0, D, account, audit_actions, balance, block_listed, check_books, party
from sqlalchemy.orm import Session

from proscribe.enforcement import ledger, licenses
from proscribe.enforcement.errors import BlockedPropertyError
from proscribe.store import Store

JUNE = datetime(2025, 6, 20, 15, 0, tzinfo=UTC)


def test_a_general_licence_never_debits_blocked_funds(store: Store) -> None:
    """A licence removes a prohibition only to the extent its terms state (the "effect of license"
    section of every OFAC part, e.g. 31 CFR 597.501(c)). GL 2 and 31 CFR 528.506 authorise providing
    legal services; GL 3 the receipt of fees from funds that are not blocked; GL 1 a wind-down, which
    does not debit a blocked account (OFAC FAQ 975). None authorises a debit of blocked property:
    legal fees from blocked funds need a specific licence (standard OFAC practice). Everything a
    licence does not authorise is refused, and the refusal recorded."""
    with Session(store.engine) as s, s.begin():
        party(s, "K", "Karim Asad Ahmad Khan")
        party(s, "H", "Beti Hohler")
        party(s, "L", "Temple Chambers LLP")
        account(s, "A-K", "K", "3500.00")
        account(s, "A-H", "H", "1000.00", at=JUNE)
        account(s, "A-L", "L", "0")
        block_listed(s, "K", "icc-khan-karim", "ICC-EO14203")
        block_listed(s, "H", "icc-hohler-beti", "ICC-EO14203", at=JUNE)
    attempts = [
        ("BLK-A-K", "GL 2", "legal_services", datetime(2025, 8, 1, tzinfo=UTC)),
        ("BLK-A-K", "General License No. 3", "legal_fees", datetime(2025, 8, 1, tzinfo=UTC)),
        ("BLK-A-K", "31 CFR 528.506", "legal_services", datetime(2025, 8, 1, tzinfo=UTC)),
        ("BLK-A-H", "GL 1", None, datetime(2025, 7, 1, tzinfo=UTC)),  # inside the wind-down period
    ]
    for account_id, licence, purpose, at in attempts:
        with Session(store.engine) as s:
            with pytest.raises(BlockedPropertyError, match="needs a specific licence") as refused:
                ledger.withdraw(
                    s,
                    account_id=account_id,
                    amount=D("3500.00") if account_id == "BLK-A-K" else D("100.00"),
                    actor="ops",
                    reason="legal fees",
                    at=at,
                    authority=licence,
                    purpose=purpose,
                    payee="Temple Chambers LLP",
                )
            s.commit()
        assert "does not" not in str(refused.value) or "debit" in str(refused.value)
    # a transfer out to the law firm's account under GL 2 is a debit too
    with Session(store.engine) as s:
        with pytest.raises(BlockedPropertyError, match="authorises dealings with the blocked person"):
            ledger.transfer(
                s,
                from_id="BLK-A-K",
                to_id="A-L",
                amount=D("3500.00"),
                actor="ops",
                reason="legal fees",
                at=datetime(2025, 8, 1, tzinfo=UTC),
                authority="GL 2",
            )
        s.commit()
    assert (balance(store.engine, "BLK-A-K"), balance(store.engine, "BLK-A-H")) == (
        D("3500.00"),
        D("1000.00"),
    )
    assert balance(store.engine, "A-L") == 0
    assert len(audit_actions(store.engine, "ledger.debit_refused")) == 5
    check_books(store.engine)


def test_each_licence_says_what_it_authorises_with_its_source() -> None:
    """Per licence, what it authorises (dealings, receipt of payment from funds not blocked, a
    wind-down until its expiry, debits of blocked accounts) and where that reading comes from; what
    it does not authorise is named too, so a person reviewing a claim sees both."""
    at = datetime(2025, 8, 1, tzinfo=UTC)
    gl2 = licenses.check(
        "GL 2", programs=["ICC-EO14203"], entity_ids=["icc-khan-karim"], purpose="legal_services", at=at
    )
    assert gl2.status == "review" and gl2.authorizes == ("dealings",)
    assert "debit_blocked" in gl2.does_not and "Export Compliance Daily" in (gl2.source or "")
    debit = licenses.check(
        "GL 2",
        programs=["ICC-EO14203"],
        entity_ids=["icc-khan-karim"],
        purpose="legal_services",
        at=at,
        dealing="debit_blocked",
    )
    assert debit.status == "refused" and "needs a specific licence" in debit.reason
    gl3 = licenses.check(
        "GL 3",
        programs=["ICC-EO14203"],
        entity_ids=["icc-khan-karim"],
        purpose="legal_fees",
        at=at,
        dealing="payment_from",
    )
    assert gl3.status == "review" and gl3.authorizes == ("receipt_outside_funds",)
    assert any("not blocked property" in c for c in gl3.to_check)
    wind_down = licenses.check(
        "GL 1", programs=["ICC-EO14203"], entity_ids=["icc-hohler-beti"], purpose=None, at=T0.replace(month=5)
    )
    assert wind_down.status == "refused" and "not issued until 2025-06-05" in wind_down.reason
