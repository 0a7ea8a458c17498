"""``rescreen --engine spark`` (local mode) against the local engine, on PostgreSQL and the real UN list:
the same alerts opened (party, listing, score), the same counts, a second run (through the command
line) opening nothing twice, and a delta after a customer changed their name screening that customer
alone, in both engines."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from proscribe.cli.app import app
from proscribe.enforcement.alerts import RunResult, rescreen
from proscribe.enforcement.book import import_book
from proscribe.enforcement.spark_rescreen import rescreen_spark
from proscribe.screening import spark as spark_engine
from proscribe.store import Store
from proscribe.store.audit import AuditRecord
from proscribe.store.casework import Alert, ScreeningRun


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = spark_engine.spark_session("local[2]", app_name="proscribe rescreen tests")
    yield session
    session.stop()


def _book(path: Path, listed: list[str], size: int, renamed: dict[int, str] | None = None) -> None:
    """Customers: every fifth goes by a listed name (every other one of those lower-cased), the rest
    by made-up names."""
    first = "Maria Peter Laura Jan Sofia Tomasz Ingrid Mehmet Aiko Lucas".split()
    last = "Schmidt Jensen Rossi Novak Dubois Kowalski Lindqvist Yilmaz Tanaka".split()
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "kind", "name"])
        for i in range(size):
            if renamed and i in renamed:
                name = renamed[i]
            elif i % 5 == 0:
                name = listed[(i // 5) % len(listed)]
                name = name.lower() if i % 10 == 0 else name
            else:
                name = f"{first[i % len(first)]} {last[(i // 7) % len(last)]}"
            out.writerow([f"P-{i:04d}", "person", name])


def _store(url: str, un_xml: Path, book: Path) -> Store:
    store = Store.open(url)
    store.import_path(un_xml)
    with Session(store.engine) as session, session.begin():
        import_book(session, parties=book, accounts=None, roles=None, ownership=None, actor="test")
    return store


def _alerts(store: Store) -> set[tuple[str, str, float, str, str]]:
    with Session(store.engine) as session:
        return {(a.party_id, a.entity_id, a.score, a.status, a.kind) for a in session.scalars(select(Alert))}


def _same(a: Any, b: Any) -> None:
    for field in ("mode", "parties_screened", "listings_screened", "alerts_opened", "suppressed", "closed"):
        assert getattr(a, field) == getattr(b, field), (field, a, b)


def test_spark_rescreen_opens_the_alerts_the_local_engine_opens(
    spark: Any, pg_databases: Callable[[], str], un_xml: Path, tmp_path: Path
) -> None:
    listed_store = Store.open(pg_databases())
    listed_store.import_path(un_xml)
    listed = [r.target.caption for r in listed_store.designated() if r.target.schema.name == "Person"][:60]
    listed_store.close()
    book = tmp_path / "parties.csv"
    _book(book, listed, 300)
    distributed_url = pg_databases()
    local, distributed = _store(pg_databases(), un_xml, book), _store(distributed_url, un_xml, book)

    # a full run: the same alerts; opened in batches of 7 on the Spark side
    one = rescreen(local, mode="full", actor="test")
    two = rescreen_spark(spark, distributed, mode="full", actor="test", batch_size=7, work_dir=tmp_path / "w")
    _same(one, two)
    assert one.alerts_opened >= 30 and _alerts(local) == _alerts(distributed)
    with Session(distributed.engine) as session:
        run = session.get_one(ScreeningRun, two.run_id)
        assert run.finished_at is not None and run.note == one.note
        opened = session.scalars(select(AuditRecord).where(AuditRecord.action == "alert.open")).all()
        assert len(opened) == two.alerts_opened
        assert {r.data["run"] for r in opened} == {two.run_id}

    # again (the Spark side through the command line): every alert is open already, so nothing is
    # opened twice
    one = rescreen(local, mode="full", actor="test")
    args = ["--db", distributed_url, "rescreen", "--full", "--engine", "spark", "--spark-master", "local[2]"]
    out = CliRunner().invoke(app, [*args, "--batch-size", "7", "--json"])
    assert out.exit_code == 0, out.output
    two = RunResult(**{k: v for k, v in json.loads(out.stdout).items() if k != "as_of"}, as_of=one.as_of)
    _same(one, two)
    assert one.alerts_opened == 0 and _alerts(local) == _alerts(distributed)

    # a customer now goes by a listed name: a delta screens the changed customer against everything
    changed = tmp_path / "changed.csv"
    _book(changed, listed, 300, renamed={1: listed[7]})
    for store in (local, distributed):
        with Session(store.engine) as session, session.begin():
            import_book(session, parties=changed, accounts=None, roles=None, ownership=None, actor="test")
    one = rescreen(local, mode="delta", actor="test")
    two = rescreen_spark(spark, distributed, mode="delta", actor="test")
    _same(one, two)
    assert one.alerts_opened >= 1 and one.note == two.note and "1 new or changed parties" in one.note
    assert _alerts(local) == _alerts(distributed)
    with Session(local.engine) as session:
        new = session.scalars(select(Alert).where(Alert.run_id == one.run_id)).all()
    assert {a.party_id for a in new} == {"P-0001"}
    local.close()
    distributed.close()
