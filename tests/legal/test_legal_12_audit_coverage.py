"""Finding 12: the audit trail covers every ledger posting and every decision, so an edit is found."""

from __future__ import annotations

from datetime import UTC, datetime

from legal_helpers import T0, account, block_listed, check_books, party, register_licence
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from proscribe.enforcement import audit
from proscribe.store import Store
from proscribe.store.audit import AuditRecord, Setting
from proscribe.store.casework import Decision
from proscribe.store.ledger import LedgerEntry

AUG = datetime(2025, 8, 1, 15, 0, tzinfo=UTC)


def _book(store: Store) -> int:
    """Khan's account blocked, and a specific licence recorded by one person and approved by another."""
    with Session(store.engine) as s, s.begin():
        party(s, "C-1001", "Karim Asad Ahmad Khan")
        account(s, "A-1001", "C-1001", "12500.00")
        block_listed(s, "C-1001", "icc-khan-karim", "ICC-EO14203")
    decision_id = register_licence(
        store.engine,
        "ICC-EO14203-1380001-1",
        direction="debit",
        parties=["C-1001"],
        accounts=["BLK-A-1001"],
        amount="3500.00",
        counterparty="Temple Chambers LLP",
        purpose="legal_services",
    )
    check_books(store.engine)
    return decision_id


def test_an_edited_ledger_amount_is_found(store: Store) -> None:
    """31 CFR 501.601 requires full and accurate records of every transaction subject to OFAC's rules,
    kept for 10 years (as amended by 90 FR 13286, effective 21 March 2025); the blocked funds' postings
    are such records. Every posting is covered by the audit record of its transaction, which holds the
    digest of its rows: an amount changed in the database afterwards fails ``audit verify``, naming the
    entry, and so does a balance that no longer equals its entries."""
    _book(store)
    with Session(store.engine) as s:
        entry = s.scalars(
            select(LedgerEntry).where(LedgerEntry.account_id == "BLK-A-1001").order_by(LedgerEntry.id)
        ).first()
        assert entry is not None
        entry_id = entry.id
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE ledger_entries SET amount = 1250.00 WHERE id = :i"), {"i": entry_id})
    report = audit.verify(store.engine)
    assert not report.ok
    assert any(f"ledger_entries {entry_id}: changed since record" in p for p in report.problems)
    assert any("account BLK-A-1001: balance" in p for p in report.problems)


def test_an_edited_reviewer_is_found(store: Store) -> None:
    """Every decision to block, reject, release or deny is recorded with who decided, who approved,
    when and why (four eyes; 31 CFR 501.601 records). A decision's row is covered by the record of the
    step that wrote it: changing ``decisions.reviewed_by`` to the person who proposed it (making a
    four-eyes decision look like another's) fails ``audit verify``."""
    decision_id = _book(store)
    with Session(store.engine) as s:
        d = s.get(Decision, decision_id)
        assert d is not None and d.reviewed_by == "bob" and d.decided_by == "alice"
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE decisions SET reviewed_by = 'alice' WHERE id = :i"), {"i": decision_id})
    report = audit.verify(store.engine)
    assert not report.ok
    assert any(f"decisions {decision_id}: changed since record" in p for p in report.problems)


def test_a_row_written_or_removed_outside_proscribe_is_found(store: Store) -> None:
    """Records are full only if nothing is added or taken away behind the trail (31 CFR 501.601): a
    decision inserted by SQL, with no audit record covering it, and a posting deleted, are both found."""
    _book(store)
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO decisions (action, subject_type, subject_id, reason, evidence, params, "
                "decided_by, decided_at, status) VALUES ('release', 'block', '1', 'x', '{}', '{}', "
                "'mallory', :at, 'approved')"
            ),
            {"at": AUG},
        )
    report = audit.verify(store.engine)
    assert any("decisions" in p and "no audit record covers them" in p for p in report.problems)
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM decisions WHERE decided_by = 'mallory'"))
        last = conn.execute(text("SELECT max(id) FROM ledger_entries")).scalar_one()
        conn.execute(text("DELETE FROM ledger_entries WHERE id = :i"), {"i": last})
    report = audit.verify(store.engine)
    assert any(f"ledger_entries {last}: removed" in p for p in report.problems)


def test_rows_changed_after_the_last_record_are_covered_too(store: Store) -> None:
    """Coverage does not depend on the order of the code: a decision changed in a transaction after
    its last audit record is covered by a record the commit adds (``audit.cover``)."""
    decision_id = _book(store)
    with Session(store.engine) as s, s.begin():
        d = s.get(Decision, decision_id)
        assert d is not None
        d.review_note = "licence letter checked against OFAC's copy"
    with Session(store.engine) as s:
        last = s.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
        assert last is not None and last.action == "audit.cover"
        assert f"decisions:{decision_id}" in (last.rows or {})
    assert audit.verify(store.engine).ok


def test_a_store_from_before_coverage_verifies_with_a_note_then_is_sealed(store: Store) -> None:
    """A store written before the trail was anchored and covered its rows still verifies (its records
    are internally consistent), with a note saying what was not checked; its next record seals every
    row it holds, so an edit after that is found."""
    _book(store)
    # make the store look as it did before migration 0005: no anchor, no MACs, no covered rows
    with Session(store.engine) as s, s.begin():
        prev = audit.GENESIS
        for rec in s.scalars(select(AuditRecord).order_by(AuditRecord.seq)):
            rec.mac, rec.rows, rec.prev_hash = None, None, prev
            rec.hash = audit.record_hash(rec.seq, rec.at, rec.actor, rec.action, rec.subject, rec.data, prev)
            prev = rec.hash
        head = s.get(Setting, "audit_head")
        assert head is not None
        head.value = {"seq": head.value["seq"], "hash": prev}
        anchor = s.get(Setting, "audit_anchor")
        s.delete(anchor)
    # stripping the anchor from a store that had one is found: the audit folder knows this database
    stripped = audit.verify(store.engine)
    assert any("its anchor is gone" in p for p in stripped.problems)
    # a store that never had one (its database unknown to the audit folder) verifies, with notes
    audit._known_store_path(audit.store_fingerprint(store.engine.url)).unlink()
    legacy = audit.verify(store.engine)
    assert legacy.ok, legacy.problems
    assert any("predate the external anchor" in n for n in legacy.notes)
    assert any("rows not covered yet" in n for n in legacy.notes)

    with Session(store.engine) as s, s.begin():
        audit.append(s, actor="ops", action="test.note", subject="t:1", data={}, at=T0)
    sealed = audit.verify(store.engine)
    assert sealed.ok, sealed.problems
    assert any("predate the external anchor (added at record" in n for n in sealed.notes)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE ledger_entries SET amount = amount + 1 WHERE id = 1"))
    assert any("ledger_entries 1: changed since record" in p for p in audit.verify(store.engine).problems)
