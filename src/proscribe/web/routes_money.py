"""The workspace's money pages: blocked accounts and their release, payments on hold, reports due.

A release of blocked funds is proposed by an analyst on the blocked account's page and carried
out when an approver other than the proposer approves it (``decisions.request_release``, then
``decisions.approve``); the ledger history stays whole. A payment held for review is decided the
same way on the payments page: an analyst proposes release, block or reject
(``decisions.decide_payment``) and nothing happens to the payment until another person approves.
Reports are built from the store at the moment they are downloaded, in CSV, JSON or the printable
HTML page.
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
from proscribe.service.auth import Caller, Principal, Role, allow
from proscribe.service.middleware import REPORT_CSP
from proscribe.service.routes_shared import RowId, Year, actor_of
from proscribe.service.routes_yente import runtime_of
from proscribe.store.book import Account
from proscribe.store.casework import Block, Decision, Payment
from proscribe.web import views
from proscribe.web.csrf import csrf_checked
from proscribe.web.pages import PageRoute, flash, redirect, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

RELEASE_KINDS = {
    "delisting": "Delisting: the listing the block rests on is no longer in force",
    "license": "Licence: a general or specific licence authorises the release (name it)",
    "compliance_release": "Compliance release: blocked in error (31 CFR 501.806; name OFAC's answer)",
}
MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json", "html": "text/html; charset=utf-8"}
PAYMENT_STATUSES = ("held", "blocked", "rejected", "final", "released")
#: what an analyst may decide about a held payment, and what each choice makes happen once approved
PAYMENT_OUTCOMES = {
    "release": "Release: a false hit; the payment goes on",
    "block": "Block: a blocked person has an interest; the funds go to a blocked account "
    "and a report of blocked property falls due",
    "reject": "Reject: prohibited but no blocked interest; the payment is returned "
    "and a report of a rejected transaction falls due",
}


def _session(request: Request) -> Session:
    return Session(runtime_of(request).store.engine)


# --- blocked accounts -----------------------------------------------------------------------------


@router.get("/ui/accounts", response_class=HTMLResponse, dependencies=[allow(Role.viewer)])
def blocked_accounts(request: Request, who: Caller) -> Response:
    with _session(request) as session:
        rows = views.blocked_accounts(session)
        return render(request, "accounts.html", who, session, rows=rows, funds=views.blocked_funds(session))


def _account_page(
    request: Request, who: Principal, account_id: str, *, error: str | None = None, status_code: int = 200
) -> Response:
    with _session(request) as session:
        try:
            detail = views.account_detail(session, account_id)
        except NotFoundError as exc:
            raise HTTPException(404, str(exc)) from None
        return render(
            request,
            "account.html",
            who,
            session,
            status_code=status_code,
            error=error,
            a=detail,
            release_kinds=RELEASE_KINDS,
        )


@router.get("/ui/accounts/{account_id}", response_class=HTMLResponse, dependencies=[allow(Role.viewer)])
def account_page(request: Request, who: Caller, account_id: str) -> Response:
    return _account_page(request, who, account_id)


@router.post(
    "/ui/blocks/{block_id}/release",
    response_class=HTMLResponse,
    dependencies=[allow(Role.analyst), csrf_checked()],
)
def request_release(
    request: Request,
    who: Caller,
    block_id: int,
    kind: Annotated[str, Form(max_length=40)],
    reason: Annotated[str, Form(max_length=4000)],
    authority: Annotated[str, Form(max_length=200)] = "",
    account: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    with _session(request) as session:
        block = session.get(Block, block_id)
        if block is None:
            raise HTTPException(404, f"no block {block_id}")
        back = account or _blocked_account_of(session, block.party_id) or ""
    try:
        with _session(request) as session, session.begin():
            d = decisions.request_release(
                session,
                block_id=block_id,
                kind=kind,
                reason=reason,
                actor=actor_of(who),
                authority=authority.strip() or None,
            )
            decision_id = d.id
    except EnforcementError as exc:
        if back:
            return _account_page(request, who, back, error=str(exc), status_code=409)
        raise HTTPException(409, str(exc)) from None
    flash(
        request, f"Release of block {block_id} requested (decision {decision_id}): it waits for an approver."
    )
    return redirect(f"/ui/accounts/{back}" if back else "/ui/accounts")


def _blocked_account_of(session: Session, party_id: str) -> str | None:
    return session.scalars(
        select(Account.id).where(Account.owner_id == party_id, Account.kind == "blocked").order_by(Account.id)
    ).first()


# --- payments -------------------------------------------------------------------------------------


def _reviews(session: Session, payments: list[Payment]) -> dict[int, list[Decision]]:
    """Each payment's review decisions, oldest first (one query for the page)."""
    out: dict[int, list[Decision]] = {p.id: [] for p in payments}
    if out:
        q = (
            select(Decision)
            .where(Decision.subject_type == "payment", Decision.subject_id.in_([str(i) for i in out]))
            .order_by(Decision.id)
        )
        for d in session.scalars(q):
            out[int(d.subject_id)].append(d)
    return out


def _payments_page(
    request: Request,
    who: Principal,
    status: str,
    payment: int | None = None,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    with _session(request) as session:
        if payment is not None:
            one = session.get(Payment, payment)
            if one is None:
                raise HTTPException(404, f"no payment {payment}")
            shown, status = [one], ""
        else:
            shown = views.payments(session, status or None)
        reviews = _reviews(session, shown)
        return render(
            request,
            "payments.html",
            who,
            session,
            status_code=status_code,
            error=error,
            payments=shown,
            one=payment,
            reviews=reviews,
            pending_review={
                i: next((d for d in ds if d.status == "pending"), None) for i, ds in reviews.items()
            },
            outcomes=PAYMENT_OUTCOMES,
            status=status,
            statuses=PAYMENT_STATUSES,
            counts=views.payment_counts(session),
        )


@router.get("/ui/payments", response_class=HTMLResponse, dependencies=[allow(Role.viewer)])
def payments_page(
    request: Request, who: Caller, status: str = "held", payment: int | None = None
) -> Response:
    """The payments of one status (held by default, ``status=`` for all), or one payment."""
    if status and status not in PAYMENT_STATUSES:
        raise HTTPException(400, f"status must be one of {', '.join(PAYMENT_STATUSES)}")
    return _payments_page(request, who, status, payment)


@router.post(
    "/ui/payments/{payment_id}/review",
    response_class=HTMLResponse,
    dependencies=[allow(Role.analyst), csrf_checked()],
)
def review_payment(
    request: Request,
    who: Caller,
    payment_id: int,
    outcome: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=4000)],
    owner: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    with _session(request) as session:
        if session.get(Payment, payment_id) is None:
            raise HTTPException(404, f"no payment {payment_id}")
    try:
        with _session(request) as session, session.begin():
            d = decisions.decide_payment(
                session,
                payment_id=payment_id,
                outcome=outcome,
                reason=reason,
                actor=actor_of(who),
                owner=owner.strip() or None,
            )
            decision_id = d.id
    except EnforcementError as exc:  # not held any more, a decision already waiting, no such owner
        return _payments_page(request, who, "held", payment_id, error=str(exc), status_code=409)
    flash(
        request,
        f"Decision {decision_id} ({outcome} payment {payment_id}) recorded: "
        "it waits for a second person's approval.",
    )
    return redirect(f"/ui/payments?payment={payment_id}#pay-{payment_id}")


# --- reports --------------------------------------------------------------------------------------


@router.get("/ui/reports", response_class=HTMLResponse, dependencies=[allow(Role.viewer)])
def reports_page(request: Request, who: Caller, filed: bool = False) -> Response:
    today = date.today()
    with _session(request) as session:
        items = reports.due(session, on=today, include_filed=filed)
        return render(request, "reports.html", who, session, items=items, today=today, filed=filed)


def _download(text: str, fmt: str, name: str) -> Response:
    return Response(
        text,
        media_type=MEDIA[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{name}.{fmt}"',
            "Content-Security-Policy": REPORT_CSP,  # an HTML report: its own inline stylesheet, no script
        },
    )


@router.get("/ui/reports/{report_id}/download", dependencies=[allow(Role.viewer)])
def report_download(request: Request, report_id: RowId, format: str = "html") -> Response:
    if format not in MEDIA:
        raise HTTPException(400, "format must be csv, json or html")
    with _session(request) as session:
        try:
            content = reports.build(session, report_id)
        except NotFoundError as exc:
            raise HTTPException(404, str(exc)) from None
        except EnforcementError as exc:
            raise HTTPException(409, str(exc)) from None
        return _download(reports.render(content, format), format, f"report-{report_id}-{content.kind}")


@router.get("/ui/reports/annual/{year}/download", dependencies=[allow(Role.viewer)])
def annual_download(request: Request, year: Year, format: str = "html") -> Response:
    if format not in MEDIA:
        raise HTTPException(400, "format must be csv, json or html")
    with _session(request) as session:
        content = reports.annual(session, year)
        return _download(reports.render(content, format), format, f"annual-blocked-property-{year}")


@router.post(
    "/ui/reports/{report_id}/filed",
    response_class=HTMLResponse,
    dependencies=[allow(Role.approver), csrf_checked()],
)
def report_filed(
    request: Request, who: Caller, report_id: RowId, reference: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    try:
        with _session(request) as session, session.begin():
            reports.mark_filed(session, report_id, actor=actor_of(who), reference=reference.strip() or None)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    except EnforcementError as exc:
        raise HTTPException(409, str(exc)) from None
    flash(request, f"Report {report_id} marked as filed.")
    return redirect("/ui/reports")


@router.post(
    "/ui/reports/annual/{year}/filed",
    response_class=HTMLResponse,
    dependencies=[allow(Role.approver), csrf_checked()],
)
def annual_filed(
    request: Request, who: Caller, year: Year, reference: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    try:
        with _session(request) as session, session.begin():
            row = reports.record_annual(session, year, actor=actor_of(who))
            reports.mark_filed(session, row.id, actor=actor_of(who), reference=reference.strip() or None)
    except EnforcementError as exc:
        raise HTTPException(409, str(exc)) from None
    flash(request, f"The annual report of blocked property for {year} is marked as filed.")
    return redirect("/ui/reports")
