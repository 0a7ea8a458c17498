"""Traveller checks, reports to regulators, the jurisdiction policy and the audit trail, over HTTP."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, HTTPException, Path, Query, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.enforcement import audit, reports
from proscribe.enforcement.book import BookInputError
from proscribe.enforcement.clock import now
from proscribe.enforcement.errors import EnforcementError, InputError
from proscribe.enforcement.policy import load_policy, parse_policy, preset, propose_policy
from proscribe.enforcement.travel import (
    Traveller,
    check_traveller,
    clean_traveller,
    entry_rules,
    import_family,
    set_entry_rule,
)
from proscribe.service.auth import Caller, Role, allow
from proscribe.service.middleware import REPORT_CSP
from proscribe.service.routes_shared import (
    INVALID,
    Offset,
    RowId,
    Text,
    actor_of,
    iso,
    not_future,
    read,
    refused_files,
    screener_as_of,
    strip_folder,
    uploaded,
    write,
)
from proscribe.service.routes_yente import runtime_of
from proscribe.store.casework import Report, TravelCheck

router = APIRouter(responses=INVALID)


# --- travellers ----------------------------------------------------------------------------------------


class TravellerBody(BaseModel):
    """What a carrier sends about a passenger (APIS), and the day of travel."""

    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=500, examples=["Fatou Bensouda"])
    birth_date: Text | None = Field(None, max_length=10, examples=["1961-01-31"])
    nationality: Text | None = Field(None, max_length=100, examples=["GM"])
    gender: Text | None = Field(None, max_length=10, description="M, F or X")
    document_number: Text | None = Field(None, max_length=50)
    document_country: Text | None = Field(None, max_length=100)
    document_expiry: date | None = None
    id: Text | None = Field(None, max_length=100, description="The carrier's id for the passenger")
    us_status: Text | None = Field(
        None,
        max_length=40,
        description="citizen, national or lpr of the United States, when known: only an alien's entry "
        "is suspended (INA 212(f))",
    )
    on: date | None = Field(None, description="Day of travel (default today): the lists of that day apply")


class TravelDecisionOut(BaseModel):
    check_id: int | None = None
    decision: Literal["admit", "refer", "deny"]
    reasons: list[str]
    hits: list[dict[str, Any]]
    traveller: dict[str, Any]
    on: date


@router.post(
    "/api/travel/check",
    dependencies=[allow(Role.analyst)],
    summary="Admit, refer or deny a traveller, with reasons (stored and audited)",
    response_model=TravelDecisionOut,
)
def travel_check(request: Request, body: TravellerBody, who: Caller) -> Any:
    not_future(body.on, "on")
    day = body.on or now().date()
    traveller = Traveller(
        name=body.name,
        birth_date=body.birth_date,
        nationality=body.nationality,
        gender=body.gender,
        document_number=body.document_number,
        document_country=body.document_country,
        document_expiry=body.document_expiry,
        id=body.id,
        us_status=body.us_status,
    )
    try:
        clean_traveller(traveller)  # a field that cannot be used is refused before the lists are loaded
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    screener = screener_as_of(request, day)
    return write(
        request, lambda s: check_traveller(s, screener, traveller, on=day, actor=actor_of(who)).to_dict()
    )


class TravelCheckOut(BaseModel):
    id: int
    at: datetime
    actor: str
    decision: Literal["admit", "refer", "deny"]
    traveller: dict[str, Any]
    reasons: list[Any]
    hits: list[Any]


@router.get(
    "/api/travel/checks",
    dependencies=[allow(Role.viewer)],
    summary="Traveller checks, newest first",
    response_model=list[TravelCheckOut],
)
def travel_checks(
    request: Request,
    decision: Annotated[Literal["admit", "refer", "deny"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> Any:
    def work(s: Session) -> list[dict[str, Any]]:
        q = select(TravelCheck).order_by(TravelCheck.id.desc())
        if decision:
            q = q.where(TravelCheck.decision == decision)
        return [
            {
                "id": c.id,
                "at": iso(c.at),
                "actor": c.actor,
                "decision": c.decision,
                "traveller": c.traveller,
                "reasons": c.reasons,
                "hits": c.hits,
            }
            for c in s.scalars(q.offset(offset).limit(limit))
        ]

    return read(request, work)


class FamilyImportOut(BaseModel):
    file: str
    rows: int
    added: int
    unchanged: int


@router.post(
    "/api/travel/family",
    dependencies=[allow(Role.admin)],
    summary="Record listed persons' immediate family members from a CSV file (all or nothing)",
    response_model=FamilyImportOut,
)
def travel_family(
    request: Request,
    who: Caller,
    file: Annotated[UploadFile, File(description="relative_of, relationship, name; optional birth_date...")],
) -> Any:
    with uploaded({"file": file}) as (folder, paths):
        path = paths["file"]
        assert path is not None
        try:
            out = write(
                request,
                lambda s: import_family(s, path, actor=actor_of(who)).to_dict(),
                passthrough=(BookInputError, EnforcementError),
            )
        except BookInputError as exc:
            return refused_files(exc, folder)
        except EnforcementError as exc:
            raise strip_folder(exc, folder) from None
    return out | {"file": path.name}


class EntryRuleOut(BaseModel):
    suspends_entry: bool
    family: bool
    basis: str
    starts: date | None = None
    ends: date | None = None


class EntryRulesOut(BaseModel):
    programs: dict[str, EntryRuleOut]
    datasets: dict[str, EntryRuleOut]


@router.get(
    "/api/travel/rules",
    dependencies=[allow(Role.viewer)],
    summary="Which programs suspend entry (and family entry), and on what basis",
    response_model=EntryRulesOut,
)
def travel_rules(request: Request) -> Any:
    return read(request, lambda s: entry_rules(s).to_dict())


class EntryRuleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    program: Text | None = Field(None, max_length=100, examples=["ICC-EO14203"])
    dataset: Text | None = Field(None, max_length=100, examples=["us_ofac_sdn"])
    suspends_entry: bool
    family: bool = False
    basis: Text = Field(min_length=3, max_length=2000, examples=["Presidential Proclamation 8693"])


@router.put(
    "/api/travel/rules",
    dependencies=[allow(Role.admin)],
    summary="Override the entry rule of one program or one list (audited)",
    response_model=EntryRulesOut,
)
def set_travel_rule(request: Request, body: EntryRuleBody, who: Caller) -> Any:
    def work(s: Session) -> dict[str, Any]:
        set_entry_rule(
            s,
            program=body.program,
            dataset=body.dataset,
            suspends_entry=body.suspends_entry,
            family=body.family,
            basis=body.basis,
            actor=actor_of(who),
        )
        return entry_rules(s).to_dict()

    return write(request, work)


# --- reports -------------------------------------------------------------------------------------------

ReportFormat = Literal["json", "csv", "html"]
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
REPORT_BODY: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report with every field the rule requires (X-Missing-Fields: required, unknown)",
        "content": {"application/json": {}, "text/csv": {}, "text/html": {}},
    }
}


class DueOut(BaseModel):
    """A report owed to a regulator: by when, days left, overdue or filed."""

    report_id: RowId | None = Field(None, description="None for an annual report not yet recorded")
    kind: str = Field(examples=["blocked_property"])
    title: str
    subject_type: str
    subject_id: str
    trigger_date: date
    due_date: date
    rule: str
    status: Literal["due", "filed"]
    days_left: int
    overdue: bool
    filed_at: datetime | None = None
    reference: str | None = None


@router.get(
    "/api/reports/due",
    dependencies=[allow(Role.viewer)],
    summary="Every report owed, soonest first, with days left (all=true: filed ones too)",
    response_model=list[DueOut],
)
def reports_due(request: Request, on: date | None = None, all: bool = False) -> Any:
    return read(request, lambda s: [i.to_dict() for i in reports.due(s, on=on, include_filed=all)])


def _rendered(content: reports.ReportContent, fmt: str, name: str) -> Response:
    text = reports.render(content, fmt)
    headers = {"X-Missing-Fields": str(len(content.missing))}
    if fmt != "json":
        headers["Content-Disposition"] = f'inline; filename="{name}.{fmt}"'
    if fmt == "html":
        headers["Content-Security-Policy"] = REPORT_CSP  # its own inline stylesheet, no script
    return Response(text, media_type=MEDIA_TYPES[fmt], headers=headers)


@router.get(
    "/api/reports/annual/{year}",
    dependencies=[allow(Role.viewer)],
    summary="The annual report of blocked property held on 30 June of the year (due 30 September)",
    response_class=Response,
    responses=REPORT_BODY,
)
def report_annual(
    request: Request, year: Annotated[int, Path(ge=1990, le=2200)], format: ReportFormat = "json"
) -> Response:
    content = read(request, lambda s: reports.annual(s, year))
    return _rendered(content, format, f"annual-blocked-property-{year}")


class FiledBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: Text | None = Field(None, max_length=200, description="The regulator's filing reference")


class FiledOut(BaseModel):
    report_id: RowId
    kind: str
    subject: str
    status: Literal["due", "filed"]
    filed_at: datetime | None = None
    filed_by: str | None = None
    reference: str | None = None


def _filed(report: Report, reference: str | None) -> dict[str, Any]:
    return {
        "report_id": report.id,
        "kind": report.kind,
        "subject": f"{report.subject_type}:{report.subject_id}",
        "status": report.status,
        "filed_at": iso(report.filed_at),
        "filed_by": report.filed_by,
        "reference": reference,
    }


@router.post(
    "/api/reports/annual/{year}/filed",
    dependencies=[allow(Role.approver)],
    summary="Record that the annual report of a year was filed",
    response_model=FiledOut,
)
def annual_filed(
    request: Request, year: Annotated[int, Path(ge=1990, le=2200)], who: Caller, body: FiledBody | None = None
) -> Any:
    reference = body.reference if body else None

    def work(s: Session) -> dict[str, Any]:
        row = reports.record_annual(s, year, actor=actor_of(who))
        return _filed(reports.mark_filed(s, row.id, actor=actor_of(who), reference=reference), reference)

    return write(request, work)


@router.get(
    "/api/reports/{report_id}",
    dependencies=[allow(Role.viewer)],
    summary="One report as JSON, CSV or a printable HTML page",
    response_class=Response,
    responses=REPORT_BODY,
)
def report(request: Request, report_id: RowId, format: ReportFormat = "json") -> Response:
    content = read(request, lambda s: reports.build(s, report_id))
    return _rendered(content, format, f"report-{report_id}")


@router.post(
    "/api/reports/{report_id}/filed",
    dependencies=[allow(Role.approver)],
    summary="Record that a report was filed: it leaves the list of what is due",
    response_model=FiledOut,
)
def report_filed(request: Request, report_id: RowId, who: Caller, body: FiledBody | None = None) -> Any:
    reference = body.reference if body else None
    return write(
        request,
        lambda s: _filed(
            reports.mark_filed(s, report_id, actor=actor_of(who), reference=reference), reference
        ),
    )


# --- policy --------------------------------------------------------------------------------------------


class PolicyBody(BaseModel):
    """A bundled preset by name, or a whole policy document (the YAML's fields, as JSON)."""

    model_config = ConfigDict(extra="forbid")

    preset: Literal["us-bank", "eu-bank", "eu-subsidiary-of-us-bank"] | None = Field(
        None, examples=["eu-bank"]
    )
    policy: dict[str, Any] | None = Field(None, description="A policy document (see docs/policy.md)")
    reason: str | None = Field(None, max_length=5000, examples=["the bank now operates in the EU"])

    @model_validator(mode="after")
    def one_of(self) -> PolicyBody:
        if (self.preset is None) == (self.policy is None):
            raise ValueError("give preset or policy, one of them")
        return self


@router.get(
    "/api/policy",
    dependencies=[allow(Role.viewer)],
    summary="The jurisdiction policy in force: which lists bind, and what a hit does",
    response_model=dict[str, Any],
)
def show_policy(request: Request) -> Any:
    return read(request, lambda s: load_policy(s).to_dict())


@router.put(
    "/api/policy",
    dependencies=[allow(Role.admin)],
    summary=(
        "Propose a preset (us-bank, eu-bank, eu-subsidiary-of-us-bank) or a policy document; it takes "
        "effect when a second person approves the decision (POST /api/decisions/{id}/approve)"
    ),
    status_code=202,
    response_model=dict[str, Any],
)
def set_policy(request: Request, body: PolicyBody, who: Caller) -> Any:
    try:
        chosen = preset(body.preset) if body.preset else parse_policy(body.policy, "policy", name="custom")
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None

    def work(s: Session) -> dict[str, Any]:
        reason = body.reason or f"policy {chosen.name} proposed over the API"
        decision = propose_policy(s, chosen, actor=actor_of(who), reason=reason)
        return {"decision": decision.id, "status": decision.status, "proposed": chosen.to_dict()}

    return write(request, work)


# --- audit trail ---------------------------------------------------------------------------------------


class AuditOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str = Field(examples=["decision.approve"])
    subject: str = Field(examples=["alert:3"])
    data: dict[str, Any]
    hash: str


@router.get(
    "/api/audit",
    dependencies=[allow(Role.approver)],
    summary="The newest audit records (for one subject: party:C-1002, alert:3, account:BLK-A-1002...)",
    response_model=list[AuditOut],
)
def audit_trail(
    request: Request,
    subject: Annotated[Text | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    rows = audit.trail(runtime_of(request).store.engine, subject, limit)
    return [
        {
            "seq": r.seq,
            "at": iso(r.at),
            "actor": r.actor,
            "action": r.action,
            "subject": r.subject,
            "data": r.data,
            "hash": r.hash,
        }
        for r in rows
    ]
