"""Signing in for the web workspace: a signed session cookie (``/login``, ``/logout``).

The page is a plain form with labels, which works without JavaScript. The cookie is signed
(itsdangerous, through Starlette's session middleware), HttpOnly and SameSite=Lax, so another
site cannot make a signed-in browser post to the service. Wrong passwords are answered alike
whatever was wrong, slowly (Argon2), and each attempt goes to the audit trail.

- **Login CSRF.** The sign-in form carries a token kept in the (not yet signed-in) session
  cookie; a sign-in without it is refused (403), so another site cannot sign a victim's browser
  into the attacker's account. The token is dropped at sign-in (the signed-in session has its own).
- **Server-side sessions.** Signing in starts a session in the store (``users.start_session``)
  whose id the cookie carries; signing out ends it there, so a copy of the cookie taken before
  sign-out no longer works (``Authenticator.by_session`` checks it on every request).
"""

from __future__ import annotations

import hmac
import html
import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from proscribe.enforcement import audit
from proscribe.service.auth import SESSION_SECONDS, Caller, Role, allow, public, session_stamp
from proscribe.service.db import write_session
from proscribe.service.routes_yente import runtime_of
from proscribe.store import users

router = APIRouter(tags=["session"])

#: sign-in attempts a second from one address (burst of ten), against password guessing
LOGIN_RATE = 1.0

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · proscribe</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/ui/static/web.css"></head>
<body><header class="top"><p class="brand">proscribe</p></header>
<main id="main" class="login"><h1>Sign in</h1>{message}
<form method="post" action="/login">
<input type="hidden" name="csrf" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<label for="username">User name</label>
<input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" class="primary">Sign in</button></form></main></body></html>
"""


#: the session key of the sign-in form's token (login CSRF)
LOGIN_CSRF = "login_csrf"


def _login_token(request: Request) -> str:
    """The sign-in form's token, kept in the (anonymous) session cookie; made on first use."""
    token = request.session.get(LOGIN_CSRF)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[LOGIN_CSRF] = token
    return token


def _page(request: Request, message: str = "", next_url: str = "/") -> str:
    note = f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""
    return _PAGE.format(
        message=note,
        next=html.escape(next_url, quote=True),
        csrf=html.escape(_login_token(request), quote=True),
    )


def _safe_next(value: str) -> str:
    # only paths on this server: an absolute URL here would send a signed-in user elsewhere
    return value if value.startswith("/") and not value.startswith("//") else "/"


@router.get("/login", response_class=HTMLResponse, dependencies=[public()], summary="The sign-in page")
async def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return HTMLResponse(_page(request, next_url=_safe_next(next)))


@router.post(
    "/login", response_class=HTMLResponse, response_model=None, dependencies=[public()], summary="Sign in"
)
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=1000)] = "/",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse | RedirectResponse:
    runtime = runtime_of(request)
    client = request.client.host if request.client else "?"
    expected = request.session.get(LOGIN_CSRF)
    if not isinstance(expected, str) or not csrf or not hmac.compare_digest(expected, csrf):
        # another site's form (login CSRF), or a page from before the cookie expired
        return HTMLResponse(
            _page(request, "The sign-in form is out of date: sign in again on this page.", _safe_next(next)),
            status_code=403,
        )
    if runtime.limiter.take(f"login:{client}", LOGIN_RATE) > 0:
        return HTMLResponse(
            _page(request, "Too many sign-in attempts: wait a moment.", _safe_next(next)), status_code=429
        )

    def check() -> tuple[bool, bool, str | None, str | None]:
        with write_session(runtime.store.engine) as session:
            user = users.authenticate(session, username, password)
            audit.append(
                session,
                actor=username,
                action="login" if user else "login.failed",
                subject=f"user:{username}",
                data={"client": client},
            )
            if user is None:
                return False, False, None, None
            sid = users.start_session(session, user.username, lifetime=timedelta(seconds=SESSION_SECONDS))
            return True, user.must_change_password, session_stamp(user), sid

    ok, must_change, stamp, sid = await run_in_threadpool(check)
    if not ok:
        return HTMLResponse(
            _page(request, "The user name or the password is not right.", _safe_next(next)), status_code=401
        )
    request.session.clear()  # the sign-in form's token goes; the signed-in session gets its own
    request.session["user"] = username
    request.session["sid"] = sid  # the session in the store: signing out ends it there
    request.session["stamp"] = stamp  # a password change or reset ends this session
    runtime.auth.forget()
    target = "/?password=change" if must_change else _safe_next(next)
    return RedirectResponse(target, status_code=303)


@router.post(
    "/logout",
    dependencies=[allow(Role.viewer, password_change=True)],
    summary="Sign out",
    response_class=RedirectResponse,
    status_code=303,
)
async def logout(request: Request, who: Caller) -> RedirectResponse:
    sid = request.session.get("sid")
    runtime = runtime_of(request)
    if isinstance(sid, str):

        def end() -> None:
            with write_session(runtime.store.engine) as session:
                users.end_session(session, sid, actor=who.username)

        await run_in_threadpool(end)
        runtime.auth.forget_session(sid)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get(
    "/",
    response_class=HTMLResponse,
    dependencies=[allow(Role.viewer, password_change=True)],
    summary="The workspace's home (a placeholder)",
)
async def home(who: Caller) -> HTMLResponse:
    change = (
        "<p role='alert'><strong>Your password was set by someone else: change it now</strong> "
        "(<code>POST /api/me/password</code>).</p>"
        if who.must_change_password
        else ""
    )
    body = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>proscribe</title></head>"
        f"<body><main><h1>proscribe</h1><p>Signed in as {html.escape(who.username)} ({who.role.name}).</p>"
        f"{change}<ul><li><a href='/docs'>API documentation</a></li>"
        "<li><a href='/api/lists'>Lists in force</a></li></ul>"
        "<form method='post' action='/logout'><button type='submit'>Sign out</button></form>"
        "</main></body></html>"
    )
    return HTMLResponse(body)
