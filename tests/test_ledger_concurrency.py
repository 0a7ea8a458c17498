"""No race moves money out of a blocked account: real threads, one session each, on PostgreSQL.

Every thread checks out its own connection and begins its transaction, then all are released at
once by a barrier. Whatever order the database serialises them in, the assertions below must hold:
they check outcomes (balances, entries, the audit trail), never timings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session

from proscribe.enforcement import ledger
from proscribe.enforcement.errors import BlockedPropertyError, EnforcementError
from proscribe.store import Store
from proscribe.store.audit import AuditRecord
from proscribe.store.book import Account
from proscribe.store.ledger import LedgerEntry, LedgerTransaction
from test_ledger import add_party, check_books, customer

pytestmark = pytest.mark.postgres

D = Decimal
T0 = datetime(2025, 6, 6, 12, 0, tzinfo=UTC)
THREADS = 20


@pytest.fixture()
def engine(pg_databases: Callable[[], str]) -> Iterator[Engine]:
    url = pg_databases()
    Store.open(url, load_registry=False).close()
    # one connection per thread, all open at once
    eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), pool_size=THREADS + 2)
    yield eng
    eng.dispose()


Job = Callable[[Session], object]


def race(engine: Engine, jobs: list[Job]) -> list[str]:
    """Run each job in its own thread and transaction, all released together; say how each ended."""
    barrier = threading.Barrier(len(jobs))
    outcomes = ["not run"] * len(jobs)

    def run(i: int, job: Job) -> None:
        with Session(engine) as s:
            s.connection()  # check out the connection and begin before the start line
            try:
                barrier.wait(timeout=60)
                job(s)
                s.commit()
                outcomes[i] = "ok"
            except BlockedPropertyError:
                s.commit()  # the refusal's audit record is kept, as the CLI and service do
                outcomes[i] = "refused"
            except EnforcementError as exc:
                s.rollback()
                outcomes[i] = f"error: {exc}"
            except Exception as exc:  # a deadlock or a lost lock would land here and fail the test
                s.rollback()
                outcomes[i] = f"crash: {type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def setup(engine: Engine, opening: str = "1000.00", *, blocked: bool = False) -> None:
    with Session(engine) as s, s.begin():
        add_party(s, "P1", "Beti Hohler")
        add_party(s, "P2", "Someone Else")
        customer(s, "A1", "P1", opening, at=T0)
        customer(s, "B1", "P2", "0", at=T0)
        ledger.deposit(s, account_id="B1", amount=D("1.00"), actor="t", reason="creates clearing", at=T0)
        if blocked:
            ledger.block_funds(s, account_id="A1", actor="officer", reason="listed", at=T0)
            ledger.block_funds(s, account_id="B1", actor="officer", reason="listed", at=T0)


def withdrawal(account_id: str, amount: str) -> Job:
    return lambda s: ledger.withdraw(
        s, account_id=account_id, amount=D(amount), actor="teller", reason="cash"
    )


def refusals(engine: Engine, subject: str) -> int:
    with Session(engine) as s:
        q = select(func.count()).where(
            AuditRecord.action == "ledger.debit_refused", AuditRecord.subject == subject
        )
        return int(s.scalar(q) or 0)


def debits_from(engine: Engine, account_id: str) -> list[Decimal]:
    with Session(engine) as s:
        q = select(LedgerEntry.amount).where(LedgerEntry.account_id == account_id, LedgerEntry.amount < 0)
        return [D(a) for a in s.execute(q).scalars()]


def test_withdrawals_racing_a_blocking(engine: Engine) -> None:
    """20 withdrawals of 10.00 and one blocking: each withdrawal lands before the block or is refused."""
    setup(engine)

    def blocking(s: Session) -> object:
        return ledger.block_funds(s, account_id="A1", actor="officer", reason="listed")

    jobs = [withdrawal("A1", "10.00") for _ in range(THREADS)]
    jobs.insert(THREADS // 2, blocking)
    outcomes = race(engine, jobs)
    assert outcomes[THREADS // 2] == "ok"
    withdrawals = outcomes[: THREADS // 2] + outcomes[THREADS // 2 + 1 :]
    assert set(withdrawals) <= {"ok", "refused"}, withdrawals
    paid = withdrawals.count("ok")
    with Session(engine) as s:
        assert ledger.balance(s, "A1") == 0
        assert s.get(Account, "A1").status == "blocked"  # type: ignore[union-attr]
        # everything not paid out before the block is in the blocked account
        assert ledger.balance(s, "BLK-A1") == D("1000.00") - D("10.00") * paid
        block_tx = s.execute(
            select(LedgerTransaction.id).where(LedgerTransaction.kind == "block")
        ).scalar_one()
        paid_ids = list(
            s.execute(select(LedgerTransaction.id).where(LedgerTransaction.kind == "withdrawal")).scalars()
        )
        assert len(paid_ids) == paid
        assert all(tx_id < block_tx for tx_id in paid_ids)  # none was paid after the block
    assert debits_from(engine, "BLK-A1") == []
    assert refusals(engine, "account:A1") == THREADS - paid
    check_books(engine)


def test_withdrawals_and_transfers_against_a_blocked_account_are_all_refused(engine: Engine) -> None:
    setup(engine, blocked=True)
    jobs: list[Job] = [withdrawal("BLK-A1", "10.00") for _ in range(THREADS // 2)]
    jobs += [withdrawal("A1", "10.00") for _ in range(THREADS // 4)]
    jobs += [
        lambda s: ledger.transfer(
            s, from_id="BLK-A1", to_id="BLK-B1", amount=D("10.00"), actor="t", reason="x"
        )
        for _ in range(THREADS // 4)
    ]
    outcomes = race(engine, jobs)
    assert outcomes == ["refused"] * THREADS
    with Session(engine) as s:
        assert ledger.balance(s, "BLK-A1") == D("1000.00") and ledger.balance(s, "BLK-B1") == D("1.00")
    assert debits_from(engine, "BLK-A1") == [] and debits_from(engine, "BLK-B1") == []
    assert refusals(engine, "account:BLK-A1") == THREADS // 2 + THREADS // 4
    assert refusals(engine, "account:A1") == THREADS // 4
    check_books(engine)


def test_deposits_racing_a_blocking_all_end_up_blocked(engine: Engine) -> None:
    setup(engine)
    jobs: list[Job] = [
        lambda s: ledger.deposit(s, account_id="A1", amount=D("5.00"), actor="t", reason="wire")
        for _ in range(THREADS)
    ]
    jobs.insert(3, lambda s: ledger.block_funds(s, account_id="A1", actor="officer", reason="listed"))
    assert race(engine, jobs) == ["ok"] * (THREADS + 1)
    with Session(engine) as s:
        assert ledger.balance(s, "A1") == 0
        assert ledger.balance(s, "BLK-A1") == D("1000.00") + D("5.00") * THREADS
    check_books(engine)


def test_concurrent_withdrawals_never_overdraw(engine: Engine) -> None:
    """20 withdrawals of 100.00 from 1,000.00, and the clearing account created by the race itself."""
    with Session(engine) as s, s.begin():
        add_party(s, "P1", "Ann Customer")
        customer(s, "A1", "P1", "1000.00", at=T0)
    outcomes = race(engine, [withdrawal("A1", "100.00") for _ in range(THREADS)])
    assert outcomes.count("ok") == 10, outcomes
    assert all(o == "ok" or "less than the 100.00 asked" in o for o in outcomes), outcomes
    with Session(engine) as s:
        assert ledger.balance(s, "A1") == 0 and ledger.balance(s, "SYS-CLEARING-USD") == D("1000.00")
    check_books(engine)
