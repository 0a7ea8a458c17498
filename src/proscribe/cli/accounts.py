"""``proscribe accounts``: the ledger's accounts, blocked funds, interest and releases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.table import Table

from proscribe.cli import identity
from proscribe.cli.common import console, err_console, fail, open_store, parse_date, print_json
from proscribe.enforcement.errors import BlockedPropertyError, EnforcementError

if TYPE_CHECKING:  # imported by the commands that need them, not to show --help
    from sqlalchemy.orm import Session

    from proscribe.store.book import Account
    from proscribe.store.casework import Decision
    from proscribe.store.ledger import LedgerTransaction

app = typer.Typer(help="The ledger: accounts, blocked funds, interest, releases.", no_args_is_help=True)

T = TypeVar("T")


JSON = typer.Option(False, "--json", help="Print as JSON.")


@contextmanager
def _session() -> Iterator[Session]:
    from sqlalchemy.orm import Session

    store = open_store()
    try:
        with Session(store.engine) as session:
            yield session
    finally:
        store.close()


def _run(work: Callable[[Session], T]) -> T:
    """Do ``work`` in one transaction; a refused debit still commits its audit record, then fails."""
    with _session() as session:
        try:
            result = work(session)
        except BlockedPropertyError as exc:
            session.commit()  # the refusal is a decision: keep its audit record
            fail(f"refused: {exc}")
        except (EnforcementError, ValueError) as exc:
            session.rollback()
            fail(str(exc))
        session.commit()
        return result


def _amount(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        fail(f"AMOUNT must be a decimal number such as 125.50, not {value!r}", code=2)
    if not amount.is_finite():
        fail(f"AMOUNT must be a decimal number such as 125.50, not {value!r}", code=2)
    return amount


def _when(value: str | None, option: str) -> datetime | None:
    """A date (midnight UTC at its start) or a datetime with its offset."""
    if value is None:
        return None
    if len(value) == 10:
        day = parse_date(value, option)
        assert day is not None
        return datetime.combine(day, time(0), UTC)
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option} takes YYYY-MM-DD or an ISO datetime with its offset, not {value!r}", code=2)
    if at.tzinfo is None:
        fail(f"{option} {value!r} has no time zone offset (add Z or +01:00...)", code=2)
    return at


def _tx_dict(tx: LedgerTransaction) -> dict[str, Any]:
    return {
        "transaction": tx.id,
        "kind": tx.kind,
        "at": tx.at.isoformat(),
        "actor": tx.actor,
        "reason": tx.reason,
        "authority": tx.authority,
        "data": tx.data,
    }


def _account_dict(session: Session, acct: Account) -> dict[str, Any]:
    from proscribe.enforcement import ledger

    out: dict[str, Any] = {
        "id": acct.id,
        "kind": acct.kind,
        "owner": acct.owner_id,
        "currency": acct.currency,
        "balance": str(ledger.balance(session, acct.id)),
        "status": acct.status,
        "source_account": acct.source_account_id,
        "opened_at": acct.opened_at.isoformat(),
        "closed_at": acct.closed_at.isoformat() if acct.closed_at else None,
    }
    if acct.kind == "blocked":
        rate, source = ledger.effective_rate(session, acct)
        out["interest_rate"] = str(rate)
        out["rate_source"] = source
        out["interest_accrued_to"] = (
            acct.interest_accrued_to.isoformat() if acct.interest_accrued_to else None
        )
    return out


def _print_tx(tx: dict[str, Any], json_out: bool) -> None:
    if json_out:
        print_json(tx)
    else:
        console.print(f"transaction {tx['transaction']} ({tx['kind']}) recorded", highlight=False)


@app.command("list")
def list_accounts(
    blocked: bool = typer.Option(
        False, "--blocked", help="Only blocked accounts and accounts marked blocked."
    ),
    json_out: bool = JSON,
) -> None:
    """Every account with its balance and status."""
    from sqlalchemy import select

    from proscribe.store.book import Account

    with _session() as session:
        q = select(Account).order_by(Account.id)
        if blocked:
            q = q.where((Account.kind == "blocked") | (Account.status == "blocked"))
        rows = [_account_dict(session, a) for a in session.execute(q).scalars()]
    if json_out:
        print_json(rows)
        return
    table = Table(title="Blocked accounts" if blocked else "Accounts")
    for col in ("id", "kind", "owner", "currency", "balance", "status", "source account"):
        table.add_column(col, justify="right" if col == "balance" else "left")
    for r in rows:
        table.add_row(
            r["id"],
            r["kind"],
            r["owner"] or "",
            r["currency"],
            r["balance"],
            r["status"],
            r["source_account"] or "",
        )
    console.print(table, markup=False)


@app.command()
def show(account_id: str = typer.Argument(..., help="The account id."), json_out: bool = JSON) -> None:
    """One account: balance, status and every entry, oldest first."""
    from proscribe.enforcement import ledger
    from proscribe.labels import explanation
    from proscribe.store.book import Account

    with _session() as session:
        acct = session.get(Account, account_id)
        if acct is None:
            fail(f"no account {account_id!r}")
        info = _account_dict(session, acct)
        info["history"] = [
            h
            | {
                "at": h["at"].isoformat(),
                "amount": str(h["amount"]),
                "balance_after": str(h["balance_after"]),
            }
            for h in ledger.history(session, account_id)
        ]
    if json_out:
        print_json(info)
        return
    console.print(
        f"[bold]{info['id']}[/] ({info['kind']}, {info['owner'] or 'the institution'}): "
        f"{info['balance']} {info['currency']}, {info['status']}",
        highlight=False,
    )
    if info.get("source_account"):
        console.print(f"  funds of {info['source_account']}", highlight=False)
    if "interest_rate" in info:
        console.print(
            f"  interest {info['interest_rate']} a year ({info['rate_source']}), "
            f"accrued to {info['interest_accrued_to']}",
            highlight=False,
        )
    table = Table(title="History")
    for col in ("at", "kind", "amount", "balance", "with", "actor", "reason", "authority"):
        table.add_column(col, justify="right" if col in ("amount", "balance") else "left")
    for h in info["history"]:
        table.add_row(
            h["at"][:19],
            h["kind"],
            h["amount"],
            h["balance_after"],
            ", ".join(h["counterparts"]),
            h["actor"],
            explanation(h["reason"]),  # a block's reason quotes the matcher: countries by name
            h["authority"] or "",
        )
    console.print(table, markup=False)


@app.command("open")
def open_cmd(
    account_id: str = typer.Argument(..., help="The new account's id."),
    owner: str = typer.Option(..., "--owner", help="The party holding it (its id)."),
    currency: str = typer.Option("USD", "--currency", help="ISO 4217 code."),
    opening: str = typer.Option("0", "--opening", help="Opening balance."),
    json_out: bool = JSON,
) -> None:
    """Open a customer account."""
    from proscribe.enforcement import ledger

    amount = _amount(opening)

    def work(session: Session) -> dict[str, Any]:
        acct = ledger.open_account(
            session,
            account_id=account_id,
            owner_id=owner,
            currency=currency.upper(),
            opening_balance=amount,
            actor=identity.person(session, "analyst", "opening an account"),
            source="proscribe accounts open",
        )
        return _account_dict(session, acct)

    info = _run(work)
    if json_out:
        print_json(info)
    else:
        console.print(f"account {info['id']} opened: {info['balance']} {info['currency']}", highlight=False)


@app.command()
def deposit(
    account_id: str = typer.Argument(..., help="The account to credit."),
    amount: str = typer.Argument(..., help="The amount, e.g. 125.50."),
    reason: str = typer.Option(..., "--reason", help="Why (kept with the transaction)."),
    json_out: bool = JSON,
) -> None:
    """Credit an account; a blocked account holder's credit goes into the blocked account."""
    from proscribe.enforcement import ledger

    value = _amount(amount)
    tx = _run(
        lambda s: _tx_dict(
            ledger.deposit(
                s,
                account_id=account_id,
                amount=value,
                actor=identity.person(s, "analyst", "a deposit"),
                reason=reason,
            )
        )
    )
    _print_tx(tx, json_out)


@app.command()
def withdraw(
    account_id: str = typer.Argument(..., help="The account to debit."),
    amount: str = typer.Argument(..., help="The amount, e.g. 125.50."),
    reason: str = typer.Option(..., "--reason", help="Why (kept with the transaction)."),
    license: str | None = typer.Option(
        None, "--license", help="A specific licence registered here (proscribe licenses register)."
    ),
    payee: str | None = typer.Option(None, "--payee", help="Who is paid (a licence names its payee)."),
    payee_account: str | None = typer.Option(None, "--payee-account", help="The payee's account."),
    purpose: str | None = typer.Option(None, "--purpose", help="The debit's purpose, e.g. legal_fees."),
    json_out: bool = JSON,
) -> None:
    """Debit an account; blocked property only as a registered specific licence allows."""
    from proscribe.enforcement import ledger

    value = _amount(amount)
    tx = _run(
        lambda s: _tx_dict(
            ledger.withdraw(
                s,
                account_id=account_id,
                amount=value,
                actor=identity.person(s, "analyst", "a withdrawal"),
                reason=reason,
                authority=license,
                purpose=purpose,
                payee=payee,
                payee_account=payee_account,
            )
        )
    )
    _print_tx(tx, json_out)


@app.command()
def charge(
    account_id: str = typer.Argument(..., help="The account the charge is owed from."),
    item: str = typer.Option(..., "--item", help="The charge's code in the policy's schedule."),
    reason: str = typer.Option(..., "--reason", help="Why (kept with the decision)."),
    json_out: bool = JSON,
) -> None:
    """Propose a normal service charge from the policy's schedule; a second person approves it."""
    from proscribe.enforcement import decisions

    info = _run(
        lambda s: _decision_dict(
            decisions.propose_charge(
                s,
                account_id=account_id,
                item=item,
                reason=reason,
                actor=identity.person(s, "analyst", "proposing a charge"),
            )
        )
    )
    if json_out:
        print_json(info)
    else:
        console.print(
            f"decision {info['decision']}: {info['item']} ({info['amount']} {info['currency']}) on "
            f"{account_id} waits for a second person (proscribe alerts approve)",
            highlight=False,
        )


def _decision_dict(d: Decision) -> dict[str, Any]:
    return {
        "decision": d.id,
        "status": d.status,
        "item": d.evidence.get("item"),
        "amount": d.evidence.get("amount"),
        "currency": d.evidence.get("currency"),
        "account": d.subject_id,
    }


@app.command()
def block(
    account_id: str = typer.Argument(..., help="The customer account whose funds are blocked."),
    reason: str = typer.Option(..., "--reason", help="Why (the listing, the decision...)."),
    block_id: int | None = typer.Option(None, "--block-id", help="The Block record this carries out."),
    rate: str | None = typer.Option(
        None, "--rate", help="Annual interest rate, e.g. 0.04 (default: setting)."
    ),
    json_out: bool = JSON,
) -> None:
    """Move an account's whole balance into its blocked account."""
    from proscribe.enforcement import ledger

    interest = _amount(rate) if rate is not None else None

    def work(session: Session) -> dict[str, Any]:
        blk = ledger.block_funds(
            session,
            account_id=account_id,
            actor=identity.person(session, "analyst", "blocking an account"),
            reason=reason,
            block_id=block_id,
            interest_rate=interest,
        )
        return _account_dict(session, blk)

    info = _run(work)
    if json_out:
        print_json(info)
    else:
        console.print(
            f"{account_id} blocked: {info['balance']} {info['currency']} held in {info['id']}",
            highlight=False,
        )


@app.command()
def accrue(
    until: str = typer.Option(
        ..., "--until", help="Accrue for every day before this date (YYYY-MM-DD) or up to this datetime."
    ),
    json_out: bool = JSON,
) -> None:
    """Credit interest to every blocked account."""
    from sqlalchemy import select

    from proscribe.enforcement import ledger
    from proscribe.store.ledger import LedgerEntry

    when = _when(until, "--until")
    assert when is not None

    def work(session: Session) -> list[dict[str, Any]]:
        out = []
        for tx in ledger.accrue_all(session, until=when, actor=identity.automated(session)):
            # the credit leg is the blocked account's; the debit is SYS-INTEREST's
            credit = session.execute(
                select(LedgerEntry).where(LedgerEntry.transaction_id == tx.id, LedgerEntry.amount > 0)
            ).scalar_one()
            amount = Decimal(credit.amount).quantize(Decimal(1).scaleb(-ledger.minor_unit(credit.currency)))
            out.append(_tx_dict(tx) | {"account": credit.account_id, "amount": str(amount)})
        return out

    rows = _run(work)
    if json_out:
        print_json(rows)
        return
    if not rows:
        err_console.print("no interest to post")
    for r in rows:
        console.print(f"{r['account']}: +{r['amount']} ({r['reason']})", highlight=False)


@app.command()
def holdings(
    on: str | None = typer.Option(
        None, "--on", help="As of the end of this day (default today), YYYY-MM-DD."
    ),
    json_out: bool = JSON,
) -> None:
    """Blocked property held at the end of a day: what the annual report (30 June) lists."""
    from proscribe.enforcement import ledger

    day = parse_date(on, "--on") or date.today()
    with _session() as session:
        rows = [h.to_dict() for h in ledger.blocked_holdings(session, on=day)]
    if json_out:
        print_json(rows)
        return
    table = Table(title=f"Blocked property held at the end of {day}")
    for col in ("account", "owner", "name", "source account", "currency", "balance", "rate", "blocked on"):
        table.add_column(col, justify="right" if col == "balance" else "left")
    for r in rows:
        table.add_row(
            r["account"],
            r["owner"] or "",
            r["owner_name"] or "",
            r["source_account"] or "",
            r["currency"],
            r["balance"],
            r["interest_rate"],
            r["blocked_on"] or "",
        )
    console.print(table, markup=False)
