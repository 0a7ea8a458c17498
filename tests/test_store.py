"""The versioned store: versions, delisting, history, as-of reads, refusals. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from followthemoney import model

from proscribe.sources.base import ParsedList, Record, hashed_id, make_id
from proscribe.store import ImportRefused, NotFound, Store


def _person(sid: str, name: str, birth: str | None = None, program: str = "TEST") -> Record:
    ent = model.make_entity("Person")
    ent.id = make_id("t", sid)
    ent.add("name", name)
    if birth:
        ent.add("birthDate", birth)
    sanction = model.make_entity("Sanction")
    sanction.id = hashed_id("t-sanction", sid)
    sanction.add("entity", ent.id)
    sanction.add("program", program)
    return Record("testlist", sid, ent, [sanction])


def _list(records: list[Record], checksum: str, as_of: date | None) -> ParsedList:
    return ParsedList("testlist", "ftm", f"test-{checksum}", checksum, records, as_of=as_of)


def _ten() -> list[Record]:
    return [_person(str(i), f"Person Number{i}") for i in range(10)]


@pytest.fixture()
def store(db_url: str) -> Store:
    s = Store.open(db_url, load_registry=False)
    yield s
    s.close()


def test_first_import_then_unchanged(store: Store) -> None:
    result = store.apply(_list(_ten(), "a", date(2021, 1, 1)))
    assert (result.added, result.changed, result.removed) == (10, 0, 0)
    again = store.apply(_list(_ten(), "a", date(2021, 1, 1)))
    assert again.unchanged and again.version_id == result.version_id
    [st] = store.status()
    assert st.records == 10 and st.versions == 1 and st.counts == {"Person": 10}


def test_delisting_and_change_keep_history(store: Store) -> None:
    store.apply(_list(_ten(), "a", date(2021, 1, 1)))
    recs = _ten()[1:]  # "0" disappears
    recs[0] = _person("1", "Person Number1", birth="1970-05-05")  # "1" changes
    result = store.apply(_list(recs, "b", date(2021, 3, 1)))
    assert (result.added, result.changed, result.removed) == (0, 1, 1)

    gone = store.entity("testlist", "0", as_of=date(2021, 2, 1))
    assert gone.designated
    now = store.entity("testlist", "0")
    assert not now.designated and "delisted" in now.basis
    assert [h["kind"] for h in now.history if h["source"] == "list version"] == ["listed", "delisted"]

    before = store.entity("testlist", "1", as_of=date(2021, 2, 1))
    after = store.entity("testlist", "1", as_of=date(2021, 3, 1))
    assert before.record.target.get("birthDate") == []
    assert after.record.target.get("birthDate") == ["1970-05-05"]
    assert [h["kind"] for h in after.history if h["source"] == "list version"] == ["listed", "changed"]


def test_mass_removal_refused_unless_forced(store: Store) -> None:
    store.apply(_list(_ten(), "a", date(2021, 1, 1)))
    with pytest.raises(ImportRefused, match=r"would delist 2 of 10"):
        store.apply(_list(_ten()[2:], "b", date(2021, 2, 1)))
    # nothing changed: still version 1, ten listings in force
    [st] = store.status()
    assert st.version_id == 1 and st.records == 10
    forced = store.apply(_list(_ten()[2:], "b", date(2021, 2, 1)), force=True)
    assert forced.removed == 2
    assert store.status()[0].records == 8


def test_threshold_is_configurable(store: Store) -> None:
    store.apply(_list(_ten(), "a", date(2021, 1, 1)))
    result = store.apply(_list(_ten()[3:], "b", date(2021, 2, 1)), max_removed_share=0.5)
    assert result.removed == 3


def test_older_version_refused(store: Store) -> None:
    store.apply(_list(_ten(), "a", date(2021, 6, 1)))
    with pytest.raises(ImportRefused, match="older than the version in force"):
        store.apply(_list(_ten(), "b", date(2021, 1, 1)))


def test_empty_and_duplicate_lists_refused(store: Store) -> None:
    with pytest.raises(ImportRefused, match="no records"):
        store.apply(_list([], "a", date(2021, 1, 1)))
    with pytest.raises(ImportRefused, match="appears twice"):
        store.apply(_list([_person("1", "A B"), _person("1", "C D")], "a", date(2021, 1, 1)))
    assert store.status() == []


def test_failure_mid_write_leaves_previous_version(store: Store) -> None:
    store.apply(_list(_ten(), "a", date(2021, 1, 1)))
    changed = [_person(str(i), f"Renamed Person{i}") for i in range(10)]

    def crash(_: int) -> None:  # dies after the old states were closed and the new ones written
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.apply(_list(changed, "b", date(2021, 2, 1)), progress=crash)
    [st] = store.status()
    assert st.version_id == 1 and st.records == 10
    assert store.entity("testlist", "3").caption == "Person Number3"


def test_unknown_listing(store: Store) -> None:
    with pytest.raises(NotFound):
        store.entity("testlist", "nope")


def test_timestamps_are_timezone_aware(store: Store) -> None:
    store.apply(_list(_ten(), "a", date(2021, 1, 1)))
    [st] = store.status()
    assert st.imported_at.endswith("+00:00")


def test_versions_are_numbered_per_list(store: Store) -> None:
    first = store.apply(_list(_ten(), "a", date(2021, 1, 1)))
    rec = _person("x", "Other Person")
    rec.dataset = "otherlist"
    other = ParsedList("otherlist", "ftm", "other", "o1", [rec], as_of=date(2021, 1, 1))
    assert store.apply(other).version == 1  # not 2: numbers count within a list
    second = store.apply(_list(_ten()[1:], "b", date(2021, 2, 1)))
    assert (first.version, second.version) == (1, 2)
    assert {s.dataset: s.version for s in store.status()} == {"testlist": 2, "otherlist": 1}


def test_as_of_corrects_the_date_of_an_undated_version(store: Store) -> None:
    today = date.today()
    undated = store.apply(_list(_ten(), "a", None))
    assert undated.as_of == today
    [st] = store.status()
    assert not st.as_of_stated
    fixed = store.apply(_list(_ten(), "a", None), as_of=date(2021, 1, 1), user="tester")
    assert fixed.unchanged and fixed.corrected_from == today and fixed.as_of == date(2021, 1, 1)
    [st] = store.status()
    assert st.as_of == date(2021, 1, 1) and st.as_of_stated and st.version == 1
    # what the version did moved with it: the listings are designated from the corrected date
    assert store.entity("testlist", "3", as_of=date(2021, 2, 1)).designated
    assert [h["date"] for h in store.entity("testlist", "3").history if h["source"] == "list version"] == [
        "2021-01-01"
    ]
    [correction] = store.history("testlist")[0]["as_of_corrections"]
    assert (correction["from"], correction["to"], correction["by"]) == (
        today.isoformat(),
        "2021-01-01",
        "tester",
    )


def test_as_of_correction_refused_when_it_would_contradict(store: Store) -> None:
    store.apply(_list(_ten(), "a", date(2021, 1, 1)))
    store.apply(_list(_ten()[1:], "b", None))  # undated: today
    with pytest.raises(ImportRefused, match=r"before version 1 of 2021-01-01"):
        store.apply(_list(_ten()[1:], "b", None), as_of=date(2020, 12, 1))
    with pytest.raises(ImportRefused, match="in the future"):
        store.apply(_list(_ten()[1:], "b", None), as_of=date(2999, 1, 1))
    assert store.apply(_list(_ten()[1:], "b", None), as_of=date(2021, 6, 1)).corrected_from == date.today()
    # a file that states its own date is not re-dated
    store.apply(_list(_ten()[2:], "c", date(2022, 1, 1)), force=True)
    with pytest.raises(ImportRefused, match="states its own date 2022-01-01"):
        store.apply(_list(_ten()[2:], "c", date(2022, 1, 1)), as_of=date(2023, 1, 1))
    assert [h["as_of"] for h in store.history("testlist")] == ["2021-01-01", "2021-06-01", "2022-01-01"]


def test_migration_numbers_the_versions_already_stored(tmp_path: Path) -> None:
    """A store made before per-list numbers: its versions are numbered in import order, per list."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from proscribe.store.db import MIGRATIONS, make_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0006_ownership_control")
        for name in ("proscribe_icc", "us_ofac_sdn", "un_sc_sanctions"):
            conn.execute(
                text(
                    "INSERT INTO datasets (name, format, created_at) VALUES (:n, 'x', '2026-01-01 00:00:00')"
                ),
                {"n": name},
            )
        for vid, ds in enumerate(["proscribe_icc", "us_ofac_sdn", "un_sc_sanctions", "us_ofac_sdn"], 1):
            conn.execute(
                text(
                    "INSERT INTO list_versions (id, dataset, format, source, checksum, as_of, as_of_stated,"
                    " imported_at, imported_by, record_count, added, changed, removed, forced, counts, stats)"
                    " VALUES (:id, :ds, 'x', 's', 'c', '2021-01-0' || :id, 1, '2026-01-01 00:00:00', 'u',"
                    " 0, 0, 0, 0, 0, '{}', '{}')"
                ),
                {"id": vid, "ds": ds},
            )
    engine.dispose()
    store = Store.open(url, load_registry=False)
    numbers = {
        (h["version_id"], h["version"])
        for ds in ("us_ofac_sdn", "un_sc_sanctions")
        for h in store.history(ds)
    }
    assert numbers == {(2, 1), (4, 2), (3, 1)}
    assert store.history("proscribe_icc")[0]["version"] == 1
    store.close()
