"""One ASGI layer around the app: request-size limits, metrics, and the audit of changes.

Pure ASGI rather than Starlette's BaseHTTPMiddleware: it adds a few microseconds to a request,
not a task and a memory stream, which matters at hundreds of /match calls a second.

- **Size**: a body larger than the limit is refused with 413, by its Content-Length before it is
  read or, without one, as soon as the bytes received pass the limit. Batch uploads have a larger
  limit than JSON calls.
- **Metrics**: each request is counted and timed under its route template (``/entities/{id}``),
  so the labels stay few.
- **Security headers** on every answer (pages, API, errors, refusals): no framing by other pages
  (``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'``), ``X-Content-Type-Options:
  nosniff``, ``Referrer-Policy: same-origin``, and a Content-Security-Policy that lets a page load
  only the workspace's own stylesheet, images and forms (no script at all). A route that serves
  other content sets its own CSP (the API docs page, HTML reports), which is kept.
- **Audit**: when the route's guard marked the request as a change (``request.state.audit``),
  a record is appended after the response with the caller, the method, the path and the status.
  Changes that a route makes to the institution's data are audited by that route itself, in the
  same transaction; this record says that the request was made, and what came of it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import TYPE_CHECKING, Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from proscribe.enforcement import audit
from proscribe.service.db import write_session

if TYPE_CHECKING:
    from proscribe.service.runtime import Runtime

#: one line per request answered (see ``logs``)
request_log = logging.getLogger("proscribe.request")

UPLOAD_PATHS = (
    "/api/screen/batch",
    "/api/customers/import",
    "/api/payments/screen",
    "/api/travel/family",
)


class _TooLarge(Exception):
    pass


#: the workspace's pages use their own stylesheet and inline SVG charts, and no script
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
#: a printable report (HTML with its own inline stylesheet, no script, nothing fetched)
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
#: the API docs pages (Swagger UI, ReDoc): their scripts and stylesheets from this server
#: (``/static/docs``), each started by an inline script; ReDoc styles inline and uses a worker
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", CSP.encode()),
)


def _secured(send: Send) -> Send:
    """``send`` that adds the security headers a response does not set itself."""

    async def secured_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {name.lower() for name, _ in headers}
            headers += [(name, value) for name, value in SECURITY_HEADERS if name not in present]
            message = {**message, "headers": headers}
        await send(message)

    return secured_send


class ServiceMiddleware:
    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _secured(send)
        cfg = self.runtime.config
        limit = cfg.max_upload if scope["path"] in UPLOAD_PATHS else cfg.max_body
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > limit
                except ValueError:
                    too_big = True
                if too_big:
                    await _refuse(send, limit)
                    return
        started = time.perf_counter()
        status = 500
        response_started = False
        received = 0
        too_large = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal status, response_started
            if too_large:
                # a body sent without Content-Length ran over the limit: the framework answers
                # "could not parse the body" (400); the caller is told the real reason instead
                if message["type"] == "http.response.start" and not response_started:
                    response_started = True
                    status = 413
                    await _refuse(send, limit)
                return
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                # audited before the caller hears back, so a caller's next request comes after it
                await self._maybe_audit(scope, status)
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if response_started:
                raise
            status = 413
            await _refuse(send, limit)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unmatched)"
            method = scope["method"]
            metrics = self.runtime.metrics
            metrics.requests.labels(method, template, str(status)).inc()
            elapsed = time.perf_counter() - started
            metrics.latency.labels(method, template).observe(elapsed)
            if request_log.isEnabledFor(logging.INFO):
                principal = scope.get("state", {}).get("principal")
                request_log.info(
                    "request",
                    extra={
                        "method": method,
                        "path": scope["path"],
                        "route": template,
                        "status": status,
                        "latency_ms": round(elapsed * 1000, 3),
                        "user": principal.actor if principal is not None else "-",
                        "client": (scope.get("client") or ("", 0))[0],
                        "worker": os.getpid(),
                    },
                )

    async def _maybe_audit(self, scope: Scope, status: int) -> None:
        state: dict[str, Any] = scope.get("state", {})
        if state.get("audit") and state.get("principal") is not None:
            await anyio.to_thread.run_sync(self._audit, state["principal"].actor, scope, status)

    def _audit(self, actor: str, scope: Scope, status: int) -> None:
        template = getattr(scope.get("route"), "path", None) or scope["path"]
        data = {
            "method": scope["method"],
            "path": scope["path"],
            "route": template,
            "status": status,
            "client": (scope.get("client") or ("", 0))[0],
        }
        with write_session(self.runtime.store.engine) as session:
            audit.append(session, actor=actor, action="http.request", subject=f"route:{template}", data=data)


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"the request body is larger than {limit} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
