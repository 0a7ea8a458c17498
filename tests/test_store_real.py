"""The real OFAC and UN snapshots and the ICC registry in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from proscribe.registry import load_registry
from proscribe.sources import ftm_json
from proscribe.store import Store


def test_all_listings_arrive(loaded_store: Store) -> None:
    by_dataset = {s.dataset: s for s in loaded_store.status()}
    ofac = by_dataset["us_ofac_sdn"]
    assert ofac.records == 8976
    assert ofac.counts == {"Person": 4620, "Organization": 3673, "Vessel": 406, "Airplane": 277}
    assert ofac.as_of == date(2021, 7, 1) and ofac.as_of_stated
    un = by_dataset["un_sc_sanctions"]
    assert un.records == 1003
    assert un.counts == {"Person": 730, "Organization": 273}
    assert un.as_of == date(2026, 2, 27)
    assert by_dataset["proscribe_icc"].records == len(load_registry().designations) == 17


def test_ofac_entry_round_trips_through_the_store(loaded_store: Store, ofac_dir: Path) -> None:
    # ent_num 36: AEROCARIBBEAN AIRLINES, the first row of sdn.csv, an entity under the CUBA program
    view = loaded_store.entity("us_ofac_sdn", "36")
    assert view.entity_id == "ofac-36"
    assert view.record.target.get("name") == ["AEROCARIBBEAN AIRLINES"]
    assert view.designated
    [sanction] = view.sanctions
    assert sanction.program == ["CUBA"]


def test_bensouda_as_of(loaded_store: Store) -> None:
    during = loaded_store.entity("proscribe_icc", "icc-bensouda-fatou", as_of=date(2021, 1, 1))
    assert during.designated
    assert any("ICC-EO13928" in s.program and s.in_force for s in during.sanctions)
    after = loaded_store.entity("proscribe_icc", "icc-bensouda-fatou", as_of=date(2021, 6, 1))
    assert not after.designated
    kinds = [(h["date"], h["kind"]) for h in after.history if h["source"] == "sanction"]
    assert ("2020-09-02", "designated") in kinds and ("2021-04-02", "delisted") in kinds
    # before any designation she was not designated either
    assert not loaded_store.entity("proscribe_icc", "icc-bensouda-fatou", as_of=date(2020, 1, 1)).designated


def test_ftm_export_reimports_unchanged(loaded_store: Store, tmp_path: Path) -> None:
    records = loaded_store.records("un_sc_sanctions")
    buf = io.StringIO()
    n = ftm_json.write(records, buf)
    out = tmp_path / "un.ftm.json"
    out.write_text(buf.getvalue(), encoding="utf-8")
    parsed = ftm_json.read(out)
    assert parsed.dataset == "un_sc_sanctions"
    assert len(parsed.records) == len(records) == 1003
    assert parsed.stats["entities"] == n
    before = {r.source_id: r.checksum() for r in records}
    after = {r.source_id: r.checksum() for r in parsed.records}
    assert before == after
