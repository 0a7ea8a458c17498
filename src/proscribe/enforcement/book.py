"""Importing the institution's book: customers, accounts, and the people around each account.

Four CSV files (UTF-8, a header row; columns in ``docs/customers.md``), any of them optional:

* **parties**: persons and organisations with the data screening reads (names, birth date,
  nationality, country, gender, identity document) and whether each is a customer;
* **accounts**: id, owner, ISO 4217 currency and opening balance;
* **roles**: who else stands behind an account (joint holders, beneficial owners with their
  share, directors, signatories, powers of attorney: FFIEC expects them screened too);
* **ownership**: who owns what share of an organisation, the edges the 50 percent rule walks.

Everything is read and checked before anything is written: every problem found (up to
``MAX_PROBLEMS``) is reported with its file, line and column, and then nothing is applied. The
changes go into the caller's transaction, with one audit record per file, so a failure later in
the caller's work undoes the import too. Opening balances are posted through the ledger; an
existing account's balance can only move through ledger postings, never through an import.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from followthemoney import registry
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from proscribe.enforcement import audit, blocking
from proscribe.enforcement.clock import aware
from proscribe.enforcement.errors import EnforcementError, InputError, NotFoundError
from proscribe.enforcement.ledger import BLOCKED_PREFIX, INTERNAL_PREFIX, open_account
from proscribe.money import is_currency, minor_unit
from proscribe.store.book import Account, AccountParty, Ownership, Party

__all__ = [
    "ACCOUNT_COLUMNS",
    "MAX_PROBLEMS",
    "OWNERSHIP_COLUMNS",
    "PARTY_COLUMNS",
    "ROLES",
    "ROLE_COLUMNS",
    "BookImport",
    "BookInputError",
    "CsvRow",
    "FileCounts",
    "PartyView",
    "Problem",
    "Problems",
    "TooManyProblems",
    "clean_country",
    "clean_partial_date",
    "get_party",
    "import_book",
    "list_parties",
    "party_checksum",
    "read_csv",
]

#: stop collecting after this many problems: a wholly wrong file would otherwise list every line
MAX_PROBLEMS = 50

#: column -> required
PARTY_COLUMNS: dict[str, bool] = {
    "id": True,
    "kind": True,
    "name": True,
    "aliases": False,
    "birth_date": False,
    "nationality": False,
    "country": False,
    "gender": False,
    "id_number": False,
    "id_country": False,
    "address": False,
    "customer": False,
}
ACCOUNT_COLUMNS: dict[str, bool] = {"id": True, "owner": True, "currency": True, "balance": True}
ROLE_COLUMNS: dict[str, bool] = {"account": True, "party": True, "role": True, "share": False}
OWNERSHIP_COLUMNS: dict[str, bool] = {"owner": True, "owned": True, "share": True, "control": False}

ROLES = ("holder", "joint_holder", "beneficial_owner", "director", "signatory", "power_of_attorney")
KINDS = {"person": "person", "organization": "organization", "organisation": "organization"}
GENDERS = {"male": "male", "m": "male", "female": "female", "f": "female", "other": "other", "x": "other"}
YES = frozenset({"yes", "y", "true", "1"})
NO = frozenset({"no", "n", "false", "0"})
#: the most decimals an ownership share may have (the column keeps four)
SHARE_DECIMALS = 4
MAX_ID = 100
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")


# --- problems ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file: where, which column, what."""

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "message": self.message}


class BookInputError(InputError):
    """The files were refused; ``problems`` lists every problem found (up to ``MAX_PROBLEMS``)."""

    def __init__(self, problems: list[Problem], truncated: bool = False) -> None:
        # file by file (in the order the files were read), line by line
        order = {f: i for i, f in reversed(list(enumerate(p.file for p in problems)))}
        problems = sorted(problems, key=lambda p: (order[p.file], p.line or 0))
        self.problems = problems
        self.truncated = truncated
        more = f" (stopped after {len(problems)})" if truncated else ""
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found{more}:\n{lines}")


class TooManyProblems(Exception):
    """Raised inside reading once MAX_PROBLEMS are collected."""


class Problems:
    """The problems found so far; adding the last one allowed raises ``TooManyProblems``."""

    def __init__(self, limit: int) -> None:
        self.items: list[Problem] = []
        self.limit = limit

    def add(self, file: str, line: int | None, column: str | None, message: str) -> None:
        self.items.append(Problem(file, line, column, message))
        if len(self.items) >= self.limit:
            raise TooManyProblems


# --- results -------------------------------------------------------------------------------------


@dataclass
class FileCounts:
    """What one file did. ``removed`` counts role or ownership rows the file replaced away."""

    file: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class BookImport:
    """The result of ``import_book``: counts per file, and the parties to screen again."""

    parties: FileCounts | None = None
    accounts: FileCounts | None = None
    roles: FileCounts | None = None
    ownership: FileCounts | None = None
    #: parties added, or whose screening-relevant data changed: they need (re-)screening
    rescreen: list[str] = field(default_factory=list)

    def files(self) -> dict[str, FileCounts]:
        found = {
            "parties": self.parties,
            "accounts": self.accounts,
            "roles": self.roles,
            "ownership": self.ownership,
        }
        return {k: v for k, v in found.items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": {k: v.to_dict() for k, v in self.files().items()},
            "rescreen": list(self.rescreen),
        }


# --- rows read from the files ----------------------------------------------------------------------


@dataclass
class _PartyRow:
    line: int
    id: str
    kind: str
    name: str
    aliases: list[str]
    birth_date: str | None
    nationality: str | None
    country: str | None
    gender: str | None
    id_number: str | None
    id_country: str | None
    address: str | None
    is_customer: bool

    def screening_fields(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "aliases": self.aliases,
            "birth_date": self.birth_date,
            "nationality": self.nationality,
            "country": self.country,
            "gender": self.gender,
            "id_number": self.id_number,
            "id_country": self.id_country,
        }


@dataclass
class _AccountRow:
    line: int
    id: str
    owner: str
    currency: str
    balance: Decimal


@dataclass
class _RoleRow:
    line: int
    account: str
    party: str
    role: str
    share: Decimal | None


@dataclass
class _OwnershipRow:
    line: int
    owner: str
    owned: str
    share: Decimal
    #: the owner controls the organisation whatever its share (the EU's and the UK's test)
    control: bool = False


SCREENING_FIELDS = (
    "kind",
    "name",
    "aliases",
    "birth_date",
    "nationality",
    "country",
    "gender",
    "id_number",
    "id_country",
)


def party_checksum(fields: dict[str, Any]) -> str:
    """sha256 of the fields screening reads, so that a change to any of them (and only them) re-screens."""
    body = json.dumps([fields.get(k) for k in SCREENING_FIELDS], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


# --- reading CSV -------------------------------------------------------------------------------------


def read_csv(
    path: Path, columns: dict[str, bool], problems: Problems
) -> Iterator[tuple[int, dict[str, str | None]]]:
    """(line, row) for each data row: cells stripped, empty cells None. Header problems stop the file."""
    name = str(path)
    try:
        blob = path.read_bytes()
    except OSError as exc:
        problems.add(name, None, None, f"cannot be read: {exc.strerror or exc}")
        return
    try:
        text = blob.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = blob[: exc.start].count(b"\n") + 1
        problems.add(name, line, None, f"not UTF-8 (byte {blob[exc.start]:#04x}); save the file as UTF-8")
        return
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        problems.add(name, 1, None, f"the header row is not valid CSV: {exc}")
        return
    if not header or not any(h.strip() for h in header):
        problems.add(name, 1, None, f"no header row (expected {', '.join(columns)})")
        return
    header = [h.strip().lower() for h in header]
    bad = False
    for col in header:
        if col not in columns:
            problems.add(name, 1, col or "(empty)", f"unknown column; the columns are {', '.join(columns)}")
            bad = True
    seen: set[str] = set()
    for col in header:
        if col in seen:
            problems.add(name, 1, col, "column given twice")
            bad = True
        seen.add(col)
    for col, required in columns.items():
        if required and col not in header:
            problems.add(name, 1, col, "required column missing")
            bad = True
    if bad:
        return
    end = reader.line_num
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.add(name, start, None, f"not valid CSV: {exc}")
            return
        end = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank lines are allowed, e.g. at the end
        if len(cells) != len(header):
            problems.add(name, start, None, f"{len(cells)} cells where the header has {len(header)}")
            continue
        yield start, {col: (cell.strip() or None) for col, cell in zip(header, cells, strict=True)}


class CsvRow:
    """One row's cells with checked accessors; problems name the file, line and column."""

    def __init__(self, file: str, line: int, cells: dict[str, str | None], problems: Problems) -> None:
        self.file = file
        self.line = line
        self.cells = cells
        self.problems = problems
        self.ok = True

    def bad(self, column: str | None, message: str) -> None:
        self.ok = False
        self.problems.add(self.file, self.line, column, message)

    def text(self, column: str, required: bool = False, max_len: int | None = None) -> str | None:
        value = self.cells.get(column)
        if value is None:
            if required:
                self.bad(column, "required, but empty")
            return None
        if max_len is not None and len(value) > max_len:
            self.bad(column, f"longer than {max_len} characters")
            return None
        return value

    def choice(self, column: str, options: dict[str, str], required: bool = False) -> str | None:
        value = self.text(column, required)
        if value is None:
            return None
        found = options.get(value.lower())
        if found is None:
            allowed = ", ".join(dict.fromkeys(options.values()))
            self.bad(column, f"{value!r} is not one of {allowed}")
        return found

    def country(self, column: str) -> str | None:
        value = self.text(column)
        if value is None:
            return None
        code = clean_country(value)
        if code is None:
            self.bad(column, f"{value!r} is not a recognised country (use a name or an ISO code: GM, Gambia)")
        return code

    def partial_date(self, column: str) -> str | None:
        value = self.text(column)
        if value is None:
            return None
        checked = clean_partial_date(value)
        if checked is None:
            self.bad(column, f"{value!r} is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")
        return checked

    def decimal(self, column: str, required: bool = False) -> Decimal | None:
        value = self.text(column, required)
        if value is None:
            return None
        if not _DECIMAL.fullmatch(value):
            self.bad(column, f"{value!r} is not a decimal number (digits and a point: 1250.00)")
            return None
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            self.bad(column, f"{value!r} is not a decimal number")
            return None

    def share(self, column: str, required: bool = False) -> Decimal | None:
        value = self.decimal(column, required)
        if value is None:
            return None
        if not Decimal(0) <= value <= Decimal(100):
            self.bad(column, f"a share is a percentage from 0 to 100, not {value}")
            return None
        if -value.as_tuple().exponent > SHARE_DECIMALS:  # type: ignore[operator]
            self.bad(column, f"at most {SHARE_DECIMALS} decimals, not {value}")
            return None
        return value

    def boolean(self, column: str, default: bool) -> bool:
        value = self.text(column)
        if value is None:
            return default
        if value.lower() in YES:
            return True
        if value.lower() in NO:
            return False
        self.bad(column, f"{value!r} is not yes or no")
        return default


@lru_cache(maxsize=4096)
def clean_country(text: str) -> str | None:
    """A country name or code as a lower-case ISO 3166 code (FtM), or None when not recognised."""
    code: str | None = registry.country.clean(text)
    return code


def clean_partial_date(value: str) -> str | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, checked to be a real date; None if it is not."""
    match = _DATE.fullmatch(value.strip())
    if match is None:
        return None
    year, month, day = match.groups()
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return None
    return value.strip()


# --- parsing each file --------------------------------------------------------------------------------


def _parse_parties(path: Path, problems: Problems, seen: set[str]) -> list[_PartyRow]:
    """The valid rows; ``seen`` gets every id, valid row or not, so references to it are not echoed."""
    out: list[_PartyRow] = []
    first_line: dict[str, int] = {}
    for line, cells in read_csv(path, PARTY_COLUMNS, problems):
        row = CsvRow(str(path), line, cells, problems)
        pid = row.text("id", required=True, max_len=MAX_ID)
        if pid is not None:
            seen.add(pid)
        kind = row.choice("kind", KINDS, required=True)
        name = row.text("name", required=True)
        aliases = [a.strip() for a in (row.text("aliases") or "").split(";") if a.strip()]
        birth = row.partial_date("birth_date")
        nationality = row.country("nationality")
        country = row.country("country")
        gender = row.choice("gender", GENDERS)
        id_number = row.text("id_number", max_len=100)
        id_country = row.country("id_country")
        address = row.text("address")
        customer = row.boolean("customer", default=True)
        if kind == "organization":
            for col, value in (("birth_date", birth), ("nationality", nationality), ("gender", gender)):
                if value is not None:
                    row.bad(col, f"applies to persons only; {pid!r} is an organization")
        if id_country is not None and id_number is None:
            row.bad("id_country", "given without an id_number")
        if pid is not None:
            if pid in first_line:
                row.bad("id", f"duplicate id {pid!r} (first on line {first_line[pid]})")
            else:
                first_line[pid] = line
        if row.ok and pid is not None and kind is not None and name is not None:
            out.append(
                _PartyRow(
                    line, pid, kind, name, aliases, birth, nationality, country, gender, id_number,
                    id_country, address, customer,
                )
            )  # fmt: skip
    return out


def _parse_accounts(path: Path, problems: Problems, seen: set[str]) -> list[_AccountRow]:
    out: list[_AccountRow] = []
    first_line: dict[str, int] = {}
    for line, cells in read_csv(path, ACCOUNT_COLUMNS, problems):
        row = CsvRow(str(path), line, cells, problems)
        aid = row.text("id", required=True, max_len=MAX_ID)
        if aid is not None:
            seen.add(aid)
        owner = row.text("owner", required=True, max_len=MAX_ID)
        currency = row.text("currency", required=True)
        balance = row.decimal("balance", required=True)
        if currency is not None:
            currency = currency.upper()
            if not is_currency(currency):
                row.bad("currency", f"{currency!r} is not an ISO 4217 currency (USD, EUR, GBP...)")
                currency = None
        if balance is not None:
            if balance < 0:
                row.bad("balance", f"an opening balance cannot be negative ({balance})")
            elif currency is not None:
                digits = minor_unit(currency)
                if balance != balance.quantize(Decimal(1).scaleb(-digits)):
                    row.bad("balance", f"{currency} has {digits} decimals; {balance} has more")
        if aid is not None:
            if any(c.isspace() for c in aid):
                row.bad("id", f"{aid!r}: an account id has no spaces")
            elif aid.upper().startswith((BLOCKED_PREFIX, INTERNAL_PREFIX)):
                row.bad(
                    "id", f"{aid!r}: ids starting {BLOCKED_PREFIX} or {INTERNAL_PREFIX} are the ledger's own"
                )
            elif len(aid) > MAX_ID - len(BLOCKED_PREFIX):
                row.bad(
                    "id",
                    f"longer than {MAX_ID - len(BLOCKED_PREFIX)} characters (its blocked account adds BLK-)",
                )
            if aid in first_line:
                row.bad("id", f"duplicate id {aid!r} (first on line {first_line[aid]})")
            else:
                first_line[aid] = line
        if row.ok and aid and owner and currency and balance is not None:
            out.append(_AccountRow(line, aid, owner, currency, balance))
    return out


def _parse_roles(path: Path, problems: Problems) -> list[_RoleRow]:
    out: list[_RoleRow] = []
    first_line: dict[tuple[str, str, str], int] = {}
    for line, cells in read_csv(path, ROLE_COLUMNS, problems):
        row = CsvRow(str(path), line, cells, problems)
        account = row.text("account", required=True, max_len=MAX_ID)
        party = row.text("party", required=True, max_len=MAX_ID)
        role = row.choice("role", {r: r for r in ROLES}, required=True)
        share = row.share("share")
        if role == "beneficial_owner" and share is None and cells.get("share") is None:
            row.bad("share", "a beneficial owner needs a share (percent)")
        if role is not None and role != "beneficial_owner" and share is not None:
            row.bad("share", f"only beneficial owners carry a share, not a {role}")
        if account and party and role:
            key = (account, party, role)
            if key in first_line:
                row.bad(None, f"{party!r} is {role} of {account!r} twice (first on line {first_line[key]})")
            else:
                first_line[key] = line
        if row.ok and account and party and role:
            out.append(_RoleRow(line, account, party, role, share))
    return out


def _parse_ownership(path: Path, problems: Problems) -> list[_OwnershipRow]:
    out: list[_OwnershipRow] = []
    first_line: dict[tuple[str, str], int] = {}
    for line, cells in read_csv(path, OWNERSHIP_COLUMNS, problems):
        row = CsvRow(str(path), line, cells, problems)
        owner = row.text("owner", required=True, max_len=MAX_ID)
        owned = row.text("owned", required=True, max_len=MAX_ID)
        share = row.share("share", required=True)
        control = row.boolean("control", False)
        if owner and owned:
            if owner == owned:
                row.bad("owned", f"{owner!r} cannot own itself")
            key = (owner, owned)
            if key in first_line:
                row.bad(None, f"{owner!r} owning {owned!r} given twice (first on line {first_line[key]})")
            else:
                first_line[key] = line
        if row.ok and owner and owned and share is not None:
            out.append(_OwnershipRow(line, owner, owned, share, control))
    return out


# --- checks against each other and against the store ---------------------------------------------------


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _load(session: Session, model: Any, column: Any, ids: Iterable[str]) -> dict[str, Any]:
    """Rows of ``model`` by their id column, fetched a chunk at a time."""
    found: dict[str, Any] = {}
    for chunk in _chunks(sorted(set(ids))):
        for obj in session.execute(select(model).where(column.in_(chunk))).scalars():
            found[getattr(obj, column.key)] = obj
    return found


@dataclass
class _Plan:
    parties: list[_PartyRow]
    accounts: list[_AccountRow]
    roles: list[_RoleRow]
    ownership: list[_OwnershipRow]
    stored_parties: dict[str, Party]
    stored_accounts: dict[str, Account]


def _cross_check(
    session: Session,
    paths: dict[str, Path | None],
    parties: list[_PartyRow],
    accounts: list[_AccountRow],
    roles: list[_RoleRow],
    ownership: list[_OwnershipRow],
    problems: Problems,
    seen_parties: set[str],
    seen_accounts: set[str],
) -> _Plan:
    """Checks that need more than one row: references, totals, changes to what is stored.

    Ids seen on rows refused for their own problems count as known, so one bad party row is
    reported once, not again at every account and role that names it.
    """
    file_parties = {p.id: p for p in parties}
    file_accounts = {a.id: a for a in accounts}
    wanted_parties = (
        set(file_parties)
        | {a.owner for a in accounts}
        | {r.party for r in roles}
        | {o.owner for o in ownership}
        | {o.owned for o in ownership}
    )
    stored_parties: dict[str, Party] = _load(session, Party, Party.id, wanted_parties)
    stored_accounts: dict[str, Account] = _load(
        session, Account, Account.id, set(file_accounts) | {r.account for r in roles}
    )

    def kind_of(pid: str) -> str | None:
        if pid in file_parties:
            return file_parties[pid].kind
        stored = stored_parties.get(pid)
        return stored.kind if stored is not None else None

    def known(pid: str) -> bool:
        return pid in seen_parties or pid in stored_parties

    pfile = str(paths["parties"]) if paths["parties"] else ""
    afile = str(paths["accounts"]) if paths["accounts"] else ""
    rfile = str(paths["roles"]) if paths["roles"] else ""
    ofile = str(paths["ownership"]) if paths["ownership"] else ""

    for a in accounts:
        if not known(a.owner):
            problems.add(
                afile, a.line, "owner", f"unknown party {a.owner!r} (not in the parties file or the store)"
            )
        stored = stored_accounts.get(a.id)
        if stored is None:
            continue
        if stored.currency != a.currency:
            problems.add(
                afile, a.line, "currency", f"account {a.id!r} is held in {stored.currency}; it cannot change"
            )
        if stored.owner_id != a.owner:
            problems.add(
                afile,
                a.line,
                "owner",
                f"account {a.id!r} belongs to {stored.owner_id!r}; it cannot change owner",
            )
        if stored.balance != a.balance:
            problems.add(
                afile,
                a.line,
                "balance",
                f"account {a.id!r} holds {stored.balance} {stored.currency}, not {a.balance}: a balance "
                "changes only through ledger postings, never through an import",
            )

    bo_total: dict[str, Decimal] = defaultdict(Decimal)
    bo_lines: dict[str, int] = {}
    for r in roles:
        if r.account not in seen_accounts and r.account not in stored_accounts:
            problems.add(
                rfile,
                r.line,
                "account",
                f"unknown account {r.account!r} (not in the accounts file or the store)",
            )
        if not known(r.party):
            problems.add(
                rfile, r.line, "party", f"unknown party {r.party!r} (not in the parties file or the store)"
            )
        if r.share is not None:
            bo_total[r.account] += r.share
            bo_lines[r.account] = r.line
    for account, total in bo_total.items():
        if total > 100:
            problems.add(
                rfile,
                bo_lines[account],
                "share",
                f"beneficial owners of {account!r} hold {total}% in all (over 100)",
            )

    own_total: dict[str, Decimal] = defaultdict(Decimal)
    own_lines: dict[str, int] = {}
    for o in ownership:
        for col, pid in (("owner", o.owner), ("owned", o.owned)):
            if not known(pid):
                problems.add(
                    ofile, o.line, col, f"unknown party {pid!r} (not in the parties file or the store)"
                )
        kind = kind_of(o.owned)
        if kind is not None and kind != "organization":
            problems.add(
                ofile, o.line, "owned", f"{o.owned!r} is a {kind}; only an organization can be owned"
            )
        own_total[o.owned] += o.share
        own_lines[o.owned] = o.line
    for owned, total in own_total.items():
        if total > 100:
            problems.add(
                ofile, own_lines[owned], "share", f"shares of {owned!r} add up to {total}% (over 100)"
            )

    # a party turned into a person while the store still records owners of it
    replaced = set(own_total)
    for p in parties:
        before = stored_parties.get(p.id)
        if before is None or before.kind == p.kind or p.kind != "person" or p.id in replaced:
            continue
        owners = session.execute(select(func.count()).where(Ownership.owned_id == p.id)).scalar_one()
        if owners:
            problems.add(
                pfile, p.line, "kind", f"{p.id!r} has recorded owners, so it must stay an organization"
            )
    return _Plan(parties, accounts, roles, ownership, stored_parties, stored_accounts)


# --- the import ---------------------------------------------------------------------------------------


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def import_book(
    session: Session,
    *,
    parties: Path | None,
    accounts: Path | None,
    roles: Path | None,
    ownership: Path | None,
    actor: str,
    at: datetime | None = None,
    max_problems: int = MAX_PROBLEMS,
) -> BookImport:
    """Read and check every file given, then apply them in the caller's transaction.

    Raises ``BookInputError`` listing every problem found (file, line, column), having changed
    nothing. On success the caller commits; the result counts what each file did and names the
    parties to (re-)screen.
    """
    at = aware(at)
    paths: dict[str, Path | None] = {
        "parties": parties,
        "accounts": accounts,
        "roles": roles,
        "ownership": ownership,
    }
    if not any(paths.values()):
        raise InputError("no file given: pass parties, accounts, roles and/or ownership")
    problems = Problems(max_problems)
    seen_parties: set[str] = set()
    seen_accounts: set[str] = set()
    try:
        p_rows = _parse_parties(parties, problems, seen_parties) if parties else []
        a_rows = _parse_accounts(accounts, problems, seen_accounts) if accounts else []
        r_rows = _parse_roles(roles, problems) if roles else []
        o_rows = _parse_ownership(ownership, problems) if ownership else []
        plan = _cross_check(
            session, paths, p_rows, a_rows, r_rows, o_rows, problems, seen_parties, seen_accounts
        )
    except TooManyProblems:
        raise BookInputError(problems.items, truncated=True) from None
    if problems.items:
        raise BookInputError(problems.items)

    result = BookImport()
    digests = {kind: _file_digest(path) for kind, path in paths.items() if path is not None}
    if parties is not None:
        result.parties = _apply_parties(session, plan, str(parties), at, result.rescreen)
    if accounts is not None:
        result.accounts = _apply_accounts(session, plan, str(accounts), at, actor)
    if roles is not None:
        result.roles = _apply_roles(session, plan, str(roles))
    if ownership is not None:
        result.ownership = _apply_ownership(session, plan, str(ownership))
    session.flush()
    for kind, counts in result.files().items():
        data: dict[str, Any] = {"kind": kind, "sha256": digests[kind], **counts.to_dict()}
        if kind == "parties":
            data["rescreen"] = list(result.rescreen)
        audit.append(session, actor=actor, action="book.import", subject=f"book:{kind}", data=data, at=at)
    if accounts is not None or roles is not None or ownership is not None:
        # the book changed under the blocks in force: a blocked person's new account is blocked from
        # the start, and a new stake can bring a company to 50% (or take it below)
        blocking.freeze_new_accounts(session, actor=actor, at=at)
        blocking.apply_ownership_rule(session, actor=actor, at=at)
    return result


def _apply_parties(
    session: Session, plan: _Plan, source: str, at: datetime, rescreen: list[str]
) -> FileCounts:
    counts = FileCounts(source, rows=len(plan.parties))
    for row in plan.parties:
        fields = row.screening_fields()
        checksum = party_checksum(fields)
        values = {**fields, "address": row.address, "is_customer": row.is_customer}
        stored = plan.stored_parties.get(row.id)
        if stored is None:
            party = Party(id=row.id, checksum=checksum, source=source, created_at=at, updated_at=at, **values)
            session.add(party)
            plan.stored_parties[row.id] = party
            counts.added += 1
            rescreen.append(row.id)
            continue
        if all(getattr(stored, k) == v for k, v in values.items()):
            counts.unchanged += 1
            continue
        if stored.checksum != checksum:
            rescreen.append(row.id)
        for k, v in values.items():
            setattr(stored, k, v)
        stored.checksum = checksum
        stored.source = source
        stored.updated_at = at
        counts.updated += 1
    session.flush()  # accounts and roles refer to the new parties
    return counts


def _apply_accounts(session: Session, plan: _Plan, source: str, at: datetime, actor: str) -> FileCounts:
    counts = FileCounts(source, rows=len(plan.accounts))
    for row in plan.accounts:
        if row.id in plan.stored_accounts:
            counts.unchanged += 1  # the cross-check refused any difference
            continue
        # the ledger owns how money enters an account: a balanced opening posting, audited
        try:
            plan.stored_accounts[row.id] = open_account(
                session,
                account_id=row.id,
                owner_id=row.owner,
                currency=row.currency,
                opening_balance=row.balance,
                actor=actor,
                at=at,
                # the ledger's entry, which every page and report shows, names the file, not the
                # folders of the machine that imported it (the party keeps the whole path)
                source=Path(source).name,
            )
        except EnforcementError as exc:  # checked above already; a refusal here still names the line
            raise InputError(f"{source}, line {row.line}: {exc}") from exc
        counts.added += 1
    session.flush()
    return counts


def _replace(
    counts: FileCounts,
    old: dict[tuple[str, ...], Any],
    new: dict[tuple[str, ...], Any],
) -> None:
    for key, share in new.items():
        if key not in old:
            counts.added += 1
        elif old[key] != share:
            counts.updated += 1
        else:
            counts.unchanged += 1
    counts.removed += sum(1 for key in old if key not in new)


def _apply_roles(session: Session, plan: _Plan, source: str) -> FileCounts:
    """Each account named in the file gets exactly the roles the file gives it."""
    counts = FileCounts(source, rows=len(plan.roles))
    by_account: dict[str, list[_RoleRow]] = defaultdict(list)
    for r in plan.roles:
        by_account[r.account].append(r)
    for account, rows in by_account.items():
        stored = session.execute(select(AccountParty).where(AccountParty.account_id == account)).scalars()
        old: dict[tuple[str, ...], Decimal | None] = {(s.party_id, s.role): s.share for s in stored}
        new: dict[tuple[str, ...], Decimal | None] = {(r.party, r.role): r.share for r in rows}
        _replace(counts, old, new)
        session.execute(delete(AccountParty).where(AccountParty.account_id == account))
        session.add_all(
            AccountParty(account_id=account, party_id=r.party, role=r.role, share=r.share) for r in rows
        )
    session.flush()
    return counts


def _apply_ownership(session: Session, plan: _Plan, source: str) -> FileCounts:
    """Each organisation named as owned in the file gets exactly the owners the file gives it."""
    counts = FileCounts(source, rows=len(plan.ownership))
    by_owned: dict[str, list[_OwnershipRow]] = defaultdict(list)
    for o in plan.ownership:
        by_owned[o.owned].append(o)
    for owned, rows in by_owned.items():
        stored = session.execute(select(Ownership).where(Ownership.owned_id == owned)).scalars()
        old: dict[tuple[str, ...], Any] = {(s.owner_id,): (s.share, bool(s.control)) for s in stored}
        new: dict[tuple[str, ...], Any] = {(o.owner,): (o.share, o.control) for o in rows}
        _replace(counts, old, new)
        session.execute(delete(Ownership).where(Ownership.owned_id == owned))
        session.add_all(
            Ownership(owner_id=o.owner, owned_id=owned, share=o.share, control=o.control, source=source)
            for o in rows
        )
    session.flush()
    return counts


# --- reading the book ---------------------------------------------------------------------------------


def party_dict(party: Party) -> dict[str, Any]:
    return {
        "id": party.id,
        "kind": party.kind,
        "name": party.name,
        "aliases": list(party.aliases or []),
        "birth_date": party.birth_date,
        "nationality": party.nationality,
        "country": party.country,
        "gender": party.gender,
        "id_number": party.id_number,
        "id_country": party.id_country,
        "address": party.address,
        "customer": party.is_customer,
        "checksum": party.checksum,
        "source": party.source,
        "created_at": party.created_at.isoformat(),
        "updated_at": party.updated_at.isoformat(),
    }


def list_parties(
    session: Session,
    *,
    search: str | None = None,
    customers_only: bool = False,
    kind: str | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> list[Party]:
    """Parties by id; ``search`` matches the id or the name (case-insensitive substring)."""
    q = select(Party).order_by(Party.id)
    if search:
        pattern = f"%{search.lower()}%"
        q = q.where(or_(func.lower(Party.name).like(pattern), func.lower(Party.id).like(pattern)))
    if customers_only:
        q = q.where(Party.is_customer.is_(True))
    if kind:
        q = q.where(Party.kind == kind)
    if offset:
        q = q.offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return list(session.execute(q).scalars())


def _pct(share: Decimal) -> str:
    """A share as written: 35, not the column's 35.0000."""
    return format(share.normalize(), "f")


@dataclass
class PartyView:
    """A party with its accounts, its roles on accounts, its owners and what it owns."""

    party: Party
    accounts: list[Account]
    roles: list[AccountParty]
    owners: list[tuple[Ownership, Party]]
    owns: list[tuple[Ownership, Party]]

    def to_dict(self) -> dict[str, Any]:
        return {
            **party_dict(self.party),
            "accounts": [
                {
                    "id": a.id,
                    "kind": a.kind,
                    "currency": a.currency,
                    "balance": str(a.balance.quantize(Decimal(1).scaleb(-minor_unit(a.currency)))),
                    "status": a.status,
                }
                for a in self.accounts
            ],
            "roles": [
                {"account": r.account_id, "role": r.role, "share": None if r.share is None else _pct(r.share)}
                for r in self.roles
            ],
            "owners": [
                {"id": p.id, "name": p.name, "kind": p.kind, "share": _pct(o.share)} for o, p in self.owners
            ],
            "owns": [
                {"id": p.id, "name": p.name, "kind": p.kind, "share": _pct(o.share)} for o, p in self.owns
            ],
        }


def get_party(session: Session, party_id: str) -> PartyView:
    """The party and everything the book records around it; NotFoundError when there is no such party."""
    party = session.get(Party, party_id)
    if party is None:
        raise NotFoundError(f"no party {party_id!r}")
    accounts = list(
        session.execute(select(Account).where(Account.owner_id == party_id).order_by(Account.id)).scalars()
    )
    roles = list(
        session.execute(
            select(AccountParty)
            .where(AccountParty.party_id == party_id)
            .order_by(AccountParty.account_id, AccountParty.role)
        ).scalars()
    )
    owners = [
        (o, p)
        for o, p in session.execute(
            select(Ownership, Party)
            .join(Party, Party.id == Ownership.owner_id)
            .where(Ownership.owned_id == party_id)
            .order_by(Ownership.share.desc(), Party.id)
        )
    ]
    owns = [
        (o, p)
        for o, p in session.execute(
            select(Ownership, Party)
            .join(Party, Party.id == Ownership.owned_id)
            .where(Ownership.owner_id == party_id)
            .order_by(Ownership.share.desc(), Party.id)
        )
    ]
    return PartyView(party, accounts, roles, owners, owns)
