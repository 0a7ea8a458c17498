"""Replaying a slice of OFAC's real history, checked against the raw files, on SQLite and PostgreSQL.

The 25 versions OFAC published from 20 Dec 2021 to 12 Mar 2022 (NORIEGA's delisting at the end of
December, the first Russia designations of February and March) are taken from
``ofac-sdn-history/sdn-2021-08-to-2024-05.tar.xz``, packed into a .tar.gz in a temporary folder with
their rows of ``index.csv`` beside it, and replayed. The truth is computed from the raw files with
nothing but the csv module: a listing is designated on a day when the last version published on or
before that day (UTC) holds its ent_num.
"""

from __future__ import annotations

import csv
import io
import lzma
import random
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from proscribe.sources import ofac_csv
from proscribe.sources.history import discover
from proscribe.store import Store
from proscribe.store.reads import _designated_on, _listing_rows
from proscribe.store.replay import replay

FIRST, LAST = "2021-12-20", "2022-03-13"


@dataclass
class Slice:
    archive: Path
    #: (publication time, ent_nums) of each version, oldest first
    versions: list[tuple[datetime, set[str]]]
    last_bytes: bytes

    def truth(self, day: date) -> set[str] | None:
        """The ent_nums in force on ``day``; None before the slice's first version."""
        held = None
        for when, ids in self.versions:
            if when.date() <= day:
                held = ids
        return held


def _ent_nums(data: bytes) -> set[str]:
    text = data.decode("utf-8").rstrip("\x1a")
    return {str(int(row[0])) for row in csv.reader(io.StringIO(text)) if row and row[0].strip().isdigit()}


@pytest.fixture(scope="module")
def history_slice(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Slice:
    source = shared_data / "ofac-sdn-history"
    rows = list(csv.DictReader((source / "index.csv").open()))
    chosen = [r for r in rows if FIRST <= r["published_utc"] < LAST]
    assert len(chosen) == 25
    wanted = {r["file"] for r in chosen}
    data: dict[str, bytes] = {}
    with lzma.open(source / "sdn-2021-08-to-2024-05.tar.xz") as fh, tarfile.open(fileobj=fh, mode="r|") as tf:
        for member in tf:
            name = member.name.rsplit("/", 1)[-1]
            if name in wanted:
                f = tf.extractfile(member)
                assert f is not None
                data[name] = f.read()
    folder = tmp_path_factory.mktemp("slice")
    archive = folder / "slice.tar.gz"
    with tarfile.open(archive, "w:gz") as out:
        for name, blob in data.items():
            info = tarfile.TarInfo(f"ofac-sdn-history/{name}")
            info.size = len(blob)
            out.addfile(info, io.BytesIO(blob))
    with (folder / "index.csv").open("w") as fh:
        fh.write("file,published_utc,entries,bytes\n")
        fh.writelines(f"{r['file']},{r['published_utc']},{r['entries']},{r['bytes']}\n" for r in chosen)
    versions = [
        (
            datetime.fromisoformat(r["published_utc"].replace("Z", "+00:00")).astimezone(UTC),
            _ent_nums(data[r["file"]]),
        )
        for r in chosen
    ]
    return Slice(archive, versions, data[chosen[-1]["file"]])


@pytest.fixture()
def replayed(db_url: str, history_slice: Slice) -> Iterator[Store]:
    store = Store.open(db_url, load_registry=False)
    report = replay(store, discover([history_slice.archive]))
    assert report.refused == []
    assert len(report.steps) == 25
    yield store
    store.close()


def test_replayed_slice_agrees_with_the_files(replayed: Store, history_slice: Slice) -> None:
    """As-of answers over the slice: never designated before first seen, designated until removed, not after.

    (One test per store: the replay is what takes the time.)
    """
    _agrees_with_the_files(replayed, history_slice)
    _noriega_and_mbaga(replayed)


def _agrees_with_the_files(store: Store, history_slice: Slice) -> None:
    [status] = store.status()
    last_ids = history_slice.versions[-1][1]
    assert status.records == len(last_ids) == 9361 and status.version == 25
    assert status.as_of == date(2022, 3, 12)

    # every day from the first version to a week after the last, for a sample of listings: all that
    # came or went within the slice, and 300 that stayed
    first_ids = history_slice.versions[0][1]
    every = set().union(*(ids for _, ids in history_slice.versions))
    moving = {i for i in every if any(i not in ids for _, ids in history_slice.versions)}
    stable = sorted(every - moving)
    sample = moving | set(random.Random(7).sample(stable, 300))
    assert len(moving) > 400  # 150 delisted at the end of December, hundreds added since
    rows = {
        group[0].source_id: group
        for group in _listing_rows(store.engine, ["us_ofac_sdn"])
        if group[0].source_id in sample
    }
    assert rows.keys() == sample
    start = history_slice.versions[0][0].date()
    wrong = []
    for n in range((date(2022, 3, 19) - start).days + 1):
        day = start + timedelta(days=n)
        truth = history_slice.truth(day)
        assert truth is not None
        for sid in sample:
            got = _designated_on(rows[sid], day) is not None
            if got != (sid in truth):
                wrong.append((sid, day.isoformat(), got))
    assert wrong == []
    # before the slice, a listing first seen in it is not designated (one in the first version: unknown)
    before = start - timedelta(days=1)
    assert all(_designated_on(rows[sid], before) is None for sid in sample - first_ids)

    # the whole list on three days, through the store's own as-of read
    for day in (date(2021, 12, 29), date(2021, 12, 30), date(2022, 3, 1)):
        got = {sid for _, sid, _ in store.designated_checksums(day, ["us_ofac_sdn"]).values()}
        assert got == history_slice.truth(day)

    # the records of the last version, built version after version with reuse, are those of a fresh read
    fresh = ofac_csv.read_sdn_bytes(history_slice.last_bytes, "last.csv")
    stored = {r.source_id: r.checksum() for r in store.records("us_ofac_sdn")}
    assert stored == {r.source_id: r.checksum() for r in fresh.records}


def _noriega_and_mbaga(replayed: Store) -> None:
    """NORIEGA (ent_num 1572) left the list on 30 Dec 2021; MBAGA (35058) came on 1 Mar 2022."""
    noriega = [
        replayed.entity("us_ofac_sdn", "1572", as_of=date(2021, 12, d)).designated for d in (20, 29, 30, 31)
    ]
    assert noriega == [True, True, False, False]
    gone = replayed.entity("us_ofac_sdn", "1572", as_of=date(2022, 1, 1))
    assert "delisted" in gone.basis and "2021-12-30" in gone.basis
    mbaga = [replayed.entity("us_ofac_sdn", "35058", as_of=date(2022, 2, d)).designated for d in (1, 28)]
    assert mbaga == [False, False]
    assert replayed.entity("us_ofac_sdn", "35058", as_of=date(2022, 3, 1)).designated
    assert replayed.entity("us_ofac_sdn", "35058").designated
    kinds = [
        (h["date"], h["kind"])
        for h in replayed.entity("us_ofac_sdn", "1572").history
        if h["source"] == "list version"
    ]
    assert kinds == [("2021-12-20", "listed"), ("2021-12-30", "delisted")]
    hist = replayed.history("us_ofac_sdn")
    assert [h["version"] for h in hist] == list(range(1, 26))
    dec30 = replayed.diff("us_ofac_sdn", 3, 4)
    assert dec30.b["as_of"] == "2021-12-30" and len(dec30.removed) == 150
    assert {"source_id": "1572", "caption": "Manuel Antonio NORIEGA"} in dec30.removed
