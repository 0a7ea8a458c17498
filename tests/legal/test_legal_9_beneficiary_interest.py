"""Finding 9: a designee named in free text as the one a payment is for has an interest in it.

Block when a blocked person has an interest; reject only when the dealing is prohibited and no
blocked person has one (OFAC FAQ 36). "FOR THE BENEFIT OF <designee>" gives the designee an interest;
a mere mention does not say, so a person decides. The rule per program is in docs/enforcement.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from legal_helpers import D, audit_actions, balance, check_books, mt103, screen
from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.enforcement import decisions
from proscribe.enforcement.payments import decide
from proscribe.enforcement.policy import preset
from proscribe.payments import parse_text
from proscribe.screening import Screener
from proscribe.store import Store
from proscribe.store.book import Party
from proscribe.store.casework import Block, Payment, Report

AUG_2025 = datetime(2025, 8, 1, 15, 0, tzinfo=UTC)
NOV_2020 = datetime(2020, 11, 2, 15, 0, tzinfo=UTC)
DEBTOR = ("GB33BUKB20201555555555", "NORTHSEA CHANDLERS LTD")
CREDITOR = ("US98765432109", "RIVERSIDE TRAVEL AGENCY INC")


def _reports(store: Store, payment_id: int | None) -> list[str]:
    with Session(store.engine) as s:
        return sorted(
            s.scalars(
                select(Report.kind).where(
                    Report.subject_type == "payment", Report.subject_id == str(payment_id)
                )
            )
        )


def test_for_the_benefit_of_a_designee_is_blocked_not_rejected(store: Store, tmp_path: Path) -> None:
    """EO 14203 §1 blocks the "property and interests in property" of the persons it designates,
    and 31 CFR 501.603 has the holder block and report it. A payment "FOR THE BENEFIT OF" a
    designee (or "FBO", "ON BEHALF OF", /BNF/) is one in which the designee has an interest: it is
    blocked, its funds go to a blocked account in the designee's name and a blocked-property report
    falls due; it is not rejected, since rejecting returns funds that must be blocked (OFAC FAQ 36;
    31 CFR 501.604 reports rejections of transactions in which no blocked person has an interest)."""
    text = mt103(
        "FBO-1",
        "4000.00",
        debtor=DEBTOR,
        creditor=CREDITOR,
        text="TRAVEL COSTS FOR THE BENEFIT OF\nKARIM ASAD AHMAD KHAN",
        day="250801",
    )
    [d] = screen(store, tmp_path, "fbo.fin", text, AUG_2025)
    assert d.decision == "block" and d.status == "blocked"
    [hit] = [h for h in d.hits if h.entity_id == "icc-khan-karim"]
    assert (hit.source, hit.benefit, hit.outcome, hit.strength) == (
        "free_text", "FOR THE BENEFIT OF", "block", "strong",
    )  # fmt: skip
    assert d.rule.startswith("31 CFR 501.603; EO 14203 §1; 31 CFR part 528")
    assert _reports(store, d.payment_id) == ["blocked_property"]
    with Session(store.engine) as s:
        owner = s.get(Party, d.blocked_owner)
        assert owner is not None and not owner.is_customer and owner.name == "Karim Asad Ahmad Khan"
        [block] = s.scalars(select(Block).where(Block.party_id == owner.id)).all()
        assert block.entity_id == "icc-khan-karim" and block.programs == ["ICC-EO14203"]
    assert balance(store.engine, str(d.blocked_account)) == D("4000.00")
    assert [r.data["decision"] for r in audit_actions(store.engine, "payment.block")] == ["block"]
    # the other ways of saying it, and a field 72 code
    for i, words in enumerate(("FBO KARIM ASAD AHMAD KHAN", "ON BEHALF OF KARIM ASAD AHMAD KHAN")):
        other = mt103(f"FBO-{i + 2}", "100.00", debtor=DEBTOR, creditor=CREDITOR, text=words, day="250801")
        [again] = screen(store, tmp_path, f"fbo{i}.fin", other, AUG_2025)
        assert again.decision == "block", words
    check_books(store.engine)


def test_a_mere_mention_is_held_for_a_person_not_rejected(store: Store, tmp_path: Path) -> None:
    """Naming a designee is not proof of an interest ("BOOK BY KARIM ASAD AHMAD KHAN" pays for a
    book he wrote). Whether a blocked person has an interest (block, 31 CFR 501.603) or the dealing is
    prohibited without one (reject, 31 CFR 501.604) is a question of fact (OFAC FAQ 36): the
    payment is held for a person, nothing is returned and no rejected-transaction report is filed
    before that person decides, under four eyes."""
    text = mt103(
        "BOOK-1",
        "35.00",
        debtor=DEBTOR,
        creditor=CREDITOR,
        text="BOOK BY KARIM ASAD AHMAD KHAN",
        day="250801",
    )
    [d] = screen(store, tmp_path, "book.fin", text, AUG_2025)
    assert d.decision == "hold" and d.status == "held"
    [hit] = [h for h in d.hits if h.entity_id == "icc-khan-karim"]
    assert hit.benefit is None and hit.outcome == "hold" and hit.strength == "strong"
    assert "OFAC FAQ 36" in d.rule and "501.604" not in d.rule
    assert _reports(store, d.payment_id) == []
    # a person decides, a second approves: here, no interest (a book), so a rejection and its report
    assert d.payment_id is not None
    with Session(store.engine) as s, s.begin():
        proposed = decisions.decide_payment(
            s, payment_id=d.payment_id, outcome="reject", reason="a book he wrote; no interest", actor="alice"
        )
        decisions.approve(s, decision_id=proposed.id, actor="bob")
    assert _reports(store, d.payment_id) == ["rejected_transaction"]
    with Session(store.engine) as s:
        payment = s.get(Payment, d.payment_id)
        assert payment is not None and payment.decision == "hold" and payment.status == "rejected"
    check_books(store.engine)


def test_the_benefit_rule_under_eo_13928(store: Store, tmp_path: Path) -> None:
    """EO 13928 §1 (2020) blocked the property and interests in property of its designees, with
    31 CFR part 520 from 1 October 2020: the same rule, cited under that order, not EO 14203."""
    text = mt103(
        "FBO-2020", "900.00", debtor=DEBTOR, creditor=CREDITOR, text="/BNF/FATOU BENSOUDA", day="201102"
    )
    [d] = screen(store, tmp_path, "fbo2020.fin", text, NOV_2020)
    assert d.decision == "block"
    assert d.rule.startswith("31 CFR 501.603; EO 13928 §1; 31 CFR part 520")
    assert "14203" not in d.rule and "528" not in d.rule
    mention = mt103(
        "M-2020", "900.00", debtor=DEBTOR, creditor=CREDITOR, text="ESSAY ON FATOU BENSOUDA", day="201102"
    )
    [held] = screen(store, tmp_path, "m2020.fin", mention, NOV_2020)
    assert held.decision == "hold" and _reports(store, held.payment_id) == []


def test_under_eu_and_un_listings_a_named_beneficiary_is_held(screener: Screener) -> None:
    """The EU's asset-freeze regulations (e.g. Council Regulation (EU) No 269/2014, Art. 2) freeze
    the funds a listed person owns, holds or controls and forbid making funds available "directly or
    indirectly, to or for the benefit of" them; UN measures reach an EU bank through them. A third
    party's payment for a listed person's benefit must not go ahead, but whether its funds are the
    listed person's (to be frozen) is for a person to decide: held, not rejected. Under a US program
    (OFAC) the beneficiary's interest blocks it (31 CFR 501.603)."""
    raw = mt103(
        "FBO-UN",
        "2500.00",
        debtor=DEBTOR,
        creditor=CREDITOR,
        text="FOR THE BENEFIT OF\nKOREA DAESONG BANK",
        day="250801",
    )
    [message] = parse_text(raw, "fbo-un.fin")
    eu = decide(message, screener, policy=preset("eu-bank"), at=AUG_2025)
    un_hit = next(h for h in eu.hits if h.dataset == "un_sc_sanctions")
    assert un_hit.benefit == "FOR THE BENEFIT OF" and un_hit.action == "block" and un_hit.outcome == "hold"
    assert "made available" in (un_hit.policy_reason or "")
    assert eu.decision == "hold" and "made available" in eu.rule
    us = decide(message, screener, policy=preset("us-bank"), at=AUG_2025)
    assert us.decision == "block"
    assert next(h for h in us.hits if h.dataset == "us_ofac_sdn").outcome == "block"
