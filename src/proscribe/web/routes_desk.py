"""The workspace's desk pages: traveller checks, the lists and their update, the static files.

A traveller is checked against the lists as they stand on the day of travel: today's check uses
the index the server already holds; another day's uses the enforcement API's cache of indexes by
day (``routes_shared.screener_as_of``: built once), and the form waits for it to load (up to
``TRAVEL_WAIT``; beyond that it says the lists are still loading and keeps what was typed).
The list update runs as a background job, as ``POST /api/lists/update`` does, and the page shows
its progress; only an admin may start it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from proscribe.enforcement.clock import now
from proscribe.enforcement.errors import EnforcementError, InputError
from proscribe.enforcement.travel import Traveller, check_traveller, clean_traveller
from proscribe.service.auth import Caller, Role, allow, public
from proscribe.service.jobs import Job
from proscribe.service.lists import update_and_rescreen
from proscribe.service.routes_shared import actor_of, screener_as_of
from proscribe.service.routes_yente import runtime_of
from proscribe.service.runtime import Runtime
from proscribe.web import views
from proscribe.web.csrf import csrf_checked
from proscribe.web.pages import PageRoute, flash, redirect, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

STATIC = Path(__file__).parent / "static"
STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
FIELD = Annotated[str, Form(max_length=200)]
#: seconds a traveller check for another day waits for that day's lists to load (a few with small
#: lists; the full lists take longer, and the form then says so and keeps what was typed)
TRAVEL_WAIT = 60.0


def _session(request: Request) -> Session:
    return Session(runtime_of(request).store.engine)


# --- traveller checks -----------------------------------------------------------------------------


def _travel_page(request: Request, who: Caller, **context: Any) -> Response:
    with _session(request) as session:
        return render(
            request,
            "travel.html",
            who,
            session,
            checks=views.travel_checks(session),
            today=date.today(),
            **context,
        )


@router.get("/ui/travel", response_class=HTMLResponse, dependencies=[allow(Role.viewer)])
def travel_page(request: Request, who: Caller) -> Response:
    return _travel_page(request, who, form={})


@router.post("/ui/travel", response_class=HTMLResponse, dependencies=[allow(Role.analyst), csrf_checked()])
def travel_check(
    request: Request,
    who: Caller,
    name: FIELD,
    birth_date: FIELD = "",
    nationality: FIELD = "",
    gender: FIELD = "",
    document_number: FIELD = "",
    document_country: FIELD = "",
    document_expiry: FIELD = "",
    on: FIELD = "",
) -> Response:
    form = {
        "name": name,
        "birth_date": birth_date,
        "nationality": nationality,
        "gender": gender,
        "document_number": document_number,
        "document_country": document_country,
        "document_expiry": document_expiry,
        "on": on,
    }
    try:
        day = date.fromisoformat(on) if on.strip() else date.today()
    except ValueError:
        return _travel_page(
            request, who, form=form, status_code=400, error=f"on: {on!r} is not a date (YYYY-MM-DD)"
        )
    traveller = Traveller(
        name=name,
        birth_date=birth_date or None,
        nationality=nationality or None,
        gender=gender or None,
        document_number=document_number or None,
        document_country=document_country or None,
        document_expiry=document_expiry or None,
    )
    try:
        clean_traveller(traveller)  # a field that cannot be used is refused before any list is loaded
        # another day's lists are loaded for it: the form waits for them rather than asking to retry
        screener = screener_as_of(request, day, TRAVEL_WAIT)
        with _session(request) as session, session.begin():
            result = check_traveller(session, screener, traveller, on=day, actor=actor_of(who))
    except InputError as exc:
        return _travel_page(request, who, form=form, status_code=400, error=str(exc))
    except EnforcementError as exc:
        return _travel_page(request, who, form=form, status_code=409, error=str(exc))
    except HTTPException as exc:
        if exc.status_code != 503:
            raise
        # still loading after the wait (a large store): the form keeps what was typed
        note = (
            f"{exc.detail}. Nothing was checked yet: press Check again in a moment (the lists keep loading)."
        )
        return _travel_page(request, who, form=form, status_code=503, error=note)
    flash(request, f"Traveller check {result.check_id}: {result.decision.upper()} ({result.traveller.name}).")
    return redirect(f"/ui/travel#check-{result.check_id}")


# --- lists ----------------------------------------------------------------------------------------


def _list_jobs(runtime: Runtime) -> list[Job]:
    jobs = [j for j in runtime.jobs.jobs.values() if j.kind == "lists.update"]
    return sorted(jobs, key=lambda j: j.created_at, reverse=True)[:10]


@router.get("/ui/lists", response_class=HTMLResponse, dependencies=[allow(Role.viewer)])
def lists_page(request: Request, who: Caller) -> Response:
    runtime = runtime_of(request)
    today = date.today()
    current = runtime.index.current
    with _session(request) as session:
        return render(
            request,
            "lists.html",
            who,
            session,
            fresh=views.freshness(runtime.store, today),
            index=current,
            stale=runtime.index.stale,
            index_error=runtime.index.last_error,
            jobs=_list_jobs(runtime),
            mirror=runtime.config.lists_mirror,
            today=today,
        )


@router.post(
    "/ui/lists/update", response_class=HTMLResponse, dependencies=[allow(Role.admin), csrf_checked()]
)
def lists_update(request: Request, who: Caller, force: Annotated[str, Form()] = "") -> Response:
    runtime = runtime_of(request)
    forced = force == "yes"
    job = Job(id=runtime.jobs.new_id(), kind="lists.update", owner=who.username, created_at=now())

    def work(job: Job) -> dict[str, object]:
        out = update_and_rescreen(runtime.store, runtime.config, actor=actor_of(who), force=forced)
        runtime.index.wake()
        return out

    runtime.jobs.submit(job, work)
    flash(request, f"List update started (job {job.id[:8]}): this page shows its progress; reload it.")
    return redirect("/ui/lists")


# --- static files ---------------------------------------------------------------------------------


@router.get("/ui/static/{name}", dependencies=[public()])
def static_file(name: str) -> Response:
    """The workspace's style sheet (public: the sign-in page uses it). Only files of the folder."""
    allowed = {p.name: p for p in STATIC.iterdir() if p.is_file() and p.suffix in STATIC_TYPES}
    path = allowed.get(name)
    if path is None:
        raise HTTPException(404, "no such file")
    return Response(
        path.read_bytes(),
        media_type=STATIC_TYPES[path.suffix],
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
