"""The workspace's casework pages: the dashboard, the alert queue, one alert, decisions, entities.

Reading needs the viewer role; proposing a decision the analyst role; approving or rejecting
one the approver role, and never on one's own decision (four eyes, enforced by
``proscribe.enforcement.decisions`` and shown on every page that lists decisions).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.enforcement import decisions, reports
from proscribe.enforcement.errors import EnforcementError, NotFoundError
from proscribe.labels import say
from proscribe.service.auth import Caller, Principal, Role, allow, session_stamp
from proscribe.service.routes_shared import RowId, actor_of
from proscribe.service.routes_yente import runtime_of
from proscribe.store import users
from proscribe.store.casework import Decision, Payment
from proscribe.store.errors import NotFound
from proscribe.store.schema import RecordRow
from proscribe.web import views
from proscribe.web.charts import STATUS_LABELS, hbars, stacked_columns, timeline
from proscribe.web.csrf import csrf_checked
from proscribe.web.pages import PageRoute, flash, redirect, render, same_person

router = APIRouter(route_class=PageRoute, include_in_schema=False)

REASON = Annotated[str, Form(max_length=4000)]


def _session(request: Request) -> Session:
    return Session(runtime_of(request).store.engine)


def _subject_link(d: Decision, session: Session) -> tuple[str, str]:
    """Where a decision's subject is shown, and its name: a held payment's decision points at that
    payment on the payments page (where its new status shows once approved); the rest as the views say."""
    if d.subject_type == "payment":
        return f"/ui/payments?payment={d.subject_id}#pay-{d.subject_id}", f"payment {d.subject_id}"
    return views.subject_link(d, session)


def _payments_of(session: Session, pending: list[Decision]) -> dict[int, Payment]:
    """The held payments that pending decisions are about, by decision id (the approver sees what)."""
    out = {}
    for d in pending:
        if d.subject_type == "payment":
            payment = session.get(Payment, int(d.subject_id))
            if payment is not None:
                out[d.id] = payment
    return out


@router.get("/", response_class=HTMLResponse, dependencies=[allow(Role.viewer, password_change=True)])
def dashboard(request: Request, who: Caller) -> Response:
    if who.must_change_password:
        return redirect("/ui/password")
    runtime = runtime_of(request)
    today = date.today()
    with _session(request) as session:
        series = views.alert_series(session, today)
        funds = views.blocked_funds(session)
        fresh = views.freshness(runtime.store, today)
        counts = views.status_counts(session)
        pending = views.pending_decisions(session)
        links = {d.id: _subject_link(d, session) for d in pending}
        held = views.payment_counts(session).get("held", 0)
        due = [i for i in reports.due(session, on=today) if i.status == "due"]
        keys = [s for s in views.ALERT_STATUSES if any(c.get(s) for _, c in series)]
        charts = {
            "alerts": stacked_columns(
                series,
                keys,
                title="Alerts by status over time",
                desc="For each period, how many alerts stood in each status at its end: "
                + "; ".join(
                    f"{label}: " + ", ".join(f"{STATUS_LABELS[k]} {c.get(k, 0)}" for k in keys)
                    for label, c in series
                ),
                chart_id="chart-alerts",
            ),
            "funds": hbars(
                views.blocked_funds_bars(funds),
                title="Blocked funds by currency",
                desc="Money held in blocked accounts now: "
                + ("; ".join(f"{c} {t}" for c, t, _ in funds) or "none"),
                chart_id="chart-funds",
            ),
            "fresh": hbars(
                views.freshness_bars(fresh),
                title="List freshness",
                desc="Each list's as-of date and its age in days: "
                + "; ".join(
                    f"{f.dataset} as of {f.as_of}, {f.age_days} days, {f.state}"
                    if f.as_of_stated
                    else f"{f.dataset}: date unknown (the file gives none)"
                    for f in fresh
                ),
                chart_id="chart-fresh",
            ),
        }
        return render(
            request,
            "dashboard.html",
            who,
            session,
            charts=charts,
            series=series,
            keys=keys,
            labels=STATUS_LABELS,
            funds=funds,
            fresh=fresh,
            counts=counts,
            pending_list=pending,
            links=links,
            held=held,
            due=due,
            today=today,
        )


# --- the password change a new user must make first -------------------------------------------------


@router.get(
    "/ui/password", response_class=HTMLResponse, dependencies=[allow(Role.viewer, password_change=True)]
)
def password_page(request: Request, who: Caller) -> Response:
    return render(request, "password.html", who)


@router.post(
    "/ui/password",
    response_class=HTMLResponse,
    dependencies=[allow(Role.viewer, password_change=True), csrf_checked()],
)
def password_change(
    request: Request,
    who: Caller,
    current: Annotated[str, Form(max_length=1000)],
    new: Annotated[str, Form(max_length=1000)],
    confirm: Annotated[str, Form(max_length=1000)],
) -> Response:
    if new != confirm:
        return render(request, "password.html", who, status_code=400, error="The two new passwords differ.")
    try:
        with _session(request) as session, session.begin():
            user = users.change_password(session, who.username, current, new)
            stamp = session_stamp(user)
    except EnforcementError as exc:
        return render(request, "password.html", who, status_code=400, error=str(exc))
    request.session["stamp"] = stamp  # this session lives on; every other one of the user's ends
    runtime_of(request).auth.forget()
    flash(request, "Your password was changed.")
    return redirect("/")


# --- alerts ---------------------------------------------------------------------------------------


@router.get("/ui/alerts", response_class=HTMLResponse, dependencies=[allow(Role.viewer)])
def alert_queue(request: Request, who: Caller, status: str | None = None) -> Response:
    if status is not None and status not in ("", *views.ALERT_STATUSES):
        raise HTTPException(400, f"status must be one of {', '.join(views.ALERT_STATUSES)}")
    with _session(request) as session:
        rows = views.alert_rows(session, status or None)
        return render(
            request,
            "alerts.html",
            who,
            session,
            rows=rows,
            status=status or "",
            statuses=views.ALERT_STATUSES,
            labels=STATUS_LABELS,
            counts=views.status_counts(session),
        )


def _alert_page(
    request: Request, who: Principal, alert_id: int, *, error: str | None = None, status_code: int = 200
) -> Response:
    runtime = runtime_of(request)
    with _session(request) as session:
        try:
            detail = views.alert_detail(session, runtime.store, alert_id)
        except NotFoundError as exc:
            raise HTTPException(404, str(exc)) from None
        return render(
            request,
            "alert.html",
            who,
            session,
            status_code=status_code,
            error=error,
            d=detail,
            outcomes=decisions.ALERT_OUTCOMES.get(detail.alert.kind, ()),
            labels=STATUS_LABELS,
        )


@router.get("/ui/alerts/{alert_id}", response_class=HTMLResponse, dependencies=[allow(Role.viewer)])
def alert_page(request: Request, who: Caller, alert_id: RowId) -> Response:
    return _alert_page(request, who, alert_id)


@router.post(
    "/ui/alerts/{alert_id}/decide",
    response_class=HTMLResponse,
    dependencies=[allow(Role.analyst), csrf_checked()],
)
def decide(
    request: Request, who: Caller, alert_id: RowId, outcome: Annotated[str, Form()], reason: REASON
) -> Response:
    try:
        with _session(request) as session, session.begin():
            d = decisions.decide(
                session, alert_id=alert_id, outcome=outcome, reason=reason, actor=actor_of(who)
            )
            decision_id = d.id
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    except EnforcementError as exc:
        return _alert_page(request, who, alert_id, error=str(exc), status_code=409)
    flash(request, f"Decision {decision_id} ({outcome}) recorded: it waits for a second person's approval.")
    return redirect(f"/ui/alerts/{alert_id}")


# --- decisions: the four-eyes queue -----------------------------------------------------------------


@router.get("/ui/decisions", response_class=HTMLResponse, dependencies=[allow(Role.viewer)])
def decision_queue(request: Request, who: Caller) -> Response:
    with _session(request) as session:
        pending = views.pending_decisions(session)
        links = {d.id: _subject_link(d, session) for d in pending}
        return render(
            request,
            "decisions.html",
            who,
            session,
            pending_list=pending,
            links=links,
            payments=_payments_of(session, pending),
        )


def _review_target(request: Request, decision_id: int) -> str:
    with _session(request) as session:
        d = session.get(Decision, decision_id)
        if d is None:
            raise HTTPException(404, f"no decision {decision_id}")
        return _subject_link(d, session)[0]


def _refuse_own(who: Principal, request: Request, decision_id: int) -> None:
    """Four eyes, also across the ways one person signs in (a session and their API keys)."""
    with _session(request) as session:
        d = session.get(Decision, decision_id)
        if d is not None and same_person(d.decided_by, who.username):
            raise HTTPException(
                409,
                f"decision {decision_id} was made by {d.decided_by}: "
                "a second person must approve or reject it (four eyes)",
            )


@router.post(
    "/ui/decisions/{decision_id}/approve",
    response_class=HTMLResponse,
    dependencies=[allow(Role.approver), csrf_checked()],
)
def approve(
    request: Request, who: Caller, decision_id: RowId, note: Annotated[str, Form(max_length=4000)] = ""
) -> Response:
    target = _review_target(request, decision_id)
    _refuse_own(who, request, decision_id)
    try:
        with _session(request) as session, session.begin():
            d = decisions.approve(
                session, decision_id=decision_id, actor=actor_of(who), note=note.strip() or None
            )
            effect = dict(d.params.get("effect") or {})
            what = d.action
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    except EnforcementError as exc:
        raise HTTPException(409, str(exc)) from None
    done = ", ".join(f"{k.replace('_', ' ')}: {say(v)}" for k, v in effect.items() if k != "policy")
    flash(
        request,
        f"Decision {decision_id} ({what}) approved and carried out" + (f" ({done})." if done else "."),
    )
    return redirect(target)


@router.post(
    "/ui/decisions/{decision_id}/reject",
    response_class=HTMLResponse,
    dependencies=[allow(Role.approver), csrf_checked()],
)
def reject(request: Request, who: Caller, decision_id: RowId, note: REASON) -> Response:
    target = _review_target(request, decision_id)
    _refuse_own(who, request, decision_id)
    try:
        with _session(request) as session, session.begin():
            decisions.reject(session, decision_id=decision_id, actor=actor_of(who), note=note)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    except EnforcementError as exc:
        raise HTTPException(409, str(exc)) from None
    flash(request, f"Decision {decision_id} rejected: it is open for a new decision.")
    return redirect(target)


# --- listed entities --------------------------------------------------------------------------------


@router.get("/ui/listings/{entity_id}", dependencies=[allow(Role.viewer)])
def listing_by_entity_id(request: Request, entity_id: str) -> Response:
    """The listing page for an entity id (``ofac-36``): blocks and payment hits keep only that id."""
    with _session(request) as session:
        found = session.execute(
            select(RecordRow.dataset, RecordRow.source_id).where(RecordRow.entity_id == entity_id).limit(1)
        ).first()
    if found is None:
        raise HTTPException(404, f"no listing with the entity id {entity_id!r}")
    return redirect(f"/ui/entities/{found[0]}/{found[1]}")


@router.get(
    "/ui/entities/{dataset}/{source_id}", response_class=HTMLResponse, dependencies=[allow(Role.viewer)]
)
def entity_page(request: Request, who: Caller, dataset: str, source_id: str) -> Response:
    runtime = runtime_of(request)
    try:
        listed = views.listed_entity(runtime.store, dataset, source_id)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    today = date.today()
    events = []
    for item in listed.view.history:
        try:
            day = date.fromisoformat(str(item["date"])[:10])
        except ValueError:
            continue
        events.append((day, str(item["kind"]), str(item.get("summary", ""))))
    chart = timeline(
        events,
        today=today,
        title=f"Sanctions timeline of {listed.view.caption}",
        desc="; ".join(f"{d.isoformat()} {k}: {s}" for d, k, s in events) or "no events",
        chart_id="chart-timeline",
    )
    with _session(request) as session:
        return render(request, "entity.html", who, session, e=listed, chart=chart, today=today)
