"""Finding 14: the registry's facts, each confirmed or marked unconfirmed, and the code on the safer side."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.orm import Session

from proscribe.enforcement import ledger, licenses
from proscribe.enforcement.travel import Traveller, check_traveller, entry_rules
from proscribe.matching.score import Query
from proscribe.registry import default_path, load_registry, program_code
from proscribe.screening import Screener
from proscribe.store import Store

IN_FORCE = date(2021, 1, 15)  # EO 13928 in force, Bensouda and Mochochoko designated


@pytest.fixture()
def screener_2021(store: Store, tmp_path: Path) -> Screener:
    return Screener.from_store(store, as_of=IN_FORCE, datasets=["proscribe_icc"], cache_dir=tmp_path / "ix")


def test_a_listing_tagged_iccp_eo13928_is_a_listing_under_eo_13928(store: Store) -> None:
    """OFAC's list files name each entry's program by a tag in brackets; issue 10 reports the 2020
    entries as "[ICCP-EO13928]". The tag is not in the OFAC files at hand (removed 2 April 2021,
    before the July 2021 snapshot), so the registry marks it unconfirmed and reads both tags as EO
    13928: a listing under either is blocked under EO 13928 §1 (its citations) and its designee's
    immediate family may not enter while the order stood (EO 13928 §4, ended by EO 14022 §1)."""
    registry = load_registry()
    eo2020 = registry.program("ICC-EO13928")
    assert "ICCP-EO13928" in eo2020.ofac_tags and not eo2020.verified
    assert any("ICCP-EO13928" in note for note in eo2020.uncertain)
    assert program_code("ICCP-EO13928") == program_code("[ICCP-EO13928]") == "ICC-EO13928"
    with Session(store.engine) as s:
        rules = entry_rules(s)
    [(_tag, rule)] = rules.for_listing("us_ofac_sdn", ["ICCP-EO13928"])
    assert rule.suspends_entry and rule.family and "EO 13928" in rule.basis
    assert rule.in_force(IN_FORCE) and not rule.in_force(date(2021, 4, 1))
    # the blocked account's service charges cite the program's own provision, not the standard one
    assert ledger.program_rule("service_charge", ["ICCP-EO13928"]).startswith("31 CFR part 520")


def test_bensoudas_full_name_is_screened_and_marked_unconfirmed(
    store: Store, screener_2021: Screener
) -> None:
    """Screening must find a designee under the names she is known by (31 CFR 501.603: property of
    a blocked person wherever it is held, under any name). Issue 10 reports OFAC's a.k.a. "Fatou
    Bom"; her full name, Fatou Bom Bensouda, is screened as an alias (the safer side: more recall),
    with a note that the list entry itself was not retrieved."""
    designation = load_registry().designation("icc-bensouda-fatou")
    assert "Fatou Bom Bensouda" in designation.aliases
    assert any("not confirmed" in n and "Fatou Bom" in n for n in designation.alias_notes)
    [hit, *_] = screener_2021.screen(Query(name="Fatou Bom Bensouda", kind="person"), limit=3)
    assert hit.entity_id == "icc-bensouda-fatou" and hit.matched_name == "Fatou Bom Bensouda"


def test_an_unconfirmed_birth_date_neither_confirms_nor_rules_out_a_match(
    store: Store, screener_2021: Screener
) -> None:
    """Entry is denied only on a strong match with identity evidence (EO 13928 §4; docs/travel.md).
    Mochochoko's reported birth date (4 Sep 1957) could not be confirmed: it is kept in the registry
    marked unconfirmed, but not used to match, so a traveller with that date is referred, not denied
    on an unchecked fact, and one with another date is still referred, not set aside."""
    mochochoko = load_registry().designation("icc-mochochoko-phakiso")
    assert mochochoko.birth is not None and mochochoko.birth.date == date(1957, 9, 4)
    assert not mochochoko.birth.verified and mochochoko.birth.place is None
    with Session(store.engine) as s, s.begin():
        for born in ("1957-09-04", "1962-01-01"):
            result = check_traveller(
                s, screener_2021, Traveller("Phakiso Mochochoko", born, "LS"), on=IN_FORCE, actor="officer-1"
            )
            assert result.decision == "refer", (born, result.reasons)
            assert "icc-mochochoko-phakiso" in result.reasons[0]


def test_a_wind_down_whose_expiry_is_unknown_does_not_authorise_indefinitely() -> None:
    """A licence authorises only to the extent of its terms (31 CFR 597.501(c), the "effect of
    license" section of every OFAC part), and a wind-down licence authorises transactions only until
    its expiry (OFAC FAQ 975). GL 8's expiry was not retrieved: the registry takes the safer reading,
    30 days (the shortest known wind-down of these programs, GL 10's), marked unconfirmed; a claim
    is held for a person before then and refused after. GL 10's secondary-source expiry is marked
    unconfirmed too. The registry refuses a wind-down licence with no expiry at all."""
    albanese = ["icc-albanese-francesca"]
    during = licenses.check(
        "GL 8",
        programs=["ICC-EO14203"],
        entity_ids=albanese,
        purpose=None,
        at=datetime(2025, 7, 20, tzinfo=UTC),
    )
    assert during.status == "review"
    assert any("not confirmed" in c and "2025-08-08T00:01:00-04:00" in c for c in during.to_check)
    after = licenses.check(
        "GL 8",
        programs=["ICC-EO14203"],
        entity_ids=albanese,
        purpose=None,
        at=datetime(2025, 8, 8, 4, 1, tzinfo=UTC),
    )
    assert after.status == "refused" and "expired" in after.reason
    years_later = licenses.check(
        "GL 8",
        programs=["ICC-EO14203"],
        entity_ids=albanese,
        purpose=None,
        at=datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert years_later.status == "refused"
    assert not load_registry().program("ICC-EO14203").license("GL 10").expires_confirmed


def test_a_wind_down_licence_without_an_expiry_is_refused_by_the_registry(tmp_path: Path) -> None:
    """The same rule, at the registry: a wind-down licence must carry an expiry (OFAC's, or the
    safer reading marked unconfirmed); one without is an error naming the licence."""
    raw: dict[str, Any] = yaml.safe_load(default_path().read_text())
    broken = copy.deepcopy(raw)
    gl8 = next(lic for lic in broken["programs"][1]["licenses"] if lic["number"] == "GL 8")
    del gl8["expires"], gl8["expires_confirmed"]
    (tmp_path / "icc.yaml").write_text(yaml.safe_dump(broken, allow_unicode=True))
    with pytest.raises(ValueError, match=r"'GL 8'.*wind-down licence needs 'expires'"):
        load_registry(tmp_path / "icc.yaml")


def test_gl_9_is_known_and_authorises_nothing() -> None:
    """A licence authorises only what its terms state (31 CFR 597.501(c)); GL 9's terms were not
    retrieved, so it is known by its number (between GL 8 and GL 10) and authorises nothing: a claim
    of it is refused, saying why, rather than treated as an unknown number or as a licence."""
    gl9 = load_registry().program("ICC-EO14203").license("GL 9")
    assert not gl9.verified and gl9.authorizes == () and gl9.uncertain
    answer = licenses.check(
        "GL 9",
        programs=["ICC-EO14203"],
        entity_ids=["icc-prost-kimberly"],
        purpose=None,
        at=datetime(2025, 9, 1, tzinfo=UTC),
    )
    assert answer.status == "refused" and "contents that are not known" in answer.reason


def test_eo_14022_carries_its_federal_register_citation_marked_unconfirmed() -> None:
    """EO 14022 (1 April 2021) revoked EO 13928 and ended its entry suspensions (§1); a citation
    lets a reader find its text. 86 FR 17895 is recorded, marked unconfirmed: the Federal Register
    page was not retrieved (the text read is House Doc. 117-27)."""
    revocation = load_registry().program("ICC-EO13928").revocation
    assert revocation is not None and revocation.instrument == "EO 14022"
    assert revocation.federal_register is not None
    assert revocation.federal_register.citation == "86 FR 17895"
    assert not revocation.federal_register.verified and revocation.federal_register.uncertain
