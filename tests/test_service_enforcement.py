"""The enforcement endpoints against a live server on the real OFAC + UN lists and the ICC registry:
the fixture book imported over HTTP, screened as of 2020-10-01 (Fatou Bensouda designated under
EO 13928), her alert decided and approved under four eyes, her funds frozen, a debit refused, the
block released; payments, travellers, reports, policy; who may call what; and the audit trail."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from proscribe.service import ServiceConfig, route_table
from proscribe.service.auth import Role
from proscribe.service.live import LiveServer
from proscribe.store import users
from test_service_api import copy_store

FIXTURES = Path(__file__).parent / "fixtures"
BOOK = FIXTURES / "book"
PAYMENTS = FIXTURES / "payments"
IN_2020 = "2020-10-01T14:00:00+00:00"
#: the people of the four-eyes story: alice and bob may both approve, carol only propose
PEOPLE = {"alice": "approver", "bob": "approver", "carol": "analyst", "vera": "viewer", "ada": "admin"}


@pytest.fixture(scope="module")
def server(real_store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("enforcement")
    config = ServiceConfig(
        db=copy_store(real_store_url, tmp),
        index_cache=tmp / "index",
        jobs_dir=tmp / "jobs",
        refresh_seconds=3600,
        rate=10_000,
        burst=10_000,
    )
    with LiveServer(config) as srv:
        yield srv


def new_key(server: LiveServer, username: str, role: str) -> str:
    with Session(server.runtime.store.engine) as session, session.begin():
        try:
            users.get_user(session, username)
        except LookupError:
            users.create_user(session, username, role, actor="test", must_change_password=False)
        _, secret = users.create_key(session, username, actor="test")
    return secret


@pytest.fixture(scope="module")
def people(server: LiveServer) -> Iterator[dict[str, httpx.Client]]:
    clients = {
        name: httpx.Client(
            base_url=server.url,
            headers={"Authorization": f"ApiKey {new_key(server, name, role)}"},
            timeout=120,
        )
        for name, role in PEOPLE.items()
    }
    yield clients
    for client in clients.values():
        client.close()


def ready(call: Callable[[], httpx.Response], seconds: float = 180) -> httpx.Response:
    """The answer once the lists of the day asked for are loaded (503 with Retry-After until then)."""
    deadline = time.monotonic() + seconds
    while True:
        resp = call()
        if resp.status_code != 503 or time.monotonic() > deadline:
            return resp
        assert "Retry-After" in resp.headers
        time.sleep(0.5)


def upload(*names: str, folder: Path = BOOK) -> dict[str, tuple[str, bytes, str]]:
    """Book files, each in the form field its name says (parties.csv -> parties)."""
    return {Path(n).stem: (Path(n).name, (folder / n).read_bytes(), "text/csv") for n in names}


def one_file(path: Path) -> dict[str, tuple[str, bytes, str]]:
    return {"file": (path.name, path.read_bytes(), "application/octet-stream")}


@pytest.fixture(scope="module")
def screened(people: dict[str, httpx.Client]) -> dict[str, Any]:
    """The fixture book imported as of 1 Sept 2020 and screened in full as of 1 Oct 2020."""
    carol = people["carol"]
    files = upload("parties.csv", "accounts.csv", "roles.csv", "ownership.csv")
    imported = carol.post("/api/customers/import", files=files, data={"at": "2020-09-01T09:00:00Z"})
    assert imported.status_code == 200, imported.text
    run = ready(lambda: carol.post("/api/rescreen", json={"mode": "full", "at": IN_2020}))
    assert run.status_code == 200, run.text
    return {"import": imported.json(), "run": run.json()}


def alert_for(client: httpx.Client, party: str, entity: str) -> dict[str, Any]:
    found = [a for a in client.get("/api/alerts", params={"party": party}).json() if a["entity"] == entity]
    assert len(found) == 1, found
    return found[0]


# --- customers ---------------------------------------------------------------------------------------


def test_a_bad_customer_file_is_refused_with_every_problem_and_nothing_imported(
    people: dict[str, httpx.Client],
) -> None:
    resp = people["carol"].post("/api/customers/import", files=upload("bad/parties.csv"))
    assert resp.status_code == 422
    body = resp.json()
    assert "nothing was imported" in body["detail"]
    assert "/tmp" not in resp.text  # the client's file name, never the server's folder
    where = {(p["file"], p["line"], p["column"]) for p in body["problems"]}
    assert ("parties.csv", 2, "birth_date") in where  # 1970-02-30
    assert ("parties.csv", 3, "nationality") in where  # Narnia
    assert people["vera"].get("/api/customers", params={"search": "Jane Doe"}).json() == []
    # a viewer may not import; a request without files names what is missing
    assert people["vera"].post("/api/customers/import", files=upload("parties.csv")).status_code == 403
    assert "upload at least one" in people["carol"].post("/api/customers/import").json()["detail"]


def test_customers_are_listed_and_shown_with_accounts_and_owners(
    screened: dict[str, Any], people: dict[str, httpx.Client]
) -> None:
    counts = screened["import"]["files"]
    assert counts["parties"]["file"] == "parties.csv" and counts["parties"]["added"] == 11
    assert counts["accounts"]["added"] == 10
    vera = people["vera"]
    listed = vera.get("/api/customers", params={"search": "harbourline"}).json()
    assert [p["id"] for p in listed] == ["O-3001", "O-3003"]
    shown = vera.get("/api/customers/O-3001").json()
    assert {o["id"]: Decimal(o["share"]) for o in shown["owners"]} == {
        "C-1005": Decimal(40),
        "C-1001": Decimal(35),
        "P-2001": Decimal(25),
    }
    assert {a["id"]: a["balance"] for a in shown["accounts"]} == {"A-3001": "250000.00", "A-3002": "40000.00"}
    assert shown["created_at"].endswith("+00:00") or shown["created_at"].endswith("Z")
    assert vera.get("/api/customers/NOBODY").status_code == 404


# --- screening, alerts, four eyes, frozen funds, release -----------------------------------------------


def test_rescreen_as_of_2020_opens_an_alert_for_the_designee(
    screened: dict[str, Any], people: dict[str, httpx.Client]
) -> None:
    run = screened["run"]
    assert run["mode"] == "full" and run["as_of"] == "2020-10-01" and run["parties_screened"] == 11
    alert = alert_for(people["vera"], "C-1002", "icc-bensouda-fatou")
    assert alert["status"] == "open" and alert["id"] in run["alert_ids"] and alert["score"] >= 0.8
    # a delta run right after finds nothing new and says so
    again = ready(lambda: people["carol"].post("/api/rescreen", json={"mode": "delta", "at": IN_2020})).json()
    assert again["mode"] == "delta" and again["alerts_opened"] == 0 and "delta since run" in again["note"]


def test_a_rescreen_runs_as_a_background_job(
    screened: dict[str, Any], people: dict[str, httpx.Client]
) -> None:
    carol = people["carol"]
    job = carol.post("/api/rescreen/jobs", json={"mode": "delta", "at": IN_2020, "parties": ["C-1002"]})
    assert job.status_code == 202 and job.json()["kind"] == "rescreen"
    deadline = time.monotonic() + 120
    while job.json()["status"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
        job = carol.get(f"/api/jobs/{job.json()['id']}")
    result = job.json()
    assert result["status"] == "done", result
    assert result["result"]["parties_screened"] == 1 and result["result"]["as_of"] == "2020-10-01"


def test_decide_approve_under_four_eyes_freezes_the_funds_and_release_returns_them(
    server: LiveServer, screened: dict[str, Any], people: dict[str, httpx.Client]
) -> None:
    alice, bob, carol, vera = people["alice"], people["bob"], people["carol"], people["vera"]
    alert = alert_for(vera, "C-1002", "icc-bensouda-fatou")
    reason = "Same name, birth date and nationality as the EO 13928 listing"
    assert (
        vera.post(
            f"/api/alerts/{alert['id']}/decide", json={"outcome": "true_match", "reason": reason}
        ).status_code
        == 403
    )
    proposed = alice.post(
        f"/api/alerts/{alert['id']}/decide", json={"outcome": "true_match", "reason": reason}
    )
    assert proposed.status_code == 200, proposed.text
    decision = proposed.json()
    assert decision["status"] == "pending" and decision["decided_by"] == "alice"
    assert decision["evidence"]["entity"] == "icc-bensouda-fatou"
    assert decision["id"] in [d["id"] for d in vera.get("/api/decisions/pending").json()]

    # the one who decided cannot approve: not with her key, not with another key of hers
    own = alice.post(f"/api/decisions/{decision['id']}/approve", json={})
    assert own.status_code == 409 and "four eyes" in own.json()["detail"]
    second_key = new_key(server, "alice", "approver")
    with httpx.Client(base_url=server.url, headers={"Authorization": f"ApiKey {second_key}"}) as alice2:
        assert alice2.post(f"/api/decisions/{decision['id']}/approve").status_code == 409
    # an analyst may propose but not approve
    assert carol.post(f"/api/decisions/{decision['id']}/approve").status_code == 403
    assert vera.get("/api/accounts", params={"blocked": "true"}).json() == []

    approved = bob.post(f"/api/decisions/{decision['id']}/approve", json={"note": "Checked the file copy"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["reviewed_by"] == "bob"
    assert approved.json()["params"]["effect"]["outcome"] == "true_match"
    assert vera.get(f"/api/alerts/{alert['id']}").json()["decisions"][0]["reviewed_by"] == "bob"

    blocked = {a["id"]: a for a in vera.get("/api/accounts", params={"blocked": "true"}).json()}
    assert set(blocked) == {"A-1002", "BLK-A-1002"}
    assert blocked["BLK-A-1002"]["balance"] == "8300.50" and blocked["BLK-A-1002"]["owner"] == "C-1002"
    assert blocked["A-1002"]["balance"] == "0.00" and blocked["A-1002"]["status"] == "blocked"
    assert Decimal(blocked["BLK-A-1002"]["interest_rate"]) == Decimal("0.04")
    blocks = vera.get("/api/blocks", params={"party": "C-1002"}).json()
    assert (
        len(blocks) == 1
        and blocks[0]["entity"] == "icc-bensouda-fatou"
        and blocks[0]["decision"] == decision["id"]
    )

    # no debit of blocked property: 409 naming the rule, and the refusal stays on the record
    refused = carol.post("/api/accounts/A-1002/withdraw", json={"amount": "100.00", "reason": "cash"})
    assert refused.status_code == 409 and "specific licence registered here" in refused.json()["detail"]
    assert (
        carol.post("/api/accounts/BLK-A-1002/withdraw", json={"amount": "1.00", "reason": "x"}).status_code
        == 409
    )
    trail = alice.get("/api/audit", params={"subject": "account:A-1002"}).json()
    assert trail[0]["action"] == "ledger.debit_refused" and trail[0]["actor"] == "carol"
    # a credit for her is accepted, into the blocked account
    credit = carol.post("/api/accounts/A-1002/deposit", json={"amount": "99.50", "reason": "pension"})
    assert credit.status_code == 200 and credit.json()["data"]["blocked"] is True
    assert vera.get("/api/accounts/BLK-A-1002").json()["balance"] == "8400.00"

    # the release: proposed by an analyst, approved by someone else; the history stays
    block_id = blocks[0]["id"]
    release = {"kind": "delisting", "reason": "EO 14022 revoked EO 13928; delisted 2 April 2021"}
    assert vera.post(f"/api/blocks/{block_id}/release", json=release).status_code == 403
    asked = carol.post(f"/api/blocks/{block_id}/release", json=release)
    assert asked.status_code == 200 and asked.json()["subject"] == f"block:{block_id}"
    assert carol.post(f"/api/decisions/{asked.json()['id']}/approve").status_code == 403
    done = alice.post(f"/api/decisions/{asked.json()['id']}/approve")
    assert done.status_code == 200, done.text
    assert done.json()["params"]["effect"]["released"] == [block_id]
    account = vera.get("/api/accounts/A-1002").json()
    assert account["status"] == "open" and account["balance"] == "8400.00"
    frozen = vera.get("/api/accounts/BLK-A-1002").json()
    assert frozen["balance"] == "0.00" and frozen["status"] == "closed"
    assert [h["kind"] for h in frozen["history"]] == ["block", "deposit", "release"]
    assert frozen["history"][0]["amount"] == "8300.50" and frozen["history"][-1]["amount"] == "-8400.00"
    assert vera.get("/api/blocks", params={"party": "C-1002"}).json() == []
    assert (
        vera.get("/api/blocks", params={"party": "C-1002", "all": "true"}).json()[0]["release_kind"]
        == "delisting"
    )
    # a released block cannot be released again
    assert carol.post(f"/api/blocks/{block_id}/release", json=release).status_code == 409


def test_a_rejected_decision_opens_the_alert_again(
    screened: dict[str, Any], people: dict[str, httpx.Client]
) -> None:
    carol, bob, vera = people["carol"], people["bob"], people["vera"]
    # screened today, Karim Khan and Mame Mandiaye Niang (EO 14203, 2025) are listed
    today = ready(lambda: carol.post("/api/rescreen", json={"mode": "full"}))
    assert today.status_code == 200 and today.json()["as_of"] == time.strftime("%Y-%m-%d", time.gmtime())
    alert = alert_for(vera, "C-1001", "icc-khan-karim")
    assert alert["id"] in today.json()["alert_ids"]
    assert alert["status"] == "open"
    proposed = carol.post(
        f"/api/alerts/{alert['id']}/decide",
        json={"outcome": "false_positive", "reason": "Not the prosecutor: a namesake"},
    ).json()
    assert vera.get(f"/api/alerts/{alert['id']}").json()["status"] == "pending"
    assert (
        carol.post(
            f"/api/alerts/{alert['id']}/decide", json={"outcome": "true_match", "reason": "again!"}
        ).status_code
        == 409
    )
    assert bob.post(f"/api/decisions/{proposed['id']}/reject", json={"note": "no"}).status_code == 422
    sent_back = bob.post(
        f"/api/decisions/{proposed['id']}/reject", json={"note": "Ask for the passport first"}
    )
    assert sent_back.status_code == 200 and sent_back.json()["status"] == "rejected"
    assert vera.get(f"/api/alerts/{alert['id']}").json()["status"] == "open"
    assert bob.post(f"/api/decisions/{proposed['id']}/approve").status_code == 409  # no longer pending
    assert bob.post("/api/decisions/999999/approve").status_code == 404


def test_requests_are_validated_field_by_field(people: dict[str, httpx.Client]) -> None:
    carol = people["carol"]

    def fields(resp: httpx.Response) -> set[str]:
        assert resp.status_code == 422, resp.text
        return {str(e["loc"][-1]) for e in resp.json()["detail"]}

    assert "reason" in fields(carol.post("/api/alerts/1/decide", json={"outcome": "true_match"}))
    assert "outcome" in fields(
        carol.post("/api/alerts/1/decide", json={"outcome": "maybe", "reason": "a b c d e"})
    )
    # money is a string: a JSON number would have passed through a float
    number = carol.post("/api/accounts/A-1003/deposit", json={"amount": 10.1, "reason": "x"})
    assert "amount" in fields(number) and "string" in number.text
    assert "amount" in fields(
        carol.post("/api/accounts/A-1003/deposit", json={"amount": "ten", "reason": "x"})
    )
    # a time without an offset is refused
    assert "at" in fields(carol.post("/api/rescreen", json={"mode": "full", "at": "2020-10-01T14:00:00"}))
    assert "mode" in fields(carol.post("/api/rescreen", json={"mode": "partial"}))
    # what the ledger refuses is named too: a sum finer than the currency's minor unit
    finer = carol.post("/api/accounts/A-1003/deposit", json={"amount": "1.001", "reason": "x"})
    assert finer.status_code == 409 and "minor unit" in finer.json()["detail"]
    assert carol.post("/api/accounts/NOPE/deposit", json={"amount": "1.00", "reason": "x"}).status_code == 404


def test_interest_accrual_is_for_admins(people: dict[str, httpx.Client]) -> None:
    assert people["bob"].post("/api/accounts/accrue", json={"until": "2026-01-01"}).status_code == 403
    resp = people["ada"].post("/api/accounts/accrue", json={"until": "2020-01-01"})
    assert resp.status_code == 200 and resp.json() == []  # nothing blocked then
    holdings = people["vera"].get("/api/accounts/holdings", params={"on": "2020-06-30"})
    assert holdings.status_code == 200 and holdings.json() == []


def test_service_charges_and_specific_licences_are_proposed_and_approved(
    people: dict[str, httpx.Client], screened: dict[str, Any]
) -> None:
    """A service charge and a specific licence are decisions: an analyst proposes, an approver approves."""
    carol, alice, vera = people["carol"], people["alice"], people["vera"]
    # the old single-person "service charge" debit is gone: the field is refused
    gone = carol.post(
        "/api/accounts/A-1003/withdraw", json={"amount": "1.00", "reason": "x", "service_charge": True}
    )
    assert gone.status_code == 422
    before = Decimal(vera.get("/api/accounts/A-1003").json()["balance"])
    unknown = carol.post(
        "/api/accounts/A-1003/charge", json={"item": "big fee", "reason": "fees for the year"}
    )
    assert unknown.status_code == 409 and "not a normal service charge" in unknown.json()["detail"]
    asked = carol.post(
        "/api/accounts/A-1003/charge", json={"item": "annual_statement", "reason": "2020 statement"}
    )
    assert asked.status_code == 200 and asked.json()["status"] == "pending", asked.text
    assert Decimal(vera.get("/api/accounts/A-1003").json()["balance"]) == before
    done = alice.post(f"/api/decisions/{asked.json()['id']}/approve")
    assert done.status_code == 200, done.text
    assert Decimal(vera.get("/api/accounts/A-1003").json()["balance"]) == before - Decimal("25.00")
    # a specific licence: recorded, pending until approved, then in force
    body = {
        "number": "ICC-EO14203-1390001-1",
        "licensee": "Karim Khan",
        "direction": "incoming",
        "parties": ["C-1003"],
        "amount": "500.00",
        "currency": "USD",
        "issued": "2025-07-01",
        "expires": "2025-12-31T23:59:00Z",
        "payee": "International Criminal Court",
        "reference": "licence letter, compliance file CF-2025-200",
        "reason": "OFAC licensed the ICC's reimbursement",
    }
    assert vera.post("/api/licenses", json=body).status_code == 403
    registered = carol.post("/api/licenses", json=body)
    assert registered.status_code == 200, registered.text
    assert registered.json()["license"]["status"] == "pending"
    assert carol.post("/api/licenses", json=body | {"number": "GL 2"}).status_code == 409
    approved = alice.post(f"/api/decisions/{registered.json()['decision']['id']}/approve")
    assert approved.status_code == 200, approved.text
    shown = vera.get("/api/licenses/ICC-EO14203-1390001-1").json()
    assert (shown["status"], shown["remaining"], shown["counterparty"]) == (
        "active",
        "500.00",
        "International Criminal Court",
    )
    assert [lic["number"] for lic in vera.get("/api/licenses", params={"status": "active"}).json()] == [
        "ICC-EO14203-1390001-1"
    ]
    assert vera.get("/api/licenses/NOPE").status_code == 404


# --- payments, travellers ------------------------------------------------------------------------------


def test_payments_are_screened_stored_and_queued(
    screened: dict[str, Any], people: dict[str, httpx.Client]
) -> None:
    carol, vera = people["carol"], people["vera"]
    bad = carol.post("/api/payments/screen", files=one_file(PAYMENTS / "malformed_bad_currency.fin"))
    assert bad.status_code == 422 and bad.json()["detail"].startswith("malformed_bad_currency.fin")
    assert (
        vera.post("/api/payments/screen", files=one_file(PAYMENTS / "mt103_near_miss.fin")).status_code == 403
    )
    # Karim Khan is designated under EO 14203 (2025): a salary to him is blocked today
    resp = ready(lambda: carol.post("/api/payments/screen", files=one_file(PAYMENTS / "mt103_blocked.fin")))
    assert resp.status_code == 200, resp.text
    [decided] = resp.json()
    assert decided["decision"] == "block" and decided["amount"] == "8400.00" and decided["currency"] == "EUR"
    assert decided["reports"] and decided["blocked_account"]
    stored = vera.get(f"/api/payments/{decided['payment_id']}").json()
    assert stored["status"] == "blocked" and ":59F:" in stored["raw"]
    assert decided["payment_id"] in [
        p["id"] for p in vera.get("/api/payments", params={"decision": "block"}).json()
    ]
    held = vera.get("/api/payments/held").json()
    assert all(p["status"] == "held" for p in held)
    assert vera.get("/api/payments/999999").status_code == 404


def test_a_held_payment_is_reviewed_under_four_eyes(
    screened: dict[str, Any], people: dict[str, httpx.Client]
) -> None:
    """A near miss (Karim Ahmad Khan for the listed Karim Asad Ahmad Khan) is held; blocking it after
    review freezes the amount once a second person approves; a release is sent back, then approved."""
    alice, bob, carol, vera = people["alice"], people["bob"], people["carol"], people["vera"]
    near_miss = one_file(PAYMENTS / "mt103_near_miss.fin")
    held = []
    for _ in range(2):
        resp = ready(lambda: carol.post("/api/payments/screen", files=near_miss))
        assert resp.status_code == 200, resp.text
        [screened_payment] = resp.json()
        assert screened_payment["decision"] == "hold" and screened_payment["status"] == "held"
        held.append(screened_payment)
    to_block, to_release = (p["payment_id"] for p in held)
    assert {to_block, to_release} <= {p["id"] for p in vera.get("/api/payments/held").json()}

    # block: proposed by alice, refused to herself (four eyes) and to an analyst, approved by bob
    reason = "The creditor is the listed Prosecutor: same name, and the invoice is for his office"
    assert (
        vera.post(f"/api/payments/{to_block}/review", json={"outcome": "block", "reason": reason}).status_code
        == 403
    )
    proposed = alice.post(f"/api/payments/{to_block}/review", json={"outcome": "block", "reason": reason})
    assert proposed.status_code == 200, proposed.text
    decision = proposed.json()
    assert decision["subject"] == f"payment:{to_block}" and decision["status"] == "pending"
    assert decision["decided_by"] == "alice" and decision["evidence"]["reference"] == "NEAR-0001"
    assert decision["id"] in [d["id"] for d in vera.get("/api/decisions/pending").json()]
    again = carol.post(
        f"/api/payments/{to_block}/review", json={"outcome": "release", "reason": "a namesake"}
    )
    assert again.status_code == 409 and "already has a decision" in again.json()["detail"]
    own = alice.post(f"/api/decisions/{decision['id']}/approve", json={})
    assert own.status_code == 409 and "four eyes" in own.json()["detail"]
    assert carol.post(f"/api/decisions/{decision['id']}/approve").status_code == 403
    assert vera.get(f"/api/payments/{to_block}").json()["status"] == "held"  # nothing moved yet

    approved = bob.post(f"/api/decisions/{decision['id']}/approve", json={"note": "Agreed, block it"})
    assert approved.status_code == 200, approved.text
    effect = approved.json()["params"]["effect"]
    assert effect["outcome"] == "blocked" and effect["blocked_account"] and effect["report"]
    account = vera.get(f"/api/accounts/{effect['blocked_account']}").json()
    assert account["kind"] == "blocked" and account["currency"] == "EUR"
    assert account["balance"] == "12500.00" and account["owner"] == effect["owner"]
    assert account["history"][0]["payment"] == to_block
    payment = vera.get(f"/api/payments/{to_block}").json()
    assert payment["status"] == "blocked" and payment["decision"] == "hold"  # the screening stays on record
    assert [(d["id"], d["status"], d["reviewed_by"]) for d in payment["decisions"]] == [
        (decision["id"], "approved", "bob")
    ]
    due = {r["report_id"]: r for r in vera.get("/api/reports/due").json()}
    report = due[effect["report"]]
    assert report["kind"] == "blocked_property" and report["subject_type"] == "payment"
    assert report["subject_id"] == str(to_block) and report["due_date"] > report["trigger_date"]
    # a blocked payment is not held any more: no second decision on it
    late = carol.post(
        f"/api/payments/{to_block}/review", json={"outcome": "reject", "reason": "too late now"}
    )
    assert late.status_code == 409 and "not held" in late.json()["detail"]

    # release: bob sends carol's first proposal back (still held), then approves her second one
    first = carol.post(
        f"/api/payments/{to_release}/review",
        json={"outcome": "release", "reason": "A namesake", "at": "2026-01-05T10:00:00+01:00"},
    ).json()
    stored = vera.get(f"/api/decisions/{first['id']}").json()
    assert datetime.fromisoformat(stored["decided_at"]) == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    sent_back = bob.post(
        f"/api/decisions/{first['id']}/reject", json={"note": "Ask for his birth date first"}
    )
    assert sent_back.status_code == 200 and sent_back.json()["status"] == "rejected"
    assert vera.get(f"/api/payments/{to_release}").json()["status"] == "held"
    second = carol.post(
        f"/api/payments/{to_release}/review",
        json={"outcome": "release", "reason": "Born 1985 in Lyon: not the listed Prosecutor (born 1970)"},
    ).json()
    released = alice.post(f"/api/decisions/{second['id']}/approve")
    assert released.status_code == 200 and released.json()["params"]["effect"] == {"outcome": "released"}
    payment = vera.get(f"/api/payments/{to_release}").json()
    assert payment["status"] == "released"
    assert [d["status"] for d in payment["decisions"]] == ["rejected", "approved"]
    assert to_release not in [p["id"] for p in vera.get("/api/payments/held").json()]
    trail = alice.get("/api/audit", params={"subject": f"payment:{to_release}"}).json()
    assert {(r["action"], r["actor"]) for r in trail} >= {
        ("decision.propose", "carol"),
        ("decision.reject", "bob"),
        ("decision.approve", "alice"),
    }

    # what the request says is checked field by field
    bad = carol.post(f"/api/payments/{to_release}/review", json={"outcome": "hold", "reason": "a b c d e"})
    assert bad.status_code == 422 and "outcome" in bad.text
    short = carol.post(f"/api/payments/{to_release}/review", json={"outcome": "release", "reason": "ok"})
    assert short.status_code == 422 and "reason" in short.text
    nobody = carol.post("/api/payments/999999/review", json={"outcome": "release", "reason": "a b c d e"})
    assert nobody.status_code == 404


def test_travellers_and_their_family_are_checked(
    screened: dict[str, Any], people: dict[str, httpx.Client]
) -> None:
    carol, ada, vera = people["carol"], people["ada"], people["vera"]
    assert (
        carol.post("/api/travel/family", files=one_file(FIXTURES / "travel" / "family.csv")).status_code
        == 403
    )
    family = ada.post("/api/travel/family", files=one_file(FIXTURES / "travel" / "family.csv"))
    assert family.status_code == 200 and family.json()["file"] == "family.csv" and family.json()["added"] >= 4
    on = "2020-10-01"  # EO 13928 in force: entry of designees and their family suspended
    denied = ready(
        lambda: carol.post(
            "/api/travel/check",
            json={"name": "Fatou Bensouda", "birth_date": "1961-01-31", "nationality": "Gambia", "on": on},
        )
    ).json()
    assert denied["decision"] == "deny" and denied["check_id"]
    spouse = carol.post(
        "/api/travel/check",
        json={"name": "Lamin Jobarteh", "birth_date": "1958-06-12", "nationality": "GM", "on": on},
    ).json()
    assert spouse["decision"] == "deny" and any("family" in r.lower() for r in spouse["reasons"])
    bad = carol.post("/api/travel/check", json={"name": "X Y", "birth_date": "31/01/1961", "on": on})
    assert bad.status_code == 422 and "birth_date" in bad.json()["detail"]
    assert vera.post("/api/travel/check", json={"name": "X Y"}).status_code == 403
    checks = vera.get("/api/travel/checks", params={"decision": "deny"}).json()
    assert {c["id"] for c in checks} >= {denied["check_id"], spouse["check_id"]}
    rules = vera.get("/api/travel/rules").json()
    assert rules["programs"]["ICC-EO13928"]["family"] is True


# --- reports, policy, audit ----------------------------------------------------------------------------


def test_reports_are_listed_rendered_and_filed(
    screened: dict[str, Any], people: dict[str, httpx.Client]
) -> None:
    vera, carol, bob = people["vera"], people["carol"], people["bob"]
    # the freeze makes a blocked-property report due (the four-eyes test froze A-1002's funds)
    due = vera.get("/api/reports/due", params={"all": "true"}).json()
    report = next(r for r in due if r["kind"] == "blocked_property" and r["subject_id"] == "BLK-A-1002")
    assert report["rule"] and report["due_date"] > report["trigger_date"]
    as_json = vera.get(f"/api/reports/{report['report_id']}")
    assert as_json.headers["content-type"].startswith("application/json") and as_json.json()
    as_csv = vera.get(f"/api/reports/{report['report_id']}", params={"format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv") and as_csv.text.startswith("section,")
    as_html = vera.get(f"/api/reports/{report['report_id']}", params={"format": "html"})
    assert as_html.headers["content-type"].startswith("text/html") and "<html" in as_html.text
    assert "8300.50" in as_html.text
    assert vera.get(f"/api/reports/{report['report_id']}", params={"format": "pdf"}).status_code == 422
    assert vera.get("/api/reports/999999").status_code == 404
    annual = vera.get("/api/reports/annual/2026", params={"format": "csv"})
    assert annual.status_code == 200 and annual.headers["content-type"].startswith("text/csv")

    filing = {"reference": "OFAC-2026-0042"}
    assert carol.post(f"/api/reports/{report['report_id']}/filed", json=filing).status_code == 403
    filed = bob.post(f"/api/reports/{report['report_id']}/filed", json=filing)
    assert (
        filed.status_code == 200 and filed.json()["filed_by"] == "bob" and filed.json()["status"] == "filed"
    )
    assert bob.post(f"/api/reports/{report['report_id']}/filed", json=filing).status_code == 409
    assert report["report_id"] not in [r["report_id"] for r in vera.get("/api/reports/due").json()]


def test_policy_is_read_by_all_and_set_by_admins(people: dict[str, httpx.Client]) -> None:
    vera, bob, ada = people["vera"], people["bob"], people["ada"]
    assert vera.get("/api/policy").json()["name"] == "us-bank"
    assert bob.put("/api/policy", json={"preset": "eu-bank"}).status_code == 403
    assert ada.put("/api/policy", json={}).status_code == 422
    assert ada.put("/api/policy", json={"preset": "eu-bank", "policy": {}}).status_code == 422
    assert ada.put("/api/policy", json={"preset": "no-such-bank"}).status_code == 422
    incomplete = ada.put("/api/policy", json={"policy": {"alert_threshold": 0.5}})
    assert incomplete.status_code == 422 and "institution" in incomplete.json()["detail"]
    try:
        # a change is proposed by one person and takes effect only when a second approves it
        proposed = ada.put("/api/policy", json={"preset": "eu-bank", "reason": "we now bank in the EU"})
        assert proposed.status_code == 202 and proposed.json()["proposed"]["eu_operator"] is True
        assert vera.get("/api/policy").json()["name"] == "us-bank"
        decision = proposed.json()["decision"]
        assert ada.post(f"/api/decisions/{decision}/approve").status_code == 409
        assert bob.post(f"/api/decisions/{decision}/approve").status_code == 200
        assert vera.get("/api/policy").json()["name"] == "eu-bank"
    finally:
        back = ada.put("/api/policy", json={"preset": "us-bank", "reason": "back to the US preset"})
        assert back.status_code == 202
        assert bob.post(f"/api/decisions/{back.json()['decision']}/approve").status_code == 200


def test_every_change_is_in_the_audit_trail_with_the_person(
    screened: dict[str, Any], people: dict[str, httpx.Client]
) -> None:
    people["carol"].post("/api/accounts/A-1005/deposit", json={"amount": "5.00", "reason": "audit test"})
    records = people["alice"].get("/api/audit", params={"limit": 1000}).json()
    assert people["carol"].get("/api/audit").status_code == 403
    by_action = {(r["action"], r["actor"]) for r in records}
    assert {("book.import", "carol"), ("screening.run", "carol"), ("ledger.deposit", "carol")} <= by_action
    assert ("decision.propose", "alice") in by_action and ("decision.approve", "bob") in by_action
    # and the service's own record of each mutating request, naming the key
    requests = [r for r in records if r["action"] == "http.request"]
    routes = {(r["data"]["route"], r["data"]["status"]) for r in requests}
    assert ("/api/accounts/{account_id}/deposit", 200) in routes
    assert ("/api/decisions/{decision_id}/approve", 409) in routes
    assert any(r["actor"].startswith("carol (key ") for r in requests)
    assert people["alice"].get("/api/audit/verify").json()["ok"] is True


# --- who may call what ---------------------------------------------------------------------------------

#: the rule of every enforcement route: a change here is a change of who may do what
EXPECTED_ROLES = {
    ("POST", "/api/customers/import"): "analyst",
    ("GET", "/api/customers"): "viewer",
    ("GET", "/api/customers/{party_id}"): "viewer",
    ("POST", "/api/rescreen"): "analyst",
    ("POST", "/api/rescreen/jobs"): "analyst",
    ("GET", "/api/alerts"): "viewer",
    ("GET", "/api/alerts/{alert_id}"): "viewer",
    ("POST", "/api/alerts/{alert_id}/decide"): "analyst",
    ("GET", "/api/decisions/pending"): "viewer",
    ("GET", "/api/decisions/{decision_id}"): "viewer",
    ("POST", "/api/decisions/{decision_id}/approve"): "approver",
    ("POST", "/api/decisions/{decision_id}/reject"): "approver",
    ("GET", "/api/blocks"): "viewer",
    ("GET", "/api/blocks/{block_id}"): "viewer",
    ("POST", "/api/blocks/{block_id}/release"): "analyst",
    ("GET", "/api/accounts"): "viewer",
    ("GET", "/api/accounts/holdings"): "viewer",
    ("GET", "/api/accounts/{account_id}"): "viewer",
    ("POST", "/api/accounts"): "analyst",
    ("POST", "/api/accounts/{account_id}/deposit"): "analyst",
    ("POST", "/api/accounts/{account_id}/withdraw"): "analyst",
    ("POST", "/api/accounts/{account_id}/charge"): "analyst",
    ("POST", "/api/accounts/accrue"): "admin",
    ("GET", "/api/licenses"): "viewer",
    ("GET", "/api/licenses/{number}"): "viewer",
    ("POST", "/api/licenses"): "analyst",
    ("POST", "/api/payments/screen"): "analyst",
    ("GET", "/api/payments"): "viewer",
    ("GET", "/api/payments/held"): "viewer",
    ("GET", "/api/payments/{payment_id}"): "viewer",
    ("POST", "/api/payments/{payment_id}/review"): "analyst",
    ("POST", "/api/travel/check"): "analyst",
    ("GET", "/api/travel/checks"): "viewer",
    ("POST", "/api/travel/family"): "admin",
    ("GET", "/api/travel/rules"): "viewer",
    ("PUT", "/api/travel/rules"): "admin",
    ("GET", "/api/reports/due"): "viewer",
    ("GET", "/api/reports/annual/{year}"): "viewer",
    ("POST", "/api/reports/annual/{year}/filed"): "approver",
    ("GET", "/api/reports/{report_id}"): "viewer",
    ("POST", "/api/reports/{report_id}/filed"): "approver",
    ("GET", "/api/policy"): "viewer",
    ("PUT", "/api/policy"): "admin",
    ("GET", "/api/audit"): "approver",
}
ENFORCEMENT_MODULES = {f"proscribe.service.routes_{area}" for area in ("casework", "money", "oversight")}


def test_enforcement_routes_need_the_expected_role_and_changes_are_audited(server: LiveServer) -> None:
    from proscribe.service.auth import api_routes

    ours = {
        (method, path)
        for path, route in api_routes(server.app.routes)
        for method in route.methods
        if route.endpoint.__module__ in ENFORCEMENT_MODULES
    }
    assert ours == set(EXPECTED_ROLES)
    rules = {(r.method, r.path): r for r in route_table(server.app)}
    for key, role in EXPECTED_ROLES.items():
        assert rules[key].role == Role[role], key
        assert rules[key].audited == (key[0] != "GET"), key


def test_each_role_below_the_rule_is_refused_and_the_rule_itself_let_through(
    server: LiveServer, people: dict[str, httpx.Client]
) -> None:
    """The matrix for the enforcement routes (tests/test_service_contract.py walks every route too):
    anonymous 401, each lower role 403, the lowest allowed role past the guard (with an empty body,
    so nothing changes: 404 or 422)."""
    holder = {"viewer": "vera", "analyst": "carol", "approver": "bob", "admin": "ada"}
    wrong = []
    for (method, template), role in EXPECTED_ROLES.items():
        path = template.replace("{year}", "1800")
        for name in (
            "party_id",
            "alert_id",
            "decision_id",
            "block_id",
            "account_id",
            "payment_id",
            "report_id",
        ):
            path = path.replace("{" + name + "}", "0")
        body = {"json": {"__nothing__": True}} if method in ("POST", "PUT") else {}
        if httpx.request(method, server.url + path, **body).status_code != 401:  # type: ignore[arg-type]
            wrong.append(f"{method} {path} anonymous")
        for other, who in holder.items():
            status = people[who].request(method, path, **body).status_code  # type: ignore[arg-type]
            if Role[other] < Role[role] and status != 403:
                wrong.append(f"{method} {path} as {other}: {status}, expected 403")
            if Role[other] == Role[role] and (
                status in (401, 403) or status >= 500 or (method != "GET" and status < 400)
            ):
                wrong.append(f"{method} {path} as {other}: {status}, expected 404/422")
    assert not wrong, "\n".join(wrong)


# --- the OpenAPI contract, by a property-based tester (last: it sends whatever the schema allows) ---


def test_openapi_contract_of_the_enforcement_routes(
    server: LiveServer, people: dict[str, httpx.Client]
) -> None:
    """Generated requests to every enforcement operation get documented status codes, content types
    and bodies of the documented shape, never a server error (as tests/test_service_contract.py
    checks for the other routes). A request the schema allows may still be refused (404, 409, 422)
    for what it names, so the "valid data accepted" check is left out; and 503 is the documented
    answer while the lists of a past day load, so the blanket "no 5xx" check gives way to the check
    that every status is documented (a 500 is not)."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    headers = {"Authorization": people["ada"].headers["Authorization"]}
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json", headers=headers)
    schema.config.base_url = server.url
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if "enforcement" not in (operation.tags or []):
            continue
        operations += 1
        # five generated requests an operation; two for a re-screen, whose every request screens the
        # book against the lists as of the date it names (an index of the real lists built for that
        # day, seconds each): two dates and modes check its answers' shape, as the others' five do
        examples = 2 if operation.path.startswith("/api/rescreen") else 5

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def exercise(case: Any) -> None:
            response = case.call_and_validate(
                headers=headers, excluded_checks=[positive_data_acceptance, not_a_server_error], timeout=60
            )
            assert response.status_code < 500 or response.status_code == 503, response.text

        try:
            exercise()
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.label}: {str(exc)[:800]}")
    assert operations == len(EXPECTED_ROLES)
    assert not failures, "\n\n".join(failures)
