"""A delta re-screen by the book's party keys opens exactly the alerts of one that screens every
party, on OFAC's real versions of 21 Mar, 24 Mar and 6 Apr 2022 (the members of the Duma, then
Russian banks, companies and officials: several hundred listings added).

The versions are real files cut to a slice: each keeps its own rows, byte for byte, of every
listing the three versions add and of 400 listings present throughout, picked at random. The book
is 2,500 parties (1,000 on Spark) written from the names in those files as customers write them
(given names first, words of one listing mixed with another's, a patronymic dropped, organisations
without their legal form), so that many share words with the listings an update adds, and a few
hold the passport number of a listing under another name.
"""

from __future__ import annotations

import csv
import io
import lzma
import random
import re
import tarfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.enforcement.alerts import _screen_party, party_queries, rescreen
from proscribe.enforcement.book import import_book
from proscribe.enforcement.party_index import parties_reaching, refresh
from proscribe.matching.index import Index
from proscribe.screening import Screener, party_keys
from proscribe.sources import ofac_csv
from proscribe.store import Store
from proscribe.store.book import Party, PartyKey, PartyKeyLookup
from proscribe.store.casework import Alert

FILES = (
    ("sdn-2022-03-21T184922Z.csv", datetime(2022, 3, 21, 18, 49, 22, tzinfo=UTC)),
    ("sdn-2022-03-24T184905Z.csv", datetime(2022, 3, 24, 18, 49, 5, tzinfo=UTC)),
    ("sdn-2022-04-06T184858Z.csv", datetime(2022, 4, 6, 18, 48, 58, tzinfo=UTC)),
)
BOOK_SIZE = 2500


def _rows(data: bytes) -> dict[str, bytes]:
    text = data.decode("utf-8").rstrip("\x1a")
    out: dict[str, bytes] = {}
    reader = csv.reader(io.StringIO(text, newline=""))
    lines = text.splitlines(keepends=True)
    start = 0
    for row in reader:
        end = reader.line_num
        if row and row[0].strip().isdigit():
            out[str(int(row[0]))] = "".join(lines[start:end]).encode("utf-8")
        start = end
    return out


@pytest.fixture(scope="module")
def versions(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    wanted = {name for name, _ in FILES}
    raw: dict[str, bytes] = {}
    archive = shared_data / "ofac-sdn-history" / "sdn-2021-08-to-2024-05.tar.xz"
    with lzma.open(archive) as fh, tarfile.open(fileobj=fh, mode="r|") as tf:
        for member in tf:
            name = member.name.rsplit("/", 1)[-1]
            if name in wanted:
                f = tf.extractfile(member)
                assert f is not None
                raw[name] = f.read()
    rows = {name: _rows(raw[name]) for name, _ in FILES}
    ids = [set(rows[name]) for name, _ in FILES]
    added = set.union(*ids[1:]) - ids[0]
    assert len(added) > 300  # the updates of 24 Mar (the Duma) and 6 Apr added hundreds
    keep = set(random.Random(7).sample(sorted(set.intersection(*ids)), 400)) | added
    folder = tmp_path_factory.mktemp("versions")
    out: dict[str, Path] = {}
    for name, _ in FILES:
        path = folder / name
        path.write_bytes(b"".join(row for num, row in rows[name].items() if num in keep))
        out[name] = path
    return out


def _book_csv(versions: dict[str, Path], folder: Path, size: int = BOOK_SIZE) -> Path:
    """Customers written from the names of the last version's rows."""
    people: list[tuple[str, str]] = []  # (given names, surname)
    orgs: list[str] = []
    passports: list[str] = []
    for row in csv.reader(io.StringIO(versions[FILES[-1][0]].read_text("utf-8"), newline="")):
        if len(row) < 12 or row[1] == "-0-":
            continue
        name, kind, remarks = row[1], row[2].strip(), row[11]
        if kind == "individual" and ", " in name:
            surname, given = name.split(", ", 1)
            people.append((given.title(), surname.title()))
        elif kind == "-0-":
            orgs.append(re.sub(r"\b(LLC|LTD|OOO|AO|PAO|JSC|OAO|LIMITED)\b", "", name).strip(" ,.").title())
        passports += re.findall(r"Passport ([A-Z0-9]{6,})", remarks)
    assert len(people) > 100 and len(orgs) > 100 and passports
    rng = random.Random(3)
    lines = [
        "id,kind,name,aliases,birth_date,nationality,country,gender,id_number,id_country,address,customer"
    ]
    for i in range(size):
        pick = rng.random()
        number = ""
        if pick < 0.55:  # someone's given names with another's surname, a patronymic sometimes dropped
            given = rng.choice(people)[0].split()
            if len(given) > 1 and rng.random() < 0.5:
                given = given[:1]
            name, kind = f"{' '.join(given)} {rng.choice(people)[1]}", "person"
        elif pick < 0.65:  # a listed person, written as a customer writes it
            given, surname = rng.choice(people)
            name, kind = f"{given.split()[0]} {surname}", "person"
        elif pick < 0.9:
            a, b = rng.choice(orgs).split(), rng.choice(orgs).split()
            name, kind = " ".join(a[: max(1, len(a) // 2)] + b[len(b) // 2 :]), "organization"
        elif pick < 0.92:  # a listing's passport under an unrelated name
            name, kind, number = f"Customer Number{i}", "person", rng.choice(passports)
        else:
            name, kind = rng.choice(orgs), "organization"
        lines.append(f'P-{i:05d},{kind},"{name}",,,,,,{number},,,yes')
    path = folder / "parties.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _import_list(store: Store, path: Path, when: datetime) -> None:
    store.apply(
        ofac_csv.read_sdn_bytes(path.read_bytes(), path.name, dataset=ofac_csv.DATASET), published_at=when
    )


def _alerts(store: Store) -> list[tuple[str, str, float, int]]:
    with Session(store.engine) as s:
        return sorted(
            (a.party_id, a.entity_id, round(a.score, 9), a.run_id) for a in s.scalars(select(Alert))
        )


def _stores(urls: list[str], versions: dict[str, Path], folder: Path, size: int = BOOK_SIZE) -> list[Store]:
    """Stores holding the first version and the book, screened once in full."""
    book = _book_csv(versions, folder, size)
    stores = [Store.open(url, load_registry=False) for url in urls]
    for store in stores:
        _import_list(store, versions[FILES[0][0]], FILES[0][1])
        with Session(store.engine) as s, s.begin():
            import_book(s, parties=book, accounts=None, roles=None, ownership=None, actor="loader")
        # the book's first screening, before the updates
        rescreen(store, mode="full", actor="test", at=FILES[0][1])
    return stores


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_delta_by_party_keys_opens_the_alerts_of_a_delta_over_every_party(
    backend: str,
    versions: dict[str, Path],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    if backend == "sqlite":
        urls = [f"sqlite:///{tmp_path / 'keys.db'}", f"sqlite:///{tmp_path / 'all.db'}"]
    else:
        new_database: Callable[[], str] = request.getfixturevalue("pg_databases")
        urls = [new_database(), new_database()]
    stores = _stores(urls, versions, tmp_path)
    screened_by_keys = []
    for name, when in FILES[1:]:
        results = []
        for store, by_keys in zip(stores, (True, False), strict=True):
            _import_list(store, versions[name], when)
            results.append(rescreen(store, mode="delta", actor="test", at=when, by_keys=by_keys))
        assert results[0].listings_screened == results[1].listings_screened > 0
        assert results[0].alerts_opened == results[1].alerts_opened
        with Session(stores[0].engine) as s:
            screened_by_keys.append(len(parties_reaching(s, _changed_index(stores[0], when))))
    keyed, every = (_alerts(store) for store in stores)
    assert keyed == every
    # the updates open alerts, and the keys leave most of the book unscreened
    assert len([a for a in keyed if a[3] > 1]) >= 10
    assert all(0 < n < BOOK_SIZE for n in screened_by_keys), screened_by_keys
    for store in stores:
        store.close()


def _changed_index(store: Store, when: datetime) -> Index:
    """The index of the listings added in the version published at ``when``."""
    day = when.date()
    diff = store.diff("us_ofac_sdn", store_version(store, when) - 1, store_version(store, when))
    added = {x["source_id"] for x in diff.added}
    changed = {eid for eid, (_, sid, _) in store.designated_checksums(day).items() if sid in added}
    return Index.build(store.designated_among(changed, day))


def store_version(store: Store, when: datetime) -> int:
    return {w: i for i, (_, w) in enumerate(FILES, 1)}[when]


def test_a_party_no_key_of_which_reaches_the_changed_listings_has_no_candidate_there(
    versions: dict[str, Path], tmp_path: Path
) -> None:
    """Stronger than equal alerts: with no threshold (every candidate the index finds compared),
    no party left out by the keys has a single candidate among the changed listings."""
    store = Store.open(f"sqlite:///{tmp_path / 'lists.db'}", load_registry=False)
    for name, when in FILES:
        _import_list(store, versions[name], when)
    with Session(store.engine) as s, s.begin():
        import_book(
            s, parties=_book_csv(versions, tmp_path), accounts=None, roles=None, ownership=None, actor="l"
        )
    with Session(store.engine, expire_on_commit=False) as s, s.begin():
        book = list(s.scalars(select(Party)))
        assert refresh(s) == BOOK_SIZE
        assert refresh(s) == 0  # nothing changed: nothing made again
    for _, when in FILES[1:]:
        index = _changed_index(store, when)
        screener = Screener(index)
        with Session(store.engine) as s:
            reaching = parties_reaching(s, index)
            looked_up = {
                str(k): str(v) for k, v in s.execute(select(PartyKeyLookup.key, PartyKeyLookup.lookups))
            }
            every_key = set(s.scalars(select(PartyKey.key).distinct()))
        # every key has its lookups, and they answer as the index's own lookup does
        assert set(looked_up) == every_key
        answers = {k: party_keys.reaches(index, k) for k in every_key}
        assert all(party_keys.could_reach(index, k, looked_up[k]) == answers[k] for k in every_key)
        assert 0 < sum(answers.values()) < len(every_key)
        candidates = {p.id for p in book if any(screener.compare_all(q, 0.0) for q in party_queries(p))}
        assert candidates <= reaching
        print(f"{when:%d %b}: {len(candidates)} parties with candidates, {len(reaching)} reached by keys")
        assert len(candidates) > 20 and len(reaching) < BOOK_SIZE
        # and every party with hits is among them
        assert {p.id for p in book if _screen_party(screener, p, 0.3)} <= candidates
    store.close()


def test_keys_follow_the_party_s_data(tmp_path: Path) -> None:
    """A party whose name changes gets its keys made again before the next use; one that did not
    change keeps its keys."""
    store = Store.open(f"sqlite:///{tmp_path / 'book.db'}", load_registry=False)
    parties = tmp_path / "parties.csv"
    head = (
        "id,kind,name,aliases,birth_date,nationality,country,gender,id_number,id_country,address,customer\n"
    )
    parties.write_text(
        head + "C-1,person,Sergey Lavrov,,,,,,,,,yes\nC-2,organization,Northwind Ltd,,,,,,,,,yes\n"
    )
    with Session(store.engine) as s, s.begin():
        import_book(s, parties=parties, accounts=None, roles=None, ownership=None, actor="l")
    with Session(store.engine) as s, s.begin():
        assert refresh(s) == 2
    parties.write_text(
        head
        + "C-1,person,Sergei Shoigu,S. Lavrov,,,,,AB1234567,,,yes\n"
        + "C-2,organization,Northwind Ltd,,,,,,,,,yes\n"
    )
    with Session(store.engine) as s, s.begin():
        import_book(s, parties=parties, accounts=None, roles=None, ownership=None, actor="l")
    with Session(store.engine) as s, s.begin():
        book = list(s.scalars(select(Party).order_by(Party.id)))
        assert refresh(s) == 1
        stored = set(s.scalars(select(PartyKey.key).where(PartyKey.party_id == "C-1")))
        assert stored == party_keys.keys_of(party_queries(book[0]))
        assert {"wsergei", "wshoigu", "jsergeishoigu", "wlavrov", "iAB1234567"} <= stored
        assert "wsergey" not in stored
    store.close()


def test_on_spark_a_delta_by_party_keys_opens_the_alerts_of_a_local_delta_over_every_party(
    versions: dict[str, Path], tmp_path: Path, pg_databases: Callable[[], str]
) -> None:
    from proscribe.enforcement.spark_rescreen import rescreen_spark
    from proscribe.screening import spark as spark_engine

    stores = _stores([pg_databases(), pg_databases()], versions, tmp_path, 1000)
    spark = spark_engine.spark_session("local[2]", app_name="proscribe party keys tests")
    try:
        for name, when in FILES[1:]:
            for store in stores:
                _import_list(store, versions[name], when)
            one = rescreen_spark(
                spark, stores[0], mode="delta", actor="test", at=when, work_dir=tmp_path / "w"
            )
            two = rescreen(stores[1], mode="delta", actor="test", at=when, by_keys=False)
            assert (one.listings_screened, one.alerts_opened) == (two.listings_screened, two.alerts_opened)
            assert one.alerts_opened > 0
    finally:
        spark.stop()
    assert _alerts(stores[0]) == _alerts(stores[1])
    for store in stores:
        store.close()
