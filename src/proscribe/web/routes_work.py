"""The workspace's pages for the day's work: screen a name, the customers, uploads, re-screening.

Each page calls what the JSON API and the CLI call: the screener and ``check_filters`` for one
name (``POST /api/screen``), ``import_book`` for customer files (``POST /api/customers/import``),
``read_messages`` and ``screen_payments`` for a payment file (``POST /api/payments/screen``) and
``alerts.rescreen`` for the book (``POST /api/rescreen/jobs``), with the same roles: reading and
screening a name need the viewer role, uploads and re-screening the analyst role. An uploaded file
is read and checked whole before anything is stored: a bad file is refused with every problem by
file and line, and nothing of it is imported.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.enforcement import alerts as alerts_mod
from proscribe.enforcement.book import BookInputError, get_party, import_book, list_parties
from proscribe.enforcement.clock import now
from proscribe.enforcement.errors import EnforcementError, InputError, NotFoundError
from proscribe.enforcement.payments import PaymentDecision, screen_payments
from proscribe.matching.score import Query as ScreenQuery
from proscribe.payments import read_messages
from proscribe.screening.batch import RowError, clean_birth_date, clean_country, clean_kind
from proscribe.screening.filters import UnknownFilterError, check_filters
from proscribe.screening.screener import DEFAULT_THRESHOLD
from proscribe.service.auth import Caller, Principal, Role, allow
from proscribe.service.jobs import Job
from proscribe.service.routes_shared import actor_of, screener_as_of, uploaded, write, writer
from proscribe.service.routes_yente import runtime_of
from proscribe.store.casework import Alert
from proscribe.web.csrf import csrf_checked
from proscribe.web.pages import PageRoute, flash, redirect, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FIELD = Annotated[str, Form(max_length=500)]
KINDS = ("person", "organization", "vessel", "aircraft")
BOOK_FILES = ("parties", "accounts", "roles", "ownership")
#: how many parties the customers page lists at once
PAGE_SIZE = 50


def _session(request: Request) -> Session:
    return Session(runtime_of(request).store.engine)


# --- screening one name ---------------------------------------------------------------------------


def _screen_page(request: Request, who: Principal, **context: Any) -> Response:
    runtime = runtime_of(request)
    current = runtime.index.current
    lists = sorted({e.dataset for e in current.screener.index.entities}) if current else []
    context.setdefault("form", {})
    return render(
        request,
        "screen.html",
        who,
        kinds=KINDS,
        lists=lists,
        index=current,
        threshold=DEFAULT_THRESHOLD,
        **context,
    )


@router.get("/ui/screen", response_class=HTMLResponse, dependencies=[allow(Role.viewer)])
def screen_page(request: Request, who: Caller) -> Response:
    return _screen_page(request, who)


@router.post(
    "/ui/screen",
    response_class=HTMLResponse,
    dependencies=[allow(Role.viewer, reads_only=True), csrf_checked()],
)
async def screen_name(
    request: Request,
    who: Caller,
    name: FIELD,
    type: Annotated[str, Form(max_length=20)] = "",
    birth_date: Annotated[str, Form(max_length=20)] = "",
    country: Annotated[str, Form(max_length=100)] = "",
    id_number: Annotated[str, Form(max_length=100)] = "",
    dataset: Annotated[str, Form(max_length=100)] = "",
    program: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """A name (and what else is known) against the lists in force, as ``POST /api/screen``."""
    form = {
        "name": name,
        "type": type,
        "birth_date": birth_date,
        "country": country,
        "id_number": id_number,
        "dataset": dataset,
        "program": program,
    }
    runtime = runtime_of(request)
    current = runtime.index.current
    if current is None:
        return _screen_page(
            request,
            who,
            form=form,
            status_code=503,
            error="The screening index is loading: try again in a few seconds.",
        )
    try:
        if not name.strip():
            raise RowError("name: the name is empty")
        runtime.config.bounds.check_name(name.strip(), "name")
        query = ScreenQuery(
            name=name.strip(),
            kind=clean_kind(type or None),
            birth_date=clean_birth_date(birth_date.strip() or None),
            country=clean_country(country.strip() or None),
            id_number=id_number.strip() or None,
        )
        filters = check_filters(
            current.screener, [dataset] if dataset.strip() else None, [program] if program.strip() else None
        )
    except (RowError, UnknownFilterError, EnforcementError) as exc:
        return _screen_page(request, who, form=form, status_code=400, error=str(exc))
    except HTTPException as exc:  # the bounds' refusal (a name longer than screened)
        return _screen_page(request, who, form=form, status_code=exc.status_code, error=str(exc.detail))
    hits = await run_in_threadpool(
        current.screener.screen,
        query,
        threshold=DEFAULT_THRESHOLD,
        limit=10,
        datasets=filters.datasets,
        programs=filters.programs,
    )
    runtime.metrics.screened.inc()
    return _screen_page(request, who, form=form, hits=hits, screened=query)


# --- customers ------------------------------------------------------------------------------------


@router.get("/ui/customers", response_class=HTMLResponse, dependencies=[allow(Role.viewer)])
def customers_page(
    request: Request,
    who: Caller,
    search: str = "",
    kind: str = "",
    customers_only: bool = False,
    page: int = 1,
) -> Response:
    """The parties of the book, by id; ``search`` finds part of a name or an id."""
    if kind not in ("", "person", "organization"):
        raise HTTPException(400, "kind must be person or organization")
    if page < 1:
        raise HTTPException(400, "page must be 1 or more")
    if len(search) > 200:
        raise HTTPException(400, "search: at most 200 characters")
    with _session(request) as session:
        parties = list_parties(
            session,
            search=search.strip() or None,
            customers_only=customers_only,
            kind=kind or None,
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )
        ids = [p.id for p in parties[:PAGE_SIZE]]
        open_alerts: dict[str, int] = {}
        if ids:
            for party_id in session.scalars(
                select(Alert.party_id).where(Alert.party_id.in_(ids), Alert.status.in_(("open", "pending")))
            ):
                open_alerts[party_id] = open_alerts.get(party_id, 0) + 1
        return render(
            request,
            "customers.html",
            who,
            session,
            parties=parties[:PAGE_SIZE],
            more=len(parties) > PAGE_SIZE,
            page=page,
            search=search,
            kind=kind,
            customers_only=customers_only,
            open_alerts=open_alerts,
        )


@router.get("/ui/customers/{party_id}", response_class=HTMLResponse, dependencies=[allow(Role.viewer)])
def customer_page(request: Request, who: Caller, party_id: str) -> Response:
    with _session(request) as session:
        try:
            party = get_party(session, party_id)
        except NotFoundError as exc:
            raise HTTPException(404, str(exc)) from None
        alerts = list(
            session.scalars(select(Alert).where(Alert.party_id == party_id).order_by(Alert.id.desc()))
        )
        return render(request, "customer.html", who, session, d=party, alerts=alerts)


# --- uploads --------------------------------------------------------------------------------------


def _uploads_page(request: Request, who: Principal, **context: Any) -> Response:
    with _session(request) as session:
        return render(request, "uploads.html", who, session, book_files=BOOK_FILES, **context)


@router.get("/ui/uploads", response_class=HTMLResponse, dependencies=[allow(Role.viewer)])
def uploads_page(request: Request, who: Caller) -> Response:
    return _uploads_page(request, who)


def _given(upload: UploadFile | None) -> UploadFile | None:
    """A file field the browser sent empty (no file chosen) counts as not given."""
    return upload if upload is not None and upload.filename else None


@router.post(
    "/ui/uploads/customers",
    response_class=HTMLResponse,
    dependencies=[allow(Role.analyst), csrf_checked()],
)
def upload_customers(
    request: Request,
    who: Caller,
    parties: Annotated[UploadFile | None, File()] = None,
    accounts: Annotated[UploadFile | None, File()] = None,
    roles: Annotated[UploadFile | None, File()] = None,
    ownership: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Customer files, checked whole first as ``proscribe customers import`` does: any problem
    refuses them all, each problem listed with its file and line, and nothing is imported."""
    files = {
        "parties": _given(parties),
        "accounts": _given(accounts),
        "roles": _given(roles),
        "ownership": _given(ownership),
    }
    if not any(files.values()):
        return _uploads_page(
            request,
            who,
            status_code=400,
            error="Choose at least one of the files: parties, accounts, roles, ownership.",
        )
    with uploaded(files) as (folder, paths):

        def work(session: Session) -> dict[str, Any]:
            return import_book(
                session,
                parties=paths["parties"],
                accounts=paths["accounts"],
                roles=paths["roles"],
                ownership=paths["ownership"],
                actor=actor_of(who),
            ).to_dict()

        try:
            result = write(request, work, passthrough=(BookInputError, EnforcementError))
        except BookInputError as exc:
            problems = [
                {
                    "file": Path(p.file).name,
                    "line": p.line,
                    "column": p.column,
                    "message": _strip(p.message, folder),
                }
                for p in exc.problems
            ]
            return _uploads_page(
                request,
                who,
                status_code=422,
                error=f"The files were refused: {len(problems)} problem"
                f"{'s' if len(problems) != 1 else ''} (listed below). Nothing was imported.",
                book_problems=problems,
                truncated=exc.truncated,
            )
        except EnforcementError as exc:
            return _uploads_page(
                request, who, status_code=409, error=_strip(str(exc), folder) + " Nothing was imported."
            )
    for counts in result["files"].values():
        counts["file"] = Path(counts["file"]).name
    return _uploads_page(request, who, book_result=result)


def _strip(text: str, folder: Path) -> str:
    """A message without the server's temporary folder: the client's file name stays."""
    return text.replace(f"{folder}/", "").replace(str(folder), "")


@router.post(
    "/ui/uploads/payments",
    response_class=HTMLResponse,
    dependencies=[allow(Role.analyst), csrf_checked()],
)
def upload_payments(
    request: Request, who: Caller, file: Annotated[UploadFile | None, File()] = None
) -> Response:
    """A payment file (MT103 or pacs.008), as ``proscribe payments screen``: read whole first, a
    malformed message refuses the file with its line and nothing is stored; then every transaction
    is screened against today's lists and passed, held, blocked or rejected."""
    given = _given(file)
    if given is None:
        return _uploads_page(
            request, who, status_code=400, error="Choose a payment file (MT103 or pacs.008)."
        )
    with uploaded({"file": given}) as (folder, paths):
        path = paths["file"]
        assert path is not None
        try:
            read_messages(path)  # a malformed file is refused before the lists are loaded
            screener = screener_as_of(request, now().date())
            with writer(request):
                found = screen_payments(
                    runtime_of(request).store, path, actor=actor_of(who), screener=screener
                )
        except InputError as exc:
            return _uploads_page(
                request,
                who,
                status_code=422,
                error="The payment file was refused. Nothing was stored.",
                payment_problems=[_strip(str(exc), folder)],
            )
        except EnforcementError as exc:
            return _uploads_page(
                request, who, status_code=409, error=_strip(str(exc), folder) + " Nothing was stored."
            )
    return _uploads_page(
        request, who, payment_result=[_payment_row(d) for d in found], payment_file=path.name
    )


def _payment_row(d: PaymentDecision) -> dict[str, Any]:
    return {
        "id": d.payment_id,
        "reference": d.message.reference,
        "type": d.message.message_type,
        "amount": d.message.amount,
        "currency": d.message.currency,
        "debtor": d.message.debtor_name,
        "creditor": d.message.creditor_name,
        "decision": d.decision,
        "status": d.status,
        "reasons": list(d.reasons),
    }


# --- re-screening the book ------------------------------------------------------------------------


def _rescreen_jobs(request: Request, who: Principal) -> list[Job]:
    jobs = [
        j
        for j in runtime_of(request).jobs.jobs.values()
        if j.kind == "rescreen" and (j.owner == who.username or who.role >= Role.admin)
    ]
    return sorted(jobs, key=lambda j: j.created_at, reverse=True)[:10]


@router.get("/ui/rescreen", response_class=HTMLResponse, dependencies=[allow(Role.viewer)])
def rescreen_page(request: Request, who: Caller) -> Response:
    jobs = _rescreen_jobs(request, who)
    with _session(request) as session:
        return render(
            request,
            "rescreen.html",
            who,
            session,
            jobs=jobs,
            running=any(j.status in ("queued", "running") for j in jobs),
        )


@router.post("/ui/rescreen", response_class=HTMLResponse, dependencies=[allow(Role.analyst), csrf_checked()])
def rescreen_start(
    request: Request,
    who: Caller,
    mode: Annotated[str, Form(max_length=10)],
    parties: Annotated[str, Form(max_length=100_000)] = "",
) -> Response:
    """The book (or the parties named) screened in the background against today's lists, as
    ``POST /api/rescreen/jobs``; the page shows the job's progress and, once done, what it opened."""
    if mode not in alerts_mod.MODES:
        raise HTTPException(400, f"mode must be one of {', '.join(alerts_mod.MODES)}")
    chosen = [p.strip() for p in parties.split(",") if p.strip()] or None
    runtime = runtime_of(request)
    job = Job(id=runtime.jobs.new_id(), kind="rescreen", owner=who.username, created_at=now())
    actor = actor_of(who)

    def work(job: Job) -> dict[str, Any]:
        at = datetime.now(UTC)
        screener = screener_as_of(request, at.date(), None)  # a job waits for the lists of its day

        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total

        with writer(request):
            result = alerts_mod.rescreen(
                runtime.store,
                mode=mode,
                actor=actor,
                at=at,
                parties=chosen,
                screener=screener,
                progress=progress,
            )
        out = result.to_dict()
        job.done = job.total = int(out.get("parties_screened") or 0)
        return out

    runtime.jobs.submit(job, work)
    what = f"{len(chosen)} part{'y' if len(chosen) == 1 else 'ies'}" if chosen else f"the book ({mode})"
    flash(request, f"Re-screening of {what} started (job {job.id[:8]}): this page shows its progress.")
    return redirect("/ui/rescreen")
