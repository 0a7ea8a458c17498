"""The ICC program registry: its data, its loader and the list records it produces."""

from __future__ import annotations

import copy
import hashlib
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from proscribe.registry import (
    AUTHORITY,
    DATASET,
    FORMAT,
    PACKAGED_SOURCE,
    Registry,
    RegistryError,
    default_path,
    load_registry,
)
from proscribe.sources.base import hashed_id, make_id


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry()


@pytest.fixture()
def raw() -> dict[str, Any]:
    """The packaged YAML as plain data, to be broken by the validation tests."""
    data = yaml.safe_load(default_path().read_bytes())
    assert isinstance(data, dict)
    return copy.deepcopy(data)


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "icc.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _entry(data: dict[str, Any], id: str) -> dict[str, Any]:
    for entry in data["designations"]:
        if entry["id"] == id:
            assert isinstance(entry, dict)
            return entry
    raise AssertionError(id)


# ---- loading ---------------------------------------------------------------------------------


def test_loads_the_packaged_file(registry: Registry) -> None:
    assert registry.as_of == date(2026, 2, 28)
    assert registry.source == PACKAGED_SOURCE
    assert registry.checksum == hashlib.sha256(default_path().read_bytes()).hexdigest()
    assert len(registry.designations) == 17
    assert len({d.id for d in registry.designations}) == 17
    assert load_registry(default_path()).checksum == registry.checksum


def test_programs_and_their_federal_register_citations(registry: Registry) -> None:
    assert set(registry.programs) == {"ICC-EO13928", "ICC-EO14203"}

    eo2020 = registry.program("ICC-EO13928")
    assert eo2020.instrument == "EO 13928"
    assert eo2020.signed == date(2020, 6, 11)
    assert eo2020.federal_register.citation == "85 FR 36139"
    assert eo2020.federal_register.fr_doc == "2020-12953"
    assert eo2020.federal_register.published == date(2020, 6, 15)
    assert eo2020.end_date == date(2021, 4, 1)
    assert eo2020.revocation is not None and eo2020.revocation.instrument == "EO 14022"
    assert eo2020.revocation.signed == date(2021, 4, 1)
    (part520,) = eo2020.regulations
    assert part520.cfr == "31 CFR part 520"
    assert part520.issued.citation == "85 FR 61816" and part520.issued.published == date(2020, 10, 1)
    assert part520.removed is not None
    assert part520.removed.citation == "86 FR 35399" and part520.removed.effective == date(2021, 7, 6)
    # the tag is OFAC-style but no source shows it
    assert not eo2020.verified and any("ICC-EO13928" in u for u in eo2020.uncertain)

    eo2025 = registry.program("ICC-EO14203")
    assert eo2025.federal_register.citation == "90 FR 9369"
    assert eo2025.federal_register.fr_doc == "2025-02612"
    assert eo2025.federal_register.published == date(2025, 2, 12)
    assert eo2025.end_date is None and eo2025.revocation is None
    (part528,) = eo2025.regulations
    assert part528.cfr == "31 CFR part 528"
    assert part528.issued.citation == "90 FR 28012" and part528.issued.published == date(2025, 7, 1)

    for program in registry.programs.values():
        assert program.designating_official == (
            "Secretary of State, in consultation with the Secretary of the Treasury and the Attorney General"
        )
        assert "OFAC" in program.implementing_agency
        assert program.family_entry_suspension is True
        assert any("IEEPA" in a for a in program.authorities)
        assert any("212(f)" in a for a in program.authorities)
        assert program.sources

    assert eo2020.active_on(date(2021, 3, 31)) and not eo2020.active_on(date(2021, 4, 1))
    with pytest.raises(KeyError, match="ICC-NOPE"):
        registry.program("ICC-NOPE")


def test_bensouda_and_mochochoko_designated_2020_delisted_2021(registry: Registry) -> None:
    bensouda = registry.designation("icc-bensouda-fatou")
    assert bensouda.schema == "Person"
    assert (bensouda.first_name, bensouda.last_name) == ("Fatou", "Bensouda")
    assert bensouda.program == "ICC-EO13928"
    assert bensouda.designated == date(2020, 9, 2)
    assert bensouda.delisted == date(2021, 4, 2)
    assert bensouda.status == "delisted"
    assert bensouda.delisting_reason and "EO 14022" in bensouda.delisting_reason
    assert bensouda.nationality == "Gambia"
    # the birth date is biographical, never presented as the list's own
    assert bensouda.birth is not None and bensouda.birth.kind == "biographical"
    assert bensouda.birth.date == date(1961, 1, 31)

    mochochoko = registry.designation("icc-mochochoko-phakiso")
    assert mochochoko.program == "ICC-EO13928"
    assert mochochoko.designated == date(2020, 9, 2)
    assert mochochoko.delisted == date(2021, 4, 2)
    assert mochochoko.nationality == "Lesotho"
    assert "materially assisted" in mochochoko.basis
    # a reported birth date that could not be confirmed is kept, marked, and not used to match
    assert mochochoko.birth is not None and not mochochoko.birth.verified
    assert mochochoko.birth.kind == "reported" and mochochoko.birth.place is None

    assert bensouda.designated_on(date(2021, 1, 1))
    assert not bensouda.designated_on(date(2021, 4, 2))
    assert not bensouda.designated_on(date(2020, 9, 1))


def test_karim_khan_under_the_annex_with_an_uncertain_date(registry: Registry) -> None:
    khan = registry.designation("icc-khan-karim")
    assert khan.program == "ICC-EO14203"
    assert khan.nationality == "United Kingdom"
    assert khan.designated == date(2025, 2, 6)
    assert khan.delisted is None and khan.status == "active"
    assert "Annex" in khan.basis
    assert not khan.verified
    assert any("2025-02-13" in u for u in khan.uncertain)


def test_2025_designation_counts(registry: Registry) -> None:
    eo2025 = [d for d in registry.designations if d.program == "ICC-EO14203"]
    counts = Counter(d.category for d in eo2025)
    assert counts == {"judge": 8, "prosecutor": 3, "un-special-rapporteur": 1, "ngo": 3}
    judges_by_day = Counter(d.designated for d in eo2025 if d.category == "judge")
    assert judges_by_day == {date(2025, 6, 5): 4, date(2025, 8, 20): 2, date(2025, 12, 18): 2}
    deputies = {d.id for d in eo2025 if d.role and d.role.startswith("Deputy Prosecutor")}
    assert deputies == {"icc-shameem-khan-nazhat", "icc-niang-mame-mandiaye"}
    assert all(d.status == "active" for d in eo2025)
    albanese = registry.designation("icc-albanese-francesca")
    assert albanese.designated == date(2025, 7, 9)
    assert albanese.basis == "EO 14203 §1(a)(ii)(A)"


def test_the_ngos_are_organizations(registry: Registry) -> None:
    ngos = {d.id: d for d in registry.designations if d.category == "ngo"}
    assert set(ngos) == {"icc-al-haq", "icc-al-mezan", "icc-pchr"}
    assert all(d.schema == "Organization" for d in ngos.values())
    assert all(d.designated == date(2025, 9, 4) for d in ngos.values())
    assert "Al-Haq – Law in the Service of Mankind" in ngos["icc-al-haq"].aliases
    assert "PCHR" in ngos["icc-pchr"].aliases
    # everyone else is an individual
    assert all(d.schema == "Person" for d in registry.designations if d.category != "ngo")


def test_licenses(registry: Registry) -> None:
    eo2025 = registry.program("ICC-EO14203")
    gl1 = eo2025.license("GL 1")
    assert gl1.expires is not None
    assert gl1.expires.tzinfo is not None and gl1.expires.utcoffset() is not None
    assert gl1.expires == datetime(2025, 7, 8, 4, 1, tzinfo=UTC)  # 12:01 a.m. EDT
    assert len(gl1.designees) == 4
    assert all(registry.designation(i).designated == date(2025, 6, 5) for i in gl1.designees)
    assert not gl1.expired(datetime(2025, 7, 8, 4, 0, tzinfo=UTC))
    assert gl1.expired(datetime(2025, 7, 8, 4, 1, tzinfo=UTC))

    gl10 = eo2025.license("GL 10")
    # a secondary source's "through October 4, 2025", at its earliest reading; marked unconfirmed
    assert gl10.issued == date(2025, 9, 4) and gl10.expires == datetime(2025, 10, 4, 4, 1, tzinfo=UTC)
    assert not gl10.verified and gl10.authorizes == ("wind_down",)
    assert gl10.federal_register is not None and gl10.federal_register.citation == "90 FR 57695"
    assert set(gl10.designees) == {"icc-al-haq", "icc-al-mezan", "icc-pchr"}

    assert eo2025.license("GL 8").designees == ("icc-albanese-francesca",)
    # OFAC's expiry of GL 8 is not known: the safer reading (30 days, the shortest known wind-down)
    gl8 = eo2025.license("GL 8")
    assert gl8.expires == datetime(2025, 8, 8, 4, 1, tzinfo=UTC) and not gl8.expires_confirmed
    assert not gl8.verified and gl1.expires_confirmed and not gl10.expires_confirmed
    for n in ("GL 4", "GL 5", "GL 6", "GL 7", "GL 9"):
        lic = eo2025.license(n)
        assert not lic.verified and lic.title is None and lic.covers == () and lic.authorizes == ()
    # what each licence authorises, with where that reading comes from; none debits blocked funds
    assert eo2025.license("GL 2").authorizes == ("dealings",)
    assert eo2025.license("GL 3").authorizes == ("receipt_outside_funds",)
    assert all(
        "debit_blocked" not in lic.authorizes and (lic.authorizes_source or not lic.authorizes)
        for lic in eo2025.licenses
    )
    regs = {lic.number for lic in eo2025.licenses if lic.kind == "regulation"}
    assert regs == {f"31 CFR 528.{s}" for s in ("506", "508", "509", "510")}
    specific = eo2025.license("ICC-EO14203-1370890-1")
    assert specific.kind == "specific" and specific.issued == date(2025, 6, 5)


# ---- list records ----------------------------------------------------------------------------


def test_to_parsed_list_produces_valid_records(registry: Registry) -> None:
    parsed = registry.to_parsed_list()
    assert parsed.dataset == DATASET and parsed.format == FORMAT
    assert parsed.checksum == registry.checksum and parsed.as_of == registry.as_of
    assert [r.source_id for r in parsed.records] == [d.id for d in registry.designations]
    for record, d in zip(parsed.records, registry.designations, strict=True):
        record.validate()
        assert record.dataset == DATASET
        assert record.target.id == make_id("icc", d.slug) == d.id
        assert record.target.schema.name == d.schema
        assert record.target.get("name") == [d.name]
        (sanction,) = record.adjacent
        assert sanction.schema.name == "Sanction"
        assert sanction.id == hashed_id("icc-sanction", d.id, d.program)
        assert sanction.get("entity") == [record.target.id]
        assert sanction.get("authority") == [AUTHORITY]
        assert sanction.get("program") == [d.program] and sanction.get("programId") == [d.program]
        assert sanction.get("country") == ["us"]
        assert sanction.get("startDate") == [d.designated.isoformat()]
        assert sanction.get("listingDate") == [d.designated.isoformat()]
        assert sanction.get("endDate") == ([d.delisted.isoformat()] if d.delisted else [])
        assert sanction.get("status") == [d.status]
        assert sanction.get("reason") == [d.basis]
        # no list identifiers are made up
        for ent in record.entities:
            for prop in ("passportNumber", "idNumber", "authorityId"):
                if ent.schema.get(prop) is not None:
                    assert ent.get(prop) == []
    assert parsed.stats["designations"] == 17 and parsed.stats["delisted"] == 2


def test_record_properties(registry: Registry) -> None:
    records = {r.source_id: r for r in registry.to_parsed_list().records}

    bensouda = records["icc-bensouda-fatou"]
    assert bensouda.target.get("nationality") == ["gm"]
    assert bensouda.target.get("firstName") == ["Fatou"]
    assert bensouda.target.get("lastName") == ["Bensouda"]
    assert bensouda.target.get("birthDate") == ["1961-01-31"]
    assert any("biographical" in n for n in bensouda.target.get("notes"))
    # delisted: no longer carries the "sanctioned" topic; the history is on the Sanction dates
    assert bensouda.target.get("topics") == []
    (sanction,) = bensouda.adjacent
    assert sanction.get("startDate") == ["2020-09-02"] and sanction.get("endDate") == ["2021-04-02"]
    assert "Entry suspension (person and immediate family)" in sanction.get("provisions")

    khan = records["icc-khan-karim"]
    assert khan.target.get("nationality") == ["gb"]
    assert khan.target.get("topics") == ["sanction"]
    assert any("2025-02-13" in n for n in khan.target.get("notes"))

    al_haq = records["icc-al-haq"]
    assert al_haq.target.schema.name == "Organization"
    assert "Al-Haq – Law in the Service of Mankind" in al_haq.target.get("alias")
    (ngo_sanction,) = al_haq.adjacent
    assert sorted(ngo_sanction.get("provisions")) == ["Asset freeze", "Prohibition of contributions"]


# ---- validation ------------------------------------------------------------------------------


def test_unknown_program_is_rejected(tmp_path: Path, raw: dict[str, Any]) -> None:
    _entry(raw, "icc-hohler-beti")["program"] = "ICC-EO99999"
    with pytest.raises(ValueError, match=r"icc-hohler-beti.*unknown program 'ICC-EO99999'"):
        load_registry(_write(tmp_path, raw))


def test_delisting_before_designation_is_rejected(tmp_path: Path, raw: dict[str, Any]) -> None:
    _entry(raw, "icc-mochochoko-phakiso")["delisted"] = date(2020, 9, 1)
    with pytest.raises(ValueError, match=r"icc-mochochoko-phakiso.*delisted 2020-09-01 before designated"):
        load_registry(_write(tmp_path, raw))


def test_missing_name_is_rejected(tmp_path: Path, raw: dict[str, Any]) -> None:
    del _entry(raw, "icc-prost-kimberly")["name"]
    with pytest.raises(RegistryError, match=r"icc-prost-kimberly.*missing 'name'") as exc:
        load_registry(_write(tmp_path, raw))
    assert isinstance(exc.value, ValueError)
    assert exc.value.path == str(tmp_path / "icc.yaml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e.update(nationalty="Peru"), r"unknown field\(s\): nationalty"),
        (lambda e: e.update(verified=False, uncertain=[]), r"needs an 'uncertain' note"),
        (lambda e: e.update(schema="Vessel"), r"schema 'Vessel'"),
        (lambda e: e.update(designated=date(2024, 1, 1)), r"outside program ICC-EO14203"),
        (lambda e: e.update(delisting_reason="because"), r"without a 'delisted' date"),
        (lambda e: e.update(delisted=date(2026, 1, 5)), r"needs a 'delisting_reason'"),
    ],
)
def test_other_inconsistencies_are_rejected(
    tmp_path: Path, raw: dict[str, Any], change: Any, message: str
) -> None:
    change(_entry(raw, "icc-ibanez-carranza-luz"))
    with pytest.raises(ValueError, match=rf"icc-ibanez-carranza-luz.*{message}"):
        load_registry(_write(tmp_path, raw))


def test_duplicate_id_and_naive_license_expiry_are_rejected(tmp_path: Path, raw: dict[str, Any]) -> None:
    dup = copy.deepcopy(raw)
    dup["designations"].append(copy.deepcopy(_entry(dup, "icc-guillou-nicolas")))
    with pytest.raises(ValueError, match=r"icc-guillou-nicolas.*given twice"):
        load_registry(_write(tmp_path, dup))

    naive = copy.deepcopy(raw)
    gl1 = next(lic for lic in naive["programs"][1]["licenses"] if lic["number"] == "GL 1")
    gl1["expires"] = "2025-07-08T00:01:00"
    with pytest.raises(ValueError, match=r"'GL 1'.*timezone-aware"):
        load_registry(_write(tmp_path, naive))

    unknown = copy.deepcopy(raw)
    gl1 = next(lic for lic in unknown["programs"][1]["licenses"] if lic["number"] == "GL 1")
    gl1["designees"].append("icc-nobody")
    with pytest.raises(ValueError, match=r"'GL 1'.*icc-nobody"):
        load_registry(_write(tmp_path, unknown))


def test_the_unbroken_copy_loads(tmp_path: Path, raw: dict[str, Any], registry: Registry) -> None:
    """The round trip the validation tests rely on: an untouched copy loads to the same data."""
    copy_ = load_registry(_write(tmp_path, raw))
    assert copy_.designations == registry.designations
    assert copy_.programs == registry.programs
