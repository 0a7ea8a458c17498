"""Finding 13: the entry of aliens only is suspended; a designee's US-citizen child is never denied."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from proscribe.enforcement.errors import InputError
from proscribe.enforcement.travel import TravelDecision, Traveller, check_traveller, import_family
from proscribe.screening import Screener
from proscribe.store import Store

ON = date(2026, 3, 1)
# fictional family records of the Prosecutor designated in the Annex to EO 14203 (not real people)
FAMILY = """relative_of,relationship,name,birth_date,nationality,gender,document_number,source
icc-khan-karim,child,Amelia Rose Whitcombe,2001-05-09,United States,female,A48213377,fictional (tests)
icc-khan-karim,child,Thomas Edward Whitcombe,2003-08-21,United Kingdom,male,559021384,fictional (tests)
"""
US_CHILD = Traveller("Amelia Rose Whitcombe", "2001-05-09", "US", "F", "A48213377", "US", "2031-01-01")
UK_CHILD = Traveller("Thomas Edward Whitcombe", "2003-08-21", "GB", "M", "559021384", "GB", "2031-01-01")


@pytest.fixture()
def screener(store: Store, tmp_path: Path) -> Screener:
    with Session(store.engine) as s, s.begin():
        (tmp_path / "family.csv").write_text(FAMILY)
        import_family(s, tmp_path / "family.csv", actor="records-officer")
    return Screener.from_store(store, as_of=ON, datasets=["proscribe_icc"], cache_dir=tmp_path / "index")


def _check(store: Store, screener: Screener, traveller: Traveller) -> TravelDecision:
    with Session(store.engine) as s, s.begin():
        return check_traveller(s, screener, traveller, on=ON, actor="officer-1")


def test_a_designees_us_citizen_child_is_admitted_and_the_decision_says_why(
    store: Store, screener: Screener
) -> None:
    """INA 212(f) (8 U.S.C. 1182(f)) lets the President suspend "the entry of any aliens or of any
    class of aliens"; EO 14203 §4 (like EO 13928 §4) suspends the entry of aliens who are immediate
    family members of designees. An alien is "any person not a citizen or national of the United
    States" (INA 101(a)(3), 8 U.S.C. 1101(a)(3)): a US citizen child of Karim Khan is not denied,
    and the decision says why. The same child, as an alien, is denied."""
    alien = _check(store, screener, UK_CHILD)
    assert alien.decision == "deny", alien.reasons
    assert "child of Karim Asad Ahmad Khan (icc-khan-karim)" in alien.reasons[0]

    # the US passport makes them a US national; the same record otherwise
    citizen = _check(store, screener, US_CHILD)
    assert citizen.decision == "admit", citizen.reasons
    why = citizen.reasons[0]
    assert "child of Karim Asad Ahmad Khan (icc-khan-karim)" in why
    assert "not denied" in why and "8 U.S.C. 1182(f)" in why and "aliens only" in why
    assert "not an alien" in why
    [hit] = citizen.hits
    assert hit["kind"] == "family" and hit["effect"] == "none"

    # declared a citizen while travelling on another passport (a dual national): admitted too
    dual = Traveller(
        "Thomas Edward Whitcombe", "2003-08-21", "GB", "M", "559021384", "GB", us_status="citizen"
    )
    checked = _check(store, screener, dual)
    assert checked.decision == "admit" and "a US citizen" in checked.reasons[0]


def test_a_us_citizen_matching_a_designee_is_referred_never_denied(store: Store, screener: Screener) -> None:
    """The suspension of EO 14203 §4 under Proclamation 8693 reaches aliens (INA 212(f)); a traveller
    declared a US citizen who strongly matches the designee is not denied: an officer confirms
    citizenship and identity at secondary inspection (the safer side: refer, not admit)."""
    khan = Traveller("Karim Asad Ahmad Khan", "1970-03-30", "GB", "M", us_status="citizen")
    result = _check(store, screener, khan)
    assert result.decision == "refer", result.reasons
    assert "not denied: the traveller is a US citizen" in result.reasons[0]


def test_a_lawful_permanent_resident_child_is_referred_not_denied_nor_admitted(
    store: Store, screener: Screener
) -> None:
    """A lawful permanent resident is an alien (INA 101(a)(20), 101(a)(3)); the orders' text
    retrieved exempts no one by that status, but whether a returning resident is seeking admission
    (INA 101(a)(13)(C)) is an officer's question. The safer documented position: refer (secondary
    inspection), neither deny nor admit on the screen alone."""
    lpr = Traveller("Thomas Edward Whitcombe", "2003-08-21", "GB", "M", "559021384", "GB", us_status="LPR")
    result = _check(store, screener, lpr)
    assert result.decision == "refer", result.reasons
    assert "lawful permanent resident" in result.reasons[0] and "INA 101(a)(13)(C)" in result.reasons[0]


def test_a_status_that_is_not_known_is_refused(store: Store, screener: Screener) -> None:
    """Input is checked before any decision (docs/travel.md): an unknown US status names the field."""
    with pytest.raises(InputError, match="us_status"):
        _check(store, screener, Traveller("Someone", us_status="green"))
