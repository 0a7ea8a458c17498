"""A worked example: a US bank carries out the ICC sanctions, 2020 to 2025.

Run it from the project root (``make example``, or ``.venv/bin/python examples/icc_bank/run.py``;
``--quick`` leaves out OFAC's snapshot, ``--out DIR`` puts the store elsewhere).
It uses a fresh SQLite store in ``var/example/`` and the real list snapshots in ``../shared/data``
when they are there (the ICC program registry is always loaded), and tells the story step by step:

1. September 2020: the bank's book (customers, accounts, owners) is imported; EO 13928 designations
   of 2 September 2020 raise alerts; an analyst decides, a second person approves; the designees'
   funds are frozen, and a company 60% owned by the two designees is blocked by the 50 percent rule.
2. Payments for the blocked persons are blocked (a payment out of a blocked account moves nothing:
   its funds are blocked already), one merely naming a designee in its free text is held for a
   person, who finds no interest of hers and rejects it under four eyes; the rest pass; traveller
   checks deny the designee and her spouse and admit a look-alike.
3. Reports fall due within 10 business days; interest accrues on the blocked accounts.
4. April 2021: EO 14022 revokes EO 13928; the delta screen asks to release; funds return with
   interest, the company is released with them, and the spouse is admitted again.
5. 2025: EO 14203 designates the Prosecutor; his account is frozen. OFAC issues his lawyers a
   specific licence to be paid from his blocked funds (an illustrative number in OFAC's pattern);
   the bank records it under four eyes; the invoice it covers is paid out of the blocked account,
   a second invoice claiming General License 2 is not (GL 2 authorises legal services, not debits
   of blocked funds), nor is a gift; a normal service charge from the schedule is taken under four
   eyes; the annual report of blocked property is due.
6. The audit trail is verified end to end.

Every step goes through proscribe's Python API, exactly as the CLI and the service do once they
have established who acts (an API key, a mapped OS user, a signed-in session; docs/security.md):
the example names its people directly, and the tool's own runs ``system``. Each step is dated on
the story's timeline, in order, as the audit trail requires of dates in the past.
"""

from __future__ import annotations

import contextlib
import csv
import shutil
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.enforcement import audit, blocking, decisions, ledger, reports, specific_licenses
from proscribe.enforcement.alerts import rescreen
from proscribe.enforcement.book import import_book
from proscribe.enforcement.payments import screen_payments
from proscribe.enforcement.travel import Traveller, check_traveller, import_family
from proscribe.screening import Screener
from proscribe.store import Store, users
from proscribe.store.book import Account
from proscribe.store.casework import Alert, Payment

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = ROOT / "var" / "example"
SHARED = ROOT.parent / "shared" / "data"

ANALYST = "alice.analyst"
APPROVER = "bob.approver"
#: the tool's own automated work (screening runs, payment screening, interest accrual)
SYSTEM = users.SYSTEM_ACTOR

#: who the bank's investigators confirmed each customer to be (the look-alikes are other people)
CONFIRMED = {
    ("C-1002", "icc-bensouda-fatou"),
    ("P-2001", "icc-mochochoko-phakiso"),
    ("C-1001", "icc-khan-karim"),
}


def when(day: str, hour: int = 15) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def say(title: str) -> None:
    print(f"\n=== {title}")


def decide_open_alerts(store: Store, at: datetime) -> None:
    """The analyst decides every open alert; the approver approves each one (four eyes)."""
    with Session(store.engine) as s:
        open_alerts = list(s.scalars(select(Alert).where(Alert.status == "open").order_by(Alert.id)))
    for a in open_alerts:
        if a.kind == "delisted":
            outcome, reason = "release", f"{a.entity_id} delisted: EO 14022 revoked EO 13928"
        elif (a.party_id, a.entity_id) in CONFIRMED:
            outcome, reason = "true_match", "name, birth date and nationality match the designation"
        else:
            outcome, reason = "false_positive", "different person: birth date and nationality differ"
        with Session(store.engine) as s, s.begin():
            d = decisions.decide(s, alert_id=a.id, outcome=outcome, reason=reason, actor=ANALYST, at=at)
            # the analyst cannot approve their own decision: a second person does
            with contextlib.suppress(decisions.FourEyesError):
                decisions.approve(s, decision_id=d.id, actor=ANALYST, at=at)
            done = decisions.approve(s, decision_id=d.id, actor=APPROVER, at=at)
            print(
                f"  alert {a.id}: {a.party_id} ~ {a.entity_id} (score {a.score:.2f}) -> {outcome}, "
                f"decided by {done.decided_by}, approved by {done.reviewed_by}"
            )


def show_blocks(store: Store) -> None:
    with Session(store.engine) as s:
        for b in blocking.active_blocks(s):
            print(f"  block {b.id}: {b.party_id} ({b.basis}) {b.explanation[:150]}")
        for acct in s.scalars(select(Account).where(Account.kind == "blocked").order_by(Account.id)):
            print(f"  {acct.id} ({acct.status}): {acct.balance:,.2f} {acct.currency}, owner {acct.owner_id}")


def travellers(path: Path) -> list[Traveller]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            Traveller(
                name=f"{row['given_names']} {row['surname']}",
                birth_date=row["birth_date"],
                nationality=row["nationality"],
                gender=row["gender"],
                document_number=row["document_number"],
                document_country=row["document_country"],
                document_expiry=row["document_expiry"],
                id=row["id"],
            )
            for row in csv.DictReader(fh)
        ]


def check_travellers(store: Store, day: date, people: list[Traveller]) -> None:
    screener = Screener.from_store(store, as_of=day, cache_dir=OUT / "index")
    with Session(store.engine) as s, s.begin():
        for t in people:
            d = check_traveller(s, screener, t, on=day, actor="border.officer")
            print(f"  {t.id} {t.name}: {d.decision.upper()} - {d.reasons[0] if d.reasons else ''}")


def pay(store: Store, path: Path, at: datetime) -> None:
    for d in screen_payments(store, path, actor=SYSTEM, at=at, screener=None):
        extra = f" -> {d.blocked_account}" if d.blocked_account else ""
        lic = f" [{d.license}]" if d.license else ""
        print(f"  {d.message.reference}: {d.decision.upper()}{lic}{extra} ({d.rule})")
        if d.reasons:
            print(f"      {d.reasons[0][:140]}")


def review_held(store: Store, at: datetime) -> None:
    """A payment held because its free text names a designee: a person decides, a second approves.

    The remitter confirmed the lecture's speaker is paid nothing (an illustrative fact): no blocked
    person has an interest, but the dealing concerns a designee (EO 13928 §3), so it is rejected and
    the rejected-transaction report falls due (31 CFR 501.604; OFAC FAQ 36).
    """
    with Session(store.engine) as s, s.begin():
        for p in s.scalars(select(Payment).where(Payment.status == "held").order_by(Payment.id)):
            proposed = decisions.decide_payment(
                s,
                payment_id=p.id,
                outcome="reject",
                reason="the remitter confirmed the speaker is paid nothing: no interest of the designee; "
                "the dealing concerns her (EO 13928 §3): reject",
                actor=ANALYST,
                at=at,
            )
            decisions.approve(s, decision_id=proposed.id, actor=APPROVER, at=at)
            print(f"  {p.reference}: held, reviewed: REJECT (proposed by {ANALYST}, approved by {APPROVER})")


#: an illustrative specific licence, numbered in OFAC's pattern (<program>-<case>-<sequence>); not a real one
LICENCE = "ICC-EO14203-1380001-1"


def record_licence(store: Store, at: datetime) -> None:
    """The compliance officer records the specific licence OFAC issued; a second person approves it."""
    with Session(store.engine) as s, s.begin():
        _, decision = specific_licenses.register(
            s,
            number=LICENCE,
            licensee="Temple Chambers LLP",
            direction="debit",
            parties=["C-1001"],
            accounts=["BLK-A-1001"],
            amount=Decimal("3500.00"),
            currency="USD",
            issued=date(2025, 7, 1),
            expires=datetime(2025, 12, 31, 23, 59, tzinfo=UTC),
            program="ICC-EO14203",
            counterparty="Temple Chambers LLP",
            counterparty_account="GB29NWBK60161331926819",
            purpose="legal_services",
            reference="licence letter of 1 July 2025, compliance file CF-2025-118",
            reason="OFAC licensed payment of invoice 2025/44 from the Prosecutor's blocked funds",
            actor=ANALYST,
            at=at,
        )
        with contextlib.suppress(decisions.FourEyesError):
            decisions.approve(s, decision_id=decision.id, actor=ANALYST, at=at)
        decisions.approve(s, decision_id=decision.id, actor=APPROVER, at=at)
        row = specific_licenses.get(s, LICENCE)
        assert row is not None
        print(
            f"  {row.number}: {row.direction} of up to {row.amount:,.2f} {row.currency} from "
            f"{', '.join(row.accounts)} to {row.counterparty}, until {row.expires:%Y-%m-%d}; "
            f"recorded by {row.registered_by}, approved by {row.approved_by}"
        )


def charge(store: Store, account_id: str, at: datetime) -> None:
    """A normal service charge from the policy's schedule, proposed by one person, taken by another."""
    with Session(store.engine) as s, s.begin():
        d = decisions.propose_charge(
            s,
            account_id=account_id,
            item="account_maintenance",
            reason="July 2025 maintenance",
            actor=ANALYST,
            at=at,
        )
        done = decisions.approve(s, decision_id=d.id, actor=APPROVER, at=at)
        print(
            f"  {account_id}: {d.evidence['amount']} {d.evidence['currency']} ({d.evidence['description']}), "
            f"proposed by {done.decided_by}, approved by {done.reviewed_by}; {done.params['effect']['rule']}"
        )


def main(argv: list[str]) -> int:
    global OUT
    if "--out" in argv:
        OUT = Path(argv[argv.index("--out") + 1]).resolve()
    quick = "--quick" in argv  # the UN list only, not OFAC's 9,000 listings: the tests run it this way
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    store = Store.open(f"sqlite:///{OUT / 'bank.db'}")  # migrates and loads the ICC registry
    if (SHARED / "un-2026-02").exists():
        say("lists: the ICC registry, the UN consolidated list and OFAC's 2021 SDN snapshot")
        store.import_path(SHARED / "un-2026-02" / "consolidated.xml")
        if not quick:
            store.import_path(SHARED / "ofac-sdn-2021-07", as_of=date(2021, 7, 1))
    for st in store.status():
        print(f"  {st.dataset}: {st.records} listings, as of {st.as_of}")

    say("1 September 2020: the bank's book")
    with Session(store.engine) as s, s.begin():
        result = import_book(
            s,
            parties=HERE / "parties.csv",
            accounts=HERE / "accounts.csv",
            roles=HERE / "roles.csv",
            ownership=HERE / "ownership.csv",
            actor="onboarding",
            at=when("2020-09-01", 9),
        )
        import_family(s, HERE / "family.csv", actor="visa.office", at=when("2020-09-01", 9))
    counts = {kind: c.added for kind, c in result.files().items()}
    print(
        f"  {counts['parties']} parties, {counts['accounts']} accounts, {counts['roles']} account roles, "
        f"{counts['ownership']} ownership stakes; {len(result.rescreen)} parties to screen"
    )

    say("3 September 2020: the daily screen after the designations of 2 September")
    run = rescreen(store, mode="delta", actor=SYSTEM, at=when("2020-09-03", 6), cache_dir=OUT / "index")
    print(f"  run {run.run_id}: {run.note}; {run.alerts_opened} alerts")
    decide_open_alerts(store, when("2020-09-03"))
    show_blocks(store)

    say("15 September 2020: the blocked-property reports of the 3 September blocking are filed")
    with Session(store.engine) as s, s.begin():
        for item in reports.due(s, on=date(2020, 9, 15)):
            if item.report_id is not None and item.subject_type == "account":
                reports.mark_filed(
                    s, item.report_id, actor=APPROVER, at=when("2020-09-15"), reference="ORS-demo"
                )
                subject = f"{item.subject_type}:{item.subject_id}"
                print(f"  report {item.report_id} ({subject}) filed, due {item.due_date}")

    say("18 September 2020: payments")
    pay(store, HERE / "payments" / "2020-09.fin", when("2020-09-18"))
    review_held(store, when("2020-09-18", 17))

    say("21 September 2020: travellers at the border")
    check_travellers(store, date(2020, 9, 21), travellers(HERE / "travellers-2020.csv"))

    say("21 September 2020: reports still due (31 CFR 501.603, 501.604: 10 business days)")
    with Session(store.engine) as s:
        items = reports.due(s, on=date(2020, 9, 21))
        for item in items:
            subject = f"{item.subject_type}:{item.subject_id}"
            print(f"  {item.kind} on {subject}: due {item.due_date} ({item.days_left} days left)")
        first = next(i for i in items if i.report_id is not None)
        page = reports.render(reports.build(s, first.report_id), "html")
    (OUT / f"report-{first.report_id}.html").write_text(page, encoding="utf-8")
    print(f"  report {first.report_id} written to {OUT / f'report-{first.report_id}.html'}")

    say("31 March 2021: interest on the blocked accounts")
    with Session(store.engine) as s, s.begin():
        for tx in ledger.accrue_all(s, until=when("2021-03-31", 23), actor=SYSTEM):
            print(f"  interest posted: transaction {tx.id} {tx.reason[:90]}")
    show_blocks(store)

    say("6 April 2021: EO 14022 revoked EO 13928 on 1 April; the delta screen asks to release")
    run = rescreen(store, mode="delta", actor=SYSTEM, at=when("2021-04-06", 6), cache_dir=OUT / "index")
    print(f"  run {run.run_id}: {run.note}")
    decide_open_alerts(store, when("2021-04-06"))
    show_blocks(store)
    with Session(store.engine) as s:
        print("  history of BLK-A-1002:")
        for h in ledger.history(s, "BLK-A-1002"):
            print(f"    {str(h['at'])[:10]} {h['kind']:<8} {h['amount']:>12} balance {h['balance_after']}")

    say("10 April 2021: the spouse travels again")
    check_travellers(store, date(2021, 4, 10), travellers(HERE / "travellers-2020.csv")[1:2])

    say("10 February 2025: EO 14203 designated the Prosecutor on 6 February")
    run = rescreen(store, mode="delta", actor=SYSTEM, at=when("2025-02-10", 6), cache_dir=OUT / "index")
    print(f"  run {run.run_id}: {run.note}; {run.alerts_opened} alerts")
    decide_open_alerts(store, when("2025-02-10"))
    show_blocks(store)

    say("1 July 2025: OFAC licenses the Prosecutor's legal fees from his blocked funds")
    record_licence(store, when("2025-07-01"))

    say("July 2025: payments from the Prosecutor's account")
    pay(store, HERE / "payments" / "2025-07.fin", when("2025-07-16"))
    charge(store, "BLK-A-1001", when("2025-07-31"))
    with Session(store.engine) as s:
        print("  history of BLK-A-1001:")
        for h in ledger.history(s, "BLK-A-1001"):
            print(f"    {str(h['at'])[:10]} {h['kind']:<10} {h['amount']:>12} balance {h['balance_after']}")

    say("annual report of blocked property held on 30 June 2025 (due 30 September)")
    with Session(store.engine) as s:
        content = reports.annual(s, 2025)
        (OUT / "annual-2025.csv").write_text(reports.render(content, "csv"), encoding="utf-8")
    print(f"  written to {OUT / 'annual-2025.csv'}")

    say("the audit trail")
    check = audit.verify(store.engine)
    print(
        f"  {check.records} records, chain {'intact' if check.ok else 'BROKEN: ' + '; '.join(check.problems)}"
    )
    store.close()
    db = OUT / "bank.db"
    print(f"\nThe store is {db}: try `.venv/bin/proscribe --db sqlite:///{db} alerts list`")
    return 0 if check.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
