"""The workspace's oversight pages: users, API keys and the audit trail.

The rules are the JSON API's: users are an admin's to add, disable, enable, reset and give a role
(``/api/users``); everyone makes and revokes their own API keys, never one with more rights than
they have and never one for somebody else (a key made for another person would let its maker act
as that person, and so be their own "second person"); an admin sees every key and may revoke any
(``/api/keys``). The audit trail is read and verified by approvers and admins (``/api/audit``).
A one-time password or a new key is shown once, on the page that answers the form, and is
never kept: not in the store (only its hash), not in the session cookie.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from proscribe.enforcement import audit
from proscribe.enforcement.errors import EnforcementError, NotFoundError
from proscribe.service.auth import Caller, Principal, Role, allow
from proscribe.service.routes_shared import actor_of
from proscribe.service.routes_yente import runtime_of
from proscribe.store import users
from proscribe.web.csrf import csrf_checked
from proscribe.web.pages import PageRoute, flash, redirect, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

ROLES = tuple(r.name for r in sorted(Role))
#: how many audit records the page shows at most
AUDIT_LIMITS = (50, 200, 1000)


def _session(request: Request) -> Session:
    return Session(runtime_of(request).store.engine)


# --- users ----------------------------------------------------------------------------------------


def _users_page(request: Request, who: Principal, **context: Any) -> Response:
    with _session(request) as session:
        return render(
            request,
            "users.html",
            who,
            session,
            users=users.list_users(session),
            roles=ROLES,
            **context,
        )


@router.get("/ui/users", response_class=HTMLResponse, dependencies=[allow(Role.admin)])
def users_page(request: Request, who: Caller) -> Response:
    return _users_page(request, who)


def _user_change(request: Request, who: Principal, change: Any, done: str) -> Response:
    runtime = runtime_of(request)
    try:
        with _session(request) as session, session.begin():
            change(session)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    except EnforcementError as exc:
        return _users_page(request, who, status_code=409, error=str(exc))
    runtime.auth.forget()  # sessions and keys of the user see the change at once
    flash(request, done)
    return redirect("/ui/users")


@router.post("/ui/users", response_class=HTMLResponse, dependencies=[allow(Role.admin), csrf_checked()])
def add_user(
    request: Request,
    who: Caller,
    username: Annotated[str, Form(max_length=100)],
    role: Annotated[str, Form(max_length=20)],
) -> Response:
    if role not in ROLES:
        return _users_page(request, who, status_code=400, error=f"role must be one of {', '.join(ROLES)}")
    try:
        with _session(request) as session, session.begin():
            user, password = users.create_user(session, username.strip(), role, actor=actor_of(who))
            made = user.username
    except EnforcementError as exc:
        return _users_page(request, who, status_code=409, error=str(exc), form={"username": username})
    # the one-time password, shown once on this answer only (never in the session cookie)
    return _users_page(request, who, secret={"kind": "password", "user": made, "value": password})


@router.post(
    "/ui/users/{username}/role",
    response_class=HTMLResponse,
    dependencies=[allow(Role.admin), csrf_checked()],
)
def set_role(
    request: Request, who: Caller, username: str, role: Annotated[str, Form(max_length=20)]
) -> Response:
    if role not in ROLES:
        return _users_page(request, who, status_code=400, error=f"role must be one of {', '.join(ROLES)}")
    return _user_change(
        request,
        who,
        lambda s: users.set_role(s, username, role, actor=actor_of(who)),
        f"{username} is now {role}.",
    )


@router.post(
    "/ui/users/{username}/disable",
    response_class=HTMLResponse,
    dependencies=[allow(Role.admin), csrf_checked()],
)
def disable_user(request: Request, who: Caller, username: str) -> Response:
    return _user_change(
        request,
        who,
        lambda s: users.set_disabled(s, username, True, actor=actor_of(who)),
        f"{username} is disabled: their sign-in, sessions and API keys stop.",
    )


@router.post(
    "/ui/users/{username}/enable",
    response_class=HTMLResponse,
    dependencies=[allow(Role.admin), csrf_checked()],
)
def enable_user(request: Request, who: Caller, username: str) -> Response:
    return _user_change(
        request,
        who,
        lambda s: users.set_disabled(s, username, False, actor=actor_of(who)),
        f"{username} is enabled again.",
    )


@router.post(
    "/ui/users/{username}/reset-password",
    response_class=HTMLResponse,
    dependencies=[allow(Role.admin), csrf_checked()],
)
def reset_password(request: Request, who: Caller, username: str) -> Response:
    try:
        with _session(request) as session, session.begin():
            password = users.reset_password(session, username, actor=actor_of(who))
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    except EnforcementError as exc:
        return _users_page(request, who, status_code=409, error=str(exc))
    runtime_of(request).auth.forget()
    return _users_page(request, who, secret={"kind": "password", "user": username, "value": password})


# --- API keys -------------------------------------------------------------------------------------


def _keys_page(request: Request, who: Principal, **context: Any) -> Response:
    with _session(request) as session:
        owner = None if who.role >= Role.admin else who.username
        return render(
            request,
            "keys.html",
            who,
            session,
            keys=users.list_keys(session, owner),
            roles=[r for r in ROLES if Role[r] <= who.role],
            **context,
        )


@router.get("/ui/keys", response_class=HTMLResponse, dependencies=[allow(Role.viewer)])
def keys_page(request: Request, who: Caller) -> Response:
    return _keys_page(request, who)


@router.post("/ui/keys", response_class=HTMLResponse, dependencies=[allow(Role.viewer), csrf_checked()])
def create_key(
    request: Request,
    who: Caller,
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """A key of one's own, with at most one's own role (``POST /api/keys``); shown once."""
    role = role or who.role.name
    if role not in ROLES:
        return _keys_page(request, who, status_code=400, error=f"role must be one of {', '.join(ROLES)}")
    if Role[role] > who.role:
        raise HTTPException(403, f"you cannot make a key with more rights ({role}) than you have")
    try:
        with _session(request) as session, session.begin():
            key, secret = users.create_key(
                session, who.username, actor=actor_of(who), role=role, name=name.strip()
            )
            prefix = key.prefix
    except EnforcementError as exc:
        return _keys_page(request, who, status_code=409, error=str(exc))
    return _keys_page(request, who, secret={"kind": "key", "prefix": prefix, "value": secret})


@router.post(
    "/ui/keys/{prefix}/revoke",
    response_class=HTMLResponse,
    dependencies=[allow(Role.viewer), csrf_checked()],
)
def revoke_key(request: Request, who: Caller, prefix: str) -> Response:
    try:
        with _session(request) as session, session.begin():
            key = users.get_key(session, prefix)
            if key.owner != who.username and who.role < Role.admin:
                raise NotFoundError(f"no API key with prefix {prefix!r}")
            users.revoke_key(session, prefix, actor=actor_of(who))
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    except EnforcementError as exc:
        return _keys_page(request, who, status_code=409, error=str(exc))
    runtime_of(request).auth.forget()
    flash(request, f"Key {prefix} is revoked: it no longer signs anyone in.")
    return redirect("/ui/keys")


# --- the audit trail ------------------------------------------------------------------------------


@router.get("/ui/audit", response_class=HTMLResponse, dependencies=[allow(Role.approver)])
def audit_page(
    request: Request,
    who: Caller,
    subject: str = "",
    actor: str = "",
    action: str = "",
    limit: int = AUDIT_LIMITS[0],
) -> Response:
    """The newest records, filtered by subject (``alert:3``), person and action (``decision``)."""
    if limit not in AUDIT_LIMITS:
        raise HTTPException(400, f"limit must be one of {', '.join(map(str, AUDIT_LIMITS))}")
    for label, value in (("subject", subject), ("actor", actor), ("action", action)):
        if len(value) > 200:
            raise HTTPException(400, f"{label}: at most 200 characters")
    records = audit.trail(
        runtime_of(request).store.engine,
        subject.strip() or None,
        limit,
        actor=actor.strip() or None,
        action=action.strip() or None,
    )
    with _session(request) as session:
        return render(
            request,
            "audit.html",
            who,
            session,
            records=records,
            filters={"subject": subject, "actor": actor, "action": action},
            limit=limit,
            limits=AUDIT_LIMITS,
        )


@router.get("/ui/audit/verify", response_class=HTMLResponse, dependencies=[allow(Role.approver)])
def audit_verify(request: Request, who: Caller) -> Response:
    """The whole chain recomputed, as ``proscribe audit verify`` and ``GET /api/audit/verify``."""
    report = audit.verify(runtime_of(request).store.engine)
    with _session(request) as session:
        return render(request, "audit_verify.html", who, session, report=report)
