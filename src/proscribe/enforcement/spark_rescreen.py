"""Re-screening the book on Apache Spark: ``proscribe rescreen --engine spark``.

The local re-screen (``alerts.rescreen``) reads every party into one process and screens them one
after the other, in one transaction. A book of tens of millions of parties needs more cores than
one machine has, and more memory than one transaction should hold. This engine:

1. plans the run as the local engine does (full, or delta: the listings changed since the last
   finished run, and the parties changed since it read the book, against everything), and records
   the run (not finished yet);
2. writes the book (the parties' screening fields and checksums) to Parquet files in a work folder
   that the executors can read, streaming it from the store in chunks (never whole in memory);
3. screens every party on the executors with the index shipped to them (``spark.ship_index``; a
   delta's index of the changed listings too), exactly as the local engine screens a party
   (``alerts._screen_party``), and brings back only the parties with hits; in a delta, only the
   parties whose keys reach the changed listings (``party_index``, made on the driver from the
   store) are screened against them, the others could have no hit;
4. opens the alerts on the driver, party by party in id order, with the local engine's rules
   (``alerts.open_alerts_for``: no duplicate of an open or pending alert, a decided pair raised again
   only when the listing or the party changed; each alert audited), committing every
   ``batch_size`` alerts, then closes what ended and finishes the run (``screening.run`` audited).

A run stopped half-way (a crash, a killed driver) leaves its run unfinished with the alerts of the
batches committed so far: they are real possible matches, each audited. The next run (a delta
starts from the last *finished* run) screens everything that run would have and does not open them
twice. The work folder must be one every executor can read (a shared path, ``hdfs://``,
``s3a://``: written through ``pyarrow.fs``) on a real cluster.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.enforcement import alerts, party_index
from proscribe.enforcement.clock import aware
from proscribe.enforcement.errors import EnforcementError
from proscribe.enforcement.policy import load_policy
from proscribe.screening import Screener
from proscribe.screening.screener import Hit
from proscribe.store import Store
from proscribe.store.book import Party
from proscribe.store.casework import Alert, ScreeningRun

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: the parties' columns written for the executors (aliases as a JSON list)
BOOK_COLUMNS = ("id", "kind", "name", "aliases", "birth_date", "nationality", "country", "gender",
                "id_number", "checksum")  # fmt: skip
#: parties a Parquet file of the work folder holds (and a chunk read from the store)
CHUNK = 200_000
#: parties a Spark partition gets by default
ROWS_PER_PARTITION = 20_000
#: alerts opened per committed transaction on the driver
BATCH_SIZE = 5_000


@dataclass(frozen=True)
class _Task:
    """What every task needs: small, pickled into the job's closure (``fresh`` is broadcast)."""

    full_index: str | None
    changed_index: str | None
    delta: bool
    threshold: float


_SCREENERS: dict[str, Screener] = {}


def _screener(name: str) -> Screener:
    found = _SCREENERS.get(name)
    if found is None:
        from pyspark import SparkFiles

        found = _SCREENERS[name] = Screener.load(Path(SparkFiles.get(name)))
    return found


def party_of(row: dict[str, Any]) -> Party:
    """A party as the store holds it, from a row of the work folder (not attached to a session)."""
    return Party(
        id=row["id"],
        kind=row["kind"],
        name=row["name"],
        aliases=json.loads(row["aliases"] or "[]"),
        birth_date=row["birth_date"],
        nationality=row["nationality"],
        country=row["country"],
        gender=row["gender"],
        id_number=row["id_number"],
        checksum=row["checksum"],
    )


def screen_parties(
    task: _Task, fresh: frozenset[str], rows: Iterable[Any], reaching: frozenset[str] | None = None
) -> Iterator[tuple[str, str, str]]:
    """(party id, the party as JSON, its hits as JSON) for each party of a partition with hits.

    ``reaching``: in a delta, the parties whose keys reach the changed listings
    (``party_index.parties_reaching``); the others (unless new or changed) are not screened, as
    they could have no hit. None: every party is screened."""
    full = _screener(task.full_index) if task.full_index else None
    changed = _screener(task.changed_index) if task.changed_index else None
    for raw in rows:
        row = raw.asDict() if hasattr(raw, "asDict") else dict(raw)
        against_all = not task.delta or row["id"] in fresh
        if against_all:
            assert full is not None, "planned: the full index is shipped when a party needs it"
            use = full
        elif changed is not None and (reaching is None or row["id"] in reaching):
            use = changed
        else:
            continue  # a delta with no changed listing, or none the party's keys reach
        hits = alerts._screen_party(use, party_of(row), task.threshold)
        if hits:
            found = [h.to_dict() for h in hits.values()]
            yield row["id"], json.dumps(row), json.dumps(found)


def export_book(store: Store, folder: Path, parties: Iterable[str] | None = None) -> int:
    """Write the book's parties (or the named ones) to Parquet files in ``folder``; how many."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    schema = pa.schema([(name, pa.string()) for name in BOOK_COLUMNS])
    cols = [getattr(Party, name) for name in BOOK_COLUMNS]
    query = select(*cols).order_by(Party.id)
    if parties is not None:
        query = query.where(Party.id.in_(sorted(set(parties))))
    total = 0
    part = 0
    with Session(store.engine) as session:
        result = session.execute(query.execution_options(stream_results=True, yield_per=CHUNK))
        for chunk in result.partitions(CHUNK):
            data: dict[str, list[Any]] = {name: [] for name in BOOK_COLUMNS}
            for row in chunk:
                for name, value in zip(BOOK_COLUMNS, row, strict=True):
                    data[name].append(json.dumps(value or []) if name == "aliases" else value)
            pq.write_table(pa.Table.from_pydict(data, schema=schema), folder / f"book-{part:05d}.parquet")
            part += 1
            total += len(chunk)
    return total


def rescreen_spark(
    spark: SparkSession,
    store: Store,
    *,
    mode: str = "delta",
    actor: str,
    at: datetime | None = None,
    parties: Iterable[str] | None = None,
    screener: Screener | None = None,
    cache_dir: Path | None = None,
    work_dir: Path | None = None,
    partitions: int | None = None,
    batch_size: int = BATCH_SIZE,
    say: Callable[[str], None] | None = None,
    by_keys: bool = True,
) -> alerts.RunResult:
    """Screen the book (or the named parties) on Spark and open alerts in batches (module doc)."""
    from proscribe.screening.spark import ship_index

    report = say or (lambda message: None)
    if mode not in alerts.MODES:
        raise EnforcementError(f"mode {mode!r} is not one of {', '.join(alerts.MODES)}")
    if batch_size < 1:
        raise EnforcementError("the batch size must be at least 1")
    wanted = sorted(set(parties)) if parties is not None else None
    at = aware(at)
    as_of = at.date()
    started = time.monotonic()
    now_map = store.designated_checksums(as_of)

    # 1. the plan, and the run (committed: the alerts of each batch refer to it)
    with Session(store.engine) as session, session.begin():
        threshold = load_policy(session).alert_threshold
        last = session.scalars(
            select(ScreeningRun).where(ScreeningRun.finished_at.is_not(None)).order_by(ScreeningRun.id.desc())
        ).first()
        changed: set[str] | None = None
        ended: set[str] = set()
        fresh: set[str] = set()
        if mode == "delta" and last is not None:
            changed, ended = alerts.delta_changes(session, store, last, now_map)
            fresh = alerts.fresh_parties(session, alerts._book_read_at(last), wanted)
        run = ScreeningRun(
            mode=mode,
            as_of=as_of,
            started_at=at,
            actor=actor,
            version_key=store.version_key(),
            since_version_key=last.version_key if last is not None and mode == "delta" else None,
            note="",
        )
        session.add(run)
        session.flush()
        run_id = run.id
        last_id = last.id if last is not None else None

    # 2. the book, for the executors
    own_folder = work_dir is None
    folder = Path(tempfile.mkdtemp(prefix="proscribe-book-")) if work_dir is None else work_dir
    book_dir = folder / f"book-{uuid.uuid4().hex[:12]}"
    try:
        count = export_book(store, book_dir, wanted)
        report(
            f"run {run_id}: {count} parties written for the executors in {time.monotonic() - started:.1f} s"
        )
        # 3. screening on the executors
        # the index of everything only when some party is screened against everything (a delta
        # whose parties are all unchanged needs just the changed listings')
        full_name = None
        if changed is None or fresh:
            full = screener or Screener.from_store(store, as_of=as_of, cache_dir=cache_dir)
            full_name = ship_index(spark, full)
        changed_name = None
        reaching: frozenset[str] | None = None
        if changed:
            changed_screener = alerts._changed_screener(store, as_of, changed)
            changed_name = ship_index(spark, changed_screener)
            if by_keys:  # only the parties whose keys reach the changed listings are screened
                with Session(store.engine) as session, session.begin():
                    made = party_index.refresh(session, wanted)
                    keyed = party_index.parties_reaching(session, changed_screener.index)
                    reaching = frozenset(keyed if wanted is None else keyed & set(wanted))
                report(
                    f"run {run_id}: keys made for {made} parties; {len(reaching)} parties reach the "
                    f"changed listings, in {time.monotonic() - started:.1f} s"
                )
        task = _Task(full_name, changed_name, changed is not None, threshold)
        nparts = partitions or max(8, math.ceil(count / ROWS_PER_PARTITION))
        from pyspark.sql.types import StringType, StructField, StructType

        hits_schema = StructType([StructField(n, StringType()) for n in ("party_id", "party", "hits")])
        fresh_b = spark.sparkContext.broadcast(frozenset(fresh))
        reaching_b = spark.sparkContext.broadcast(reaching)
        from pyspark import StorageLevel

        # kept once screened: ordering them samples the data first, which would screen it twice
        screened = (
            spark.read.parquet(str(book_dir))
            .repartition(nparts, "id")
            .rdd.mapPartitions(lambda rows: screen_parties(task, fresh_b.value, rows, reaching_b.value))
            .toDF(hits_schema)
            .persist(StorageLevel.MEMORY_AND_DISK)
        )
        with_hits = screened.count()  # the screening itself, on the executors
        report(f"run {run_id}: {with_hits} parties with hits, screened in {time.monotonic() - started:.1f} s")
        found = screened.orderBy("party_id")
        # 4. the alerts, on the driver, in batches
        opened_ids: list[int] = []
        suppressed = 0
        session = Session(store.engine, expire_on_commit=False)  # the alerts seen stay usable
        try:
            session.begin()
            run = session.get_one(ScreeningRun, run_id)
            existing = alerts.existing_alerts(session)
            batch: list[Alert] = []
            for row in found.toLocalIterator():
                party = party_of(json.loads(row["party"]))
                hits = {h["entity_id"]: Hit(**h) for h in json.loads(row["hits"])}
                against_all = changed is None or party.id in fresh
                suppressed += alerts.open_alerts_for(
                    session, run, party, hits, against_all, changed, now_map, existing, batch, at
                )
                if len(batch) >= batch_size:
                    opened_ids += [a.id for a in batch]
                    session.commit()
                    batch = []
                    session.begin()
                    run = session.get_one(ScreeningRun, run_id)
            opened_ids += [a.id for a in batch]
            session.commit()
            # listings no longer in force, the run finished: one last transaction
            session.begin()
            run = session.get_one(ScreeningRun, run_id)
            last_run = session.get(ScreeningRun, last_id) if last_id is not None else None
            note = alerts.run_note(mode, last_run, changed, ended, count, len(fresh), len(now_map))
            run.note = note
            opened = list(session.scalars(select(Alert).where(Alert.run_id == run_id).order_by(Alert.id)))
            gone = ended if changed is not None else None
            in_book: Callable[[str], bool] = (
                (lambda pid: True) if wanted is None else set(wanted).__contains__
            )
            closed = alerts.close_ended(
                session, run, now_map, gone, at, opened, alerts.existing_alerts(session), in_book
            )
            alerts.finish_run(run, count, now_map, changed, opened)
            alerts.audit_run(session, run, mode, note, opened, suppressed, closed, at)
            session.commit()
            result = alerts.RunResult(
                run_id=run_id,
                mode=mode,
                as_of=as_of,
                parties_screened=count,
                listings_screened=run.listings_screened,
                alerts_opened=len(opened),
                suppressed=suppressed,
                closed=closed,
                note=note,
                alert_ids=[a.id for a in opened],
                parties_reached=None if reaching is None else len(reaching),
            )
        finally:
            session.close()
            screened.unpersist()
        report(
            f"run {run_id}: {result.alerts_opened} alerts opened, run finished in "
            f"{time.monotonic() - started:.1f} s"
        )
        return result
    finally:
        shutil.rmtree(book_dir, ignore_errors=True)
        if own_folder:
            shutil.rmtree(folder, ignore_errors=True)
