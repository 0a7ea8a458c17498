"""The worked example in examples/icc_bank runs end to end and ends where the story says it does."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.enforcement import audit, ledger, specific_licenses
from proscribe.store import Store
from proscribe.store.book import Account
from proscribe.store.casework import Block, Payment, TravelCheck

ROOT = Path(__file__).resolve().parent.parent


def test_worked_example_runs_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "example"
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "icc_bank" / "run.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "chain intact" in done.stdout
    store = Store.open(f"sqlite:///{out / 'bank.db'}")
    with Session(store.engine) as s:
        blocks = {b.party_id: b for b in s.scalars(select(Block))}
        # 2020: the two designees, and by the 50% rule Harbourline and its subsidiary; released in 2021
        assert {"C-1002", "P-2001", "O-3001", "O-3003"} <= set(blocks)
        assert blocks["O-3001"].basis == "ownership" and blocks["O-3001"].release_kind == "ownership_change"
        assert blocks["C-1002"].release_kind == "delisting"
        # 2025: the Prosecutor is blocked and stays blocked
        assert blocks["C-1001"].released_at is None
        a1002 = s.get(Account, "A-1002")
        assert (
            a1002 is not None and a1002.status == "open" and a1002.balance > 17420
        )  # salary + interest back
        decisions = {p.reference: p.decision for p in s.scalars(select(Payment))}
        assert decisions["ICC-SAL-0920"] == "block" and decisions["LEC-2020-044"] == "hold"
        statuses = {p.reference: p.status for p in s.scalars(select(Payment))}
        assert statuses["LEC-2020-044"] == "rejected"  # a person found no interest, a second approved
        assert decisions["KOW-RENT-09"] == "pass"
        # no money created: Harbourline's blocked payment moved nothing, so its release returns its
        # 250,000.00 with interest (4% for 215 days), not the 48,250.00 of the payment as well
        a3001 = s.get(Account, "A-3001")
        assert a3001 is not None and Decimal("255800") < a3001.balance < Decimal("256000")
        # 2025: the legal fees are paid from the blocked funds under the registered specific licence
        # only; a GL 2 claim and a gift move nothing; the service charge is the schedule's
        assert (decisions["LEGAL-0715"], decisions["LEGAL-0716"], decisions["GIFT-0716"]) == (
            "pass",
            "block",
            "block",
        )
        assert ledger.balance(s, "BLK-A-1001") == Decimal("8985.00")
        licence = specific_licenses.get(s, "ICC-EO14203-1380001-1")
        assert licence is not None and licence.used == Decimal("3500.00") and licence.approved_by
        checks = [
            (c.traveller["name"], c.decision) for c in s.scalars(select(TravelCheck).order_by(TravelCheck.id))
        ]
        assert checks[0] == ("FATOU BENSOUDA", "deny") and checks[1][1] == "deny"  # the spouse, in 2020
        assert checks[-1][1] == "admit"  # the spouse again, after the revocation
    assert audit.verify(store.engine).ok
    assert (out / "annual-2025.csv").exists()
    store.close()
