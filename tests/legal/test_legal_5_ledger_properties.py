"""Finding 5, as a property: over random sequences of movements, no money is created and nothing leaves
blocked property except by an authorised posting.

Hypothesis draws sequences of deposits, withdrawals, transfers, payments (from outside, from an
account here, out of blocked property, into a joint account), blockings, interest accruals, service
charges and releases, runs each on a fresh book inside one transaction (rolled back afterwards), and
checks after every step:

* every transaction sums to zero per currency, and every account's row equals its entries;
* no customer or blocked account is overdrawn;
* no blocked account's balance goes down except by a release, a normal service charge or a transfer
  to a blocked account in the same name;
* the total of blocked funds changes by exactly what the step blocked, accrued, charged or released,
  as worked out from the step itself, not read back from the ledger.

Examples: ``PROSCRIBE_LEDGER_EXAMPLES`` (default 100 on SQLite, a third of that on PostgreSQL, so the
suite stays under its six minutes); ``PROSCRIBE_LEDGER_EXAMPLES=3000 pytest tests/legal -k properties``
runs thousands. 100 sequences of up to 14 steps drawn from the eight kinds of step below meet every
kind dozens of times in a run, in random orders, on single and joint accounts: every rule above is
exercised in each run, and each run draws afresh (no example database), so CI covers more over time.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from legal_helpers import account, block_listed, party
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from proscribe.enforcement import blocking, ledger
from proscribe.enforcement.errors import EnforcementError
from proscribe.enforcement.payment_funds import block_payment_funds, locate
from proscribe.payments.messages import Party as MessageParty
from proscribe.payments.messages import PaymentMessage
from proscribe.store import Store
from proscribe.store.book import Account, AccountParty
from proscribe.store.ledger import LedgerEntry, LedgerTransaction

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
ACCOUNTS = ("A1", "A2", "A3", "J1")
#: who may be blocked, and under which listing
LISTINGS = {"P1": "icc-khan-karim", "P2": "icc-hohler-beti", "P3": "icc-niang-mame-mandiaye"}


def _examples(backend: str) -> int:
    n = int(os.environ.get("PROSCRIBE_LEDGER_EXAMPLES", "100"))
    return n if backend == "sqlite" else max(10, n // 3)


amounts = st.integers(min_value=1, max_value=120_000).map(lambda cents: Decimal(cents).scaleb(-2))
steps = st.one_of(
    st.tuples(st.just("deposit"), st.sampled_from(ACCOUNTS), amounts),
    st.tuples(st.just("withdraw"), st.sampled_from((*ACCOUNTS, "BLK-A1", "BLK-J1")), amounts),
    st.tuples(
        st.just("transfer"), st.sampled_from((*ACCOUNTS, "BLK-A1")), st.sampled_from(ACCOUNTS), amounts
    ),
    st.tuples(
        st.just("payment"), st.sampled_from((None, *ACCOUNTS)), st.sampled_from((None, *ACCOUNTS)), amounts
    ),
    st.tuples(st.just("block"), st.sampled_from(tuple(LISTINGS))),
    st.tuples(st.just("accrue"), st.integers(min_value=1, max_value=120)),
    st.tuples(st.just("charge"), st.sampled_from(("BLK-A1", "BLK-A2", "BLK-J1", "A3"))),
    st.tuples(st.just("release"), st.sampled_from(tuple(LISTINGS))),
)


@dataclass
class Outcome:
    """What a step was allowed to do to blocked property, worked out before it ran."""

    expected_delta: Decimal | None  # None: the step's own postings say (interest, releases, charges)
    may_decrease: bool = False


def _book(s: Session) -> None:
    party(s, "P1", "Karim Asad Ahmad Khan")
    party(s, "P2", "Beti Hohler")
    party(s, "P3", "Mame Mandiaye Niang")
    account(s, "A1", "P1", "1000.00", at=START)
    account(s, "A2", "P2", "500.00", at=START)
    account(s, "A3", "P3", "200.00", at=START)
    account(s, "J1", "P2", "300.00", at=START)
    s.add(AccountParty(account_id="J1", party_id="P1", role="joint_holder", share=None))
    s.flush()


def _blocked_balances(s: Session) -> dict[str, Decimal]:
    rows = s.execute(select(Account.id, Account.balance).where(Account.kind == "blocked")).all()
    return {str(i): Decimal(b) for i, b in rows}


def _property_of(s: Session, account_id: str) -> bool:
    return s.get(Account, account_id) is not None and ledger.is_blocked_property(s, account_id)


def _check_books(s: Session, since_tx: int) -> None:
    for tx_id, ccy, total in s.execute(
        select(LedgerEntry.transaction_id, LedgerEntry.currency, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.transaction_id > since_tx)
        .group_by(LedgerEntry.transaction_id, LedgerEntry.currency)
    ):
        assert Decimal(total) == 0, f"transaction {tx_id} does not balance in {ccy}: {total}"
    sums = dict(
        s.execute(
            select(LedgerEntry.account_id, func.sum(LedgerEntry.amount)).group_by(LedgerEntry.account_id)
        ).all()
    )
    for acct in s.scalars(select(Account)):
        assert Decimal(acct.balance) == Decimal(sums.get(acct.id, 0)), f"{acct.id} differs from its entries"
        assert acct.kind == "internal" or acct.balance >= 0, f"{acct.id} is overdrawn"


def _run(s: Session, step: tuple[Any, ...], at: datetime) -> Outcome:
    """Carry out one step (in a savepoint: a refused step changes nothing) and say what it may do."""
    kind = step[0]
    outcome = Outcome(Decimal(0))
    work: Callable[[], object]
    if kind == "deposit":
        _, acct, amount = step
        outcome = Outcome(amount if _property_of(s, acct) else Decimal(0))

        def work() -> object:
            return ledger.deposit(s, account_id=acct, amount=amount, actor="t", reason="deposit", at=at)

    elif kind == "withdraw":
        _, acct, amount = step

        def work() -> object:  # out of blocked property there is no licence here: always refused
            return ledger.withdraw(s, account_id=acct, amount=amount, actor="t", reason="cash", at=at)

    elif kind == "transfer":
        _, src, dst, amount = step
        into_blocked = _property_of(s, dst) if s.get(Account, dst) is not None else False
        from_blocked = _property_of(s, src)
        source = s.get(Account, src)
        target = s.get(Account, ledger.blocked_account_id(dst)) if into_blocked else None
        same_name = bool(
            from_blocked and target is not None and source and target.owner_id == source.owner_id
        )
        outcome = Outcome(amount if into_blocked and not from_blocked else Decimal(0), may_decrease=same_name)

        def work() -> object:
            return ledger.transfer(
                s, from_id=src, to_id=dst, amount=amount, actor="t", reason="transfer", at=at
            )

    elif kind == "payment":
        _, debtor, creditor, amount = step
        blocked_parties = [p for p in LISTINGS if blocking.active_blocks(s, p)]
        if not blocked_parties or debtor == creditor:
            return Outcome(Decimal(0))
        message = PaymentMessage(
            message_type="MT103",
            source="test",
            location="line 1",
            reference="P",
            amount=amount,
            currency="USD",
            value_date=at.date(),
            parties=[
                MessageParty("debtor", "50K", name="X", account=debtor or "GB33BUKB20201555555555"),
                MessageParty("creditor", "59", name="Y", account=creditor or "DE89370400440532013000"),
            ],
        )
        funds = locate(s, message)
        if funds.short:
            return Outcome(Decimal(0))
        owner = blocked_parties[0]
        outcome = Outcome(Decimal(0) if funds.source_blocked else amount)

        def work() -> object:
            return block_payment_funds(
                s,
                funds=funds,
                owner=owner,
                amount=amount,
                currency="USD",
                actor="t",
                reason="payment",
                at=at,
                payment_id=None,
                reference="P",
            )

    elif kind == "block":
        (_, who) = step
        frozen = sum(
            (
                Decimal(a.balance)
                for a in s.scalars(select(Account).where(Account.kind == "customer"))
                if who in ledger.interest_holders(s, a) and a.status == "open"
            ),
            Decimal(0),
        )
        outcome = Outcome(frozen)

        def work() -> object:
            return block_listed(s, who, LISTINGS[who], "ICC-EO14203", at=at)

    elif kind == "accrue":
        outcome = Outcome(None)

        def work() -> object:
            return ledger.accrue_all(s, until=at, actor="treasury")

    elif kind == "charge":
        (_, acct) = step
        outcome = Outcome(None, may_decrease=True)

        def work() -> object:
            return ledger.charge(
                s,
                account_id=acct,
                item="account_maintenance",
                actor="b",
                proposed_by="a",
                reason="fee",
                at=at,
            )

    else:  # release
        (_, who) = step
        outcome = Outcome(None, may_decrease=True)
        blocks = blocking.active_blocks(s, who)
        if not blocks:
            return Outcome(Decimal(0))

        def work() -> object:
            return blocking.release_block(
                s, block_id=blocks[0].id, kind="delisting", reason="delisted", actor="b", at=at
            )

    savepoint = s.begin_nested()
    try:
        work()
    except EnforcementError:
        savepoint.rollback()
        return Outcome(Decimal(0))
    savepoint.commit()
    return outcome


def _posted_since(s: Session, since_tx: int, kinds: tuple[str, ...]) -> Decimal:
    """What the step's own postings of these kinds moved on blocked accounts (interest, releases, charges)."""
    total = s.execute(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .join(Account, Account.id == LedgerEntry.account_id)
        .where(LedgerTransaction.id > since_tx, LedgerTransaction.kind.in_(kinds), Account.kind == "blocked")
    ).scalar_one()
    return Decimal(total)


def _property(store: Store, backend: str) -> None:
    @settings(
        max_examples=_examples(backend),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(st.lists(st.tuples(steps, st.integers(min_value=0, max_value=72)), min_size=1, max_size=14))
    def run(sequence: list[tuple[tuple[Any, ...], int]]) -> None:
        with Session(store.engine) as s:
            s.begin()
            try:
                _book(s)
                at = START
                for step, hours in sequence:
                    at += timedelta(hours=hours) if step[0] != "accrue" else timedelta(days=step[1])
                    before = _blocked_balances(s)
                    last_tx = s.execute(select(func.coalesce(func.max(LedgerTransaction.id), 0))).scalar_one()
                    outcome = _run(s, step, at)
                    after = _blocked_balances(s)
                    _check_books(s, last_tx)
                    for acct, was in before.items():
                        if after.get(acct, was) < was:
                            assert outcome.may_decrease, f"{step}: {acct} went from {was} to {after[acct]}"
                    delta = sum(after.values(), Decimal(0)) - sum(before.values(), Decimal(0))
                    if outcome.expected_delta is not None:
                        assert delta == outcome.expected_delta, f"{step}: blocked total moved {delta}"
                    else:
                        posted = _posted_since(s, last_tx, ("interest", "release", "charge"))
                        assert delta == posted, f"{step}: blocked total moved {delta}, postings {posted}"
                        if step[0] == "accrue":
                            assert delta >= 0
            finally:
                s.rollback()

    run()


def test_no_money_is_created_and_blocked_funds_move_only_by_authorised_postings(
    store: Store, db_url: str
) -> None:
    """Double entry (every transaction sums to zero per currency) and the blocked-property rules: funds
    are blocked where they are (31 CFR 501.603), leave blocked property only by a release, a normal
    service charge (the program's normal-service-charge provision) or a transfer to a blocked account
    in the same name (its blocked-account transfer provision), and earn interest (domain notes 2.2),
    over thousands of random sequences when ``PROSCRIBE_LEDGER_EXAMPLES`` asks for them."""
    _property(store, "sqlite" if db_url.startswith("sqlite") else "postgresql")
