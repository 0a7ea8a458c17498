"""Importing the institution's book: parties, accounts, roles and ownership from CSV."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli_people import as_, keys_for
from proscribe.cli.app import app
from proscribe.enforcement.book import (
    BookImport,
    BookInputError,
    get_party,
    import_book,
    list_parties,
    party_checksum,
)
from proscribe.enforcement.errors import InputError, NotFoundError
from proscribe.store import Store
from proscribe.store.audit import AuditRecord
from proscribe.store.book import Account, AccountParty, Ownership, Party
from proscribe.store.ledger import LedgerEntry

BOOK = Path(__file__).resolve().parent / "fixtures" / "book"
BAD = BOOK / "bad"
AT = datetime(2025, 9, 1, 9, 30, tzinfo=UTC)


@pytest.fixture()
def store(db_url: str) -> Store:
    return Store.open(db_url, load_registry=False)


def _import(store: Store, **files: Path | None) -> BookImport:
    args: dict[str, Path | None] = {"parties": None, "accounts": None, "roles": None, "ownership": None}
    args.update(files)
    with Session(store.engine) as session, session.begin():
        return import_book(session, **args, actor="alice", at=AT)


def _full(store: Store) -> BookImport:
    return _import(
        store,
        parties=BOOK / "parties.csv",
        accounts=BOOK / "accounts.csv",
        roles=BOOK / "roles.csv",
        ownership=BOOK / "ownership.csv",
    )


def _count(store: Store, model: type) -> int:
    with Session(store.engine) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_small_bank_is_imported(store: Store) -> None:
    result = _full(store)
    files = result.files()
    assert {k: (v.added, v.updated, v.unchanged) for k, v in files.items()} == {
        "parties": (11, 0, 0),
        "accounts": (10, 0, 0),
        "roles": (14, 0, 0),
        "ownership": (6, 0, 0),
    }
    assert len(result.rescreen) == 11
    with Session(store.engine) as session:
        bensouda = session.get(Party, "C-1002")
        assert bensouda is not None
        # "Gambia" and "United Kingdom" are stored as the codes the screening index holds
        assert (bensouda.nationality, bensouda.country, bensouda.birth_date) == ("gm", "nl", "1961-01-31")
        khan = session.get(Party, "C-1001")
        assert khan is not None and khan.nationality == "gb"
        assert khan.aliases == ["Karim Khan", "Karim A. A. Khan"]
        assert session.get(Party, "P-2001").is_customer is False  # type: ignore[union-attr]
        # opening balances went through the ledger: the account and a balanced posting
        acct = session.get(Account, "A-1002")
        assert acct is not None and (acct.currency, acct.balance, acct.owner_id) == (
            "EUR",
            Decimal("8300.50"),
            "C-1002",
        )
        legs = session.execute(select(LedgerEntry).where(LedgerEntry.currency == "EUR")).scalars().all()
        assert sum(leg.amount for leg in legs) == 0
        assert any(leg.account_id == "A-1002" and leg.amount == Decimal("8300.50") for leg in legs)
        view = get_party(session, "O-3001")
        owners = {p.id: o.share for o, p in view.owners}
        assert owners == {"C-1001": Decimal(35), "P-2001": Decimal(25), "C-1005": Decimal(40)}
        assert [a.id for a in view.accounts] == ["A-3001", "A-3002"]
        assert [(p.id, o.share) for o, p in view.owns] == [("O-3003", Decimal(100))]
        khan_view = get_party(session, "C-1001")
        assert {(r.account_id, r.role, r.share) for r in khan_view.roles} == {
            ("A-1001", "holder", None),
            ("A-3001", "beneficial_owner", Decimal(35)),
            ("A-3003", "beneficial_owner", Decimal(30)),
        }
        records = (
            session.execute(select(AuditRecord).where(AuditRecord.action == "book.import")).scalars().all()
        )
        assert sorted(r.subject for r in records) == [
            "book:accounts",
            "book:ownership",
            "book:parties",
            "book:roles",
        ]
        parties_rec = next(r for r in records if r.subject == "book:parties")
        assert parties_rec.data["added"] == 11 and parties_rec.actor == "alice"
        with pytest.raises(NotFoundError):
            get_party(session, "nobody")
        assert [p.id for p in list_parties(session, search="khan")] == ["C-1001", "C-1003"]
        assert len(list_parties(session, customers_only=True)) == 9


def test_reimport_is_unchanged_and_changes_rescreen_only_when_screening_data_moves(
    store: Store, tmp_path: Path
) -> None:
    _full(store)
    again = _full(store)
    assert all(c.added == c.updated == 0 for c in again.files().values())
    assert again.rescreen == []
    with Session(store.engine) as session:
        before = session.get(Party, "C-1003")
        assert before is not None
        old_checksum = before.checksum
    text = (BOOK / "parties.csv").read_text()
    # a new address is not screening data; a new birth date is
    text = text.replace("2210 Devon Avenue", "2212 Devon Avenue").replace("1990-05-17", "1990-05-18")
    changed = tmp_path / "parties.csv"
    changed.write_text(text)
    result = _import(store, parties=changed)
    assert (result.parties.updated, result.parties.unchanged) == (2, 9)
    assert result.rescreen == ["C-1006"]
    with Session(store.engine) as session:
        after = session.get(Party, "C-1003")
        assert after is not None and after.checksum == old_checksum
        assert after.address is not None and after.address.startswith("2212")


def test_roles_and_ownership_are_replaced_for_what_the_file_names(store: Store, tmp_path: Path) -> None:
    _full(store)
    roles = tmp_path / "roles.csv"
    roles.write_text("account,party,role,share\nA-3001,O-3001,holder,\nA-3001,C-1005,beneficial_owner,45\n")
    own = tmp_path / "ownership.csv"
    own.write_text("owner,owned,share\nC-1005,O-3001,100\n")
    result = _import(store, roles=roles, ownership=own)
    r, o = result.roles, result.ownership
    assert (r.added, r.updated, r.unchanged, r.removed) == (0, 1, 1, 4)
    assert (o.added, o.updated, o.unchanged, o.removed) == (0, 1, 0, 2)
    with Session(store.engine) as session:
        left = (
            session.execute(select(AccountParty).where(AccountParty.account_id == "A-3001")).scalars().all()
        )
        assert {(x.party_id, x.role) for x in left} == {("O-3001", "holder"), ("C-1005", "beneficial_owner")}
        # other accounts and other organisations keep their rows
        assert (
            session.execute(select(func.count()).where(AccountParty.account_id == "A-3003")).scalar_one() == 3
        )
        owners = session.execute(select(Ownership).where(Ownership.owned_id == "O-3002")).scalars().all()
        assert len(owners) == 2


def test_bad_parties_name_file_line_and_column_and_nothing_is_written(store: Store) -> None:
    with pytest.raises(BookInputError) as err:
        _import(store, parties=BAD / "parties.csv", accounts=BAD / "accounts.csv")
    found = {(Path(p.file).name, p.line, p.column) for p in err.value.problems}
    assert {
        ("parties.csv", 2, "birth_date"),  # 30 February
        ("parties.csv", 3, "nationality"),  # Narnia
        ("parties.csv", 4, "id"),  # duplicate
        ("parties.csv", 5, "kind"),  # company
        ("parties.csv", 6, "name"),
        ("parties.csv", 6, "customer"),
        ("parties.csv", 7, "country"),  # Atlantis
        ("accounts.csv", 2, "currency"),  # USX
        ("accounts.csv", 3, "balance"),  # thousands separator
        ("accounts.csv", 4, "balance"),  # negative
        ("accounts.csv", 5, "balance"),  # JPY has no decimals
        ("accounts.csv", 6, "id"),  # duplicate
        ("accounts.csv", 7, "owner"),  # C-404 is nowhere
    } == found
    message = str(err.value)
    assert "line 3, column nationality: 'Narnia' is not a recognised country" in message
    # the problems are in file and line order
    lines = [(Path(p.file).name, p.line) for p in err.value.problems]
    assert lines == sorted(lines, key=lambda x: (x[0] != "parties.csv", x[1]))
    assert _count(store, Party) == 0 and _count(store, Account) == 0 and _count(store, AuditRecord) == 0


def test_bad_roles_and_ownership_against_the_store(store: Store) -> None:
    _full(store)
    with pytest.raises(BookInputError) as err:
        _import(store, roles=BAD / "roles.csv", ownership=BAD / "ownership.csv")
    found = {(Path(p.file).name, p.line, p.column) for p in err.value.problems}
    assert found == {
        ("roles.csv", 2, "share"),  # 120 percent
        ("roles.csv", 3, "role"),  # owner is not a role
        ("roles.csv", 4, "account"),  # A-9999 unknown
        ("roles.csv", 5, "share"),  # a beneficial owner without a share
        ("roles.csv", 6, "share"),  # a signatory with one
        ("ownership.csv", 2, "owned"),  # a person cannot be owned
        ("ownership.csv", 4, "share"),  # 60 + 50 of O-3003
        ("ownership.csv", 5, "owned"),  # owns itself
        ("ownership.csv", 6, "share"),  # abc
    }
    # the good rows of those files were not applied either
    with Session(store.engine) as session:
        assert (
            session.execute(select(func.count()).where(AccountParty.account_id == "A-1001")).scalar_one() == 1
        )


def test_an_existing_balance_cannot_change_through_import(store: Store, tmp_path: Path) -> None:
    _full(store)
    parties = tmp_path / "parties.csv"
    parties.write_text((BOOK / "parties.csv").read_text().replace("John Robert Smith", "John R. Smith"))
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        (BOOK / "accounts.csv").read_text().replace("A-1005,C-1005,USD,7300.00", "A-1005,C-1005,USD,9300.00")
    )
    with pytest.raises(BookInputError) as err:
        _import(store, parties=parties, accounts=accounts)
    (problem,) = err.value.problems
    assert (Path(problem.file).name, problem.line, problem.column) == ("accounts.csv", 6, "balance")
    assert "ledger" in problem.message
    with Session(store.engine) as session:
        smith = session.get(Party, "C-1005")
        assert smith is not None and smith.name == "John Robert Smith"  # the party file was not applied
        assert session.get(Account, "A-1005").balance == Decimal("7300.00")  # type: ignore[union-attr]


def test_header_encoding_and_limit(store: Store, tmp_path: Path) -> None:
    with pytest.raises(BookInputError) as err:
        _import(store, parties=BAD / "parties-missing-column.csv")
    assert {(p.line, p.column) for p in err.value.problems} == {(1, "birthdate"), (1, "kind")}

    latin1 = tmp_path / "parties.csv"
    latin1.write_bytes(b"id,kind,name\nC-1,person,Jane\nC-2,person,Jos\xe9 Mar\xeda\n")
    with pytest.raises(BookInputError) as err:
        _import(store, parties=latin1)
    (problem,) = err.value.problems
    assert problem.line == 3 and "UTF-8" in problem.message

    many = tmp_path / "many.csv"
    many.write_text("id,kind,name,birth_date\n" + "".join(f"X-{i},person,P {i},19xx\n" for i in range(200)))
    with Session(store.engine) as session, pytest.raises(BookInputError) as err:
        import_book(
            session, parties=many, accounts=None, roles=None, ownership=None, actor="a", max_problems=5
        )
    assert len(err.value.problems) == 5 and err.value.truncated

    with Session(store.engine) as session, pytest.raises(InputError):
        import_book(session, parties=None, accounts=None, roles=None, ownership=None, actor="a")


def test_checksum_covers_screening_fields_only() -> None:
    base = {"kind": "person", "name": "A B", "aliases": [], "birth_date": "1970"}
    assert party_checksum(base) == party_checksum({**base, "address": "elsewhere"})
    assert party_checksum(base) != party_checksum({**base, "birth_date": "1971"})


def test_cli_import_list_show(store: Store, tmp_path: Path) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    store.close()
    # importing customers is an analyst's act: the command knows who runs it from their API key
    env = as_(keys_for(url, ann="analyst")["ann"])
    runner = CliRunner(env=env)
    args = ["--db", url, "customers", "import"]
    files = ["--parties", str(BOOK / "parties.csv"), "--accounts", str(BOOK / "accounts.csv")]
    files += ["--roles", str(BOOK / "roles.csv"), "--ownership", str(BOOK / "ownership.csv")]
    done = runner.invoke(app, [*args, *files, "--json"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["ok"] and data["files"]["accounts"]["added"] == 10

    bad = tmp_path / "bad"
    shutil.copytree(BAD, bad)
    refused = runner.invoke(app, [*args, "--parties", str(bad / "parties.csv")])
    assert refused.exit_code == 2
    assert "line 3, column nationality" in refused.stderr and "nothing was imported" in refused.stderr

    shown = runner.invoke(app, ["--db", url, "customers", "show", "O-3001", "--json"])
    assert shown.exit_code == 0
    assert {o["id"] for o in json.loads(shown.stdout)["owners"]} == {"C-1001", "P-2001", "C-1005"}
    table = runner.invoke(app, ["--db", url, "customers", "show", "C-1002"])
    assert table.exit_code == 0 and "Fatou Bensouda" in table.stdout and "A-1002" in table.stdout
    listed = runner.invoke(app, ["--db", url, "customers", "list", "--search", "khan"])
    assert listed.exit_code == 0 and "C-1003" in listed.stdout
    missing = runner.invoke(app, ["--db", url, "customers", "show", "nobody"])
    assert missing.exit_code == 1
