"""Entry screening: travellers against the real lists and the ICC registry, and family entry denial."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from proscribe.cli.app import app
from proscribe.enforcement.book import BookInputError
from proscribe.enforcement.errors import EnforcementError, InputError
from proscribe.enforcement.travel import (
    TravelDecision,
    Traveller,
    check_traveller,
    clean_traveller,
    entry_rules,
    import_family,
    set_entry_rule,
)
from proscribe.screening import Screener
from proscribe.store import Store
from proscribe.store.audit import AuditRecord
from proscribe.store.book import FamilyMember
from proscribe.store.casework import TravelCheck

TRAVEL = Path(__file__).resolve().parent / "fixtures" / "travel"
TODAY = date.today()
#: EO 13928 in force (Bensouda designated 2020-09-02), and the day after her delisting
IN_FORCE = date(2021, 1, 15)
REVOKED = date(2021, 4, 3)

KHAN = Traveller("KARIM ASAD AHMAD KHAN", "1970-03-30", "GBR", "M", "533184072", "GBR", "2031-05-14")
LOOKALIKE = Traveller("Karim Khan", "1985-07-14", "Pakistan", "M", "BK7714032", "PK", "2030-01-09")
# Helen Marsh and Lamin Jobarteh are fictional family records (tests/fixtures/travel/family.csv)
KHAN_SPOUSE = Traveller("Helen Marsh", "1972-11-21", "United Kingdom", "F", "548812093", "GB", "2029-08-30")
BENSOUDA_SPOUSE = Traveller("Lamin Jobarteh", "1958-06-12", "Gambia", "M", "PC118204", "GM", "2029-01-01")
# the UN Al-Qaida listing QDi.360, as its own entry gives her birth date and passport
UN_LISTED = Traveller("Sally-Anne Frances Jones", "1968-11-17", "GB", "F", "519408086", "GB", "2027-03-01")


@pytest.fixture(scope="module")
def registry_screeners(real_store: Store, tmp_path_factory: pytest.TempPathFactory) -> dict[date, Screener]:
    """The registry alone as of 2021 dates: enough for the EO 13928 family rule, and quick to build."""
    cache = tmp_path_factory.mktemp("travel-index")
    return {
        day: Screener.from_store(real_store, as_of=day, datasets=["proscribe_icc"], cache_dir=cache)
        for day in (IN_FORCE, REVOKED)
    }


@pytest.fixture()
def book(registry_db_url: str) -> Iterator[Store]:
    """The institution's own store (checks and family records), apart from the shared list store."""
    store = Store.open(registry_db_url)
    with Session(store.engine) as session, session.begin():
        import_family(session, TRAVEL / "family.csv", actor="records-officer")
    yield store
    store.close()


def _check(store: Store, screener: Screener, traveller: Traveller, on: date = TODAY) -> TravelDecision:
    with Session(store.engine) as session, session.begin():
        return check_traveller(session, screener, traveller, on=on, actor="officer-1")


def test_a_designee_and_their_spouse_are_denied_and_the_check_is_stored(
    book: Store, screener: Screener
) -> None:
    khan = _check(book, screener, KHAN)
    assert khan.decision == "deny", khan.reasons
    assert "icc-khan-karim" in khan.reasons[0] and "same birth date" in khan.reasons[0]
    assert "Proclamation 8693" in khan.reasons[0]
    spouse = _check(book, screener, KHAN_SPOUSE)
    assert spouse.decision == "deny"
    (hit,) = spouse.hits
    assert (hit["kind"], hit["relative_of"], hit["relationship"]) == ("family", "icc-khan-karim", "spouse")
    assert "same document number" in spouse.reasons[0]
    with Session(book.engine) as session:
        rows = session.execute(select(TravelCheck).order_by(TravelCheck.id)).scalars().all()
        assert [(r.decision, r.actor) for r in rows] == [("deny", "officer-1"), ("deny", "officer-1")]
        assert (
            rows[0].traveller["nationality"] == "gb" and rows[0].traveller["document_expiry"] == "2031-05-14"
        )
        assert rows[1].hits[0]["relative_of"] == "icc-khan-karim"
        trail = (
            session.execute(select(AuditRecord).where(AuditRecord.action == "travel.check")).scalars().all()
        )
        assert [a.subject for a in trail] == [f"travel:{rows[0].id}", f"travel:{rows[1].id}"]
        assert trail[1].data["decision"] == "deny"


def test_family_entry_denial_ends_with_the_revocation(
    book: Store, registry_screeners: dict[date, Screener]
) -> None:
    # EO 13928 §4 suspended entry of Bensouda's immediate family while she was designated
    during = _check(book, registry_screeners[IN_FORCE], BENSOUDA_SPOUSE, IN_FORCE)
    assert during.decision == "deny"
    assert "spouse of Fatou Bensouda (icc-bensouda-fatou)" in during.reasons[0]
    assert "EO 13928" in during.reasons[0]
    # EO 14022 ended the suspension; she was delisted on 2 April 2021
    after = _check(book, registry_screeners[REVOKED], BENSOUDA_SPOUSE, REVOKED)
    assert after.decision == "admit", after.reasons
    herself = _check(
        book, registry_screeners[IN_FORCE], Traveller("Fatou Bensouda", "1961-01-31", "GM"), IN_FORCE
    )
    assert herself.decision == "deny"
    assert (
        _check(
            book, registry_screeners[REVOKED], Traveller("Fatou Bensouda", "1961-01-31", "GM"), REVOKED
        ).decision
        == "admit"
    )


def test_a_lookalike_with_another_birth_date_and_nationality_is_admitted_with_reasons(
    real_store: Store, screener: Screener, tmp_path: Path
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'book.db'}", load_registry=False)
    result = _check(store, screener, LOOKALIKE)
    assert result.decision == "admit", result.reasons
    reasons = " | ".join(result.reasons)
    assert "no listed person" in reasons
    # the reviewer sees who it was compared with, and why it was set aside
    assert "set aside: Karim Asad Ahmad Khan (proscribe_icc icc-khan-karim)" in reasons
    assert "birth date" in reasons


def test_a_un_listed_person_is_denied(screener: Screener, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'book.db'}", load_registry=False)
    result = _check(store, screener, UN_LISTED)
    assert result.decision == "deny"
    un = [h for h in result.hits if h["dataset"] == "un_sc_sanctions"]
    assert un and un[0]["source_id"] == "QDi.360" and un[0]["effect"] == "deny"
    assert set(un[0]["evidence"]) == {"same birth date", "same document number"}
    assert any("UN Security Council travel ban" in r for r in result.reasons)


def test_name_only_matches_are_referred_and_programs_without_entry_suspension_too(
    screener: Screener, tmp_path: Path
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'book.db'}", load_registry=False)
    # the registry gives no birth date for Judge Prost: a name is not enough to deny
    prost = _check(store, screener, Traveller("Kimberly Prost", nationality="CA", gender="F"))
    assert prost.decision == "refer", prost.reasons
    assert "no birth date or document to confirm it" in prost.reasons[0]
    # the same traveller once the institution's table says the program does not suspend entry
    # (an override, stored and audited): a strong match is still referred, never admitted
    with Session(store.engine) as session, session.begin():
        set_entry_rule(
            session,
            program="ICC-EO14203",
            suspends_entry=False,
            family=False,
            basis="test override",
            actor="cco",
        )
        assert entry_rules(session).programs["ICC-EO14203"].basis == "test override"
    khan = _check(store, screener, KHAN)
    assert khan.decision == "refer"
    assert "does not suspend entry" in khan.reasons[0]


def test_an_expired_document_is_referred(screener: Screener, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'book.db'}", load_registry=False)
    result = _check(
        store,
        screener,
        Traveller("Maria Fernanda Lopez Garcia", "1979-11-02", "MX", "F", "G48213907", "MX", "2024-02-11"),
    )
    assert result.decision == "refer"
    assert result.reasons[0] == "the travel document expired on 2024-02-11"
    assert not result.hits


def test_bad_input_names_the_field(screener: Screener, tmp_path: Path) -> None:
    for traveller, field in [
        (Traveller("Jane Doe", birth_date="1980-13-45"), "birth_date"),
        (Traveller("Jane Doe", nationality="Narnia"), "nationality"),
        (Traveller("Jane Doe", document_country="XX1"), "document_country"),
        (Traveller("Jane Doe", document_expiry="31/12/2030"), "document_expiry"),
        (Traveller("Jane Doe", gender="Q"), "gender"),
        (Traveller("  "), "name"),
    ]:
        with pytest.raises(InputError, match=field):
            clean_traveller(traveller)
    store = Store.open(f"sqlite:///{tmp_path / 'book.db'}", load_registry=False)
    with pytest.raises(EnforcementError, match="as of"):
        _check(store, screener, LOOKALIKE, on=date(2021, 1, 1))  # the screener holds today's lists
    with pytest.raises(InputError, match="birth_date"):
        _check(store, screener, Traveller("Jane Doe", birth_date="1980-02-30"))
    with Session(store.engine) as session:
        assert session.execute(select(TravelCheck)).first() is None


def test_family_import_checks_every_row(book: Store, tmp_path: Path) -> None:
    bad = tmp_path / "family.csv"
    bad.write_text(
        "relative_of,relationship,name,birth_date,nationality\n"
        "icc-nobody,spouse,A B,1970,GB\n"
        "icc-al-haq,child,C D,1970,GB\n"
        "icc-khan-karim,cousin,E F,1970-02-30,Narnia\n"
    )
    with Session(book.engine) as session, pytest.raises(BookInputError) as err:
        import_family(session, bad, actor="x")
    assert {(p.line, p.column) for p in err.value.problems} == {
        (2, "relative_of"),  # not a listing
        (3, "relative_of"),  # an organisation has no family
        (4, "relationship"),
        (4, "birth_date"),
        (4, "nationality"),
    }
    with Session(book.engine) as session, session.begin():
        again = import_family(session, TRAVEL / "family.csv", actor="x")
        assert (again.added, again.unchanged) == (0, 4)
        assert len(session.execute(select(FamilyMember)).scalars().all()) == 4


def test_cli_check_and_check_file(un_xml: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    # the UN list and the registry are enough here, and quick to load and index
    url = f"sqlite:///{tmp_path / 'lists.db'}"
    lists = Store.open(url)
    lists.import_path(un_xml)
    lists.close()
    db = ["--db", url]
    runner = CliRunner()
    base = ["travel", "check", "--name", "Karim Khan", "--birth-date", "1985-07-14", "--nationality", "PK"]
    admit = runner.invoke(app, [*db, *base, "--gender", "M", "--document", "BK7714032", "--json"])
    assert admit.exit_code == 0, admit.output
    assert json.loads(admit.stdout)["decision"] == "admit"
    deny = runner.invoke(
        app,
        [
            *db,
            "travel",
            "check",
            "--name",
            "Sally-Anne Frances Jones",
            "--birth-date",
            "1968-11-17",
            "--document",
            "519408086",
        ],
    )
    assert deny.exit_code == 4 and "DENY" in deny.stdout
    bad = runner.invoke(app, [*db, "travel", "check", "--name", "X Y", "--document-expiry", "2030-02-31"])
    assert bad.exit_code == 2 and "document_expiry" in bad.stderr

    done = runner.invoke(app, [*db, "travel", "check-file", str(TRAVEL / "passengers.csv"), "--json"])
    assert done.exit_code == 4, done.output
    out = json.loads(done.stdout)
    by_id = {c["traveller"]["id"]: c["decision"] for c in out["checked"]}
    # no family records in this store: Helen Marsh (PAX-003) is admitted here
    assert by_id == {
        "PAX-001": "deny",
        "PAX-002": "admit",
        "PAX-003": "admit",
        "PAX-004": "deny",
        "PAX-005": "refer",
        "PAX-006": "admit",
    }
    assert [i["line"] for i in out["invalid"]] == [8]  # the birth date 1980-13-45
    table = runner.invoke(app, [*db, "travel", "check-file", str(TRAVEL / "passengers.csv")])
    assert table.exit_code == 4 and "PAX-004" in table.stdout and "not checked" in table.stderr
    rules = runner.invoke(app, [*db, "travel", "rules", "--json"])
    assert (
        rules.exit_code == 0 and json.loads(rules.stdout)["programs"]["ICC-EO13928"]["ends"] == "2021-04-01"
    )
