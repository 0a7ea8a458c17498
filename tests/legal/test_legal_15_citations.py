"""Finding 15: every citation an examiner reads is law, the law of the hit's own program on the day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from legal_helpers import account, block_listed, check_books, mt103, party, screen
from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.enforcement import ledger
from proscribe.enforcement.citations import program_citation
from proscribe.enforcement.policy import preset
from proscribe.store import Store
from proscribe.store.casework import Payment
from proscribe.store.ledger import LedgerTransaction

SEPT_2020 = datetime(2020, 9, 10, 15, 0, tzinfo=UTC)
NOV_2020 = datetime(2020, 11, 2, 15, 0, tzinfo=UTC)
MAR_2025 = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
AUG_2025 = datetime(2025, 8, 1, 15, 0, tzinfo=UTC)
DEBTOR = ("NL43ABNA0481290021", "INTERNATIONAL CRIMINAL COURT")


def _pay(store: Store, tmp_path: Path, name: str, creditor: str, at: datetime) -> tuple[str, str]:
    text = mt103(
        f"SAL-{at:%Y%m}",
        "9120.00",
        debtor=DEBTOR,
        creditor=("NL91ABNA0417164300", creditor),
        text="SALARY",
        currency="EUR",
        day=at.strftime("%y%m%d"),
    )
    [d] = screen(store, tmp_path, f"{name}.fin", text, at)
    assert d.decision == "block", d.reasons
    with Session(store.engine) as s:
        payment = s.get(Payment, d.payment_id)
        assert payment is not None
        reasons = " ".join(payment.reasons)
    return d.rule, reasons


def test_a_2020_payment_cites_eo_13928_and_its_own_regulations(store: Store, tmp_path: Path) -> None:
    """EO 13928 §1 (85 FR 36139, 11 June 2020) blocked the 2020 designees; its regulations, 31 CFR
    part 520, were published on 1 October 2020 (85 FR 61816). EO 14203 (2025) and 31 CFR part 528
    (90 FR 28012, 1 July 2025) did not exist in 2020 and must not be cited for it. Before part 520,
    the order applied directly under IEEPA, with 31 CFR part 501's reporting rules: the citation
    says so, and marks that reading uncertain."""
    rule, reasons = _pay(store, tmp_path, "nov", "FATOU BENSOUDA", NOV_2020)
    assert rule == "31 CFR 501.603; EO 13928 §1; 31 CFR part 520"
    assert "14203" not in rule + reasons and "528" not in rule + reasons
    early, early_reasons = _pay(store, tmp_path, "sept", "FATOU BENSOUDA", SEPT_2020)
    assert early.startswith(
        "31 CFR 501.603; EO 13928 §1; no regulations yet (31 CFR part 520 took effect on 2020-10-01)"
    )
    assert "IEEPA" in early and "31 CFR part 501" in early and "[uncertain:" in early
    assert "14203" not in early + early_reasons and "528" not in early + early_reasons


def test_a_2025_payment_cites_eo_14203_and_part_528_only_once_it_exists(store: Store, tmp_path: Path) -> None:
    """EO 14203 §1 (90 FR 9369, 6 February 2025) blocks its designees; 31 CFR part 528 took effect
    on 1 July 2025 (90 FR 28012). A March 2025 payment cites the order and says that part 528 did not
    exist yet; an August 2025 payment cites both. Neither cites EO 13928 or part 520."""
    before, before_reasons = _pay(store, tmp_path, "mar", "KARIM ASAD AHMAD KHAN", MAR_2025)
    assert before.startswith(
        "31 CFR 501.603; EO 14203 §1; no regulations yet (31 CFR part 528 took effect on 2025-07-01)"
    )
    after, after_reasons = _pay(store, tmp_path, "aug", "KARIM ASAD AHMAD KHAN", AUG_2025)
    assert after == "31 CFR 501.603; EO 14203 §1; 31 CFR part 528"
    for text in (before, before_reasons, after, after_reasons):
        assert "13928" not in text and "part 520" not in text


def test_the_policy_cites_each_listings_program_not_one_authority_per_list() -> None:
    """A list carries listings of several programs (the ICC registry: EO 13928 in 2020, EO 14203 in
    2025); the reason a confirmed hit is acted on cites the listing's program as it stood that day,
    for every preset."""
    for name in ("us-bank", "eu-subsidiary-of-us-bank"):
        old = preset(name).action_for("proscribe_icc", ["ICC-EO13928"], on=date(2020, 11, 2))
        assert "EO 13928 §1; 31 CFR part 520" in old.reason and "14203" not in old.reason
        new = preset(name).action_for("proscribe_icc", ["ICC-EO14203"], on=date(2025, 8, 1))
        assert "EO 14203 §1; 31 CFR part 528" in new.reason and "13928" not in new.reason
    revoked = program_citation("ICC-EO13928", date(2021, 8, 1))
    assert revoked is not None
    assert (
        "revoked by EO 14022 on 2021-04-01" in revoked.text and "removed effective 2021-07-06" in revoked.text
    )
    assert program_citation("SDGT", date(2025, 8, 1)) is None  # not an ICC program: the policy's authority


def test_interest_on_blocked_funds_cites_the_programs_provision_not_research_notes(store: Store) -> None:
    """Blocked funds earn a commercially reasonable rate under each program's interest-bearing
    blocked account provision: 31 CFR 520.203 for EO 13928 (in part 520's table of contents);
    part 528's is cited as 528.203 by OFAC's standard layout and marked unverified. The ledger's
    authority is that law, never a reference to research notes."""
    with Session(store.engine) as s, s.begin():
        party(s, "C-1002", "Fatou Bensouda")
        account(s, "A-1002", "C-1002", "10000.00", currency="EUR", at=NOV_2020)
        block_listed(s, "C-1002", "icc-bensouda-fatou", "ICC-EO13928", at=NOV_2020)
        party(s, "C-1001", "Karim Asad Ahmad Khan")
        account(s, "A-1001", "C-1001", "10000.00", at=AUG_2025)
        block_listed(s, "C-1001", "icc-khan-karim", "ICC-EO14203", at=AUG_2025)
    with Session(store.engine) as s, s.begin():
        old = ledger.accrue_interest(
            s, account_id="BLK-A-1002", until=datetime(2021, 1, 4, tzinfo=UTC), actor="eod"
        )
        new = ledger.accrue_interest(
            s, account_id="BLK-A-1001", until=datetime(2025, 10, 1, tzinfo=UTC), actor="eod"
        )
        assert old is not None and new is not None
        assert old.authority == "31 CFR 520.203 (interest-bearing blocked accounts)"
        assert (new.authority or "").startswith("31 CFR 528.203 (interest-bearing blocked accounts")
    with Session(store.engine) as s:
        for authority in s.scalars(select(LedgerTransaction.authority)):
            assert "domain" not in (authority or "").lower()
    check_books(store.engine)


def test_a_2020_stripping_hold_cites_the_2020_orders_evasion_section(store: Store, tmp_path: Path) -> None:
    """Evasion is prohibited by IEEPA (50 U.S.C. 1705(a): attempting, conspiring or causing a
    violation) and by each order: EO 13928 §5 (2020), EO 14203 §6 (2025). A 2020 payment held for
    signs of stripping cites the 2020 order's section, not the 2025 order's."""
    text = mt103(
        "STRIP-2020",
        "500.00",
        debtor=("NL43ABNA0481290021", "ONE OF OUR CLIENTS"),
        creditor=("NL91ABNA0417164300", "RIVERSIDE EVENTS LLC"),
        text="ESSAY ON FATOU BENSOUDA",
        day="201102",
    )
    [d] = screen(store, tmp_path, "strip.fin", text, NOV_2020)
    assert d.decision == "hold" and [f.kind for f in d.stripping] == ["placeholder_name"]
    assert "50 U.S.C. 1705(a)" in d.rule and "EO 13928 §5" in d.rule
    assert "14203" not in d.rule
