"""The blocked-property ledger, on SQLite and PostgreSQL: every rule on its own, then the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli_people import as_, keys_for
from proscribe.cli.app import app
from proscribe.enforcement import audit, decisions, ledger, specific_licenses
from proscribe.enforcement.errors import BlockedPropertyError, EnforcementError, NotFoundError
from proscribe.store import Store
from proscribe.store.audit import AuditRecord, Setting
from proscribe.store.book import Account, Party
from proscribe.store.casework import Block
from proscribe.store.ledger import LedgerEntry, LedgerTransaction

D = Decimal
T0 = datetime(2025, 1, 6, 14, 0, tzinfo=UTC)
NY = ZoneInfo("America/New_York")


@pytest.fixture()
def engine(db_url: str) -> Iterator[Engine]:
    store = Store.open(db_url, load_registry=False)
    yield store.engine
    store.close()


def add_party(session: Session, party_id: str, name: str) -> None:
    session.add(
        Party(
            id=party_id,
            kind="person",
            name=name,
            aliases=[],
            checksum="0" * 64,
            source="test",
            created_at=T0,
            updated_at=T0,
        )
    )
    session.flush()


def add_block(session: Session, party_id: str, entity_id: str, program: str, at: datetime = T0) -> Block:
    block = Block(
        party_id=party_id,
        basis="listing",
        entity_id=entity_id,
        dataset="proscribe_icc",
        programs=[program],
        explanation=f"{party_id} is {entity_id}",
        blocked_at=at,
        blocked_by="officer",
    )
    session.add(block)
    session.flush()
    return block


def customer(session: Session, account_id: str, owner: str, amount: str, at: datetime = T0) -> None:
    ledger.open_account(
        session,
        account_id=account_id,
        owner_id=owner,
        currency="USD",
        opening_balance=D(amount),
        actor="t",
        at=at,
    )


def check_books(engine: Engine) -> None:
    """Double entry holds: every transaction and every currency sums to zero, rows match their entries."""
    with Session(engine, expire_on_commit=False) as s:
        for tx_id, total in s.execute(
            select(LedgerEntry.transaction_id, func.sum(LedgerEntry.amount)).group_by(
                LedgerEntry.transaction_id
            )
        ):
            assert D(total) == 0, f"transaction {tx_id} does not balance"
        sums: dict[str, Decimal] = {}
        per_account: dict[str, Decimal] = {}
        for account_id, ccy, amount in s.execute(
            select(LedgerEntry.account_id, LedgerEntry.currency, LedgerEntry.amount)
        ):
            sums[ccy] = sums.get(ccy, D(0)) + D(amount)
            per_account[account_id] = per_account.get(account_id, D(0)) + D(amount)
        assert all(v == 0 for v in sums.values()), sums
        for acct in s.execute(select(Account)).scalars():
            assert D(acct.balance) == per_account.get(acct.id, D(0)), acct.id
            if acct.kind != "internal":
                assert acct.balance >= 0
    assert audit.verify(engine).ok


def actions(engine: Engine, subject: str) -> list[str]:
    with Session(engine, expire_on_commit=False) as s:
        q = select(AuditRecord.action).where(AuditRecord.subject == subject).order_by(AuditRecord.seq)
        return list(s.execute(q).scalars())


# --- the plain ledger -----------------------------------------------------------------------------


def test_opening_deposit_withdraw_keep_the_books(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as s, s.begin():
        add_party(s, "P1", "Ann Customer")
        customer(s, "A1", "P1", "1000.00")
        ledger.deposit(s, account_id="A1", amount=D("250.25"), actor="t", reason="salary", at=T0)
        tx = ledger.withdraw(s, account_id="A1", amount=D("50.10"), actor="t", reason="rent", at=T0)
        assert tx.kind == "withdrawal"
        assert ledger.balance(s, "A1") == D("1200.15")
        assert ledger.balance(s, "SYS-CLEARING-USD") == D("-200.15")
        assert ledger.balance(s, "SYS-OPENING-USD") == D("-1000.00")
        hist = ledger.history(s, "A1")
        assert [(h["kind"], h["amount"], h["balance_after"]) for h in hist] == [
            ("opening", D("1000.00"), D("1000.00")),
            ("deposit", D("250.25"), D("1250.25")),
            ("withdrawal", D("-50.10"), D("1200.15")),
        ]
        assert hist[2]["counterparts"] == ["SYS-CLEARING-USD"] and hist[2]["reason"] == "rent"
        # more than the balance: refused before anything is written
        with pytest.raises(EnforcementError, match=r"holds 1200\.15"):
            ledger.withdraw(s, account_id="A1", amount=D("1200.16"), actor="t", reason="x", at=T0)
    assert actions(engine, "account:A1") == ["ledger.open", "ledger.deposit", "ledger.withdraw"]
    check_books(engine)


BAD_DEPOSITS: list[tuple[dict[str, object], str]] = [
    ({"amount": 10.5}, "must be a Decimal, not float"),
    ({"amount": D("10.005")}, "finer than the currency's minor unit"),
    ({"amount": D("-1")}, "more than zero"),
    ({"amount": D("0")}, "more than zero"),
    ({"amount": D("NaN")}, "not a usable sum"),
    ({"account_id": "NOPE"}, "no account 'NOPE'"),
    ({"reason": "  "}, "a reason is needed"),
    ({"at": datetime(2025, 1, 1, 12, 0)}, "timezone-aware"),
]


def test_bad_input_is_refused_and_nothing_written(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as s, s.begin():
        add_party(s, "P1", "Ann Customer")
        customer(s, "A1", "P1", "100.00")
    args: dict[str, object] = {"account_id": "A1", "amount": D("1.00"), "actor": "t", "reason": "r", "at": T0}
    for bad, message in BAD_DEPOSITS:
        with Session(engine) as s, s.begin(), pytest.raises((EnforcementError, ValueError), match=message):
            ledger.deposit(s, **(args | bad))  # type: ignore[arg-type]
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(LedgerTransaction)) == 1  # the opening only
        assert ledger.balance(s, "A1") == D("100.00")


def test_accounts_need_a_party_a_currency_and_a_free_id(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as s, s.begin():
        add_party(s, "P1", "Ann Customer")
        for bad, message in [
            ({"owner_id": "P404"}, "no party 'P404'"),
            ({"account_id": "BLK-A1"}, "the ledger's own"),
            ({"account_id": "SYS-X"}, "the ledger's own"),
            ({"currency": "usd"}, "ISO 4217"),
            ({"opening_balance": D("1.5"), "currency": "JPY"}, "0 decimals"),
        ]:
            args = {"account_id": "A1", "owner_id": "P1", "currency": "USD", "actor": "t", "at": T0} | bad
            with pytest.raises(EnforcementError, match=message):
                ledger.open_account(s, **args)  # type: ignore[arg-type]
        ledger.open_account(
            s, account_id="J1", owner_id="P1", currency="JPY", opening_balance=D("15000"), actor="t", at=T0
        )
        ledger.open_account(
            s, account_id="K1", owner_id="P1", currency="KWD", opening_balance=D("1.125"), actor="t", at=T0
        )
        with pytest.raises(EnforcementError, match="exists already"):
            customer(s, "J1", "P1", "0")
        assert ledger.balance(s, "J1") == D("15000") and ledger.balance(s, "K1") == D("1.125")
    check_books(engine)


# --- blocking ---------------------------------------------------------------------------------------


def test_blocking_moves_the_balance_and_refuses_debits(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as s, s.begin():
        add_party(s, "P1", "Luz del Carmen Ibanez Carranza")
        customer(s, "A1", "P1", "5000.00")
        block = add_block(s, "P1", "icc-ibanez-carranza-luz", "ICC-EO14203")
        blk = ledger.block_funds(
            s, account_id="A1", actor="officer", reason="listed", at=T0, block_id=block.id
        )
        assert (blk.id, blk.kind, blk.owner_id, blk.currency) == ("BLK-A1", "blocked", "P1", "USD")
        assert blk.source_account_id == "A1"
        assert ledger.balance(s, "BLK-A1") == D("5000.00") and ledger.balance(s, "A1") == 0
        assert s.get(Account, "A1").status == "blocked"  # type: ignore[union-attr]
    # each refused debit is a decision: recorded in the audit trail, nothing moved
    for account_id in ("BLK-A1", "A1"):
        with Session(engine, expire_on_commit=False) as s:
            with pytest.raises(BlockedPropertyError, match="holds blocked property"):
                ledger.withdraw(
                    s, account_id=account_id, amount=D("10.00"), actor="clerk", reason="cash", at=T0
                )
            s.commit()
    assert actions(engine, "account:BLK-A1") == ["ledger.debit_refused"]
    assert actions(engine, "account:A1") == ["ledger.open", "ledger.block", "ledger.debit_refused"]
    with Session(engine, expire_on_commit=False) as s, s.begin():
        # blocking again is harmless: nothing left to move, the same blocked account
        again = ledger.block_funds(s, account_id="A1", actor="officer", reason="second alert", at=T0)
        assert again.id == "BLK-A1" and ledger.balance(s, "BLK-A1") == D("5000.00")
        assert s.scalar(select(func.count()).select_from(Account).where(Account.kind == "blocked")) == 1
        with pytest.raises(EnforcementError, match="only a customer account"):
            ledger.block_funds(s, account_id="BLK-A1", actor="officer", reason="x", at=T0)
    check_books(engine)


def test_credits_for_a_blocked_person_go_into_the_blocked_account(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as s, s.begin():
        add_party(s, "P1", "Blocked Person")
        add_party(s, "P2", "Someone Else")
        customer(s, "A1", "P1", "100.00")
        customer(s, "B1", "P2", "300.00")
        ledger.block_funds(s, account_id="A1", actor="officer", reason="listed", at=T0)
        tx = ledger.deposit(s, account_id="A1", amount=D("40.00"), actor="t", reason="incoming wire", at=T0)
        assert tx.data["requested_account"] == "A1" and tx.data["blocked"] is True
        # a transfer from an unblocked account to the blocked person is a credit too
        ledger.transfer(s, from_id="B1", to_id="A1", amount=D("60.00"), actor="t", reason="gift", at=T0)
        assert ledger.balance(s, "A1") == 0
        assert ledger.balance(s, "BLK-A1") == D("200.00")
        assert ledger.balance(s, "B1") == D("240.00")
    check_books(engine)


def test_normal_service_charges_come_from_the_schedule_once_a_period_under_four_eyes(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as s, s.begin():
        add_party(s, "P1", "Blocked Person")
        customer(s, "A1", "P1", "100.00")
        add_block(s, "P1", "icc-khan-karim", "ICC-EO14203")
        ledger.block_funds(s, account_id="A1", actor="officer", reason="listed", at=T0)
        tx = ledger.charge(
            s,
            account_id="BLK-A1",
            item="account_maintenance",
            actor="bob",
            proposed_by="ann",
            reason="fee",
            at=T0,
        )
        # the us-bank preset's schedule: 15.00 USD a month; the ICC program's own regulation is cited
        assert tx.kind == "charge" and "31 CFR 528.505" in tx.data["rule"] and "562" not in tx.data["rule"]
        assert ledger.balance(s, "BLK-A1") == D("85.00") and ledger.balance(s, "SYS-CHARGES-USD") == D(
            "15.00"
        )
        with pytest.raises(EnforcementError, match="for 2025-01 already"):
            ledger.charge(
                s,
                account_id="BLK-A1",
                item="account_maintenance",
                actor="bob",
                proposed_by="ann",
                reason="again",
                at=T0 + timedelta(days=3),
            )
        with pytest.raises(EnforcementError, match="not a normal service charge"):
            ledger.charge(
                s, account_id="BLK-A1", item="legal_fees", actor="bob", proposed_by="ann", reason="x"
            )
        with pytest.raises(EnforcementError, match="four eyes"):
            ledger.charge(
                s, account_id="BLK-A1", item="annual_statement", actor="ann", proposed_by="ann", reason="x"
            )
    assert actions(engine, "account:BLK-A1") == ["ledger.charge"]
    check_books(engine)


def test_transfers_out_go_only_to_a_blocked_account_in_the_same_name(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as s, s.begin():
        add_party(s, "P1", "Blocked Person")
        add_party(s, "P2", "Other Blocked Person")
        customer(s, "A1", "P1", "100.00")
        customer(s, "A2", "P1", "10.00")
        customer(s, "A3", "P1", "0")  # the same person's account, not blocked (yet)
        customer(s, "B1", "P2", "5.00")
        for acct in ("A1", "A2", "B1"):
            ledger.block_funds(s, account_id=acct, actor="officer", reason="listed", at=T0)
    for to in ("BLK-B1", "B1", "A3"):
        with (
            Session(engine, expire_on_commit=False) as s,
            pytest.raises(BlockedPropertyError, match="same name"),
        ):
            ledger.transfer(s, from_id="BLK-A1", to_id=to, amount=D("1.00"), actor="t", reason="x", at=T0)
    with Session(engine, expire_on_commit=False) as s, s.begin():
        tx = ledger.transfer(
            s, from_id="BLK-A1", to_id="BLK-A2", amount=D("30.00"), actor="t", reason="r", at=T0
        )
        assert "562.504" in (tx.authority or "")
        # into A2, which is marked blocked: the money lands in BLK-A2, in the same name: allowed
        ledger.transfer(s, from_id="BLK-A1", to_id="A2", amount=D("20.00"), actor="t", reason="r", at=T0)
        assert ledger.balance(s, "BLK-A1") == D("50.00") and ledger.balance(s, "BLK-A2") == D("60.00")
        assert ledger.balance(s, "BLK-B1") == D("5.00") and ledger.balance(s, "A3") == 0
    check_books(engine)


def test_an_owner_under_an_active_block_cannot_debit_an_unblocked_account(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as s, s.begin():
        add_party(s, "P1", "Blocked Person")
        customer(s, "A1", "P1", "100.00")
        block = add_block(s, "P1", "icc-khan-karim", "ICC-EO14203")
    with Session(engine, expire_on_commit=False) as s, pytest.raises(BlockedPropertyError):
        ledger.withdraw(s, account_id="A1", amount=D("1.00"), actor="t", reason="x", at=T0)
    with Session(engine, expire_on_commit=False) as s, s.begin():
        s.get(Block, block.id).released_at = T0  # type: ignore[union-attr]
    with Session(engine, expire_on_commit=False) as s, s.begin():
        ledger.withdraw(s, account_id="A1", amount=D("1.00"), actor="t", reason="x", at=T0)
    check_books(engine)


def register(
    engine: Engine, number: str, *, direction: str, party: str, accounts: list[str], amount: str, **kw: object
) -> None:
    """Record a specific licence (one person) and approve it (another)."""
    with Session(engine, expire_on_commit=False) as s, s.begin():
        _, decision = specific_licenses.register(
            s,
            number=number,
            licensee=str(kw.pop("licensee", "Example National Bank")),
            direction=direction,
            parties=[party],
            accounts=accounts,
            amount=D(amount),
            currency="USD",
            issued=date(2025, 6, 1),
            reference="licence file",
            reason="OFAC's licence",
            actor="ann",
            at=datetime(2025, 6, 2, tzinfo=UTC),
            **kw,  # type: ignore[arg-type]
        )
        decisions.approve(s, decision_id=decision.id, actor="bob", at=datetime(2025, 6, 2, tzinfo=UTC))


def test_a_registered_licence_authorises_its_debits_until_it_expires(engine: Engine) -> None:
    """A specific licence debits the accounts it names, to its payee, up to its amount, until it expires."""
    june = datetime(2025, 6, 6, 12, 0, tzinfo=UTC)
    with Session(engine, expire_on_commit=False) as s, s.begin():
        add_party(s, "P1", "Beti Hohler")
        customer(s, "A1", "P1", "1000.00", at=june)
        add_block(s, "P1", "icc-hohler-beti", "ICC-EO14203", at=june)
        ledger.block_funds(s, account_id="A1", actor="officer", reason="listed 5 June 2025", at=june)
    register(
        engine,
        "ICC-EO14203-2025-0042-1",
        direction="debit",
        party="P1",
        accounts=["BLK-A1"],
        amount="250.00",
        counterparty="Haagse Verhuur BV",
        expires=datetime(2025, 7, 8, 0, 1, tzinfo=NY),
    )

    def debit(at: datetime, amount: str = "100.00", payee: str = "HAAGSE VERHUUR B.V.") -> LedgerTransaction:
        with Session(engine, expire_on_commit=False) as s, s.begin():
            return ledger.withdraw(
                s,
                account_id="BLK-A1",
                amount=D(amount),
                actor="ops",
                reason="rent",
                at=at,
                authority="ICC-EO14203-2025-0042-1",
                payee=payee,
            )

    ok = debit(datetime(2025, 7, 8, 0, 0, tzinfo=NY))
    assert ok.authority == "ICC-EO14203-2025-0042-1" and ok.data["license_check"]["ok"] is True
    with pytest.raises(BlockedPropertyError, match="expired"):
        debit(datetime(2025, 7, 8, 0, 2, tzinfo=NY))
    with pytest.raises(BlockedPropertyError, match="names the payee Haagse Verhuur BV, not Someone Else"):
        debit(datetime(2025, 7, 1, tzinfo=UTC), payee="Someone Else")
    with pytest.raises(BlockedPropertyError, match=r"has 150\.00 USD left of 250\.00, less than 200\.00"):
        debit(datetime(2025, 7, 1, tzinfo=UTC), amount="200.00")
    with Session(engine, expire_on_commit=False) as s:
        assert ledger.balance(s, "BLK-A1") == D("900.00")
        assert specific_licenses.get(s, "ICC-EO14203-2025-0042-1").used == D("100.00")  # type: ignore[union-attr]
    check_books(engine)


def test_a_blocked_payment_is_received_into_the_persons_blocked_account(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as s, s.begin():
        add_party(s, "P1", "Has An Account")
        add_party(s, "P2", "Has No Account")
        customer(s, "A1", "P1", "10.00")
        with_account = ledger.receive_blocked(
            s,
            owner_id="P1",
            currency="USD",
            amount=D("75.00"),
            actor="payments",
            reason="MT103 blocked",
            at=T0,
        )
        without = ledger.receive_blocked(
            s, owner_id="P2", currency="EUR", amount=D("12.34"), actor="payments", reason="pacs.008", at=T0
        )
        assert (with_account.id, with_account.source_account_id) == ("BLK-A1", "A1")
        assert (without.id, without.source_account_id, without.owner_id) == ("BLK-P2-EUR", None, "P2")
        assert ledger.balance(s, "BLK-A1") == D("75.00") and ledger.balance(s, "A1") == D("10.00")
        assert ledger.balance(s, "SYS-CLEARING-EUR") == D("-12.34")
        with pytest.raises(NotFoundError):
            ledger.receive_blocked(
                s, owner_id="P9", currency="USD", amount=D("1"), actor="p", reason="r", at=T0
            )
    check_books(engine)


# --- interest ----------------------------------------------------------------------------------------


def test_interest_is_exact_rounded_half_even_and_carried(engine: Engine) -> None:
    start = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    with Session(engine, expire_on_commit=False) as s, s.begin():
        add_party(s, "P1", "Blocked Person")
        customer(s, "A1", "P1", "1000.00", at=start)
        s.add(Setting(key="blocked_interest_rate", value={"rate": "0.05"}, updated_at=start, updated_by="t"))
        ledger.block_funds(s, account_id="A1", actor="officer", reason="listed", at=start)
    rate = D("0.05")
    with Session(engine, expire_on_commit=False) as s, s.begin():
        # one day: 1000 x 0.05 / 365 = 0.136986..., posted 0.14, -0.003013... carried
        tx = ledger.accrue_interest(s, account_id="BLK-A1", until=datetime(2025, 3, 2, tzinfo=UTC), actor="t")
        assert tx is not None
        exact1 = D(1000) * rate / 365
        assert ledger.balance(s, "BLK-A1") == D("1000.14")
        assert D(tx.data["carry_out"]) == (exact1 - D("0.14")).quantize(D("1e-12"), ROUND_HALF_EVEN)
        assert tx.data["rate_source"] == "setting" and tx.data["days"] == 1
        # a deposit mid-period earns only from its own day: 1000.14 for 2 days, 1100.14 for 3
        ledger.deposit(
            s,
            account_id="A1",
            amount=D("100.00"),
            actor="t",
            reason="r",
            at=datetime(2025, 3, 4, 8, tzinfo=UTC),
        )
        tx2 = ledger.accrue_interest(
            s, account_id="BLK-A1", until=datetime(2025, 3, 7, tzinfo=UTC), actor="t"
        )
        assert tx2 is not None
        exact2 = (D("1000.14") * 2 + D("1100.14") * 3) * rate / 365 + D(tx.data["carry_out"])
        posted2 = exact2.quantize(D("0.01"), ROUND_HALF_EVEN)
        assert ledger.balance(s, "BLK-A1") == D("1100.14") + posted2
        # the same day again: nothing more is owed
        assert (
            ledger.accrue_interest(
                s, account_id="BLK-A1", until=datetime(2025, 3, 7, 18, tzinfo=UTC), actor="t"
            )
            is None
        )
        assert [h["kind"] for h in ledger.history(s, "BLK-A1")] == [
            "block",
            "interest",
            "deposit",
            "interest",
        ]
    check_books(engine)


def test_less_than_half_a_minor_unit_stays_owed_until_it_is_earned(engine: Engine) -> None:
    start = datetime(2025, 3, 1, tzinfo=UTC)
    with Session(engine, expire_on_commit=False) as s, s.begin():
        add_party(s, "P1", "Blocked Person")
        ledger.open_account(
            s, account_id="J1", owner_id="P1", currency="JPY", opening_balance=D("1000"), actor="t", at=start
        )
        # 1000 yen at 4% earns 0.1096 yen a day: nothing to post for four days, 1 yen on the fifth
        ledger.block_funds(
            s, account_id="J1", actor="officer", reason="listed", at=start, interest_rate=D("0.04")
        )
        assert (
            ledger.accrue_interest(s, account_id="BLK-J1", until=start + timedelta(days=4), actor="t") is None
        )
        assert s.get(Account, "BLK-J1").interest_accrued_to == start  # type: ignore[union-attr]
        tx = ledger.accrue_interest(s, account_id="BLK-J1", until=start + timedelta(days=5), actor="t")
        assert tx is not None and tx.data["days"] == 5 and tx.data["rate_source"] == "account"
        assert ledger.balance(s, "BLK-J1") == D("1001")
        # 5 x 0.109589... = 0.547945..., 1 yen posted, -0.452054... carried into the next period
        assert D(tx.data["carry_out"]) == (D(1000) * 5 * D("0.04") / 365 - 1).quantize(D("1e-12"))
    check_books(engine)


def test_accrue_all_uses_each_accounts_rate_or_the_default(engine: Engine) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    until = datetime(2026, 1, 1, tzinfo=UTC)
    with Session(engine, expire_on_commit=False) as s, s.begin():
        add_party(s, "P1", "Blocked Person")
        customer(s, "A1", "P1", "1000.00", at=start)
        customer(s, "A2", "P1", "1000.00", at=start)
        ledger.block_funds(s, account_id="A1", actor="o", reason="listed", at=start)
        ledger.block_funds(s, account_id="A2", actor="o", reason="listed", at=start, interest_rate=D("0.01"))
        posted = ledger.accrue_all(s, until=until, actor="t")
        assert len(posted) == 2
        # a whole (non-leap) year: exactly the rate
        assert ledger.balance(s, "BLK-A1") == D("1000.00") * (1 + ledger.DEFAULT_INTEREST_RATE)
        assert ledger.balance(s, "BLK-A2") == D("1010.00")
        assert ledger.accrue_all(s, until=until, actor="t") == []
    check_books(engine)


# --- release -----------------------------------------------------------------------------------------


def test_release_on_delisting_returns_everything_and_keeps_the_history(engine: Engine) -> None:
    """Fatou Bensouda: designated 2 September 2020 under EO 13928, delisted 2 April 2021."""
    blocked_at = datetime(2020, 9, 3, 15, 0, tzinfo=UTC)
    delisted = datetime(2021, 4, 2, 16, 0, tzinfo=UTC)
    with Session(engine, expire_on_commit=False) as s, s.begin():
        add_party(s, "P1", "Fatou Bensouda")
        customer(s, "A1", "P1", "20000.00", at=datetime(2019, 1, 1, tzinfo=UTC))
        block = add_block(s, "P1", "icc-bensouda-fatou", "ICC-EO13928", at=blocked_at)
        ledger.block_funds(
            s,
            account_id="A1",
            actor="officer",
            reason="SDN",
            at=blocked_at,
            block_id=block.id,
            interest_rate=D("0.02"),
        )
        ledger.accrue_interest(s, account_id="BLK-A1", until=datetime(2021, 1, 1, tzinfo=UTC), actor="batch")
        held_2020 = ledger.blocked_holdings(s, on=date(2020, 12, 31))
        assert [(h.account_id, h.owner_name, h.source_account_id, h.blocked_on) for h in held_2020] == [
            ("BLK-A1", "Fatou Bensouda", "A1", date(2020, 9, 3))
        ]
        assert held_2020[0].balance == D("20000.00")  # the interest was posted on 1 January
        assert ledger.blocked_holdings(s, on=date(2021, 1, 1))[0].balance > D("20000.00")
        s.get(Block, block.id).released_at = delisted  # type: ignore[union-attr]
        tx = ledger.release(
            s,
            blocked_account_id="BLK-A1",
            kind="delisting",
            actor="officer",
            reason="EO 13928 revoked by EO 14022",
            at=delisted,
        )
        # 3 Sep 2020 .. 1 Apr 2021 at 2% on 20,000 (120 + 91 days, in two postings) and back to A1
        first = (D(20000) * 120 * D("0.02") / 365).quantize(D("0.01"), ROUND_HALF_EVEN)
        carry = D(20000) * 120 * D("0.02") / 365 - first
        second = ((D(20000) + first) * 91 * D("0.02") / 365 + carry).quantize(D("0.01"), ROUND_HALF_EVEN)
        assert ledger.balance(s, "A1") == D(20000) + first + second
        assert tx.data["release_kind"] == "delisting" and tx.data["destination"] == "A1"
        blk, src = s.get(Account, "BLK-A1"), s.get(Account, "A1")
        assert blk is not None and src is not None
        assert (blk.status, blk.closed_at, src.status) == ("closed", delisted, "open")
        assert [(h["kind"], h["amount"]) for h in ledger.history(s, "BLK-A1")] == [
            ("block", D("20000.00")),
            ("interest", first),
            ("interest", second),
            ("release", -(D(20000) + first + second)),
        ]
        assert [h["kind"] for h in ledger.history(s, "A1")] == ["opening", "block", "release"]
        # the account is an ordinary one again, and the blocked holding is gone from the next report
        ledger.withdraw(
            s, account_id="A1", amount=D("100.00"), actor="t", reason="after delisting", at=delisted
        )
        assert ledger.blocked_holdings(s, on=date(2021, 6, 30)) == []
        with pytest.raises(EnforcementError, match="released already"):
            ledger.release(
                s, blocked_account_id="BLK-A1", kind="delisting", actor="o", reason="r", at=delisted
            )
    assert actions(engine, "account:BLK-A1") == ["ledger.interest", "ledger.interest", "ledger.release"]
    check_books(engine)


def test_release_by_licence_and_compliance_release(engine: Engine) -> None:
    june = datetime(2025, 6, 6, tzinfo=UTC)
    with Session(engine, expire_on_commit=False) as s, s.begin():
        add_party(s, "P1", "Harbour Holdings")
        add_party(s, "P2", "Mistaken Identity")
        customer(s, "A1", "P1", "500.00", at=june)
        block = add_block(s, "P1", "icc-alapini-gansou-reine", "ICC-EO14203", at=june)
        ledger.block_funds(s, account_id="A1", actor="o", reason="listed", at=june, interest_rate=D("0"))
        ledger.receive_blocked(
            s, owner_id="P2", currency="USD", amount=D("80.00"), actor="p", reason="wire", at=june
        )
    # a general licence never unblocks property
    with Session(engine, expire_on_commit=False) as s, pytest.raises(BlockedPropertyError, match="specific"):
        ledger.release(
            s, blocked_account_id="BLK-A1", kind="license", actor="o", reason="r", at=june, authority="GL 1"
        )
    register(
        engine,
        "ICC-EO14203-2025-0007-1",
        direction="release",
        party="P1",
        accounts=["BLK-A1"],
        amount="400.00",
        unblocking_report=True,
    )
    with Session(engine, expire_on_commit=False) as s, s.begin():
        with pytest.raises(EnforcementError, match="needs the licence number"):
            ledger.release(s, blocked_account_id="BLK-A1", kind="license", actor="o", reason="r", at=june)
        with pytest.raises(EnforcementError, match="must be one of"):
            ledger.release(s, blocked_account_id="BLK-A1", kind="amnesty", actor="o", reason="r", at=june)
        # as blocking.release_block does: the block is closed first, in the same transaction
        s.get(Block, block.id).released_at = datetime(2025, 7, 1, tzinfo=UTC)  # type: ignore[union-attr]
        s.flush()
        with pytest.raises(BlockedPropertyError, match=r"less than 500\.00"):  # it covers 400.00 only
            ledger.release(
                s,
                blocked_account_id="BLK-A1",
                kind="license",
                actor="o",
                reason="r",
                at=datetime(2025, 7, 1, tzinfo=UTC),
                authority="ICC-EO14203-2025-0007-1",
            )
    register(
        engine,
        "ICC-EO14203-2025-0008-1",
        direction="release",
        party="P1",
        accounts=["BLK-A1"],
        amount="500.00",
    )
    with Session(engine, expire_on_commit=False) as s, s.begin():
        s.get(Block, block.id).released_at = datetime(2025, 7, 1, tzinfo=UTC)  # type: ignore[union-attr]
        s.flush()
        tx = ledger.release(
            s,
            blocked_account_id="BLK-A1",
            kind="license",
            actor="o",
            reason="unblocked by OFAC",
            at=datetime(2025, 7, 1, tzinfo=UTC),
            authority="ICC-EO14203-2025-0008-1",
        )
        assert tx.data["license_check"]["ok"] is True and tx.data["unblocking_report"]["owed"] is False
        assert ledger.balance(s, "A1") == D("500.00")
        # blocked in error, with no account here: the funds go back out through clearing
        tx = ledger.release(
            s,
            blocked_account_id="BLK-P2-USD",
            kind="compliance_release",
            actor="o",
            reason="31 CFR 501.806",
            at=june,
        )
        assert tx.data["unblocking_report"] == {
            "owed": True,
            "rule": "31 CFR 501.603(b)(3)",
            "why": "unblocked without a licence or a delisting (e.g. a compliance release)",
        }
        assert ledger.balance(s, "BLK-P2-USD") == 0 and ledger.balance(s, "SYS-CLEARING-USD") == 0
    check_books(engine)


def test_blocking_again_reopens_the_blocked_account(engine: Engine) -> None:
    t1, t2, t3 = (datetime(2025, m, 1, tzinfo=UTC) for m in (1, 2, 3))
    with Session(engine, expire_on_commit=False) as s, s.begin():
        add_party(s, "P1", "Listed Twice")
        customer(s, "A1", "P1", "365.00", at=t1)
        ledger.block_funds(s, account_id="A1", actor="o", reason="listed", at=t1, interest_rate=D("0.10"))
        ledger.release(
            s, blocked_account_id="BLK-A1", kind="compliance_release", actor="o", reason="error", at=t2
        )
        amount = ledger.balance(s, "A1")
        assert amount == D("365.00") + D("3.10")  # 31 days at 10% on 365.00
        blk = ledger.block_funds(s, account_id="A1", actor="o", reason="listed again", at=t3)
        assert (blk.id, blk.status, blk.closed_at, blk.interest_accrued_to) == ("BLK-A1", "blocked", None, t3)
        assert [h.blocked_on for h in ledger.blocked_holdings(s, on=date(2025, 3, 1))] == [date(2025, 3, 1)]
        assert ledger.blocked_holdings(s, on=date(2025, 2, 15)) == []
        assert len(ledger.history(s, "BLK-A1")) == 4  # block, interest, release, block
    check_books(engine)


# --- the command line (SQLite) ------------------------------------------------------------------------


def test_cli_accounts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = Store.open(url, load_registry=False)
    with Session(store.engine, expire_on_commit=False) as s, s.begin():
        add_party(s, "P1", "Fatou Bensouda")
    store.close()
    cli = CliRunner(env={"PROSCRIBE_DB": url})
    keys = keys_for(url, ann="analyst", bob="approver")

    def run(*args: str, who: str = "ann") -> tuple[int, str, str]:
        result = cli.invoke(app, ["accounts", *args], env=as_(keys[who]))
        return result.exit_code, result.stdout, result.stderr

    code, out, err = run("open", "A1", "--owner", "P1", "--opening", "1000.00", "--json")
    assert code == 0, err
    assert json.loads(out)["balance"] == "1000.00"
    assert run("deposit", "A1", "25.50", "--reason", "salary")[0] == 0
    code, out, err = run("block", "A1", "--reason", "listed", "--rate", "0.03", "--json")
    assert code == 0, err
    assert json.loads(out)["id"] == "BLK-A1"
    code, _, err = run("withdraw", "BLK-A1", "10", "--reason", "cash", who="bob")
    assert code == 1 and "refused" in err and "blocked property" in err
    # a normal service charge: proposed by one person, taken when another approves it
    code, out, err = run(
        "charge",
        "BLK-A1",
        "--item",
        "account_maintenance",
        "--reason",
        "June fee",
        "--json",
    )
    assert code == 0, err
    proposed = json.loads(out)
    assert (proposed["amount"], proposed["currency"], proposed["status"]) == ("15.00", "USD", "pending")
    assert run("charge", "BLK-A1", "--item", "lunch", "--reason", "a lunch")[0] == 1
    assert run("withdraw", "BLK-A1", "1.25", "--reason", "fee", "--service-charge")[0] == 2  # gone
    result = cli.invoke(app, ["alerts", "approve", str(proposed["decision"])], env=as_(keys["ann"]))
    assert result.exit_code != 0  # four eyes
    result = cli.invoke(app, ["alerts", "approve", str(proposed["decision"])], env=as_(keys["bob"]))
    assert result.exit_code == 0, result.stderr
    code, _, err = run("withdraw", "BLK-A1", "abc", "--reason", "x")
    assert code == 2 and "AMOUNT" in err
    code, out, err = run("list", "--blocked", "--json")
    assert code == 0, err
    assert {(r["id"], r["status"]) for r in json.loads(out)} == {("A1", "blocked"), ("BLK-A1", "blocked")}
    code, out, err = run("accrue", "--until", "2999-01-01", "--json")
    assert code == 0, err
    assert [r["account"] for r in json.loads(out)] == ["BLK-A1"]
    code, out, err = run("show", "BLK-A1", "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["interest_rate"] == "0.030000" and shown["source_account"] == "A1"
    assert [h["kind"] for h in shown["history"]] == ["block", "charge", "interest"]
    code, out, _ = run("show", "BLK-A1")
    assert code == 0 and "History" in out and "BLK-A1" in out
    code, out, err = run("holdings", "--on", "2999-01-01", "--json")
    assert code == 0, err
    assert json.loads(out)[0]["owner_name"] == "Fatou Bensouda"
    # one person cannot release blocked funds from here: releases go through four eyes (blocks release)
    assert run("release", "BLK-A1", "--kind", "delisting", "--reason", "delisted")[0] == 2
    assert run("show", "NOPE")[0] == 1
    # the refused debit was committed to the audit trail with who tried it
    store = Store.open(url, load_registry=False)
    with Session(store.engine, expire_on_commit=False) as s:
        refused = s.execute(
            select(AuditRecord).where(AuditRecord.action == "ledger.debit_refused")
        ).scalar_one()
        assert refused.actor == "bob" and refused.subject == "account:BLK-A1"
    check_books(store.engine)
    store.close()


def test_cli_specific_licences_as_documented(tmp_path: Path) -> None:
    """The commands of docs/enforcement.md (Licences), as written there."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = Store.open(url, load_registry=False)
    with Session(store.engine, expire_on_commit=False) as s, s.begin():
        add_party(s, "C-1001", "Karim Asad Ahmad Khan")
        customer(s, "A-1001", "C-1001", "12500.00")
        add_block(s, "C-1001", "icc-khan-karim", "ICC-EO14203")
        ledger.block_funds(s, account_id="A-1001", actor="officer", reason="listed", at=T0)
    store.close()
    cli = CliRunner(env={"PROSCRIBE_DB": url})
    keys = keys_for(url, alice="approver", bob="approver", ops="analyst")

    def run(*args: str, who: str = "alice") -> tuple[int, str, str]:
        result = cli.invoke(app, list(args), env=as_(keys[who]))
        return result.exit_code, result.stdout, result.stderr

    register = [
        "licenses",
        "register",
        "ICC-EO14203-1380001-1",
        "--licensee",
        "Temple Chambers LLP",
        "--direction",
        "debit",
        "--party",
        "C-1001",
        "--account",
        "BLK-A-1001",
        "--amount",
        "3500.00",
        "--currency",
        "USD",
        "--issued",
        "2025-07-01",
        "--payee",
        "Temple Chambers LLP",
        "--purpose",
        "legal_services",
        "--program",
        "ICC-EO14203",
        "--reference",
        "licence letter, file CF-2025-118",
        "--reason",
        "OFAC licensed invoice 2025/44",
    ]
    code, out, err = run(*register)
    assert code == 0, err
    assert "decision 1 waits for a second person" in " ".join(out.split())
    withdraw = [
        "accounts",
        "withdraw",
        "BLK-A-1001",
        "3500.00",
        "--license",
        "ICC-EO14203-1380001-1",
        "--payee",
        "Temple Chambers LLP",
        "--reason",
        "invoice 2025/44",
    ]
    code, _, err = run(*withdraw, who="ops")
    assert code == 1 and "waits for a second person's approval" in " ".join(err.split())
    assert run("alerts", "approve", "1")[0] != 0  # four eyes
    code, _, err = run("alerts", "approve", "1", who="bob")
    assert code == 0, err
    code, out, err = run("licenses", "list", "--status", "active", "--json")
    assert code == 0, err
    listed = [(r["number"], r["remaining"]) for r in json.loads(out)]
    assert listed == [("ICC-EO14203-1380001-1", "3500.00")]
    code, out, _ = run("licenses", "list")
    assert code == 0 and "specific licences" in out  # a table, however narrow the terminal
    code, out, err = run(*withdraw, who="ops")
    assert code == 0, err
    code, out, err = run("licenses", "show", "ICC-EO14203-1380001-1", "--json")
    assert code == 0, err
    assert (json.loads(out)["used"], json.loads(out)["status"]) == ("3500.00", "active")
    assert run("licenses", "show", "ICC-EO14203-1380001-1")[0] == 0
    assert run("licenses", "show", "NOPE")[0] == 1
    code, _, err = run(*register[:2], "GL 2", *register[3:])
    assert code == 2 and "general licence" in err
    store = Store.open(url, load_registry=False)
    with Session(store.engine, expire_on_commit=False) as s:
        assert ledger.balance(s, "BLK-A-1001") == D("9000.00")
    check_books(store.engine)
    store.close()
