"""What the legal tests share: a small book, specific licences, and the ledger's books checked.

Each test in this folder states one rule of law in its docstring, with its source, and checks that
proscribe applies it. The book is built through proscribe's own functions (the ledger, blocking,
the four-eyes decisions), so every step is the one an institution takes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from proscribe.enforcement import audit, blocking, decisions, ledger, specific_licenses
from proscribe.enforcement.book import party_checksum
from proscribe.store.audit import AuditRecord
from proscribe.store.book import Account, AccountParty, Party
from proscribe.store.casework import Block
from proscribe.store.ledger import LedgerEntry

D = Decimal
T0 = datetime(2025, 2, 10, 15, 0, tzinfo=UTC)


def party(s: Session, party_id: str, name: str, kind: str = "person", customer: bool = True) -> None:
    fields = {"kind": kind, "name": name, "aliases": []}
    s.add(
        Party(
            id=party_id,
            checksum=party_checksum(fields),
            source="test",
            created_at=T0,
            updated_at=T0,
            is_customer=customer,
            **fields,
        )
    )
    s.flush()


def account(
    s: Session, account_id: str, owner: str, amount: str, currency: str = "USD", at: datetime = T0
) -> None:
    ledger.open_account(
        s,
        account_id=account_id,
        owner_id=owner,
        currency=currency,
        opening_balance=D(amount),
        actor="t",
        at=at,
    )
    s.add(AccountParty(account_id=account_id, party_id=owner, role="holder", share=None))
    s.flush()


def block_listed(s: Session, party_id: str, entity_id: str, program: str, at: datetime = T0) -> Block:
    """Block a party as a confirmed match with a listing: its accounts are frozen at once."""
    return blocking.block_party(
        s,
        party_id=party_id,
        basis="listing",
        explanation=f"confirmed match with {entity_id}",
        actor="officer",
        at=at,
        entity_id=entity_id,
        dataset="proscribe_icc",
        programs=[program],
    )


def register_licence(
    engine: Engine,
    number: str,
    *,
    direction: str,
    parties: list[str],
    accounts: list[str],
    amount: str,
    currency: str = "USD",
    approve: bool = True,
    at: datetime = T0,
    **kw: object,
) -> int:
    """One person records a specific licence; another approves it (unless ``approve`` is False)."""
    with Session(engine) as s, s.begin():
        _, decision = specific_licenses.register(
            s,
            number=number,
            licensee=str(kw.pop("licensee", "Example National Bank")),
            direction=direction,
            parties=parties,
            accounts=accounts,
            amount=D(amount),
            currency=currency,
            issued=kw.pop("issued", date(2025, 2, 1)),  # type: ignore[arg-type]
            reference="OFAC licence, copy in the compliance file",
            reason="licence received from OFAC",
            actor="alice",
            at=at,
            **kw,  # type: ignore[arg-type]
        )
        if approve:
            decisions.approve(s, decision_id=decision.id, actor="bob", at=at)
        return decision.id


def balance(engine: Engine, account_id: str) -> Decimal:
    with Session(engine) as s:
        acct = s.get(Account, account_id)
        return D(0) if acct is None else ledger.balance(s, account_id)


def audit_actions(engine: Engine, action: str) -> list[AuditRecord]:
    with Session(engine) as s:
        return list(
            s.scalars(select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.seq))
        )


def check_books(engine: Engine) -> None:
    """Double entry holds: every transaction and currency sums to zero, every row equals its entries,
    no customer or blocked account is overdrawn, and the audit chain verifies."""
    with Session(engine) as s:
        for tx_id, total in s.execute(
            select(LedgerEntry.transaction_id, func.sum(LedgerEntry.amount)).group_by(
                LedgerEntry.transaction_id
            )
        ):
            assert D(total) == 0, f"transaction {tx_id} does not balance"
        per_account: dict[str, Decimal] = {}
        per_ccy: dict[str, Decimal] = {}
        for account_id, ccy, amount in s.execute(
            select(LedgerEntry.account_id, LedgerEntry.currency, LedgerEntry.amount)
        ):
            per_account[account_id] = per_account.get(account_id, D(0)) + D(amount)
            per_ccy[ccy] = per_ccy.get(ccy, D(0)) + D(amount)
        assert all(v == 0 for v in per_ccy.values()), per_ccy
        for acct in s.scalars(select(Account)):
            assert D(acct.balance) == per_account.get(acct.id, D(0)), acct.id
            assert acct.kind == "internal" or acct.balance >= 0, acct.id
    assert audit.verify(engine).ok


def mt103(
    ref: str,
    amount: str,
    *,
    debtor: tuple[str, str],
    creditor: tuple[str, str],
    text: str,
    licence: str | None = None,
    currency: str = "USD",
    day: str = "250801",
) -> str:
    """An MT103 credit transfer: ``debtor`` and ``creditor`` are (account, name)."""
    lines = [
        "{1:F01CHASUS33AXXX0000000000}{2:I103BARCGB22XXXXN}{4:",
        f":20:{ref}",
        ":23B:CRED",
        f":32A:{day}{currency}{amount.replace('.', ',')}",
        f":50K:/{debtor[0]}",
        debtor[1],
        ":57A:BARCGB22",
        f":59:/{creditor[0]}",
        creditor[1],
        f":70:{text}",
        ":71A:OUR",
    ]
    if licence:
        lines.append(f":72:/LICENCE/{licence}")
    lines.append("-}")
    return "\n".join(lines) + "\n"


def pacs008(
    ref: str,
    amount: str,
    *,
    debtor: tuple[str, str],
    creditor: tuple[str, str],
    purpose: str,
    text: str,
    regulatory: str | None = None,
    currency: str = "USD",
) -> str:
    """A pacs.008 with one credit transfer, an ISO purpose code and (optionally) regulatory reporting."""
    reg = f"<RgltryRptg><Dtls><Inf>{regulatory}</Inf></Dtls></RgltryRptg>" if regulatory else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.10">
  <FIToFICstmrCdtTrf>
    <GrpHdr><MsgId>{ref}-MSG</MsgId><CreDtTm>2025-08-01T10:00:00Z</CreDtTm><NbOfTxs>1</NbOfTxs>
      <SttlmInf><SttlmMtd>INDA</SttlmMtd></SttlmInf></GrpHdr>
    <CdtTrfTxInf>
      <PmtId><EndToEndId>{ref}</EndToEndId></PmtId>
      <IntrBkSttlmAmt Ccy="{currency}">{amount}</IntrBkSttlmAmt>
      <IntrBkSttlmDt>2025-08-01</IntrBkSttlmDt>
      <Dbtr><Nm>{debtor[1]}</Nm></Dbtr>
      <DbtrAcct><Id><Othr><Id>{debtor[0]}</Id></Othr></Id></DbtrAcct>
      <DbtrAgt><FinInstnId><BICFI>ABNANL2A</BICFI></FinInstnId></DbtrAgt>
      <CdtrAgt><FinInstnId><BICFI>CHASUS33</BICFI></FinInstnId></CdtrAgt>
      <Cdtr><Nm>{creditor[1]}</Nm></Cdtr>
      <CdtrAcct><Id><Othr><Id>{creditor[0]}</Id></Othr></Id></CdtrAcct>
      <Purp><Cd>{purpose}</Cd></Purp>
      {reg}
      <RmtInf><Ustrd>{text}</Ustrd></RmtInf>
    </CdtTrfTxInf>
  </FIToFICstmrCdtTrf>
</Document>
"""


def screen(store: Any, tmp_path: Path, name: str, text: str, at: datetime) -> list[Any]:
    """Screen and store a payment file against the lists in force on the day of ``at``."""
    from proscribe.enforcement.payments import screen_payments
    from proscribe.screening import Screener

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    screener = Screener.from_store(store, as_of=at.date(), cache_dir=tmp_path / "index")
    return screen_payments(store, path, actor="payments-gateway", at=at, screener=screener)
