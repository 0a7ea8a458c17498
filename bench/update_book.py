"""Updates that re-screen a book of 100,000 customers, on OFAC's real versions of Feb-Apr 2022.

    python bench/update_book.py [--customers 100000] [--planted 60] [--from 2022-02-01] [--to 2022-05-01]
                                [--db sqlite|postgresql://...]

1. A book of synthetic customers made with Faker (names of 12 locales, dates of birth, nationalities)
   and, among them, ``--planted`` people whom OFAC listed between ``--from`` and ``--to``, written as
   customers write their names: given names first, in ordinary capitals, sometimes without the
   middle name or patronymic, with the date of birth and nationality OFAC's remarks give when they
   give them. The book is imported through ``customers import``'s code (``import_book``).
2. The last version of OFAC's ``sdn.csv`` published before ``--from`` is imported, and a first run
   records that the book was screened then (a run over no party: a full screen of 100,000 customers
   is not what this measures; the planted people are not listed yet).
3. Every version published from ``--from`` to ``--to`` is imported as of its publication time and
   followed at once by the delta re-screen of the whole book (``enforcement.updates.rescreen_after``,
   the code of ``lists replay --rescreen`` and ``lists update``).

It prints, per version: the import time, the re-screen time, the listings screened and the alerts
opened; then whether each planted customer got an alert on the day their listing appeared (not
before, not later, not missed), and the alerts opened on the other customers.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PROSCRIBE_SHARED_DATA", ROOT.parent / "shared" / "data"))
ARCHIVE = SHARED / "ofac-sdn-history" / "sdn-2021-08-to-2024-05.tar.xz"
VAR = ROOT / "var" / "bench"
LOCALES = (
    "en_US",
    "en_GB",
    "de_DE",
    "fr_FR",
    "es_ES",
    "es_MX",
    "it_IT",
    "pl_PL",
    "tr_TR",
    "nl_NL",
    "pt_BR",
    "en_IN",
)
COUNTRY_OF = {
    "en_US": "US",
    "en_GB": "GB",
    "de_DE": "DE",
    "fr_FR": "FR",
    "es_ES": "ES",
    "es_MX": "MX",
    "it_IT": "IT",
    "pl_PL": "PL",
    "tr_TR": "TR",
    "nl_NL": "NL",
    "pt_BR": "BR",
    "en_IN": "IN",
}
COLUMNS = ["id", "kind", "name", "aliases", "birth_date", "nationality", "country", "gender"]
COLUMNS += ["id_number", "id_country", "address", "customer"]
MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}


def sdn_rows(data: bytes) -> dict[str, list[str]]:
    text = data.decode("utf-8").rstrip("\x1a")
    return {str(int(r[0])): r for r in csv.reader(io.StringIO(text)) if r and r[0].strip().isdigit()}


def as_customer(row: list[str], rng: random.Random) -> dict[str, str]:
    """An OFAC individual as a bank's customer record would have them."""
    last, _, given = row[1].partition(",")
    given_names = given.split()
    if len(given_names) > 1 and rng.random() < 0.5:
        given_names = given_names[:1]  # no middle name, no patronymic
    name = " ".join([*given_names, last.strip().title()]).strip()
    remarks = row[11] if len(row) > 11 else ""
    born = ""
    m = re.search(r"DOB (\d{1,2}) (\w{3}) (\d{4})", remarks)
    if m and m.group(2) in MONTHS:
        born = f"{m.group(3)}-{MONTHS[m.group(2)]:02d}-{int(m.group(1)):02d}"
    nat = re.search(r"nationality ([A-Z][a-zA-Z ]+?)(?:;|\.|$)", remarks)
    return {"name": name, "birth_date": born, "nationality": nat.group(1) if nat else ""}


def main() -> int:
    from faker import Faker
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from proscribe.enforcement import party_index
    from proscribe.enforcement.alerts import rescreen
    from proscribe.enforcement.book import import_book
    from proscribe.enforcement.updates import rescreen_after
    from proscribe.sources import ofac_csv
    from proscribe.sources.history import discover, read_versions
    from proscribe.store import Store
    from proscribe.store.book import PartyKey
    from proscribe.store.casework import Alert

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--planted", type=int, default=60)
    ap.add_argument("--from", dest="start", default="2022-02-01")
    ap.add_argument("--to", dest="end", default="2022-05-01")
    ap.add_argument(
        "--db", default="sqlite", help="sqlite (a fresh file under var/bench) or a PostgreSQL URL"
    )
    ap.add_argument(
        "--every-party",
        action="store_true",
        help="screen every party in each delta (no party keys: the method before them)",
    )
    args = ap.parse_args()
    start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    load_start = os.getloadavg()

    # the versions: the last before --from, then every one up to --to
    versions = [v for v in discover([ARCHIVE]) if v.published is not None and v.published.date() < end]
    before = [v for v in versions if v.published is not None and v.published.date() < start]
    stream = [before[-1], *[v for v in versions if v.published is not None and v.published.date() >= start]]
    data: dict[str, bytes] = {}
    for version, blob in read_versions(stream):
        data[version.name] = blob
    rows = [sdn_rows(data[v.name]) for v in stream]

    # the planted customers: individuals first listed in the window, and the version that listed them
    rng = random.Random(2022)
    first_seen: dict[str, int] = {}
    for i in range(1, len(stream)):
        for num, row in rows[i].items():
            if num not in rows[0] and num not in first_seen and row[2].strip() == "individual":
                first_seen[num] = i
    planted = rng.sample(sorted(first_seen), min(args.planted, len(first_seen)))

    VAR.mkdir(parents=True, exist_ok=True)
    book_csv = VAR / "book-100k.csv"
    fakes = {loc: Faker(loc) for loc in LOCALES}
    for seed, f in enumerate(fakes.values()):
        f.seed_instance(seed)
    t0 = time.perf_counter()
    slots = set(rng.sample(range(args.customers), len(planted)))
    plant_of: dict[str, str] = {}  # customer id -> ent_num
    with book_csv.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, COLUMNS)
        w.writeheader()
        it = iter(planted)
        for n in range(args.customers):
            cid = f"C-{n:06d}"
            if n in slots:
                num = next(it)
                c = as_customer(rows[first_seen[num]][num], rng)
                plant_of[cid] = num
                w.writerow({"id": cid, "kind": "person", **c, "country": "", "customer": "yes"})
                continue
            loc = LOCALES[n % len(LOCALES)]
            f = fakes[loc]
            female = rng.random() < 0.5
            first = f.first_name_female() if female else f.first_name_male()
            w.writerow(
                {
                    "id": cid,
                    "kind": "person",
                    "name": f"{first} {f.last_name()}",
                    "birth_date": f.date_of_birth(minimum_age=18, maximum_age=90).isoformat(),
                    "nationality": COUNTRY_OF[loc],
                    "country": COUNTRY_OF[loc],
                    "gender": "female" if female else "male",
                    "customer": "yes",
                }
            )
    made = time.perf_counter() - t0
    (VAR / "planted.json").write_text(
        json.dumps({cid: [num, stream[first_seen[num]].name] for cid, num in plant_of.items()}, indent=1)
    )

    url = args.db
    if url == "sqlite":
        for old in VAR.glob("update-book.db*"):
            old.unlink()
        url = f"sqlite:///{VAR / 'update-book.db'}"
    store = Store.open(url)
    t0 = time.perf_counter()
    with Session(store.engine) as s, s.begin():
        import_book(
            s,
            parties=book_csv,
            accounts=None,
            roles=None,
            ownership=None,
            actor="bench",
            at=datetime(2022, 1, 1, tzinfo=UTC),
        )
    imported_book = time.perf_counter() - t0

    cache = ofac_csv.BuildCache()

    def load(i: int) -> tuple[object, float]:
        v = stream[i]
        t = time.perf_counter()
        parsed = ofac_csv.read_sdn_bytes(data[v.name], v.name, dataset=ofac_csv.DATASET, cache=cache)
        result = store.apply(parsed, published_at=v.published)
        return result, time.perf_counter() - t

    _, base_s = load(0)
    assert stream[0].published is not None
    t0 = time.perf_counter()
    rescreen(store, mode="full", actor="bench", at=stream[0].published, parties=[], cache_dir=VAR / "idx")
    base_run = time.perf_counter() - t0
    print(
        f"book: {args.customers} customers ({len(planted)} planted) written in {made:.1f} s, imported in "
        f"{imported_book:.1f} s; baseline {stream[0].name} imported in {base_s:.1f} s; "
        f"first run {base_run:.1f} s",
        file=sys.stderr,
    )

    keys_s = keys_cpu = 0.0
    if not args.every_party:  # the book's party keys, made once (a delta would make them itself)
        t, cpu = time.perf_counter(), time.process_time()
        with Session(store.engine) as s, s.begin():
            party_index.refresh(s)
        keys_s, keys_cpu = time.perf_counter() - t, time.process_time() - cpu
        with Session(store.engine) as s:
            nkeys = s.scalar(select(func.count()).select_from(PartyKey)) or 0
            distinct = s.scalar(select(func.count(func.distinct(PartyKey.key)))) or 0
        print(
            f"party keys: {nkeys} ({distinct} distinct) made in {keys_s:.1f} s ({keys_cpu:.1f} s of CPU)",
            file=sys.stderr,
        )

    per: list[dict[str, object]] = []
    for i in range(1, len(stream)):
        v = stream[i]
        result, import_s = load(i)
        t, cpu = time.perf_counter(), time.process_time()
        after = rescreen_after(
            store,
            [result],  # type: ignore[list-item]
            actor="bench",
            at=v.published,
            cache_dir=VAR / "idx",
            by_keys=not args.every_party,
        )
        rescreen_s, rescreen_cpu = time.perf_counter() - t, time.process_time() - cpu
        run = after.run
        line = {
            "version": v.name,
            "import_s": import_s,
            "rescreen_s": rescreen_s if run else None,
            "rescreen_cpu": rescreen_cpu,
            "listings": run.listings_screened if run else 0,
            "alerts": run.alerts_opened if run else 0,
            "reached": run.parties_reached if run and run.parties_reached is not None else args.customers,
            "load": os.getloadavg()[0],
        }
        per.append(line)
        # the customers whose listing this version brought: alerted by this very run?
        due = [cid for cid, num in plant_of.items() if first_seen[num] == i]
        if due:
            with Session(store.engine) as s:
                got = {
                    a.party_id
                    for a in s.scalars(select(Alert).where(Alert.party_id.in_(due), Alert.kind == "match"))
                    if a.source_id == plant_of[a.party_id] and a.opened_at == v.published
                }
            print(f"  planted: {len(got)} of {len(due)} alerted by this version's run", file=sys.stderr)
        print(
            f"{v.name}: import {import_s:.1f} s, re-screen {rescreen_s:.1f} s ({rescreen_cpu:.1f} s of CPU), "
            f"{line['listings']} listings, {line['reached']} parties screened against them, "
            f"{line['alerts']} alerts ({after.skipped or 'ran'}), "
            f"load {line['load']:.1f}",
            file=sys.stderr,
        )

    # did each planted customer get an alert on the day their listing appeared?
    with Session(store.engine) as s:
        alerts = list(s.scalars(select(Alert).where(Alert.kind == "match")))
    by_party: dict[str, list[Alert]] = {}
    for a in alerts:
        by_party.setdefault(a.party_id, []).append(a)
    on_day = late = missed = 0
    misses: list[str] = []
    for cid, num in plant_of.items():
        due = stream[first_seen[num]].published
        hits = [a for a in by_party.get(cid, []) if a.source_id == num]
        if not hits:
            missed += 1
            misses.append(f"{cid} {num}")
        elif min(a.opened_at for a in hits) == due:
            on_day += 1
        else:
            late += 1
    others = sum(len(v) for k, v in by_party.items() if k not in plant_of)
    rs = [float(p["rescreen_s"]) for p in per if p["rescreen_s"] is not None]  # type: ignore[arg-type]
    im = [float(p["import_s"]) for p in per]  # type: ignore[arg-type]
    load_end = os.getloadavg()
    print(
        "\n".join(
            [
                f"## Delta re-screen of {args.customers} customers, {stream[1].name} to {stream[-1].name} "
                f"({len(per)} versions), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
                f"- store {store.engine.dialect.name}; {platform.machine()}, {os.cpu_count()} cores, Python "
                f"{platform.python_version()}; load average {load_start[0]:.1f} at the start, "
                f"{load_end[0]:.1f} at the end",
                f"- book made in {made:.1f} s, imported in {imported_book:.1f} s"
                + ("; every party screened in each delta" if args.every_party else "")
                + (
                    ""
                    if args.every_party
                    else f"; party keys made in {keys_s:.1f} s ({keys_cpu:.1f} s of CPU)"
                ),
                f"- import per version: median {statistics.median(im):.1f} s, slowest {max(im):.1f} s",
                f"- delta re-screen per version: median {statistics.median(rs):.1f} s, "
                f"slowest {max(rs):.1f} s, total {sum(rs):.0f} s",
                f"- planted customers: {on_day} alerted on the day of their listing, {late} later, "
                f"{missed} missed{(' (' + ', '.join(misses) + ')') if misses else ''}",
                f"- alerts on the {args.customers - len(planted)} other customers: {others}",
            ]
        )
    )
    for p in per:
        print(
            f"| {p['version']} | {p['import_s']:.1f} | "
            + (f"{p['rescreen_s']:.1f}" if p["rescreen_s"] is not None else "-")
            + f" | {p['rescreen_cpu']:.1f} | {p['listings']} | {p['reached']}"
            + f" | {p['alerts']} | {p['load']:.1f} |"
        )
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
