"""A per-session token that every form of the workspace carries and every POST checks.

The session cookie is SameSite=Lax, which already keeps other sites from posting with it in
current browsers; the token is the second lock for browsers or proxies that do not honour
SameSite, and for a page on a sibling host (same site, other origin). The token is made once a
session, kept in the signed session cookie, and compared in constant time.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Depends, HTTPException, Request

SESSION_KEY = "csrf"
FIELD = "csrf"


def csrf_token(request: Request) -> str:
    """The session's token, made on first use."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


async def _check(request: Request) -> None:
    expected = request.session.get(SESSION_KEY) if "session" in request.scope else None
    # Starlette keeps the parsed form: the route's Form() fields read it again
    form = await request.form()
    sent = form.get(FIELD)
    if (
        not isinstance(expected, str)
        or not isinstance(sent, str)
        or not secrets.compare_digest(expected, sent)
    ):
        raise HTTPException(403, "the form's security token is missing or out of date: reload the page")


def csrf_checked() -> Any:
    """``dependencies=[allow(...), csrf_checked()]`` on every form POST (after the role check)."""
    return Depends(_check)
