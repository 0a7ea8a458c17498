"""Customers, screening the book, alerts, four-eyes decisions and blocks, over HTTP.

The endpoints call the same functions as ``proscribe customers``, ``rescreen``, ``alerts`` and
``blocks``; each enforcement call appends its own audit record naming the person who acted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.enforcement import alerts as alerts_mod
from proscribe.enforcement import decisions, ledger
from proscribe.enforcement.book import BookInputError, get_party, import_book, list_parties, party_dict
from proscribe.enforcement.clock import aware
from proscribe.enforcement.errors import EnforcementError, NotFoundError
from proscribe.service.auth import Caller, Role, allow
from proscribe.service.jobs import Job
from proscribe.service.routes_shared import (
    BUILD_WAIT,
    INVALID,
    Key,
    Money,
    Offset,
    RowId,
    Text,
    actor_of,
    iso,
    not_future,
    problem,
    read,
    refused_files,
    screener_as_of,
    strip_folder,
    uploaded,
    write,
    writer,
)
from proscribe.service.routes_yente import runtime_of
from proscribe.store.casework import Alert, Block, Decision

router = APIRouter(responses=INVALID)

AlertStatus = Literal["open", "pending", "true_match", "false_positive", "closed"]
FOUR_EYES: dict[int | str, dict[str, Any]] = {
    409: {"description": "Refused: the four-eyes rule, or the decision is not pending"}
}


# --- customers -------------------------------------------------------------------------------------


class FileCountsOut(BaseModel):
    file: str
    rows: int
    added: int
    updated: int
    unchanged: int
    removed: int


class BookImportOut(BaseModel):
    """What each file did, and the parties that are new or changed (they need screening)."""

    files: dict[str, FileCountsOut]
    rescreen: list[str] = Field(examples=[["C-1001", "C-1002"]])


class PartyOut(BaseModel):
    id: str = Field(examples=["C-1002"])
    kind: str = Field(examples=["person"])
    name: str = Field(examples=["Fatou Bensouda"])
    aliases: list[str]
    birth_date: str | None = Field(None, examples=["1961-01-31"])
    nationality: str | None = None
    country: str | None = None
    gender: str | None = None
    id_number: str | None = None
    id_country: str | None = None
    address: str | None = None
    customer: bool
    checksum: str
    source: str | None = None
    created_at: datetime
    updated_at: datetime


class PartyAccount(BaseModel):
    id: str
    kind: str
    currency: str
    balance: Money
    status: str


class PartyRole(BaseModel):
    account: str
    role: str
    share: str | None = None


class PartyLink(BaseModel):
    id: str
    name: str
    kind: str
    share: str = Field(examples=["35.0000"])


class PartyDetail(PartyOut):
    """A party with its accounts, its roles on accounts, who owns it and what it owns."""

    accounts: list[PartyAccount]
    roles: list[PartyRole]
    owners: list[PartyLink]
    owns: list[PartyLink]


@router.post(
    "/api/customers/import",
    dependencies=[allow(Role.analyst)],
    summary="Import customers, accounts, account roles and ownership from CSV files",
    response_model=BookImportOut,
)
def import_customers(
    request: Request,
    who: Caller,
    parties: Annotated[UploadFile | None, File(description="id, kind, name; optional aliases...")] = None,
    accounts: Annotated[UploadFile | None, File(description="id, owner, currency, balance")] = None,
    roles: Annotated[UploadFile | None, File(description="account, party, role; optional share")] = None,
    ownership: Annotated[UploadFile | None, File(description="owner, owned, share")] = None,
    at: Annotated[AwareDatetime | None, Form(description="When the book is as of (default now)")] = None,
) -> Any:
    """Every file is read and checked first; any problem refuses them all (422, each problem with its
    file, line and column) and nothing is applied. Columns: ``docs/customers.md``."""
    files = {"parties": parties, "accounts": accounts, "roles": roles, "ownership": ownership}
    if not any(files.values()):
        raise HTTPException(422, "upload at least one of the files parties, accounts, roles, ownership")
    with uploaded(files) as (folder, paths):

        def work(session: Session) -> dict[str, Any]:
            result = import_book(
                session,
                parties=paths["parties"],
                accounts=paths["accounts"],
                roles=paths["roles"],
                ownership=paths["ownership"],
                actor=actor_of(who),
                at=at,
            )
            return result.to_dict()

        try:
            out = write(request, work, passthrough=(BookInputError, EnforcementError))
        except BookInputError as exc:
            return refused_files(exc, folder)
        except EnforcementError as exc:
            raise strip_folder(exc, folder) from None
    for counts in out["files"].values():
        counts["file"] = Path(counts["file"]).name
    return out


@router.get(
    "/api/customers",
    dependencies=[allow(Role.viewer)],
    summary="The parties in the book",
    response_model=list[PartyOut],
)
def customers(
    request: Request,
    search: Annotated[Text | None, Query(max_length=200, description="Part of a name or an id")] = None,
    customers_only: bool = False,
    kind: Annotated[Literal["person", "organization"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> Any:
    return read(
        request,
        lambda s: [
            party_dict(p)
            for p in list_parties(
                s, search=search, customers_only=customers_only, kind=kind, limit=limit, offset=offset
            )
        ],
    )


@router.get(
    "/api/customers/{party_id}",
    dependencies=[allow(Role.viewer)],
    summary="One party with its accounts, roles, owners and holdings",
    response_model=PartyDetail,
)
def customer(request: Request, party_id: Key) -> Any:
    def work(s: Session) -> dict[str, Any]:
        out = get_party(s, party_id).to_dict()
        for account in out["accounts"]:  # in the currency's minor unit, as the ledger gives them
            account["balance"] = ledger.balance(s, account["id"])
        return out

    return read(request, work)


# --- screening the book ---------------------------------------------------------------------------------


class RescreenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["delta", "full"] = Field(
        description="delta: only listings changed since the last run (and changed parties); full: all",
        examples=["delta"],
    )
    at: AwareDatetime | None = Field(
        None,
        description="Screen against the lists as they stood at this time (ISO 8601 with offset); default now",
        examples=["2020-10-01T14:00:00Z"],
    )
    parties: list[str] | None = Field(None, description="Only these parties (ids)", max_length=10000)


class RunOut(BaseModel):
    """One screening run: what it screened and what it opened."""

    run_id: int
    mode: str
    as_of: date
    parties_screened: int
    listings_screened: int
    alerts_opened: int
    suppressed: int = Field(description="Decided pairs not raised again (listing and party unchanged)")
    closed: int = Field(description="Alerts closed or release requests opened because a listing ended")
    note: str
    alert_ids: list[int]


class JobOut(BaseModel):
    id: str
    kind: str
    owner: str
    status: str
    progress: dict[str, Any]
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    cancelled_by: str | None = None
    result: dict[str, Any]
    download: str | None = None


def _rescreen(
    request: Request,
    body: RescreenBody,
    actor: str,
    wait: float | None = BUILD_WAIT,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    not_future(body.at, "at")
    at = aware(body.at)
    screener = screener_as_of(request, at.date(), wait)
    with writer(request):
        result = alerts_mod.rescreen(
            runtime_of(request).store,
            mode=body.mode,
            actor=actor,
            at=at,
            parties=body.parties,
            screener=screener,
            progress=progress,
        )
    return result.to_dict()


@router.post(
    "/api/rescreen",
    dependencies=[allow(Role.analyst)],
    summary="Screen the book against the lists (delta or full) and open alerts",
    response_model=RunOut,
)
def rescreen(request: Request, body: RescreenBody, who: Caller) -> Any:
    """Answers when the run is done, in one transaction. A large book is better screened with
    ``POST /api/rescreen/jobs``, which runs in the background."""
    try:
        return _rescreen(request, body, actor_of(who))
    except EnforcementError as exc:
        raise problem(exc) from None


@router.post(
    "/api/rescreen/jobs",
    status_code=202,
    dependencies=[allow(Role.analyst)],
    summary="Screen the book as a background job (poll /api/jobs/{id})",
    response_model=JobOut,
)
def rescreen_job(request: Request, body: RescreenBody, who: Caller) -> Any:
    """With Redis, on the durable queue (run by ``proscribe jobs worker``); else in this server.
    Either way it can be cancelled while it runs (``POST /api/jobs/{id}/cancel``): the run's
    transaction is rolled back, and the book's alerts stay as they were before it."""
    not_future(body.at, "at")
    runtime = runtime_of(request)
    job = Job(id=runtime.jobs.new_id(), kind="rescreen", owner=who.username, created_at=aware(None))
    actor = actor_of(who)
    if runtime.queue is not None:
        return runtime.queue.submit(
            job,
            "proscribe.service.tasks.rescreen_book",
            mode=body.mode,
            actor=actor,
            at=body.at.isoformat() if body.at else None,
            parties=body.parties,
        ).to_dict()
    job.stoppable = True

    def work(job: Job) -> dict[str, Any]:
        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total
            job.check()  # cancelled: JobCancelled rolls the run's transaction back

        return _rescreen(request, body, actor, wait=None, progress=progress)  # waits for its day's lists

    return runtime.jobs.submit(job, work).to_dict()


# --- alerts and decisions -------------------------------------------------------------------------------


class DecisionOut(BaseModel):
    """A decision made by one person and approved or rejected by another."""

    id: int
    action: str = Field(examples=["true_match"])
    subject: str = Field(examples=["alert:3"])
    status: Literal["pending", "approved", "rejected"]
    reason: str
    evidence: dict[str, Any]
    decided_by: str
    decided_at: datetime
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_note: str | None = None
    params: dict[str, Any] = Field(
        description="A release's kind and authority, or the owner a payment block names; once approved, "
        "the effect"
    )


class AlertOut(BaseModel):
    id: int
    kind: Literal["match", "delisted"]
    status: str = Field(examples=["open"])
    party: str
    entity: str = Field(examples=["icc-bensouda-fatou"])
    dataset: str
    score: float
    matched_name: str | None = None
    explanation: str
    opened_at: datetime
    updated_at: datetime
    run_id: int | None = None
    evidence: dict[str, Any]


class AlertDetail(AlertOut):
    decisions: list[DecisionOut]


def decision_dict(d: Decision) -> dict[str, Any]:
    return {
        "id": d.id,
        "action": d.action,
        "subject": f"{d.subject_type}:{d.subject_id}",
        "status": d.status,
        "reason": d.reason,
        "evidence": d.evidence,
        "decided_by": d.decided_by,
        "decided_at": iso(d.decided_at),
        "reviewed_by": d.reviewed_by,
        "reviewed_at": iso(d.reviewed_at),
        "review_note": d.review_note,
        "params": d.params,
    }


def alert_dict(a: Alert) -> dict[str, Any]:
    return {
        "id": a.id,
        "kind": a.kind,
        "status": a.status,
        "party": a.party_id,
        "entity": a.entity_id,
        "dataset": a.dataset,
        "score": a.score,
        "matched_name": a.matched_name,
        "explanation": a.explanation,
        "opened_at": iso(a.opened_at),
        "updated_at": iso(a.updated_at),
        "run_id": a.run_id,
        "evidence": a.evidence,
    }


@router.get(
    "/api/alerts", dependencies=[allow(Role.viewer)], summary="The alert queue", response_model=list[AlertOut]
)
def list_alerts(
    request: Request,
    status: Annotated[AlertStatus | None, Query()] = None,
    party: Annotated[Text | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> Any:
    def work(s: Session) -> list[dict[str, Any]]:
        q = select(Alert).order_by(Alert.id)
        if status:
            q = q.where(Alert.status == status)
        if party:
            q = q.where(Alert.party_id == party)
        return [alert_dict(a) for a in s.scalars(q.offset(offset).limit(limit))]

    return read(request, work)


def _alert_detail(s: Session, alert_id: RowId) -> dict[str, Any]:
    alert = s.get(Alert, alert_id)
    if alert is None:
        raise NotFoundError(f"no alert {alert_id}")
    decs = s.scalars(
        select(Decision)
        .where(Decision.subject_type == "alert", Decision.subject_id == str(alert_id))
        .order_by(Decision.id)
    )
    return alert_dict(alert) | {"decisions": [decision_dict(d) for d in decs]}


@router.get(
    "/api/alerts/{alert_id}",
    dependencies=[allow(Role.viewer)],
    summary="One alert: the party, the listing, the explanation and every decision on it",
    response_model=AlertDetail,
)
def show_alert(request: Request, alert_id: RowId) -> Any:
    return read(request, lambda s: _alert_detail(s, alert_id))


class DecideBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["true_match", "false_positive", "release", "keep"] = Field(
        description="true_match or false_positive on a match alert; release or keep on a delisted one"
    )
    reason: Text = Field(
        min_length=5, max_length=5000, examples=["Same name, birth date and nationality as the listing"]
    )


@router.post(
    "/api/alerts/{alert_id}/decide",
    dependencies=[allow(Role.analyst)],
    summary="Propose a decision on an alert; a second person approves it",
    response_model=DecisionOut,
    responses={409: {"description": "The alert is not open, or the outcome does not fit it"}},
)
def decide(request: Request, alert_id: RowId, body: DecideBody, who: Caller) -> Any:
    return write(
        request,
        lambda s: decision_dict(
            decisions.decide(
                s, alert_id=alert_id, outcome=body.outcome, reason=body.reason, actor=actor_of(who)
            )
        ),
    )


@router.get(
    "/api/decisions/pending",
    dependencies=[allow(Role.viewer)],
    summary="Decisions waiting for a second person",
    response_model=list[DecisionOut],
)
def pending(request: Request) -> Any:
    return read(request, lambda s: [decision_dict(d) for d in decisions.pending(s)])


@router.get(
    "/api/decisions/{decision_id}",
    dependencies=[allow(Role.viewer)],
    summary="One decision",
    response_model=DecisionOut,
)
def show_decision(request: Request, decision_id: RowId) -> Any:
    def work(s: Session) -> dict[str, Any]:
        d = s.get(Decision, decision_id)
        if d is None:
            raise NotFoundError(f"no decision {decision_id}")
        return decision_dict(d)

    return read(request, work)


class ApproveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Text | None = Field(None, max_length=5000, examples=["Checked the passport copy on file"])


class RejectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Text = Field(min_length=5, max_length=5000, examples=["The birth dates differ by 20 years"])


@router.post(
    "/api/decisions/{decision_id}/approve",
    dependencies=[allow(Role.approver)],
    summary="Approve someone else's decision; it takes effect now (a block freezes the funds)",
    response_model=DecisionOut,
    responses=FOUR_EYES,
)
def approve(request: Request, decision_id: RowId, who: Caller, body: ApproveBody | None = None) -> Any:
    note = body.note if body else None
    return write(
        request,
        lambda s: decision_dict(
            decisions.approve(s, decision_id=decision_id, actor=actor_of(who), note=note)
        ),
    )


@router.post(
    "/api/decisions/{decision_id}/reject",
    dependencies=[allow(Role.approver)],
    summary="Send someone else's decision back; the alert opens again (a held payment stays held)",
    response_model=DecisionOut,
    responses=FOUR_EYES,
)
def reject(request: Request, decision_id: RowId, body: RejectBody, who: Caller) -> Any:
    return write(
        request,
        lambda s: decision_dict(
            decisions.reject(s, decision_id=decision_id, actor=actor_of(who), note=body.note)
        ),
    )


# --- blocks ---------------------------------------------------------------------------------------------


class BlockOut(BaseModel):
    """A party's property blocked: a confirmed listing, or the 50 percent rule (with the chain)."""

    id: int
    party: str
    basis: Literal["listing", "ownership"]
    entity: str | None = None
    dataset: str | None = None
    programs: list[str]
    explanation: str
    chain: list[Any]
    decision: int | None = None
    blocked_at: datetime
    blocked_by: str
    released_at: datetime | None = None
    released_by: str | None = None
    release_kind: str | None = None
    release_reason: str | None = None


def block_dict(b: Block) -> dict[str, Any]:
    return {
        "id": b.id,
        "party": b.party_id,
        "basis": b.basis,
        "entity": b.entity_id,
        "dataset": b.dataset,
        "programs": [str(p) for p in b.programs],
        "explanation": b.explanation,
        "chain": b.chain,
        "decision": b.decision_id,
        "blocked_at": iso(b.blocked_at),
        "blocked_by": b.blocked_by,
        "released_at": iso(b.released_at),
        "released_by": b.released_by,
        "release_kind": b.release_kind,
        "release_reason": b.release_reason,
    }


@router.get(
    "/api/blocks",
    dependencies=[allow(Role.viewer)],
    summary="Blocks in force (all of them, with their releases, with all=true)",
    response_model=list[BlockOut],
)
def list_blocks(
    request: Request, all: bool = False, party: Annotated[Text | None, Query(max_length=100)] = None
) -> Any:
    def work(s: Session) -> list[dict[str, Any]]:
        q = select(Block).order_by(Block.id)
        if not all:
            q = q.where(Block.released_at.is_(None))
        if party:
            q = q.where(Block.party_id == party)
        return [block_dict(b) for b in s.scalars(q)]

    return read(request, work)


@router.get(
    "/api/blocks/{block_id}", dependencies=[allow(Role.viewer)], summary="One block", response_model=BlockOut
)
def show_block(request: Request, block_id: RowId) -> Any:
    def work(s: Session) -> dict[str, Any]:
        b = s.get(Block, block_id)
        if b is None:
            raise NotFoundError(f"no block {block_id}")
        return block_dict(b)

    return read(request, work)


class ReleaseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["license", "compliance_release", "delisting"]
    reason: Text = Field(
        min_length=5, max_length=5000, examples=["EO 14022 revoked EO 13928 on 1 April 2021"]
    )
    license: Text | None = Field(
        None,
        max_length=200,
        description="The licence (kind license) or OFAC's answer to the 31 CFR 501.806 request",
    )


@router.post(
    "/api/blocks/{block_id}/release",
    dependencies=[allow(Role.analyst)],
    summary="Propose releasing a block; a second person approves it (POST /api/decisions/{id}/approve)",
    response_model=DecisionOut,
)
def request_release(request: Request, block_id: RowId, body: ReleaseBody, who: Caller) -> Any:
    return write(
        request,
        lambda s: decision_dict(
            decisions.request_release(
                s,
                block_id=block_id,
                kind=body.kind,
                reason=body.reason,
                authority=body.license,
                actor=actor_of(who),
            )
        ),
    )
