"""The small findings of the hardening issue (13, item 8), each kept fixed: huge ids on the
workspace's routes, money near 10^14 on SQLite, a full disk and a damaged store at the command
line, 401 before body validation, the tool's own actor names, dataset names from files, and
X-Forwarded-For from a client that is not a configured proxy."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from proscribe.enforcement import ledger
from proscribe.service import ServiceConfig, create_app
from proscribe.service.live import LiveServer
from proscribe.sources.base import ListFormatError
from proscribe.sources.formats import read_list
from proscribe.store import Store
from proscribe.store.audit import AuditRecord
from proscribe.store.book import Account, Party
from proscribe.store.ledger import LedgerEntry

HUGE = "99999999999999999999"  # 20 digits: more than any database integer
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def a_party(session: Session) -> None:
    session.add(
        Party(
            id="P1",
            kind="person",
            name="A Customer",
            aliases=[],
            checksum="0" * 64,
            source="test",
            created_at=T0,
            updated_at=T0,
        )
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("small")
    config = ServiceConfig(
        db=f"sqlite:///{tmp / 'store.db'}",
        index_cache=tmp / "index",
        jobs_dir=tmp / "jobs",
        refresh_seconds=3600,
    )
    with LiveServer(config) as srv:
        yield srv


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> Iterator[httpx.Client]:
    key = server.key("admin")
    with httpx.Client(base_url=server.url, headers={"Authorization": f"ApiKey {key}"}, timeout=30) as client:
        yield client


def test_huge_ids_are_404_or_422_never_500(admin: httpx.Client) -> None:
    for method, path in (
        ("GET", f"/ui/alerts/{HUGE}"),
        ("GET", f"/ui/reports/{HUGE}/download"),
        ("GET", f"/ui/reports/annual/{HUGE}/download"),
        ("POST", f"/ui/alerts/{HUGE}/decide"),
        ("POST", f"/ui/decisions/{HUGE}/approve"),
        ("POST", f"/ui/decisions/{HUGE}/reject"),
        ("POST", f"/ui/reports/{HUGE}/filed"),
        ("GET", f"/api/alerts/{HUGE}"),
        ("GET", f"/api/decisions/{HUGE}"),
        ("GET", f"/api/jobs/{HUGE}"),
    ):
        resp = admin.request(method, path)
        assert resp.status_code in (403, 404, 422), (path, resp.status_code, resp.text[:200])
    resp = admin.get(f"/ui/alerts/{HUGE}")
    assert resp.status_code == 422 and "alert_id" in resp.text


def test_unauthenticated_callers_get_401_before_any_body_check(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as anonymous:
        for path, body in (
            ("/api/users", {"nonsense": 1}),
            ("/match/default", {"queries": "not a mapping"}),
            (f"/api/alerts/{HUGE}/decide", {}),
            ("/api/screen", []),
        ):
            resp = anonymous.post(path, json=body)
            assert resp.status_code == 401, (path, resp.text)
            assert "sign in" in resp.json()["detail"] and "loc" not in resp.text


def test_the_tools_own_actor_names_cannot_be_users(admin: httpx.Client) -> None:
    for name in ("system", "cli", "System"):
        resp = admin.post("/api/users", json={"username": name, "role": "viewer"})
        assert resp.status_code == 400, resp.text
        assert "the name of the tool's own actions" in resp.text


def test_x_forwarded_for_is_not_believed_from_an_unconfigured_client(server: LiveServer) -> None:
    """Sign-in attempts from one address with a different X-Forwarded-For each are that address's:
    its sign-in limit (keyed by the same address the audit trail records) and its record."""
    statuses = []
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        for i in range(3):
            page = browser.get("/login").text
            token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            resp = browser.post(
                "/login",
                data={"username": "nobody", "password": "wrong password!", "csrf": token},
                headers={"X-Forwarded-For": f"10.0.0.{i}"},
            )
            statuses.append(resp.status_code)
    assert set(statuses) <= {401, 429}, statuses
    with Session(server.runtime.store.engine) as s:
        clients = {
            r.data["client"]
            for r in s.scalars(select(AuditRecord).where(AuditRecord.action == "login.failed"))
        }
    assert clients == {"127.0.0.1"}


def test_x_forwarded_for_is_believed_from_a_configured_proxy(server: LiveServer) -> None:
    """The same service with 127.0.0.1 configured as its proxy takes the client from the header
    (the app over the running server's runtime, called in-process from 127.0.0.1)."""
    runtime = server.runtime
    before = runtime.config.trusted_proxies
    runtime.config.trusted_proxies = ("127.0.0.1",)
    try:
        app = create_app(runtime=runtime)
    finally:
        runtime.config.trusted_proxies = before

    async def sign_in() -> int:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://proscribe") as browser:
            page = (await browser.get("/login")).text
            token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            resp = await browser.post(
                "/login",
                data={"username": "somebody", "password": "wrong password!", "csrf": token},
                headers={"X-Forwarded-For": "203.0.113.7"},
            )
            return resp.status_code

    assert asyncio.run(sign_in()) == 401
    with Session(runtime.store.engine) as s:
        rec = s.scalars(
            select(AuditRecord).where(
                AuditRecord.action == "login.failed", AuditRecord.subject == "user:somebody"
            )
        ).one()
    assert rec.data["client"] == "203.0.113.7"


def test_money_near_10_to_the_14_is_exact_on_sqlite(tmp_path: Path) -> None:
    """A binary float keeps about 15 significant digits: 99,999,999,999,999.99 is 16."""
    store = Store.open(f"sqlite:///{tmp_path / 'money.db'}", load_registry=False)
    big = Decimal("99999999999999.99")
    with Session(store.engine) as s, s.begin():
        a_party(s)
        ledger.open_account(
            s,
            account_id="A1",
            owner_id="P1",
            currency="USD",
            opening_balance=big,
            actor="t",
            at=datetime(2025, 1, 1, tzinfo=UTC),
        )
        ledger.deposit(s, account_id="A1", amount=Decimal("0.01"), actor="t", reason="r")
    with Session(store.engine) as s:
        assert s.get_one(Account, "A1").balance == Decimal("100000000000000.00")
        amounts = sorted(
            e.amount for e in s.scalars(select(LedgerEntry).where(LedgerEntry.account_id == "A1"))
        )
        assert amounts == [Decimal("0.01"), big]
        # stored as whole ten-thousandths, not as a float
        raw = s.execute(text("SELECT balance, typeof(balance) FROM accounts WHERE id = 'A1'")).one()
        assert tuple(raw) == (1_000_000_000_000_000_000, "integer")
    with pytest.raises(StatementError, match="more than 4 decimals"), Session(store.engine) as s:
        s.execute(update(Account).where(Account.id == "A1").values(balance=Decimal("0.00001")))
    store.close()


def test_the_migration_converts_stored_amounts(tmp_path: Path) -> None:
    """A store written before 0009 (amounts as floats) reads the same amounts after it."""
    from alembic import command
    from alembic.config import Config

    from proscribe.store.db import MIGRATIONS

    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = Store.open(url, load_registry=False)
    with Session(store.engine) as s, s.begin():
        a_party(s)
        ledger.open_account(
            s, account_id="A1", owner_id="P1", currency="USD", opening_balance=Decimal("1234.56"), actor="t"
        )
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008_user_sessions")
        assert conn.execute(text("SELECT balance FROM accounts WHERE id = 'A1'")).scalar_one() == 1234.56
        command.upgrade(cfg, "head")
    with Session(store.engine) as s:
        assert s.get_one(Account, "A1").balance == Decimal("1234.56")
    store.close()


def _proscribe(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("proscribe")
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, env=os.environ | env, timeout=120
    )


def test_a_full_disk_and_a_damaged_store_are_one_line(tmp_path: Path) -> None:
    """Run as a user runs it (the installed command): one line on stderr, no traceback."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = Store.open(url, load_registry=False)
    listing = {
        "id": "t-1",
        "schema": "Person",
        "properties": {"name": ["Some Body"]},
        "datasets": ["tiny_list"],
    }
    (tmp_path / "tiny.ftm.json").write_text(json.dumps(listing) + "\n")
    store.import_path(tmp_path / "tiny.ftm.json")
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    full = _proscribe("--db", url, "lists", "export", "/dev/full", env={})
    assert full.returncode == 1 and full.stderr.count("\n") == 1, full.stderr[-2000:]
    assert full.stderr.startswith("error: the disk is full")
    path = tmp_path / "store.db"
    data = bytearray(path.read_bytes())
    for offset in range(4096, len(data), 7):
        data[offset] = 0xFF
    path.write_bytes(bytes(data))
    damaged = _proscribe("--db", url, "alerts", "list", env={})
    assert damaged.returncode != 0 and damaged.stderr.count("\n") == 1, damaged.stderr[-2000:]
    assert "malformed" in damaged.stderr or "not a database" in damaged.stderr, damaged.stderr


def test_dataset_names_from_files_are_checked(tmp_path: Path) -> None:
    line = {
        "id": "x-1",
        "schema": "Person",
        "properties": {"name": ["Some Body"]},
        "datasets": ["../../etc/passwd<script>"],
    }
    path = tmp_path / "list.ftm.json"
    path.write_text(json.dumps(line) + "\n")
    with pytest.raises(ListFormatError, match=r"dataset name '\.\./\.\./etc/passwd<script>' \(the file's"):
        read_list(path)
    with pytest.raises(ListFormatError, match=r"dataset name 'Bad Name' \(--dataset\)"):
        read_list(path, dataset="Bad Name")
    line["datasets"] = ["gb_custom_list"]
    path.write_text(json.dumps(line) + "\n")
    assert read_list(path).dataset == "gb_custom_list"
