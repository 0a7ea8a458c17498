"""Who is calling and what they may do: authentication, roles, rate limits, on every endpoint.

Every route declares its rule with one dependency: ``allow(Role.analyst)`` (signed in with at
least that role), or ``public()`` for the few routes anyone may call (health, the sign-in page).
``create_app`` refuses to start if a route has neither, so no endpoint is reachable by accident;
``route_table(app)`` lists the rules, and the authorization-matrix test walks it.

Callers prove who they are with an API key (``Authorization: ApiKey prs_...``, as yente's client
sends it, or ``Authorization: Bearer prs_...``) or with the signed session cookie that ``/login``
sets. A request that changes something (any method but GET/HEAD/OPTIONS, unless the route says
it only reads, as screening does) is written to the audit trail with the caller as actor.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Annotated, Any

import redis
from fastapi import Depends, HTTPException, Request
from fastapi.params import Depends as DependsParam
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from proscribe.enforcement.clock import now
from proscribe.service.db import write_session
from proscribe.store import users

if TYPE_CHECKING:
    from fastapi import FastAPI

    from proscribe.service.runtime import Runtime

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: seconds a checked key or session user is trusted before the store is asked again
#: (a revoked key or a changed role takes effect within this time, at once in this process)
CACHE_SECONDS = 10.0
#: how long a signed-in session lasts (the cookie's age and the session's end in the store)
SESSION_SECONDS = 8 * 3600
#: Redis key prefix of sessions signed out (by digest), seen by every worker at once
ENDED_SESSION = "proscribe:session-ended:"
#: a key's last use is written at most this often, so API calls do not each write to the store
LAST_USED_EVERY = 60.0


class Role(IntEnum):
    viewer = 0
    analyst = 1
    approver = 2
    admin = 3


@dataclass(frozen=True)
class Principal:
    """The caller of a request."""

    username: str
    role: Role
    via: str  # "key" or "session"
    key_prefix: str | None = None
    rate_limit: float | None = None
    must_change_password: bool = False

    @property
    def actor(self) -> str:
        """How the audit trail names the caller."""
        return f"{self.username} (key {self.key_prefix})" if self.key_prefix else self.username

    @property
    def bucket(self) -> str:
        return f"key:{self.key_prefix}" if self.key_prefix else f"user:{self.username}"


class Authenticator:
    """Checks keys and session users against the store, with a short cache."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        url = runtime.config.redis_url
        self.redis: redis.Redis | None = redis.Redis.from_url(url) if url else None
        self._keys: dict[str, tuple[float, Principal | None]] = {}
        self._users: dict[str, tuple[float, Principal | None, str | None]] = {}
        self._last_used: dict[str, float] = {}
        self._sessions: dict[str, float] = {}
        self._lock = threading.Lock()

    def forget(self) -> None:
        """Drop the cache (after a key is revoked or a user changed in this process)."""
        with self._lock:
            self._keys.clear()
            self._users.clear()
            self._sessions.clear()

    def forget_session(self, sid: str) -> None:
        """Drop one session from the cache (it was ended in this process); with Redis, from every
        worker's cache at once (the end is kept there for the session's longest life)."""
        digest = users.key_hash(sid)
        with self._lock:
            self._sessions.pop(digest, None)
        if self.redis is not None:
            self.redis.set(ENDED_SESSION + digest, b"1", ex=SESSION_SECONDS)

    def live_session(self, username: str, sid: object) -> bool:
        """Whether the cookie's session id names a session of ``username`` still going in the store.

        A live session is trusted for CACHE_SECONDS; a session ended through this process is
        dropped at once, one ended through another process within CACHE_SECONDS.
        """
        if not isinstance(sid, str) or not sid:
            return False
        digest = users.key_hash(sid)
        clock = time.monotonic()
        seen = self._sessions.get(digest)
        # signed out through another worker: Redis says so before this worker's cache expires
        if (
            seen is not None
            and clock - seen < CACHE_SECONDS
            and (self.redis is None or not self.redis.exists(ENDED_SESSION + digest))
        ):
            return True
        with Session(self.runtime.store.engine) as session:
            alive = users.live_session(session, sid, username)
        with self._lock:
            if alive:
                self._sessions[digest] = clock
            else:
                self._sessions.pop(digest, None)
        return alive

    def by_key(self, plaintext: str) -> Principal | None:
        digest = users.key_hash(plaintext)
        hit = self._keys.get(digest)
        clock = time.monotonic()
        if hit is not None and clock - hit[0] < CACHE_SECONDS:
            principal = hit[1]
        else:
            principal = self._load_key(plaintext)
            if principal is not None:  # unknown keys are not cached: guesses must not fill memory
                with self._lock:
                    self._keys[digest] = (clock, principal)
        if principal is not None and principal.key_prefix:
            last = self._last_used.get(principal.key_prefix, 0.0)
            if clock - last > LAST_USED_EVERY:
                self._last_used[principal.key_prefix] = clock
                self._touch(principal.key_prefix)
        return principal

    def _load_key(self, plaintext: str) -> Principal | None:
        with Session(self.runtime.store.engine) as session:
            found = users.find_key(session, plaintext)
            if found is None:
                return None
            key, user = found
            role = users.lower_role(key.role, user.role)
            return Principal(
                username=user.username,
                role=Role[role],
                via="key",
                key_prefix=key.prefix,
                rate_limit=key.rate_limit,
            )

    def _touch(self, prefix: str) -> None:
        with write_session(self.runtime.store.engine) as session:
            key = users.get_key(session, prefix)
            key.last_used_at = now()

    def by_session(self, username: str, stamp: object = None) -> Principal | None:
        """The signed-in user of a session cookie, if the cookie is still good.

        ``stamp`` is the password-change time the cookie was issued under: a password change or
        reset makes every cookie issued before it worthless (a stolen cookie dies with the password).
        """
        hit = self._users.get(username)
        clock = time.monotonic()
        if hit is not None and clock - hit[0] < CACHE_SECONDS:
            principal, current = hit[1], hit[2]
        else:
            principal, current = None, None
            with Session(self.runtime.store.engine) as session:
                try:
                    user = users.get_user(session, username)
                except LookupError:
                    user = None
                if user is not None and not user.disabled:
                    principal = Principal(
                        username=user.username,
                        role=Role[user.role],
                        via="session",
                        must_change_password=user.must_change_password,
                    )
                    current = session_stamp(user)
            with self._lock:
                self._users[username] = (clock, principal, current)
        if principal is None or stamp != current:
            return None
        return principal


def session_stamp(user: users.User) -> str:
    """What a session cookie carries to be revoked by the next password change."""
    return user.password_changed_at.isoformat()


def _credentials(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("apikey", "bearer") and value.strip():
        return value.strip()
    return ""  # a header we cannot use: refused, not ignored


async def _check_csrf_header(request: Request) -> None:
    """A change made with the session cookie must prove it comes from our own pages.

    The workspace's forms (``/ui/...``) carry the session's token in a form field, checked by
    their routes; anything else signed in by cookie (a script of our pages calling ``/api``) sends
    it in the ``X-CSRF-Token`` header. Without this, another site could make a signed-in browser
    post to ``/api`` (SameSite=Lax does not cover every browser or a sibling host). API clients
    with a key are not concerned: a key is never sent by a browser on its own.
    """
    if request.url.path.startswith("/ui/"):
        return
    expected = request.session.get("csrf")
    given = request.headers.get("x-csrf-token")
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        # a plain form of our pages (Sign out) carries it as a field; Starlette keeps the parsed form
        field = (await request.form()).get("csrf")
        given = field if isinstance(field, str) else None
    if not expected or not given or not hmac.compare_digest(str(expected), given):
        raise HTTPException(403, "a change signed in by cookie needs the X-CSRF-Token header of this session")


class Require:
    """The dependency that guards a route: who may call it, and whether the call is audited."""

    def __init__(
        self,
        role: Role | None,
        *,
        reads_only: bool = False,
        password_change: bool = False,
        audits_itself: bool = False,
    ) -> None:
        self.role = role
        self.reads_only = reads_only
        self.password_change = password_change
        #: the route writes its own audit record (e.g. once what it asked for has happened), so the
        #: middleware's record of the request is not written
        self.audits_itself = audits_itself

    async def __call__(self, request: Request) -> Principal | None:
        # async: run on the event loop, not a worker thread (the checks are cached and quick)
        if self.role is None:
            return None
        runtime: Runtime = request.app.state.runtime
        principal: Principal | None = None
        creds = _credentials(request)
        if creds:
            principal = runtime.auth.by_key(creds)
        elif creds is None and "session" in request.scope:
            username = request.session.get("user")
            if isinstance(username, str):
                principal = runtime.auth.by_session(username, request.session.get("stamp"))
                sid = request.session.get("sid")
                if principal is not None and not runtime.auth.live_session(username, sid):
                    principal = None  # signed out (or expired): a copy of the cookie is worthless
                if principal is not None and request.method not in READ_METHODS:
                    await _check_csrf_header(request)
        if principal is None:
            raise HTTPException(
                401,
                "sign in, or send an API key: Authorization: ApiKey <key>",
                {"WWW-Authenticate": "ApiKey"},
            )
        request.state.principal = principal
        request.state.audit = (
            request.method not in READ_METHODS and not self.reads_only and not self.audits_itself
        )
        if principal.must_change_password and not self.password_change:
            raise HTTPException(403, "change your password first (POST /api/me/password)")
        if principal.role < self.role:
            raise HTTPException(403, f"this needs the {self.role.name} role; you are {principal.role.name}")
        wait = await runtime.limiter.take_async(principal.bucket, principal.rate_limit)
        if wait > 0:
            raise HTTPException(429, "too many requests", {"Retry-After": str(max(1, round(wait + 0.5)))})
        return principal


def allow(
    role: Role, *, reads_only: bool = False, password_change: bool = False, audits_itself: bool = False
) -> Any:
    """``dependencies=[allow(Role.analyst)]``: signed-in callers with at least ``role``."""
    return Depends(
        Require(role, reads_only=reads_only, password_change=password_change, audits_itself=audits_itself)
    )


def public() -> Any:
    """``dependencies=[public()]``: anyone, signed in or not (health checks, the sign-in page)."""
    return Depends(Require(None))


def caller(request: Request) -> Principal:
    """The principal the route's ``allow`` dependency found (for handlers that need the actor)."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):  # pragma: no cover - a route without allow()
        raise HTTPException(401, "not signed in")
    return principal


Caller = Annotated[Principal, Depends(caller)]


@dataclass(frozen=True)
class RouteRule:
    method: str
    path: str
    role: Role | None
    audited: bool


def _rule_of(route: APIRoute) -> Require | None:
    found = [
        d.dependency
        for d in route.dependencies
        if isinstance(d, DependsParam) and isinstance(d.dependency, Require)
    ]
    return found[0] if len(found) == 1 else None


def api_routes(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every endpoint with its full path, including those of included routers.

    Newer FastAPI versions keep an included router as one entry of ``app.routes`` that wraps the
    original router (``original_router``); older ones copy its routes. Both are walked.
    """
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
            continue
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            extra = getattr(context, "prefix", "") or ""
            yield from api_routes(inner.routes, prefix + extra)


def route_table(app: FastAPI) -> list[RouteRule]:
    """Every (method, path) of the app with the role it needs (None: public)."""
    rules = []
    for path, route in api_routes(app.routes):
        rule = _rule_of(route)
        if rule is None:
            continue
        for method in sorted(route.methods or ()):
            audited = method not in READ_METHODS and not rule.reads_only and rule.role is not None
            rules.append(RouteRule(method, path, rule.role, audited))
    return rules


def check_guarded(app: FastAPI) -> None:
    """Refuse an app with a route that declares no access rule (exactly one allow() or public())."""
    for path, route in api_routes(app.routes):
        if _rule_of(route) is None:
            raise RuntimeError(f"route {sorted(route.methods or ())} {path} has no allow() or public() rule")
